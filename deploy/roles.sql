-- Database roles for overgang, run once by a PostgreSQL superuser in the database overgang
-- will use (psql -d overgang -f deploy/roles.sql):
--   overgang_owner    owns the schema; `overgang migrate` connects as this role
--   overgang_runtime  what overgangd connects as: reads and writes rows, changes no schema
-- Give both a password (ALTER ROLE ... PASSWORD) or another authentication in pg_hba.conf.

CREATE ROLE overgang_owner LOGIN;
CREATE ROLE overgang_runtime LOGIN;

DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO overgang_owner, overgang_runtime',
                   current_database());
    EXECUTE format('GRANT CREATE ON DATABASE %I TO overgang_owner', current_database());
END $$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS overgang AUTHORIZATION overgang_owner;
GRANT USAGE ON SCHEMA overgang TO overgang_runtime;

-- Whatever the owner creates in the schema, the runtime role may read and write, never alter.
ALTER DEFAULT PRIVILEGES FOR ROLE overgang_owner IN SCHEMA overgang
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO overgang_runtime;
ALTER DEFAULT PRIVILEGES FOR ROLE overgang_owner IN SCHEMA overgang
    GRANT USAGE, SELECT ON SEQUENCES TO overgang_runtime;
ALTER DEFAULT PRIVILEGES FOR ROLE overgang_owner IN SCHEMA overgang
    GRANT EXECUTE ON FUNCTIONS TO overgang_runtime;
