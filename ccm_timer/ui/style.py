"""The few styles the dialogs share (kept here so every dialog looks alike)."""

ERROR_STYLE = "color: #b91c1c; font-weight: bold;"
TITLE_STYLE = "font-weight: bold;"
BIG_STYLE = "font-size: 20px; font-weight: bold;"

