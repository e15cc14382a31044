"""The `https` target: POST the export's bytes with `Idempotency-Key: <export id>`.

Every retry sends the same bytes under the same key (R5.2, R5.3), so a receiver that keeps
keys stores one copy however often the network cut us off after it had stored the request.
"""

from __future__ import annotations

from ccm_timer.core.backoff import parse_retry_after
from ccm_timer.exports.formats import ExportFormat
from ccm_timer.services.delivery.outbox import Parcel
from ccm_timer.services.delivery.outbox_status import receipt_text
from ccm_timer.sync import outcome
from ccm_timer.sync.http_client import HttpClient, Response, TransportError
from ccm_timer.sync.outcome import Outcome

CONTENT_TYPES: dict[str, str] = {
    ExportFormat.JSON: "application/json",
    ExportFormat.FHIR: "application/fhir+json",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.EHR_TEXT: "text/plain; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}


def _reason(resp: Response) -> str:
    text = resp.body[:300].decode("utf-8", "replace")
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:200]


def judge(resp: Response, label: str) -> Outcome:
    """Map a status to delivered, retry (same key, later) or failed (permanent)."""
    status = resp.status
    if 200 <= status < 300:
        where = resp.header("location") or _reason(resp)
        return outcome.delivered(receipt_text(status, where))
    retry_after = parse_retry_after(resp.header("retry-after"))
    if status == 429:
        return outcome.retry(f"{label} asked us to wait (429)", retry_after=retry_after)
    if status in (409, 425):
        # The draft's "retry while the first request is still processing" answer.
        return outcome.retry(f"{label} is still processing an earlier try ({status})",
                             retry_after=retry_after, target_down=False)
    if status == 408 or status >= 500:
        return outcome.retry(f"{label} answered {status}", retry_after=retry_after)
    if status in (401, 403):
        return outcome.retry(
            f"{label} refused the token ({status}); set it again with `ccm-timer target add`"
        )
    if 300 <= status < 400:
        return outcome.retry(f"{label} answered {status} (moved); check the target's URL")
    detail = _reason(resp)
    return outcome.failed(f"{label} refused the export ({status}" +
                          (f": {detail})" if detail else ")"))


class HttpsTarget:
    label = "the billing server"

    def __init__(self, url: str, token: str | None, *, timeout: float,
                 ca_file: str | None = None) -> None:
        self.client = HttpClient(url, timeout=timeout, ca_file=ca_file)
        self.token = token

    def deliver(self, parcel: Parcel, step) -> Outcome:
        headers = {
            "Content-Type": CONTENT_TYPES.get(parcel.format, "application/octet-stream"),
            "Idempotency-Key": str(parcel.export_id),
            "X-Content-SHA256": parcel.sha256,
            "User-Agent": "ccm-timer",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        step("sending")
        try:
            resp = self.client.request("POST", None, parcel.content, headers)
        except TransportError as exc:
            return outcome.retry(str(exc))
        step("answered")
        return judge(resp, self.label)

    def close(self) -> None:
        self.client.close()
