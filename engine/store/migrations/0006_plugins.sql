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

-- A workflow that asks for word back (case:outbox { ..., notify = true }) gets a delivered
-- or delivery_failed event when the delivery ends.
ALTER TABLE outbox ADD COLUMN notify boolean NOT NULL DEFAULT false;

-- Records the end of a delivery and, when the workflow asked for it, tells the case: OUTCOME
-- 'delivered', 'retry' (pending again after DELAY, or parked after MAX_ATTEMPTS) or 'parked'.
-- ATTEMPT is the claim the outcome belongs to: a delivery that outlived its lease, whose row
-- another daemon has claimed since, changes nothing. A case closed meanwhile is not told (it
-- takes no more events).
CREATE FUNCTION outbox_outcome(row_id bigint, outcome text, delay interval, max_attempts integer,
                               error text, result jsonb, attempt integer) RETURNS text
LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE o outbox;
BEGIN
    UPDATE outbox SET
        status = CASE WHEN outcome = 'delivered' THEN 'delivered'
                      WHEN outcome = 'parked' OR attempts >= max_attempts THEN 'parked'
                      ELSE 'pending' END,
        delivered_at = CASE WHEN outcome = 'delivered' THEN now() END,
        next_attempt_at = CASE WHEN outcome = 'retry' THEN now() + delay ELSE next_attempt_at END,
        last_error = CASE WHEN outcome = 'delivered' THEN NULL ELSE error END
     WHERE id = row_id AND status = 'pending' AND attempts = attempt
    RETURNING * INTO o;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF o.notify AND o.case_id IS NOT NULL AND o.status <> 'pending'
       AND (SELECT status FROM cases WHERE id = o.case_id) <> 'closed' THEN
        INSERT INTO event (case_id, type, payload, source, idem_key)
        VALUES (o.case_id, CASE o.status WHEN 'delivered' THEN 'delivered' ELSE 'delivery_failed' END,
                jsonb_build_object('plugin', o.plugin, 'action', o.action, 'key', o.idem_key,
                                   'result', coalesce(result, '{}'), 'error', o.last_error),
                'outbox', o.status || ':' || o.id || ':' || o.attempts)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN o.status;
END $$;

-- Periodic jobs of plugins: each runs on one daemon at a time, every interval across all the
-- daemons that share the database.
CREATE TABLE plugin_job (
    plugin            text NOT NULL,
    job               text NOT NULL,
    interval_ms       integer NOT NULL CHECK (interval_ms > 0),
    next_run_at       timestamptz NOT NULL DEFAULT now(),
    running_until     timestamptz,       -- the lease of the run in progress
    running_on        text,              -- which daemon (application name and pid)
    last_started_at   timestamptz,
    last_finished_at  timestamptz,
    last_ok           boolean,
    last_error        text,
    PRIMARY KEY (plugin, job)
);

-- Staff a directory plugin manages (NULL: added by hand, never touched by a sync).
ALTER TABLE staff ADD COLUMN managed_by text;

-- Citizens from a person register, found by their CPR number's keyed hash: DOC is a JSON
-- array of {cpr_hash (hex), cpr, name, birth_date, attributes}. The last of duplicates wins.
-- Returns {added, changed, unchanged}.
CREATE FUNCTION plugin_upsert_citizens(doc jsonb) RETURNS jsonb
LANGUAGE sql
SET search_path = overgang, pg_catalog AS $$
    WITH x AS (
        SELECT DISTINCT ON (cpr_hash) *
          FROM ROWS FROM (jsonb_to_recordset(doc)
                          AS (cpr_hash text, cpr text, name text, birth_date date,
                              attributes jsonb)) WITH ORDINALITY AS x (cpr_hash, cpr, name,
                                                                       birth_date, attributes, i)
         ORDER BY cpr_hash, i DESC),
    found AS (
        SELECT x.*, cc.citizen_id FROM x
          LEFT JOIN citizen_cpr cc ON cc.cpr_hash = decode(x.cpr_hash, 'hex')),
    upd AS (
        UPDATE citizen c SET display_name = f.name, birth_date = f.birth_date,
                             attributes = c.attributes || coalesce(f.attributes, '{}'),
                             updated_at = now(), revision = c.revision + 1
          FROM found f
         WHERE c.id = f.citizen_id
           AND (c.display_name, c.birth_date, c.attributes)
               IS DISTINCT FROM (f.name, f.birth_date, c.attributes || coalesce(f.attributes, '{}'))
        RETURNING c.id),
    -- ids drawn once (the CTE is read twice, so it is computed once) for both inserts;
    -- the CPR row's foreign key is checked at the end of the statement, after both
    new_rows AS MATERIALIZED (
        SELECT f.*, nextval('overgang.citizen_id_seq'::regclass) AS new_id
          FROM found f WHERE f.citizen_id IS NULL),
    ins AS (
        INSERT INTO citizen (id, display_name, birth_date, attributes)
        SELECT new_id, name, birth_date, coalesce(attributes, '{}') FROM new_rows
        RETURNING id),
    ins_cpr AS (
        INSERT INTO citizen_cpr (citizen_id, cpr_hash, cpr)
        SELECT n.new_id, decode(n.cpr_hash, 'hex'), n.cpr FROM new_rows n
        RETURNING 1)
    SELECT jsonb_build_object(
        'added', (SELECT count(*) FROM ins_cpr),
        'changed', (SELECT count(*) FROM upd),
        'unchanged', (SELECT count(*) FROM found WHERE citizen_id IS NOT NULL)
                     - (SELECT count(*) FROM upd))
