-- scripts/bench steps: the staff directory, as tests/lib/engine.sh seed_directory.
INSERT INTO overgang.department (id, name) VALUES
  ('born-familie', 'Børn og familie'), ('voksenhandicap', 'Voksenhandicap'),
  ('jobcenter', 'Jobcenter');
INSERT INTO overgang.staff (id, name) VALUES ('anna', 'Anna'), ('bo', 'Bo'), ('dorte', 'Dorte');
INSERT INTO overgang.staff_department (staff_id, department_id, is_lead) VALUES
  ('anna', 'born-familie', true), ('bo', 'born-familie', false),
  ('dorte', 'voksenhandicap', true);
