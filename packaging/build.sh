#!/usr/bin/env bash
# Build the one-folder bundle dist/ccm-timer/ (the program is dist/ccm-timer/ccm-timer), check
# that it starts, and with --archive pack it as dist/ccm-timer-VERSION-linux-ARCH.tar.gz.
#
#     packaging/build.sh [--archive]        PYTHON=... to pick the interpreter
#
# The interpreter must have the app and PyInstaller installed: pip install -e ".[build]".
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
DIST=${DIST:-dist}
WORK=${WORK:-build}

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: PyInstaller is not installed for $PYTHON; run: $PYTHON -m pip install -e '.[build]'" >&2
  exit 1
fi

started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/ccm-timer.spec
echo "built $DIST/ccm-timer in $(( $(date +%s) - started )) s, $(du -sh "$DIST/ccm-timer" | cut -f1)"

# A bundle that cannot even print its version is not worth shipping.
"$DIST/ccm-timer/ccm-timer" --version

if [[ "${1:-}" == "--archive" ]]; then
  version=$("$DIST/ccm-timer/ccm-timer" --version | awk '{print $2}')
  archive="$DIST/ccm-timer-$version-linux-$(uname -m).tar.gz"
  tar -C "$DIST" -czf "$archive" ccm-timer
  echo "archive: $archive ($(du -h "$archive" | cut -f1))"
fi
