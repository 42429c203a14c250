-- Known entities (a name and a "known" flag on a re-ID entity) and residents' feedback on events.
ALTER TABLE entities
    ADD COLUMN name text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 64),
    ADD COLUMN known boolean NOT NULL DEFAULT false;
CREATE INDEX entities_known_idx ON entities (known) WHERE known;

ALTER TABLE events
    ADD COLUMN feedback text CHECK (feedback IN ('false_alarm', 'expected', 'threat')),
    ADD COLUMN feedback_at timestamptz;
CREATE INDEX events_feedback_idx ON events (camera_id, started_at) WHERE feedback IS NOT NULL;
