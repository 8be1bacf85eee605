-- scripts/bench api: a municipality's (or the country's) worth of people, cases and tasks,
-- inserted set-based straight into the tables (not through the engine).
--
--   :departments  departments dep-001...; staff sNNNNN are spread over them round-robin, the
--                 first two of each department lead it, every tenth also works in a second
--   :staff        staff members; the non-leads hold the cases as tovholdere
--   :citizens     citizens (with their CPR rows)
--   :active       active cases, each with a tovholder (a non-lead) in the tovholder's department
--   :closed       closed cases, each with 3 done tasks
--   :tasks        tasks and handovers in all, of which :open_pct % are open (open or claimed);
--                 the rest are done or accepted
--   (and per case two goals, baselines and follow-ups: see the end)
--
-- Open work: 10% handovers from the tovholder's department to another; of the tasks, 65% in
-- the tovholder's own department (half of those assigned to the tovholder) and the rest in
-- other departments, skewed so that a few departments have large inboxes; 30% claimed by a
-- member; due dates from 15 days ago to 45 days ahead (a quarter overdue, already notified),
-- 5% without one. random() is seeded, so every run builds the same data.
--
-- Foreign keys and triggers are off while loading (session_replication_role = replica): the
-- rows are consistent by construction, and checking 2,000,000 tasks row by row would take
-- most of the seeding time. The indexes are the migrations' own.
\set ON_ERROR_STOP on
SET search_path = overgang, pg_catalog;
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';
SELECT setseed(0.42);

INSERT INTO department (id, name)
SELECT 'dep-' || lpad(d::text, 3, '0'), 'Afdeling ' || d
  FROM generate_series(1, :departments) d;

INSERT INTO staff (id, name, email)
SELECT 's' || lpad(g::text, 5, '0'), 'Medarbejder ' || g, 's' || g || '@kommune.example'
  FROM generate_series(1, :staff) g;

INSERT INTO staff_department (staff_id, department_id, is_lead)
SELECT 's' || lpad(g::text, 5, '0'), 'dep-' || lpad((1 + (g - 1) % :departments)::text, 3, '0'),
       (g - 1) / :departments < 2
  FROM generate_series(1, :staff) g
UNION ALL
SELECT 's' || lpad(g::text, 5, '0'),
       'dep-' || lpad((1 + (g - 1 + 1 + :departments / 3) % :departments)::text, 3, '0'), false
  FROM generate_series(1, :staff) g
 WHERE g % 10 = 0 AND :departments > 1;
UPDATE directory_version SET version = version + 1;

INSERT INTO citizen (id, display_name, birth_date, attributes, created_at, updated_at)
SELECT g, 'Borger ' || g, date '1940-01-01' + ((g::bigint * 7919) % 30000)::int,
       CASE WHEN g % 7 = 0 THEN '{"funktionsnedsaettelse": true}' ELSE '{}' END::jsonb,
       now() - interval '3 years', now() - interval '3 years'
  FROM generate_series(1, :citizens) g;
SELECT setval(pg_get_serial_sequence('overgang.citizen', 'id'), :citizens);
INSERT INTO citizen_cpr (citizen_id, cpr_hash, cpr)
SELECT g, decode(md5('cpr-a' || g) || md5('cpr-b' || g), 'hex'),
       lpad(((g::bigint * 7919) % 10000000000)::text, 10, '0')
  FROM generate_series(1, :citizens) g;

-- Cases 1..:active are active, the next :closed closed; every case has its own citizen.
-- A tovholder is a non-lead: staff number 2 * departments + 1 ... staff.
CREATE TEMP TABLE bench_case AS
SELECT i AS id, (i - 1) * (:citizens / (:active + :closed)) + 1 AS citizen_id,
       2 * :departments + 1 + floor(random() * (:staff - 2 * :departments))::int AS holder,
       i > :active AS closed, random() AS r
  FROM generate_series(1, :active + :closed) i;

INSERT INTO cases (id, citizen_id, workflow_name, workflow_version, phase, state, status,
                   tovholder, tovholder_department, outcome, revision, started_at, updated_at,
                   closed_at)
SELECT bc.id, bc.citizen_id, 'bench-api', 1,
       CASE WHEN bc.closed OR bc.r < 0.1 THEN 'voksen'
            WHEN bc.r < 0.4 THEN 'overdragelse' ELSE 'afdaekning' END,
       '{}', CASE WHEN bc.closed THEN 'closed' ELSE 'active' END,
       's' || lpad(bc.holder::text, 5, '0'),
       'dep-' || lpad((1 + (bc.holder - 1) % :departments)::text, 3, '0'),
       CASE WHEN bc.closed THEN 'voksen' END,
       1 + floor(bc.r * 20)::int,
       now() - interval '1 day' * (30 + bc.r * 700), now() - interval '1 day' * (bc.r * 30),
       CASE WHEN bc.closed THEN now() - interval '1 day' * (bc.r * 365) END
  FROM bench_case bc;
