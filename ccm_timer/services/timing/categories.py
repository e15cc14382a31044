"""Activity categories, seeded from resources/categories.toml, and how they follow a
patient's programs: the patient's own activities first, and a warning for time on a program
the patient is not enrolled in (it would count toward no bill)."""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ccm_timer.errors import NotFound, UserError
from ccm_timer.paths import resource
from ccm_timer.services.context import AppContext
from ccm_timer.store.models import Category, Interval, Program, TimeEntry


@dataclass(frozen=True)
class CategoryView:
    slug: str
    label: str
    program: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"slug": self.slug, "label": self.label, "program": self.program}


def _view(row: Category) -> CategoryView:
    return CategoryView(row.slug, row.label, row.program.value if row.program else None)


def load_seed() -> list[dict]:
    path = resource("categories.toml")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))["category"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise UserError(
            f"The category file {path} is missing or broken ({exc}); reinstall."
        ) from exc


def seed(ctx: AppContext) -> int:
    """Add seed categories missing by slug; existing ones are never changed. Returns added."""
    seeds = load_seed()
    with ctx.read() as session:
        known = set(session.exec(select(Category.slug)))
    missing = [s for s in seeds if s["slug"] not in known]
    if not missing:
        return 0
    order = {s["slug"]: i for i, s in enumerate(seeds)}
    with ctx.write() as session:
        known = set(session.exec(select(Category.slug)))  # another process may have seeded
        for item in missing:
            if item["slug"] in known:
                continue
            program = Program(item["program"]) if item.get("program") else None
            session.add(
                Category(
                    slug=item["slug"],
                    label=item["label"],
                    program=program,
                    sort_order=order[item["slug"]],
                )
            )
    return len(missing)


def list_categories(ctx: AppContext) -> list[CategoryView]:
    with ctx.read() as session:
        rows = session.exec(
            select(Category).where(Category.active).order_by(col(Category.sort_order))
        )
        return [_view(r) for r in rows]


def for_programs(found: Sequence[CategoryView], programs: Collection[str]
                 ) -> tuple[list[CategoryView], list[CategoryView]]:
    """(the activities of `programs`, the rest), each in the clinic's order. Program-level
    activities take no patient, so they are never a patient's own."""
    own = [c for c in found if c.program is not None and c.program in programs]
    return own, [c for c in found if c not in own]


def program_words(program: str) -> str:
    """A program as staff say it: CPO_HOME_HEALTH is "home health CPO"."""
    return {"CPO_HOME_HEALTH": "home health CPO", "CPO_HOSPICE": "hospice CPO",
            "COCM": "CoCM"}.get(program, program)


def not_enrolled(program: str | None, programs: Collection[str]) -> str | None:
    """The warning for time toward `program` on a patient enrolled in `programs` (on the
    day of the time), or None when it fits (or is program-level, without a patient)."""
    if program is None or program in programs:
        return None
    wanted = program_words(program)
    if not programs:
        return (f"This patient is not enrolled in any program, so {wanted} time for them "
                "would count toward no bill.")
    theirs = " and ".join(program_words(p) for p in sorted(programs))
    return (f"This patient is enrolled in {theirs}, not {wanted}, so this time would count "
            "toward no bill.")


def programs_on(session: Session, patient_id: uuid.UUID, day: date) -> tuple[str, ...]:
    """The programs a patient is enrolled in on `day` (the clinic's date)."""
    from ccm_timer.core.enrolment import enrolled_on
    from ccm_timer.services.people import enrollments

    return tuple(e.program.value for e in enrollments.for_patient(session, patient_id)
                 if enrolled_on(e.withdrawn_on, e.end_date, day))


def patient_programs(ctx: AppContext, mrn: str, day: date) -> tuple[str, ...]:
    """programs_on for the patient with `mrn`."""
    from ccm_timer.services.people import patients

    with ctx.read() as session:
        return programs_on(session, patients.find(session, mrn).id, day)


def entry_warning(ctx: AppContext, entry_id: uuid.UUID) -> str | None:
    """not_enrolled for an entry as recorded (its patient, program and first day): what the
    command line says on standard error after a start, an entry or a correction."""
    with ctx.read() as session:
        entry = session.get(TimeEntry, entry_id)
        if entry is None or entry.patient_id is None or entry.program is None:
            return None
        first = session.exec(select(Interval.start_utc).where(Interval.entry_id == entry.id)
                             .order_by(col(Interval.start_utc))).first()
        day = (first or ctx.now()).astimezone(ctx.zone).date()
        return not_enrolled(entry.program.value, programs_on(session, entry.patient_id, day))


def get(session: Session, slug: str) -> Category:
    row = session.exec(select(Category).where(Category.slug == slug)).first()
    if row is None or not row.active:
        raise NotFound(
            f"There is no activity category {slug!r}; see `ccm-timer category list`."
        )
    return row
