-- Administrators, registration and audit through the API: workflows, stuck cases, the
-- outbox, departments and staff, citizens and new cases, the access log and aggregate
-- reports (functions api_* called by engine/api/routes_admin.c).

-- Edits of staff and citizens through the API take If-Match: each row's revision is its ETag.
ALTER TABLE staff ADD COLUMN revision bigint NOT NULL DEFAULT 0;
ALTER TABLE citizen ADD COLUMN revision bigint NOT NULL DEFAULT 0;
-- Who registered a citizen: they may read and correct the citizen's data before any case
-- of theirs is visible to them.
ALTER TABLE citizen ADD COLUMN created_by text REFERENCES staff (id);

-- The administrator's outbox list, by status.
CREATE INDEX outbox_by_status ON outbox (status, id);

-- A cursor whose key does not have the types this list gives out.
CREATE FUNCTION api_admin_bad_cursor() RETURNS void LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    PERFORM api_fail(400, 'bad-cursor',
        'The cursor is not one this list gave out; start from the first page.',
        jsonb_build_object('field', 'cursor'));
END $$;

-- ---- workflows ----

-- One workflow version as lists show it, with the number of its cases still running.
CREATE FUNCTION api_workflow_item(w workflow) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object(
        'name', w.name, 'version', w.version, 'title', w.title, 'checksum', w.checksum,
        'deployed_at', w.deployed_at, 'deployed_by', w.deployed_by,
        'running_cases', (SELECT count(*) FROM cases c
                           WHERE c.workflow_name = w.name AND c.workflow_version = w.version
                             AND c.status <> 'closed'),
        'stuck_cases', (SELECT count(*) FROM cases c
                         WHERE c.workflow_name = w.name AND c.workflow_version = w.version
                           AND c.status = 'stuck'))
$$;

