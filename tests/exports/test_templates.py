"""Note templates: user overrides, and hostile or broken templates that must fail safely
with one sentence naming the template, where it lives and the line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ccm_timer.exports import templates
from ccm_timer.exports.templates import TemplateProblem, TemplateSource

DATA = {"patient": {"name": "Testpatient, Alma", "mrn": "T1001",
                    "entries": [{"minutes": 12, "note": "call"}, {"minutes": 20, "note": ""}]}}


def render(text: str, data: dict | None = None, budget: float = 0.5) -> str:
    source = TemplateSource(templates.MONTH_SUMMARY, text,
                            Path("/clinic/settings/templates/month-summary.txt"), True)
    return templates.render_source(source, DATA if data is None else data, budget)


def test_a_plain_template_renders_plain_text():
    text = ("{{ patient.name }} ({{ patient.mrn }})   \n\n\n"
            "{% for e in patient.entries %}- {{ e.minutes }} min{{ ': ' ~ e.note if e.note }}\n"
            "{% endfor %}Total {{ patient.entries|sum(attribute='minutes') }} "
            "{{ patient.name.upper() }} {{ 7 % 2 }} {{ [1, 2] + [3] }} {{ 'ab' * 2 }}")
    assert render(text) == ("Testpatient, Alma (T1001)\n\n- 12 min: call\n- 20 min\n"
                            "Total 32 TESTPATIENT, ALMA 1 [1, 2, 3] abab\n")


ESCAPES = {
    "class": ("{{ ''.__class__ }}", "'__class__'"),
    "mro walk": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "'__class__'"),
    "globals via lipsum": ("{{ lipsum.__globals__['os'] }}", "'lipsum' is undefined"),
    "globals via cycler": ("{{ cycler.__init__.__globals__ }}", "'__init__'"),
    "self": ("{{ self.__init__.__globals__ }}", "'__init__'"),
    "loop internals": ("{% for x in [1] %}{{ loop._iterator }}{% endfor %}", "'_iterator'"),
    "format attribute": ("{{ '{0.__class__}'.format(1) }}", "'format'"),
    "format_map": ("{{ '{x.__class__}'.format_map({'x': 1}) }}", "'format_map'"),
    "format filter": ("{{ '%s'|format(1) }}", "No filter named 'format'"),
    "attr filter to format": ("{{ ''|attr('format') }}", "No filter named 'attr'"),
    "percent format width": ("{{ '%0999999999d' % 1 }}", "formatting with %"),
    "huge range": ("{{ range(10**9)|list }}", "range() of 1,000,000,000 items"),
    "string multiplication": ("{{ 'a' * 10**9 }}", "1,000,000,000 characters"),
    "list multiplication": ("{{ [0] * 10**8 }}", "100,000,000 characters"),
    "power": ("{{ 2 ** 1000000 }}", "more than 4096 bits"),
    "concat doubling": ("{% set a = 'x' * 100000 %}{% set b = a ~ a ~ a %}{{ b }}",
                        "300,000 characters"),
    "join blow-up": ("{{ range(10000)|join('x' * 1000) }}", "characters"),
    "indent blow-up": ("{{ ('\\n' * 10000)|indent(10000) }}", "characters"),
    "replace blow-up": ("{{ ('x' * 1000).replace('', 'y' * 1000) }}", "characters"),
    "center width": ("{{ 'x'|center(10**9) }}", "a size of 1,000,000,000"),
    "sum of lists": ("{{ ([range(10000)|list] * 30)|sum(start=[]) }}", "300,000 characters"),
    "namespace state": ("{% set ns = namespace(s='x') %}", "'namespace' is undefined"),
    "mutate data": ("{{ patient.entries.append(1) }}", "'append'"),
    "mutate dict": ("{{ patient.update({'mrn': 1}) }}", "'update'"),
    "deep recursion": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
                       "calls itself too deeply"),
    "mutual recursion": ("{% macro a() %}{{ b() }}{% endmacro %}"
                         "{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
                         "calls itself too deeply"),
    "recursive loop": ("{% for e in patient.entries recursive %}{{ loop(patient.entries) }}"
                       "{% endfor %}", "calls itself too deeply"),
    "quiet nested loops": ("{% for i in range(10000) %}{% for j in range(10000) %}"
                           "{% endfor %}{% endfor %}", "time limit of 0.5 s"),
    "output flood": ("{% for i in range(10000) %}{{ 'x' * 100 }}{% endfor %}",
                     "output passed 200,000 characters"),
    "include": ("{% include 'entry-note.txt' %}", "including, importing or extending"),
    "import": ("{% import 'entry-note.txt' as x %}", "including, importing or extending"),
    "extends": ("{% extends 'entry-note.txt' %}", "including, importing or extending"),
}


@pytest.mark.parametrize("name", ESCAPES)
def test_escape_attempts_fail_safely_with_a_clear_sentence(name):
    text, why = ESCAPES[name]
    began = time.monotonic()
    with pytest.raises(TemplateProblem) as caught:
        render("Summary\n" + text)  # on line 2
    message = str(caught.value)
    assert time.monotonic() - began < 3
    assert message.startswith("The note template month-summary.txt (your copy "
                              "/clinic/settings/templates/month-summary.txt)")
    assert why in message
    assert "line 2" in message or name == "output flood"
    assert message.endswith("fix it or delete that file to use the default.")
    assert message.count("\n") == 0


def test_syntax_and_missing_names_point_at_the_line():
    with pytest.raises(TemplateProblem, match=r"error at line 3: unexpected '}'"):
        render("a\nb\n{{ oops }\n")
    with pytest.raises(TemplateProblem, match=r"line 2: it uses something that does not "
                                              r"exist \('dict object' has no attribute"):
        render("{{ patient.name }}\n{{ patient.nmae }}")


def test_the_users_copy_overrides_the_default(tmp_path: Path):
    folder = tmp_path / "templates"
    data = {"patient": {"name": "Testpatient, Alma"}}
    assert not templates.load(templates.MONTH_SUMMARY, folder).custom
    folder.mkdir()
    (folder / "month-summary.txt").write_text("Mine: {{ patient.name }}\n", encoding="utf-8")
    assert templates.render(templates.MONTH_SUMMARY, data, folder) == "Mine: Testpatient, Alma\n"
    (folder / "month-summary.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(TemplateProblem, match="is not UTF-8 text; save it as UTF-8"):
        templates.render(templates.MONTH_SUMMARY, data, folder)
    (folder / "month-summary.txt").write_text("x" * (templates.MAX_TEMPLATE_BYTES + 1))
    with pytest.raises(TemplateProblem, match="is larger than 64 KiB"):
        templates.render(templates.MONTH_SUMMARY, data, folder)


def test_template_names_are_fixed_by_the_app(tmp_path: Path):
    with pytest.raises(ValueError):
        templates.load("../../etc/passwd", tmp_path)


def test_deep_recursion_fails_cleanly_even_with_a_high_recursion_limit():
    """With a high interpreter limit the C stack would overflow first (a crash): the
    sandbox's own depth limit must stop the template long before."""
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        with pytest.raises(TemplateProblem, match="calls itself too deeply"):
            render("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}")
    finally:
        sys.setrecursionlimit(limit)
    assert render("{% macro f(n) %}{{ f(n - 1) if n else 'done' }}{% endmacro %}"
                  "{{ f(30) }}") == "done\n"


def test_a_failure_leaves_no_tracer_behind():
    import sys

    before = sys.gettrace()
    with pytest.raises(TemplateProblem):
        render("{{ nope }}")
    assert sys.gettrace() is before
