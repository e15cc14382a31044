#!/usr/bin/env bash
# Build the PyInstaller bundle (packaging/ccm-timer.spec), check that it starts, and with
# --archive pack it the way each platform's clinics install it:
#
#   Linux    dist/ccm-timer/                 -> dist/ccm-timer-VERSION-linux-ARCH.tar.gz
#   macOS    dist/CCM Timer.app              -> dist/ccm-timer-VERSION-macos-ARCH.zip
#   Windows  dist/ccm-timer/ (two programs)  -> dist/ccm-timer-VERSION-windows-x64-setup.exe
#            (Inno Setup's iscc, packaging/windows/ccm-timer.iss; Git Bash or MSYS2)
#
#     packaging/build.sh [--archive]        PYTHON=... to pick the interpreter
#
# The interpreter must have the app and PyInstaller installed: pip install -e ".[build]".
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)" in
  Linux*) OS=linux ;;
  Darwin*) OS=macos ;;
  MINGW* | MSYS* | CYGWIN*) OS=windows ;;
  *) echo "build.sh: unsupported system $(uname -s)" >&2; exit 1 ;;
esac

if [[ -z "${PYTHON:-}" ]]; then
  for candidate in .venv/bin/python .venv/Scripts/python.exe; do
    [[ -x $candidate ]] && PYTHON=$candidate && break
  done
  PYTHON=${PYTHON:-python3}
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

# The program that answers the command line, and what the clinic gets.
case $OS in
  linux) PROGRAM="$DIST/ccm-timer/ccm-timer"; PRODUCT="$DIST/ccm-timer" ;;
  macos) PROGRAM="$DIST/CCM Timer.app/Contents/MacOS/ccm-timer"; PRODUCT="$DIST/CCM Timer.app" ;;
  windows) PROGRAM="$DIST/ccm-timer/ccm-timer-cli.exe"; PRODUCT="$DIST/ccm-timer" ;;
esac
echo "built $PRODUCT in $(( $(date +%s) - started )) s, $(du -sh "$PRODUCT" | cut -f1)"

# A bundle that cannot even print its version is not worth shipping.
"$PROGRAM" --version

if [[ "${1:-}" == "--archive" ]]; then
  version=$("$PROGRAM" --version | awk '{print $2}' | tr -d '\r')
  arch=$(uname -m)
  case $OS in
    linux)
      archive="$DIST/ccm-timer-$version-linux-$arch.tar.gz"
      tar -C "$DIST" -czf "$archive" ccm-timer
      ;;
    macos)
      # ditto keeps the bundle's symlinks, extended attributes and code signature, which a
      # plain zip would break.
      archive="$DIST/ccm-timer-$version-macos-$arch.zip"
      rm -f "$archive"
      ditto -c -k --sequesterRsrc --keepParent "$PRODUCT" "$archive"
      ;;
    windows)
      iscc=$(command -v iscc || command -v ISCC.exe || true)
      for candidate in "/c/Program Files (x86)/Inno Setup 6/ISCC.exe" \
                       "/c/Program Files/Inno Setup 6/ISCC.exe"; do
        [[ -z $iscc && -x $candidate ]] && iscc=$candidate
      done
      if [[ -z $iscc ]]; then
        echo "build.sh: Inno Setup 6 (iscc) is not installed: choco install innosetup" >&2
        exit 1
      fi
      winpath() { cygpath -w "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
      # No MSYS path conversion: it would take iscc's /Q and /D options for paths.
      MSYS_NO_PATHCONV=1 MSYS2_ARG_CONV_EXCL="*" \
        "$iscc" /Q "/DAppVersion=$version" "/DSourceDir=$(winpath "$DIST/ccm-timer")" \
        "/DOutputDir=$(winpath "$DIST")" \
        "/DSetupIcon=$(winpath "$WORK/ccm-timer/icons/ccm-timer.ico")" \
        "$(winpath packaging/windows/ccm-timer.iss)"
      archive="$DIST/ccm-timer-$version-windows-x64-setup.exe"
      ;;
  esac
  echo "archive: $archive ($(du -h "$archive" | cut -f1))"
fi
