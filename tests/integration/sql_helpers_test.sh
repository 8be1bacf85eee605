# The schema's one-expression SQL helpers are inlined by PostgreSQL into the queries that call
# them. One whose body is more volatile than it declares (IMMUTABLE calling a STABLE function)
# is instead parsed and planned again at every call (0028_inlined_helpers.sql): a queue page
# cost 40 % more CPU for two such helpers.
source "$OVERGANG_SRC/tests/lib/testlib.sh"

new_db 1

# not_inlined SCHEMA: the one-expression helpers of SCHEMA (LANGUAGE sql, no FROM, no SET
# clause, not VOLATILE, not set-returning) that a generic plan of "SELECT helper($1, ...)"
# still calls, one name a line.
not_inlined() {
  psql -qAtX -v ON_ERROR_STOP=1 -v schema="$1" <<'SQL'
SET plan_cache_mode = force_generic_plan;
CREATE TEMP TABLE not_inlined (name text);
DO $$
DECLARE
    f record;
    line text;
BEGIN
    FOR f IN SELECT p.proname,
                    (SELECT string_agg(format('$%s::%s', a.i, format_type(a.t, NULL)), ', ')
                       FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a (t, i)) AS args,
                    (SELECT string_agg('NULL', ', ') FROM generate_series(1, p.pronargs)) AS nulls
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = current_setting('test.schema')
                AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
                AND p.proconfig IS NULL AND p.provolatile <> 'v' AND NOT p.proretset
                AND p.prosrc !~* '\mfrom\M' AND p.prosrc !~ ';\s*\S'
    LOOP
        EXECUTE format('PREPARE helper AS SELECT %I.%I(%s)', current_setting('test.schema'),
                       f.proname, coalesce(f.args, ''));
        FOR line IN EXECUTE 'EXPLAIN (VERBOSE) EXECUTE helper' || coalesce('(' || f.nulls || ')', '')
        LOOP
            IF line LIKE '%' || f.proname || '(%' THEN
                INSERT INTO not_inlined VALUES (f.proname);
            END IF;
        END LOOP;
        DEALLOCATE helper;
    END LOOP;
END $$;
SELECT DISTINCT name FROM not_inlined ORDER BY name;
SQL
}
export PGOPTIONS="$PGOPTIONS -c test.schema=overgang"

step "the check finds a helper that claims IMMUTABLE but calls a STABLE function"
sql "CREATE SCHEMA helper_check;
     CREATE FUNCTION helper_check.stamped(n bigint) RETURNS text LANGUAGE sql IMMUTABLE
         AS \$\$ SELECT 'n ' || n \$\$;
     CREATE FUNCTION helper_check.fine(n bigint) RETURNS text LANGUAGE sql IMMUTABLE
         AS \$\$ SELECT 'n ' || n::text \$\$"
found=$(PGOPTIONS="$PGOPTIONS -c test.schema=helper_check" not_inlined helper_check)
assert_eq "stamped" "$found" "helpers of helper_check that are not inlined"

step "every one-expression helper of the schema is inlined"
helpers=$(sql "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'overgang'
                  AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
                  AND p.proconfig IS NULL AND p.provolatile <> 'v' AND NOT p.proretset
                  AND p.prosrc !~* '\\mfrom\\M'")
[ "$helpers" -ge 10 ] || fail "found only $helpers one-expression helpers in the schema"
found=$(not_inlined overgang)
assert_eq "" "$found" "helpers of the schema that are not inlined"
