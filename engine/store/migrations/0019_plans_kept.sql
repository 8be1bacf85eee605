-- Functions in LANGUAGE sql that PostgreSQL cannot inline (a body with FROM, or a SET clause)
-- are parsed and planned again at every call from another function, as PostgreSQL 15 keeps
-- no plan for them between statements. The queue's and inbox's page (api_task_list, a join of
-- ten tables) took more time to plan than to run: 2.6 ms of a 4.6 ms call at national scale.
-- The same bodies in PL/pgSQL keep their plans for the life of the connection. The answers
-- are the same.

CREATE OR REPLACE FUNCTION api_task_list(ids bigint[], next_key jsonb, OUT list json,
                                         OUT citizen_ids bigint[], OUT case_ids bigint[])
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT json_build_object('items', coalesce(json_agg(p.item ORDER BY p.n), '[]'),
                             'next_cursor', overgang.api_cursor_encode(next_key)),
           array_agg(p.citizen_id ORDER BY p.n), array_agg(p.case_id ORDER BY p.n)
      INTO list, citizen_ids, case_ids
      FROM overgang.api_task_page(ids) p;
END $$;

CREATE OR REPLACE FUNCTION api_sees_case(who text, the_case bigint) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM cases c WHERE c.id = the_case AND c.tovholder = who)
        OR EXISTS (SELECT 1 FROM staff_department sd
                     JOIN task t ON t.department_id = sd.department_id AND t.case_id = the_case
                    WHERE sd.staff_id = who)
        OR EXISTS (SELECT 1 FROM case_grant g
                    WHERE g.case_id = the_case AND g.staff_id = who
                      AND (g.expires_at IS NULL OR g.expires_at > now()));
END $$;

CREATE OR REPLACE FUNCTION api_sees_citizen(who text, citizen_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM citizen ci
                    WHERE ci.id = api_sees_citizen.citizen_id AND ci.created_by = who)
        OR EXISTS (SELECT 1 FROM cases c
                    WHERE c.citizen_id = api_sees_citizen.citizen_id AND api_sees_case(who, c.id));
END $$;

CREATE OR REPLACE FUNCTION api_work_member(who text, dep text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM staff_department sd
                    WHERE sd.staff_id = who AND sd.department_id = dep);
END $$;

CREATE OR REPLACE FUNCTION api_work_on_case(who text, the_case bigint) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM staff_department sd
                     JOIN task t ON t.department_id = sd.department_id AND t.case_id = the_case
                    WHERE sd.staff_id = who);
END $$;

CREATE OR REPLACE FUNCTION api_staff_name(id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT s.name FROM overgang.staff s WHERE s.id = api_staff_name.id);
END $$;

CREATE OR REPLACE FUNCTION api_department_name(id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT d.name FROM overgang.department d WHERE d.id = api_department_name.id);
END $$;

CREATE OR REPLACE FUNCTION api_phase_title(wf_name text, wf_version integer, phase text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce((SELECT p.title FROM overgang.workflow_phase p
                      WHERE p.workflow_name = wf_name AND p.workflow_version = wf_version
                        AND p.name = phase), phase);
END $$;

CREATE OR REPLACE FUNCTION api_outcome_fields(wf_name text, wf_version integer, kind text,
                                              key text)
RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(CASE WHEN kind = 'task' THEN (
               SELECT t.outcome_fields FROM overgang.workflow_task t
                WHERE t.workflow_name = wf_name AND t.workflow_version = wf_version
                  AND t.key = api_outcome_fields.key) END, '[]'::json);
END $$;

CREATE OR REPLACE FUNCTION api_leads(who text, staff_id text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM staff_department l
                     JOIN staff_department m ON m.department_id = l.department_id
                    WHERE l.staff_id = who AND l.is_lead AND m.staff_id = api_leads.staff_id);
END $$;

CREATE OR REPLACE FUNCTION api_work_leads(r jsonb, dep text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    RETURN api_role(r) = 'lead'
       AND EXISTS (SELECT 1 FROM staff_department sd
                    WHERE sd.staff_id = api_staff(r) AND sd.department_id = dep AND sd.is_lead);
END $$;

-- Completing a task: the event it sends, and the task as the answer shows it. The task's
-- JSON needs no search path of its own, so PostgreSQL inlines it where it is used.
CREATE OR REPLACE FUNCTION task_event(t task, ev_type text, extra jsonb, by_whom text)
RETURNS bigint LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO event (case_id, type, payload, source, idem_key)
    VALUES (t.case_id, ev_type,
            jsonb_build_object('task', t.id, 'key', t.key, 'department', t.department_id,
                               'kind', t.kind, 'by', by_whom) || extra,
            'task', ev_type || ':' || t.id)
    RETURNING event.id INTO id;
    RETURN id;
END $$;

CREATE OR REPLACE FUNCTION api_work_task_json(t task) RETURNS jsonb LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'status', t.status,
        'case', t.case_id, 'department', t.department_id, 'from_department', t.from_department,
        'assignee', t.assignee, 'due_at', t.due_at, 'outcome', t.outcome, 'reason', t.reason,
        'updated_at', t.updated_at, 'closed_at', t.closed_at,
        'etag', overgang.api_etag(t.revision))
$$;

-- A case's full picture: the names of its tasks' departments and assignees, of its tovholder
-- history, and its tasks' outcome fields come from joins in the case's one statement, not
-- from a function call per task and name. The answer is the same.
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
                'department_name', d.name,
                'from_department', t.from_department,
                'from_department_name', fd.name,
                'assignee', t.assignee, 'assignee_name', a.name,
                'outcome_fields', CASE WHEN t.status IN ('open', 'claimed') AND t.kind = 'task'
                    THEN coalesce(wt.outcome_fields::jsonb, '[]') ELSE '[]' END,
                'due_at', t.due_at, 'outcome', t.outcome, 'reason', t.reason,
                'handover', t.handover, 'created_at', t.created_at, 'closed_at', t.closed_at,
                'etag', api_etag(t.revision)) ORDER BY t.id)
              FROM task t
              LEFT JOIN department d ON d.id = t.department_id
              LEFT JOIN department fd ON fd.id = t.from_department
              LEFT JOIN staff a ON a.id = t.assignee
              LEFT JOIN workflow_task wt
                ON wt.workflow_name = c.workflow_name AND wt.workflow_version = c.workflow_version
               AND wt.key = t.key
             WHERE t.case_id = c.id), '[]'),
        'tovholder_history', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'from', h.from_staff, 'from_name', fs.name,
                'to', h.to_staff, 'to_name', ts.name,
                'department', h.department_id,
                'department_name', d.name,
                'reason', h.reason, 'by', h.by_whom, 'at', h.at) ORDER BY h.id)
              FROM tovholder_history h
              LEFT JOIN staff fs ON fs.id = h.from_staff
              LEFT JOIN staff ts ON ts.id = h.to_staff
              LEFT JOIN department d ON d.id = h.department_id
             WHERE h.case_id = c.id), '[]'),
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
