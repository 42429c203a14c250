-- Core pipeline schema: cameras, media, detections, events, dead letters, zones.
CREATE TABLE system_info (
    key text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO system_info (key, value) VALUES ('instance_id', gen_random_uuid()::text);

CREATE TABLE cameras (
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name text NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    muted_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz
);

CREATE TABLE media_files (
    id bigserial PRIMARY KEY,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    path text NOT NULL,
    original_name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('image', 'video')),
    size_bytes bigint NOT NULL,
    captured_at timestamptz NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'detected', 'no_objects', 'dead_letter')),
    event_id uuid
);
CREATE INDEX media_files_status_idx ON media_files (status) WHERE status = 'queued';
CREATE INDEX media_files_event_idx ON media_files (event_id);

CREATE TABLE detections (
    id bigserial PRIMARY KEY,
    media_id bigint NOT NULL REFERENCES media_files(id) ON DELETE CASCADE,
    frame_index integer NOT NULL DEFAULT 0,
    frame_offset_s real NOT NULL DEFAULT 0,
    label text NOT NULL,
    confidence real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    x1 real NOT NULL, y1 real NOT NULL, x2 real NOT NULL, y2 real NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX detections_media_idx ON detections (media_id);

CREATE TABLE events (
    id uuid PRIMARY KEY,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    risk_score smallint NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
    risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    summary text NOT NULL,
    reasoning text NOT NULL,
    objects jsonb NOT NULL DEFAULT '{}'::jsonb,
    zones text[] NOT NULL DEFAULT '{}',
    context jsonb NOT NULL DEFAULT '{}'::jsonb,
    fast_path boolean NOT NULL DEFAULT false,
    final boolean NOT NULL DEFAULT true,
    reviewed boolean NOT NULL DEFAULT false,
    notes text NOT NULL DEFAULT '',
    assessed_by text NOT NULL CHECK (assessed_by IN ('llama_cpp', 'openai', 'heuristic')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_started_idx ON events (started_at DESC, id DESC);
CREATE INDEX events_camera_started_idx ON events (camera_id, started_at DESC);
CREATE INDEX events_risk_idx ON events (risk_score);

CREATE TABLE event_detections (
    event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    detection_id bigint NOT NULL REFERENCES detections(id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, detection_id)
);

CREATE TABLE dead_letters (
    id bigserial PRIMARY KEY,
    stage text NOT NULL,
    media_id bigint REFERENCES media_files(id) ON DELETE SET NULL,
    source_path text,
    reason text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    attempts integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz
);
-- One dead letter per media file and stage: a redelivered entry cannot dead-letter twice.
CREATE UNIQUE INDEX dead_letters_media_stage_idx ON dead_letters (media_id, stage) WHERE media_id IS NOT NULL;

CREATE TABLE zones (
    id bigserial PRIMARY KEY,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    zone_type text NOT NULL CHECK (zone_type IN ('entry_point', 'driveway', 'sidewalk', 'yard', 'other')),
    priority integer NOT NULL DEFAULT 0,
    polygon jsonb NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (camera_id, name)
);
