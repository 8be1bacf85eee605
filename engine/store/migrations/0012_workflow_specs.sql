-- What a workflow version says people should read and enter: the title of each phase and the
-- outcome fields of each task key (`phases = { { "name", title = ... } }` and `tasks = { KEY =
-- { outcome = { ... } } }` in the workflow's definition). Kept in two small tables filled when
-- a version is deployed, so the queue, the inbox, my cases and the case find a phase's title
-- and a task's fields by primary key instead of reading the definition on every row; and the
-- names of staff and departments next to their ids in the same lists.

-- A phase's title; the phase's name when the workflow gives none.
CREATE TABLE workflow_phase (
    workflow_name     text NOT NULL,
    workflow_version  integer NOT NULL,
    name              text NOT NULL,
    title             text NOT NULL,
    PRIMARY KEY (workflow_name, workflow_version, name),
    FOREIGN KEY (workflow_name, workflow_version) REFERENCES workflow (name, version)
);

-- A task key's outcome fields as people fill them in: [{name, label, type, options?:
-- [{value, label}], instrument?, min?, max?, required, hint?}]; a select's options and a
-- number's limits come from the instrument registry when the field names an instrument.
-- json, not jsonb: it is sent as it is, inside pages built as json.
CREATE TABLE workflow_task (
    workflow_name     text NOT NULL,
    workflow_version  integer NOT NULL,
    key               text NOT NULL,
    title             text,
    outcome_fields    json NOT NULL,
    PRIMARY KEY (workflow_name, workflow_version, key),
    FOREIGN KEY (workflow_name, workflow_version) REFERENCES workflow (name, version)
);

