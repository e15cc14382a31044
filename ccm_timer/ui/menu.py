"""The tray menu, rebuilt from a TrayStatus every time it opens (never kept in sync by hand).

Every item has a keyboard mnemonic, and the item a nurse most likely wants is the menu's
default (bold): Start when idle, Stop while a timer runs. Below the timer actions come the
windows and the note (overview, Today, copy the last note), then deliveries when there are
any to speak of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget, QWidgetAction

from ccm_timer.core.access import Action, Duty
from ccm_timer.services.timing.recent import RecentPair
from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.presenters.tray_state import TrayState
from ccm_timer.ui.presenters.tray_status import TrayStatus

if TYPE_CHECKING:
    from ccm_timer.ui.sync_runner import SyncLine

LABEL_CHARS = 48
HEADER_STYLE = "color: palette(window-text);"
SYNC_WIDTH = 300  # px: a long delivery sentence wraps instead of widening the menu


class MenuHandler(Protocol):
    def show_start(self) -> None: ...
    def toggle_pause(self) -> None: ...
    def show_stop(self) -> None: ...
    def show_switch(self) -> None: ...
    def start_recent(self, pair: RecentPair) -> None: ...
    def show_signin(self) -> None: ...
    def switch_person(self, person_id: str | None = None) -> None: ...
    def sign_out(self) -> None: ...
    def show_people(self) -> None: ...
    def show_audit(self) -> None: ...
    def show_manual(self) -> None: ...
    def show_settings(self) -> None: ...
    def show_recovery(self) -> None: ...
    def show_overview(self) -> None: ...
    def show_today(self) -> None: ...
    def show_office(self, name: str) -> None: ...
    def copy_last_note(self) -> None: ...
    def sync_now(self) -> None: ...
    def quit(self) -> None: ...


def _elide(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _info(menu: QMenu, text: str) -> QAction:
    action = menu.addAction(_elide(text, 64))
    action.setEnabled(False)
    return action


class Header(QWidget):
    """The state at the top of the menu, in full contrast (a disabled item is grey)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.headline = QLabel(styleSheet=f"{HEADER_STYLE} font-weight: bold;")
        self.subject = QLabel(styleSheet=HEADER_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(2)
        layout.addWidget(self.headline)
        layout.addWidget(self.subject)


def _header(menu: QMenu, status: TrayStatus, elapsed: int) -> Header:
    header = Header(menu)
    header.headline.setText(tray_text.headline(status, elapsed))
    subject = tray_text.subject(status) or status.problem
    header.subject.setText(_elide(subject or "", 64))
    header.subject.setVisible(bool(subject))
    action = QWidgetAction(menu)
    action.setDefaultWidget(header)
    action.setEnabled(False)  # shown, never selected
    menu.addAction(action)
    return header


class SyncInfo(QWidget):
    """The deliveries sentence, wrapped, in full contrast."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.text = QLabel(styleSheet=HEADER_STYLE, wordWrap=True)
        self.text.setFixedWidth(SYNC_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.addWidget(self.text)

    def set_line(self, line: SyncLine) -> None:
        self.text.setText(line.sentence)


def _sync(menu: QMenu, line: SyncLine, handler: MenuHandler) -> SyncInfo:
    info = SyncInfo(menu)
    info.set_line(line)
    action = QWidgetAction(menu)
    action.setDefaultWidget(info)
    action.setEnabled(False)
    menu.addAction(action)
    if line.has_targets:
        _item(menu, "S&ync now", handler.sync_now)
    return info


def _item(menu: QMenu, text: str, slot) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(slot)
    return action


def _person(menu: QMenu, status: TrayStatus, handler: MenuHandler) -> None:
    """Who is signed in, and the switch: open the menu, click a name, type the PIN."""
    _info(menu, tray_text.signed_in(status))
    if status.signer is None:
        menu.setDefaultAction(_item(menu, "Sign &in…", handler.show_signin))
        return
    sub = QMenu("Switch p&erson", menu)
    for choice in status.clinicians:
        if choice.id == str(status.signer.id):
            continue
        running = " (timer running)" if choice.name in status.others_live else ""
        label = f"{choice.name}, {choice.credential}" if choice.credential else choice.name
        action = sub.addAction(f"{label}{running}…")
        action.triggered.connect(lambda _=False, cid=choice.id: handler.switch_person(cid))
    sub.addSeparator()
    sub.addAction("Choose from the list…").triggered.connect(
        lambda _=False: handler.switch_person(None))
    menu.addMenu(sub)
    _item(menu, "Sign o&ut", handler.sign_out)


def _admin(menu: QMenu, status: TrayStatus, handler: MenuHandler) -> None:
    """Shown only to a signed-in administrator."""
    if status.signer is None or Duty.ADMIN not in status.signer.duties:
        return
    menu.addSeparator()
    _item(menu, "&Clinicians and staff…", lambda: handler.show_office("clinicians"))
    _item(menu, "&Manage people and passwords…", handler.show_people)
    _item(menu, "&Audit trail…", handler.show_audit)


def _locked(menu: QMenu, status: TrayStatus, handler: MenuHandler) -> None:
    """While the privacy lock is on: only the way back (the timer keeps running)."""
    menu.addSeparator()
    if status.signer is not None:
        _info(menu, tray_text.signed_in(status))
        menu.setDefaultAction(_item(menu, "&Unlock…", handler.show_signin))
        _item(menu, "Switch p&erson…", lambda: handler.switch_person(None))
    else:
        menu.setDefaultAction(_item(menu, "Sign &in…", handler.show_signin))


def _recent(menu: QMenu, status: TrayStatus, handler: MenuHandler) -> None:
    if not status.recent:
        return
    menu.addSeparator()
    _info(menu, "Switch to a recent one:" if status.live else "Start a recent one:")
    for number, pair in enumerate(status.recent, start=1):
        label = _elide(tray_text.pair_label(pair, status.mask_patients))
        _item(menu, f"&{number}  {label}", lambda _=False, p=pair: handler.start_recent(p))


@dataclass(frozen=True)
class MenuParts:
    """The parts the caller updates while the menu is open: the headline each second, the
    deliveries sentence after an attempt."""

    header: Header
    sync: SyncInfo | None


def build_menu(menu: QMenu, status: TrayStatus, elapsed: int, handler: MenuHandler,
               sync: SyncLine | None = None) -> MenuParts:
    """Replace the menu's items with those for `status` (and `sync`, the deliveries line)."""
    for old in menu.findChildren(QMenu) + menu.findChildren(Header) + menu.findChildren(
            SyncInfo):
        old.deleteLater()  # what the last build made
    menu.clear()
    header = _header(menu, status, elapsed)
    info = None
    if status.state is TrayState.SETUP:
        menu.setDefaultAction(_item(menu, "&Set up CCM Timer…",
                                    lambda: handler.show_office("setup")))
    elif status.locked:
        _locked(menu, status, handler)
    elif status.pending_recovery:
        menu.addSeparator()
        default = _item(menu, "&Decide about the timer left running…", handler.show_recovery)
        menu.setDefaultAction(default)
    else:
        if status.others_live:
            _info(menu, f"Also running: {', '.join(status.others_live)}")
        for line in tray_text.elsewhere(status):  # shown, not stoppable: stopped where it runs
            _info(menu, line)
        _person(menu, status, handler)
        menu.addSeparator()
        office = status.signer is not None and not status.signer.may(Action.TIME)
        if office:
            _info(menu, f"{status.signer.name} does not time (no clinical role)")
        if status.live:
            pause = "&Resume" if status.state is TrayState.PAUSED else "&Pause"
            _item(menu, pause, handler.toggle_pause)
            menu.setDefaultAction(_item(menu, "S&top…", handler.show_stop))
            _item(menu, "S&witch to another patient or activity…", handler.show_switch)
        else:
            start = _item(menu, "&Start timer…", handler.show_start)
            start.setEnabled(not office)
            if status.signer is not None:
                menu.setDefaultAction(start)
        if not office:
            _recent(menu, status, handler)
        menu.addSeparator()
        _item(menu, "Add time by &hand…", handler.show_manual).setEnabled(not office)
        menu.addSeparator()
        _item(menu, "Month &overview…", handler.show_overview)
        _item(menu, "Wor&klist: who needs time…", lambda: handler.show_office("worklist"))
        _item(menu, "To&day's time…", handler.show_today)
        _item(menu, "Copy note for the &last entry", handler.copy_last_note)
        menu.addSeparator()
        _item(menu, "Pat&ients…", lambda: handler.show_office("patients"))
        _item(menu, "E&xport billing files…", lambda: handler.show_office("export"))
        _item(menu, "Month dash&board…", lambda: handler.show_office("dashboard"))
        if sync is not None:
            menu.addSeparator()
            info = _sync(menu, sync, handler)
        _admin(menu, status, handler)
    menu.addSeparator()
    _item(menu, "Setti&ngs…", handler.show_settings)
    _item(menu, "&Quit", handler.quit)
    return MenuParts(header, info)
