-- A sync target's rules (tenant filter, event filter, projection) as JSON;
-- NULL when it has none, so the fan-out serves rule-less targets in one
-- statement (`t.rules IS NULL`) and reads only the few with rules.
ALTER TABLE sync_targets ADD COLUMN rules TEXT;
