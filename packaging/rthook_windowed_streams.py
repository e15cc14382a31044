# PyInstaller runtime hook (Windows). A windowed program (console=False: ccm-timer.exe, the
# tray) starts with sys.stdout and sys.stderr set to None, so code that writes to them
# directly (json.dump(..., sys.stdout), sys.stderr.write) would raise where print() is
# silently skipped. Point them at the null device instead; the console program,
# ccm-timer-cli.exe, has real streams and is left alone. An uncaught exception still reaches
# the bootloader's error dialog, which does not go through these streams.
import os
import sys

if sys.stdout is None:
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process
