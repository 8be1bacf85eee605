-- The people and citizens the API tests work with (made up). Departments:
-- born-familie (mette leads, jonas), voksenhandicap (ayse leads, bo), ppr (lars),
-- jobcenter (jens leads, nobody's cases); admin, chef (manager) and revisor (auditor)
-- belong to no department.
INSERT INTO department (id, name) VALUES
    ('born-familie', 'Børn og Familie'), ('voksenhandicap', 'Voksenhandicap'),
    ('ppr', 'PPR'), ('jobcenter', 'Jobcenter');
INSERT INTO staff (id, name) VALUES
    ('mette', 'Mette Madsen'), ('jonas', 'Jonas Jensen'), ('ayse', 'Ayşe Yilmaz'),
    ('bo', 'Bo Berg'), ('lars', 'Lars Lund'), ('jens', 'Jens Juhl'),
    ('admin', 'Anne Admin'), ('chef', 'Carl Chef'), ('revisor', 'Rikke Revisor');
INSERT INTO staff_department (staff_id, department_id, is_lead) VALUES
    ('mette', 'born-familie', true), ('jonas', 'born-familie', false),
    ('ayse', 'voksenhandicap', true), ('bo', 'voksenhandicap', false),
    ('lars', 'ppr', false), ('jens', 'jobcenter', true);
-- Three citizens with a case each: two held by mette, one by jonas.
INSERT INTO citizen (id, display_name, birth_date, attributes) VALUES
    (1, 'Astrid Testborger', '2008-12-01', '{"funktionsnedsaettelse": true}'),
    (2, 'Bjørn Testborger', '2009-02-15', '{"funktionsnedsaettelse": true}'),
    (3, 'Cecilie Testborger', '2008-06-30', '{}');
SELECT setval(pg_get_serial_sequence('citizen', 'id'), 100);
INSERT INTO cases (id, citizen_id, workflow_name, workflow_version, phase)
SELECT x.id, x.id, 'api-test', 1, 'afdaekning' FROM (VALUES (1), (2), (3)) AS x (id);
SELECT setval(pg_get_serial_sequence('cases', 'id'), 100);
INSERT INTO event (case_id, type, payload, source, idem_key) VALUES
    (1, 'started', '{"tovholder": "mette", "due_days": -3}', 'test', 'started'),
    (2, 'started', '{"tovholder": "mette"}', 'test', 'started'),
    (3, 'started', '{"tovholder": "jonas"}', 'test', 'started');
