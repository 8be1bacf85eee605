-- The queue, the inbox and the access log, made cheaper per request (issue: p99 of a
-- tovholder's queue and a department's inbox at national scale). Measured with perf on a
-- backend serving the inbox: a third of its time went to writing the access log, one row
-- and two index entries per citizen on the page; the queue also gathered every open task of
-- the person's cases (about 170 at national scale) to sort them and keep 51.

-- 1. A list read is one access log row naming every citizen on the page (citizen_ids, with
-- their cases in case_ids, same order), not a row per citizen. A read of one citizen stays a
-- row of its own (citizen_id, case_id). "Who read citizen X" finds both kinds: the btree
-- on citizen_id and a GIN index on citizen_ids. The GIN index takes new rows into its
-- pending list (cheap for the request); autovacuum merges the list every 20,000 rows, so no
-- request is made to merge a long one.
ALTER TABLE access_log
    ADD COLUMN citizen_ids bigint[],
    ADD COLUMN case_ids bigint[],
    ADD CONSTRAINT access_log_one_or_many CHECK (
        citizen_ids IS NULL OR (citizen_id IS NULL AND case_id IS NULL
                                AND cardinality(citizen_ids) = cardinality(case_ids)));
CREATE INDEX access_log_by_citizens ON access_log USING gin (citizen_ids)
    WHERE citizen_ids IS NOT NULL;
ALTER TABLE access_log SET (autovacuum_vacuum_insert_threshold = 20000,
                            autovacuum_vacuum_insert_scale_factor = 0);

-- Every entry of the access log, a row per citizen read: what a citizen's request for
-- "who looked at my case" is answered from, and what tests and operators count.
CREATE VIEW access_entries AS
    SELECT l.id, l.at, l.actor, l.actor_kind, l.action, l.citizen_id, l.case_id, l.reason,
           l.via
      FROM access_log l
     WHERE l.citizen_ids IS NULL
    UNION ALL
    SELECT l.id, l.at, l.actor, l.actor_kind, l.action, u.ci, u.ca, l.reason, l.via
      FROM access_log l, unnest(l.citizen_ids, l.case_ids) AS u (ci, ca)
     WHERE l.citizen_ids IS NOT NULL;

