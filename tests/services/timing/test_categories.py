"""Activity categories: every program has its staff's activities (a phone call for each),
new ones reach existing databases at the next open without touching what a clinic changed,
and activities follow a patient's programs (ordering, and the not-enrolled warning)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from ccm_timer.services.context import open_app
from ccm_timer.services.people import patients
from ccm_timer.services.timing import categories
from ccm_timer.services.timing.categories import CategoryView
from ccm_timer.store.models import Category, Program
from tests.fixtures.clinic import log


def test_every_program_has_a_phone_call_and_activities_of_its_own(clinic):
    found = categories.list_categories(clinic)
    by_program: dict[str | None, list[str]] = {}
    for c in found:
        by_program.setdefault(c.program, []).append(c.label)
    assert set(by_program) == {p.value for p in Program} | {None}
    for program in Program:
        labels = by_program[program.value]
        assert any("call" in label.lower() for label in labels), program
        assert len(labels) >= 2, program
    assert len({c.slug for c in found}) == len(found)


def test_new_categories_reach_an_older_database_and_edits_stay(home, clock):
    ctx = open_app(str(home), clock=clock)
    with ctx.write() as session:  # as a database seeded before issue 17 looks, then edited
        for row in session.exec(select(Category).where(Category.slug.in_(  # type: ignore
                ["rpm-phone-call", "pcm-phone-call"]))):
            session.delete(row)
        phone = session.exec(select(Category).where(Category.slug == "phone-call")).one()
        phone.label = "Telephone outreach (our wording)"
        quiet = session.exec(select(Category).where(Category.slug == "quality-improvement")
                             ).one()
        quiet.active = False
    ctx.close()
    ctx = open_app(str(home), clock=clock)  # the seed runs at every open
    try:
        slugs = {c.slug: c for c in categories.list_categories(ctx)}
        assert slugs["rpm-phone-call"].program == "RPM" and "pcm-phone-call" in slugs
        assert slugs["phone-call"].label == "Telephone outreach (our wording)"
        assert "quality-improvement" not in slugs  # retired by the clinic: not brought back
        assert categories.seed(ctx) == 0
    finally:
        ctx.close()


def _cat(slug: str, program: str | None) -> CategoryView:
    return CategoryView(slug, slug, program)


def test_the_patients_programs_come_first_in_the_clinics_order():
    found = [_cat("call", "CCM"), _cat("meeting", None), _cat("rpm", "RPM"),
             _cat("bhi", "BHI"), _cat("rpm-call", "RPM")]
    own, rest = categories.for_programs(found, ("RPM", "BHI"))
    assert [c.slug for c in own] == ["rpm", "bhi", "rpm-call"]
    assert [c.slug for c in rest] == ["call", "meeting"]  # program-level is never theirs
    assert categories.for_programs(found, ()) == ([], found)


def test_the_not_enrolled_warning_in_plain_words():
    assert categories.not_enrolled("RPM", ("RPM",)) is None
    assert categories.not_enrolled(None, ()) is None  # program-level time
    assert categories.not_enrolled("CCM", ("RPM",)) == (
        "This patient is enrolled in RPM, not CCM, so this time would count toward no bill.")
    assert categories.not_enrolled("CPO_HOSPICE", ("PCM", "BHI")) == (
        "This patient is enrolled in BHI and PCM, not hospice CPO, so this time would count "
        "toward no bill.")
    assert categories.not_enrolled("BHI", ()) == (
        "This patient is not enrolled in any program, so BHI time for them would count "
        "toward no bill.")


def test_an_entry_is_judged_on_the_programs_of_its_own_day(nov):
    clinic = nov
    assert categories.patient_programs(clinic, "T1003", date(2026, 11, 3)) == ("RPM",)
    wrong = log(clinic, "T1003", 10, day=2)  # the CCM phone call of the issue
    right = log(clinic, "T1003", 10, day=2, hour=16, category="rpm-phone-call")
    assert categories.entry_warning(clinic, right.id) is None
    assert categories.entry_warning(clinic, wrong.id) == categories.not_enrolled(
        "CCM", ("RPM",))
    patients.withdraw_consent(clinic, "T1001", "CCM", date(2026, 11, 3), "moved away")
    before = log(clinic, "T1001", 10, day=2, hour=18)
    after = log(clinic, "T1001", 10, day=4)
    assert categories.entry_warning(clinic, before.id) is None  # enrolled that day
    assert categories.entry_warning(clinic, after.id) == categories.not_enrolled("CCM", ())