-- An outcome field as the task list shows it: a field naming an instrument gets its options
-- (a select without its own) or its limits (a number) from the registry, and a select's own
-- options must be values of the instrument. A problem is refused as a workflow that cannot
-- be deployed (422 through the API), in words the workflow's author can act on.
CREATE FUNCTION workflow_outcome_field(task_key text, f jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    i instrument;
    words text[];
    allowed text[];
    bad text;
    where_ text := format('task ''%s'', field ''%s''', task_key, f->>'name');
BEGIN
    IF f->>'instrument' IS NULL THEN
        RETURN f;
    END IF;
    SELECT * INTO i FROM instrument WHERE name = f->>'instrument';
    IF NOT FOUND THEN
        PERFORM api_fail(422, 'invalid-workflow',
            format('%s: unknown instrument ''%s'' (the registry has: %s)', where_,
                   f->>'instrument', (SELECT string_agg(name, ', ' ORDER BY name) FROM instrument)));
    END IF;
    SELECT array_agg(DISTINCT w) INTO words FROM (
        SELECT jsonb_array_elements_text(coalesce(i."values"->'words', '[]')) w
        UNION ALL
        SELECT jsonb_array_elements_text(coalesce(i."values"->'not_comparable', '[]'))) x;
    IF f->>'type' = 'number' THEN
        IF i.kind NOT IN ('scale', 'number') THEN
            PERFORM api_fail(422, 'invalid-workflow',
                format('%s: instrument ''%s'' has words, not numbers: make the field a select',
                       where_, i.name));
        END IF;
        RETURN f || jsonb_strip_nulls(jsonb_build_object('min', i."values"->'min',
                                                         'max', i."values"->'max'));
    END IF;
    -- a select: the instrument's words, or its whole numbers, and the words beside the scale
    IF i.kind = 'number' THEN
        PERFORM api_fail(422, 'invalid-workflow',
            format('%s: instrument ''%s'' takes any number: make the field a number', where_,
                   i.name));
    END IF;
    IF i.kind = 'scale' THEN
        SELECT array_agg(n::text ORDER BY n) INTO allowed
          FROM generate_series((i."values"->>'min')::int, (i."values"->>'max')::int) n;
        allowed := allowed || ARRAY(SELECT instrument_word(x) FROM jsonb_array_elements_text(
            coalesce(i."values"->'not_comparable', '[]')) x);
    ELSE
        SELECT array_agg(instrument_word(w) ORDER BY o) INTO allowed
          FROM (SELECT DISTINCT ON (instrument_word(w)) w, o
                  FROM (SELECT w, o FROM jsonb_array_elements_text(
                            coalesce(i."values"->'words', '[]')
                            || coalesce(i."values"->'not_comparable', '[]'))
                            WITH ORDINALITY AS x (w, o)) y
                 ORDER BY instrument_word(w), o) z;
    END IF;
    IF f ? 'options' THEN
        SELECT o->>'value' INTO bad FROM jsonb_array_elements(f->'options') o
         WHERE NOT (instrument_word(o->>'value') = ANY (allowed)) LIMIT 1;
        IF bad IS NOT NULL THEN
            PERFORM api_fail(422, 'invalid-workflow',
                format('%s: ''%s'' is not a value of %s: %s', where_, bad, i.name,
                       array_to_string(allowed, ', ')));
        END IF;
        RETURN f;
    END IF;
    RETURN f || jsonb_build_object('options', (
        SELECT jsonb_agg(jsonb_build_object('value', v, 'label', upper(left(v, 1)) || substr(v, 2))
                         ORDER BY n)
          FROM unnest(allowed) WITH ORDINALITY AS u (v, n)));
END $$;

-- Fills workflow_phase and workflow_task for a deployed version, from its definition.
CREATE FUNCTION workflow_specs_fill() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    INSERT INTO workflow_phase (workflow_name, workflow_version, name, title)
    SELECT NEW.name, NEW.version, p->>'name', coalesce(p->>'title', p->>'name')
      FROM jsonb_array_elements(NEW.definition->'phases') p;
    INSERT INTO workflow_task (workflow_name, workflow_version, key, title, outcome_fields)
    SELECT NEW.name, NEW.version, t.key, t.spec->>'title',
           coalesce((SELECT jsonb_agg(workflow_outcome_field(t.key, f) ORDER BY n)
                       FROM jsonb_array_elements(t.spec->'outcome') WITH ORDINALITY AS x (f, n)),
                    '[]')::json
      FROM jsonb_each(coalesce(NEW.definition->'tasks', '{}')) AS t (key, spec);
    RETURN NULL;
END $$;
CREATE TRIGGER workflow_specs AFTER INSERT ON workflow
    FOR EACH ROW EXECUTE FUNCTION workflow_specs_fill();

-- The versions deployed before: their phases, titled by name (they declare no tasks).
INSERT INTO workflow_phase (workflow_name, workflow_version, name, title)
SELECT w.name, w.version, p->>'name', coalesce(p->>'title', p->>'name')
  FROM workflow w, jsonb_array_elements(w.definition->'phases') p
ON CONFLICT DO NOTHING;

-- The title of a case's phase; the phase's name when its version has no row (a phase a
-- migration of cases mapped to by hand, say).
CREATE FUNCTION api_phase_title(wf_name text, wf_version integer, phase text) RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT p.title FROM overgang.workflow_phase p
                      WHERE p.workflow_name = wf_name AND p.workflow_version = wf_version
                        AND p.name = phase), phase)
$$;

-- What a task key takes as its outcome: [] for a handover or a key the workflow declares
-- nothing for.
CREATE FUNCTION api_outcome_fields(wf_name text, wf_version integer, kind text, key text)
RETURNS json LANGUAGE sql STABLE
AS $$
    SELECT coalesce(CASE WHEN kind = 'task' THEN (
               SELECT t.outcome_fields FROM overgang.workflow_task t
                WHERE t.workflow_name = wf_name AND t.workflow_version = wf_version
                  AND t.key = api_outcome_fields.key) END, '[]'::json)
$$;

CREATE FUNCTION api_staff_name(id text) RETURNS text LANGUAGE sql STABLE
AS $$ SELECT s.name FROM overgang.staff s WHERE s.id = api_staff_name.id $$;

