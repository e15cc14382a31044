"""`patient`, `clinician` and `category` commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ccm_timer.cli.args import date_arg
from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json, table
from ccm_timer.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is not imported on the command line's fast path
    from ccm_timer.services.context import AppContext

categories = lazy("ccm_timer.services.timing.categories")
clinicians = lazy("ccm_timer.services.people.clinicians")
patients = lazy("ccm_timer.services.people.patients")
roster = lazy("ccm_timer.services.people.roster")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    patient = sub.add_parser("patient", help="add, import and list patients")
    psub = patient.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = psub.add_parser("add", parents=[common], help="add one patient")
    p.add_argument("--mrn", required=True)
    p.add_argument("--name", required=True, help='"Family, Given"')
    p.add_argument("--dob", type=date_arg, help="YYYY-MM-DD")
    p.add_argument("--program", help="CCM, PCM, BHI, RPM, CPO_HOME_HEALTH or CPO_HOSPICE")
    p.add_argument("--consent", type=date_arg, help="consent date, YYYY-MM-DD")
    p.add_argument("--billing-practitioner", help="the practitioner who bills (name or id)")
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
    p = psub.add_parser("consent", parents=[common], help="set a program's consent date")
    p.add_argument("--mrn", required=True)
    p.add_argument("--program", required=True)
    p.add_argument("--consent", type=date_arg, required=True, help="YYYY-MM-DD")
    p.add_argument("--method", help="verbal or written")
    p.set_defaults(handler=patient_consent)
    p = psub.add_parser("practitioner", parents=[common],
                        help="name the practitioner who bills for a patient")
    p.add_argument("--mrn", required=True)
    p.add_argument("--practitioner", required=True, help="name or id")
    p.set_defaults(handler=patient_practitioner)

    clinician = sub.add_parser("clinician", help="add and list clinicians")
    csub = clinician.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = csub.add_parser("add", parents=[common], help="add a clinician")
    p.add_argument("--name", required=True)
    p.add_argument("--credential", required=True, help="RN, LPN, MA, MD, DO, NP, PA, ...")
    p.add_argument("--role", required=True, choices=["clinical_staff", "practitioner"])
    p.add_argument("--npi")
    p.add_argument("--default", action="store_true", help="use this clinician by default")
    p.set_defaults(handler=clinician_add)
    p = csub.add_parser("list", parents=[common], help="list clinicians")
    p.set_defaults(handler=clinician_list)
    p = csub.add_parser("default", parents=[common], help="choose the default clinician")
    p.add_argument("clinician", help="name or id")
    p.set_defaults(handler=clinician_default)

    category = sub.add_parser("category", help="list activity categories")
    gsub = category.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = gsub.add_parser("list", parents=[common], help="list activity categories")
    p.set_defaults(handler=category_list)


def _print_patient(args, view) -> None:
    if args.json:
        emit_json(view.to_dict())
    else:
        programs = ", ".join(
            f"{e.program.value} (consent {e.consent_date or 'pending'})" for e in view.enrollments
        )
        print(f"Added {view.mrn}: {view.display_name}" + (f"; {programs}" if programs else ""))


def patient_add(ctx: AppContext, args) -> None:
    if args.billing_practitioner:  # check before adding: all or nothing
        with ctx.read() as session:
            clinicians.find(session, ctx, args.billing_practitioner)
    view = patients.add(
        ctx, mrn=args.mrn, name=args.name, birth_date=args.dob, program=args.program,
        consent=args.consent,
    )
    if args.billing_practitioner:
        view = patients.set_billing_practitioner(ctx, view.mrn, args.billing_practitioner)
    _print_patient(args, view)


def patient_practitioner(ctx: AppContext, args) -> None:
    view = patients.set_billing_practitioner(ctx, args.mrn, args.practitioner)
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"{args.practitioner} now bills for {view.mrn}.")


def patient_import(ctx: AppContext, args) -> None:
    if args.preview:
        _preview(roster.check(ctx, args.file, args.encoding), args)
        return
    result = roster.import_roster(ctx, args.file, encoding=args.encoding)
    if args.json:
        emit_json({"imported": result.imported, "import": result.import_id,
                   "writes": result.writes,
                   "longest_write_seconds": round(result.longest_write, 3)})
    else:
        print(f"Imported {result.imported} patient(s).")


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


def patient_list(ctx: AppContext, args) -> None:
    rows = patients.list_patients(ctx, args.search)
    if args.json:
        emit_json([p.to_dict() for p in rows])
        return
    if not rows:
        print("No patients yet: add one with `ccm-timer patient add`.")
    table(
        ["MRN", "NAME", "BORN", "PROGRAMS"],
        [
            (
                p.mrn, p.display_name, p.birth_date or "",
                ", ".join(
                    e.program.value + ("" if e.consent_date else " (no consent)")
                    for e in p.enrollments
                ),
            )
            for p in rows
        ],
    )


def patient_consent(ctx: AppContext, args) -> None:
    view = patients.set_consent(ctx, args.mrn, args.program, args.consent, args.method)
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"Consent for {args.program.upper()} recorded for {view.mrn} on {args.consent}.")


def clinician_add(ctx: AppContext, args) -> None:
    view = clinicians.add(
        ctx, name=args.name, credential=args.credential, role=args.role, npi=args.npi,
        default=args.default,
    )
    if args.json:
        emit_json(view.to_dict())
    else:
        suffix = " (default)" if view.is_default else ""
        print(f"Added {view.name}, {view.credential}, {view.role.value}{suffix}.")


def clinician_list(ctx: AppContext, args) -> None:
    rows = clinicians.list_clinicians(ctx)
    if args.json:
        emit_json([c.to_dict() for c in rows])
        return
    if not rows:
        print("No clinicians yet: add one with `ccm-timer clinician add`.")
    table(
        ["NAME", "CREDENTIAL", "ROLE", "NPI", "DEFAULT"],
        [(c.name, c.credential, c.role.value, c.npi or "", "yes" if c.is_default else "")
         for c in rows],
    )


def clinician_default(ctx: AppContext, args) -> None:
    view = clinicians.set_default(ctx, args.clinician)
    if args.json:
        emit_json(view.to_dict())
    else:
        print(f"{view.name} is now the default clinician.")


def category_list(ctx: AppContext, args) -> None:
    rows = categories.list_categories(ctx)
    if args.json:
        emit_json([c.to_dict() for c in rows])
        return
    table(
        ["SLUG", "PROGRAM", "LABEL"],
        [(c.slug, c.program or "(program-level)", c.label) for c in rows],
    )
