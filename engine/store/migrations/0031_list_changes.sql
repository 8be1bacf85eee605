-- Queues and inboxes: a page the daemon has shown is shown again without being found again,
-- while nothing on its list has changed since. Every write that can change what a list
-- shows leaves a row in list_change naming the list ('q:' || staff id for a tovholder's
-- queue, 'd:' || department id for a department's inbox) and its transaction's id. A page
-- carries the snapshot it was found in (pg_current_snapshot(), taken before its scan); a
-- row of its list whose transaction that snapshot does not see was committed since, so the
-- page may be out of date and is found again (api_list_check, for many kept pages in one
-- statement; engine/api/list_pages.h). A page whose list has no such row is as the list is
-- now: the check runs after the request arrived, so a change committed before it is seen.
--
-- The rows are only inserted, by whoever writes: no row is updated, so no writer waits for
-- another (a counter per list would be one row that every step of a department's cases
-- locks until its commit). list_change_prune deletes rows older than a horizon that moves
-- at most every 50 seconds, to where the oldest running transaction was when it last
-- moved; a page found before the horizon (its snapshot's xmin below it) counts as changed,
-- as the rows that would tell are gone.
--
-- What an entry shows comes from its task's row (every insert, update and delete of an open
-- task names the lists it was and is on), its case's phase, workflow and tovholder (a new
-- phase names the lists of the case's open tasks; a new tovholder reaches the tasks'
-- holder column, 0014, and so their rows), and names (list_names, 0027, checked beside).
-- An inbox is shown only to the department's members: a change of membership names the
-- department's inbox too.

