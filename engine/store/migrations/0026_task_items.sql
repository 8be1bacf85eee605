-- Queues and inboxes show each open task as an item with the names of its department, the
-- sending department, the assignee, the case's tovholder and the citizen, the title of the
-- case's phase and the outcome fields the task takes. Built at every read, a page of fifty
-- was a join of ten tables and their JSON: ~1.3 ms of the ~2 ms a queue page cost
-- PostgreSQL at national scale (the rest: finding the page, the access log). Now every open
-- task's item is kept in task_item, written in the transaction that changes the task or
-- anything the item shows, and a page is its ids joined to their items.
--
-- What an item shows, and what keeps it current:
--   the task's own columns        task_items_on_insert / task_items_on_update (row triggers)
--   the case's tovholder          cases_holder (0014) updates task.holder: the task trigger
--   the case's phase and workflow task_items_on_case
--   the citizen's name            task_items_on_citizen_name
--   department and staff names    task_items_on_department_name, task_items_on_staff_name
--   phase titles, outcome fields  rows of a deployed workflow version, which do not change
-- "overdue" depends on the moment of reading, so it is left out and added by the page.
--
-- Two transactions at once must not leave an item stale:
--   * A change to a task holds the task's row lock until it commits. A change to a case's
--     phase locks the case's open tasks FOR SHARE before writing their items again, so it
--     waits for a task change in flight and writes after it, from a snapshot that sees it.
--   * A rename could commit while a task that shows the old name is being written, and
--     miss it (the task is not yet visible to the rename). So whoever writes items takes a
--     shared advisory lock per name the items show, and a rename takes the same key
--     exclusively before it changes the row: it waits for the writers in flight, and new
--     writers wait for it, then read the new name. The keys are (28519, 0..255), a hash of
--     the kind and id, so a transaction that writes many items holds at most 256 of them.

CREATE TABLE task_item (
    task_id     bigint PRIMARY KEY,
    item        text NOT NULL,    -- its JSON object without "overdue" and the opening brace
    due_at      timestamptz,      -- for "overdue"
    citizen_id  bigint NOT NULL,  -- for the access log
    case_id     bigint NOT NULL
);
ALTER TABLE task_item SET (fillfactor = 90);

