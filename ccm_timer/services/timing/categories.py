"""Activity categories, seeded from resources/categories.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ccm_timer.errors import NotFound, UserError
from ccm_timer.paths import resource
from ccm_timer.services.context import AppContext
from ccm_timer.store.models import Category, Program


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


def get(session: Session, slug: str) -> Category:
    row = session.exec(select(Category).where(Category.slug == slug)).first()
    if row is None or not row.active:
        raise NotFound(
            f"There is no activity category {slug!r}; see `ccm-timer category list`."
        )
    return row
