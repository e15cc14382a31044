"""A service's message in the words of the window it is shown in.

Services speak to both the command line and the tray, and some of their sentences end with
what to type (`--as NAME`, `ccm-timer unlock …`, an environment variable). A window shows
the same sentence with the tail the app's own controls give: the command line keeps its
text, the tray says what to click. An error may also carry its own window sentence
(`in_app`, e.g. entry_checks.Overlap, which leaves out the entry's id).
"""

from __future__ import annotations

import re

# (what the command line says, what a window says instead); checked in order.
_TAILS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words) for pattern, words in (
        (r";? ?on the command line pass --as NAME and type it when asked\.",
         "; they are asked for it when they do it."),
        (r": pass --as with an administrator's name and type their password when asked\.",
         ": an administrator signs in at the tray (Switch person) to do it."),
        (r"; pass --as with the practitioner's name\.",
         "; the practitioner signs in at the tray (Switch person) to set it."),
        (r"; pass --as \"([^\"]+)\"\.", r"; \1 signs in at the tray (Switch person) to set it."),
        (r"; pass --as with one's name\.", "; they sign in at the tray (Switch person) to do it."),
        (r"pass --as NAME and type it when asked, or export a draft with --draft\.",
         "the exporter gives it when asked, or export a draft."),
        (r" \(`ccm-timer clinician set-password [^`]*`, or the tray's sign-in\)",
         " at the tray's sign-in"),
        (r"record the item again with --as that practitioner",
         "record the item again as that practitioner"),
        (r"check CCM_TIMER_PASSPHRASE or type it again", "type it again"),
        (r"; set CCM_TIMER_PASSPHRASE or start the tray app to type it\.",
         "; type it to open CCM Timer."),
        (r"(?:;|,) ?or set CCM_TIMER_PASSPHRASE to use a passphrase instead\.",
         ", or choose a passphrase instead."),
        (r"; set CCM_TIMER_PASSPHRASE to use a passphrase instead\.",
         "; choose a passphrase instead."),
        (r"Set CCM_TIMER_PASSPHRASE to protect it with a passphrase instead, or run "
         r"`ccm-timer encrypt --off` to keep this data folder unencrypted on purpose\.",
         "Choose a passphrase to protect it instead."),
        (r"(?:,|;) ?or run `ccm-timer unlock --recovery-key` where one is\.",
         ", or open it with the recovery key you wrote down (ask an administrator)."),
        (r"run `ccm-timer unlock --recovery-key` (?:and type|with) the recovery key you "
         r"wrote down\.", "open it with the recovery key you wrote down (ask an "
         "administrator)."),
        (r"; choose another with --data-dir or CCM_TIMER_HOME\.",
         "; make sure it can be written to, or ask your administrator."),
        (r"; correct it with `ccm-timer entry edit`\.", "; correct it from the Today window."),
        (r"Nothing to change: give a new --start, --end, --note, --patient, --category or "
         r"--clinician\.", "Nothing to change: change a time, the note, the patient or the "
         "activity first."),
        (r"A reason is required: say why with --reason\.",
         "A reason is required: say why it is changed."),
        # A person chosen in a window is sent by id: never show the id itself.
        (r"There is no clinician '[0-9a-f]{8}-[0-9a-f-]{27}'; see `ccm-timer clinician "
         r"list`\.", "That person is no longer active; choose someone else."),
        (r"; see `ccm-timer clinician list`\.", "; see the Clinicians and staff window."),
        (r"add the patient with `ccm-timer patient add`",
         "add the patient in the Patients window"),
    ))


def in_app(text: str) -> str:
    """`text` with the command line's instructions replaced by the app's."""
    for pattern, words in _TAILS:
        text = pattern.sub(words, text)
    return text


def error_text(exc: BaseException) -> str:
    """What a window says for a refused or failed action."""
    own = getattr(exc, "in_app", None)
    return own if isinstance(own, str) and own else in_app(str(exc))
