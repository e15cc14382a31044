"""SQLModel tables. UUID v7 keys everywhere; every instant UTC (see types.py).

Time entries are versioned, never overwritten: an edit writes a new row whose
`supersedes_id` names the old one, and marks the old one superseded. `origin_id` groups all
versions of one entry. Current versions are the rows with `superseded_at IS NULL`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from ccm_timer.store.types import UTCDateTime, new_id


def _instant(nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Role(StrEnum):
    """The clinical role: which codes a person's minutes feed. OFFICE times no care (the
    billing office, an administrator); what anyone may do is in core/access.py."""

    CLINICAL_STAFF = "clinical_staff"
    PRACTITIONER = "practitioner"
    OFFICE = "office"


class Program(StrEnum):
    CCM = "CCM"
    PCM = "PCM"
    BHI = "BHI"
    RPM = "RPM"
    CPO_HOME_HEALTH = "CPO_HOME_HEALTH"
    CPO_HOSPICE = "CPO_HOSPICE"
    APCM = "APCM"  # Advanced Primary Care Management (G0556-G0558), from 2025
    COCM = "COCM"  # Psychiatric Collaborative Care Model (99492-99494, G2214)


class EntrySource(StrEnum):
    TIMER = "timer"
    MANUAL = "manual"
    IMPORT = "import"


class EntryState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class Clinician(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(index=True)
    credential: str
    role: Role
    npi: str | None = None
    active: bool = True
    # A practitioner who works incident to the patients' billing practitioner (under their
    # general supervision): the clinic's setting other_practitioner_time may then count
    # their minutes as clinical-staff time. Never toward a code that needs the billing
    # practitioner's own time.
    incident_to: bool = False
    # Duties granted beside the role, comma-separated core.access.Duty values (billing,
    # admin); a person's credential is in signin_models.Credential.
    duties: str = ""


class Patient(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    mrn: str = Field(unique=True)
    family_name: str
    given_name: str
    birth_date: date | None = None
    billing_practitioner_id: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    care_manager_id: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    active: bool = True
    qmb: bool | None = None  # Qualified Medicare Beneficiary; None: not recorded


class ConsentMethod(StrEnum):
    VERBAL = "verbal"
    WRITTEN = "written"


class Enrollment(SQLModel, table=True):
    """A patient's enrolment in one program, with the consent that allows billing it.
    The three disclosures CMS requires are recorded one by one; withdrawal ends the
    enrolment from its date (`end_date` is set to it)."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id", index=True)
    program: Program
    consent_date: date | None = None
    consent_method: str | None = None  # a ConsentMethod value; free text before migration 0009
    start_date: date | None = None
    end_date: date | None = None
    consent_by: str | None = None  # who obtained it, as the audit trail names actors
    consent_by_id: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    disclosed_cost_sharing: bool = False
    disclosed_one_practitioner: bool = False
    disclosed_right_to_stop: bool = False
    consent_document_id: uuid.UUID | None = Field(default=None,
                                                  foreign_key="consent_document.id")
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None


