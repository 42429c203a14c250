-- Faces (opt-in per camera, docs/behaviour.md): SFace embeddings of the faces seen on person tracks,
-- and the residents' gallery of known faces. Embeddings are biometric data: they are kept only for
-- the cameras that opted in, for faces.retention_days, and are never returned by the API.
CREATE TABLE face_embeddings (
    id bigserial PRIMARY KEY,
    camera_id text NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    event_id uuid NOT NULL,  -- the event window it was seen in (the event row is written later)
    track_id integer NOT NULL,
    embedding real[] NOT NULL CHECK (cardinality(embedding) BETWEEN 1 AND 1024),
    score real NOT NULL CHECK (score BETWEEN 0 AND 1),
    seen_at timestamptz NOT NULL,
    UNIQUE (event_id, track_id)  -- a redelivered window is seen again and replaces, never duplicates
);
CREATE INDEX face_embeddings_camera_idx ON face_embeddings (camera_id, seen_at);
CREATE INDEX face_embeddings_seen_idx ON face_embeddings (seen_at);

-- One row per enrolled picture; several rows may share a name (the same person, other views).
CREATE TABLE known_faces (
    id bigserial PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    embedding real[] NOT NULL CHECK (cardinality(embedding) BETWEEN 1 AND 1024),
    created_at timestamptz NOT NULL DEFAULT now()
);
