-- Demo data: the departments the example workflow uses, a few caseworkers, and made-up
-- citizens (no real names or CPR numbers). Safe to run again.
INSERT INTO overgang.department (id, name) VALUES
    ('born-familie', 'Børn og Familie'), ('voksenhandicap', 'Voksenhandicap'),
    ('ppr', 'PPR'), ('jobcenter', 'Jobcenter'), ('ungeindsats', 'Ungeindsatsen')
ON CONFLICT (id) DO NOTHING;
INSERT INTO overgang.staff (id, name) VALUES
    ('mette', 'Mette (Børn og Familie)'), ('jonas', 'Jonas (Børn og Familie)'),
    ('ayse', 'Ayşe (Voksenhandicap)'), ('lars', 'Lars (PPR)')
ON CONFLICT (id) DO NOTHING;
INSERT INTO overgang.staff_department (staff_id, department_id, is_lead) VALUES
    ('mette', 'born-familie', true), ('jonas', 'born-familie', false),
    ('ayse', 'voksenhandicap', true), ('lars', 'ppr', true)
ON CONFLICT DO NOTHING;
-- Three young people with a reduced function who have turned 16, and one who has not yet.
INSERT INTO overgang.citizen (display_name, birth_date, attributes)
SELECT name, born, '{"funktionsnedsaettelse": true}'
  FROM (VALUES ('Demoborger A', current_date - interval '16 years 2 months'),
               ('Demoborger B', current_date - interval '17 years 1 month'),
               ('Demoborger C', current_date - interval '16 years 9 months'),
               ('Demoborger D', current_date - interval '15 years 6 months')) AS d(name, born)
 WHERE NOT EXISTS (SELECT 1 FROM overgang.citizen WHERE display_name LIKE 'Demoborger %');
