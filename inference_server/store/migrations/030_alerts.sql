-- Alerting: rules, the alerts they raised (grouped across cameras), every delivery attempt,
-- race-free cooldowns, quiet hours / digest settings and digest bookkeeping.
-- Camera mutes use cameras.muted_until (001_core.sql).

CREATE TABLE alert_rules (
    id bigserial PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    enabled boolean NOT NULL DEFAULT true,
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    conditions jsonb NOT NULL DEFAULT '{}'::jsonb,
    channels jsonb NOT NULL DEFAULT '[]'::jsonb,
    cooldown_seconds integer NOT NULL DEFAULT 300 CHECK (cooldown_seconds BETWEEN 0 AND 604800),
    group_window_seconds integer NOT NULL DEFAULT 120 CHECK (group_window_seconds BETWEEN 0 AND 3600),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per alert. Events of the same group (rule x matched objects) within the rule's group
-- window update the row instead of creating another: one intruder passing several cameras is
-- one alert. status: 'sent' (delivered), 'quiet' (recorded during quiet hours, not delivered).
CREATE TABLE alerts (
    id bigserial PRIMARY KEY,
    rule_id bigint REFERENCES alert_rules(id) ON DELETE SET NULL,
    rule_name text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    group_key text NOT NULL,
    status text NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'quiet')),
    event_ids uuid[] NOT NULL DEFAULT '{}',
    cameras text[] NOT NULL DEFAULT '{}',
    objects text[] NOT NULL DEFAULT '{}',
    risk_score smallint NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
    risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    summary text NOT NULL DEFAULT '',
    updates integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_group_idx ON alerts (group_key, updated_at DESC);
CREATE INDEX alerts_created_idx ON alerts (created_at DESC, id DESC);
CREATE INDEX alerts_event_ids_idx ON alerts USING gin (event_ids);

CREATE TABLE alert_deliveries (
    id bigserial PRIMARY KEY,
    alert_id bigint NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'mqtt', 'ha', 'digest')),
    target text NOT NULL DEFAULT '',
    outcome text NOT NULL CHECK (outcome IN ('ok', 'failed', 'blocked')),
    detail text NOT NULL DEFAULT '',
    attempts integer NOT NULL DEFAULT 1 CHECK (attempts >= 0),
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_deliveries_alert_idx ON alert_deliveries (alert_id, at);

-- Cooldown per rule x camera x object x zone. Claimed with
--   INSERT ... ON CONFLICT (key) DO UPDATE SET until = ... WHERE alert_cooldowns.until <= now() RETURNING
-- so of any number of concurrent workers exactly one gets a row back.
CREATE TABLE alert_cooldowns (
    key text PRIMARY KEY,
    until timestamptz NOT NULL
);

-- Alert settings as JSON documents by name: 'quiet_hours' {"enabled", "schedule", "bypass_severity"},
-- 'digest' {"enabled", "time": "HH:MM", "channels": [...]}.
CREATE TABLE alert_settings (
    key text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One digest per local day: the sender claims the day with INSERT ... ON CONFLICT DO NOTHING.
CREATE TABLE alert_digests (
    day date PRIMARY KEY,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    alerts integer NOT NULL DEFAULT 0,
    outcome text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'ok', 'failed', 'empty'))
);
