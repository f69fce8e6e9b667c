-- One counter every change of what a permission check reads raises (the
-- catalog's `authority` events, in the change's transaction): each replica
-- polls it and drops its cached decisions when it moves
-- (docs/permissions.md, "What a check costs").
CREATE TABLE authority_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO authority_generation (id, value) VALUES (1, 0);

-- A change marks itself here; the generation moves at its commit, through a
-- deferred trigger, as the last lock the transaction takes: raising it
-- mid-transaction would hold the one row while the change goes on to lock
-- others, a cycle with any transaction that holds one of those and raises too.
CREATE TABLE authority_marks (id BIGSERIAL PRIMARY KEY);
CREATE FUNCTION raise_authority_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE authority_generation SET value = value + 1 WHERE id = 1;
    DELETE FROM authority_marks WHERE id = NEW.id;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER authority_marks_raise AFTER INSERT ON authority_marks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION raise_authority_generation();
