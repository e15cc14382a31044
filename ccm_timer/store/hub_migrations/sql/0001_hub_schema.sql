DO $$ BEGIN CREATE TYPE careplankind AS ENUM ('PROBLEM', 'GOAL', 'INTERVENTION'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN CREATE TYPE entrysource AS ENUM ('TIMER', 'MANUAL', 'IMPORT'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN CREATE TYPE entrystate AS ENUM ('RUNNING', 'PAUSED', 'STOPPED'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN CREATE TYPE outboxstate AS ENUM ('PENDING', 'IN_FLIGHT', 'DELIVERED', 'FAILED'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN CREATE TYPE program AS ENUM ('CCM', 'PCM', 'BHI', 'RPM', 'CPO_HOME_HEALTH', 'CPO_HOSPICE', 'APCM', 'COCM'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN CREATE TYPE role AS ENUM ('CLINICAL_STAFF', 'PRACTITIONER', 'OFFICE'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;

CREATE TABLE IF NOT EXISTS audit_event (
    seq SERIAL NOT NULL,
    id UUID NOT NULL,
    at_utc VARCHAR(27) NOT NULL,
    actor VARCHAR NOT NULL,
    workstation VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    before VARCHAR,
    after VARCHAR,
    prev_hash VARCHAR NOT NULL,
    hash VARCHAR NOT NULL,
    evidence VARCHAR,
    PRIMARY KEY (seq),
    UNIQUE (id)
);

CREATE INDEX IF NOT EXISTS ix_audit_event_action ON audit_event (action);

CREATE TABLE IF NOT EXISTS bundle_conflict (
    id UUID NOT NULL,
    recorded_at VARCHAR(27) NOT NULL,
    bundle VARCHAR NOT NULL,
    sender VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    summary VARCHAR NOT NULL,
    incoming VARCHAR NOT NULL,
    resolved_at VARCHAR(27),
    PRIMARY KEY (id),
    UNIQUE (bundle, kind, entity, entity_id)
);

CREATE TABLE IF NOT EXISTS bundle_key (
    id UUID NOT NULL,
    kind VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    public_key VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    private_in VARCHAR NOT NULL,
    added_at VARCHAR(27) NOT NULL,
    added_by VARCHAR NOT NULL,
    retired_at VARCHAR(27),
    PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_bundle_key_fingerprint ON bundle_key (fingerprint);

CREATE TABLE IF NOT EXISTS category (
    id UUID NOT NULL,
    slug VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    program program,
    sort_order INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (slug)
);

CREATE TABLE IF NOT EXISTS chain_head (
    chain VARCHAR NOT NULL,
    workstation VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    hash VARCHAR NOT NULL,
    pushed_at VARCHAR(27) NOT NULL,
    PRIMARY KEY (chain)
);

CREATE TABLE IF NOT EXISTS clinician (
    id UUID NOT NULL,
    name VARCHAR NOT NULL,
    credential VARCHAR NOT NULL,
    role role NOT NULL,
    npi VARCHAR,
    active BOOLEAN NOT NULL,
    incident_to BOOLEAN NOT NULL,
    duties VARCHAR NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_clinician_name ON clinician (name);

CREATE TABLE IF NOT EXISTS export (
    id UUID NOT NULL,
    created_at VARCHAR(27) NOT NULL,
    actor VARCHAR NOT NULL,
    workstation VARCHAR NOT NULL,
    month VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    filename_hint VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    amendment BOOLEAN NOT NULL,
    chain_head VARCHAR NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS heartbeat (
    workstation VARCHAR NOT NULL,
    last_seen_utc VARCHAR(27) NOT NULL,
    monotonic_ns INTEGER NOT NULL,
    boot_id VARCHAR NOT NULL,
    pid INTEGER NOT NULL,
    PRIMARY KEY (workstation)
);

CREATE TABLE IF NOT EXISTS hub_push (
    target VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at VARCHAR(27),
    last_try_at VARCHAR(27),
    last_success_at VARCHAR(27),
    last_error VARCHAR,
    pushed_audit_seq INTEGER NOT NULL,
    PRIMARY KEY (target)
);

CREATE TABLE IF NOT EXISTS month_rollup (
    id SERIAL NOT NULL,
    patient_id UUID,
    month VARCHAR NOT NULL,
    clinician_id UUID NOT NULL,
    category_id UUID NOT NULL,
    program VARCHAR,
    seconds INTEGER NOT NULL,
    longest INTEGER NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_month_rollup_month ON month_rollup (month, patient_id);

CREATE TABLE IF NOT EXISTS month_rollup_dirty (
    id SERIAL NOT NULL,
    entry_id UUID,
    patient_id UUID,
    lo VARCHAR(27),
    hi VARCHAR(27),
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS month_rollup_state (
    id INTEGER NOT NULL,
    zone VARCHAR NOT NULL,
    built_at VARCHAR(27) NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS roster_import (
    id UUID NOT NULL,
    started_at VARCHAR(27) NOT NULL,
    updated_at VARCHAR(27) NOT NULL,
    finished_at VARCHAR(27),
    state VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    rows INTEGER NOT NULL,
    written INTEGER NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS credential (
    clinician_id UUID NOT NULL,
    secret_hash VARCHAR,
    set_at VARCHAR(27),
    set_by VARCHAR,
    failures INTEGER NOT NULL,
    failed_at VARCHAR(27),
    locked_until VARCHAR(27),
    PRIMARY KEY (clinician_id),
    FOREIGN KEY(clinician_id) REFERENCES clinician (id)
);

CREATE TABLE IF NOT EXISTS outbox_item (
    id UUID NOT NULL,
    export_id UUID NOT NULL,
    target VARCHAR NOT NULL,
    state outboxstate NOT NULL,
    attempts INTEGER NOT NULL,
    created_at VARCHAR(27) NOT NULL,
    next_attempt_at VARCHAR(27) NOT NULL,
    last_try_at VARCHAR(27),
    last_error VARCHAR,
    delivered_at VARCHAR(27),
    receipt VARCHAR,
    lease_owner VARCHAR,
    lease_expires_at VARCHAR(27),
    bundle_records BYTEA,
    PRIMARY KEY (id),
    UNIQUE (export_id, target),
    FOREIGN KEY(export_id) REFERENCES export (id)
);

CREATE INDEX IF NOT EXISTS ix_outbox_item_due ON outbox_item (state, next_attempt_at);

CREATE INDEX IF NOT EXISTS ix_outbox_item_export_id ON outbox_item (export_id);

CREATE TABLE IF NOT EXISTS patient (
    id UUID NOT NULL,
    mrn VARCHAR NOT NULL,
    family_name VARCHAR NOT NULL,
    given_name VARCHAR NOT NULL,
    birth_date DATE,
    billing_practitioner_id UUID,
    care_manager_id UUID,
    active BOOLEAN NOT NULL,
    qmb BOOLEAN,
    PRIMARY KEY (id),
    UNIQUE (mrn),
    FOREIGN KEY(billing_practitioner_id) REFERENCES clinician (id),
    FOREIGN KEY(care_manager_id) REFERENCES clinician (id)
);

CREATE TABLE IF NOT EXISTS care_plan_item (
    id UUID NOT NULL,
    patient_id UUID NOT NULL,
    kind careplankind NOT NULL,
    text VARCHAR NOT NULL,
    condition_code VARCHAR,
    created_at VARCHAR(27) NOT NULL,
    created_by VARCHAR NOT NULL,
    created_by_id UUID,
    ended_at VARCHAR(27),
    ended_by VARCHAR,
    end_reason VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(patient_id) REFERENCES patient (id),
    FOREIGN KEY(created_by_id) REFERENCES clinician (id)
);

CREATE INDEX IF NOT EXISTS ix_care_plan_item_patient ON care_plan_item (patient_id, ended_at);

CREATE TABLE IF NOT EXISTS care_plan_review (
    id UUID NOT NULL,
    patient_id UUID NOT NULL,
    reviewed_at VARCHAR(27) NOT NULL,
    reviewed_by VARCHAR NOT NULL,
    reviewer_id UUID,
    substantial BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(patient_id) REFERENCES patient (id),
    FOREIGN KEY(reviewer_id) REFERENCES clinician (id)
);

CREATE INDEX IF NOT EXISTS ix_care_plan_review_patient ON care_plan_review (patient_id, reviewed_at);

CREATE TABLE IF NOT EXISTS consent_document (
    id UUID NOT NULL,
    patient_id UUID NOT NULL,
    media_type VARCHAR NOT NULL,
    size INTEGER NOT NULL,
    sha256 VARCHAR NOT NULL,
    added_at VARCHAR(27) NOT NULL,
    added_by VARCHAR NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(patient_id) REFERENCES patient (id)
);

CREATE INDEX IF NOT EXISTS ix_consent_document_patient_id ON consent_document (patient_id);

CREATE TABLE IF NOT EXISTS month_approval (
    id UUID NOT NULL,
    patient_id UUID NOT NULL,
    month VARCHAR NOT NULL,
    approved_at VARCHAR(27) NOT NULL,
    approved_by VARCHAR NOT NULL,
    approver_id UUID NOT NULL,
    audit_seq INTEGER NOT NULL,
    lines VARCHAR NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(patient_id) REFERENCES patient (id),
    FOREIGN KEY(approver_id) REFERENCES clinician (id)
);

CREATE INDEX IF NOT EXISTS ix_month_approval_patient_month ON month_approval (patient_id, month);

CREATE TABLE IF NOT EXISTS patient_condition (
    id UUID NOT NULL,
    patient_id UUID NOT NULL,
    code VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    since DATE,
    added_at VARCHAR(27) NOT NULL,
    added_by VARCHAR NOT NULL,
    removed_at VARCHAR(27),
    removed_by VARCHAR,
    removal_reason VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(patient_id) REFERENCES patient (id)
);

CREATE INDEX IF NOT EXISTS ix_patient_condition_patient ON patient_condition (patient_id, removed_at);

CREATE TABLE IF NOT EXISTS patient_month (
    id UUID NOT NULL,
    patient_id UUID NOT NULL,
    month VARCHAR NOT NULL,
    complex_mdm BOOLEAN NOT NULL,
    care_plan_revised BOOLEAN NOT NULL,
    interactive_contact BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (patient_id, month),
    FOREIGN KEY(patient_id) REFERENCES patient (id)
);

CREATE TABLE IF NOT EXISTS roster_import_patient (
    patient_id UUID NOT NULL,
    import_id UUID NOT NULL,
    PRIMARY KEY (patient_id),
    FOREIGN KEY(patient_id) REFERENCES patient (id),
    FOREIGN KEY(import_id) REFERENCES roster_import (id)
);

CREATE INDEX IF NOT EXISTS ix_roster_import_patient_import_id ON roster_import_patient (import_id);

CREATE TABLE IF NOT EXISTS time_entry (
    id UUID NOT NULL,
    origin_id UUID NOT NULL,
    version INTEGER NOT NULL,
    supersedes_id UUID,
    superseded_at VARCHAR(27),
    clinician_id UUID NOT NULL,
    patient_id UUID,
    category_id UUID NOT NULL,
    program program,
    note VARCHAR NOT NULL,
    source entrysource NOT NULL,
    state entrystate NOT NULL,
    workstation VARCHAR NOT NULL,
    tz_name VARCHAR NOT NULL,
    voided BOOLEAN NOT NULL,
    void_reason VARCHAR,
    change_reason VARCHAR,
    created_at VARCHAR(27) NOT NULL,
    created_by UUID,
    recovered_at VARCHAR(27),
    span_start VARCHAR(27),
    span_end VARCHAR(27),
    span_seconds INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(supersedes_id) REFERENCES time_entry (id),
    FOREIGN KEY(clinician_id) REFERENCES clinician (id),
    FOREIGN KEY(patient_id) REFERENCES patient (id),
    FOREIGN KEY(category_id) REFERENCES category (id),
    FOREIGN KEY(created_by) REFERENCES clinician (id)
);

CREATE INDEX IF NOT EXISTS ix_time_entry_clinician_id ON time_entry (clinician_id);

CREATE INDEX IF NOT EXISTS ix_time_entry_current_state ON time_entry (superseded_at, state);

CREATE INDEX IF NOT EXISTS ix_time_entry_origin_id ON time_entry (origin_id);

CREATE INDEX IF NOT EXISTS ix_time_entry_patient ON time_entry (patient_id, superseded_at);

CREATE INDEX IF NOT EXISTS ix_time_entry_span_end ON time_entry (superseded_at, span_end);

CREATE INDEX IF NOT EXISTS ix_time_entry_span_start ON time_entry (superseded_at, span_start);

CREATE TABLE IF NOT EXISTS enrollment (
    id UUID NOT NULL,
    patient_id UUID NOT NULL,
    program program NOT NULL,
    consent_date DATE,
    consent_method VARCHAR,
    start_date DATE,
    end_date DATE,
    consent_by VARCHAR,
    consent_by_id UUID,
    disclosed_cost_sharing BOOLEAN NOT NULL,
    disclosed_one_practitioner BOOLEAN NOT NULL,
    disclosed_right_to_stop BOOLEAN NOT NULL,
    consent_document_id UUID,
    withdrawn_on DATE,
    withdrawal_reason VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(patient_id) REFERENCES patient (id),
    FOREIGN KEY(consent_by_id) REFERENCES clinician (id),
    FOREIGN KEY(consent_document_id) REFERENCES consent_document (id)
);

CREATE INDEX IF NOT EXISTS ix_enrollment_patient_id ON enrollment (patient_id);

CREATE TABLE IF NOT EXISTS interval (
    id UUID NOT NULL,
    entry_id UUID NOT NULL,
    start_utc VARCHAR(27) NOT NULL,
    end_utc VARCHAR(27),
    PRIMARY KEY (id),
    FOREIGN KEY(entry_id) REFERENCES time_entry (id)
);

CREATE INDEX IF NOT EXISTS ix_interval_entry_id ON interval (entry_id);

CREATE INDEX IF NOT EXISTS ix_interval_start_utc ON interval (start_utc);
