-- Plugins: the references other systems know cases by, and a wake-up for the daemons that
-- deliver the outbox.

-- A case as another system knows it ("nexus", "sag-1234"): plugins put events into cases by
-- these references.
CREATE TABLE case_ref (
    system      text NOT NULL CHECK (system ~ '^[a-z][a-z0-9-]*$'),
    ref         text NOT NULL CHECK (ref <> ''),
    case_id     bigint NOT NULL REFERENCES cases (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (system, ref)
);
CREATE INDEX case_ref_by_case ON case_ref (case_id);

-- Wakes the daemons (LISTEN overgang_outbox) when a step writes outbox rows.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql
    SET search_path = overgang, pg_catalog AS $$
BEGIN
    PERFORM pg_notify('overgang_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