CREATE FUNCTION api_department_name(id text) RETURNS text LANGUAGE sql STABLE
AS $$ SELECT d.name FROM overgang.department d WHERE d.id = api_department_name.id $$;

-- One open task or handover as queues and inboxes show it, with the names of the people and
-- departments beside their ids, the title of the case's phase and the outcome fields the
-- task takes. Each is one primary-key lookup.
CREATE OR REPLACE FUNCTION api_task_item(t task, c cases, ci citizen) RETURNS json
LANGUAGE sql STABLE
AS $$
    SELECT json_build_object(
        'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'status', t.status,
        'department', t.department_id,
        'department_name', overgang.api_department_name(t.department_id),
        'from_department', t.from_department,
        'from_department_name', overgang.api_department_name(t.from_department),
        'assignee', t.assignee, 'assignee_name', overgang.api_staff_name(t.assignee),
        'due_at', t.due_at,
        'overdue', t.due_at IS NOT NULL AND t.due_at < now() AND t.status IN ('open', 'claimed'),
        'outcome_fields', overgang.api_outcome_fields(c.workflow_name, c.workflow_version,
                                                      t.kind, t.key),
        'case', json_build_object(
            'id', c.id, 'phase', c.phase,
            'phase_title', overgang.api_phase_title(c.workflow_name, c.workflow_version, c.phase),
            'workflow', c.workflow_name, 'tovholder', c.tovholder,
            'tovholder_name', overgang.api_staff_name(c.tovholder)),
        'citizen', json_build_object('id', ci.id, 'name', ci.display_name),
        'etag', overgang.api_etag(t.revision))
$$;

-- The cases I hold, with the title of each case's phase and the names of departments, by next deadline (the earliest due open task or handover; none last),
-- with what is waiting in each. Every citizen on the page is written to the access log.
-- The order moves as deadlines do: a case whose deadline changes between two pages may show
-- twice or not at all, as in any list ordered by something that changes.
CREATE OR REPLACE FUNCTION api_my_cases(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_limit int := (r->>'limit')::int;
    v_k text[] := api_work_cursor(r, '{timestamptz,bigint}');
    v_due timestamptz := coalesce(v_k[1]::timestamptz, '-infinity');
    v_id bigint := coalesce(v_k[2]::bigint, 0);
    v_items jsonb;
    v_citizens bigint[];
    v_cases bigint[];
BEGIN
    SELECT jsonb_agg(jsonb_build_object(
               'id', c.id, 'status', c.status, 'phase', c.phase,
               'phase_title', api_phase_title(c.workflow_name, c.workflow_version, c.phase),
               'workflow', jsonb_build_object('name', c.workflow_name,
                                              'version', c.workflow_version),
               'citizen', jsonb_build_object('id', ci.id, 'name', ci.display_name),
               'tovholder_department', c.tovholder_department,
               'tovholder_department_name', api_department_name(c.tovholder_department),
               'next_deadline', CASE WHEN nx.id IS NOT NULL THEN jsonb_build_object(
                   'task', nx.id, 'kind', nx.kind, 'title', nx.title,
                   'department', nx.department_id,
                   'department_name', api_department_name(nx.department_id),
                   'due_at', nx.due_at,
                   'overdue', nx.due_at < now()) END,
               'waiting', jsonb_build_object('tasks', w.tasks, 'handovers', w.handovers,
                                             'overdue', w.overdue),
               'updated_at', c.updated_at, 'etag', api_etag(c.revision),
               '_key', jsonb_build_array(p.due, c.id))
           ORDER BY p.n),
           array_agg(ci.id ORDER BY p.n) FILTER (WHERE p.n <= v_limit),
           array_agg(c.id ORDER BY p.n) FILTER (WHERE p.n <= v_limit)
      INTO v_items, v_citizens, v_cases
      FROM (SELECT q.id, q.due, row_number() OVER (ORDER BY q.due, q.id) AS n
              FROM (SELECT c.id, coalesce(nd.due, 'infinity') AS due
                      FROM cases c
                      LEFT JOIN LATERAL (SELECT min(t.due_at) AS due FROM task t
                                          WHERE t.case_id = c.id
                                            AND t.status IN ('open', 'claimed')) nd ON true
                     WHERE c.tovholder = v_me AND c.status <> 'closed'
                       AND (coalesce(nd.due, 'infinity'), c.id) > (v_due, v_id)
                     ORDER BY 2, 1
                     LIMIT v_limit + 1) q) p
      JOIN cases c ON c.id = p.id
      JOIN citizen ci ON ci.id = c.citizen_id
      CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE t.kind = 'task') AS tasks,
                 count(*) FILTER (WHERE t.kind = 'handover') AS handovers,
                 count(*) FILTER (WHERE t.due_at < now()) AS overdue
            FROM task t WHERE t.case_id = c.id AND t.status IN ('open', 'claimed')) w
      LEFT JOIN LATERAL (
          SELECT t.id, t.kind, t.title, t.department_id, t.due_at
            FROM task t
           WHERE t.case_id = c.id AND t.status IN ('open', 'claimed') AND t.due_at IS NOT NULL
           ORDER BY coalesce(t.due_at, 'infinity'), t.id LIMIT 1) nx ON true;
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN api_page(r, v_items);
END $$;

