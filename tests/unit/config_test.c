/* The configuration file: defaults, every key, and every way a file can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

static char err[512];

static int load(struct cfg *cfg, const char *text)
{
	cfg_defaults(cfg);
	err[0] = '\0';
	return cfg_load_string(cfg, "test.conf", text, err, sizeof err);
}

static void expect_error(const char *text, const char *message)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg, text), -1);
	if (strcmp(err, message) != 0)
		fail_msg("expected \"%s\", got \"%s\"", message, err);
	cfg_free(&cfg);
}

static void test_an_empty_file_gives_the_documented_defaults(void **state)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg, ""), 0);
	assert_string_equal(cfg.listen_host, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 7780);
	assert_int_equal(cfg.log_level, OG_INFO);
	assert_string_equal(cfg.log_file, "");
	assert_int_equal(cfg.shutdown_timeout_ms, 5000);
	assert_string_equal(cfg.db_conninfo, "");
	assert_int_equal(cfg.db_reconnect_min_ms, 100);
	assert_int_equal(cfg.db_reconnect_max_ms, 5000);
	assert_int_equal(cfg.db_check_interval_ms, 1000);
	assert_int_equal(cfg.engine_workers, 2);
	assert_int_equal(cfg.engine_batch_size, 500);
	assert_int_equal(cfg.engine_max_attempts, 5);
	cfg_free(&cfg);
}

static void test_engine_keys_are_read_and_checked(void **state)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg,
			      "[engine]\nworkers = 4\nbatch_size = 1000\nmax_attempts = 3\n"
			      "retry_base = 250ms\noverdue_interval = 1m\nsweep_interval = 1h\n"
			      "lua_instructions = 500\nlua_memory = 8\n"),
			 0);
	assert_int_equal(cfg.engine_workers, 4);
	assert_int_equal(cfg.engine_batch_size, 1000);
	assert_int_equal(cfg.engine_max_attempts, 3);
	assert_int_equal(cfg.engine_retry_base_ms, 250);
	assert_int_equal(cfg.engine_overdue_interval_ms, 60000);
	assert_int_equal(cfg.engine_sweep_interval_ms, 3600000);
	assert_int_equal(cfg.engine_lua_instructions, 500);
	assert_int_equal(cfg.engine_lua_memory_mib, 8);
	size_t memory;
	int64_t instructions;
	cfg_lua_budget(&cfg, &memory, &instructions);
	assert_int_equal(memory, 8 * 1024 * 1024);
	assert_int_equal(instructions, 500000);
	cfg_free(&cfg);
	expect_error("[engine]\nworkers = many\n",
		     "test.conf:2: workers: 'many' is not a whole number");
	expect_error("[engine]\nbatch_size = 0\n",
		     "test.conf:2: batch_size: 0 is outside 1..10000");
}

static void test_every_key_is_read(void **state)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg, "# comment\n"
				    "[daemon]\n"
				    "listen = 0.0.0.0:9000\n"
				    "log_level = debug\n"
				    "log_file = /tmp/overgang.log\n"
				    "shutdown_timeout = 2500ms\n"
				    "\n"
				    "[database]\n"
				    "conninfo = host=db.example dbname=overgang\n"
				    "reconnect_min = 1s\n"
				    "reconnect_max = 1m\n"
				    "check_interval = 2s\n"),
			 0);
	assert_string_equal(cfg.listen_host, "0.0.0.0");
	assert_int_equal(cfg.listen_port, 9000);
	assert_int_equal(cfg.log_level, OG_DEBUG);
	assert_string_equal(cfg.log_file, "/tmp/overgang.log");
	assert_int_equal(cfg.shutdown_timeout_ms, 2500);
	assert_string_equal(cfg.db_conninfo, "host=db.example dbname=overgang");
	assert_int_equal(cfg.db_reconnect_min_ms, 1000);
	assert_int_equal(cfg.db_reconnect_max_ms, 60000);
	assert_int_equal(cfg.db_check_interval_ms, 2000);
	assert_string_equal(cfg.path, "test.conf");
	cfg_free(&cfg);
}

static void test_listen_takes_ipv6_and_all_addresses(void **state)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg, "[daemon]\nlisten = [::1]:8080\n"), 0);
	assert_string_equal(cfg.listen_host, "::1");
	assert_int_equal(cfg.listen_port, 8080);
	cfg_free(&cfg);
	assert_int_equal(load(&cfg, "[daemon]\nlisten = :8081\n"), 0);
	assert_string_equal(cfg.listen_host, "0.0.0.0");
	assert_int_equal(cfg.listen_port, 8081);
	cfg_free(&cfg);
}

static void test_an_unknown_key_names_file_line_and_key(void **state)
{
	expect_error("[daemon]\nlisten = :1\nlisen = :2\n",
		     "test.conf:3: unknown key 'lisen' in [daemon]");
}

static void test_an_unknown_section_is_refused(void **state)
{
	expect_error("\n[deamon]\nlisten = :1\n", "test.conf:3: unknown section [deamon]");
}

static void test_a_key_outside_any_section_is_refused(void **state)
{
	expect_error("listen = :1\n",
		     "test.conf:1: 'listen' is outside any section; put it under [daemon], "
		     "[database], [engine] or [api]");
}

static void test_a_line_that_is_not_a_key_is_refused(void **state)
{
	expect_error("[daemon]\n\nthis is not ini\n",
		     "test.conf:3: not a [section] or key = value line");
	expect_error("[daemon\n", "test.conf:1: not a [section] or key = value line");
}

static void test_a_key_given_twice_is_refused(void **state)
{
	expect_error(
		"[database]\ncheck_interval = 1s\n\ncheck_interval = 2s\n",
		"test.conf:4: 'check_interval' in [database] is given twice (first on line 2)");
}

static void test_bad_listen_values_are_refused(void **state)
{
	expect_error("[daemon]\nlisten = localhost\n",
		     "test.conf:2: listen: 'localhost' is not HOST:PORT");
	expect_error("[daemon]\nlisten = localhost:http\n",
		     "test.conf:2: listen: port 'http' is not a number from 0 to 65535");
	expect_error("[daemon]\nlisten = 127.0.0.1:70000\n",
		     "test.conf:2: listen: port '70000' is not a number from 0 to 65535");
	expect_error("[daemon]\nlisten = 127.0.0.1:\n",
		     "test.conf:2: listen: port '' is not a number from 0 to 65535");
	expect_error("[daemon]\nlisten = [::1:80\n",
		     "test.conf:2: listen: '[::1:80' is not [ADDRESS]:PORT");
}

static void test_bad_durations_are_refused(void **state)
{
	expect_error(
		"[daemon]\nshutdown_timeout = 5\n",
		"test.conf:2: shutdown_timeout: '5' is not a duration (a whole number with ms, "
		"s, m or h, such as 5s)");
	expect_error("[daemon]\nshutdown_timeout = soon\n",
		     "test.conf:2: shutdown_timeout: 'soon' is not a duration (a whole number with "
		     "ms, s, m or h, such as 5s)");
	expect_error("[daemon]\nshutdown_timeout = -5s\n",
		     "test.conf:2: shutdown_timeout: '-5s' is not a duration (a whole number with "
		     "ms, s, m or h, such as 5s)");
	expect_error("[daemon]\nshutdown_timeout = 99999999999999999999s\n",
		     "test.conf:2: shutdown_timeout: '99999999999999999999s' is not a duration (a "
		     "whole number with ms, s, m or h, such as 5s)");
	expect_error("[daemon]\nshutdown_timeout = 20m\n",
		     "test.conf:2: shutdown_timeout: 20m is outside 100ms..600000ms");
	expect_error("[database]\ncheck_interval = 5ms\n",
		     "test.conf:2: check_interval: 5ms is outside 100ms..60000ms");
}

static void test_a_bad_log_level_is_refused(void **state)
{
	expect_error("[daemon]\nlog_level = loud\n",
		     "test.conf:2: log_level: 'loud' is not one of debug, info, warn, error");
}

static void test_reconnect_bounds_must_be_ordered(void **state)
{
	expect_error("[database]\nreconnect_min = 10s\nreconnect_max = 1s\n",
		     "test.conf:3: reconnect_max (1000ms) is less than reconnect_min (10000ms)");
}

static void test_plugin_sections_are_kept_for_the_plugin(void **state)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg, "[plugin.webhook]\nurl = http://x/\nsecret = s3\n"
				    "[plugin.ldap]\nuri = ldap://y/\n"),
			 0);
	struct cfg_plugin_key *k = cfg.plugin_keys;
	assert_non_null(k);
	assert_string_equal(k->section, "webhook");
	assert_string_equal(k->key, "url");
	assert_string_equal(k->value, "http://x/");
	assert_int_equal(k->line, 2);
	k = k->next;
	assert_string_equal(k->key, "secret");
	k = k->next;
	assert_string_equal(k->section, "ldap");
	assert_null(k->next);
	cfg_free(&cfg);
	expect_error("[plugin.]\nx = 1\n", "test.conf:2: [plugin.NAME] needs the plugin's name");
	expect_error("[plugin.a]\nx = 1\nx = 2\n",
		     "test.conf:3: 'x' in [plugin.a] is given twice (first on line 2)");
}

static void test_a_missing_file_says_so(void **state)
{
	struct cfg cfg;
	cfg_defaults(&cfg);
	assert_int_equal(cfg_load_file(&cfg, "/nonexistent/overgang.conf", err, sizeof err), -1);
	assert_string_equal(err,
			    "/nonexistent/overgang.conf: cannot read the configuration: No such "
			    "file or directory");
	cfg_free(&cfg);
}

static void test_a_file_is_read_with_line_numbers(void **state)
{
	char path[] = "/tmp/overgang-config-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "[daemon]\nlisten = :7000\n[database]\nbogus = 1\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	struct cfg cfg;
	cfg_defaults(&cfg);
	assert_int_equal(cfg_load_file(&cfg, path, err, sizeof err), -1);
	char expected[256];
	snprintf(expected, sizeof expected, "%s:4: unknown key 'bogus' in [database]", path);
	assert_string_equal(err, expected);
	cfg_free(&cfg);
	unlink(path);
}

static void test_the_shipped_example_configuration_is_valid(void **state)
{
	const char *src = getenv("OVERGANG_SRC");
	if (src == NULL)
		skip();
	char path[1024];
	snprintf(path, sizeof path, "%s/deploy/overgang.example.conf", src);
	struct cfg cfg;
	cfg_defaults(&cfg);
	if (cfg_load_file(&cfg, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	cfg_free(&cfg);
}

static void test_fhir_settings(void **state)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg, ""), 0);
	assert_string_equal(cfg.fhir_municipality_organisation, "");
	assert_false(cfg.fhir_cpr_identifier);
	cfg_free(&cfg);
	assert_int_equal(load(&cfg, "[fhir]\nmunicipality_organisation = "
				    "d4e3f4fb-6761-4d6c-9086-74c49231f11e\ncpr_identifier = on\n"),
			 0);
	assert_string_equal(cfg.fhir_municipality_organisation,
			    "d4e3f4fb-6761-4d6c-9086-74c49231f11e");
	assert_true(cfg.fhir_cpr_identifier);
	cfg_free(&cfg);
	expect_error("[fhir]\ncpr_identifier = yes\n",
		     "test.conf:2: cpr_identifier: 'yes' is neither on nor off");
	expect_error("[fhir]\nmunicipality_organisation = 0101\n",
		     "test.conf:2: municipality_organisation: '0101' is not a UUID in lower case "
		     "(such as d4e3f4fb-6761-4d6c-9086-74c49231f11e)");
}

static void test_conninfo_falls_back_to_database_url(void **state)
{
	struct cfg cfg;
	assert_int_equal(load(&cfg, ""), 0);
	setenv("DATABASE_URL", "postgresql://localhost/x", 1);
	assert_string_equal(cfg_conninfo(&cfg), "postgresql://localhost/x");
	unsetenv("DATABASE_URL");
	assert_string_equal(cfg_conninfo(&cfg), "");
	cfg_free(&cfg);
	assert_int_equal(load(&cfg, "[database]\nconninfo = dbname=y\n"), 0);
	setenv("DATABASE_URL", "postgresql://localhost/x", 1);
	assert_string_equal(cfg_conninfo(&cfg), "dbname=y");
	unsetenv("DATABASE_URL");
	cfg_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_empty_file_gives_the_documented_defaults),
		cmocka_unit_test(test_every_key_is_read),
		cmocka_unit_test(test_engine_keys_are_read_and_checked),
		cmocka_unit_test(test_listen_takes_ipv6_and_all_addresses),
		cmocka_unit_test(test_an_unknown_key_names_file_line_and_key),
		cmocka_unit_test(test_an_unknown_section_is_refused),
		cmocka_unit_test(test_a_key_outside_any_section_is_refused),
		cmocka_unit_test(test_a_line_that_is_not_a_key_is_refused),
		cmocka_unit_test(test_a_key_given_twice_is_refused),
		cmocka_unit_test(test_bad_listen_values_are_refused),
		cmocka_unit_test(test_bad_durations_are_refused),
		cmocka_unit_test(test_a_bad_log_level_is_refused),
		cmocka_unit_test(test_reconnect_bounds_must_be_ordered),
		cmocka_unit_test(test_plugin_sections_are_kept_for_the_plugin),
		cmocka_unit_test(test_a_missing_file_says_so),
		cmocka_unit_test(test_a_file_is_read_with_line_numbers),
		cmocka_unit_test(test_the_shipped_example_configuration_is_valid),
		cmocka_unit_test(test_fhir_settings),
		cmocka_unit_test(test_conninfo_falls_back_to_database_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
