-- Behaviour over time: directed tripwires per camera. A crossing is reported with its direction
-- ("in" or "out", see domain/zones.crossing); `a` and `b` are frame fractions 0..1.
CREATE TABLE tripwires (
    id serial PRIMARY KEY,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    a_x real NOT NULL CHECK (a_x BETWEEN 0 AND 1),
    a_y real NOT NULL CHECK (a_y BETWEEN 0 AND 1),
    b_x real NOT NULL CHECK (b_x BETWEEN 0 AND 1),
    b_y real NOT NULL CHECK (b_y BETWEEN 0 AND 1),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (camera_id, name)
);

-- Entity history and repeated visits read sightings per entity by time.
CREATE INDEX IF NOT EXISTS sightings_entity_seen_idx ON sightings (entity_id, seen_at);
