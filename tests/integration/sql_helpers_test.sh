# The schema's small SQL helpers are inlined by PostgreSQL into the queries that call them. A
# helper whose body is more volatile than it declares (IMMUTABLE calling a STABLE function) is
# instead run by the SQL-function executor, which plans its body again for every statement
# that calls it (0028_inlined_helpers.sql): a queue page cost 40 % more CPU for two such.
source "$OVERGANG_SRC/tests/lib/testlib.sh"

new_db 1

# The helpers PostgreSQL cannot inline by their form (a body with FROM, a subquery, several
# statements), one name a line, sorted. A new helper of this kind is added here on purpose.
not_inlinable="fhir_ffb_level
fhir_follow_up
fhir_goal_result
fhir_goal_type
instrument_rank
report_csv_field"

# not_inlined: the LANGUAGE sql functions of the schema named by the setting test.schema
# (without a SET clause, not set-returning, not SECURITY DEFINER, with arguments: one without
# is folded to a constant either way) that a generic plan of "SELECT f($1, ...)" still calls,
# one name a line, sorted.
not_inlined() {
  psql -qAtX -v ON_ERROR_STOP=1 <<'SQL'
SET plan_cache_mode = force_generic_plan;
CREATE TEMP TABLE not_inlined (name text);
DO $$
DECLARE
    f record;
    line text;
BEGIN
    FOR f IN SELECT p.proname,
                    (SELECT string_agg(format('$%s::%s', a.i, format_type(a.t, NULL)), ', '
                                       ORDER BY a.i)
                       FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a (t, i)) AS args,
                    (SELECT string_agg('NULL', ', ') FROM generate_series(1, p.pronargs)) AS nulls
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = current_setting('test.schema')
                AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
                AND p.proconfig IS NULL AND p.prokind = 'f' AND NOT p.proretset
                AND NOT p.prosecdef AND p.pronargs > 0
    LOOP
        EXECUTE format('PREPARE helper AS SELECT %I.%I(%s)', current_setting('test.schema'),
                       f.proname, f.args);
        FOR line IN EXECUTE format('EXPLAIN (VERBOSE) EXECUTE helper(%s)', f.nulls)
        LOOP
            IF position(f.proname || '(' IN line) > 0 THEN
                INSERT INTO not_inlined VALUES (f.proname);
            END IF;
        END LOOP;
        DEALLOCATE helper;
    END LOOP;
END $$;
SELECT DISTINCT name FROM not_inlined ORDER BY name;
SQL
}

step "the check finds a helper that claims IMMUTABLE but calls a STABLE function"
sql "CREATE SCHEMA helper_check;
     CREATE FUNCTION helper_check.stamped(n bigint) RETURNS text LANGUAGE sql IMMUTABLE
         AS \$\$ SELECT 'n ' || n \$\$;
     CREATE FUNCTION helper_check.fine(n bigint) RETURNS text LANGUAGE sql IMMUTABLE
         AS \$\$ SELECT 'n ' || n::text \$\$"
found=$(PGOPTIONS="$PGOPTIONS -c test.schema=helper_check" not_inlined)
assert_eq "stamped" "$found" "helpers of helper_check that are not inlined"

step "every helper of the schema is inlined, but those that cannot be by their form"
helpers=$(sql "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'overgang'
                  AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
                  AND p.proconfig IS NULL AND p.prokind = 'f' AND NOT p.proretset
                  AND NOT p.prosecdef AND p.pronargs > 0")
[ "$helpers" -ge 20 ] || fail "found only $helpers SQL helpers in the schema"
found=$(PGOPTIONS="$PGOPTIONS -c test.schema=overgang" not_inlined)
assert_eq "$not_inlinable" "$found" "helpers of the schema that are not inlined"
