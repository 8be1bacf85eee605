/* The Prometheus exposition that /metrics serves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/metrics.h"

static int teardown(void **state)
{
	og_metrics_reset();
	return 0;
}

static void test_counters_are_rendered_per_label_values(void **state)
{
	static const char *const labels[] = {"route", "status", NULL};
	struct og_metric_family *f =
		og_metrics_register(OG_COUNTER, "x_requests_total", "Requests.", labels, NULL, 0);
	assert_non_null(f);
	const char *a[] = {"/healthz", "200"}, *b[] = {"/readyz", "503"};
	og_metrics_add(f, a, 1);
	og_metrics_add(f, a, 2);
	og_metrics_add(f, b, 1);
	char *text = og_metrics_render();
	assert_string_equal(text, "# HELP x_requests_total Requests.\n"
				  "# TYPE x_requests_total counter\n"
				  "x_requests_total{route=\"/healthz\",status=\"200\"} 3\n"
				  "x_requests_total{route=\"/readyz\",status=\"503\"} 1\n");
	free(text);
}

static void test_histograms_have_cumulative_buckets_sum_and_count(void **state)
{
	static const double buckets[] = {0.1, 1};
	struct og_metric_family *f =
		og_metrics_register(OG_HISTOGRAM, "x_seconds", "Latency.", NULL, buckets, 2);
	og_metrics_observe(f, NULL, 0.05);
	og_metrics_observe(f, NULL, 0.5);
	og_metrics_observe(f, NULL, 5);
	char *text = og_metrics_render();
	assert_string_equal(text, "# HELP x_seconds Latency.\n"
				  "# TYPE x_seconds histogram\n"
				  "x_seconds_bucket{le=\"0.1\"} 1\n"
				  "x_seconds_bucket{le=\"1\"} 2\n"
				  "x_seconds_bucket{le=\"+Inf\"} 3\n"
				  "x_seconds_sum 5.55\n"
				  "x_seconds_count 3\n");
	free(text);
}

static void test_label_values_and_help_are_escaped(void **state)
{
	static const char *const labels[] = {"v", NULL};
	struct og_metric_family *f =
		og_metrics_register(OG_GAUGE, "x_info", "Line\\one\ntwo", labels, NULL, 0);
	const char *v[] = {"a\"b\\c\nd"};
	og_metrics_set(f, v, 1);
	char *text = og_metrics_render();
	assert_string_equal(text, "# HELP x_info Line\\\\one\\ntwo\n"
				  "# TYPE x_info gauge\n"
				  "x_info{v=\"a\\\"b\\\\c\\nd\"} 1\n");
	free(text);
}

static double collected;
static void collect(void *arg) { og_metrics_set(arg, NULL, ++collected); }

static void test_collect_hooks_run_before_rendering(void **state)
{
	struct og_metric_family *f = og_metrics_register(OG_GAUGE, "x_up", "Up.", NULL, NULL, 0);
	og_metrics_on_collect(collect, f);
	char *text = og_metrics_render();
	assert_non_null(strstr(text, "\nx_up 1\n"));
	free(text);
	text = og_metrics_render();
	assert_non_null(strstr(text, "\nx_up 2\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_counters_are_rendered_per_label_values, teardown),
		cmocka_unit_test_teardown(test_histograms_have_cumulative_buckets_sum_and_count,
					  teardown),
		cmocka_unit_test_teardown(test_label_values_and_help_are_escaped, teardown),
		cmocka_unit_test_teardown(test_collect_hooks_run_before_rendering, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