-- A case's full picture for a person who may see it, with phase titles, the names of staff
-- and departments beside their ids, and the outcome fields of its open tasks: the citizen, the phase, the plan in
-- plain language, the timeline, tasks and handovers, the tovholder history, goals and
-- measures.
CREATE OR REPLACE FUNCTION api_case(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    c cases := api_visible_case(r);
    ci citizen;
    wf workflow;
BEGIN
    SELECT * INTO ci FROM citizen WHERE id = c.citizen_id;
    SELECT * INTO wf FROM workflow WHERE name = c.workflow_name AND version = c.workflow_version;
    PERFORM api_access(r, ARRAY[ci.id], ARRAY[c.id]);
    RETURN jsonb_build_object(
        'id', c.id, 'status', c.status, 'phase', c.phase,
        'phase_title', api_phase_title(c.workflow_name, c.workflow_version, c.phase),
        'outcome', c.outcome,
        'started_at', c.started_at, 'updated_at', c.updated_at, 'closed_at', c.closed_at,
        'citizen', jsonb_build_object('id', ci.id, 'name', ci.display_name,
                                      'birth_date', ci.birth_date, 'attributes', ci.attributes),
        'workflow', jsonb_build_object('name', wf.name, 'version', wf.version, 'title', wf.title),
        'tovholder', CASE WHEN c.tovholder IS NOT NULL THEN jsonb_build_object(
            'staff', c.tovholder, 'name', (SELECT name FROM staff WHERE id = c.tovholder),
            'department', c.tovholder_department,
            'department_name', api_department_name(c.tovholder_department)) END,
        'plan', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'phase', p->>'name', 'title', coalesce(p->>'title', p->>'name'),
                'text', p->>'text', 'current', p->>'name' = c.phase)
                ORDER BY i)
              FROM jsonb_array_elements(wf.definition->'phases') WITH ORDINALITY AS x (p, i)),
            '[]'),
        'timeline', coalesce((SELECT jsonb_agg(item ORDER BY at, kind, id) FROM (
                SELECT e.id, 'event' AS kind, coalesce(e.done_at, e.created_at) AS at,
                       jsonb_build_object('kind', 'event', 'id', e.id, 'type', e.type,
                                          'at', coalesce(e.done_at, e.created_at),
                                          'status', e.status, 'source', e.source) AS item
                  FROM event e
                 WHERE e.case_id = c.id AND (e.status = 'done' OR e.due_at <= now())
                UNION ALL
                SELECT n.id, 'note', n.created_at,
                       jsonb_build_object('kind', 'note', 'id', n.id, 'at', n.created_at,
                                          'author', n.author, 'text', n.text, 'task', n.task_id)
                  FROM case_note n WHERE n.case_id = c.id) tl), '[]'),
        'tasks', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'body', t.body,
                'status', t.status, 'department', t.department_id,
                'department_name', api_department_name(t.department_id),
                'from_department', t.from_department,
                'from_department_name', api_department_name(t.from_department),
                'assignee', t.assignee, 'assignee_name', api_staff_name(t.assignee),
                'outcome_fields', CASE WHEN t.status IN ('open', 'claimed') THEN
                    api_outcome_fields(c.workflow_name, c.workflow_version, t.kind, t.key)::jsonb
                    ELSE '[]' END,
                'due_at', t.due_at, 'outcome', t.outcome, 'reason', t.reason,
                'handover', t.handover, 'created_at', t.created_at, 'closed_at', t.closed_at,
                'etag', api_etag(t.revision)) ORDER BY t.id)
              FROM task t WHERE t.case_id = c.id), '[]'),
        'tovholder_history', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'from', h.from_staff, 'from_name', api_staff_name(h.from_staff),
                'to', h.to_staff, 'to_name', api_staff_name(h.to_staff),
                'department', h.department_id,
                'department_name', api_department_name(h.department_id),
                'reason', h.reason, 'by', h.by_whom, 'at', h.at) ORDER BY h.id)
              FROM tovholder_history h WHERE h.case_id = c.id), '[]'),
        'goals', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'key', g.key, 'text', g.text, 'theme', g.theme, 'created_at', g.created_at)
                ORDER BY g.id)
              FROM goal g WHERE g.case_id = c.id), '[]'),
        'measures', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'goal', m.goal_key, 'instrument', m.instrument, 'kind', m.kind,
                'value', coalesce(to_jsonb(m.value_num), to_jsonb(m.value_text)),
                'measured_at', m.measured_at) ORDER BY m.measured_at, m.id)
              FROM measure m WHERE m.case_id = c.id), '[]'),
        'etag', api_etag(c.revision));
