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