SELECT setval(pg_get_serial_sequence('overgang.cases', 'id'), :active + :closed);

INSERT INTO tovholder_history (case_id, from_staff, to_staff, department_id, reason, by_whom, at)
SELECT c.id, NULL, c.tovholder, c.tovholder_department, 'Forløbet er startet', 'engine',
       c.started_at
  FROM cases c;

-- Open work on the active cases.
CREATE TEMP TABLE bench_open AS
SELECT g, 1 + floor(random() * :active)::bigint AS case_id, random() AS r1, random() AS r2,
       random() AS r3, random() AS r4, random() AS r5
  FROM generate_series(1, (:tasks::bigint * :open_pct / 100)) g;

-- (holder: the case's tovholder, which the task_holder trigger would set)
INSERT INTO task (case_id, kind, key, department_id, from_department, assignee, title, body,
                  handover, due_at, status, overdue_notified, revision, created_at, updated_at,
                  holder)
SELECT o.case_id, o.kind, 'k' || (o.g % 7), 'dep-' || lpad(o.dep::text, 3, '0'),
       CASE WHEN o.kind = 'handover' THEN 'dep-' || lpad(o.home::text, 3, '0') END,
       o.assignee, o.title, 'Se sagen for detaljer.',
       CASE WHEN o.kind = 'handover' THEN '{"summary": "Den unge fylder snart 18."}'::jsonb END,
       o.due, o.status, coalesce(o.due < now(), false), CASE WHEN o.status = 'claimed' THEN 1 ELSE 0 END,
       now() - interval '1 day' * (20 + o.r5 * 60), now() - interval '1 day' * (o.r5 * 20),
       o.holder
  FROM (SELECT b.*, x.kind, x.dep, x.home, x.status, c.tovholder AS holder,
               CASE WHEN x.kind = 'handover' THEN NULL
                    WHEN x.dep = x.home AND b.r3 < 0.5 THEN c.tovholder
                    WHEN x.status = 'claimed'
                    THEN 's' || lpad((x.dep + :departments * floor(b.r3 * (:staff / :departments))::int)::text, 5, '0')
               END AS assignee,
               CASE WHEN x.kind = 'handover' THEN 'Overdragelse til voksenområdet'
                    ELSE (ARRAY['Samtale med den unge', 'Udtalelse fra PPR', 'Indhent lægeerklæring',
                                'Bevilling af bostøtte', 'Planlæg overgangsmøde'])[1 + o2.k]
               END AS title,
               CASE WHEN b.r4 < 0.05 THEN NULL
                    ELSE date_trunc('minute', now()) + interval '1 day' * (b.r4 * 60 - 15) END AS due
          FROM bench_open b
          JOIN cases c ON c.id = b.case_id
          CROSS JOIN LATERAL (SELECT (b.g % 5)::int AS k) o2
          CROSS JOIN LATERAL (
                SELECT y.kind, y.home,
                       CASE WHEN y.kind = 'task' AND b.r1 < 0.65 THEN y.home
                            WHEN y.other = y.home THEN 1 + y.home % :departments
                            ELSE y.other END AS dep,
                       CASE WHEN y.kind = 'task' AND b.r2 < 0.3 THEN 'claimed' ELSE 'open' END AS status
                  FROM (SELECT CASE WHEN b.r1 >= 0.9 THEN 'handover' ELSE 'task' END AS kind,
                               substr(c.tovholder_department, 5)::int AS home,
                               -- another department, skewed towards the low numbers
                               1 + floor(b.r2 * b.r2 * :departments)::int AS other
                       ) y
               ) x
       ) o;

-- Work done: 3 tasks on each closed case, the rest spread over the active cases.
INSERT INTO task (case_id, kind, key, department_id, from_department, assignee, title, body,
                  handover, due_at, status, outcome, overdue_notified, revision, created_at,
                  updated_at, closed_at)
SELECT d.case_id, d.kind, 'k' || (d.g % 7), d.dep, CASE WHEN d.kind = 'handover' THEN c.tovholder_department END,
       CASE WHEN d.kind = 'task' THEN c.tovholder END,
       CASE WHEN d.kind = 'handover' THEN 'Overdragelse til voksenområdet' ELSE 'Samtale med den unge' END,
       NULL, CASE WHEN d.kind = 'handover' THEN '{"summary": "Den unge fylder snart 18."}'::jsonb END,
       d.at + interval '7 days', CASE WHEN d.kind = 'handover' THEN 'accepted' ELSE 'done' END,
       CASE WHEN d.kind = 'task' THEN '{"resultat": "ok"}'::jsonb END, false, 1,
       d.at - interval '14 days', d.at, d.at
  FROM (SELECT g, case_id, CASE WHEN r1 < 0.05 THEN 'handover' ELSE 'task' END AS kind,
               'dep-' || lpad((1 + floor(r2 * :departments)::int)::text, 3, '0') AS dep,
               date_trunc('minute', now()) - interval '1 day' * (1 + r3 * 700) AS at
          FROM (SELECT g, CASE WHEN g <= 3 * :closed THEN :active + 1 + (g - 1) % :closed
                               ELSE 1 + floor(random() * :active)::bigint END AS case_id,
                       random() AS r1, random() AS r2, random() AS r3
                  FROM generate_series(1, :tasks::bigint - (:tasks::bigint * :open_pct / 100)) g) z
       ) d
  JOIN cases c ON c.id = d.case_id;
SELECT setval(pg_get_serial_sequence('overgang.task', 'id'), (SELECT max(id) FROM task));

-- Goals and measures of effect, as the shipped workflows record them: two goals per case in
-- the citizen's words with a § 123 theme; a baseline of the FFB support need and of the
-- self-rating when the plan is made; follow-ups on closed cases (all) and on a third of the
-- active ones, a little better on average, and a goal result on the closed ones.
INSERT INTO goal (case_id, key, text, theme, created_at, updated_at)
SELECT c.id, 'maal-' || k, (ARRAY['Jeg vil bo for mig selv', 'Jeg vil have et job',
                                  'Jeg vil tage en uddannelse', 'Jeg vil have flere venner'])[1 + (c.id + k) % 4],
       (ARRAY['bolig', 'beskaeftigelse', 'uddannelse', 'sociale forhold'])[1 + (c.id + k) % 4],
       c.started_at, c.started_at
  FROM cases c CROSS JOIN generate_series(1, 2) k;

CREATE TEMP TABLE bench_level (n int, word text);
INSERT INTO bench_level VALUES (0, 'ingen'), (1, 'let'), (2, 'moderat'), (3, 'omfattende'),
                               (4, 'fuldstaendigt');
CREATE TEMP TABLE bench_followed AS
SELECT c.id, c.started_at, c.closed_at, c.status = 'closed' AS closed, random() AS r1, random() AS r2
  FROM cases c;

INSERT INTO measure (case_id, goal_key, instrument, kind, value_num, value_text, measured_at)
SELECT f.id, 'maal-' || k, 'ffb-stoettebehov', 'baseline', NULL,
       (SELECT word FROM bench_level WHERE n = 1 + floor(f.r1 * 4)::int % 4), f.started_at + interval '30 days'
  FROM bench_followed f CROSS JOIN generate_series(1, 2) k
UNION ALL
SELECT f.id, 'maal-1', 'selvvurdering-1-10', 'baseline', 1 + floor(f.r2 * 8)::int, NULL,
       f.started_at + interval '30 days'
  FROM bench_followed f;

INSERT INTO measure (case_id, goal_key, instrument, kind, value_num, value_text, measured_at)
SELECT f.id, 'maal-' || k, 'ffb-stoettebehov', 'followup', NULL,
       (SELECT word FROM bench_level
         WHERE n = greatest(0, least(4, 1 + floor(f.r1 * 4)::int % 4 - (f.r2 < 0.5)::int
                                         + (f.r2 > 0.85)::int))),
       coalesce(f.closed_at, f.started_at + interval '120 days')
  FROM bench_followed f CROSS JOIN generate_series(1, 2) k
 WHERE f.closed OR f.r1 < 0.33
UNION ALL
SELECT f.id, 'maal-1', 'selvvurdering-1-10', 'followup',
       least(10, 1 + floor(f.r2 * 8)::int + floor(f.r1 * 4)::int - 1), NULL,
       coalesce(f.closed_at, f.started_at + interval '120 days')
  FROM bench_followed f
 WHERE f.closed OR f.r1 < 0.33
UNION ALL
SELECT f.id, 'maal-' || k, 'maalopfyldelse', 'followup', NULL,
       (ARRAY['opnaaet', 'delvist opnaaet', 'ikke opnaaet', 'ikke relevant'])[1 + floor(f.r2 * 3.2)::int],
       f.closed_at
  FROM bench_followed f CROSS JOIN generate_series(1, 2) k
 WHERE f.closed;

RESET session_replication_role;
