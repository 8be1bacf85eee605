-- The staff directory for everyone who works on cases: a tovholder or a caseworker sees the
-- active colleagues of their own departments, so that they can hand a case's tovholder role to
-- one of them (the web task list's Sagen); a lead and an administrator see what they did.

CREATE OR REPLACE FUNCTION api_staff_list(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    me text := api_staff(r);
    my_role text := api_role(r);
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
               AND (my_role = 'administrator'
                    OR (my_role = 'lead' AND api_leads(me, staff.id))
                    OR (my_role IN ('tovholder', 'worker') AND staff.status = 'active'
                        AND EXISTS (SELECT 1 FROM staff_department mine
                                      JOIN staff_department theirs
                                        ON theirs.department_id = mine.department_id
                                     WHERE mine.staff_id = me AND theirs.staff_id = staff.id)))
             ORDER BY staff.id LIMIT (r->>'limit')::int + 1) s;
    RETURN api_page(r, items);
END $$;
