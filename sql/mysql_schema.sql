CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE TABLE departments (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    code VARCHAR(16) NOT NULL, 
    name VARCHAR(100) NOT NULL, 
    token_prefix VARCHAR(3) NOT NULL, 
    base_no_show_rate FLOAT NOT NULL, 
    CONSTRAINT pk_departments PRIMARY KEY (id), 
    CONSTRAINT uq_departments_code UNIQUE (code), 
    CONSTRAINT uq_departments_token_prefix UNIQUE (token_prefix)
);

CREATE TABLE users (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    username VARCHAR(64) NOT NULL, 
    password_hash VARCHAR(255) NOT NULL, 
    `role` VARCHAR(20) NOT NULL, 
    full_name VARCHAR(200) NOT NULL, 
    active BOOL NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_users PRIMARY KEY (id), 
    CONSTRAINT uq_users_username UNIQUE (username)
);

CREATE TABLE api_tokens (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    user_id INTEGER NOT NULL, 
    token_hash VARCHAR(64) NOT NULL, 
    name VARCHAR(100) NOT NULL, 
    created_at DATETIME NOT NULL, 
    expires_at DATETIME NOT NULL, 
    CONSTRAINT pk_api_tokens PRIMARY KEY (id), 
    CONSTRAINT fk_api_tokens_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
    CONSTRAINT uq_api_tokens_token_hash UNIQUE (token_hash)
);

CREATE INDEX ix_api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE displays (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    name VARCHAR(100) NOT NULL, 
    department_id INTEGER, 
    key_hash VARCHAR(64) NOT NULL, 
    language VARCHAR(16) NOT NULL, 
    speech BOOL NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_displays PRIMARY KEY (id), 
    CONSTRAINT fk_displays_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id) ON DELETE CASCADE, 
    CONSTRAINT uq_displays_key_hash UNIQUE (key_hash), 
    CONSTRAINT uq_displays_name UNIQUE (name)
);

CREATE TABLE patients (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    record_number VARCHAR(32) NOT NULL, 
    full_name VARCHAR(200) NOT NULL, 
    date_of_birth DATE NOT NULL, 
    sex VARCHAR(1) NOT NULL, 
    phone VARCHAR(20), 
    email VARCHAR(254), 
    contact_preference VARCHAR(20) NOT NULL, 
    opted_out BOOL NOT NULL, 
    user_id INTEGER, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_patients PRIMARY KEY (id), 
    CONSTRAINT fk_patients_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL, 
    CONSTRAINT uq_patients_record_number UNIQUE (record_number), 
    CONSTRAINT uq_patients_user_id UNIQUE (user_id)
);

CREATE INDEX ix_patients_full_name ON patients (full_name);

CREATE INDEX ix_patients_phone ON patients (phone);

CREATE TABLE rooms (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    department_id INTEGER NOT NULL, 
    name VARCHAR(50) NOT NULL, 
    CONSTRAINT pk_rooms PRIMARY KEY (id), 
    CONSTRAINT fk_rooms_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id) ON DELETE CASCADE, 
    CONSTRAINT uq_rooms_department_id_name UNIQUE (department_id, name)
);

CREATE TABLE token_counters (
    department_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    last_number INTEGER NOT NULL, 
    CONSTRAINT pk_token_counters PRIMARY KEY (department_id, day), 
    CONSTRAINT fk_token_counters_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id)
);

CREATE TABLE doctors (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    department_id INTEGER NOT NULL, 
    user_id INTEGER, 
    name VARCHAR(200) NOT NULL, 
    specialty VARCHAR(100) NOT NULL, 
    room_id INTEGER, 
    active BOOL NOT NULL, 
    CONSTRAINT pk_doctors PRIMARY KEY (id), 
    CONSTRAINT fk_doctors_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
    CONSTRAINT fk_doctors_room_id_rooms FOREIGN KEY(room_id) REFERENCES rooms (id), 
    CONSTRAINT fk_doctors_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL, 
    CONSTRAINT uq_doctors_user_id UNIQUE (user_id)
);

