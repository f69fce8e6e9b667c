-- One counter every change of what a permission check reads raises (the
-- catalog's `authority` events, in the change's transaction): each replica
-- polls it and drops its cached decisions when it moves
-- (docs/permissions.md, "What a check costs").
CREATE TABLE authority_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO authority_generation (id, value) VALUES (1, 0);
