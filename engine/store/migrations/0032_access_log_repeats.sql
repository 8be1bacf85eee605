-- A list page shown again as kept (0031) is the same page, with the same citizens and
-- cases, read by the same person for the same purpose through the same route. Its
-- access-log row names the row of the read that found the page (same_as) instead of
-- listing the page's citizens again: one row per read still, with its own time, but
-- without 50 entries for the by-citizen GIN index each. At national scale that index's
-- merges took a share of the machine that set the kept pages' p99 (0031, access_log_tidy).
-- Searched by citizen, a repeat shows as the entries of the row it names, at its own time;
-- searched by staff member, as its own rows.

ALTER TABLE access_log ADD COLUMN same_as bigint;
ALTER TABLE access_log ADD CONSTRAINT access_log_repeat_names_no_one
    CHECK (same_as IS NULL OR (citizen_id IS NULL AND case_id IS NULL
                               AND citizen_ids IS NULL AND case_ids IS NULL));
CREATE INDEX access_log_repeats ON access_log (same_as) WHERE same_as IS NOT NULL;

-- One entry per citizen read, as before, with a repeat's entries those of the row it names.
CREATE OR REPLACE VIEW access_entries AS
    SELECT l.id, l.at, l.actor, l.actor_kind, l.action, l.citizen_id, l.case_id, l.reason,
           l.via
      FROM access_log l
     WHERE l.citizen_ids IS NULL AND l.same_as IS NULL
    UNION ALL
    SELECT l.id, l.at, l.actor, l.actor_kind, l.action, u.ci, u.ca, l.reason, l.via
      FROM access_log l, unnest(l.citizen_ids, l.case_ids) AS u (ci, ca)
     WHERE l.citizen_ids IS NOT NULL
    UNION ALL
    SELECT l.id, l.at, l.actor, l.actor_kind, l.action, coalesce(u.ci, o.citizen_id),
           coalesce(u.ca, o.case_id), l.reason, l.via
      FROM access_log l
      JOIN access_log o ON o.id = l.same_as
      LEFT JOIN LATERAL unnest(o.citizen_ids, o.case_ids) AS u (ci, ca) ON true
     WHERE l.same_as IS NOT NULL;

-- Writes access-log rows as api_access builds them, or repeats ({at, actor, reason, via,
-- same_as}); returns their ids in the order given, so that the daemon knows which row a
-- kept page's repeats name (the ids are taken as the rows are inserted, in that order).
DROP FUNCTION api_access_flush(jsonb);
CREATE FUNCTION api_access_flush(rows jsonb) RETURNS bigint[] LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
#variable_conflict use_column
DECLARE
    ids bigint[];
BEGIN
    WITH w AS (
        INSERT INTO access_log (at, actor, actor_kind, action, citizen_id, case_id,
                                citizen_ids, case_ids, reason, via, same_as)
        SELECT x.at, x.actor, 'staff', 'read', x.citizen_id, x.case_id, x.citizen_ids,
               x.case_ids, x.reason, x.via, x.same_as
          FROM jsonb_to_recordset(rows) AS x (at timestamptz, actor text, citizen_id bigint,
                                              case_id bigint, citizen_ids bigint[],
                                              case_ids bigint[], reason text, via text,
                                              same_as bigint)
        RETURNING id)
    SELECT array_agg(w.id ORDER BY w.id) INTO ids FROM w;
    RETURN ids;
END $$;

-- The access log searched by citizen or by staff member as in 0014, with repeats.
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
              FROM ((SELECT a.id, a.at, a.actor, a.actor_kind, a.action, a.reason, a.via,
                            a.citizen_id, a.case_id, a.citizen_ids, a.case_ids
                       FROM access_log a
                      WHERE a.same_as IS NULL
                        AND (who IS NULL OR a.citizen_id = who OR a.citizen_ids @> ARRAY[who])
                        AND (f_staff IS NULL OR a.actor = f_staff)
                        AND (k IS NULL OR (a.at, a.id) <= (k_at, k_id)))
                    UNION ALL
                    (SELECT a.id, a.at, a.actor, a.actor_kind, a.action, a.reason, a.via,
                            o.citizen_id, o.case_id, o.citizen_ids, o.case_ids
                       FROM access_log a
                       JOIN access_log o ON o.id = a.same_as
                      WHERE a.same_as IS NOT NULL
                        AND (who IS NULL OR o.citizen_id = who OR o.citizen_ids @> ARRAY[who])
                        AND (f_staff IS NULL OR a.actor = f_staff)
                        AND (k IS NULL OR (a.at, a.id) <= (k_at, k_id)))) l
              LEFT JOIN LATERAL unnest(l.citizen_ids, l.case_ids) WITH ORDINALITY
                        AS u (ci, ca, n) ON true
             WHERE (who IS NULL OR coalesce(u.ci, l.citizen_id) = who)
               AND (k IS NULL OR (l.at, l.id, coalesce(u.n, 0)) < (k_at, k_id, k_n))
             ORDER BY l.at DESC, l.id DESC, coalesce(u.n, 0) DESC
             LIMIT (r->>'limit')::int + 1) e;
    RETURN api_page(r, items);
END $$;