CREATE TABLE list_change (
    list text NOT NULL,
    xid  xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX list_change_by_list ON list_change (list, xid);

-- Rows below HORIZON are deleted; NEXT becomes the horizon at the next prune, so a page
-- keeps for at least the time between two prunes.
CREATE TABLE list_change_horizon (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    horizon  xid8 NOT NULL,
    next     xid8 NOT NULL,
    moved_at timestamptz NOT NULL
);
INSERT INTO list_change_horizon (horizon, next, moved_at)
VALUES ('0', pg_snapshot_xmin(pg_current_snapshot()), now());

-- The lists a task is on while it is open (or claimed): its assignee's and its case's
-- tovholder's queue, and its department's inbox.
CREATE FUNCTION task_lists(assignee text, holder text, department_id text, status text)
RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
    SELECT v.list
      FROM (VALUES ('q:' || assignee), ('q:' || holder), ('d:' || department_id)) AS v (list)
     WHERE status IN ('open', 'claimed') AND v.list IS NOT NULL
$$;

-- The lists the task rows a statement wrote were and are on.
CREATE FUNCTION task_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO overgang.list_change (list)
        SELECT DISTINCT l
          FROM new_rows t, overgang.task_lists(t.assignee, t.holder, t.department_id, t.status) l;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO overgang.list_change (list)
        SELECT DISTINCT l
          FROM (SELECT o.assignee, o.holder, o.department_id, o.status FROM old_rows o
                UNION ALL
                SELECT n.assignee, n.holder, n.department_id, n.status FROM new_rows n) t,
               overgang.task_lists(t.assignee, t.holder, t.department_id, t.status) l;
    ELSE
        INSERT INTO overgang.list_change (list)
        SELECT DISTINCT l
          FROM old_rows t, overgang.task_lists(t.assignee, t.holder, t.department_id, t.status) l;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER task_lists_inserted AFTER INSERT ON task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_lists_changed();
CREATE TRIGGER task_lists_updated AFTER UPDATE ON task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_lists_changed();
CREATE TRIGGER task_lists_deleted AFTER DELETE ON task
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_lists_changed();

-- A case's new phase (or workflow version, on migration) shows on its open tasks' entries.
-- The tasks are locked (FOR SHARE) to read the lists they are on: a claim or assignment
-- (which locks only the task) committed meanwhile is waited for and read, and one after
-- waits for this transaction; otherwise the new assignee's queue could keep the old phase.
-- Case first, then its tasks, as the engine's steps and the tovholder's handing on lock.
CREATE FUNCTION case_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO overgang.list_change (list)
    SELECT DISTINCT l
      FROM (SELECT t.assignee, t.holder, t.department_id, t.status FROM overgang.task t
             WHERE t.case_id = NEW.id AND t.status IN ('open', 'claimed')
               FOR SHARE) t,
           overgang.task_lists(t.assignee, t.holder, t.department_id, t.status) l;
    RETURN NULL;
END $$;
CREATE TRIGGER case_lists AFTER UPDATE OF phase, workflow_name, workflow_version ON cases
    FOR EACH ROW
    WHEN (OLD.phase IS DISTINCT FROM NEW.phase
          OR OLD.workflow_name IS DISTINCT FROM NEW.workflow_name
          OR OLD.workflow_version IS DISTINCT FROM NEW.workflow_version)
    EXECUTE FUNCTION case_lists_changed();

-- Who may see a department's inbox.
CREATE FUNCTION membership_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO overgang.list_change (list) VALUES ('d:' || OLD.department_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO overgang.list_change (list) VALUES ('d:' || NEW.department_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER membership_lists AFTER INSERT OR UPDATE OR DELETE ON staff_department
    FOR EACH ROW EXECUTE FUNCTION membership_lists_changed();

-- Moves the horizon (when it last moved at least MIN_AGE ago), then deletes up to AT_MOST
-- rows below it: a row below the horizon tells no check anything, so they may go a batch at
-- a time, in transactions of their own. Returns how many were deleted (AT_MOST: call again).
CREATE FUNCTION list_change_prune(min_age interval, at_most integer) RETURNS bigint
LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    h xid8;
    n bigint;
BEGIN
    UPDATE list_change_horizon
       SET horizon = greatest(horizon, next),
           next = greatest(next, pg_snapshot_xmin(pg_current_snapshot())),
           moved_at = now()
     WHERE moved_at <= now() - min_age;
    SELECT l.horizon INTO h FROM list_change_horizon l;
    DELETE FROM list_change
     WHERE ctid = ANY (ARRAY(SELECT c.ctid FROM list_change c WHERE c.xid < h LIMIT at_most));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Which of the kept pages of LISTS, found in SNAPSHOTS (the same order), may have changed:
-- their positions from 0; with the names' version, the clock (in µs since 1970, and as the
-- access log writes it) and the server's start, which the daemon compares too.
CREATE FUNCTION api_list_check(lists text[], snapshots text[]) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    h xid8 := (SELECT l.horizon FROM overgang.list_change_horizon l);
BEGIN
    RETURN json_build_object(
        'names', (SELECT n.epoch FROM overgang.list_names n),
        'now', (extract(epoch FROM now()) * 1000000)::bigint,
        'at', now(),
        'server', (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint,
        'changed', (SELECT coalesce(json_agg(p.n - 1 ORDER BY p.n), '[]')
                      FROM unnest(lists, snapshots::pg_snapshot[]) WITH ORDINALITY
                           AS p (list, snap, n)
                     WHERE pg_snapshot_xmin(p.snap) < h
                        OR EXISTS (SELECT 1 FROM overgang.list_change c
                                    WHERE c.list = p.list
                                      AND c.xid >= pg_snapshot_xmin(p.snap)
                                      AND NOT pg_visible_in_snapshot(c.xid, p.snap))));
END $$;

-- The keys of a page as api_task_keys (0029) gives them, with the list they are of and the
-- snapshot its tasks were found in.
CREATE FUNCTION api_task_keys(ids bigint[], versions text[], cases bigint[], next_key jsonb,
                              list text, snapshot text,
                              OUT keys json, OUT citizen_ids bigint[], OUT case_ids bigint[])
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT json_build_object(
               'keys', coalesce(json_agg(json_build_array(p.id, p.version || '.' || c.xmin::text)
                                         ORDER BY p.n), '[]'),
               'names', (SELECT n.epoch FROM overgang.list_names n),
               'now', (extract(epoch FROM now()) * 1000000)::bigint,
               'server', (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint,
               'next_cursor', overgang.api_cursor_encode(next_key),
               'list', list, 'snapshot', snapshot),
           array_agg(c.citizen_id ORDER BY p.n), array_agg(c.id ORDER BY p.n)
      INTO keys, citizen_ids, case_ids
      FROM unnest(ids, versions, cases) WITH ORDINALITY AS p (id, version, case_id, n)
      JOIN overgang.cases c ON c.id = p.case_id;
END $$;

-- The queue and the inbox as in 0029, with their list and snapshot in the keys.
CREATE OR REPLACE FUNCTION api_queue(r jsonb) RETURNS json LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    snap text := pg_current_snapshot()::text; -- before the scan: see the head of this file
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
    ids bigint[];
    versions text[];
    cases bigint[];
    dues timestamptz[];
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
    -- the page and one more (is there a next page?), from both indexes merged in order
    SELECT array_agg(m.id ORDER BY m.due, m.id), array_agg(m.version ORDER BY m.due, m.id),
           array_agg(m.case_id ORDER BY m.due, m.id), array_agg(m.due ORDER BY m.due, m.id)
      INTO ids, versions, cases, dues
      FROM ((SELECT t.id, coalesce(t.due_at, 'infinity') AS due, t.xmin::text AS version,
                    t.case_id
               FROM task t
              WHERE t.assignee = me AND t.status IN ('open', 'claimed')
                AND (coalesce(t.due_at, 'infinity'), t.id) > (k_due, k_id)
                AND (f_case IS NULL OR t.case_id = f_case::bigint)
                AND (f_dep IS NULL OR t.department_id = f_dep)
                AND (f_status IS NULL OR t.status = f_status)
              ORDER BY coalesce(t.due_at, 'infinity'), t.id
              LIMIT lim + 1)
            UNION ALL
            (SELECT t.id, coalesce(t.due_at, 'infinity'), t.xmin::text, t.case_id
               FROM task t
              WHERE t.holder = me AND t.status IN ('open', 'claimed')
                AND t.assignee IS DISTINCT FROM me
                AND (coalesce(t.due_at, 'infinity'), t.id) > (k_due, k_id)
                AND (f_case IS NULL OR t.case_id = f_case::bigint)
                AND (f_dep IS NULL OR t.department_id = f_dep)
                AND (f_status IS NULL OR t.status = f_status)
              ORDER BY coalesce(t.due_at, 'infinity'), t.id
              LIMIT lim + 1)
            ORDER BY 2, 1
            LIMIT lim + 1) m;
    SELECT * INTO result, citizen_ids, case_ids
      FROM api_task_keys(ids[1:lim], versions[1:lim], cases[1:lim],
                         CASE WHEN cardinality(ids) > lim
                              THEN jsonb_build_array(dues[lim], ids[lim]) END,
                         'q:' || me, snap);
    PERFORM api_access(r, citizen_ids, case_ids);
    RETURN result;
END $$;

CREATE OR REPLACE FUNCTION api_inbox(r jsonb) RETURNS json LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_snap text := pg_current_snapshot()::text; -- before the membership check and the scan
    v_dep text := r->'params'->>'id';
    v_kind text := r->'query'->>'kind';
    v_status text := r->'query'->>'status';
    v_limit int := (r->>'limit')::int;
    v_k text[];
    v_claimed boolean;
    v_due timestamptz;
    v_id bigint;
    v_result json;
    v_citizens bigint[];
    v_cases bigint[];
    v_ids bigint[];
    v_versions text[];
    v_task_cases bigint[];
    v_claimeds boolean[];
    v_dues timestamptz[];
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
    SELECT array_agg(p.id ORDER BY p.claimed, p.due, p.id),
           array_agg(p.version ORDER BY p.claimed, p.due, p.id),
           array_agg(p.case_id ORDER BY p.claimed, p.due, p.id),
           array_agg(p.claimed ORDER BY p.claimed, p.due, p.id),
           array_agg(p.due ORDER BY p.claimed, p.due, p.id)
      INTO v_ids, v_versions, v_task_cases, v_claimeds, v_dues
      FROM (SELECT t.id, t.status = 'claimed' AS claimed, coalesce(t.due_at, 'infinity') AS due,
                   t.xmin::text AS version, t.case_id
              FROM task t
             WHERE t.department_id = v_dep AND t.status IN ('open', 'claimed')
               AND ((t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id)
                   > (v_claimed, v_due, v_id)
               AND (t.status = 'claimed') <= (v_status IS DISTINCT FROM 'open')
               AND (v_kind IS NULL OR t.kind = v_kind)
             ORDER BY (t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id
             LIMIT v_limit + 1) p;
    SELECT * INTO v_result, v_citizens, v_cases
      FROM api_task_keys(v_ids[1:v_limit], v_versions[1:v_limit], v_task_cases[1:v_limit],
                         CASE WHEN cardinality(v_ids) > v_limit
                              THEN jsonb_build_array(v_claimeds[v_limit], v_dues[v_limit],
                                                     v_ids[v_limit]) END,
                         'd:' || v_dep, v_snap);
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN v_result;
END $$;

DROP FUNCTION api_task_keys(bigint[], text[], bigint[], jsonb);

-- The access log's GIN index by citizen (0014, 0026) takes new entries into its pending
-- list, merged into the index by autovacuum, or else by the insert that finds the list
-- over 256 MB. With queue pages kept whole, the API writes some 7,500 list reads a second
-- at national scale (an entry for each of 50 citizens each): the list fills in about half
-- a minute, faster than autovacuum (throttled, over the whole table) merges it, and the
-- insert that found it full took 4.6 s, holding up every read in its batch. The daemon now
-- merges it every [api] access_log_merge reads (40,000; a page's repeated reads add no
-- entries since 0032), on a
-- connection beside the access-log writers (engine/api/access_log.c). The merge gathers
-- the entries of each citizen in memory before it writes them, up to work_mem: with 256 MB
-- rather than the default 4 MB it goes much further a pass (at national scale, every
-- 40,000 reads with 256 MB: queue 6,944 and inbox 6,778 pages a second; every 2,000 with
-- 4 MB: 4,850 and 3,507). Owned by the schema's owner, as only an index's owner may merge
-- its list. Returns the pending pages merged.
CREATE FUNCTION access_log_tidy() RETURNS bigint LANGUAGE sql
SECURITY DEFINER
SET search_path = overgang, pg_catalog
SET work_mem = '256MB' AS $$
    SELECT gin_clean_pending_list('overgang.access_log_by_citizens'::regclass)
$$;
