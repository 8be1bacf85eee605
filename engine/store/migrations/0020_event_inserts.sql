-- New events wake the daemons only when one of them is idle. Until now every transaction
-- that inserted events sent a NOTIFY, and PostgreSQL commits a transaction that notifies
-- under a database-wide lock held through its WAL flush: inserting transactions (the API
-- completing tasks, plugins, imports) committed one after another even while every daemon
-- was busy and would find the events anyway when it claims again.
--
-- The hand-over, with one advisory lock key (the wake key, also in engine/store/steps.c):
--   * a daemon whose workers have all found nothing to claim takes the wake key exclusively
--     (waiting for it if need be) and, once it holds it, claims once more before it sleeps;
--     it lets the key go as soon as a claim finds events;
--   * a transaction inserting events tries the key shared, for the rest of the transaction.
--     When that fails, a daemon holds the key or waits for it: it is idle, so the transaction
--     notifies. When it succeeds, no daemon is idle now, and none can take the key before
--     this transaction has committed; the claim a daemon makes after taking the key sees
--     these events.
-- So no event waits for a daemon that sleeps, and busy daemons are not notified.
CREATE OR REPLACE FUNCTION notify_event() RETURNS trigger LANGUAGE plpgsql
    SET search_path = overgang, pg_catalog AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(8031170740339419507) THEN
        PERFORM pg_notify('overgang_events', '');
    END IF;
    RETURN NULL;
END $$;

-- An event for a closed case is refused once per inserting statement, over the rows it
-- inserted, not by a function call per row (which also set and reset the search path for
-- every row): inserting events is what every step, API write and plugin does. The refusal
-- and its message are the same.
CREATE FUNCTION refuse_events_for_closed_cases() RETURNS trigger LANGUAGE plpgsql
    SET search_path = overgang, pg_catalog AS $$
DECLARE
    closed_case bigint;
BEGIN
    SELECT c.id INTO closed_case
      FROM new_events n JOIN cases c ON c.id = n.case_id
     WHERE c.status = 'closed'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'case % is closed; it takes no more events', closed_case
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER event_for_open_case ON event;
DROP FUNCTION refuse_event_for_closed_case();
CREATE TRIGGER event_for_open_case AFTER INSERT ON event
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_events_for_closed_cases();
