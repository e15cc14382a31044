"""The PDF month report, drawn by Qt (QTextDocument onto a QPdfWriter): a summary page, then
one section per patient with totals, codes, warnings and the entry log.

The only renderer that imports Qt; services import it lazily so the other formats (and
the command line) never load Qt. Works without a screen (the offscreen platform).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Set as AbstractSet
from datetime import date
from html import escape
from typing import Any

from ccm_timer.core.masking import isolated
from ccm_timer.exports.pdf_fonts import BASE_FAMILIES

_APP: Any = None  # the application made for a command-line render, kept alive


def _ensure_app() -> None:
    """Qt needs an application object for fonts. A QApplication (not the lighter
    QGuiApplication), so a process that later opens a window can still do so."""
    global _APP
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _APP = QApplication(["ccm-timer"])


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _codes(lines: list[dict]) -> str:
    return ", ".join(f"{x['code']}" + (f" x{x['units']}" if x["units"] > 1 else "")
                     for x in lines)


def _status(p: dict, short: bool = False) -> str:
    a = p["approval"]
    if a and not a["reopened"]:
        return "approved" if short else f"approved by {_e(a['by'])}, {_e(a['at_label'])}"
    if a:
        return "changed after approval"
    return "not approved"


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


_STYLE = """
body { font-size: 9.5pt; }
h1 { font-size: 15pt; margin-bottom: 2px; }
h2 { font-size: 12.5pt; margin-top: 0; margin-bottom: 2px; }
h3 { font-size: 10.5pt; margin-top: 10px; margin-bottom: 3px; }
p { margin-top: 2px; margin-bottom: 2px; }
th { background-color: #e6e6e6; text-align: left; font-weight: bold; font-size: 8.5pt; }
.banner { color: #b00000; font-weight: bold; font-size: 11pt; }
.muted { color: #444444; }
.alert { color: #b00000; font-weight: bold; }
.num { text-align: right; }
"""


def _table(headers: list[str], rows: list[list[str]], numeric: AbstractSet[int] = frozenset(),
           widths: list[int] | None = None, nowrap: AbstractSet[int] = frozenset()) -> str:
    sizes = [f' width="{w}%"' for w in widths] if widths else [""] * len(headers)
    attrs = [(' align="right"' if i in numeric else "") + (" nowrap" if i in nowrap else "")
             for i in range(len(headers))]
    head = "".join(f"<th{sizes[i]}{attrs[i]}>{h}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{attrs[i]}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return (f'<table border="1" cellspacing="0" cellpadding="4" width="100%" '
            f'style="border-color: #999999; border-style: solid;">'
            f"<thead><tr>{head}</tr></thead>{body}</table>")


def _banners(doc: dict) -> str:
    out = []
    if doc["draft"]:
        out.append("DRAFT: includes patient months not approved; not for billing.")
    if doc["amendment"]:
        when = ", ".join(a["at"][:10] for a in doc["amends"])
        out.append(f"AMENDMENT: time changed after the export of {when}; "
                   "each changed patient lists what changed.")
    return "".join(f'<p class="banner">{_e(b)}</p>' for b in out)


def _summary(doc: dict) -> str:
    t = doc["totals"]
    rows = [[f"{_e(p['name'])}<br/><span class='muted'>MRN {_e(p['mrn'])}</span>",
             str(p["minutes"]["clinical_staff"]), str(p["minutes"]["practitioner"]),
             str(p["minutes"]["total"]), _e(_codes(p["lines"])) or "none",
             _e(_codes(p["held_lines"])),
             _status(p, short=True) + (", amended" if p["amended"] else ""),
             str(len(p["warnings"])) if p["warnings"] else ""]
            for p in doc["patients"]]
    rows.append(["<b>Total</b>", f"<b>{t['clinical_staff_minutes']}</b>",
                 f"<b>{t['practitioner_minutes']}</b>", f"<b>{t['minutes']}</b>",
                 f"<b>{_n(t['units'], 'unit')}</b>", "", "", ""])
    html = [
        f"<h1>Care management report: {_e(doc['month_label'])}</h1>",
        f"<p class='muted'>Prepared {_e(doc['generated_label'])}"
        + (f" by {_e(doc['generated_by'])}" if doc["generated_by"] else "")
        + f"; times in {_e(doc['time_zone'])}; Medicare rules {_e(doc['rules_year'])}; "
        f"date of service: {_e(_dos(doc))}; audit chain head "
        f"{_e(doc['audit_chain_head'][:16])}.</p>",
        _banners(doc),
        f"<h3>{_n(t['patients'], 'patient')}: {_n(t['lines'], 'claim line')}, "
        f"{_n(t['units'], 'unit')}; {_n(t['held_lines'], 'held line')}</h3>",
        _table(["Patient", "Staff min", "Practitioner min", "Total min", "Codes",
                "Held", "Status", "Warnings"], rows, {1, 2, 3, 7},
               [21, 8, 14, 8, 15, 9, 14, 11]),
    ]
    if doc["left_out"]:
        html.append("<h3>Left out (not approved for billing)</h3><p>" + "<br/>".join(
            f"{_e(x['name'])}, MRN {_e(x['mrn'])}: {_e(x['reason'])}" for x in doc["left_out"])
            + "</p>")
    if doc["program_level_minutes"]:
        html.append(f"<p>Program-level oversight (not billed per patient): "
                    f"{doc['program_level_minutes']} min.</p>")
    return "".join(html)


def _us_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%m/%d/%Y")


def _dos(doc: dict) -> str:
    return ("the day the time reached each code" if doc["date_of_service_rule"] == "threshold"
            else "the last day of the month")


def _patient(doc: dict, p: dict) -> str:
    who = p["billing_practitioner"]
    facts = [f"MRN {_e(p['mrn'])}"]
    if p["birth_date"]:
        facts.append(f"DOB {_e(p['birth_date_label'])}")
    if p["qmb"] is not None:
        facts.append("QMB: yes, bill no cost sharing to the patient" if p["qmb"] else "QMB: no")
    html = [
        f"<h2 style='page-break-before: always;'>{_e(p['name'])}: {_e(doc['month_label'])}"
        f"{' (DRAFT)' if doc['draft'] else ''}</h2>",
        f"<p>{' &nbsp;|&nbsp; '.join(facts)}</p>",
        f"<p>Billing practitioner: {_e(who['label']) if who else 'not set'}"
        f"{' (NPI ' + _e(who['npi']) + ')' if who and who['npi'] else ''}. "
        f"Status: {_status(p)}.</p>",
        f"<p><b>Total {_e(p['minutes_text']['total'])}</b>: clinical staff "
        f"{_e(p['minutes_text']['clinical_staff'])}, practitioner "
        f"{_e(p['minutes_text']['practitioner'])}.</p>",
        _record(p),
        "<h3>Codes this time supports</h3>",
    ]
    if p["lines"]:
        html.append(_table(
            ["Code", "Description", "Units", "Min", "Diagnoses", "Date of service", "Status"],
            [[_e(x["code"]), _e(x["name"]), str(x["units"]), str(x["minutes"]),
              _e(", ".join(x["diagnoses"])) or "none", _e(_us_date(x["date_of_service"])),
              _e(x["status"])] for x in p["lines"]], {2, 3},
            [9, 35, 7, 6, 17, 14, 12]))
    else:
        html.append("<p>None yet.</p>")
    if p["held_lines"]:
        html.append("<h3>Held, not billable</h3><p>" + "<br/>".join(
            f"{_e(x['code'])} {_e(x['name'])}: {_e(x['hold_reason'])}" for x in p["held_lines"])
            + "</p>")
    if p["warnings"]:
        html.append("<h3>Warnings</h3><p>" + "<br/>".join(
            f"&#8226; {_e(w)}" for w in p["warnings"]) + "</p>")
    if p["changes"] or p["withdrawn_lines"]:
        html.append("<h3>Changed since the last export</h3><p>" + "<br/>".join(
            [f"&#8226; {_e(c['summary'])} ({_e(c['at_label'])}, {_e(c['by'])})"
             for c in p["changes"]]
            + [f"&#8226; {_e(x['code'])} {_e(x['name'])} is withdrawn: the time no longer "
               "supports it" for x in p["withdrawn_lines"]]) + "</p>")
    html.append("<h3>Entry log</h3>")
    html.append(_table(
        ["Date", "Time", "Min", "Who", "Activity and note"],
        [[_e(f"{x['weekday']} {x['date_label']}"),
          _e(f"{x['start']}-{x['end'] or 'running'}"), _e(x["minutes_text"]),
          _e(x["clinician"]["label"]),
          f"<b>{_e(x['activity'])}</b>" + (f"<br/>{_e(x['note'])}" if x["note"] else "")
          + (f"<br/><i>corrected (version {x['version']}): {_e(x['change_reason'])}</i>"
             if x["version"] > 1 else "")
          + ("<br/><i>amended after export</i>" if x["amended_after_export"] else "")]
         for x in p["entries"]], {2}, [14, 13, 13, 19, 41], nowrap={1, 2})
        if p["entries"] else "<p>No time this month.</p>")
    return "".join(html)


def _consent(c: dict) -> str:
    if not c["date"]:
        return f"<b>{_e(c['program'])}</b>: <span class='alert'>no consent on file.</span>"
    text = f"<b>{_e(c['program'])}</b>: {_e(c['date_label'])}"
    if c["method"]:
        text += f", {_e(c['method'])}"
    if c["obtained_by"]:
        text += f", obtained by {_e(c['obtained_by_label'])}"
    if c["has_document"]:
        text += " (scanned form on file)"
    if c["disclosure_labels"]:
        text += f". Disclosed: {_e('; '.join(c['disclosure_labels']))}"
    if not c["complete"]:
        text += f". <span class='alert'>Incomplete: missing {_e(', '.join(c['missing']))}</span>"
    if c["withdrawn_on"]:
        text += f". <span class='alert'>Withdrawn {_e(c['withdrawn_label'])}</span>"
    return text + "."


def _record(p: dict) -> str:
    """Consent, conditions and the care plan's review: what the claim rests on."""
    html = ["<h3>Consent</h3><p>" + ("<br/>".join(_consent(c) for c in p["consents"])
                                     or "Not enrolled.") + "</p>",
            "<h3>Conditions on file</h3>"]
    if p["conditions"]:
        html.append(_table(
            ["Code", "Description", "Chronic", "Since"],
            [[_e(c["code"]), _e(c["description"]),
              _e(f"yes ({c['category']})" if c["chronic"] else "no"), _e(c["since_label"])]
             for c in p["conditions"]], widths=[10, 52, 25, 13], nowrap={0}))
    else:
        html.append("<p>None recorded.</p>")
    review, plan = p["care_plan"]["last_review"], p["care_plan"]
    if review:
        text = (f"Last reviewed {_e(review['at_label'])} by "
                f"{_e(review['by_label'])}" + (" (substantial revision)"
                                                 if review["substantial"] else "") + ".")
    else:
        text = "No care plan review on file."  # a warning says so where it matters
    if plan["revised_in_month"]:
        text += " Substantially revised this month."
    html.append(f"<h3>Care plan</h3><p>{text}</p>")
    return "".join(html)


def to_html(doc: dict[str, Any]) -> str:
    body = _summary(doc) + "".join(_patient(doc, p) for p in doc["patients"])
    return f"<html><head><style>{_STYLE}</style></head><body>{body}</body></html>"


def font_plan(doc: dict[str, Any]) -> tuple[list[str], set[str]]:
    """The families the PDF uses and the letters of names no font here has (pdf_fonts.py)."""
    _ensure_app()
    from ccm_timer.exports.pdf_fonts import font_plan as plan
    from ccm_timer.paths import resource_root

    return plan(doc, resource_root() / "fonts")


def _font(families: list[str] | None = None) -> Any:
    """A plain sans-serif without ligatures: "ff" stays two letters, so text copied or
    searched in the PDF (and read back by pdftotext) is the text we wrote. `families`: the
    fallbacks, in order, for letters the first lacks (font_plan)."""
    from PySide6.QtGui import QFont

    font = QFont()
    font.setFamilies(families or list(BASE_FAMILIES))
    font.setStyleHint(QFont.StyleHint.SansSerif)
    for tag in ("liga", "clig", "dlig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font


def _no_font_notice(missing: set[str]) -> str:
    scripts = sorted({unicodedata.name(c, "OTHER").split()[0] for c in missing})
    return (f'<p class="banner">Some letters ({_e(", ".join(scripts))} script) have no font on '
            "this computer and print as empty boxes; install a font that has them (for "
            "Chinese, Japanese or Korean names: Noto Sans CJK, on Debian the fonts-noto-cjk "
            "package) and export again.</p>")


def _running_heads(text: Any, body_height: float, doc: dict) -> list[str]:
    """Each page's head: the report, then the patient whose section the page belongs to,
    so a page printed and filed alone still says whose it is."""
    from PySide6.QtGui import QTextFormat

    starts: list[int] = []
    block, layout = text.begin(), text.documentLayout()
    while block.isValid():
        if block.blockFormat().pageBreakPolicy() == (
            QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore
        ):
            starts.append(int((layout.blockBoundingRect(block).top() + 1) // body_height))
        block = block.next()
    month = doc["month_label"] + (" (DRAFT)" if doc["draft"] else "")
    heads = []
    for page in range(text.pageCount()):
        owner = sum(1 for s in starts if s <= page) - 1
        if owner < 0 or owner >= len(doc["patients"]):
            heads.append(f"Care management report: {month}")
        else:
            p = doc["patients"][owner]
            heads.append(f"{isolated(p['name'])}   MRN {p['mrn']}   {month}")
    return heads


def render(doc: dict[str, Any]) -> bytes:
    _ensure_app()
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
    from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))
    writer.setPageMargins(QMarginsF(16, 12, 16, 12), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(f"CCM month report {doc['month']}")  # no patient in the metadata
    writer.setCreator("CCM Timer")
    text = QTextDocument()
    text.documentLayout().setPaintDevice(writer)  # lay out in the PDF's own units
    families, missing = font_plan(doc)
    text.setDefaultFont(_font(families))
    html = to_html(doc)
    if missing:
        html = html.replace("<body>", "<body>" + _no_font_notice(missing), 1)
    text.setHtml(html)
    # As QTextDocument.print_ does: the page is the whole paintable area and the root
    # frame's top and bottom margins repeat on every page, so rows are never cut by a
    # page edge; the running head and the foot go in those margins.
    width, height, band = writer.width(), writer.height(), writer.resolution() * 0.4
    frame = text.rootFrame().frameFormat()
    frame.setMargin(0)
    # Frame margins are scaled from 96 dpi to the device's resolution by the layout.
    frame.setTopMargin(band * 96 / writer.logicalDpiY())
    frame.setBottomMargin(band * 96 / writer.logicalDpiY())
    text.rootFrame().setFrameFormat(frame)
    text.setPageSize(QSizeF(width, height))
    heads = _running_heads(text, height, doc)
    small = _font(families)
    small.setPointSizeF(7.5)
    painter = QPainter(writer)
    try:
        for page, head in enumerate(heads):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * height)
            area = QRectF(0, page * height, width, height)
            painter.setClipRect(area)
            text.drawContents(painter, area)
            painter.restore()
            painter.setFont(small)
            top, foot = QRectF(0, 0, width, band * 0.6), QRectF(0, height - band, width, band)
            painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, head)
            painter.drawLine(0, int(band * 0.5), width, int(band * 0.5))
            painter.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             f"CCM Timer, prepared {doc['generated_label']}")
            painter.drawText(foot, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                             f"Page {page + 1} of {len(heads)}")
    finally:
        painter.end()
    del writer  # finishes the PDF into the buffer
    buffer.close()
    return bytes(data.data())
