-- Departments own queues of tasks and handovers; staff belong to departments and may be
-- tovholder for citizens' cases.

CREATE TABLE department (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]*$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]*$'),
    name        text NOT NULL,
    email       text,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'absent', 'inactive')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_department (
    staff_id      text NOT NULL REFERENCES staff(id),
    department_id text NOT NULL REFERENCES department(id),
    is_lead       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (staff_id, department_id)
);
CREATE INDEX staff_department_by_department ON staff_department (department_id);