-- Every deployed version, by name and version, with its running cases.
CREATE FUNCTION api_workflows(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    k jsonb := api_cursor(r);
    k_name text := '';
    k_version integer := 0;
    items jsonb;
BEGIN
    BEGIN
        k_name := coalesce(k->>0, '');
        k_version := coalesce((k->>1)::integer, 0);
    EXCEPTION WHEN data_exception THEN
        PERFORM api_admin_bad_cursor();
    END;
    SELECT jsonb_agg(api_workflow_item(w) || jsonb_build_object('_key',
                     jsonb_build_array(w.name, w.version)) ORDER BY w.name, w.version)
      INTO items
      FROM (SELECT * FROM workflow
             WHERE (workflow.name, workflow.version) > (k_name, k_version)
             ORDER BY workflow.name, workflow.version
             LIMIT (r->>'limit')::int + 1) w;
    RETURN api_page(r, items);
END $$;

-- One version with its source and definition.
CREATE FUNCTION api_workflow(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    wanted_name text := r->'params'->>'name';
    wanted_version text := r->'params'->>'version';
    w workflow;
BEGIN
    IF wanted_version ~ '^[0-9]{1,9}$' THEN
        SELECT * INTO w FROM workflow
         WHERE workflow.name = wanted_name AND workflow.version = wanted_version::integer;
    END IF;
    IF w.name IS NULL THEN
        PERFORM api_fail(404, 'not-found', 'No version of that number of this workflow is deployed.');
    END IF;
    RETURN api_workflow_item(w) || jsonb_build_object('source', w.source,
                                                      'definition', w.definition);
END $$;

-- Deploys a version. The daemon has checked the source as `overgang workflow deploy` does
-- (engine/core/deploy.h) and put the result in r.workflow: the findings (errors and warnings,
-- each {line, col, text}), the departments the source names ({id, line, col}), and for a
-- source that loaded: name, version, title, definition, checksum. The departments are
-- checked here, against the database's, as the CLI does (not while there are none).
CREATE FUNCTION api_workflow_deploy(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    w jsonb := r->'workflow';
    file text := r->'workflow'->>'file';
    known text[];
    findings jsonb;
    errors jsonb;
    warnings jsonb;
    n_errors integer;
    have_checksum text;
    row_ workflow;
BEGIN
    SELECT array_agg(d.id ORDER BY d.id) INTO known FROM department d;
    SELECT coalesce(jsonb_agg(f ORDER BY (f->>'line')::int, (f->>'col')::int, i), '[]')
      INTO findings
      FROM (SELECT f, i FROM jsonb_array_elements(coalesce(w->'findings', '[]'))
                             WITH ORDINALITY AS x (f, i)
            UNION ALL
            SELECT jsonb_build_object(
                       'line', d->'line', 'col', d->'col', 'warning', false,
                       'text', format('unknown department ''%s'' (departments: %s)', d->>'id',
                                      array_to_string(known[1:12], ', ')
                                      || CASE WHEN cardinality(known) > 12 THEN ', ...' ELSE '' END)),
                   1000000 + i
              FROM jsonb_array_elements(coalesce(w->'departments', '[]'))
                   WITH ORDINALITY AS x (d, i)
             WHERE known IS NOT NULL AND NOT (d->>'id' = ANY (known))) all_findings;
    SELECT coalesce(jsonb_agg(format('%s:%s:%s: %s%s', file, f->>'line', f->>'col',
                                     CASE WHEN (f->>'warning')::boolean THEN 'warning: ' ELSE '' END,
                                     f->>'text') ORDER BY i)
                        FILTER (WHERE (f->>'warning')::boolean), '[]'),
           coalesce(jsonb_agg(format('%s:%s:%s: %s', file, f->>'line', f->>'col', f->>'text')
                              ORDER BY i) FILTER (WHERE NOT (f->>'warning')::boolean), '[]')
      INTO warnings, errors
      FROM jsonb_array_elements(findings) WITH ORDINALITY AS x (f, i);
    n_errors := jsonb_array_length(errors);
    IF n_errors > 0 OR w->>'name' IS NULL THEN
        PERFORM api_fail(422, 'invalid-workflow',
            coalesce(errors->>0, file || ': the workflow could not be loaded')
            || CASE WHEN n_errors > 1 THEN format(' (and %s more errors)', n_errors - 1) ELSE '' END,
            jsonb_build_object('errors', errors, 'warnings', warnings));
    END IF;
    INSERT INTO workflow (name, version, title, source, checksum, definition, deployed_by)
    VALUES (w->>'name', (w->>'version')::integer, w->>'title', r->'body'->>'source',
            w->>'checksum', w->'definition', api_staff(r))
    ON CONFLICT (name, version) DO NOTHING
    RETURNING * INTO row_;
    IF NOT FOUND THEN
        SELECT checksum INTO have_checksum FROM workflow
         WHERE name = w->>'name' AND version = (w->>'version')::integer;
        PERFORM api_fail(409, 'version-exists',
            CASE WHEN have_checksum = w->>'checksum'
                 THEN format('%s version %s is already deployed with this source.', w->>'name', w->>'version')
                 ELSE format('%s version %s is already deployed with other source; a deployed version never changes: raise version to deploy this.',
                             w->>'name', w->>'version') END,
            jsonb_build_object('field', 'source'));
    END IF;
    RETURN api_workflow_item(row_) || jsonb_build_object('warnings', warnings);
END $$;

-- ---- stuck cases and the outbox ----

-- Cases the engine gave up on, with the event that failed. No citizen data is shown, but it
-- is a read of cases: logged for each citizen on the page.
CREATE FUNCTION api_stuck_cases(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    k jsonb := api_cursor(r);
    k_id bigint := 0;
    items jsonb;
    citizens bigint[];
    case_ids bigint[];
BEGIN
    BEGIN
        k_id := coalesce((k->>0)::bigint, 0);
    EXCEPTION WHEN data_exception THEN
        PERFORM api_admin_bad_cursor();
    END;
    SELECT jsonb_agg(jsonb_build_object(
               'id', c.id, 'workflow', c.workflow_name, 'version', c.workflow_version,
               'phase', c.phase, 'stuck_reason', c.stuck_reason, 'updated_at', c.updated_at,
               'event', (SELECT jsonb_build_object('id', e.id, 'type', e.type,
                                                   'attempts', e.attempts,
                                                   'last_error', e.last_error,
                                                   'due_at', e.due_at)
                           FROM event e
                          WHERE e.case_id = c.id AND e.status = 'pending'
                          ORDER BY e.attempts > 0 DESC, e.due_at, e.id LIMIT 1),
               '_key', jsonb_build_array(c.id)) ORDER BY c.id),
           array_agg(c.citizen_id ORDER BY c.id), array_agg(c.id ORDER BY c.id)
      INTO items, citizens, case_ids
      FROM (SELECT * FROM cases WHERE cases.status = 'stuck' AND cases.id > k_id
             ORDER BY cases.id LIMIT (r->>'limit')::int + 1) c;
    -- the page shown: the extra row that only tells whether there is a next page is not
    PERFORM api_access(r, citizens[1:(r->>'limit')::int], case_ids[1:(r->>'limit')::int]);
    RETURN api_page(r, items);
END $$;

-- Retrying a stuck case, for `overgang case retry` and the API alike: the case is active
-- again and its pending events start their attempts over, now. The number of those events;
-- NULL when the case is not stuck.
CREATE FUNCTION retry_stuck_case(the_case bigint) RETURNS integer LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE n_events integer;
BEGIN
    UPDATE cases SET status = 'active', stuck_reason = NULL, updated_at = now()
     WHERE cases.id = the_case AND cases.status = 'stuck';
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE event SET attempts = 0, retry_at = NULL
     WHERE event.case_id = the_case AND event.status = 'pending';
    GET DIAGNOSTICS n_events = ROW_COUNT;
    PERFORM pg_notify('overgang_events', '');
    RETURN n_events;
END $$;

CREATE FUNCTION api_stuck_case_retry(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    wanted bigint := api_id(r, 'id');
    n_events integer := retry_stuck_case(wanted);
BEGIN
    IF n_events IS NULL THEN
        IF EXISTS (SELECT 1 FROM cases WHERE cases.id = wanted) THEN
            PERFORM api_fail(409, 'not-stuck', 'This case is not stuck; there is nothing to retry.');
        END IF;
        PERFORM api_fail(404, 'not-found', 'There is no case with this number.');
    END IF;
    RETURN jsonb_build_object('id', wanted, 'status', 'active', 'retried_events', n_events);
END $$;

-- One delivery as the administrator sees it: never its payload (it may hold person data).
CREATE FUNCTION api_outbox_item(o outbox) RETURNS jsonb LANGUAGE sql IMMUTABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object(
        'id', o.id, 'case', o.case_id, 'plugin', o.plugin, 'action', o.action,
        'status', o.status, 'attempts', o.attempts, 'last_error', o.last_error,
        'next_attempt_at', o.next_attempt_at, 'created_at', o.created_at,
        'delivered_at', o.delivered_at)
$$;

-- Deliveries by status (all without ?status=), oldest first. What was sent for which case is
-- case data: logged for each citizen on the page.
CREATE FUNCTION api_outbox(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    k jsonb := api_cursor(r);
    k_id bigint := 0;
    f_status text := r->'query'->>'status';
    lim integer := (r->>'limit')::int;
    items jsonb;
    citizens bigint[];
    case_ids bigint[];
BEGIN
    IF f_status IS NOT NULL AND f_status NOT IN ('parked', 'pending', 'delivered') THEN
        PERFORM api_fail(400, 'bad-parameter', 'status must be parked, pending or delivered.',
                         jsonb_build_object('field', 'status'));
    END IF;
    BEGIN
        k_id := coalesce((k->>0)::bigint, 0);
    EXCEPTION WHEN data_exception THEN
        PERFORM api_admin_bad_cursor();
    END;
    SELECT jsonb_agg(api_outbox_item(o) || jsonb_build_object('_key', jsonb_build_array(o.id))
                     ORDER BY o.id)
      INTO items
      FROM (SELECT * FROM outbox
             WHERE outbox.id > k_id AND (f_status IS NULL OR outbox.status = f_status)
             ORDER BY outbox.id LIMIT lim + 1) o;
    SELECT array_agg(c.citizen_id), array_agg(c.id) INTO citizens, case_ids
      FROM (SELECT DISTINCT (e->>'case')::bigint AS id
              FROM jsonb_array_elements(coalesce(items, '[]')) WITH ORDINALITY AS x (e, i)
             WHERE i <= lim) p
      JOIN cases c ON c.id = p.id;
    PERFORM api_access(r, citizens, case_ids);
    RETURN api_page(r, items);
END $$;

-- A parked delivery goes back to pending, to be tried now from the first attempt.
CREATE FUNCTION api_outbox_retry(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    wanted bigint := api_id(r, 'id');
    o outbox;
BEGIN
    UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now()
     WHERE outbox.id = wanted AND outbox.status = 'parked'
    RETURNING * INTO o;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM outbox WHERE outbox.id = wanted) THEN
            PERFORM api_fail(409, 'not-parked',
                'This delivery is not parked; only a parked delivery is retried by hand.');
        END IF;
        PERFORM api_fail(404, 'not-found', 'There is no delivery with this number.');
    END IF;
    RETURN api_outbox_item(o);
END $$;

-- ---- departments and staff ----

CREATE FUNCTION api_departments(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    k jsonb := api_cursor(r);
    k_id text := coalesce(k->>0, '');
    items jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_object(
               'id', d.id, 'name', d.name, 'created_at', d.created_at,
               'members', (SELECT count(*) FROM staff_department sd WHERE sd.department_id = d.id),
               '_key', jsonb_build_array(d.id)) ORDER BY d.id)
      INTO items
      FROM (SELECT * FROM department WHERE department.id > k_id
             ORDER BY department.id LIMIT (r->>'limit')::int + 1) d;
    RETURN api_page(r, items);
END $$;

CREATE FUNCTION api_department_create(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    new_id text := r->'body'->>'id';
    d department;
BEGIN
    IF new_id !~ '^[a-z0-9][a-z0-9-]*$' OR length(new_id) > 64 THEN
        PERFORM api_fail(422, 'invalid',
            'A department id is lowercase letters, digits and hyphens, such as born-familie.',
            jsonb_build_object('field', 'id'));
    END IF;
    INSERT INTO department (id, name) VALUES (new_id, btrim(r->'body'->>'name'))
    ON CONFLICT (id) DO NOTHING
    RETURNING * INTO d;
    IF NOT FOUND THEN
        PERFORM api_fail(409, 'department-exists', 'There is a department with this id already.',
                         jsonb_build_object('field', 'id'));
    END IF;
    RETURN jsonb_build_object('id', d.id, 'name', d.name, 'created_at', d.created_at, 'members', 0);
END $$;

-- A staff member as the directory shows them, with their departments.
CREATE FUNCTION api_staff_item(s staff) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'name', s.name, 'email', s.email, 'status', s.status,
        'departments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', sd.department_id,
                                                                     'lead', sd.is_lead)
                                                  ORDER BY sd.department_id)
                                   FROM staff_department sd WHERE sd.staff_id = s.id), '[]'),
        'etag', api_etag(s.revision))
$$;

-- Whether WHO (a lead) leads a department STAFF_ID belongs to.
CREATE FUNCTION api_leads(who text, staff_id text) RETURNS boolean LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT EXISTS (SELECT 1 FROM staff_department l
                     JOIN staff_department m ON m.department_id = l.department_id
                    WHERE l.staff_id = who AND l.is_lead AND m.staff_id = api_leads.staff_id)
$$;

-- The staff directory: all of it for an administrator, the members of the departments they
-- lead for a lead; filters department and status.
CREATE FUNCTION api_staff_list(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    me text := api_staff(r);
    is_admin boolean := api_role(r) = 'administrator';
    k jsonb := api_cursor(r);
    k_id text := coalesce(k->>0, '');
    f_dep text := r->'query'->>'department';
    f_status text := r->'query'->>'status';
    items jsonb;
BEGIN
    IF f_status IS NOT NULL AND f_status NOT IN ('active', 'absent', 'inactive') THEN
        PERFORM api_fail(400, 'bad-parameter', 'status must be active, absent or inactive.',
                         jsonb_build_object('field', 'status'));
    END IF;
    SELECT jsonb_agg(api_staff_item(s) || jsonb_build_object('_key', jsonb_build_array(s.id))
                     ORDER BY s.id)
      INTO items
      FROM (SELECT * FROM staff
             WHERE staff.id > k_id
               AND (f_status IS NULL OR staff.status = f_status)
               AND (f_dep IS NULL OR EXISTS (SELECT 1 FROM staff_department sd
                                              WHERE sd.staff_id = staff.id
                                                AND sd.department_id = f_dep))
               AND (is_admin OR api_leads(me, staff.id))
             ORDER BY staff.id LIMIT (r->>'limit')::int + 1) s;
    RETURN api_page(r, items);
END $$;

-- Adds a person to the directory with their departments.
CREATE FUNCTION api_staff_create(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    b jsonb := r->'body';
    new_id text := r->'body'->>'id';
    s staff;
    bad text;
BEGIN
    IF new_id !~ '^[a-z0-9][a-z0-9._-]*$' OR length(new_id) > 64 THEN
        PERFORM api_fail(422, 'invalid',
            'A staff id is lowercase letters, digits, dots, hyphens and underscores, such as mette.',
            jsonb_build_object('field', 'id'));
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(b->'departments') d
                WHERE jsonb_typeof(d) <> 'object' OR jsonb_typeof(d->'id') IS DISTINCT FROM 'string'
                   OR (d ? 'lead' AND jsonb_typeof(d->'lead') NOT IN ('boolean', 'null'))
                   OR EXISTS (SELECT 1 FROM jsonb_object_keys(d) key WHERE key NOT IN ('id', 'lead'))) THEN
        PERFORM api_fail(400, 'wrong-type',
            'The field ''departments'' must be a list of {"id": department, "lead": true or false}.',
            jsonb_build_object('field', 'departments'));
    END IF;
    SELECT d->>'id' INTO bad FROM jsonb_array_elements(b->'departments') d
     WHERE NOT EXISTS (SELECT 1 FROM department WHERE department.id = d->>'id') LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM api_fail(422, 'unknown-department', format('There is no department %s.', bad),
                         jsonb_build_object('field', 'departments'));
    END IF;
    IF (SELECT count(DISTINCT d->>'id') <> count(*) FROM jsonb_array_elements(b->'departments') d) THEN
        PERFORM api_fail(422, 'invalid', 'A department is named twice.',
                         jsonb_build_object('field', 'departments'));
    END IF;
    INSERT INTO staff (id, name, email)
    VALUES (new_id, btrim(b->>'name'), nullif(btrim(b->>'email'), ''))
    ON CONFLICT (id) DO NOTHING
    RETURNING * INTO s;
    IF NOT FOUND THEN
        PERFORM api_fail(409, 'staff-exists', 'There is a staff member with this id already.',
                         jsonb_build_object('field', 'id'));
    END IF;
    INSERT INTO staff_department (staff_id, department_id, is_lead)
    SELECT s.id, d->>'id', coalesce((d->>'lead')::boolean, false)
      FROM jsonb_array_elements(b->'departments') d;
    RETURN api_staff_item(s);
END $$;

-- Changes a person's status, name or email. An administrator may change anyone, a lead the
-- members of the departments they lead (anyone else is 404). Absent or inactive: the
-- staff_unavailable trigger sends each of their active cases a tovholder_unavailable event.
CREATE FUNCTION api_staff_update(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    b jsonb := r->'body';
    wanted text := r->'params'->>'id';
    s staff;
BEGIN
    SELECT * INTO s FROM staff WHERE staff.id = wanted FOR UPDATE;
    IF NOT FOUND OR NOT (api_role(r) = 'administrator' OR api_leads(api_staff(r), wanted)) THEN
        PERFORM api_fail(404, 'not-found', 'There is no staff member with this id that you may change.');
    END IF;
    PERFORM api_check_etag(r, s.revision);
    IF b ? 'status' AND b->>'status' IS NOT NULL
       AND b->>'status' NOT IN ('active', 'absent', 'inactive') THEN
        PERFORM api_fail(422, 'invalid', 'status must be active, absent or inactive.',
                         jsonb_build_object('field', 'status'));
    END IF;
    UPDATE staff SET
        status = coalesce(b->>'status', staff.status),
        name = coalesce(nullif(btrim(b->>'name'), ''), staff.name),
        email = CASE WHEN b ? 'email' THEN nullif(btrim(b->>'email'), '') ELSE staff.email END,
        revision = staff.revision + 1
     WHERE staff.id = wanted
    RETURNING * INTO s;
    RETURN api_staff_item(s);
END $$;

-- ---- citizens and new cases ----

-- Whether WHO may see citizen CITIZEN_ID: through a case of theirs WHO may see, or as the
-- person who registered them.
CREATE FUNCTION api_sees_citizen(who text, citizen_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT EXISTS (SELECT 1 FROM citizen ci
                    WHERE ci.id = api_sees_citizen.citizen_id AND ci.created_by = who)
        OR EXISTS (SELECT 1 FROM cases c
                    WHERE c.citizen_id = api_sees_citizen.citizen_id AND api_sees_case(who, c.id))
$$;

-- A citizen as registration shows them, with the cases of theirs WHO may see.
CREATE FUNCTION api_citizen_item(ci citizen, who text) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object(
        'id', ci.id, 'name', ci.display_name, 'birth_date', ci.birth_date,
        'attributes', ci.attributes, 'created_at', ci.created_at, 'updated_at', ci.updated_at,
        'cases', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', c.id, 'workflow', c.workflow_name, 'version', c.workflow_version,
                'phase', c.phase, 'status', c.status) ORDER BY c.id)
              FROM cases c WHERE c.citizen_id = ci.id AND api_sees_case(who, c.id)), '[]'),
        'etag', api_etag(ci.revision))
$$;

-- A birth date a citizen can have (the daemon checked the form YYYY-MM-DD); 422 otherwise.
CREATE FUNCTION api_birth_date(r jsonb) RETURNS date LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE given text := r->'body'->>'birth_date';
BEGIN
    IF given IS NULL THEN
        RETURN NULL;
    END IF;
    IF given < '1900-01-01' OR given > current_date::text THEN
        PERFORM api_fail(422, 'invalid', 'The birth date must be from 1900 up to today.',
                         jsonb_build_object('field', 'birth_date'));
    END IF;
    RETURN given::date;
END $$;

-- Writes the access log for a person's write of citizen data (ACTION 'create', 'update').
CREATE FUNCTION api_access_write(r jsonb, citizen_id bigint, action text) RETURNS void
LANGUAGE sql
SET search_path = overgang, pg_catalog AS $$
    INSERT INTO access_log (actor, actor_kind, action, citizen_id, case_id, reason, via)
    VALUES (api_staff(r), 'staff', action, citizen_id, NULL, api_purpose(r), 'api ' || (r->>'route'))
$$;

-- Registers a citizen with their CPR number (kept apart in citizen_cpr, found by its keyed
-- hash). A number registered already is 409, without saying whose it is.
CREATE FUNCTION api_citizen_create(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    b jsonb := r->'body';
    h bytea := decode(r->>'cpr_hash', 'hex');
    ci citizen;
BEGIN
    IF EXISTS (SELECT 1 FROM citizen_cpr WHERE cpr_hash = h) THEN
        PERFORM api_fail(409, 'cpr-registered',
            'A citizen with this CPR number is registered already; find them with POST /v1/citizens/find.',
            jsonb_build_object('field', 'cpr'));
    END IF;
    INSERT INTO citizen (display_name, birth_date, attributes, created_by)
    VALUES (btrim(b->>'name'), api_birth_date(r), coalesce(nullif(b->'attributes', 'null'), '{}'),
            api_staff(r))
    RETURNING * INTO ci;
    BEGIN
        INSERT INTO citizen_cpr (citizen_id, cpr_hash, cpr) VALUES (ci.id, h, b->>'cpr');
    EXCEPTION WHEN unique_violation THEN
        -- registered by someone else at the same moment
        PERFORM api_fail(409, 'cpr-registered',
            'A citizen with this CPR number is registered already; find them with POST /v1/citizens/find.',
            jsonb_build_object('field', 'cpr'));
    END;
    PERFORM api_access_write(r, ci.id, 'create');
    RETURN api_citizen_item(ci, api_staff(r));
END $$;

CREATE FUNCTION api_visible_citizen(r jsonb) RETURNS citizen LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    wanted bigint := api_id(r, 'id');
    ci citizen;
BEGIN
    SELECT * INTO ci FROM citizen WHERE citizen.id = wanted;
    IF NOT FOUND OR NOT api_sees_citizen(api_staff(r), wanted) THEN
        PERFORM api_fail(404, 'not-found', 'There is no citizen with this number that you may see.');
    END IF;
    RETURN ci;
END $$;

CREATE FUNCTION api_citizen(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    ci citizen := api_visible_citizen(r);
BEGIN
    PERFORM api_access(r, ARRAY[ci.id], ARRAY[NULL::bigint]);
    RETURN api_citizen_item(ci, api_staff(r));
END $$;

-- Corrects a citizen's name, birth date or attributes (which replace the old ones).
CREATE FUNCTION api_citizen_update(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    b jsonb := r->'body';
    ci citizen := api_visible_citizen(r);
BEGIN
    SELECT * INTO ci FROM citizen WHERE citizen.id = ci.id FOR UPDATE;
    PERFORM api_check_etag(r, ci.revision);
    UPDATE citizen SET
        display_name = coalesce(nullif(btrim(b->>'name'), ''), citizen.display_name),
        birth_date = coalesce(api_birth_date(r), citizen.birth_date),
        attributes = coalesce(nullif(b->'attributes', 'null'), citizen.attributes),
        revision = citizen.revision + 1,
        updated_at = now()
     WHERE citizen.id = ci.id
    RETURNING * INTO ci;
    PERFORM api_access_write(r, ci.id, 'update');
    RETURN api_citizen_item(ci, api_staff(r));
END $$;

-- Finds a citizen by the keyed hash of their CPR number (the number itself never reaches
-- this function). Logged with the purpose.
CREATE FUNCTION api_citizen_find(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    ci citizen;
BEGIN
    SELECT c.* INTO ci FROM citizen_cpr p JOIN citizen c ON c.id = p.citizen_id
     WHERE p.cpr_hash = decode(r->>'cpr_hash', 'hex');
    IF NOT FOUND THEN
        PERFORM api_fail(404, 'not-found', 'No citizen is registered with this CPR number.');
    END IF;
    PERFORM api_access(r, ARRAY[ci.id], ARRAY[NULL::bigint]);
    RETURN jsonb_build_object('id', ci.id, 'name', ci.display_name, 'birth_date', ci.birth_date);
END $$;

-- Starts a case for a citizen on the newest (or the given) version of a workflow, with a
-- pending 'started' event the engine steps. The person who starts it gets a grant to follow
-- it. One running case per citizen and workflow: a second is 409 when the person may see the
-- first, else 404, so a case the person may not see does not show.
CREATE FUNCTION api_case_start(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    b jsonb := r->'body';
    me text := api_staff(r);
    wanted_citizen bigint := (r->'body'->>'citizen')::bigint;
    w workflow;
    c cases;
    running bigint;
BEGIN
    PERFORM api_idem_begin(r);
    IF NOT EXISTS (SELECT 1 FROM citizen WHERE citizen.id = wanted_citizen) THEN
        PERFORM api_fail(422, 'unknown-citizen', 'There is no citizen with this number.',
                         jsonb_build_object('field', 'citizen'));
    END IF;
    SELECT * INTO w FROM workflow
     WHERE workflow.name = b->>'workflow'
       AND (b->>'version' IS NULL OR workflow.version::numeric = (b->>'version')::numeric)
     ORDER BY workflow.version DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM api_fail(422, 'unknown-workflow',
            CASE WHEN b->>'version' IS NULL THEN 'No workflow of this name is deployed.'
                 ELSE 'This version of the workflow is not deployed.' END,
            jsonb_build_object('field', CASE WHEN b->>'version' IS NULL OR NOT EXISTS (
                SELECT 1 FROM workflow WHERE workflow.name = b->>'workflow')
                THEN 'workflow' ELSE 'version' END));
    END IF;
    -- one running case per citizen and workflow; a second start waits for the first
    PERFORM 1 FROM citizen WHERE citizen.id = wanted_citizen FOR UPDATE;
    SELECT cases.id INTO running FROM cases
     WHERE cases.citizen_id = wanted_citizen AND cases.workflow_name = w.name
       AND cases.status <> 'closed'
     LIMIT 1;
    IF running IS NOT NULL AND api_sees_case(me, running) THEN
        PERFORM api_fail(409, 'case-exists',
            format('The citizen has a running case on this workflow already: case %s.', running),
            jsonb_build_object('field', 'workflow', 'case', running));
    ELSIF running IS NOT NULL THEN
        -- a case the person may not see: the same answer as for any case they may not see
        PERFORM api_fail(404, 'not-found',
            'There is no citizen with this number that you may start this workflow for.');
    END IF;
    INSERT INTO cases (citizen_id, workflow_name, workflow_version, phase)
    VALUES (wanted_citizen, w.name, w.version, w.definition->'phases'->0->>'name')
    RETURNING * INTO c;
    INSERT INTO event (case_id, type, payload, source, idem_key)
    VALUES (c.id, 'started', jsonb_build_object('by', me), 'api', 'started');
    INSERT INTO case_grant (case_id, staff_id, granted_by, reason)
    VALUES (c.id, me, me, 'started the case');
    RETURN api_idem_end(r, 201, jsonb_build_object(
        'id', c.id, 'citizen', c.citizen_id, 'status', c.status, 'phase', c.phase,
        'started_at', c.started_at,
        'workflow', jsonb_build_object('name', w.name, 'version', w.version, 'title', w.title)));
END $$;

-- ---- audit and reports ----

-- The access log of one citizen or one staff member, newest first. Ids only: no names.
CREATE FUNCTION api_access_log(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    f_citizen text := r->'query'->>'citizen';
    f_staff text := r->'query'->>'staff';
    k jsonb := api_cursor(r);
    k_at timestamptz := 'infinity';
    k_id bigint := 0;
    items jsonb;
BEGIN
    IF (f_citizen IS NULL) = (f_staff IS NULL) THEN
        PERFORM api_fail(400, 'bad-parameter', 'Give one of citizen and staff.',
                         jsonb_build_object('field', CASE WHEN f_citizen IS NULL THEN 'citizen' ELSE 'staff' END));
    END IF;
    IF f_citizen !~ '^[0-9]{1,18}$' THEN
        PERFORM api_fail(400, 'bad-parameter', 'citizen must be a citizen number.',
                         jsonb_build_object('field', 'citizen'));
    END IF;
    BEGIN
        k_at := coalesce((k->>0)::timestamptz, 'infinity');
        k_id := coalesce((k->>1)::bigint, 0);
    EXCEPTION WHEN data_exception THEN
        PERFORM api_admin_bad_cursor();
    END;
    SELECT jsonb_agg(jsonb_build_object(
               'id', a.id, 'at', a.at, 'actor', a.actor, 'actor_kind', a.actor_kind,
               'action', a.action, 'citizen', a.citizen_id, 'case', a.case_id,
               'reason', a.reason, 'via', a.via,
               '_key', jsonb_build_array(a.at, a.id)) ORDER BY a.at DESC, a.id DESC)
      INTO items
      FROM (SELECT * FROM access_log l
             WHERE (f_citizen IS NULL OR l.citizen_id = f_citizen::bigint)
               AND (f_staff IS NULL OR l.actor = f_staff)
               AND (k IS NULL OR (l.at, l.id) < (k_at, k_id))
             ORDER BY l.at DESC, l.id DESC LIMIT (r->>'limit')::int + 1) a;
    RETURN api_page(r, items);
END $$;

-- Deadlines at a glance, for managers: counts only, no person data. Per department: open
-- tasks and handovers, how many are overdue and how many fall due within 7 days; per
-- workflow and phase: cases running (active) and stuck.
CREATE FUNCTION api_report_deadlines(r jsonb) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object(
        'generated_at', now(),
        'departments', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id', d.id, 'name', d.name,
                       'open_tasks', coalesce(t.open_tasks, 0),
                       'open_handovers', coalesce(t.open_handovers, 0),
                       'overdue', coalesce(t.overdue, 0),
                       'due_7_days', coalesce(t.due_7_days, 0)) ORDER BY d.id)
              FROM department d
              LEFT JOIN (SELECT task.department_id,
                                count(*) FILTER (WHERE kind = 'task') AS open_tasks,
                                count(*) FILTER (WHERE kind = 'handover') AS open_handovers,
                                count(*) FILTER (WHERE due_at < now()) AS overdue,
                                count(*) FILTER (WHERE due_at >= now()
                                                   AND due_at < now() + interval '7 days') AS due_7_days
                           FROM task WHERE task.status IN ('open', 'claimed')
                          GROUP BY task.department_id) t ON t.department_id = d.id), '[]'),
        'workflows', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'workflow', x.workflow_name, 'phase', x.phase,
                       'active_cases', x.active, 'stuck_cases', x.stuck)
                       ORDER BY x.workflow_name, x.phase)
              FROM (SELECT c.workflow_name, c.phase,
                           count(*) FILTER (WHERE c.status = 'active') AS active,
                           count(*) FILTER (WHERE c.status = 'stuck') AS stuck
                      FROM cases c WHERE c.status <> 'closed'
                     GROUP BY c.workflow_name, c.phase) x), '[]'))
$$;
