-- Licence plates (opt-in per camera, docs/behaviour.md): reads on vehicle tracks, and the residents'
-- gallery of known plates. Plates are stored in their normal form (letters and digits, upper case).
CREATE TABLE known_plates (
    plate text PRIMARY KEY CHECK (plate ~ '^[A-Z0-9]{4,10}$'),
    name text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plate_reads (
    id bigserial PRIMARY KEY,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    event_id uuid NOT NULL,  -- the event window it was read in (the event row is written later)
    track_id integer NOT NULL,
    label text NOT NULL,
    plate text NOT NULL CHECK (plate ~ '^[A-Z0-9]{4,10}$'),
    confidence real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    read_at timestamptz NOT NULL,
    UNIQUE (event_id, track_id)  -- a redelivered window reads again and replaces, never duplicates
);
CREATE INDEX plate_reads_plate_idx ON plate_reads (plate, camera_id, read_at);
CREATE INDEX plate_reads_camera_idx ON plate_reads (camera_id, read_at);