CREATE INDEX ix_doctors_department_id ON doctors (department_id);

CREATE TABLE doctor_sessions (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    doctor_id INTEGER NOT NULL, 
    room_id INTEGER, 
    day DATE NOT NULL, 
    starts_at DATETIME NOT NULL, 
    ends_at DATETIME NOT NULL, 
    slot_minutes INTEGER NOT NULL, 
    capacity_per_slot INTEGER NOT NULL, 
    overbook_cap INTEGER NOT NULL, 
    delay_minutes INTEGER NOT NULL, 
    closed_early_at DATETIME, 
    CONSTRAINT pk_doctor_sessions PRIMARY KEY (id), 
    CONSTRAINT ck_doctor_sessions_capacity CHECK (capacity_per_slot >= 1), 
    CONSTRAINT ck_doctor_sessions_ends_after_start CHECK (ends_at > starts_at), 
    CONSTRAINT ck_doctor_sessions_overbook_cap CHECK (overbook_cap >= 0), 
    CONSTRAINT ck_doctor_sessions_slot_minutes CHECK (slot_minutes BETWEEN 5 AND 240), 
    CONSTRAINT fk_doctor_sessions_doctor_id_doctors FOREIGN KEY(doctor_id) REFERENCES doctors (id), 
    CONSTRAINT fk_doctor_sessions_room_id_rooms FOREIGN KEY(room_id) REFERENCES rooms (id), 
    CONSTRAINT uq_doctor_sessions_doctor_id_starts_at UNIQUE (doctor_id, starts_at)
);

CREATE INDEX ix_doctor_sessions_day ON doctor_sessions (day);

CREATE INDEX ix_doctor_sessions_doctor_id ON doctor_sessions (doctor_id);

CREATE TABLE slots (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    session_id INTEGER NOT NULL, 
    doctor_id INTEGER NOT NULL, 
    starts_at DATETIME NOT NULL, 
    ends_at DATETIME NOT NULL, 
    capacity INTEGER NOT NULL, 
    overbook_cap INTEGER NOT NULL, 
    booked INTEGER NOT NULL, 
    expected_shows_milli INTEGER NOT NULL, 
    CONSTRAINT pk_slots PRIMARY KEY (id), 
    CONSTRAINT ck_slots_booked_within_cap CHECK (booked <= capacity + overbook_cap), 
    CONSTRAINT ck_slots_booked_nonnegative CHECK (booked >= 0), 
    CONSTRAINT fk_slots_doctor_id_doctors FOREIGN KEY(doctor_id) REFERENCES doctors (id), 
    CONSTRAINT fk_slots_session_id_doctor_sessions FOREIGN KEY(session_id) REFERENCES doctor_sessions (id) ON DELETE CASCADE, 
    CONSTRAINT uq_slots_session_id_starts_at UNIQUE (session_id, starts_at)
);

CREATE INDEX ix_slots_doctor_id ON slots (doctor_id);

CREATE INDEX ix_slots_session_id ON slots (session_id);

CREATE INDEX ix_slots_starts_at ON slots (starts_at);

