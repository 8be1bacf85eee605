-- Small SQL helpers that PostgreSQL could not inline. A function in LANGUAGE sql whose body
-- is one expression is put into the query that calls it, unless its body is more volatile
-- than the function says it is: an IMMUTABLE helper that calls a STABLE function (text ||
-- bigint, convert_to, jsonb_build_object, to_char) is instead called through the SQL-function
-- executor, which parses and plans its body again for every statement that calls it (0019).
-- api_purpose (every read's access-log row) and api_cursor_encode (every page's next cursor)
-- were two such: a queue page cost PostgreSQL 0.84 ms of CPU with them, 0.59 ms without
-- (pgbench at national scale, two clients). The answers are the same;
-- tests/integration/sql_helpers_test.sh keeps every SQL helper inlined but those listed
-- there, which cannot be by their form.

CREATE OR REPLACE FUNCTION api_purpose(r jsonb, task_id bigint DEFAULT NULL) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(nullif(btrim(r->>'purpose'), ''), 'task ' || task_id::text, r->>'route')
$$;

ALTER FUNCTION api_cursor_encode(jsonb) STABLE;
ALTER FUNCTION report_nc(bigint, bigint) STABLE;
ALTER FUNCTION fhir_ref(text, bigint) STABLE;
ALTER FUNCTION fhir_time(timestamptz) STABLE;
ALTER FUNCTION api_instrument_item(instrument) STABLE;
