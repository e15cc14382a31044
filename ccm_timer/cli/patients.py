"""`patient add`, `import`, `list`, `set` and `practitioner`: who the patients are. Their
conditions and consent are record.py's, in the same `patient` group."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer.cli import audit, secret
from ccm_timer.cli.args import date_arg, yes_no
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table
from ccm_timer.cli.record import add_consent_options, consent_gaps, held_notice, patient_actions
from ccm_timer.core.access import Action  # a plain enum: nothing else is loaded
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

patients = lazy("ccm_timer.services.people.patients")
roster = lazy("ccm_timer.services.people.roster")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    psub = patient_actions(sub)
    p = psub.add_parser("add", parents=[common], help="add one patient")
    p.add_argument("--mrn", required=True)
    p.add_argument("--name", required=True, help='"Family, Given"')
    p.add_argument("--dob", type=date_arg, help="YYYY-MM-DD")
    p.add_argument("--program", help="CCM, PCM, APCM, BHI, COCM, RPM, CPO_HOME_HEALTH or "
                   "CPO_HOSPICE")
    add_consent_options(p, date_required=False)
    p.add_argument("--qmb", type=yes_no, metavar="yes|no",
                   help="a Qualified Medicare Beneficiary (no cost sharing may be billed)")
    p.add_argument("--billing-practitioner", help="the practitioner who bills (name or id)")
    p.add_argument("--care-manager", help="the clinician who manages the patient's care "
                   "(name or id; the worklist filters by it)")
    p.set_defaults(handler=patient_add)
    p = psub.add_parser("import", parents=[common], help="import a roster CSV (all or none)")
    p.add_argument("file", type=Path)
    p.add_argument("--encoding", default="utf-8",
                   help="how the file is encoded (default utf-8; cp1252 for most files saved "
                   "by Excel as plain CSV)")
    p.add_argument("--preview", action="store_true",
                   help="show the columns found, the rows and every bad row; write nothing")
    p.set_defaults(handler=patient_import)
    p = psub.add_parser("list", parents=[common], help="list patients")
    p.add_argument("--search", default="", help="part of an MRN or name")
    p.set_defaults(handler=patient_list)
    p = psub.add_parser("set", parents=[common],
                        help="change a patient's name, birth date, QMB status or care "
                        "manager")
    p.add_argument("--mrn", required=True)
    p.add_argument("--name", help='"Family, Given"')
    p.add_argument("--dob", type=date_arg, help="YYYY-MM-DD")
    p.add_argument("--qmb", type=yes_no, metavar="yes|no",
                   help="a Qualified Medicare Beneficiary")
    p.add_argument("--care-manager", metavar="NAME",
                   help='the clinician who manages the care (name or id; "" removes it)')
    p.set_defaults(handler=patient_set)
    p = psub.add_parser("practitioner", parents=[common],
                        help="name the practitioner who bills for a patient")
    p.add_argument("--mrn", required=True)
    p.add_argument("--practitioner", required=True, help="name or id")
    p.set_defaults(handler=patient_practitioner)


def _programs(view) -> str:
    return ", ".join(f"{e.program.value} (consent {e.consent_date or 'pending'})"
                     for e in view.enrollments)


def patient_add(ctx: AppContext, args) -> None:
    # --by names who obtained the consent, not who adds the patient: the one acting is here.
    by = secret.acting_signer(ctx, None, Action.RECORD)
    view = patients.add(  # the practitioner and care manager checked inside: all or nothing
        ctx, mrn=args.mrn, name=args.name, birth_date=args.dob, program=args.program,
        consent=args.consent, consent_method=args.method, consent_by=args.by,
        disclosures=args.disclosures or (), qmb=args.qmb,
        billing_practitioner=args.billing_practitioner, care_manager=args.care_manager,
        by=by,
    )
    if args.json:
        emit_json(view.to_dict())
        return
    programs = _programs(view)
    print(f"Added {view.mrn}: {view.display_name}" + (f"; {programs}" if programs else "")
          + f"{held_notice(ctx, view)}.")


def patient_set(ctx: AppContext, args) -> None:
    by = secret.acting_signer(ctx, None, Action.RECORD)
    view = patients.update(ctx, args.mrn, name=args.name, birth_date=args.dob, qmb=args.qmb,
                           care_manager=args.care_manager, by=by)
    if args.json:
        emit_json(view.to_dict())
        return
    qmb = {True: "QMB", False: "not QMB", None: "QMB unknown"}[view.qmb]
    born = f", born {view.birth_date.isoformat()}" if view.birth_date else ""
    print(f"Updated {view.mrn}: {view.display_name}{born}, {qmb}.")


def patient_practitioner(ctx: AppContext, args) -> None:
    actor = secret.acting_signer(ctx, None, Action.RECORD).name
    view = patients.set_billing_practitioner(ctx, args.mrn, args.practitioner, actor=actor)
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"{args.practitioner} now bills for {view.mrn}.")


def patient_import(ctx: AppContext, args) -> None:
    if args.preview:
        _preview(roster.check(ctx, args.file, args.encoding), args)
        return
    actor = secret.acting_signer(ctx, None, Action.RECORD).name  # a preview only reads
    result = roster.import_roster(ctx, args.file, encoding=args.encoding, actor=actor)
    if args.json:
        emit_json({"imported": result.imported, "import": result.import_id,
                   "conditions": result.conditions, "writes": result.writes,
                   "longest_write_seconds": round(result.longest_write, 3)})
    else:
        told = f" with {result.conditions} condition(s)" if result.conditions else ""
        print(f"Imported {result.imported} patient(s){told}.")


def _preview(checked, args) -> None:
    if args.json:
        emit_json(checked.to_dict())
    else:
        print(f"Encoding: {checked.encoding}")
        print("Columns: " + ", ".join(f"{k}: {v}" for k, v in checked.parsed.columns.items()))
        print(f"{checked.parsed.total} row(s): {checked.good} good, "
              f"{checked.parsed.total - checked.good} bad.")
        for problem in checked.problems:
            print(f"  {problem}")
    if checked.problems:
        raise UserError(f"{checked.parsed.total - checked.good} row(s) would be refused; "
                        "fix them, then import (nothing was written).")


def _program_cell(e, incomplete: set) -> str:
    if e.withdrawn_on is not None:
        return f"{e.program.value} (withdrawn {e.withdrawn_on.isoformat()})"
    if e.consent_date is None:
        return f"{e.program.value} (no consent)"
    return e.program.value + (" (consent incomplete)" if e.id in incomplete else "")


def patient_list(ctx: AppContext, args) -> None:
    rows = patients.list_patients(ctx, args.search)
    if rows:  # who saw the list; one patient found is named in the event
        audit.read(ctx, "PATIENT", mrn=rows[0].mrn if len(rows) == 1 else None,
                   detail=f"patient list ({len(rows)} patients)")
    if args.json:
        emit_json([p.to_dict() for p in rows])
        return
    if not rows:
        print("No patients yet: add one with `ccm-timer patient add`.")
    incomplete = {e.id for p in rows for e, _ in consent_gaps(ctx, p)}
    table(
        ["MRN", "NAME", "BORN", "QMB", "PROGRAMS"],
        [(p.mrn, p.display_name, p.birth_date or "",
          {True: "yes", False: "no", None: ""}[p.qmb],
          ", ".join(_program_cell(e, incomplete) for e in p.enrollments))
         for p in rows],
    )
