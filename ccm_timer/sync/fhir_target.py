"""The `fhir` target: the FHIR export goes to a FHIR R4 server, each resource found by an
identifier we assign, never by an id the server may not keep.

Every resource is written with a conditional update, `PUT [type]?identifier=SYSTEM|ID`
(FHIR R4 http.html#cond-update): the server searches, updates the one match or creates the
resource when there is none, so a retry after a lost answer updates what the first try made,
on any server, whether or not it keeps client-assigned ids or honours Idempotency-Key. The
body carries no `id` (a server that assigns its own would refuse ours); references between
the resources of one export point at their `urn:uuid:` fullUrls, which the server rewrites
to whatever ids it gave. Several resources go in one `transaction` Bundle, applied all or
none. Conditional *creates* race on common servers (HAPI #3141, Microsoft #1382); a
conditional update by an identifier only we write has one writer per resource (reliability
R5.4). Each resource carries the export id in `meta.tag`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from ccm_timer.services.delivery.outbox import Parcel
from ccm_timer.services.delivery.outbox_status import receipt_text
from ccm_timer.sync import outcome
from ccm_timer.sync.http_client import HttpClient, TransportError
from ccm_timer.sync.https_target import judge
from ccm_timer.sync.outcome import Outcome

TAG_SYSTEM = "urn:ccm-timer:export"
ID_SYSTEM = "urn:ccm-timer:resource-id"  # our id for a resource, whatever the server's is
_CONTAINERS = ("transaction", "batch", "collection")


class FhirContentError(ValueError):
    pass


def _tagged(resource: dict[str, Any], export_id: str) -> dict[str, Any]:
    """The resource as sent: tagged with the export, identified by ID_SYSTEM, without `id`."""
    if not isinstance(resource, dict) or not resource.get("resourceType"):
        raise FhirContentError("an entry has no resourceType")
    if not resource.get("id"):
        raise FhirContentError(
            f"a {resource['resourceType']} has no id (ids are assigned so a retry cannot "
            "duplicate it)"
        )
    out = {k: v for k, v in resource.items() if k != "id"}
    meta = dict(out.get("meta") or {})
    tags = [t for t in meta.get("tag", []) if t.get("system") != TAG_SYSTEM]
    meta["tag"] = [*tags, {"system": TAG_SYSTEM, "code": export_id}]
    out["meta"] = meta
    idents = [i for i in out.get("identifier") or [] if i.get("system") != ID_SYSTEM]
    out["identifier"] = [*idents, {"system": ID_SYSTEM, "value": str(resource["id"])}]
    return out


def conditional_url(resource_type: str, rid: str) -> str:
    """`Type?identifier=SYSTEM|ID`, encoded as a query (the `|` too)."""
    return f"{resource_type}?identifier={quote(f'{ID_SYSTEM}|{rid}', safe=':')}"


def _pointed(value: Any, full_urls: dict[str, str]) -> Any:
    """`value` with every `reference` to a resource of the export made its fullUrl, and any
    other of our `Type/ID` references a conditional one (resolved by the server)."""
    if isinstance(value, list):
        return [_pointed(v, full_urls) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _pointed(v, full_urls) for k, v in value.items()}
    ref = out.get("reference")
    if isinstance(ref, str) and ref.count("/") == 1 and "?" not in ref and ":" not in ref:
        kind, rid = ref.split("/")
        out["reference"] = full_urls.get(ref, conditional_url(kind, rid))
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
        given = [entry.get("resource") for entry in doc.get("entry") or []]
        full_urls = {f"{r['resourceType']}/{r['id']}": _full_url(r["resourceType"], r["id"])
                     for r in given if isinstance(r, dict) and r.get("id")}
        entries = []
        for original in given:
            resource = _pointed(_tagged(original, export_id), full_urls)
            kind, rid = original["resourceType"], str(original["id"])
            entries.append({"fullUrl": full_urls[f"{kind}/{rid}"], "resource": resource,
                            "request": {"method": "PUT", "url": conditional_url(kind, rid)}})
        body = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        return "POST", "", _dump(body)
    resource = _tagged(doc, export_id)
    return "PUT", conditional_url(doc["resourceType"], str(doc["id"])), _dump(resource)


def _full_url(kind: str, rid: Any) -> str:
    """A `urn:uuid:` for the resource within the transaction: its id when that is a UUID
    (the export's are), else one derived from it."""
    try:
        return f"urn:uuid:{uuid.UUID(str(rid))}"
    except ValueError:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{ID_SYSTEM}/{kind}/{rid}')}"


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

    def __init__(self, url: str, token: str | None, *, timeout: float,
                 ca_file: str | None = None) -> None:
        self.base = url.rstrip("/")
        self.client = HttpClient(self.base + "/", timeout=timeout, ca_file=ca_file)
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
