"""`patient condition`, `patient consent` and `patient withdraw`: the patient's
care-management record beside the minutes (issue 14). Only `condition add` reads the
ICD-10-CM code set (two seconds to load); listing and removing use the stored codes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer.cli import audit, secret
from ccm_timer.cli.args import date_arg, group
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, local, table
from ccm_timer.core.access import Action  # a plain enum: nothing else is loaded
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext
    from ccm_timer.services.people.patients import PatientView

billing_rules = lazy("ccm_timer.services.month.billing_rules")
conditions = lazy("ccm_timer.services.people.conditions")
consent_documents = lazy("ccm_timer.services.people.consent_documents")
patients = lazy("ccm_timer.services.people.patients")
record_status = lazy("ccm_timer.services.people.record_status")

PATIENT_HELP = "patients: add, import, list and change them; their conditions and consent"
DISCLOSURES = "cost-sharing,one-practitioner,right-to-stop"
CONDITION_KEYS = ("code", "description", "since", "chronic")  # the JSON shape


def patient_actions(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The `patient` group's sub-parsers (cli/patients.py adds to it too)."""
    return group(sub, "patient", PATIENT_HELP)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    psub = patient_actions(sub)
    condition = psub.add_parser("condition", help="a patient's ICD-10-CM conditions")
    csub = condition.add_subparsers(dest="condition_action", required=True, metavar="ACTION")
    p = csub.add_parser("add", parents=[common], help="add a condition (checked against "
                        "the ICD-10-CM code set)")
    p.add_argument("--mrn", required=True)
    p.add_argument("--icd10", required=True, metavar="CODE", help="such as E11.9")
    p.add_argument("--since", type=date_arg, help="when it was diagnosed, YYYY-MM-DD")
    p.set_defaults(handler=condition_add)
    p = csub.add_parser("list", parents=[common], help="the patient's conditions, whether "
                        "each counts as chronic")
    p.add_argument("--mrn", required=True)
    p.add_argument("--history", action="store_true",
                   help="removed conditions too, with who removed them, when and why")
    p.set_defaults(handler=condition_list)
    p = csub.add_parser("remove", parents=[common], help="remove a condition (kept in the "
                        "history with the reason)")
    p.add_argument("--mrn", required=True)
    p.add_argument("--icd10", required=True, metavar="CODE")
    p.add_argument("--reason", required=True, help="why, such as 'resolved' or 'coded in "
                   "error'")
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help="who removes it (default: the person signed in at the tray, else the "
                   "default clinician); their password is asked, on the terminal or as one "
                   "line of standard input, never as an argument")
    p.set_defaults(handler=condition_remove)

    p = psub.add_parser("consent", parents=[common], help="record a program's consent: date, "
                        "method, who obtained it, the disclosures")
    p.add_argument("--mrn", required=True)
    p.add_argument("--program", required=True)
    add_consent_options(p, date_required=True)
    p.add_argument("--scan", type=Path, metavar="FILE",
                   help="the scanned written consent (PDF, PNG, JPEG or TIFF), kept in the "
                   "encrypted database")
    p.set_defaults(handler=patient_consent)
    p = psub.add_parser("withdraw", parents=[common],
                        help="the patient withdrew consent: the program ends on that date")
    p.add_argument("--mrn", required=True)
    p.add_argument("--program", required=True)
    p.add_argument("--on", type=date_arg, required=True, help="YYYY-MM-DD")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=patient_withdraw)
    p = psub.add_parser("consent-scan", parents=[common],
                        help="write a program's scanned consent to a file (the read is "
                        "audited)")
    p.add_argument("--mrn", required=True)
    p.add_argument("--program", required=True)
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="the file to write; it must not exist yet")
    p.set_defaults(handler=patient_consent_scan)


def add_consent_options(p: argparse.ArgumentParser, *, date_required: bool) -> None:
    """The consent's options, shared by `patient consent` and `patient add`."""
    p.add_argument("--consent", type=date_arg, required=date_required,
                   help="consent date, YYYY-MM-DD")
    p.add_argument("--method", metavar="verbal|written", help="how consent was given")
    p.add_argument("--by", metavar="NAME", help="the clinician who obtained it (name or id)")
    p.add_argument("--disclosures", metavar="LIST",
                   help=f"what the patient was told, comma-separated: {DISCLOSURES}")


# --- conditions -------------------------------------------------------------------------


def _chronic(view) -> str:
    return f"yes ({view.category})" if view.chronic else "no"


def condition_add(ctx: AppContext, args) -> None:
    actor = secret.acting_signer(ctx, None, Action.RECORD).name  # before the code set loads
    view = conditions.add(ctx, args.mrn, args.icd10, args.since, actor=actor)
    if args.json:
        emit_json({k: view.to_dict()[k] for k in CONDITION_KEYS})
        return
    since = f", since {view.since.isoformat()}" if view.since else ""
    print(f"Added {view.code} ({view.description}) to {args.mrn.strip()}{since}; chronic: "
          f"{_chronic(view)}.")


