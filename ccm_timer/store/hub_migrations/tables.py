"""Tables only the hub has (a workstation's database never does), beside the workstation's
SQLModel tables the hub shares. Plain SQLAlchemy in a metadata of their own, so they stay
out of the workstation's schema and its migrations.

The shared tables differ on the hub in one way (revisions 0004, 0005): each carries
`org_id`, the clinic it belongs to, and a patient's MRN, a category's slug and a conflict's
key are unique per clinic.
`hub_metadata()` is the hub's whole schema (the models with that difference, and these
tables), which the hub's migrations are tested against."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)

from ccm_timer.store.types import UTCDateTime

HUB_ONLY = MetaData()

# One row per workstation, written by each full push (revision 0002): `hub status`.
workstation_push = Table(
    "workstation_push", HUB_ONLY,
    Column("workstation", String, nullable=False),
    Column("first_push_at", UTCDateTime, nullable=False),
    Column("last_push_at", UTCDateTime, nullable=False),
    Column("pushes", Integer, nullable=False),
    Column("audit_seq", Integer, nullable=False),  # the workstation's audit head then
    Column("org_id", Integer, nullable=False, server_default=text("ccm_hub_org()")),
    PrimaryKeyConstraint("org_id", "workstation", name="workstation_push_pkey"),
)

# Every row a merge inserts or updates in a table a push carries, noted by a trigger
# (revision 0003): what a workstation's pull asks for. `txid` is the writing transaction's
# id, which a pull's cursor is measured in (services/delivery/hub_pull.py says why).
hub_change = Table(
    "hub_change", HUB_ONLY,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("tbl", String, nullable=False),
    Column("row_id", String, nullable=False),  # the row's id as text
    Column("workstation", String, nullable=True),  # an entry's or export's; else None
    Column("txid", BigInteger, nullable=False),
    Column("org_id", Integer, nullable=False, server_default="1"),
    # Notes older than a prune's horizon go (revision 0005): hub_change_pruned.
    Column("noted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_hub_change_txid", "txid", "seq"),
    Index("ix_hub_change_noted_at", "noted_at"),
)

# The change log's last prune (revision 0005), one row: a pull whose cursor is below
# `below_txid` lost notes to it and reads its clinic's rows whole.
hub_change_pruned = Table(
    "hub_change_pruned", HUB_ONLY,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("below_txid", BigInteger, nullable=False),
    Column("pruned_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)

# The clinics sharing this hub (revision 0004); row 1 is its first, which `hub init` names
# by the clinic's key (the setting clinic_id).
hub_org = Table(
    "hub_org", HUB_ONLY,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("clinic_id", String, nullable=True, unique=True),
    Column("made_at", UTCDateTime, nullable=False),
)

# The login role `hub add-workstation` made for each workstation: whose rows it may write.
hub_workstation_role = Table(
    "hub_workstation_role", HUB_ONLY,
    Column("role", String, primary_key=True),
    Column("org_id", Integer, ForeignKey("hub_org.id"), nullable=False),
    Column("workstation", String, nullable=False),
    Column("made_at", UTCDateTime, nullable=False),
    UniqueConstraint("org_id", "workstation"),
)

# Each clinic's NOLOGIN role (revision 0005), which a connection through the owner's URL
# takes on (services/delivery/hub.py), so that it sees that clinic's rows only.
hub_clinic_role = Table(
    "hub_clinic_role", HUB_ONLY,
    Column("role", String, primary_key=True),
    Column("org_id", Integer, ForeignKey("hub_org.id"), nullable=False, unique=True),
)

# The shared tables that carry org_id on the hub (what a push writes, and the chain heads
# and conflicts), and the natural keys that are unique per clinic there.
WITH_ORG = ("clinician", "category", "patient", "consent_document", "enrollment",
            "patient_condition", "care_plan_item", "care_plan_review", "patient_month",
            "month_approval", "time_entry", "interval", "audit_event", "export",
            "chain_head", "bundle_conflict")
PER_CLINIC = {"patient": ("mrn",), "category": ("slug",),
              "bundle_conflict": ("bundle", "kind", "entity", "entity_id")}
_NAMES = {"patient": "uq_patient_org_mrn", "category": "uq_category_org_slug",
          "bundle_conflict": "uq_bundle_conflict_org_key"}


def hub_metadata(shared: MetaData) -> MetaData:
    """The hub's schema: the workstation's tables (`shared`, SQLModel.metadata) as the hub
    has them, beside HUB_ONLY. `shared` itself is left as it is."""
    out = MetaData()
    for name, tbl in shared.tables.items():
        copy = tbl.to_metadata(out)
        if name in WITH_ORG:
            # The writing role's clinic (revision 0004); a push never sends it.
            copy.append_column(Column("org_id", Integer, nullable=False,
                                      server_default=text("ccm_hub_org()")))
        if name in PER_CLINIC:
            key = list(PER_CLINIC[name])
            for c in [c for c in copy.constraints if isinstance(c, UniqueConstraint)
                      and [col.name for col in c.columns] == key]:
                copy.constraints.discard(c)
            if len(key) == 1:
                copy.c[key[0]].unique = False
            copy.append_constraint(UniqueConstraint("org_id", *key, name=_NAMES[name]))
    for tbl in HUB_ONLY.tables.values():
        tbl.to_metadata(out)
    return out