CREATE TABLE appointments (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    patient_id INTEGER NOT NULL, 
    department_id INTEGER NOT NULL, 
    doctor_id INTEGER, 
    slot_id INTEGER, 
    day DATE NOT NULL, 
    scheduled_at DATETIME, 
    source VARCHAR(20) NOT NULL, 
    urgency VARCHAR(20) NOT NULL, 
    reason VARCHAR(500) NOT NULL, 
    status VARCHAR(20) NOT NULL, 
    no_show_probability FLOAT, 
    overbooked BOOL NOT NULL, 
    overbook_reason VARCHAR(300) NOT NULL, 
    booked_at DATETIME NOT NULL, 
    checked_in_at DATETIME, 
    called_at DATETIME, 
    started_at DATETIME, 
    completed_at DATETIME, 
    skipped_at DATETIME, 
    no_show_at DATETIME, 
    cancelled_at DATETIME, 
    transferred_at DATETIME, 
    updated_at DATETIME NOT NULL, 
    CONSTRAINT pk_appointments PRIMARY KEY (id), 
    CONSTRAINT fk_appointments_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
    CONSTRAINT fk_appointments_doctor_id_doctors FOREIGN KEY(doctor_id) REFERENCES doctors (id), 
    CONSTRAINT fk_appointments_patient_id_patients FOREIGN KEY(patient_id) REFERENCES patients (id), 
    CONSTRAINT fk_appointments_slot_id_slots FOREIGN KEY(slot_id) REFERENCES slots (id)
);

CREATE INDEX ix_appointments_patient_id ON appointments (patient_id);

CREATE INDEX ix_appointments_slot_id ON appointments (slot_id);

CREATE TABLE audit_events (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    at DATETIME NOT NULL, 
    actor_id INTEGER, 
    action VARCHAR(40) NOT NULL, 
    appointment_id INTEGER, 
    from_status VARCHAR(20), 
    to_status VARCHAR(20), 
    reason VARCHAR(500) NOT NULL, 
    details JSON NOT NULL, 
    CONSTRAINT pk_audit_events PRIMARY KEY (id), 
    CONSTRAINT fk_audit_events_actor_id_users FOREIGN KEY(actor_id) REFERENCES users (id), 
    CONSTRAINT fk_audit_events_appointment_id_appointments FOREIGN KEY(appointment_id) REFERENCES appointments (id) ON DELETE CASCADE
);

CREATE INDEX ix_audit_events_appointment_id ON audit_events (appointment_id);

CREATE INDEX ix_audit_events_at ON audit_events (at);

CREATE TABLE consultation_notes (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    appointment_id INTEGER NOT NULL, 
    patient_id INTEGER NOT NULL, 
    author_id INTEGER, 
    created_at DATETIME NOT NULL, 
    text TEXT NOT NULL, 
    CONSTRAINT pk_consultation_notes PRIMARY KEY (id), 
    CONSTRAINT fk_consultation_notes_appointment_id_appointments FOREIGN KEY(appointment_id) REFERENCES appointments (id) ON DELETE CASCADE, 
    CONSTRAINT fk_consultation_notes_author_id_users FOREIGN KEY(author_id) REFERENCES users (id), 
    CONSTRAINT fk_consultation_notes_patient_id_patients FOREIGN KEY(patient_id) REFERENCES patients (id)
);

CREATE INDEX ix_consultation_notes_appointment_id ON consultation_notes (appointment_id);

CREATE INDEX ix_consultation_notes_patient_id ON consultation_notes (patient_id);

CREATE TABLE tickets (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    appointment_id INTEGER NOT NULL, 
    department_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    number INTEGER NOT NULL, 
    token VARCHAR(8) NOT NULL, 
    queue_department_id INTEGER NOT NULL, 
    doctor_id INTEGER, 
    room_id INTEGER, 
    arrived_at DATETIME, 
    call_count INTEGER NOT NULL, 
    plan_rank INTEGER, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_tickets PRIMARY KEY (id), 
    CONSTRAINT ck_tickets_number_positive CHECK (number >= 1), 
    CONSTRAINT fk_tickets_appointment_id_appointments FOREIGN KEY(appointment_id) REFERENCES appointments (id) ON DELETE CASCADE, 
    CONSTRAINT fk_tickets_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
    CONSTRAINT fk_tickets_doctor_id_doctors FOREIGN KEY(doctor_id) REFERENCES doctors (id), 
    CONSTRAINT fk_tickets_queue_department_id_departments FOREIGN KEY(queue_department_id) REFERENCES departments (id), 
    CONSTRAINT fk_tickets_room_id_rooms FOREIGN KEY(room_id) REFERENCES rooms (id), 
    CONSTRAINT uq_tickets_appointment_id UNIQUE (appointment_id), 
    CONSTRAINT uq_tickets_department_id_day_number UNIQUE (department_id, day, number)
);

