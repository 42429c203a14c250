-- API: keys (salted hashes), audit log, and full-text search over events.

CREATE TABLE api_keys (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    scope text NOT NULL CHECK (scope IN ('read', 'admin')),
    salt bytea NOT NULL,
    hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
-- A name identifies one active key; revoked keys keep their row (and name) for the audit trail.
CREATE UNIQUE INDEX api_keys_active_name_idx ON api_keys (name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    address text NOT NULL DEFAULT '',
    action text NOT NULL,
    target text NOT NULL DEFAULT '',
    outcome text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- Search: summary (A), what and where (object classes, camera, zones: B), reasoning (C).
-- Trigger-maintained because the camera's display name lives in another table.
ALTER TABLE events ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector;

CREATE FUNCTION events_search_document(
    p_camera_id text, p_summary text, p_reasoning text, p_objects jsonb, p_zones text[]
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT
        setweight(to_tsvector('english', coalesce(p_summary, '')), 'A')
        || setweight(to_tsvector('english',
               coalesce((SELECT string_agg(k, ' ') FROM jsonb_object_keys(p_objects) AS k), '')), 'B')
        || setweight(to_tsvector('english',
               p_camera_id || ' ' || translate(p_camera_id, '_-', '  ') || ' '
               || coalesce((SELECT c.name FROM cameras c WHERE c.id = p_camera_id), '')), 'B')
        || setweight(to_tsvector('english', coalesce(array_to_string(p_zones, ' '), '')), 'B')
        || setweight(to_tsvector('english', coalesce(p_reasoning, '')), 'C')
$$;

CREATE FUNCTION events_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := events_search_document(
        NEW.camera_id, NEW.summary, NEW.reasoning, NEW.objects, NEW.zones);
    RETURN NEW;
END
$$;

CREATE TRIGGER events_search_refresh
    BEFORE INSERT OR UPDATE OF camera_id, summary, reasoning, objects, zones ON events
    FOR EACH ROW EXECUTE FUNCTION events_search_refresh();

CREATE FUNCTION cameras_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE events SET search_vector = events_search_document(
        camera_id, summary, reasoning, objects, zones)
    WHERE camera_id = NEW.id;
    RETURN NEW;
END
$$;

CREATE TRIGGER cameras_search_refresh
    AFTER UPDATE OF name ON cameras
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION cameras_search_refresh();

UPDATE events SET search_vector = events_search_document(camera_id, summary, reasoning, objects, zones);

CREATE INDEX events_search_idx ON events USING gin (search_vector);
CREATE INDEX events_objects_idx ON events USING gin (objects);
CREATE INDEX events_unreviewed_idx ON events (started_at DESC) WHERE NOT reviewed;