-- The open tasks' items as they are now (the columns of task_item). The opening brace is left
-- out, so that a page puts "overdue" in front without searching the text (substr counts
-- characters: a fifth of a page's time).
CREATE VIEW task_item_source AS
    SELECT t.id AS task_id,
           substr(json_build_object(
               'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'status', t.status,
               'department', t.department_id, 'department_name', d.name,
               'from_department', t.from_department, 'from_department_name', fd.name,
               'assignee', t.assignee, 'assignee_name', a.name,
               'due_at', t.due_at,
               'outcome_fields', CASE WHEN t.kind = 'task' THEN coalesce(wt.outcome_fields, '[]'::json)
                                      ELSE '[]'::json END,
               'case', json_build_object(
                   'id', c.id, 'phase', c.phase, 'phase_title', coalesce(wp.title, c.phase),
                   'workflow', c.workflow_name, 'tovholder', c.tovholder,
                   'tovholder_name', th.name),
               'citizen', json_build_object('id', ci.id, 'name', ci.display_name),
               'etag', '"' || t.revision::text || '"')::text, 2) AS item,
           t.due_at, ci.id AS citizen_id, c.id AS case_id
      FROM task t
      JOIN cases c ON c.id = t.case_id
      JOIN citizen ci ON ci.id = c.citizen_id
      LEFT JOIN department d ON d.id = t.department_id
      LEFT JOIN department fd ON fd.id = t.from_department
      LEFT JOIN staff a ON a.id = t.assignee
      LEFT JOIN staff th ON th.id = c.tovholder
      LEFT JOIN workflow_phase wp
        ON wp.workflow_name = c.workflow_name AND wp.workflow_version = c.workflow_version
       AND wp.name = c.phase
      LEFT JOIN workflow_task wt
        ON wt.workflow_name = c.workflow_name AND wt.workflow_version = c.workflow_version
       AND wt.key = t.key
     WHERE t.status IN ('open', 'claimed');

-- The advisory key of a name items show: KIND is citizen, department or staff.
CREATE FUNCTION task_item_key(kind text, id text) RETURNS integer LANGUAGE sql IMMUTABLE
AS $$ SELECT hashtext(kind || ':' || id) & 255 $$;

-- Writes the items of tasks IDS as they are now: kept while open or claimed, gone otherwise.
-- In UTC, as the API shows times, whoever changes what an item shows.
CREATE FUNCTION task_items_keep(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET search_path = overgang, pg_catalog SET TimeZone = 'UTC' AS $$
BEGIN
    IF cardinality(ids) IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- the names these items show may not be renamed until this transaction ends
    PERFORM pg_advisory_xact_lock_shared(28519, k.key)
       FROM (SELECT DISTINCT u.key
               FROM task t JOIN cases c ON c.id = t.case_id,
                    LATERAL (VALUES (task_item_key('citizen', c.citizen_id::text)),
                                    (task_item_key('department', t.department_id)),
                                    (task_item_key('department', t.from_department)),
                                    (task_item_key('staff', t.assignee)),
                                    (task_item_key('staff', c.tovholder))) AS u (key)
              WHERE t.id = ANY (ids) AND t.status IN ('open', 'claimed')
                AND u.key IS NOT NULL
              ORDER BY u.key) k;
    -- a new statement: sees every rename committed before the locks were granted
    INSERT INTO task_item AS ti (task_id, item, due_at, citizen_id, case_id)
    SELECT s.task_id, s.item, s.due_at, s.citizen_id, s.case_id
      FROM task_item_source s WHERE s.task_id = ANY (ids)
        ON CONFLICT (task_id) DO UPDATE
       SET item = EXCLUDED.item, due_at = EXCLUDED.due_at, citizen_id = EXCLUDED.citizen_id,
           case_id = EXCLUDED.case_id;
    DELETE FROM task_item ti
     WHERE ti.task_id = ANY (ids)
       AND NOT EXISTS (SELECT 1 FROM task t
                        WHERE t.id = ti.task_id AND t.status IN ('open', 'claimed'));
END $$;

CREATE FUNCTION task_items_on_task() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM task_item WHERE task_id = OLD.id;
        RETURN NULL;
    END IF;
    IF NEW.status IN ('open', 'claimed') THEN
        PERFORM task_items_keep(ARRAY[NEW.id]);
    ELSE
        DELETE FROM task_item WHERE task_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER task_items_on_insert AFTER INSERT ON task
    FOR EACH ROW WHEN (NEW.status IN ('open', 'claimed'))
    EXECUTE FUNCTION task_items_on_task();
CREATE TRIGGER task_items_on_update AFTER UPDATE ON task
    FOR EACH ROW
    WHEN ((OLD.status IN ('open', 'claimed') OR NEW.status IN ('open', 'claimed'))
          AND (OLD.kind, OLD.key, OLD.title, OLD.status, OLD.department_id,
               OLD.from_department, OLD.assignee, OLD.due_at, OLD.revision, OLD.holder,
               OLD.case_id)
              IS DISTINCT FROM
              (NEW.kind, NEW.key, NEW.title, NEW.status, NEW.department_id,
               NEW.from_department, NEW.assignee, NEW.due_at, NEW.revision, NEW.holder,
               NEW.case_id))
    EXECUTE FUNCTION task_items_on_task();
CREATE TRIGGER task_items_on_delete AFTER DELETE ON task
    FOR EACH ROW EXECUTE FUNCTION task_items_on_task();

-- A case's phase or workflow version changed: its open tasks' items, after any change to
-- them in flight (FOR SHARE waits for it).
CREATE FUNCTION task_items_on_case() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    ids bigint[];
BEGIN
    SELECT array_agg(x.id) INTO ids
      FROM (SELECT t.id FROM task t
             WHERE t.case_id = NEW.id AND t.status IN ('open', 'claimed')
             ORDER BY t.id FOR SHARE) x;
    PERFORM task_items_keep(ids);
    RETURN NULL;
END $$;
CREATE TRIGGER task_items_on_case AFTER UPDATE OF phase, workflow_name, workflow_version ON cases
    FOR EACH ROW
    WHEN ((OLD.phase, OLD.workflow_name, OLD.workflow_version)
          IS DISTINCT FROM (NEW.phase, NEW.workflow_name, NEW.workflow_version))
    EXECUTE FUNCTION task_items_on_case();

-- A rename: the exclusive key first (waits for the item writers in flight that show the old
-- name; holds off new ones), then, after the row changed, the items that show it.
CREATE FUNCTION task_items_rename_lock() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(28519, task_item_key(TG_ARGV[0], OLD.id::text));
    RETURN NEW;
END $$;

CREATE FUNCTION task_items_on_rename() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_ARGV[0] = 'citizen' THEN
        SELECT array_agg(ti.task_id ORDER BY ti.task_id) INTO ids
          FROM task_item ti WHERE ti.citizen_id = NEW.id::bigint;
    ELSIF TG_ARGV[0] = 'department' THEN
        SELECT array_agg(t.id ORDER BY t.id) INTO ids
          FROM task t
         WHERE (t.department_id = NEW.id::text OR t.from_department = NEW.id::text)
           AND t.status IN ('open', 'claimed');
    ELSE
        SELECT array_agg(DISTINCT t.id) INTO ids
          FROM task t
         WHERE (t.assignee = NEW.id::text OR t.holder = NEW.id::text)
           AND t.status IN ('open', 'claimed');
    END IF;
    PERFORM task_items_keep(ids);
    RETURN NULL;
END $$;

CREATE INDEX task_item_by_citizen ON task_item (citizen_id);

CREATE TRIGGER task_items_citizen_lock BEFORE UPDATE OF display_name ON citizen
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION task_items_rename_lock('citizen');
CREATE TRIGGER task_items_on_citizen_name AFTER UPDATE OF display_name ON citizen
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION task_items_on_rename('citizen');
CREATE TRIGGER task_items_department_lock BEFORE UPDATE OF name ON department
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION task_items_rename_lock('department');
CREATE TRIGGER task_items_on_department_name AFTER UPDATE OF name ON department
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION task_items_on_rename('department');
CREATE TRIGGER task_items_staff_lock BEFORE UPDATE OF name ON staff
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION task_items_rename_lock('staff');
CREATE TRIGGER task_items_on_staff_name AFTER UPDATE OF name ON staff
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION task_items_on_rename('staff');

SET LOCAL TimeZone = 'UTC';
INSERT INTO task_item (task_id, item, due_at, citizen_id, case_id)
SELECT task_id, item, due_at, citizen_id, case_id FROM task_item_source;

-- A page of tasks IDS (in that order) as lists show them: the items, and the cursor for
-- the next page when NEXT_KEY (the last item's sort key) is given; with the page's citizens
-- and cases for the access log. Text, as the answer is sent as it is: as json, PostgreSQL
-- would check the whole page's syntax once more.
DROP FUNCTION api_queue(jsonb);
DROP FUNCTION api_inbox(jsonb);
DROP FUNCTION api_task_list(bigint[], jsonb);
CREATE FUNCTION api_task_list(ids bigint[], next_key jsonb, OUT list text,
                              OUT citizen_ids bigint[], OUT case_ids bigint[])
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    SELECT '{"items" : [' || coalesce(string_agg(
               '{"overdue" : ' || CASE WHEN ti.due_at < now() THEN 'true' ELSE 'false' END
               || ', ' || ti.item, ', ' ORDER BY p.n), '')
           || '], "next_cursor" : '
           || coalesce(to_json(api_cursor_encode(next_key))::text, 'null') || '}',
           array_agg(ti.citizen_id), array_agg(ti.case_id)
      INTO list, citizen_ids, case_ids
      FROM unnest(ids) WITH ORDINALITY AS p (id, n)
      JOIN task_item ti ON ti.task_id = p.id;
END $$;

-- The queue and the inbox as in 0018, answering text.
CREATE FUNCTION api_queue(r jsonb) RETURNS text LANGUAGE plpgsql
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
    result text;
    citizen_ids bigint[];
    case_ids bigint[];
    ids bigint[];
    more boolean;
    last jsonb;
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
    SELECT (array_agg(m.id ORDER BY m.due, m.id))[1:lim], count(*) > lim,
           (array_agg(jsonb_build_array(m.due, m.id) ORDER BY m.due, m.id))[lim]
      INTO ids, more, last
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
                  LIMIT lim + 1)) m;
    SELECT * INTO result, citizen_ids, case_ids
      FROM api_task_list(ids, CASE WHEN more THEN last END);
    PERFORM api_access(r, citizen_ids, case_ids);
    RETURN result;
END $$;

CREATE FUNCTION api_inbox(r jsonb) RETURNS text LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_dep text := r->'params'->>'id';
    v_kind text := r->'query'->>'kind';
    v_status text := r->'query'->>'status';
    v_limit int := (r->>'limit')::int;
    v_k text[];
    v_claimed boolean;
    v_due timestamptz;
    v_id bigint;
    v_result text;
    v_citizens bigint[];
    v_cases bigint[];
    v_ids bigint[];
    v_more boolean;
    v_last jsonb;
BEGIN
    IF NOT api_work_member(api_staff(r), v_dep) THEN
        PERFORM api_fail(404, 'not-found',
            'There is no department with this id whose inbox you may see.');
    END IF;
    IF v_kind IS NOT NULL AND v_kind NOT IN ('task', 'handover') THEN
        PERFORM api_fail(400, 'bad-parameter', 'kind must be task or handover.',
                         jsonb_build_object('field', 'kind'));
    END IF;
    IF v_status IS NOT NULL AND v_status NOT IN ('open', 'claimed') THEN
        PERFORM api_fail(400, 'bad-parameter', 'status must be open or claimed.',
                         jsonb_build_object('field', 'status'));
    END IF;
    v_k := api_work_cursor(r, '{boolean,timestamptz,bigint}');
    v_claimed := coalesce(v_k[1]::boolean, false);
    v_due := coalesce(v_k[2]::timestamptz, '-infinity');
    v_id := coalesce(v_k[3]::bigint, 0);
    IF v_status = 'claimed' AND NOT v_claimed THEN
        -- the claimed ones come after every open one: start there
        v_claimed := true;
        v_due := '-infinity';
        v_id := 0;
    END IF;
    SELECT (array_agg(p.id ORDER BY p.claimed, p.due, p.id))[1:v_limit], count(*) > v_limit,
           (array_agg(jsonb_build_array(p.claimed, p.due, p.id)
                      ORDER BY p.claimed, p.due, p.id))[v_limit]
      INTO v_ids, v_more, v_last
      FROM (SELECT t.id, t.status = 'claimed' AS claimed, coalesce(t.due_at, 'infinity') AS due
              FROM task t
             WHERE t.department_id = v_dep AND t.status IN ('open', 'claimed')
               AND ((t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id)
                   > (v_claimed, v_due, v_id)
               AND (t.status = 'claimed') <= (v_status IS DISTINCT FROM 'open')
               AND (v_kind IS NULL OR t.kind = v_kind)
             ORDER BY (t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id
             LIMIT v_limit + 1) p;
    SELECT * INTO v_result, v_citizens, v_cases
      FROM api_task_list(v_ids, CASE WHEN v_more THEN v_last END);
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN v_result;
END $$;

-- Lists no longer build their items at read time.
DROP FUNCTION api_task_page(bigint[]);
DROP FUNCTION api_task_json(task, cases, citizen, text, text, text, text, text, json);
