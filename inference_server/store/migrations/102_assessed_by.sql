-- Every assessor the Event JSON names (contract/events.py ASSESSED_BY): Home Assistant's AI Task
-- ("home_assistant") and the vision step ("vision") were refused by the first check, so an event
-- they scored could not be stored.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_assessed_by_check;
ALTER TABLE events ADD CONSTRAINT events_assessed_by_check
    CHECK (assessed_by IN ('llama_cpp', 'openai', 'home_assistant', 'vision', 'heuristic'));