CREATE INDEX ix_tickets_queue ON tickets (department_id, day, doctor_id);

CREATE INDEX ix_tickets_queue_department_id ON tickets (queue_department_id);

CREATE TABLE vitals (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    appointment_id INTEGER NOT NULL, 
    recorded_by INTEGER, 
    recorded_at DATETIME NOT NULL, 
    temperature_c FLOAT, 
    pulse_bpm INTEGER, 
    systolic_mmhg INTEGER, 
    diastolic_mmhg INTEGER, 
    spo2_pct INTEGER, 
    height_cm FLOAT, 
    weight_kg FLOAT, 
    CONSTRAINT pk_vitals PRIMARY KEY (id), 
    CONSTRAINT fk_vitals_appointment_id_appointments FOREIGN KEY(appointment_id) REFERENCES appointments (id) ON DELETE CASCADE, 
    CONSTRAINT fk_vitals_recorded_by_users FOREIGN KEY(recorded_by) REFERENCES users (id)
);

CREATE INDEX ix_vitals_appointment_id ON vitals (appointment_id);

INSERT INTO alembic_version (version_num) VALUES ('0001');

-- Running upgrade 0001 -> 0002

CREATE TABLE outbox (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    idem_key VARCHAR(191) NOT NULL, 
    appointment_id INTEGER, 
    kind VARCHAR(32) NOT NULL, 
    channel VARCHAR(8) NOT NULL, 
    to_address VARCHAR(254) NOT NULL, 
    subject VARCHAR(200) NOT NULL, 
    body TEXT NOT NULL, 
    status VARCHAR(10) NOT NULL, 
    attempts INTEGER NOT NULL, 
    next_attempt_at DATETIME NOT NULL, 
    claim VARCHAR(36), 
    lease_until DATETIME, 
    last_error VARCHAR(500) NOT NULL, 
    provider_id VARCHAR(64), 
    created_at DATETIME NOT NULL, 
    sent_at DATETIME, 
    CONSTRAINT pk_outbox PRIMARY KEY (id), 
    CONSTRAINT fk_outbox_appointment_id_appointments FOREIGN KEY(appointment_id) REFERENCES appointments (id) ON DELETE SET NULL, 
    CONSTRAINT uq_outbox_idem_key UNIQUE (idem_key)
);

CREATE INDEX ix_outbox_appointment_id ON outbox (appointment_id);

CREATE INDEX ix_outbox_due ON outbox (status, next_attempt_at);

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

CREATE TABLE queue_plans (
    department_id INTEGER NOT NULL, 
    day DATE NOT NULL, 
    version INTEGER NOT NULL, 
    plan_version INTEGER, 
    plan JSON, 
    updated_at DATETIME NOT NULL, 
    CONSTRAINT pk_queue_plans PRIMARY KEY (department_id, day), 
    CONSTRAINT fk_queue_plans_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id)
);

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

-- Running upgrade 0003 -> 0004

CREATE TABLE login_sessions (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    user_id INTEGER NOT NULL, 
    key_hash VARCHAR(64) NOT NULL, 
    created_at DATETIME NOT NULL, 
    expires_at DATETIME NOT NULL, 
    CONSTRAINT pk_login_sessions PRIMARY KEY (id), 
    CONSTRAINT fk_login_sessions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
    CONSTRAINT uq_login_sessions_key_hash UNIQUE (key_hash)
);

CREATE INDEX ix_login_sessions_user_id ON login_sessions (user_id);

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';

-- Running upgrade 0004 -> 0005

ALTER TABLE appointments ADD COLUMN active_ticket INTEGER GENERATED ALWAYS AS (CASE WHEN status IN ('waiting', 'called', 'in_consultation') THEN 1 END) VIRTUAL;

