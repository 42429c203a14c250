-- Understanding: re-ID entities and their sightings, activity baselines per camera x hour of
-- week x class, and the bookkeeping that turns closed events into hourly counts.
--
-- The pgvector column (sightings.embedding_vec) and its index are NOT created here: a server
-- without the extension (e.g. a stock PostgreSQL 15) must still migrate. They are added at
-- start-up by store/understanding.py `setup_vector_search` when the extension is available.

-- One identity by appearance (a person or vehicle), seen on one or more cameras.
CREATE TABLE entities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    label text NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    cameras text[] NOT NULL DEFAULT '{}',
    sightings integer NOT NULL DEFAULT 0 CHECK (sightings >= 0)
);
CREATE INDEX entities_last_seen_idx ON entities (last_seen);

-- One crop of one event matched to (or founding) an entity. The embedding is always kept as a
-- portable float4[]; event_id has no foreign key because the sighting is recorded while the
-- event is being built, before the event row exists.
CREATE TABLE sightings (
    id bigserial PRIMARY KEY,
    entity_id uuid NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    event_id uuid,
    detection_id bigint REFERENCES detections(id) ON DELETE SET NULL,
    label text NOT NULL,
    seen_at timestamptz NOT NULL,
    similarity real,  -- to the entity it matched; NULL for the sighting that founded the entity
    embedding real[] NOT NULL CHECK (array_length(embedding, 1) > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sightings_seen_idx ON sightings (seen_at);
CREATE INDEX sightings_entity_idx ON sightings (entity_id);
-- A redelivered window must not record the same crop twice.
CREATE UNIQUE INDEX sightings_event_detection_idx ON sightings (event_id, detection_id);

-- The decayed statistics of one camera x hour-of-week (0 = Monday 00:00) x class
-- (see domain/baseline.py).
CREATE TABLE baselines (
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    hour_of_week smallint NOT NULL CHECK (hour_of_week BETWEEN 0 AND 167),
    label text NOT NULL,
    mean double precision NOT NULL DEFAULT 0,
    variance double precision NOT NULL DEFAULT 0 CHECK (variance >= 0),
    weight double precision NOT NULL DEFAULT 0 CHECK (weight >= 0),
    updated_at timestamptz,
    PRIMARY KEY (camera_id, hour_of_week, label)
);

-- The objects of each class every closed event saw, filed under the local hour slot it started
-- in. One row per event and class, so a redelivered window overwrites instead of adding.
CREATE TABLE baseline_slots (
    event_id uuid NOT NULL,
    label text NOT NULL,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    slot_start timestamptz NOT NULL,
    count integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (event_id, label)
);
CREATE INDEX baseline_slots_camera_idx ON baseline_slots (camera_id, label, slot_start);

-- Since when a camera's activity is counted: hours after this without any event are zeros.
CREATE TABLE baseline_cameras (
    camera_id text PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    tracking_since timestamptz NOT NULL
);

-- Every hour slot of (camera, class) before folded_until is already in the baselines cells.
CREATE TABLE baseline_progress (
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    label text NOT NULL,
    folded_until timestamptz NOT NULL,
    PRIMARY KEY (camera_id, label)
);
