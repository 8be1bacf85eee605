/* Queue and inbox pages put together from kept entries (engine/api/task_list.h). The rows
 * api_task_items answers are made with libpq's own result functions, as the server would
 * send them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/task_list.h"

#define NOW 1000000000000000LL /* the page's clock, µs */

static int server = 1; /* the database server's start, as the keys give it */

/* A keys document for tasks IDS at VERSIONS, names version NAMES. */
static char *keys(int n, const int *ids, const char *const *versions, int names)
{
	static char doc[1024];
	int used = snprintf(doc, sizeof doc, "{\"keys\": [");
	for (int i = 0; i < n; i++)
		used += snprintf(doc + used, sizeof doc - (size_t)used, "%s[%d, \"%s\"]",
				 i ? ", " : "", ids[i], versions[i]);
	snprintf(doc + used, sizeof doc - (size_t)used,
		 "], \"names\": %d, \"now\": %lld, \"server\": %d, \"next_cursor\": null}", names,
		 NOW, server);
	return doc;
}

/* api_task_items's rows for tasks IDS at VERSIONS, names NAMES; task I is due at DUE[I]
 * (0: no due date) and open. */
static PGresult *rows(int n, const int *ids, const char *const *versions, int names,
		      const long long *due)
{
	static const char *const col[] = {"id", "version", "names", "due_us", "open", "item"};
	PGresAttDesc attrs[6];
	memset(attrs, 0, sizeof attrs);
	for (int c = 0; c < 6; c++) {
		attrs[c].name = (char *)col[c];
		attrs[c].format = 0;
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	assert_non_null(res);
	assert_int_equal(PQsetResultAttrs(res, 6, attrs), 1);
	for (int r = 0; r < n; r++) {
		char id[24], nm[24], du[24], item[128];
		snprintf(id, sizeof id, "%d", ids[r]);
		snprintf(nm, sizeof nm, "%d", names);
		snprintf(du, sizeof du, "%lld", due[r]);
		snprintf(item, sizeof item, "{\"id\" : %d, \"title\" : \"Samtale %s\"}", ids[r],
			 versions[r]);
		const char *v[] = {id, versions[r], nm, du, "t", item};
		for (int c = 0; c < 6; c++) {
			bool null = c == 3 && due[r] == 0;
			assert_int_equal(PQsetvalue(res, r, c, null ? NULL : (char *)v[c],
						    null ? -1 : (int)strlen(v[c])),
					 1);
		}
	}
	return res;
}

/* The page for KEYS from CACHE: filled from ROWS when anything is missing (and MISSING says
 * what was); its answer. */
static char *answer(struct task_list_cache *cache, const char *doc, PGresult *fill,
		    const char *missing_expected)
{
	char err[160];
	struct task_list_page *page = task_list_page_new(cache, doc, strlen(doc), err, sizeof err);
	assert_non_null(page);
	bool oom = true;
	char *missing = task_list_page_missing(page, &oom);
	assert_false(oom);
	if (missing_expected == NULL) {
		assert_null(missing);
	} else {
		assert_non_null(missing);
		assert_string_equal(missing, missing_expected);
		assert_int_equal(task_list_page_fill(cache, page, fill, err, sizeof err), 0);
	}
	free(missing);
	size_t len;
	char *body = task_list_page_render(page, &len);
	assert_non_null(body);
	assert_int_equal(len, strlen(body));
	task_list_page_free(page);
	return body;
}

static void test_a_page_seen_before_is_answered_from_kept_entries(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(1 << 20);
	int ids[] = {7, 3};
	const char *v[] = {"10.20", "11.20"};
	long long due[] = {NOW + 5, 0};
	PGresult *res = rows(2, ids, v, 1, due);
	char *first = answer(cache, keys(2, ids, v, 1), res, "{7,3}");
	assert_string_equal(first, "{\"items\": [{\"id\" : 7, \"title\" : \"Samtale 10.20\", "
				   "\"overdue\" : false}, {\"id\" : 3, \"title\" : \"Samtale "
				   "11.20\", \"overdue\" : false}], \"next_cursor\": null}");
	char *again = answer(cache, keys(2, ids, v, 1), NULL, NULL);
	assert_string_equal(again, first);
	struct task_list_stats st;
	task_list_cache_stats(cache, &st);
	assert_int_equal(st.rendered, 2);
	assert_int_equal(st.shown, 2);
	assert_int_equal(st.entries, 2);
	free(first);
	free(again);
	PQclear(res);
	task_list_cache_free(cache);
}

static void test_a_changed_task_or_name_is_rendered_again(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(1 << 20);
	int ids[] = {7, 3};
	const char *v[] = {"10.20", "11.20"}, *v2[] = {"10.20", "12.20"};
	long long due[] = {0, 0};
	PGresult *a = rows(2, ids, v, 1, due), *b = rows(1, &ids[1], &v2[1], 1, due),
		 *c = rows(2, ids, v2, 2, due);
	free(answer(cache, keys(2, ids, v, 1), a, "{7,3}"));
	char *changed = answer(cache, keys(2, ids, v2, 1), b, "{3}");
	assert_non_null(strstr(changed, "Samtale 12.20"));
	free(changed);
	/* a name changed: every entry again */
	free(answer(cache, keys(2, ids, v2, 2), c, "{7,3}"));
	free(answer(cache, keys(2, ids, v2, 2), NULL, NULL));
	PQclear(a);
	PQclear(b);
	PQclear(c);
	task_list_cache_free(cache);
}

static void test_overdue_is_decided_by_the_page_clock(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(1 << 20);
	int ids[] = {7, 3};
	const char *v[] = {"10.20", "11.20"};
	long long due[] = {NOW - 1, NOW};
	PGresult *res = rows(2, ids, v, 1, due);
	char *body = answer(cache, keys(2, ids, v, 1), res, "{7,3}");
	assert_non_null(strstr(body, "10.20\", \"overdue\" : true}"));
	assert_non_null(strstr(body, "11.20\", \"overdue\" : false}"));
	free(body);
	PQclear(res);
	task_list_cache_free(cache);
}

static void test_the_bound_forgets_the_least_recently_shown(void **state)
{
	(void)state;
	int ids[] = {1, 2, 3};
	const char *v[] = {"1.1", "2.2", "3.3"};
	long long due[] = {0, 0, 0};
	PGresult *res = rows(3, ids, v, 1, due);
	/* room for two entries, not three */
	struct task_list_cache *probe = task_list_cache_new(1 << 20);
	free(answer(probe, keys(1, ids, v, 1), res, "{1}"));
	struct task_list_stats one;
	task_list_cache_stats(probe, &one);
	task_list_cache_free(probe);
	struct task_list_cache *cache = task_list_cache_new(one.bytes * 2 + one.bytes / 2);
	free(answer(cache, keys(2, ids, v, 1), res, "{1,2}"));
	free(answer(cache, keys(1, ids, v, 1), NULL, NULL)); /* 1 is the latest shown */
	free(answer(cache, keys(1, &ids[2], &v[2], 1), res, "{3}"));
	struct task_list_stats st;
	task_list_cache_stats(cache, &st);
	assert_int_equal(st.entries, 2);
	assert_true(st.bytes <= one.bytes * 2 + one.bytes / 2);
	free(answer(cache, keys(1, ids, v, 1), NULL, NULL));
	free(answer(cache, keys(1, &ids[1], &v[1], 1), res, "{2}"));
	PQclear(res);
	task_list_cache_free(cache);
}

static void test_keeping_nothing_still_answers_every_page(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(0);
	int ids[] = {5};
	const char *v[] = {"9.9"};
	long long due[] = {0};
	PGresult *res = rows(1, ids, v, 1, due);
	char *a = answer(cache, keys(1, ids, v, 1), res, "{5}");
	char *b = answer(cache, keys(1, ids, v, 1), res, "{5}");
	assert_string_equal(a, b);
	free(a);
	free(b);
	PQclear(res);
	task_list_cache_free(cache);
}

static void test_a_restarted_server_renders_every_entry_again(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(1 << 20);
	int ids[] = {7, 3};
	const char *v[] = {"10.20", "11.20"};
	long long due[] = {0, 0};
	PGresult *res = rows(2, ids, v, 1, due);
	free(answer(cache, keys(2, ids, v, 1), res, "{7,3}"));
	server = 2; /* the same transaction ids may name other rows now */
	free(answer(cache, keys(2, ids, v, 1), res, "{7,3}"));
	free(answer(cache, keys(2, ids, v, 1), NULL, NULL));
	server = 1;
	PQclear(res);
	task_list_cache_free(cache);
}

static void test_an_empty_page_and_a_cursor_are_answered(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(1 << 20);
	static const char doc[] =
		"{\"keys\": [], \"names\": 1, \"now\": 5, \"server\": 1, \"next_cursor\": "
		"\"WyJ4Il0\"}";
	char *body = answer(cache, doc, NULL, NULL);
	assert_string_equal(body, "{\"items\": [], \"next_cursor\": \"WyJ4Il0\"}");
	free(body);
	task_list_cache_free(cache);
}

static void test_keys_of_another_shape_are_refused(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(1 << 20);
	static const char *const bad[] = {
		"{\"items\": []}",
		"{\"keys\": [[1]], \"names\": 1, \"now\": 5, \"server\": 1, \"next_cursor\": null}",
		"{\"keys\": [[1, 2]], \"names\": 1, \"now\": 5, \"server\": 1, \"next_cursor\": "
		"null}",
		"{\"keys\": [], \"names\": \"1\", \"now\": 5, \"server\": 1, \"next_cursor\": "
		"null}",
		"not json",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[160] = "";
		assert_null(task_list_page_new(cache, bad[i], strlen(bad[i]), err, sizeof err));
		assert_true(strlen(err) > 0);
	}
	task_list_cache_free(cache);
}

static void test_a_stamp_says_until_when_the_page_holds(void **state)
{
	(void)state;
	struct task_list_cache *cache = task_list_cache_new(1 << 20);
	int ids[] = {7, 3, 5, 9};
	const char *v[] = {"10.20", "11.20", "12.20", "13.20"};
	/* overdue already, due later, no due date, due first of those not yet overdue */
	long long due[] = {NOW - 1, NOW + 5000, 0, NOW + 20};
	PGresult *res = rows(4, ids, v, 1, due);
	char doc[1024];
	snprintf(doc, sizeof doc, "%.*s, \"list\": \"q:mette\", \"snapshot\": \"10:12:10\"}",
		 (int)strlen(keys(4, ids, v, 1)) - 1, keys(4, ids, v, 1));
	char err[160];
	struct task_list_page *page = task_list_page_new(cache, doc, strlen(doc), err, sizeof err);
	assert_non_null(page);
	struct task_list_stamp stamp;
	assert_int_equal(task_list_page_fill(cache, page, res, err, sizeof err), 0);
	assert_true(task_list_page_stamp(page, &stamp));
	assert_string_equal(stamp.list, "q:mette");
	assert_string_equal(stamp.snapshot, "10:12:10");
	assert_int_equal(stamp.now_us, NOW);
	assert_int_equal(stamp.names, 1);
	assert_int_equal(stamp.server, server);
	assert_int_equal(stamp.until_us, NOW + 20);
	task_list_page_free(page);
	/* keys without a list and snapshot: nothing to keep the page by */
	const char *plain = keys(1, ids, v, 1);
	page = task_list_page_new(cache, plain, strlen(plain), err, sizeof err);
	assert_non_null(page);
	assert_false(task_list_page_stamp(page, &stamp));
	task_list_page_free(page);
	/* a list without its snapshot is refused */
	snprintf(doc, sizeof doc, "%.*s, \"list\": \"q:mette\"}", (int)strlen(plain) - 1, plain);
	assert_null(task_list_page_new(cache, doc, strlen(doc), err, sizeof err));
	PQclear(res);
	task_list_cache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_page_seen_before_is_answered_from_kept_entries),
		cmocka_unit_test(test_a_changed_task_or_name_is_rendered_again),
		cmocka_unit_test(test_overdue_is_decided_by_the_page_clock),
		cmocka_unit_test(test_the_bound_forgets_the_least_recently_shown),
		cmocka_unit_test(test_keeping_nothing_still_answers_every_page),
		cmocka_unit_test(test_a_restarted_server_renders_every_entry_again),
		cmocka_unit_test(test_an_empty_page_and_a_cursor_are_answered),
		cmocka_unit_test(test_keys_of_another_shape_are_refused),
		cmocka_unit_test(test_a_stamp_says_until_when_the_page_holds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
