-- The access log of people's reads, written many requests at a time. A read through the API
-- inserted its access-log row in its own transaction, whose commit then waited for the WAL
-- to reach the disk: at national scale, with 64 clients on the queue, the API's connections
-- spent over half their time waiting for that flush (pg_stat_activity: LWLock WALWrite and
-- IO WALSync), and the reads' throughput was bounded by it.
--
-- Now a request the daemon marks r.log = 'defer' (its GET routes) hands its rows back with
-- its answer, in the transaction-local setting overgang.access_rows (a JSON array), which
-- the route's statement returns beside the answer. The daemon writes the rows of every read
-- that arrived while the previous batch was being written with one call of
-- api_access_flush, one commit, and answers those reads when it has committed (engine/api/
-- access_log.h): a person still sees nothing that is not in the log, and a read whose rows
-- cannot be written is answered 503. Without the mark (writes, the command-line tool) the
-- rows are inserted at once, as before.

-- Writes access-log rows as api_access builds them (a JSON array), each at the time of its
-- read. Returns how many.
CREATE FUNCTION api_access_flush(rows jsonb) RETURNS integer LANGUAGE sql
SET search_path = overgang, pg_catalog AS $$
    WITH w AS (
        INSERT INTO access_log (at, actor, actor_kind, action, citizen_id, case_id,
                                citizen_ids, case_ids, reason, via)
        SELECT x.at, x.actor, 'staff', 'read', x.citizen_id, x.case_id, x.citizen_ids,
               x.case_ids, x.reason, x.via
          FROM jsonb_to_recordset(rows) AS x (at timestamptz, actor text, citizen_id bigint,
                                              case_id bigint, citizen_ids bigint[],
                                              case_ids bigint[], reason text, via text)
        RETURNING 1)
    SELECT count(*)::integer FROM w
$$;

-- The access-log row of a person's read of CITIZEN_IDS (with their CASE_IDS, same order; a
-- NULL case for a read of the citizen alone): each (citizen, case) once, in the order of the
-- page. Written at once, or with r.log = 'defer' handed back in overgang.access_rows.
CREATE OR REPLACE FUNCTION api_access(r jsonb, citizen_ids bigint[], case_ids bigint[],
                                      task_id bigint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    ci bigint[];
    ca bigint[];
    entry jsonb;
BEGIN
    SELECT array_agg(d.ci ORDER BY d.n), array_agg(d.ca ORDER BY d.n) INTO ci, ca
      FROM (SELECT DISTINCT ON (u.ci, u.ca) u.ci, u.ca, u.n
              FROM unnest(citizen_ids, case_ids) WITH ORDINALITY AS u (ci, ca, n)
             WHERE u.ci IS NOT NULL
             ORDER BY u.ci, u.ca, u.n) d;
    IF ci IS NULL THEN
        RETURN;
    END IF;
    entry := jsonb_build_object('at', now(), 'actor', r->'actor'->>'staff',
                                'reason', api_purpose(r, task_id), 'via', 'api ' || (r->>'route'))
             || CASE WHEN cardinality(ci) = 1
                     THEN jsonb_build_object('citizen_id', ci[1], 'case_id', ca[1])
                     ELSE jsonb_build_object('citizen_ids', ci, 'case_ids', ca) END;
    IF r->>'log' = 'defer' THEN
        PERFORM set_config('overgang.access_rows',
            (coalesce(nullif(current_setting('overgang.access_rows', true), ''), '[]')::jsonb
             || jsonb_build_array(entry))::text, true);
    ELSE
        PERFORM api_access_flush(jsonb_build_array(entry));
    END IF;
END $$;

-- The GIN index that finds a citizen's entries in list reads takes new entries into a
-- pending list, and the insert that finds the list over gin_pending_list_limit (4 MB by
-- default) merges it into the index itself: at national scale a read's access-log insert
-- took 0.5-1 s every few seconds that way (pg_stat_activity: the flush statement active for
-- a second, reading and writing index pages), holding up every read in its batch. With room
-- for 256 MB, autovacuum (which visits access_log every 20,000 rows, 0014) merges the list
-- in the background instead; a search by citizen reads the entries still pending, too.
ALTER INDEX access_log_by_citizens SET (gin_pending_list_limit = 262144);