def condition_list(ctx: AppContext, args) -> None:
    rows = conditions.list_for(ctx, args.mrn, history=args.history)
    audit.read(ctx, "PATIENT", mrn=args.mrn, detail="conditions")
    if args.json:
        emit_json([r.history_dict() if args.history else
                   {k: r.to_dict()[k] for k in CONDITION_KEYS} for r in rows])
        return
    if not rows:
        print(f"No conditions on file for {args.mrn.strip()}: add one with `ccm-timer patient "
              "condition add`.")
        return
    headers = ["CODE", "DESCRIPTION", "SINCE", "CHRONIC"]
    cells = [[r.code, r.description, r.since or "", _chronic(r)] for r in rows]
    if args.history:
        headers += ["ADDED", "REMOVED", "BY", "REASON"]
        for r, row in zip(rows, cells, strict=True):
            row += [f"{local(r.added_at, ctx.zone)} {r.added_by}",
                    local(r.removed_at, ctx.zone), r.removed_by or "", r.removal_reason or ""]
    table(headers, cells)


def condition_remove(ctx: AppContext, args) -> None:
    conditions.check_removal(ctx, args.mrn, args.icd10, args.reason)  # before the password
    by = secret.attest(ctx, args.as_name, Action.REMOVE_CONDITION)
    view = conditions.remove(ctx, args.mrn, args.icd10, args.reason, by=by)
    if args.json:
        emit_json(view.history_dict())
    else:
        print(f"Removed {view.code} ({view.description}) from {args.mrn.strip()}: "
              f"{view.removal_reason}; it stays in the history.")


# --- consent ----------------------------------------------------------------------------


def consent_gaps(ctx: AppContext, view: PatientView, program: str | None = None) -> list:
    """(enrolment, what its consent lacks that holds its lines under today's rules) for
    each enrolment with a consent date (a pending consent says so itself)."""
    today = ctx.now().astimezone(ctx.zone).date()
    try:
        rules = billing_rules.rules_for_month((today.year, today.month)).eligibility
    except billing_rules.MissingBillingRules:
        rules = {}
    out = []
    for e in view.enrollments:
        rule = rules.get(e.program.value)
        if rule is None or e.consent_date is None or (program and e.program.value != program):
            continue
        if missing := record_status.consent_missing(e, rule.consent):
            out.append((e, missing))
    return out


def _and(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _options(missing: tuple[str, ...]) -> str:
    """The options that record what is missing (the disclosures are given whole)."""
    words = set(missing)
    out = [option for word, option in (("how it was given", "--method verbal|written"),
                                       ("who obtained it", "--by NAME")) if word in words]
    if any(m.endswith(" disclosure") for m in missing):
        out.append(f"--disclosures {DISCLOSURES}")
    return " ".join(out)


def held_notice(ctx: AppContext, view: PatientView, program: str | None = None) -> str:
    """", but the CCM lines stay held until ... is recorded: ...", or "" when complete."""
    gaps = consent_gaps(ctx, view, program)
    if not gaps:
        return ""
    said = "; ".join(f"the {e.program.value} lines stay held until {_and(m)} "
                     f"{'is' if len(m) == 1 else 'are'} recorded" for e, m in gaps)
    e, missing = gaps[0]
    return (f", but {said}: record {'it' if len(missing) == 1 else 'them'} with `ccm-timer "
            f"patient consent --mrn {view.mrn} --program {e.program.value} --consent "
            f"{e.consent_date.isoformat()} {_options(missing)}`")


def patient_consent(ctx: AppContext, args) -> None:
    # --by names who obtained the consent; the one recording it is the person acting here.
    actor = secret.acting_signer(ctx, None, Action.RECORD).name
    document = consent_documents.read_scan(args.scan) if args.scan else None
    view = patients.set_consent(ctx, args.mrn, args.program, args.consent, args.method,
                                actor, by=args.by, disclosures=args.disclosures, document=document)
    if args.json:
        emit_json(view.to_dict())
        return
    program = args.program.strip().upper()
    scanned = " with its scan" if document else ""
    print(f"Consent for {program} recorded for {view.mrn} on {args.consent}{scanned}"
          f"{held_notice(ctx, view, program)}.")


def patient_withdraw(ctx: AppContext, args) -> None:
    actor = secret.acting_signer(ctx, None, Action.RECORD).name
    view = patients.withdraw_consent(ctx, args.mrn, args.program, args.on, args.reason,
                                     actor=actor)
    if args.json:
        emit_json(view.to_dict())
        return
    print(f"{view.mrn} withdrew {args.program.strip().upper()} consent; the enrolment ends on "
          f"{args.on}.")


def patient_consent_scan(ctx: AppContext, args) -> None:
    """The scan out of the encrypted store, to a new file only the user can read (it holds
    the patient's name and signature); an existing file is never overwritten."""
    from ccm_timer import fsio

    out: Path = args.out
    if out.exists():
        raise UserError(f"{out} already exists; give a new file name (nothing was written).")
    if not out.parent.is_dir():
        raise UserError(f"The folder {out.parent} does not exist; create it or give another "
                        "file name.")
    doc = consent_documents.fetch(ctx, args.mrn, args.program)
    fsio.write_atomic(out, doc.content, mode=0o600)
    if args.json:
        emit_json({"file": str(out), "media_type": doc.media_type, "size": doc.size,
                   "sha256": doc.sha256})
        return
    print(f"Wrote the scanned {args.program.strip().upper()} consent ({doc.media_type}, "
          f"{doc.size} bytes) to {out}.")
