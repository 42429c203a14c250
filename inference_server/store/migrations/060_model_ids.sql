-- Which model scored each event and which detector found each detection, so a user can tell
-- after an upgrade what produced what. Additive: rows from before stay NULL ("not recorded").
ALTER TABLE events ADD COLUMN IF NOT EXISTS model text;
ALTER TABLE detections ADD COLUMN IF NOT EXISTS detector text;