$$;

-- Makes departments, staff and memberships what directory source SOURCE says (DOC:
-- {departments: [{id, name}], staff: [{id, name, email, active}], memberships: [{staff,
-- department, lead}]}) for the staff SOURCE manages. Returns {added, changed, deactivated,
-- unchanged}.
CREATE FUNCTION plugin_sync_directory(source text, doc jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    n_added bigint;
    n_changed bigint;
    n_deactivated bigint;
    n_listed bigint;
    n_disabled bigint;
    n_managed bigint;
BEGIN
    INSERT INTO department (id, name)
    SELECT d.id, d.name FROM jsonb_to_recordset(doc->'departments') AS d (id text, name text)
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name WHERE department.name <> EXCLUDED.name;

    CREATE TEMP TABLE listed ON COMMIT DROP AS
    SELECT s.id, s.name, s.email, coalesce(s.active, true) AS active
      FROM jsonb_to_recordset(doc->'staff') AS s (id text, name text, email text, active boolean);
    SELECT count(*) INTO n_listed FROM listed;

    WITH ins AS (
        INSERT INTO staff (id, name, email, status, managed_by)
        SELECT l.id, l.name, l.email, CASE WHEN l.active THEN 'active' ELSE 'inactive' END, source
          FROM listed l
         WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = l.id)
        RETURNING 1)
    SELECT count(*) INTO n_added FROM ins;

    -- an absent person stays absent while the directory says active; inactive wins. A person
    -- the directory disables counts as deactivated, a person it renames as changed.
    WITH cur AS (
        SELECT s.id, s.status AS old_status FROM staff s JOIN listed l ON l.id = s.id
         WHERE s.managed_by = source),
    upd AS (
        UPDATE staff s SET name = l.name, email = l.email, revision = s.revision + 1,
               status = CASE WHEN NOT l.active THEN 'inactive'
                             WHEN s.status = 'absent' THEN 'absent' ELSE 'active' END
          FROM listed l, cur
         WHERE s.id = l.id AND cur.id = s.id
           AND (s.name, s.email, s.status) IS DISTINCT FROM
               (l.name, l.email, CASE WHEN NOT l.active THEN 'inactive'
                                      WHEN s.status = 'absent' THEN 'absent' ELSE 'active' END)
        RETURNING s.status AS new_status, cur.old_status)
    SELECT count(*) FILTER (WHERE NOT (new_status = 'inactive' AND old_status <> 'inactive')),
           count(*) FILTER (WHERE new_status = 'inactive' AND old_status <> 'inactive'),
           (SELECT count(*) FROM cur)
      INTO n_changed, n_disabled, n_managed
      FROM upd;

    WITH gone AS (
        UPDATE staff s SET status = 'inactive', revision = s.revision + 1
         WHERE s.managed_by = source AND s.status <> 'inactive'
           AND NOT EXISTS (SELECT 1 FROM listed l WHERE l.id = s.id)
        RETURNING 1)
    SELECT count(*) INTO n_deactivated FROM gone;

    -- memberships of the staff this source manages and lists are the directory's
    DELETE FROM staff_department sd
     USING staff s
     WHERE sd.staff_id = s.id AND s.managed_by = source
       AND EXISTS (SELECT 1 FROM listed l WHERE l.id = s.id)
       AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(doc->'memberships')
                              AS m (staff text, department text, lead boolean)
                        WHERE m.staff = sd.staff_id AND m.department = sd.department_id);
    INSERT INTO staff_department (staff_id, department_id, is_lead)
    SELECT m.staff, m.department, coalesce(m.lead, false)
      FROM jsonb_to_recordset(doc->'memberships') AS m (staff text, department text, lead boolean)
      JOIN staff s ON s.id = m.staff AND s.managed_by = source
    ON CONFLICT (staff_id, department_id) DO UPDATE SET is_lead = EXCLUDED.is_lead
     WHERE staff_department.is_lead <> EXCLUDED.is_lead;

    -- unchanged: the staff this source managed already and left as they were; people the
    -- directory lists who were added by hand are not the source's, and not counted
    RETURN jsonb_build_object('added', n_added, 'changed', n_changed,
                              'deactivated', n_deactivated + n_disabled,
                              'unchanged', n_managed - n_added - n_changed - n_disabled);
END $$;
