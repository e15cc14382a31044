"""The `fhir` target: the FHIR export goes to a FHIR R4 server under ids we assign.

Every resource is written with `PUT [type]/[id]` (update-as-create), wrapped in one
`transaction` Bundle when the export holds several, so the server applies all or none and a
retry after a lost answer overwrites the same resources instead of creating duplicates:
conditional creates race on common servers (HAPI #3141, Microsoft #1382), PUT by id does not
(reliability R5.4). Each resource carries the export id in `meta.tag`.
"""

from __future__ import annotations

import json
from typing import Any

from ccm_timer.services.delivery.outbox import Parcel, receipt_text
from ccm_timer.sync import outcome
from ccm_timer.sync.http_client import HttpClient, TransportError
from ccm_timer.sync.https_target import judge
from ccm_timer.sync.outcome import Outcome

TAG_SYSTEM = "urn:ccm-timer:export"
_CONTAINERS = ("transaction", "batch", "collection")


class FhirContentError(ValueError):
    pass


def _tagged(resource: dict[str, Any], export_id: str) -> dict[str, Any]:
    if not isinstance(resource, dict) or not resource.get("resourceType"):
        raise FhirContentError("an entry has no resourceType")
    if not resource.get("id"):
        raise FhirContentError(
            f"a {resource['resourceType']} has no id (ids are assigned so a retry cannot "
            "duplicate it)"
        )
    out = dict(resource)
    meta = dict(out.get("meta") or {})
    tags = [t for t in meta.get("tag", []) if t.get("system") != TAG_SYSTEM]
    meta["tag"] = [*tags, {"system": TAG_SYSTEM, "code": export_id}]
    out["meta"] = meta
    return out


def plan(content: bytes, export_id: str) -> tuple[str, str, bytes]:
    """(method, relative path, body) for one export; FhirContentError when unusable."""
    try:
        doc = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FhirContentError(f"the FHIR export is not JSON ({exc})") from None
    if not isinstance(doc, dict) or not doc.get("resourceType"):
        raise FhirContentError("the FHIR export is not a FHIR resource")
    if doc["resourceType"] == "Bundle" and doc.get("type") in _CONTAINERS:
        entries = []
        for entry in doc.get("entry") or []:
            resource = _tagged(entry.get("resource"), export_id)
            url = f"{resource['resourceType']}/{resource['id']}"
            entries.append({"fullUrl": entry.get("fullUrl") or url, "resource": resource,
                            "request": {"method": "PUT", "url": url}})
        body = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        return "POST", "", _dump(body)
    resource = _tagged(doc, export_id)
    return "PUT", f"{resource['resourceType']}/{resource['id']}", _dump(resource)


def _dump(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _receipt(status: int, body: bytes, location: str | None) -> str:
    where: list[str] = []
    try:
        doc = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        doc = {}
    if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        for entry in doc.get("entry") or []:
            response = entry.get("response") or {}
            where.append(response.get("location") or response.get("status", ""))
    elif location:
        where.append(location)
    return receipt_text(status, " ".join(where))


class FhirTarget:
    label = "the FHIR server"

    def __init__(self, url: str, token: str | None, *, timeout: float) -> None:
        self.base = url.rstrip("/")
        self.client = HttpClient(self.base + "/", timeout=timeout)
        self.token = token

    def deliver(self, parcel: Parcel, step) -> Outcome:
        try:
            method, path, body = plan(parcel.content, str(parcel.export_id))
        except FhirContentError as exc:
            return outcome.failed(f"the export cannot go to a FHIR server: {exc}")
        headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json",
                   "User-Agent": "ccm-timer"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        step("sending")
        try:
            base = self.client.base_path.rstrip("/")
            resp = self.client.request(method, f"{base}/{path}" if path else base or "/",
                                       body, headers)
        except TransportError as exc:
            return outcome.retry(str(exc))
        step("answered")
        result = judge(resp, self.label)
        if result.kind is outcome.AttemptKind.DELIVERED:
            return outcome.delivered(_receipt(resp.status, resp.body, resp.header("location")))
        return result

    def close(self) -> None:
        self.client.close()
