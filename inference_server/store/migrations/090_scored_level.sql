-- Feedback is keyed by the level the scorer gave an event before feedback moved it (docs/scoring.md,
-- Feedback): an answer on an event scored low speaks about events scored low, not about the medium
-- ones sharing its camera, class, zone and hour band. Events stored before this know only their
-- final level, the best estimate of the scored one; a row written without it (bulk loaders) is
-- read as its risk_level.
ALTER TABLE events
    ADD COLUMN scored_level text CHECK (scored_level IN ('low', 'medium', 'high', 'critical'));
UPDATE events SET scored_level = risk_level;
