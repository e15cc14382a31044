"""Errors a person can act on. Their message is one sentence saying what to do; the CLI
prints it and exits non-zero, the tray shows it in a dialog."""


class UserError(Exception):
    """Bad input or a refused action; nothing was changed."""


class NotFound(UserError):
    """A patient, clinician, category or entry that does not exist."""
