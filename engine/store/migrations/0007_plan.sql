-- The citizen's plan: the API's plan of a case in plain Danish, as JSON and as a printable
-- HTML page (functions api_* called by engine/api/routes_plan.c).
--
-- The plan is written to the young person and their family: who their tovholder is and how
-- to reach them (the department when the tovholder is away), what happens now (the current
-- phase's text from the workflow, which cites the paragraph), what happens next (the texts of
-- the phases the workflow may move to from here) and by when, and their goals in their own
-- words. The dates come from open tasks, handovers and timers, but never their titles: those
-- are written for staff and may say things a young person should hear from a person, not
-- read on paper. Each date is told by what kind of step it is and which department takes it.
-- The HTML page is made from the JSON plan, so the two always say the same.

-- Text made safe to put in HTML, between tags or in a quoted attribute: & < > " ' as
-- references, and control characters (other than tab and line breaks) dropped, since HTML
-- does not allow them. NULL stays NULL.
CREATE FUNCTION api_html_escape(t text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT replace(replace(replace(replace(replace(
               regexp_replace(t, '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]', '', 'g'),
               '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;

-- A date as Danes write it in a letter: "1. marts 2028".
CREATE FUNCTION api_plan_date(d date) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT extract(day FROM d)::int::text || '. '
        || (ARRAY['januar', 'februar', 'marts', 'april', 'maj', 'juni', 'juli', 'august',
                  'september', 'oktober', 'november', 'december'])[extract(month FROM d)::int]
        || ' ' || extract(year FROM d)::int::text
$$;

-- The day a moment falls on for the citizen: Danish time, whatever the session's zone.
CREATE FUNCTION api_plan_day(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE
AS $$ SELECT (t AT TIME ZONE 'Europe/Copenhagen')::date $$;

-- A goal's theme as the citizen reads it: the six themes of Barnets Lov § 123 by their
-- names; any other theme as it is written, with spaces for dashes.
CREATE FUNCTION api_plan_theme(theme text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE theme
        WHEN 'stoettebehov' THEN 'Støtte'
        WHEN 'uddannelse' THEN 'Uddannelse'
        WHEN 'beskaeftigelse' THEN 'Job og penge'
        WHEN 'bolig' THEN 'Bolig'
        WHEN 'sociale-forhold' THEN 'Dit liv med andre'
        WHEN 'andet' THEN 'Andet'
        ELSE upper(left(replace(theme, '-', ' '), 1)) || substr(replace(theme, '-', ' '), 2)
    END
$$;

-- One dated step as the citizen reads it. KIND: task, handover or timer; DEP the department
-- that takes it; DAY its date; LATE whether it has passed while still open.
CREATE FUNCTION api_plan_step_text(kind text, dep text, day date, late boolean) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT CASE
        WHEN kind = 'handover' AND late THEN
            coalesce(dep, 'Den nye afdeling') || ' skulle have svaret senest ' || api_plan_date(day)
            || ' på, om de vil tage din sag over. Vi venter stadig på svaret.'
        WHEN kind = 'handover' THEN
            coalesce(dep, 'Den nye afdeling') || ' skal senest ' || api_plan_date(day)
            || ' svare på, om de vil tage din sag over.'
        WHEN kind = 'task' AND day IS NULL THEN
            coalesce(dep, 'Kommunen') || ' arbejder med din sag.'
        WHEN kind = 'task' AND late THEN
            coalesce(dep, 'Kommunen') || ' arbejder med din sag. Det skulle have været klar '
            || api_plan_date(day) || ', så det er forsinket.'
        WHEN kind = 'task' THEN
            coalesce(dep, 'Kommunen') || ' arbejder med din sag. Det skal være klar senest '
            || api_plan_date(day) || '.'
        ELSE 'Vi kigger på din sag igen den ' || api_plan_date(day) || '.'
    END
$$;

-- The plan of case THE_CASE (the caller has checked that the person may see it).
CREATE FUNCTION api_plan_of(the_case bigint) RETURNS jsonb LANGUAGE plpgsql STABLE
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
        -- the phases the workflow may move to from here, in the workflow's order
        'next', coalesce((SELECT jsonb_agg(jsonb_build_object('phase', p->>'name',
                                                              'text', p->>'text') ORDER BY i)
              FROM jsonb_array_elements(v_wf.definition->'phases') WITH ORDINALITY AS x (p, i)
             WHERE v_case.status <> 'closed'
               AND coalesce(v_phase->'next', '[]') ? (p->>'name')
               AND p->>'name' <> v_case.phase), '[]'),
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

-- A list of texts as <li> elements, one a line; NULL when there are none.
CREATE FUNCTION api_plan_html_items(items jsonb, member text) RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT string_agg('<li>' || api_html_escape(x.v->>member) || '</li>', E'\n' ORDER BY x.i)
      FROM jsonb_array_elements(items) WITH ORDINALITY AS x (v, i)
$$;

-- The plan P (as api_plan_of makes it) as an HTML5 page that reads without its styles and
-- prints on paper: headings, paragraphs and lists, every value escaped, no scripts and
-- nothing loaded from elsewhere.
CREATE FUNCTION api_plan_html_page(p jsonb) RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT concat_ws(E'\n',
        '<!DOCTYPE html>',
        '<html lang="da">',
        '<head>',
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>Din plan – ' || api_html_escape(p->'citizen'->>'name') || '</title>',
        '<style>body { font-family: sans-serif; line-height: 1.5; max-width: 42em; '
            || 'margin: 2em auto; padding: 0 1em; } '
            || '@media print { body { margin: 0; max-width: none; } a { color: inherit; } }</style>',
        '</head>',
        '<body>',
        '<header>',
        '<h1>Din plan</h1>',
        '<p>' || api_html_escape(p->'workflow'->>'title') || '</p>',
        '</header>',
        '<main>',
        '<p>' || api_html_escape(p->>'greeting') || '</p>',
        '<p>' || api_html_escape(p->>'intro') || '</p>',
        '<section>',
        '<h2>Din tovholder</h2>',
        '<p>' || api_html_escape(p->'tovholder'->>'text') || '</p>',
        CASE WHEN p->'tovholder'->>'email' IS NOT NULL THEN
            '<p>Du kan skrive til din tovholder på <a href="mailto:'
            || api_html_escape(p->'tovholder'->>'email') || '">'
            || api_html_escape(p->'tovholder'->>'email') || '</a>.</p>' END,
        '</section>',
        '<section>',
        '<h2>Det sker nu</h2>',
        '<p>' || api_html_escape(p->'now'->>'text') || '</p>',
        '</section>',
        CASE WHEN p->>'status' <> 'closed' THEN concat_ws(E'\n',
            '<section>',
            '<h2>Det sker bagefter</h2>',
            CASE jsonb_array_length(p->'next')
                WHEN 0 THEN '<p>Der kommer ikke flere skridt i din plan efter det, der sker nu.</p>'
                WHEN 1 THEN '<p>' || api_html_escape(p->'next'->0->>'text') || '</p>'
                ELSE '<p>Hvad der sker bagefter, afhænger af, hvordan det går. Det kan være:</p>'
                     || E'\n<ul>\n' || api_plan_html_items(p->'next', 'text') || E'\n</ul>'
            END,
            '<h3>Vigtige datoer</h3>',
            CASE WHEN jsonb_array_length(p->'milestones') = 0
                 THEN '<p>Der er ingen datoer i din plan lige nu.</p>'
                 ELSE E'<ul>\n' || api_plan_html_items(p->'milestones', 'text') || E'\n</ul>' END,
            '</section>') END,
        '<section>',
        '<h2>Dine mål</h2>',
        CASE WHEN jsonb_array_length(p->'goals') = 0
             THEN '<p>Du har ikke fortalt os om dine mål endnu. Fortæl din tovholder, hvad du '
                  || 'gerne vil, så skriver vi det her med dine egne ord.</p>'
             ELSE E'<ul>\n' || (SELECT string_agg('<li>'
                     || coalesce('<strong>' || api_html_escape(g.v->>'theme_text') || ':</strong> ', '')
                     || api_html_escape(g.v->>'text') || '</li>', E'\n' ORDER BY g.i)
                   FROM jsonb_array_elements(p->'goals') WITH ORDINALITY AS g (v, i)) || E'\n</ul>'
        END,
        '</section>',
        '</main>',
        '<footer>',
        '<p>Planen er lavet ' || api_html_escape(p->>'made_at_text') || '. Den kan ændre sig, '
            || 'når der sker noget nyt i din sag. Sagsnummer: ' || (p->>'case') || '.</p>',
        '</footer>',
        '</body>',
        '</html>')
$$;

-- GET /v1/cases/{id}/plan: the plan as JSON, for anyone who may see the case; a read of the
-- citizen's data, so written to the access log.
CREATE FUNCTION api_plan(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_case cases := api_visible_case(r);
BEGIN
    PERFORM api_access(r, ARRAY[v_case.citizen_id], ARRAY[v_case.id]);
    RETURN api_plan_of(v_case.id);
END $$;

-- GET /v1/cases/{id}/plan.html: the same plan as a printable page (a JSON string, which the
-- daemon sends as text/html).
CREATE FUNCTION api_plan_html(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_case cases := api_visible_case(r);
BEGIN
    PERFORM api_access(r, ARRAY[v_case.citizen_id], ARRAY[v_case.id]);
    RETURN to_jsonb(api_plan_html_page(api_plan_of(v_case.id)));
END $$;
