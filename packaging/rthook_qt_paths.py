# PyInstaller runtime hook (Linux), in place of PyInstaller's pyi_rth_pyside6: that hook imports
# PySide6.QtCore at every start, about 45 ms added to each command-line call that never uses
# Qt, only to register a qt.conf that the PyPI PySide6 wheel already embeds. What the tray
# needs from it is where Qt's plugins are.
import os
import sys

_qt = os.path.join(sys._MEIPASS, "PySide6", "Qt")
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt, "plugins")
os.environ["QML2_IMPORT_PATH"] = os.path.join(_qt, "qml")
