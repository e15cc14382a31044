"""Build a `RuleSet` from a plain dict (what tomllib returns for a rules file).

Validation is strict and names the offending key, because a typo in a rules file would
otherwise silently change what gets billed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from ccm_timer.core.billing.eligibility import parse_eligibility
from ccm_timer.core.billing.rules import (
    FLAGS,
    CodeRule,
    Confidence,
    RulesError,
    RuleSet,
    TimeBasis,
    Track,
)

SCHEMA = 1
__all__ = ["SCHEMA", "RulesError", "parse_rules"]
E = TypeVar("E", TimeBasis, Confidence)
_CODE_KEYS = frozenset(
    {
        "name", "program", "track", "time", "threshold_minutes", "addon", "addon_to",
        "increment_minutes", "max_units", "only_below_minutes", "requires", "hold_unless",
        "not_with", "payment_usd", "payment_source", "payment_confidence", "confidence",
        "note", "edit_units", "also_addon_to", "monthly", "chronic_conditions_min",
        "chronic_conditions_max", "qmb", "first_month", "billed_with", "work_program",
        "work_minutes", "mirrors",
    }
)
# Keys of the rule kinds without minutes, and who may carry them.
_MONTHLY_ONLY = ("chronic_conditions_min", "chronic_conditions_max", "qmb")
_ADDON_OF_MONTH_ONLY = ("work_program", "work_minutes", "mirrors")
_TOP_KEYS = frozenset(
    {
        "schema", "year", "conversion_factor_usd", "conversion_factor_source", "programs",
        "flags", "codes", "source", "note", "eligibility",
    }
)


def _str(d: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise RulesError(f"{where}.{key}: must be a non-empty string")
    return value


def _opt_int(d: Mapping[str, Any], key: str, where: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RulesError(f"{where}.{key}: must be a positive whole number")
    return value


def _str_list(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"{where}.{key}: must be a list of strings")
    return tuple(value)


def _opt_count(d: Mapping[str, Any], key: str, where: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RulesError(f"{where}.{key}: must be a whole number, 0 or more")
    return value


def _bool(d: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = d.get(key)
    if value is not None and not isinstance(value, bool):
        raise RulesError(f"{where}.{key}: must be true or false")
    return value


def _flags(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    flags = _str_list(d, key, where)
    for flag in flags:
        if flag not in FLAGS:
            raise RulesError(f"{where}.{key}: unknown month flag {flag!r}; known: {FLAGS}")
    return flags


def _enum(kind: type[E], d: Mapping[str, Any], key: str, where: str) -> E:
    value = d.get(key)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in kind)
        raise RulesError(f"{where}.{key}: must be one of {allowed}, not {value!r}") from None


def _code(code: str, d: Any, programs: tuple[str, ...]) -> tuple[CodeRule, str | None]:
    where = f"codes.{code}"
    if not isinstance(d, Mapping):
        raise RulesError(f"{where}: must be a table")
    unknown = set(d) - _CODE_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {sorted(unknown)}")
    program = _str(d, "program", where)
    if program not in programs:
        raise RulesError(f"{where}.program: {program!r} is not in the top-level programs list")
    payment = d.get("payment_usd")
    if isinstance(payment, bool) or not isinstance(payment, int | float) or payment < 0:
        raise RulesError(f"{where}.payment_usd: must be a number of dollars, 0 or more")
    rule = CodeRule(
        code=code,
        name=_str(d, "name", where),
        program=program,
        time=_enum(TimeBasis, d, "time", where),
        threshold_minutes=_opt_int(d, "threshold_minutes", where),
        addon=d.get("addon"),
        addon_to=d.get("addon_to"),
        increment_minutes=_opt_int(d, "increment_minutes", where),
        max_units=_opt_int(d, "max_units", where),
        only_below_minutes=_opt_int(d, "only_below_minutes", where),
        requires=_flags(d, "requires", where),
        hold_unless=_flags(d, "hold_unless", where),
        not_with=_str_list(d, "not_with", where),
        payment_usd=float(payment),
        payment_source=_str(d, "payment_source", where),
        payment_confidence=_enum(Confidence, d, "payment_confidence", where),
        confidence=_enum(Confidence, d, "confidence", where),
        note=_str(d, "note", where, default=""),
        edit_units=_opt_int(d, "edit_units", where),
        also_addon_to=_str_list(d, "also_addon_to", where),
        monthly=bool(_bool(d, "monthly", where)),
        chronic_conditions_min=_opt_count(d, "chronic_conditions_min", where),
        chronic_conditions_max=_opt_count(d, "chronic_conditions_max", where),
        qmb=bool(_bool(d, "qmb", where)),
        first_month=_bool(d, "first_month", where),
        billed_with=_str_list(d, "billed_with", where),
        work_program=d.get("work_program"),
        work_minutes=_opt_int(d, "work_minutes", where),
        mirrors=d.get("mirrors"),
    )
    track = d.get("track")
    _check_kind(rule, track, where, programs)
    return rule, track


def _check_kind(rule: CodeRule, track: Any, where: str, programs: tuple[str, ...]) -> None:
    """Each kind of code takes its own keys: a time base code, a time add-on, a monthly
    code (no minutes) or an add-on to a monthly code (billed_with)."""
    if rule.edit_units is not None and rule.addon_to is None and not rule.billed_with and (
            not rule.monthly):
        raise RulesError(f"{where}.edit_units: a base code earns one unit; put it on the add-on")
    if rule.edit_units is not None and rule.max_units is not None and (
            rule.edit_units >= rule.max_units):
        raise RulesError(f"{where}.edit_units: a payer edit must be below max_units "
                         f"({rule.max_units}), or it never warns")
    if rule.billed_with:
        _check_addon_of_month(rule, track, where, programs)
        return
    if any(getattr(rule, key) not in (None, False) for key in _ADDON_OF_MONTH_ONLY):
        raise RulesError(f"{where}: work_program, work_minutes and mirrors belong to an "
                         "add-on with billed_with")
    if not rule.monthly and any(getattr(rule, key) not in (None, False)
                                for key in _MONTHLY_ONLY):
        raise RulesError(f"{where}: chronic_conditions_min/max and qmb need monthly = true")
    if rule.monthly:
        if rule.threshold_minutes is not None or rule.addon or rule.addon_to or (
                rule.increment_minutes is not None or rule.only_below_minutes is not None):
            raise RulesError(f"{where}.monthly: a monthly code has no minutes and no add-on")
        if rule.max_units not in (None, 1) or rule.edit_units is not None:
            raise RulesError(f"{where}.max_units: a monthly code is billed once a month")
        if not isinstance(track, str) or not track:
            raise RulesError(f"{where}.track: a monthly code must name its track")
        low, high = rule.chronic_conditions_min, rule.chronic_conditions_max
        if low is not None and high is not None and low > high:
            raise RulesError(f"{where}: chronic_conditions_min is above chronic_conditions_max")
        return
    if rule.addon_to is None:
        if rule.threshold_minutes is None:
            raise RulesError(f"{where}.threshold_minutes: a base code needs its first threshold")
        if rule.increment_minutes is not None:
            raise RulesError(f"{where}.increment_minutes: only add-on codes have an increment")
        if rule.max_units not in (None, 1):
            raise RulesError(f"{where}.max_units: a base code earns one unit; use an add-on")
        if not isinstance(track, str) or not track:
            raise RulesError(f"{where}.track: a base code must name its track")
    else:
        if rule.increment_minutes is None:
            raise RulesError(f"{where}.increment_minutes: an add-on needs its increment")
        if rule.threshold_minutes is not None or rule.addon is not None or track is not None:
            raise RulesError(f"{where}: an add-on takes addon_to and increment_minutes only")
        if rule.only_below_minutes is not None:
            raise RulesError(f"{where}.only_below_minutes: only base codes can have it")
        if rule.first_month is not None:
            raise RulesError(f"{where}.first_month: an add-on follows its base's month")
    if rule.also_addon_to and rule.addon_to is None:
        raise RulesError(f"{where}.also_addon_to: only an add-on (with addon_to) has more bases")


def _check_addon_of_month(rule: CodeRule, track: Any, where: str,
                          programs: tuple[str, ...]) -> None:
    if track is not None or rule.threshold_minutes is not None or rule.addon or (
            rule.addon_to or rule.increment_minutes is not None or rule.monthly
            or rule.only_below_minutes is not None or rule.also_addon_to):
        raise RulesError(f"{where}.billed_with: an add-on to a monthly code takes no track, "
                         "minutes or add-on of its own")
    if any(getattr(rule, key) not in (None, False) for key in _MONTHLY_ONLY):
        raise RulesError(f"{where}: chronic_conditions_min/max and qmb need monthly = true")
    if rule.work_program not in programs:
        raise RulesError(f"{where}.work_program: must name a program of the top-level list, "
                         f"not {rule.work_program!r}")
    if rule.mirrors is not None and (not isinstance(rule.mirrors, str) or not rule.mirrors):
        raise RulesError(f"{where}.mirrors: must be a code")
    if rule.max_units not in (None, 1) or rule.edit_units is not None:
        raise RulesError(f"{where}.max_units: an add-on to a monthly code is billed once")


def parse_rules(data: Mapping[str, Any], source: str = "") -> RuleSet:
    """Validate a rules dict and index it for the engine."""
    if not isinstance(data, Mapping):
        raise RulesError("rules: must be a table")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise RulesError(f"rules: unknown top-level key(s) {sorted(unknown)}")
    if data.get("schema") != SCHEMA:
        raise RulesError(f"schema: this version reads schema {SCHEMA}, not {data.get('schema')!r}")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2200:
        raise RulesError("year: must be a calendar year such as 2025")
    cf = data.get("conversion_factor_usd")
    if isinstance(cf, bool) or not isinstance(cf, int | float) or cf <= 0:
        raise RulesError("conversion_factor_usd: must be a positive number")
    programs = _str_list(data, "programs", "rules")
    if not programs or len(set(programs)) != len(programs):
        raise RulesError("programs: must list each program once")
    raw_flags = data.get("flags", {})
    if not isinstance(raw_flags, Mapping) or any(
        f not in FLAGS or not isinstance(t, str) for f, t in raw_flags.items()
    ):
        raise RulesError(f"flags: must map month flags {FLAGS} to descriptions")
    raw_codes = data.get("codes")
    if not isinstance(raw_codes, Mapping) or not raw_codes:
        raise RulesError("codes: must be a non-empty table of code tables")

    codes: dict[str, CodeRule] = {}
    track_names: dict[str, str] = {}
    for code, body in raw_codes.items():
        rule, track = _code(str(code), body, programs)
        codes[rule.code] = rule
        if track is not None:
            if track in track_names.values():
                raise RulesError(f"codes.{code}.track: track {track!r} is named twice")
            track_names[rule.code] = track

    tracks: dict[str, list[Track]] = {p: [] for p in programs}
    monthly_addons: list[CodeRule] = []
    for rule in codes.values():
        where = f"codes.{rule.code}"
        if rule.billed_with:
            for other in rule.billed_with:
                base = codes.get(other)
                if base is None or not base.monthly or base.program != rule.program:
                    raise RulesError(f"{where}.billed_with: {other!r} must be a monthly code "
                                     f"of {rule.program}")
            monthly_addons.append(rule)
            continue
        if rule.addon_to is not None:
            for other in (rule.addon_to, *rule.also_addon_to):
                base = codes.get(other)
                if base is None or base.addon != rule.code:
                    raise RulesError(f"{where}.addon_to: {other!r} must name it as its addon")
                if base.program != rule.program or base.time != rule.time:
                    raise RulesError(f"{where}: an add-on shares its base's program and time")
            continue
        addon = None
        if rule.addon is not None:
            addon = codes.get(rule.addon)
            if addon is None or rule.code not in (addon.addon_to, *addon.also_addon_to):
                raise RulesError(f"{where}.addon: {rule.addon!r} must be a code with addon_to")
        parts = (rule,) if addon is None else (rule, addon)
        tracks[rule.program].append(
            Track(
                name=track_names[rule.code],
                program=rule.program,
                time=rule.time,
                base=rule,
                addon=addon,
                requires=tuple(dict.fromkeys(f for c in parts for f in c.requires)),
                hold_unless=tuple(dict.fromkeys(f for c in parts for f in c.hold_unless)),
            )
        )

    conflicts: dict[str, set[str]] = {c: set() for c in codes}
    for rule in codes.values():
        for other in rule.not_with:
            conflicts[rule.code].add(other)
            if other in conflicts:
                conflicts[other].add(rule.code)

    return RuleSet(
        year=year,
        conversion_factor_usd=float(cf),
        conversion_factor_source=_str(data, "conversion_factor_source", "rules", default=""),
        programs=programs,
        flag_descriptions=MappingProxyType(dict(raw_flags)),
        codes=MappingProxyType(codes),
        tracks_by_program=MappingProxyType({p: tuple(t) for p, t in tracks.items()}),
        conflicts=MappingProxyType({c: frozenset(s) for c, s in conflicts.items()}),
        source=source or _str(data, "source", "rules", default=""),
        eligibility=MappingProxyType(parse_eligibility(data.get("eligibility", {}), programs)),
        monthly_addons=tuple(monthly_addons),
    )