CREATE UNIQUE INDEX uq_appointments_active_ticket ON appointments (patient_id, department_id, day, active_ticket);

CREATE TABLE idempotency_keys (
    user_id INTEGER NOT NULL, 
    `key` VARCHAR(100) NOT NULL, 
    fingerprint VARCHAR(64) NOT NULL, 
    status INTEGER NOT NULL, 
    body TEXT NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_idempotency_keys PRIMARY KEY (user_id, `key`), 
    CONSTRAINT fk_idempotency_keys_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);

UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004';

-- Running upgrade 0005 -> 0006

ALTER TABLE doctors ADD COLUMN desk_open BOOL NOT NULL DEFAULT false;

ALTER TABLE doctors ADD COLUMN desk_since DATETIME;

UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005';

-- Running upgrade 0006 -> 0007

ALTER TABLE api_tokens ADD COLUMN scopes VARCHAR(1000) NOT NULL DEFAULT '';

CREATE TABLE fhir_subscriptions (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    resource_type VARCHAR(20) NOT NULL, 
    criteria VARCHAR(200) NOT NULL, 
    statuses VARCHAR(200) NOT NULL, 
    endpoint VARCHAR(254) NOT NULL, 
    header VARCHAR(500) NOT NULL, 
    reason VARCHAR(200) NOT NULL, 
    status VARCHAR(12) NOT NULL, 
    error VARCHAR(500) NOT NULL, 
    created_by INTEGER, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_fhir_subscriptions PRIMARY KEY (id), 
    CONSTRAINT fk_fhir_subscriptions_created_by_users FOREIGN KEY(created_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX ix_fhir_subscriptions_resource_type ON fhir_subscriptions (resource_type);

CREATE INDEX ix_outbox_channel_due ON outbox (channel, status, next_attempt_at);

UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0006';

-- Running upgrade 0007 -> 0008

ALTER TABLE patients ADD COLUMN language VARCHAR(16) NOT NULL DEFAULT 'en';

ALTER TABLE users ADD COLUMN language VARCHAR(16) NOT NULL DEFAULT 'en';

ALTER TABLE appointments ADD COLUMN checkin_method VARCHAR(20);

UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007';

-- Running upgrade 0008 -> 0009

CREATE TABLE account_codes (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    purpose VARCHAR(16) NOT NULL, 
    request_hash VARCHAR(64) NOT NULL, 
    code_hash VARCHAR(64) NOT NULL, 
    user_id INTEGER, 
    patient_id INTEGER, 
    channel VARCHAR(8) NOT NULL, 
    to_address VARCHAR(254) NOT NULL, 
    payload JSON NOT NULL, 
    attempts INTEGER NOT NULL, 
    expires_at DATETIME NOT NULL, 
    used_at DATETIME, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_account_codes PRIMARY KEY (id), 
    CONSTRAINT fk_account_codes_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
    CONSTRAINT fk_account_codes_patient_id_patients FOREIGN KEY(patient_id) REFERENCES patients (id) ON DELETE CASCADE, 
    CONSTRAINT uq_account_codes_request_hash UNIQUE (request_hash)
);

CREATE INDEX ix_account_codes_user_id ON account_codes (user_id);

CREATE INDEX ix_account_codes_patient_id ON account_codes (patient_id);

CREATE INDEX ix_account_codes_expires_at ON account_codes (expires_at);

CREATE TABLE guardianships (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    user_id INTEGER NOT NULL, 
    patient_id INTEGER NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_guardianships PRIMARY KEY (id), 
    CONSTRAINT fk_guardianships_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
    CONSTRAINT fk_guardianships_patient_id_patients FOREIGN KEY(patient_id) REFERENCES patients (id) ON DELETE CASCADE, 
    CONSTRAINT uq_guardianships_user_id_patient_id UNIQUE (user_id, patient_id)
);

CREATE INDEX ix_guardianships_user_id ON guardianships (user_id);

CREATE INDEX ix_guardianships_patient_id ON guardianships (patient_id);

UPDATE alembic_version SET version_num='0009' WHERE alembic_version.version_num = '0008';

-- Running upgrade 0009 -> 0010

ALTER TABLE displays ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'board';

ALTER TABLE appointments ADD COLUMN late_min INTEGER;

CREATE INDEX ix_patients_date_of_birth ON patients (date_of_birth);

UPDATE alembic_version SET version_num='0010' WHERE alembic_version.version_num = '0009';

-- Running upgrade 0010 -> 0011

CREATE TABLE waitlist_entries (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    patient_id INTEGER NOT NULL, 
    department_id INTEGER NOT NULL, 
    doctor_id INTEGER, 
    first_day DATE NOT NULL, 
    last_day DATE NOT NULL, 
    status VARCHAR(10) NOT NULL, 
    created_by_id INTEGER, 
    created_at DATETIME NOT NULL, 
    updated_at DATETIME NOT NULL, 
    CONSTRAINT pk_waitlist_entries PRIMARY KEY (id), 
    CONSTRAINT fk_waitlist_entries_patient_id_patients FOREIGN KEY(patient_id) REFERENCES patients (id), 
    CONSTRAINT fk_waitlist_entries_department_id_departments FOREIGN KEY(department_id) REFERENCES departments (id), 
    CONSTRAINT fk_waitlist_entries_doctor_id_doctors FOREIGN KEY(doctor_id) REFERENCES doctors (id), 
    CONSTRAINT fk_waitlist_entries_created_by_id_users FOREIGN KEY(created_by_id) REFERENCES users (id)
);

CREATE INDEX ix_waitlist_entries_patient_id ON waitlist_entries (patient_id);

CREATE INDEX ix_waitlist_entries_line ON waitlist_entries (status, department_id, id);

CREATE TABLE waitlist_offers (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    entry_id INTEGER NOT NULL, 
    slot_id INTEGER NOT NULL, 
    status VARCHAR(10) NOT NULL, 
    offered_at DATETIME NOT NULL, 
    expires_at DATETIME NOT NULL, 
    answered_at DATETIME, 
    appointment_id INTEGER, 
    CONSTRAINT pk_waitlist_offers PRIMARY KEY (id), 
    CONSTRAINT fk_waitlist_offers_entry_id_waitlist_entries FOREIGN KEY(entry_id) REFERENCES waitlist_entries (id), 
    CONSTRAINT fk_waitlist_offers_slot_id_slots FOREIGN KEY(slot_id) REFERENCES slots (id), 
    CONSTRAINT fk_waitlist_offers_appointment_id_appointments FOREIGN KEY(appointment_id) REFERENCES appointments (id) ON DELETE SET NULL
);

CREATE INDEX ix_waitlist_offers_entry_id ON waitlist_offers (entry_id);

CREATE INDEX ix_waitlist_offers_open ON waitlist_offers (status, expires_at);

CREATE INDEX ix_waitlist_offers_slot ON waitlist_offers (slot_id, status);

UPDATE alembic_version SET version_num='0011' WHERE alembic_version.version_num = '0010';

-- Running upgrade 0011 -> 0012

ALTER TABLE departments ADD COLUMN active BOOL NOT NULL DEFAULT true;

ALTER TABLE rooms ADD COLUMN active BOOL NOT NULL DEFAULT true;

ALTER TABLE displays ADD COLUMN active BOOL NOT NULL DEFAULT true;

UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0011';

-- Running upgrade 0012 -> 0013

CREATE TABLE session_templates (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    doctor_id INTEGER NOT NULL, 
    room_id INTEGER, 
    weekday INTEGER NOT NULL, 
    start_time TIME NOT NULL, 
    end_time TIME NOT NULL, 
    slot_minutes INTEGER NOT NULL, 
    capacity_per_slot INTEGER NOT NULL, 
    overbook_cap INTEGER NOT NULL, 
    valid_from DATE NOT NULL, 
    valid_to DATE, 
    active BOOL NOT NULL DEFAULT true, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_session_templates PRIMARY KEY (id), 
    CONSTRAINT ck_session_templates_weekday CHECK (weekday BETWEEN 0 AND 6), 
    CONSTRAINT ck_session_templates_ends_after_start CHECK (end_time > start_time), 
    CONSTRAINT ck_session_templates_slot_minutes CHECK (slot_minutes BETWEEN 5 AND 240), 
    CONSTRAINT ck_session_templates_capacity CHECK (capacity_per_slot >= 1), 
    CONSTRAINT ck_session_templates_overbook_cap CHECK (overbook_cap >= 0), 
    CONSTRAINT fk_session_templates_doctor_id_doctors FOREIGN KEY(doctor_id) REFERENCES doctors (id), 
    CONSTRAINT fk_session_templates_room_id_rooms FOREIGN KEY(room_id) REFERENCES rooms (id)
);

CREATE INDEX ix_session_templates_doctor_id ON session_templates (doctor_id);

CREATE TABLE clinic_closures (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    starts_on DATE NOT NULL, 
    ends_on DATE NOT NULL, 
    reason VARCHAR(200) NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_clinic_closures PRIMARY KEY (id), 
    CONSTRAINT ck_clinic_closures_ends_after_start CHECK (ends_on >= starts_on)
);

CREATE INDEX ix_clinic_closures_starts_on ON clinic_closures (starts_on);

CREATE TABLE doctor_leave (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    doctor_id INTEGER NOT NULL, 
    starts_on DATE NOT NULL, 
    ends_on DATE NOT NULL, 
    reason VARCHAR(200) NOT NULL, 
    created_at DATETIME NOT NULL, 
    CONSTRAINT pk_doctor_leave PRIMARY KEY (id), 
    CONSTRAINT ck_doctor_leave_ends_after_start CHECK (ends_on >= starts_on), 
    CONSTRAINT fk_doctor_leave_doctor_id_doctors FOREIGN KEY(doctor_id) REFERENCES doctors (id)
);

CREATE INDEX ix_doctor_leave_doctor_id ON doctor_leave (doctor_id);

ALTER TABLE doctor_sessions ADD COLUMN template_id INTEGER;

CREATE INDEX ix_doctor_sessions_template_id ON doctor_sessions (template_id);

ALTER TABLE doctor_sessions ADD CONSTRAINT fk_doctor_sessions_template_id_session_templates FOREIGN KEY(template_id) REFERENCES session_templates (id) ON DELETE SET NULL;

UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0012';

-- Running upgrade 0013 -> 0014

CREATE TABLE priority_categories (
    id INTEGER NOT NULL AUTO_INCREMENT, 
    name VARCHAR(60) NOT NULL, 
    weight INTEGER NOT NULL, 
    max_wait_min INTEGER, 
    active BOOL NOT NULL DEFAULT true, 
    created_at DATETIME NOT NULL, 
    updated_at DATETIME NOT NULL, 
    CONSTRAINT pk_priority_categories PRIMARY KEY (id), 
    CONSTRAINT ck_priority_categories_weight_range CHECK (weight BETWEEN 1 AND 10), 
    CONSTRAINT ck_priority_categories_max_wait CHECK (max_wait_min IS NULL OR max_wait_min BETWEEN 1 AND 720), 
    CONSTRAINT uq_priority_categories_name UNIQUE (name)
);

ALTER TABLE appointments ADD COLUMN priority_category_id INTEGER;

ALTER TABLE appointments ADD CONSTRAINT fk_appointments_priority_category_id_priority_categories FOREIGN KEY(priority_category_id) REFERENCES priority_categories (id);

UPDATE alembic_version SET version_num='0014' WHERE alembic_version.version_num = '0013';