class Category(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(unique=True)
    label: str
    program: Program | None = None  # None: program-level oversight, never billed per patient
    sort_order: int = 0
    active: bool = True


class TimeEntry(SQLModel, table=True):
    __tablename__ = "time_entry"
    __table_args__ = (
        Index("ix_time_entry_current_state", "superseded_at", "state"),
        Index("ix_time_entry_patient", "patient_id", "superseded_at"),
        Index("ix_time_entry_span_start", "superseded_at", "span_start"),
        Index("ix_time_entry_span_end", "superseded_at", "span_end"),
        Index("ix_time_entry_supersedes", "supersedes_id"),  # a version's successor
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    origin_id: uuid.UUID = Field(index=True)
    version: int = 1
    supersedes_id: uuid.UUID | None = Field(default=None, foreign_key="time_entry.id")
    superseded_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    clinician_id: uuid.UUID = Field(foreign_key="clinician.id", index=True)
    patient_id: uuid.UUID | None = Field(default=None, foreign_key="patient.id")
    category_id: uuid.UUID = Field(foreign_key="category.id")
    program: Program | None = None
    note: str = ""
    source: EntrySource
    state: EntryState
    workstation: str
    tz_name: str
    voided: bool = False
    void_reason: str | None = None
    change_reason: str | None = None
    created_at: datetime = Field(sa_column=_instant())
    created_by: uuid.UUID | None = Field(default=None, foreign_key="clinician.id")
    # Set when a recovery decision was taken; heartbeats older than this no longer count.
    recovered_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    # Kept equal to the intervals by database triggers (migration 0005); never set in code.
    span_start: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    span_end: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    span_seconds: int | None = None


class Interval(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="time_entry.id", index=True)
    start_utc: datetime = Field(sa_column=_instant(index=True))
    end_utc: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class Heartbeat(SQLModel, table=True):
    workstation: str = Field(primary_key=True)
    last_seen_utc: datetime = Field(sa_column=_instant())
    monotonic_ns: int
    boot_id: str = ""
    pid: int = 0


class PatientMonth(SQLModel, table=True):
    __tablename__ = "patient_month"
    __table_args__ = (UniqueConstraint("patient_id", "month"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    month: str  # YYYY-MM in the clinic's time zone
    complex_mdm: bool = False
    care_plan_revised: bool = False
    interactive_contact: bool = False


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    seq: int | None = Field(default=None, primary_key=True)  # chain order
    id: uuid.UUID = Field(default_factory=new_id, unique=True)
    at_utc: datetime = Field(sa_column=_instant())
    actor: str
    workstation: str
    action: str = Field(index=True)
    entity: str
    entity_id: str
    before: str | None = None  # JSON
    after: str | None = None  # JSON
    prev_hash: str
    hash: str
    # JSON {origin id: hash} of the entries this event wrote (store/hashes.py); None for
    # events that write no entry.
    evidence: str | None = None


# --- Exports and their delivery (issue 7, offline sync) -------------------------------------


class OutboxState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    FAILED = "failed"  # permanent: the receiver refused it (for example a 422); reason kept


class Export(SQLModel, table=True):
    """One rendered export, frozen: every retry sends these exact bytes under this id."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_at: datetime = Field(sa_column=_instant())
    actor: str
    workstation: str
    month: str  # YYYY-MM in the clinic's time zone
    scope: str  # a patient MRN, or "all"
    format: str  # csv, json, fhir, ehr-text, pdf
    filename_hint: str  # the renderer's suggested name, never containing patient identifiers
    sha256: str
    size: int
    amendment: bool = False
    chain_head: str  # the audit chain head when rendered: a later tamper changes the head
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OutboxItem(SQLModel, table=True):
    """An export waiting for (or done with) one delivery target. A lease (owner + expiry)
    keeps one delivery in flight; a killed process's lease expires or is reclaimed."""

    __tablename__ = "outbox_item"
    __table_args__ = (
        UniqueConstraint("export_id", "target"),
        Index("ix_outbox_item_due", "state", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    export_id: uuid.UUID = Field(foreign_key="export.id", index=True)
    target: str
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    created_at: datetime = Field(sa_column=_instant())
    next_attempt_at: datetime = Field(sa_column=_instant())
    last_try_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_error: str | None = None
    delivered_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    receipt: str | None = None  # what the receiver answered (status, location, version)
    lease_owner: str | None = None
    lease_expires_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    # Records frozen at enqueue for a folder bundle (JSON); None for other targets.
    bundle_records: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class HubPush(SQLModel, table=True):
    """The last push of this workstation's tables to one clinic hub target."""

    __tablename__ = "hub_push"

    target: str = Field(primary_key=True)
    attempts: int = 0  # consecutive failures
    next_attempt_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_try_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_error: str | None = None
    pushed_audit_seq: int = 0  # the audit head at the last successful push


class ChainHead(SQLModel, table=True):
    """On the clinic hub: the newest audit event of each workstation's chain at its last
    push. A later push whose chain no longer holds it was cut short or rewritten."""

    __tablename__ = "chain_head"

    chain: str = Field(primary_key=True)  # the hash of the chain's first event
    workstation: str
    seq: int
    hash: str
    pushed_at: datetime = Field(sa_column=_instant())


# --- Month close (issue 5, exports) ---------------------------------------------------------


class MonthApproval(SQLModel, table=True):
    """A billing practitioner's approval of one patient-month, never changed once written.
    A later entry change (an audit event after `audit_seq`) reopens the month; a new
    approval closes it again."""

    __tablename__ = "month_approval"
    __table_args__ = (Index("ix_month_approval_patient_month", "patient_id", "month"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    month: str  # YYYY-MM in the clinic's time zone
    approved_at: datetime = Field(sa_column=_instant())
    approved_by: str  # the approver's name, as the audit trail records actors
    approver_id: uuid.UUID = Field(foreign_key="clinician.id")
    audit_seq: int  # the approval's own audit event: entry events after it reopen the month
    lines: str  # JSON: the claim lines the approver saw


# --- Roster imports (issue 13) ----------------------------------------------------------------


class RosterImport(SQLModel, table=True):
    """One roster import, written in short batches (services/people/roster_batches.py).
    While its state is "writing", a failure or a killed process means its patients are
    taken back: by the importer itself, or at the next start once `owner` is gone."""

    __tablename__ = "roster_import"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    started_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())  # each batch: a live import is fresh
    finished_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    state: str = "writing"  # "writing", "done" or "taken back"
    owner: str  # workstation#pid of the importing process
    rows: int
    written: int = 0


class RosterImportPatient(SQLModel, table=True):
    """Which import wrote a patient, so an import stopped part-way can be taken back."""

    __tablename__ = "roster_import_patient"

    patient_id: uuid.UUID = Field(foreign_key="patient.id", primary_key=True)
    import_id: uuid.UUID = Field(foreign_key="roster_import.id", index=True)


# --- Bundles between workstations (issue 13) ---------------------------------------------------


class BundleKey(SQLModel, table=True):
    """A public key bundles are signed or sealed with: this workstation's signing key
    ("workstation"), the clinic's sealing key ("clinic") and the senders this clinic trusts
    ("trusted"). A private half, when this workstation holds one, is in the keyring (or
    wrapped under the database key); `private_in` says which. Retired keys stay, dated."""

    __tablename__ = "bundle_key"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str  # "workstation", "clinic" or "trusted"
    name: str  # the workstation's name; "clinic" for the clinic key
    public_key: str  # "ccm-ed25519:..." or "ccm-x25519:..."
    fingerprint: str = Field(index=True)
    private_in: str = ""  # "keyring", "wrapped" or "" (public half only)
    added_at: datetime = Field(sa_column=_instant())
    added_by: str
    retired_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class BundleConflict(SQLModel, table=True):
    """What an imported bundle wanted to change here and was not allowed to: a question
    for a person (`ccm-timer conflicts list`), never a silent winner (store/merge_guard.py)."""

    __tablename__ = "bundle_conflict"
    __table_args__ = (UniqueConstraint("bundle", "kind", "entity", "entity_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    recorded_at: datetime = Field(sa_column=_instant())
    bundle: str  # the bundle's name (its export id)
    sender: str  # the workstation that signed it
    kind: str  # "changed", "hidden", "superseded", "renamed", "live timer", ...
    entity: str  # the table: time_entry, interval, patient, ...
    entity_id: str  # the local row the bundle wanted to change
    summary: str  # one line for people
    incoming: str  # JSON: the bundle's row, as it came
    resolved_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


# The clinical record's tables (issue 14) live beside this module; importing them here
# registers them with every caller of the models (Alembic, the merge, the hub); so for the
# month rollup (issue 18), whose module also registers the drain that keeps it.
from ccm_timer.store.record_models import (  # noqa: E402, F401  (re-exported)
    CarePlanItem,
    CarePlanKind,
    CarePlanReview,
    Condition,
    ConsentDocument,
)
from ccm_timer.store.rollup_models import (  # noqa: E402, F401  (re-exported)
    MonthRollup,
    MonthRollupDirty,
    MonthRollupState,
)
from ccm_timer.store.signin_models import Credential  # noqa: E402, F401  (re-exported)