END $$;

-- What is wrong with OUTCOME for the declared FIELDS, as {field, detail}, or NULL. Only the
-- declared fields are checked (a workflow may read more, from API clients that send it): a
-- required one must be there; a checkbox true or false, a number a number (within the
-- instrument's limits), a date YYYY-MM-DD, a select one of its options. A text field takes
-- what comes (a workflow may read a richer shape, such as a list of goals, from API clients).
CREATE FUNCTION api_outcome_problem(fields jsonb, outcome jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    f jsonb;
    v jsonb;
    n double precision;
    field text;
    label text;
BEGIN
    IF jsonb_array_length(fields) = 0 THEN
        RETURN NULL;
    END IF;
    IF outcome IS NOT NULL AND jsonb_typeof(outcome) <> 'object' THEN
        RETURN jsonb_build_object('field', 'outcome',
            'detail', 'outcome must be an object of the task''s fields: see outcome_fields.');
    END IF;
    FOR f IN SELECT x FROM jsonb_array_elements(fields) x LOOP
        field := 'outcome.' || (f->>'name');
        label := format('%s (%s)', f->>'label', f->>'name');
        v := outcome->(f->>'name');
        IF v IS NULL OR v = 'null' OR (jsonb_typeof(v) = 'string' AND btrim(v #>> '{}') = '') THEN
            IF (f->>'required')::boolean THEN
                RETURN jsonb_build_object('field', field,
                    'detail', format('%s is required to complete this task.', label));
            END IF;
            CONTINUE;
        END IF;
        CASE f->>'type'
        WHEN 'checkbox' THEN
            IF jsonb_typeof(v) <> 'boolean' THEN
                RETURN jsonb_build_object('field', field,
                    'detail', format('%s is a checkbox: send true or false.', label));
            END IF;
        WHEN 'number' THEN
            BEGIN
                n := CASE jsonb_typeof(v) WHEN 'number' THEN (v #>> '{}')::double precision
                          WHEN 'string' THEN btrim(v #>> '{}')::double precision END;
            EXCEPTION WHEN data_exception THEN
                n := NULL;
            END;
            IF n IS NULL OR n = 'NaN' OR n IN ('Infinity', '-Infinity') THEN
                RETURN jsonb_build_object('field', field,
                    'detail', format('%s must be a number.', label));
            END IF;
            IF (f ? 'min' AND n < (f->>'min')::double precision)
               OR (f ? 'max' AND n > (f->>'max')::double precision) THEN
                RETURN jsonb_build_object('field', field,
                    'detail', format('%s must be from %s to %s.', label,
                                     coalesce(f->>'min', '…'), coalesce(f->>'max', '…')));
            END IF;
        WHEN 'date' THEN
            BEGIN
                IF jsonb_typeof(v) <> 'string' OR (v #>> '{}') !~ '^\d{4}-\d{2}-\d{2}$' THEN
                    RAISE invalid_datetime_format;
                END IF;
                PERFORM (v #>> '{}')::date;
            EXCEPTION WHEN data_exception THEN
                RETURN jsonb_build_object('field', field,
                    'detail', format('%s must be a date written YYYY-MM-DD.', label));
            END;
        WHEN 'select' THEN
            IF jsonb_typeof(v) NOT IN ('string', 'number') OR NOT EXISTS (
                    SELECT 1 FROM jsonb_array_elements(f->'options') o
                     WHERE instrument_word(o->>'value') = instrument_word(v #>> '{}')) THEN
                RETURN jsonb_build_object('field', field,
                    'detail', format('%s must be one of: %s.', label,
                        (SELECT string_agg(o->>'value', ', ')
                           FROM jsonb_array_elements(f->'options') o)));
            END IF;
        ELSE
            NULL; -- a text: any value (a workflow may take a richer shape from API clients)
        END CASE;
    END LOOP;
    RETURN NULL;
END $$;

-- Completes a task with an outcome (checked against the fields the workflow declares for
-- the task's key: 400 naming the field), for the person it is assigned to, a member of its
-- department or the case's tovholder; complete_task writes the task_done event the engine
-- steps, in this transaction. A note goes to the case's notes, tied to the task.
CREATE OR REPLACE FUNCTION api_task_complete(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_task task;
    v_tovholder text;
    v_event bigint;
    v_problem jsonb;
BEGIN
    PERFORM api_idem_begin(r);
    v_task := api_work_task(r, 'task');
    SELECT c.tovholder INTO v_tovholder FROM cases c WHERE c.id = v_task.case_id;
    IF v_task.assignee IS DISTINCT FROM v_me AND v_tovholder IS DISTINCT FROM v_me
       AND NOT api_work_member(v_me, v_task.department_id) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only the person the task is assigned to, a member of its department or the case''s tovholder can complete it.');
    END IF;
    PERFORM api_check_etag(r, v_task.revision);
    IF v_task.status NOT IN ('open', 'claimed') THEN
        PERFORM api_fail(409, 'not-open',
            format('This task is already %s; it cannot be completed again.', v_task.status));
    END IF;
    SELECT api_outcome_problem(api_outcome_fields(c.workflow_name, c.workflow_version,
                                                  v_task.kind, v_task.key)::jsonb,
                               nullif(r->'body'->'outcome', 'null'))
      INTO v_problem FROM cases c WHERE c.id = v_task.case_id;
    IF v_problem IS NOT NULL THEN
        PERFORM api_fail(400, 'bad-outcome', v_problem->>'detail',
                         jsonb_build_object('field', v_problem->>'field'));
    END IF;
    v_event := complete_task(v_task.id, nullif(r->'body'->'outcome', 'null'), v_me);
    IF r->'body'->>'note' IS NOT NULL THEN
        INSERT INTO case_note (case_id, author, text, task_id)
        VALUES (v_task.case_id, v_me, r->'body'->>'note', v_task.id);
    END IF;
    SELECT * INTO v_task FROM task WHERE id = v_task.id;
    RETURN api_idem_end(r, 200, api_work_task_json(v_task) || jsonb_build_object('event', v_event));
END $$;
