/* The instrument registry as the step logic checks measures against it (core/instruments),
 * loaded from the shipped registry in migration 0010_instruments as the simulator loads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/instruments.h"
#include "store/migrate.h"

static int load_shipped(void **state)
{
	const char *sql = NULL;
	for (int i = 0; i < store_migrations_count; i++)
		if (strcmp(store_migrations[i].name, "instruments") == 0)
			sql = store_migrations[i].sql;
	struct core_instruments *reg = core_instruments_new();
	char err[256];
	if (reg == NULL || core_instruments_add_shipped(reg, sql, err, sizeof err) != 0) {
		core_instruments_free(reg);
		return -1;
	}
	*state = reg;
	return 0;
}

static int free_registry(void **state)
{
	core_instruments_free(*state);
	return 0;
}

/* The message for VALUE (JSON text) on INSTRUMENT, or "" when it is accepted. */
static const char *verdict(void **state, const char *instrument, const char *value)
{
	static char err[1024];
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	assert_non_null(v);
	int rc = core_instruments_check(*state, instrument, v, err, sizeof err);
	json_decref(v);
	if (rc == 0)
		err[0] = '\0';
	return err;
}

static void test_the_shipped_registry_has_the_five_instruments(void **state)
{
	char names[512];
	core_instruments_names(*state, names, sizeof names);
	assert_string_equal(names, "ffb-stoettebehov, i-job-eller-uddannelse, maalopfyldelse, "
				   "selvvurdering-1-10, timer-pr-uge");
}

static void test_words_are_matched_as_the_database_compares_them(void **state)
{
	assert_string_equal(verdict(state, "ffb-stoettebehov", "\"moderat\""), "");
	assert_string_equal(verdict(state, "ffb-stoettebehov", "\" Fuldstændigt \""), "");
	assert_string_equal(verdict(state, "ffb-stoettebehov", "\"ikke vurderet\""), "");
	assert_string_equal(verdict(state, "maalopfyldelse", "\"Opnået\""), "");
	assert_string_equal(verdict(state, "i-job-eller-uddannelse", "\"ja\""), "");
	assert_string_equal(verdict(state, "ffb-stoettebehov", "\"svaer\""),
			    "'svaer' is not a value of ffb-stoettebehov: ingen, let, moderat, "
			    "omfattende, fuldstaendigt, ikke vurderet");
	assert_string_equal(verdict(state, "ffb-stoettebehov", "2"),
			    "ffb-stoettebehov takes one of its words, not a number: ingen, let, "
			    "moderat, omfattende, fuldstaendigt, ikke vurderet");
}

static void test_numbers_must_be_on_the_scale(void **state)
{
	assert_string_equal(verdict(state, "selvvurdering-1-10", "10"), "");
	assert_string_equal(verdict(state, "selvvurdering-1-10", "\"ikke oplyst\""), "");
	assert_string_equal(verdict(state, "selvvurdering-1-10", "7.5"),
			    "7.5 is not a value of selvvurdering-1-10: a whole number from 1 to "
			    "10, or ikke oplyst");
	assert_string_equal(verdict(state, "selvvurdering-1-10", "0"),
			    "0 is not a value of selvvurdering-1-10: a whole number from 1 to 10, "
			    "or ikke oplyst");
	assert_string_equal(verdict(state, "timer-pr-uge", "37.5"), "");
	assert_string_equal(verdict(state, "timer-pr-uge", "-1"),
			    "-1 is not a value of timer-pr-uge: a number from 0 to 168, or ikke "
			    "oplyst");
	assert_string_equal(verdict(state, "timer-pr-uge", "\"mange\""),
			    "'mange' is not a value of timer-pr-uge: a number from 0 to 168, or "
			    "ikke oplyst");
}

static void test_an_unknown_instrument_names_the_known_ones(void **state)
{
	assert_string_equal(verdict(state, "trivsel", "3"),
			    "unknown instrument 'trivsel' (known: ffb-stoettebehov, "
			    "i-job-eller-uddannelse, maalopfyldelse, selvvurdering-1-10, "
			    "timer-pr-uge)");
}

static void test_an_instrument_that_does_not_fit_its_kind_is_refused(void **state)
{
	char err[256];
	json_t *bad =
		json_pack("{s:s,s:s,s:{s:i}}", "name", "x", "kind", "level", "values", "min", 1);
	assert_int_equal(core_instruments_add(*state, bad, err, sizeof err), -1);
	assert_string_equal(err, "instrument 'x': its values do not fit kind 'level'");
	json_decref(bad);
	json_t *twice = json_pack("{s:s,s:s,s:{s:i}}", "name", "timer-pr-uge", "kind", "number",
				  "values", "min", 0);
	assert_int_equal(core_instruments_add(*state, twice, err, sizeof err), -1);
	assert_string_equal(err, "instrument 'timer-pr-uge' twice");
	json_decref(twice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_shipped_registry_has_the_five_instruments),
		cmocka_unit_test(test_words_are_matched_as_the_database_compares_them),
		cmocka_unit_test(test_numbers_must_be_on_the_scale),
		cmocka_unit_test(test_an_unknown_instrument_names_the_known_ones),
		cmocka_unit_test(test_an_instrument_that_does_not_fit_its_kind_is_refused),
	};
	return cmocka_run_group_tests(tests, load_shipped, free_registry);
}
