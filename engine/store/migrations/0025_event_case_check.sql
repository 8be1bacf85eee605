-- Inserting events is what every step, API write, plugin and import does, and how fast the
-- engine answers under load is bound by it. The foreign key from event to cases checked
-- every inserted row on its own: a query per row, which also locked the case row (FOR KEY
-- SHARE), writing to it; and when a daemon held that case claimed, PostgreSQL made a
-- multixact of the two locks. That was about a third of the cost of inserting an event.
--
-- Now the check that an event's case exists runs once per inserting statement, over all the
-- rows it inserted, in the trigger that already refuses events for closed cases, with the
-- same SQLSTATE the key gave (23503, foreign_key_violation). What the key also guarded is
-- kept by refusing what would break it: a case is never deleted (it is closed), nor is its
-- id changed, and an event never moves to another case.
ALTER TABLE event DROP CONSTRAINT event_case_id_fkey;

CREATE OR REPLACE FUNCTION refuse_events_for_closed_cases() RETURNS trigger LANGUAGE plpgsql
    SET search_path = overgang, pg_catalog AS $$
DECLARE
    bad_case bigint;
    bad_status text;
BEGIN
    SELECT n.case_id, c.status INTO bad_case, bad_status
      FROM new_events n LEFT JOIN cases c ON c.id = n.case_id
     WHERE c.id IS NULL OR c.status = 'closed'
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF bad_status IS NULL THEN
        RAISE EXCEPTION 'case % does not exist', bad_case
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RAISE EXCEPTION 'case % is closed; it takes no more events', bad_case
        USING ERRCODE = 'check_violation';
END $$;

CREATE FUNCTION refuse_with() RETURNS trigger LANGUAGE plpgsql
    SET search_path = overgang, pg_catalog AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER cases_kept BEFORE DELETE OR TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_with('a case is kept: it is closed, never deleted');
CREATE TRIGGER case_id_kept BEFORE UPDATE OF id ON cases
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION refuse_with('a case keeps its id');
CREATE TRIGGER event_case_kept BEFORE UPDATE OF case_id ON event
    FOR EACH ROW WHEN (OLD.case_id IS DISTINCT FROM NEW.case_id)
    EXECUTE FUNCTION refuse_with('an event stays with its case');
