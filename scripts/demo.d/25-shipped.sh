# Demo step: the shipped workflows (workflows/barn-til-voksen.lua, workflows/uddannelse-til-job.lua)
# with the departments they hand work to, a caseworker in each, and two made-up young people
# in the final year of STU. The start sweep starts their cases when the daemon comes up.
psql -qX -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO overgang.department (id, name) VALUES
    ('ungeindsats', 'Ungeindsatsen (KUI)'), ('bostoette', 'Bostøtte'), ('pension', 'Pension'),
    ('sundhed', 'Sundhed'), ('socialpsykiatri', 'Socialpsykiatri')
ON CONFLICT (id) DO NOTHING;
INSERT INTO overgang.staff (id, name) VALUES
    ('sara', 'Sara (Ungeindsatsen)'), ('karl', 'Karl (Jobcenter)'), ('bente', 'Bente (Bostøtte)'),
    ('per', 'Per (Pension)'), ('sofie', 'Sofie (Sundhed)'), ('ole', 'Ole (Socialpsykiatri)')
ON CONFLICT (id) DO NOTHING;
INSERT INTO overgang.staff_department (staff_id, department_id, is_lead) VALUES
    ('sara', 'ungeindsats', true), ('karl', 'jobcenter', true), ('bente', 'bostoette', true),
    ('per', 'pension', true), ('sofie', 'sundhed', true), ('ole', 'socialpsykiatri', true)
ON CONFLICT DO NOTHING;
INSERT INTO overgang.citizen (display_name, birth_date, attributes)
SELECT name, born, '{"stu_sidste_aar": true}'
  FROM (VALUES ('Demoborger E', current_date - interval '19 years 4 months'),
               ('Demoborger F', current_date - interval '20 years 1 month')) AS d(name, born)
 WHERE NOT EXISTS (SELECT 1 FROM overgang.citizen WHERE display_name = 'Demoborger E');
SQL
for wf in workflows/barn-til-voksen.lua workflows/uddannelse-til-job.lua; do
  "$OVERGANG" workflow deploy "$wf" --by demo >/dev/null 2>&1 ||
    "$OVERGANG" workflow deploy "$wf" --by demo # shows why, unless this version is deployed already
done
TRY+=(
  "build/demo/overgang simulate workflows/barn-til-voksen.lua --born 2010-03-01 --attr funktionsnedsaettelse --attr anbragt --auto"
  "build/demo/overgang simulate workflows/uddannelse-til-job.lua --born 2006-05-01 --attr stu_sidste_aar --auto"
)
