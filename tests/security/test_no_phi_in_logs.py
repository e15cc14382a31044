"""Issue 13, defect 14: SQLAlchemy's errors carried their bound parameters (a note's text)
into messages and tray.log. Every engine now hides them, and the tray's log writes an
exception as its types and lines, never its text."""

from __future__ import annotations

import logging
import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ccm_timer.services.delivery import hub
from ccm_timer.services.timing import entries
from ccm_timer.ui import launch
from tests.fixtures.clinic import corrector
from tests.fixtures.delivery import HUB_PASSWORD

MARKER = "PHI-MARKER-Testpatient-Alma-T1001"


def _refused_update(ctx) -> IntegrityError:
    """A real database error with the note as a bound parameter: writing to an entry version
    that an edit superseded (a trigger refuses it)."""
    start = ctx.now() - timedelta(hours=1)
    first = entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call",
                               start=start, end=start + timedelta(minutes=5), note="call")
    entries.edit(ctx, str(first.id), reason="wording", note="call back", by=corrector(ctx))
    with pytest.raises(IntegrityError) as caught, ctx.write() as session:
        session.execute(text("UPDATE time_entry SET note = :note WHERE id = :id"),
                        {"note": f"{MARKER} wants a call back", "id": first.id.hex})
    return caught.value


def test_a_database_error_names_the_statement_never_the_note(clinic):
    error = _refused_update(clinic)
    message = str(error)
    assert "a superseded entry version cannot change" in message
    assert "UPDATE time_entry SET note" in message  # the statement, to find the bug
    assert MARKER not in message
    assert "parameters hidden" in message
    assert clinic.engine.hide_parameters


@pytest.fixture
def tray_log(tmp_path: Path):
    logs = tmp_path / "logs"
    logger = logging.getLogger("ccm_timer.tray")
    before = list(logger.handlers)
    launch._setup_logging(logs)
    yield logger, logs / "tray.log"
    for handler in logger.handlers[len(before):]:
        handler.close()
        logger.removeHandler(handler)


def test_the_tray_log_keeps_where_an_error_was_never_its_text(clinic, tray_log):
    log, path = tray_log
    error = _refused_update(clinic)
    log.error("unexpected error", exc_info=(type(error), error, error.__traceback__))
    try:
        try:
            {}[MARKER]  # a library's error that quotes the data it was given
        except KeyError as exc:
            raise ValueError(f"no such patient {MARKER}") from exc
    except ValueError:
        log.exception("delivery pass failed")  # how the sync thread logs
    try:
        open(Path("/nonexistent") / MARKER)  # noqa: SIM115 - raises
    except OSError:
        log.exception("export failed")
    for handler in log.handlers:
        handler.flush()
    written = path.read_text(encoding="utf-8")
    assert MARKER not in written
    assert "sqlalchemy.exc.IntegrityError" in written
    assert "builtins.KeyError" in written and "builtins.ValueError" in written
    assert "builtins.FileNotFoundError [Errno 2]" in written
    assert f'File "{__file__}"' in written  # where it happened is still there
    assert re.search(r"^(?!sqlalchemy)\S+\.IntegrityError$", written, re.M)  # the driver's
    # SQLAlchemy's error and the driver's under it, the KeyError and its ValueError, the OSError
    assert written.count("Traceback (most recent call last):") == 5


def test_the_hub_engine_hides_its_parameters_and_its_errors_say_no_data(hub_url):
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert engine.hide_parameters
        with pytest.raises(Exception) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO patient (id, mrn, family_name, given_name, active) "
                              "VALUES (:id, :mrn, :name, :name, true)"),
                         {"id": "not-a-uuid", "mrn": "T1001", "name": MARKER})
        assert "parameters hidden" in str(caught.value)
        assert f"'{MARKER}'" not in str(caught.value)  # never as a bound parameter
        # What a person sees of a hub error is its plain sentence.
        bad = {"patient": [{"id": "not-a-uuid", "mrn": "T1001", "family_name": MARKER,
                            "given_name": MARKER, "active": True}]}
        with pytest.raises(hub.HubError) as refused:
            hub.merge_into(engine, bad)
        assert MARKER not in str(refused.value)
        assert refused.value.__cause__ is None and refused.value.__suppress_context__
    finally:
        engine.dispose()


def test_no_log_call_formats_a_note_a_name_or_an_mrn():
    """Every logger call in the package, read as source: its arguments are counts, kinds,
    times or our own sentences about files and locks, never a row's data."""
    import ast

    root = Path(launch.__file__).resolve().parents[1]
    data_words = ("note", "name", "mrn", "patient", "given", "family", "reason", "label")
    calls = []
    for source in sorted(root.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("log", "logger")
                    and node.func.attr in ("debug", "info", "warning", "error", "exception",
                                           "critical")):
                calls.append(source.name)
                for arg in node.args[1:]:
                    # The class of an exception is a kind: `type(exc).__name__` is no name.
                    words = re.sub(r"type\([\w.]*\)\.__name__", "type",
                                   ast.unparse(arg)).lower()
                    assert not any(w in words for w in data_words), (source, words)
    assert len(calls) >= 10, calls  # the walk found the log calls


if sys.platform == "win32":  # the permissions of the log are tests/security/test_permissions
    pytestmark = pytest.mark.skip(reason="POSIX paths in the OSError case")
