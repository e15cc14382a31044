"""Issue 13, defect 11: a note template could hang the export past its 2 s budget (values
nested through shared references, work in C the template's clock never sees) and a
timed-out render printed "Exception ignored in generator". The sandbox bounds what a
template builds; a user's template renders in a worker process killed at the deadline."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccm_timer.exports import templates
from ccm_timer.exports.templates import TemplateProblem, TemplateSource
from ccm_timer.services.exports import render_worker
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.keyring import KEYRING_ENV

NESTED = "{% set a=[1]*10000 %}{% set b=[a]*10000 %}{% set c=[b]*10000 %}{{ c }}"
# Each element goes through 100 filters in library frames, inside one C-level `in`: about
# 90 s of work the template's own clock never gets to check.
UNTRACED = "{{ -1 in ((range(10000)|list) * 20)" + "|map('abs')" * 100 + " }}\n"


def _source(text: str) -> TemplateSource:
    return TemplateSource(templates.MONTH_SUMMARY, text,
                          Path("/clinic/settings/templates/month-summary.txt"), True)


def _override(folder: Path, text: str) -> Path:
    (folder / "templates").mkdir(exist_ok=True)
    path = folder / "templates" / templates.MONTH_SUMMARY
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.timeout(60, method="thread")  # on the unbounded sandbox str(c) never returns
def test_values_nested_through_shared_references_are_refused_as_they_are_built():
    cases = {
        NESTED: "100,000,000 characters or items",
        "{% set a=[1]*10000 %}{% set b=[a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a] %}{{ b }}":
            "210,000 characters or items",
        "{% set a='x'*100000 %}{% set s %}{% for i in range(3) %}{{ a }}{% endfor %}"
        "{% endset %}{{ s|length }}": "300,000 characters or items",
        "{{ range(10000)|map('center', 1000)|list|length }}": "201,000 characters or items",
        "{% set a='x'*100000 %}{{ {'k': [a, a, a]} }}": "300,000 characters or items",
    }
    for text, why in cases.items():
        began = time.monotonic()
        with pytest.raises(TemplateProblem, match="failed at line 1: it is too big") as caught:
            templates.render_source(_source(text), {}, 2.0)
        assert why in str(caught.value), text
        assert time.monotonic() - began < 1.5, text


def test_a_timed_out_render_leaves_no_exception_for_the_collector(monkeypatch):
    """The old render left Jinja's generator suspended past its deadline: collecting it
    raised the timeout again where no one could catch it."""
    import gc

    ignored: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook",
                        lambda hook: ignored.append(f"{hook.exc_type.__name__} {hook.object}"))
    slow = "{{ -1 in ((range(10000)|list) * 20)|map('abs')|map('abs') }}{{ 'more' }}"
    with pytest.raises(TemplateProblem, match="ran past its time limit of 0.1 s"):
        templates.render_source(_source(slow), {}, 0.1)
    gc.collect()
    assert ignored == []


def test_the_shipped_templates_render_here_and_a_users_copy_in_the_worker(tmp_path: Path):
    """A note from the tray pays no process start unless the user overrode the template."""
    data = {"month_label": "November 2026", "patient": {"name": "Testpatient, Alma"}}
    shipped = templates.load(templates.MONTH_SUMMARY, tmp_path / "templates")
    assert not render_worker.needs_worker(shipped)
    text = "Mine: {{ patient.name }} {{ month_label }}\n{{ [1, 2] * 2 }}\n"
    path = _override(tmp_path, text)
    assert render_worker.needs_worker(templates.load(templates.MONTH_SUMMARY,
                                                     tmp_path / "templates"))
    out = render_worker.render_notes(templates.MONTH_SUMMARY, [data, data],
                                     tmp_path / "templates")
    assert out == [templates.render_source(_source(text), data)] * 2
    assert out[0] == "Mine: Testpatient, Alma November 2026\n[1, 2, 1, 2]\n"
    path.write_text("{{ nope }}\n", encoding="utf-8")
    with pytest.raises(TemplateProblem) as caught:  # the worker's sentence, as is
        render_worker.render_note(templates.MONTH_SUMMARY, data, tmp_path / "templates")
    assert str(caught.value) == (
        f"The note template month-summary.txt (your copy {path}) failed at line 1: it uses "
        "something that does not exist ('nope' is undefined); fix it or delete that file "
        "to use the default.")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.timeout(60, method="thread")
def test_a_users_template_that_overruns_in_c_is_killed_at_the_budget(tmp_path: Path):
    path = _override(tmp_path, UNTRACED)
    with render_worker.Worker() as worker:  # started outside the measured time
        began = time.monotonic()
        with pytest.raises(TemplateProblem) as caught:
            worker.render(templates.load(templates.MONTH_SUMMARY, tmp_path / "templates"),
                          {}, 2.0)
        took = time.monotonic() - began
    assert str(caught.value) == (
        f"The note template month-summary.txt (your copy {path}) took longer than 2 s to "
        f"render and was stopped; fix or remove the override at {path}.")
    assert 2.0 <= took < 2.0 + render_worker.GRACE_SECONDS + 1.5


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is Linux's")
def test_the_worker_runs_with_its_address_space_capped():
    import resource

    with render_worker.Worker() as worker:
        soft, _ = worker.call(resource.getrlimit, resource.RLIMIT_AS, timeout=30)
        assert soft == render_worker.MEMORY_CAP
        # Past the cap an allocation fails in the worker, not in this process.
        with pytest.raises(MemoryError):
            worker.call(bytearray, 2 * render_worker.MEMORY_CAP, timeout=30)
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != render_worker.MEMORY_CAP


def _export(home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_HOME"}
    env.update(KEYRING_ENV, CCM_TIMER_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "ccm_timer", "export", "--month", "2026-11", "--format",
         "ehr-text", "--draft", "--out", str(home / "notes.txt")],
        capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(("text", "why"), [
    (NESTED, "failed at line 1: it is too big: it would build a value of 100,000,000 "
             "characters or items (at most 200,000); fix it or delete that file"),
    (UNTRACED, "took longer than 2 s to render and was stopped; fix or remove the override"),
])
def test_the_command_line_says_one_sentence_and_no_traceback(home: Path, text: str, why: str):
    setup_clinic(home)
    path = _override(home, text)
    began = time.monotonic()
    done = _export(home)
    assert time.monotonic() - began < 30
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert done.stderr.startswith(f"ccm-timer: The note template month-summary.txt (your copy "
                                  f"{path}) ")
    assert why in done.stderr and done.stderr.count("\n") == 1
    assert not (home / "notes.txt").exists()
    assert not list(home.glob("**/*.partial")) and not list(home.glob("**/.ccm-*"))
    path.unlink()  # the default template works again at once
    assert _export(home).returncode == 0
    assert "Testpatient, Alma" in (home / "notes.txt").read_text(encoding="utf-8")
