import csv
import io

from tests.fixtures.cli import fails, js, ok


def test_report_formats(cli_clinic):
    ok(cli_clinic, "entry", "add", "--patient", "T1001", "--category", "care-plan",
       "--start", "2026-11-03T10:00", "--end", "2026-11-03T10:21")
    ok(cli_clinic, "entry", "add", "--patient", "T1002", "--category", "care-plan",
       "--start", "2026-11-04T10:00", "--end", "2026-11-04T10:19:59")
    data = js(cli_clinic, "report", "--month", "2026-11")
    by_mrn = {p["mrn"]: p for p in data["patients"]}
    assert [(x["code"], x["units"], x["held"]) for x in by_mrn["T1001"]["lines"]] == [
        ("99490", 1, False)]
    assert by_mrn["T1002"]["lines"] == []
    assert by_mrn["T1002"]["minutes"]["clinical_staff"] == 19
    assert any(n["code"] == "99490" and n["seconds_needed"] == 1 for n in by_mrn["T1002"]["next"])
    table = ok(cli_clinic, "report", "--month", "2026-11")
    assert "99490" in table and "Testpatient, Alma" in table
    rows = list(csv.DictReader(io.StringIO(
        ok(cli_clinic, "report", "--month", "2026-11", "--csv"))))
    assert {r["mrn"]: r["codes"] for r in rows} == {"T1001": "99490", "T1002": ""}
    one = js(cli_clinic, "report", "--month", "2026-11", "--patient", "T1002")
    assert [p["mrn"] for p in one["patients"]] == ["T1002"]


def test_report_bad_input(cli_clinic):
    fails(cli_clinic, "report", "--month", "2026-1", match="not a month", code=2)
    fails(cli_clinic, "report", match="required: --month", code=2)
    fails(cli_clinic, "report", "--month", "2040-01", match="No billing rules for 2040")
    fails(cli_clinic, "report", "--month", "2026-11", "--patient", "ZZ9",
          match="No patient has MRN")
