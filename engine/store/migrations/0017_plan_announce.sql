-- The citizen's plan names among what may come next only the phases a workflow announces: a
-- phase declared with announce = false (one the case reaches only on the young person's own
-- "no thanks", say) is left out, as its text would read as a next step to someone for whom it
-- is not one. Otherwise api_plan_of is as in 0007_plan.

CREATE OR REPLACE FUNCTION api_plan_of(the_case bigint) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_case cases;
    v_citizen citizen;
    v_wf workflow;
    v_holder staff;
    v_dep department;
    v_phase jsonb;
    v_first text;
    v_tovholder jsonb;
    v_today date := api_plan_day(now());
BEGIN
    SELECT * INTO v_case FROM cases WHERE id = the_case;
    SELECT * INTO v_citizen FROM citizen WHERE id = v_case.citizen_id;
    SELECT * INTO v_wf FROM workflow
     WHERE name = v_case.workflow_name AND version = v_case.workflow_version;
    SELECT p INTO v_phase FROM jsonb_array_elements(v_wf.definition->'phases') AS p
     WHERE p->>'name' = v_case.phase;
    v_first := coalesce(nullif(split_part(btrim(v_citizen.display_name), ' ', 1), ''),
                        v_citizen.display_name);

    -- The tovholder, or their department when they are away (or none is chosen yet).
    IF v_case.tovholder IS NOT NULL THEN
        SELECT * INTO v_holder FROM staff WHERE id = v_case.tovholder;
    END IF;
    SELECT * INTO v_dep FROM department
     WHERE id = coalesce(v_case.tovholder_department,
                         (SELECT sd.department_id FROM staff_department sd
                           WHERE sd.staff_id = v_case.tovholder
                           ORDER BY sd.is_lead, sd.department_id LIMIT 1));
    IF v_holder.status = 'active' THEN
        v_tovholder := jsonb_build_object(
            'available', true, 'name', v_holder.name, 'email', v_holder.email,
            'department', CASE WHEN v_dep.id IS NOT NULL
                               THEN jsonb_build_object('id', v_dep.id, 'name', v_dep.name) END,
            'text', 'Din tovholder er ' || v_holder.name
                    || coalesce(' fra ' || v_dep.name, '') || '. Din tovholder er din faste '
                    || 'kontakt og holder styr på din sag. Du kan altid spørge, hvis der er '
                    || 'noget, du er i tvivl om.');
    ELSE
        v_tovholder := jsonb_build_object(
            'available', false, 'name', NULL, 'email', NULL,
            'department', CASE WHEN v_dep.id IS NOT NULL
                               THEN jsonb_build_object('id', v_dep.id, 'name', v_dep.name) END,
            'text', CASE
                WHEN v_holder.id IS NOT NULL AND v_dep.id IS NOT NULL THEN
                    'Din tovholder er ikke på arbejde lige nu. Kontakt ' || v_dep.name
                    || ' i stedet, så hjælper de dig. De sørger også for, at du får en '
                    || 'tovholder igen.'
                WHEN v_dep.id IS NOT NULL THEN
                    'Du har ikke fået en tovholder endnu. Kontakt ' || v_dep.name
                    || ', hvis du har spørgsmål.'
                ELSE
                    'Du har ikke fået en tovholder endnu. Du får besked, så snart vi ved, '
                    || 'hvem det bliver.'
                END);
    END IF;

    RETURN jsonb_build_object(
        'case', v_case.id,
        'status', v_case.status,
        'workflow', jsonb_build_object('name', v_wf.name, 'title', v_wf.title),
        'citizen', jsonb_build_object('id', v_citizen.id, 'name', v_citizen.display_name,
                                      'first_name', v_first),
        'greeting', 'Hej ' || v_first,
        'intro', CASE WHEN v_case.status = 'closed' THEN
                     'Her kan du se, hvad der er sket i din sag. Din sag er lukket nu.'
                 ELSE
                     'Her kan du se, hvad der sker i din sag lige nu, hvad der skal ske bagefter, '
                     || 'og hvem du kan kontakte. Du må gerne vise planen til din familie.'
                 END,
        'tovholder', v_tovholder,
        'now', jsonb_build_object('phase', v_case.phase, 'text', v_phase->>'text'),
        -- the phases the workflow may move to from here, in the workflow's order, but for
        -- those it does not announce (announce = false: reached only on the citizen's own
        -- "no thanks", say, whose text would confuse as a next step)
        'next', coalesce((SELECT jsonb_agg(jsonb_build_object('phase', p->>'name',
                                                              'text', p->>'text') ORDER BY i)
              FROM jsonb_array_elements(v_wf.definition->'phases') WITH ORDINALITY AS x (p, i)
             WHERE v_case.status <> 'closed'
               AND coalesce(v_phase->'next', '[]') ? (p->>'name')
               AND p->>'name' <> v_case.phase
               AND (p->'announce') IS DISTINCT FROM 'false'::jsonb), '[]'),
        'milestones', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'kind', s.kind,
                'department', CASE WHEN s.dep_id IS NOT NULL
                                   THEN jsonb_build_object('id', s.dep_id, 'name', s.dep_name) END,
                'due', s.day, 'due_text', api_plan_date(s.day), 'overdue', s.late,
                'text', api_plan_step_text(s.kind, s.dep_name, s.day, s.late))
                ORDER BY s.day NULLS LAST, s.kind, s.dep_id)
              FROM (SELECT DISTINCT t.kind, t.department_id AS dep_id, d.name AS dep_name,
                           api_plan_day(t.due_at) AS day, t.due_at < now() AS late
                      FROM task t JOIN department d ON d.id = t.department_id
                     WHERE t.case_id = v_case.id AND t.status IN ('open', 'claimed')
                       AND v_case.status <> 'closed'
                    UNION
                    SELECT DISTINCT 'timer', NULL, NULL, api_plan_day(e.due_at), false
                      FROM event e
                     WHERE e.case_id = v_case.id AND e.status = 'pending' AND v_case.status <> 'closed'
                       AND e.timer_key IS NOT NULL AND e.due_at > now()) s), '[]'),
        'goals', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'theme', g.theme, 'theme_text', api_plan_theme(g.theme), 'text', g.text)
                ORDER BY g.id)
              FROM goal g WHERE g.case_id = v_case.id), '[]'),
        'made_at', v_today,
        'made_at_text', api_plan_date(v_today));
END $$;