-- Writes the access log for a person's read of CITIZEN_IDS (with their CASE_IDS, same
-- order; a NULL case for a read of the citizen alone): one row, each (citizen, case) once,
-- in the order of the page.
CREATE OR REPLACE FUNCTION api_access(r jsonb, citizen_ids bigint[], case_ids bigint[],
                                      task_id bigint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    ci bigint[];
    ca bigint[];
BEGIN
    SELECT array_agg(d.ci ORDER BY d.n), array_agg(d.ca ORDER BY d.n) INTO ci, ca
      FROM (SELECT DISTINCT ON (u.ci, u.ca) u.ci, u.ca, u.n
              FROM unnest(citizen_ids, case_ids) WITH ORDINALITY AS u (ci, ca, n)
             WHERE u.ci IS NOT NULL
             ORDER BY u.ci, u.ca, u.n) d;
    IF ci IS NULL THEN
        RETURN;
    END IF;
    IF cardinality(ci) = 1 THEN
        INSERT INTO access_log (actor, actor_kind, action, citizen_id, case_id, reason, via)
        VALUES (r->'actor'->>'staff', 'staff', 'read', ci[1], ca[1], api_purpose(r, task_id),
                'api ' || (r->>'route'));
    ELSE
        INSERT INTO access_log (actor, actor_kind, action, citizen_ids, case_ids, reason, via)
        VALUES (r->'actor'->>'staff', 'staff', 'read', ci, ca, api_purpose(r, task_id),
                'api ' || (r->>'route'));
    END IF;
END $$;

-- The access log searched by citizen or by staff member, newest first, an entry per
-- citizen read (a list read shows as an entry for each citizen on its page; searched by
-- citizen, only that citizen's entry). The cursor is (at, id, n): n tells the entries of
-- one list read apart.
CREATE OR REPLACE FUNCTION api_access_log(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    f_citizen text := r->'query'->>'citizen';
    f_staff text := r->'query'->>'staff';
    who bigint;
    k jsonb := api_cursor(r);
    k_at timestamptz := 'infinity';
    k_id bigint := 0;
    k_n bigint := 0;
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
    who := f_citizen::bigint;
    BEGIN
        k_at := coalesce((k->>0)::timestamptz, 'infinity');
        k_id := coalesce((k->>1)::bigint, 0);
        k_n := coalesce((k->>2)::bigint, 0);
    EXCEPTION WHEN data_exception THEN
        PERFORM api_admin_bad_cursor();
    END;
    SELECT jsonb_agg(jsonb_build_object(
               'id', e.id, 'at', e.at, 'actor', e.actor, 'actor_kind', e.actor_kind,
               'action', e.action, 'citizen', e.citizen, 'case', e."case",
               'reason', e.reason, 'via', e.via,
               '_key', jsonb_build_array(e.at, e.id, e.n))
               ORDER BY e.at DESC, e.id DESC, e.n DESC)
      INTO items
      FROM (SELECT l.id, l.at, l.actor, l.actor_kind, l.action, l.reason, l.via,
                   coalesce(u.ci, l.citizen_id) AS citizen, coalesce(u.ca, l.case_id) AS "case",
                   coalesce(u.n, 0) AS n
              FROM access_log l
              LEFT JOIN LATERAL unnest(l.citizen_ids, l.case_ids) WITH ORDINALITY
                        AS u (ci, ca, n) ON true
             WHERE (who IS NULL OR l.citizen_id = who OR l.citizen_ids @> ARRAY[who])
               AND (who IS NULL OR coalesce(u.ci, l.citizen_id) = who)
               AND (f_staff IS NULL OR l.actor = f_staff)
               AND (k IS NULL OR (l.at, l.id, coalesce(u.n, 0)) < (k_at, k_id, k_n))
             ORDER BY l.at DESC, l.id DESC, coalesce(u.n, 0) DESC
             LIMIT (r->>'limit')::int + 1) e;
    RETURN api_page(r, items);
END $$;

-- 2. The queue's page straight from two indexes in due order. A task carries the
-- tovholder of its case while the case runs (holder, kept by the triggers below), so "the
-- open tasks of the cases I hold" is one index range in due order, like "the open tasks
-- assigned to me"; the page merges the first lim + 1 of each.
ALTER TABLE task ADD COLUMN holder text;

CREATE FUNCTION task_take_holder() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    SELECT c.tovholder INTO NEW.holder FROM cases c
     WHERE c.id = NEW.case_id AND c.status <> 'closed';
    RETURN NEW;
END $$;
CREATE TRIGGER task_holder BEFORE INSERT ON task
    FOR EACH ROW EXECUTE FUNCTION task_take_holder();

CREATE FUNCTION cases_pass_holder() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    UPDATE task SET holder = CASE WHEN NEW.status = 'closed' THEN NULL ELSE NEW.tovholder END
     WHERE case_id = NEW.id AND status IN ('open', 'claimed');
    RETURN NULL;
END $$;
CREATE TRIGGER cases_holder AFTER UPDATE OF tovholder, status ON cases
    FOR EACH ROW
    WHEN (OLD.tovholder IS DISTINCT FROM NEW.tovholder
          OR (OLD.status = 'closed') <> (NEW.status = 'closed'))
    EXECUTE FUNCTION cases_pass_holder();

UPDATE task t SET holder = c.tovholder
  FROM cases c
 WHERE c.id = t.case_id AND c.status <> 'closed' AND t.status IN ('open', 'claimed');

CREATE INDEX task_queue_by_holder ON task (holder, (coalesce(due_at, 'infinity')), id)
    INCLUDE (due_at, case_id, department_id, status, assignee)
    WHERE status IN ('open', 'claimed') AND holder IS NOT NULL;
-- task_queue_by_assignee and task_inbox (0003) serve every query these two served; each
-- index is one more write for every task a step creates or closes.
DROP INDEX task_open_by_assignee;
DROP INDEX task_open_by_department;

CREATE OR REPLACE FUNCTION api_queue(r jsonb) RETURNS json LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    me text := api_staff(r);
    k jsonb := api_cursor(r);
    k_due timestamptz;
    k_id bigint;
    f_case text := r->'query'->>'case';
    f_dep text := r->'query'->>'department';
    f_status text := r->'query'->>'status';
    lim integer := (r->>'limit')::int;
    result json;
    citizen_ids bigint[];
    case_ids bigint[];
BEGIN
    BEGIN
        k_due := coalesce((k->>0)::timestamptz, '-infinity');
        k_id := coalesce((k->>1)::bigint, 0);
    EXCEPTION WHEN data_exception THEN
        PERFORM api_fail(400, 'bad-cursor',
            'The cursor is not one this list gave out; start from the first page.',
            jsonb_build_object('field', 'cursor'));
    END;
    IF f_case IS NOT NULL AND f_case !~ '^[0-9]{1,18}$' THEN
        PERFORM api_fail(400, 'bad-parameter', 'case must be a case number.',
                         jsonb_build_object('field', 'case'));
    END IF;
    IF f_status IS NOT NULL AND f_status NOT IN ('open', 'claimed') THEN
        PERFORM api_fail(400, 'bad-parameter', 'status must be open or claimed.',
                         jsonb_build_object('field', 'status'));
    END IF;
    WITH page AS (
        SELECT m.id, m.due, row_number() OVER (ORDER BY m.due, m.id) AS n
          FROM ((SELECT t.id, coalesce(t.due_at, 'infinity') AS due FROM task t
                  WHERE t.assignee = me AND t.status IN ('open', 'claimed')
                    AND (coalesce(t.due_at, 'infinity'), t.id) > (k_due, k_id)
                    AND (f_case IS NULL OR t.case_id = f_case::bigint)
                    AND (f_dep IS NULL OR t.department_id = f_dep)
                    AND (f_status IS NULL OR t.status = f_status)
                  ORDER BY coalesce(t.due_at, 'infinity'), t.id
                  LIMIT lim + 1)
                UNION ALL
                (SELECT t.id, coalesce(t.due_at, 'infinity') FROM task t
                  WHERE t.holder = me AND t.status IN ('open', 'claimed')
                    AND t.assignee IS DISTINCT FROM me
                    AND (coalesce(t.due_at, 'infinity'), t.id) > (k_due, k_id)
                    AND (f_case IS NULL OR t.case_id = f_case::bigint)
                    AND (f_dep IS NULL OR t.department_id = f_dep)
                    AND (f_status IS NULL OR t.status = f_status)
                  ORDER BY coalesce(t.due_at, 'infinity'), t.id
                  LIMIT lim + 1)) m
         ORDER BY m.due, m.id
         LIMIT lim + 1)
    SELECT json_build_object(
               'items', coalesce(json_agg(api_task_item(t, c, ci) ORDER BY page.n)
                                 FILTER (WHERE page.n <= lim), '[]'),
               'next_cursor', CASE WHEN max(page.n) > lim THEN api_cursor_encode(
                   (array_agg(jsonb_build_array(page.due, page.id))
                        FILTER (WHERE page.n = lim))[1]) END),
           array_agg(ci.id ORDER BY page.n) FILTER (WHERE page.n <= lim),
           array_agg(c.id ORDER BY page.n) FILTER (WHERE page.n <= lim)
      INTO result, citizen_ids, case_ids
      FROM page
      JOIN task t ON t.id = page.id
      JOIN cases c ON c.id = t.case_id
      JOIN citizen ci ON ci.id = c.citizen_id;
    PERFORM api_access(r, citizen_ids, case_ids);
    RETURN result;
END $$;
