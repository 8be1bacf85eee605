-- The API's LANGUAGE sql functions that run once (or once per page) for every request, in
-- PL/pgSQL, so that their statements are planned once per connection rather than at every
-- call. A LANGUAGE sql function with a SET clause is never inlined, and PostgreSQL 15 parses
-- and plans its body again each time a statement calls it (as 0019 found for the list pages).
-- Measured with pgbench at national scale, PostgreSQL CPU a call: GET /v1/me's api_me 220 ->
-- 74 µs; a batch of five reads' access-log rows (api_access_flush) 390 -> 310 µs. The bodies,
-- settings and answers are those of 0003, 0005 and 0026; "#variable_conflict use_column"
-- resolves a name as LANGUAGE sql did, a column before a parameter. api_page and
-- api_outbox_item are STABLE now, as they are: the one encodes a cursor with a STABLE
-- helper (0028), the other turns times into text in the session's time zone.

CREATE OR REPLACE FUNCTION api_access_flush(rows jsonb) RETURNS integer LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
DECLARE
    n integer;
BEGIN
    INSERT INTO access_log (at, actor, actor_kind, action, citizen_id, case_id,
                            citizen_ids, case_ids, reason, via)
    SELECT x.at, x.actor, 'staff', 'read', x.citizen_id, x.case_id, x.citizen_ids,
           x.case_ids, x.reason, x.via
      FROM jsonb_to_recordset(rows) AS x (at timestamptz, actor text, citizen_id bigint,
                                          case_id bigint, citizen_ids bigint[],
                                          case_ids bigint[], reason text, via text);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION api_access_write(r jsonb, citizen_id bigint, action text)
RETURNS void LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO access_log (actor, actor_kind, action, citizen_id, case_id, reason, via)
    VALUES (api_staff(r), 'staff', api_access_write.action, api_access_write.citizen_id, NULL,
            api_purpose(r), 'api ' || (r->>'route'));
END $$;

CREATE OR REPLACE FUNCTION api_me(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
BEGIN
    RETURN (SELECT jsonb_build_object(
        'staff', s.id, 'name', s.name, 'status', s.status, 'role', api_role(r),
        'departments', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', d.id, 'name', d.name, 'lead', sd.is_lead) ORDER BY d.id)
              FROM staff_department sd JOIN department d ON d.id = sd.department_id
             WHERE sd.staff_id = s.id), '[]'))
      FROM staff s WHERE s.id = api_staff(r));
END $$;

CREATE OR REPLACE FUNCTION api_page(r jsonb, items jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
BEGIN
    RETURN (
    WITH lim AS (SELECT (r->>'limit')::int AS n),
    page AS (
        SELECT e.value AS item, e.ordinality AS i
          FROM jsonb_array_elements(coalesce(items, '[]')) WITH ORDINALITY e, lim
         WHERE e.ordinality <= lim.n)
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(item - '_key' ORDER BY i) FROM page), '[]'),
        'next_cursor', CASE WHEN jsonb_array_length(coalesce(items, '[]')) > (SELECT n FROM lim)
                            THEN api_cursor_encode((SELECT item->'_key' FROM page
                                                     ORDER BY i DESC LIMIT 1))
                       END));
END $$;

CREATE OR REPLACE FUNCTION api_citizen_item(ci citizen, who text) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
BEGIN
    RETURN jsonb_build_object(
        'id', ci.id, 'name', ci.display_name, 'birth_date', ci.birth_date,
        'attributes', ci.attributes, 'created_at', ci.created_at, 'updated_at', ci.updated_at,
        'cases', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', c.id, 'workflow', c.workflow_name, 'version', c.workflow_version,
                'phase', c.phase, 'status', c.status) ORDER BY c.id)
              FROM cases c WHERE c.citizen_id = ci.id AND api_sees_case(who, c.id)), '[]'),
        'etag', api_etag(ci.revision));
END $$;

CREATE OR REPLACE FUNCTION api_staff_item(s staff) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
BEGIN
    RETURN jsonb_build_object(
        'id', s.id, 'name', s.name, 'email', s.email, 'status', s.status,
        'departments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', sd.department_id,
                                                                     'lead', sd.is_lead)
                                                  ORDER BY sd.department_id)
                                   FROM staff_department sd WHERE sd.staff_id = s.id), '[]'),
        'etag', api_etag(s.revision));
END $$;

CREATE OR REPLACE FUNCTION api_workflow_item(w workflow) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
BEGIN
    RETURN jsonb_build_object(
        'name', w.name, 'version', w.version, 'title', w.title, 'checksum', w.checksum,
        'deployed_at', w.deployed_at, 'deployed_by', w.deployed_by,
        'running_cases', (SELECT count(*) FROM cases c
                           WHERE c.workflow_name = w.name AND c.workflow_version = w.version
                             AND c.status <> 'closed'),
        'stuck_cases', (SELECT count(*) FROM cases c
                         WHERE c.workflow_name = w.name AND c.workflow_version = w.version
                           AND c.status = 'stuck'));
END $$;

CREATE OR REPLACE FUNCTION api_outbox_item(o outbox) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
BEGIN
    RETURN jsonb_build_object(
        'id', o.id, 'case', o.case_id, 'plugin', o.plugin, 'action', o.action,
        'status', o.status, 'attempts', o.attempts, 'last_error', o.last_error,
        'next_attempt_at', o.next_attempt_at, 'created_at', o.created_at,
        'delivered_at', o.delivered_at);
END $$;
