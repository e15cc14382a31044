"""The app icon for Windows (.ico) and macOS (.icns), drawn at build time from the one source,
resources/icons/org.ccmtimer.CCMTimer.svg, so no generated image is kept in the repository.

    python packaging/icons.py --ico OUT.ico --icns OUT.icns [--svg SOURCE]

Qt (PySide6, which the build has anyway) renders the SVG at each size; both containers then
hold PNG images, which Windows reads in .ico files since Vista and macOS in .icns files since
10.7, so nothing beyond the standard library writes them. packaging/ccm-timer.spec runs this
in a subprocess (Qt wants its own process) on Windows and macOS.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "icons" / "org.ccmtimer.CCMTimer.svg"

# Windows picks per use: 16 (small icons, title bars), 20/24 (taskbar at 125/150 %),
# 32/40/48 (desktop, Alt-Tab), 64 and 256 (large and extra-large Explorer views).
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 256)
# The .icns element types that hold PNG data, and the pixel size each one holds
# (the @2x types are the Retina variants of the size half as large).
ICNS_TYPES = {
    b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512,
    b"ic10": 1024, b"ic11": 32, b"ic12": 64, b"ic13": 256, b"ic14": 512,
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def render_pngs(svg: Path, sizes: Iterable[int]) -> dict[int, bytes]:
    """PNG bytes of `svg` drawn on a transparent square of each size."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not an SVG image Qt can draw")
    out: dict[int, bytes] = {}
    for size in sorted(set(sizes)):
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise RuntimeError(f"Qt could not write a {size} px PNG")
        buffer.close()
        out[size] = bytes(data.data())
    return out


def ico_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """An ICO file (ICONDIR, one ICONDIRENTRY per image, then the images) of PNG images."""
    sizes = sorted(pngs)
    if not sizes or sizes[-1] > 256:
        raise ValueError("an .ico holds images of 1 to 256 pixels")
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(sizes)
    entries, images = [], []
    for size in sizes:
        data = pngs[size]
        side = 0 if size == 256 else size  # 0 stands for 256
        # width, height, palette colours, reserved, colour planes, bits per pixel, size, offset
        entries.append(struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset))
        images.append(data)
        offset += len(data)
    return header + b"".join(entries) + b"".join(images)


def icns_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """An ICNS file: 'icns', the total length, then (type, length, PNG data) elements; every
    length counts its own 8-byte header, big-endian."""
    elements = []
    for kind, size in ICNS_TYPES.items():
        data = pngs[size]
        elements.append(kind + struct.pack(">I", 8 + len(data)) + data)
    body = b"".join(elements)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_ico(svg: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(ico_bytes(render_pngs(svg, ICO_SIZES)))
    return out


def write_icns(svg: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(icns_bytes(render_pngs(svg, ICNS_TYPES.values())))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--svg", type=Path, default=SOURCE)
    parser.add_argument("--ico", type=Path, help="write a Windows icon here")
    parser.add_argument("--icns", type=Path, help="write a macOS icon here")
    args = parser.parse_args(argv)
    if not (args.ico or args.icns):
        parser.error("nothing to do: give --ico, --icns or both")
    if args.ico:
        print(f"wrote {write_ico(args.svg, args.ico)}")
    if args.icns:
        print(f"wrote {write_icns(args.svg, args.icns)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
