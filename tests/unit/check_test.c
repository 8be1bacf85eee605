/* The static reading of workflow files (core/scan), the checker (core/check), the graph
 * (core/graph) and the definition diff (core/defdiff): pure, so tested without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/check.h"
#include "core/defdiff.h"
#include "core/definition.h"
#include "core/graph.h"
#include "core/scan.h"

/* The deadline the scan reads from `case:timer { event = "x", FIELD }`. */
static void assert_deadline(const char *field, const char *expected, bool in_past)
{
	char src[512];
	snprintf(src, sizeof src,
		 "local function f(case)\n  case:timer { event = \"x\", %s }\nend\n", field);
	struct core_scan *s = core_scan_new(src, strlen(src));
	assert_non_null(s);
	assert_int_equal(s->ncalls, 1);
	const struct core_scan_field *f = &s->calls[0].fields[1];
	if (expected == NULL) {
		assert_null(f->deadline);
	} else {
		assert_non_null(f->deadline);
		assert_string_equal(f->deadline, expected);
		assert_int_equal(f->in_past, in_past);
	}
	core_scan_free(s);
}

static void test_deadlines_written_literally_are_read(void **state)
{
	(void)state;
	assert_deadline("at = case.citizen.birthday(17, 6)", "at age 17 and 6 months", false);
	assert_deadline("at = case.citizen.birthday(18)", "at age 18", false);
	assert_deadline("after = 14 * date.DAY", "after 14 days", false);
	assert_deadline("after = date.DAY * 1", "after 1 day", false);
	assert_deadline("after = 3600", "after 1 hour", false);
	assert_deadline("at = case.now + 90", "after 90 seconds", false);
	assert_deadline("due = case.now - 60", "1 minute before now", true);
	assert_deadline("at = date.working_days(case.now, 10)", "after 10 working days", false);
	assert_deadline("at = date.add(case.now, { months = 6, days = 2 })",
			"after 6 months, 2 days", false);
	assert_deadline("at = date.add(case.now, { years = -1 })", "1 year before now", true);
	/* computed: not read */
	assert_deadline("at = case.now + ev.payload.after", NULL, false);
	assert_deadline("at = case.citizen.birthday(age)", NULL, false);
}

static void test_strings_comments_and_long_brackets_are_tokens_not_code(void **state)
{
	(void)state;
	static const char src[] = "-- case:timer { event = \"in_a_comment\" }\n"
				  "--[==[ case:timer { event = \"in_a_long_comment\" } ]==]\n"
				  "local s = [[ case:timer { event = \"in_a_long_string\" } ]]\n"
				  "local t = \"case:timer { event = \\\"in_a_string\\\" }\"\n"
				  "local function f(case) case:timer { event = 'r\\u{E6}kke\\z\n"
				  "      ', after = 1 } end\n";
	struct core_scan *s = core_scan_new(src, sizeof src - 1);
	assert_non_null(s);
	assert_int_equal(s->ncalls, 1);
	assert_string_equal(s->calls[0].method, "timer");
	assert_string_equal(core_scan_call_field(&s->calls[0], "event")->value, "r\xC3\xA6kke");
	assert_int_equal(s->calls[0].pos.line, 5);
	core_scan_free(s);
}

static void test_calls_belong_to_the_handler_they_are_written_in(void **state)
{
	(void)state;
	static const char src[] =
		"local function helper(case) case:phase \"b\" end\n"
		"local function named(case, ev) case:phase(\"c\") end\n"
		"return workflow {\n"
		"  name = \"x\", version = 1, title = \"X\",\n"
		"  phases = { { \"a\", text = \"A\", next = { \"b\", \"c\" } }, { \"b\", text = "
		"\"B\" },\n"
		"             { \"c\", text = \"Cæ\" } },\n"
		"  on = {\n"
		"    [\"started\"] = function(case, ev) if true then case:phase \"b\" end "
		"helper(case) end,\n"
		"    named = named,\n"
		"  },\n"
		"}\n";
	struct core_scan *s = core_scan_new(src, sizeof src - 1);
	assert_non_null(s);
	assert_true(s->found_workflow);
	assert_int_equal(s->workflow.line, 3);
	assert_int_equal(s->nphases, 3);
	assert_string_equal(s->phases[2].name, "c");
	assert_int_equal(s->phases[0].nnext, 2);
	assert_int_equal(s->phases[0].next_pos[1].line, 5);
	assert_int_equal(s->phases[0].next_pos[1].col, 47);
	assert_int_equal(s->nhandlers, 2);
	assert_int_equal(s->ncalls, 3);
	assert_int_equal(s->calls[0].handler, -1); /* helper */
	assert_int_equal(s->calls[0].nvia, 1);     /* the helper is called by 'started' */
	assert_string_equal(s->handlers[s->calls[0].via[0]].event, "started");
	assert_string_equal(s->handlers[s->calls[1].handler].event, "named"); /* by name */
	assert_string_equal(s->handlers[s->calls[2].handler].event, "started");
	core_scan_free(s);
}

static struct lwf_workflow *load(const char *src)
{
	char err[1024];
	struct lwf_workflow *wf = lwf_load("w.lua", src, strlen(src), NULL, err, sizeof err);
	if (wf == NULL)
		fail_msg("the workflow did not load: %s", err);
	return wf;
}

static const char example[] =
	"return workflow {\n"
	"  name = \"x\", version = 1, title = \"X \\\"quoted\\\"\", start = { age = 16 },\n"
	"  phases = { { \"a\", title = \"A\", text = \"A\", next = { \"b\" } },\n"
	"    { \"b\", title = \"B\", text = \"B\" }, { \"c\", text = \"C\" } },\n"
	"  on = {\n"
	"    started = function(case, ev)\n"
	"      case:assign_tovholder { department = \"dep\", reason = \"r\" }\n"
	"      case:timer { at = case.citizen.birthday(17), event = \"frist\" }\n"
	"      case:timer { after = 60, event = \"glemt\" }\n"
	"    end,\n"
	"    frist = function(case, ev) case:phase \"b\" end,\n"
	"    tick = function(case, ev) end,\n"
	"  },\n"
	"}\n";

static void test_the_checker_finds_and_places_what_is_wrong(void **state)
{
	(void)state;
	struct lwf_workflow *wf = load(example);
	const char *departments[] = {"other", NULL};
	struct core_check_input in = {example, sizeof example - 1, lwf_def(wf), NULL, departments};
	struct core_check out = {0};
	assert_int_equal(core_check_workflow(&in, &out), 0);
	core_check_sort(&out);
	assert_int_equal(out.errors, 2);
	assert_int_equal(out.warnings, 3);
	assert_int_equal(out.n, 5);
	assert_int_equal(out.findings[0].line, 4); /* c cannot be reached */
	assert_true(out.findings[0].warning);
	assert_int_equal(out.findings[1].line, 4); /* c has no title */
	assert_int_equal(out.findings[1].col, 41);
	assert_true(out.findings[1].warning);
	assert_string_equal(out.findings[1].text,
			    "phase 'c' has no title: add title = \"...\", its name as people read "
			    "it in the task list and the case");
	assert_int_equal(out.findings[2].line, 7); /* department */
	assert_string_equal(out.findings[2].text, "unknown department 'dep' (departments: other)");
	assert_int_equal(out.findings[3].line, 9); /* glemt has no handler */
	assert_int_equal(out.findings[3].col, 40);
	assert_false(out.findings[3].warning);
	assert_int_equal(out.findings[4].line, 12); /* nothing sends tick */
	assert_true(out.findings[4].warning);
	core_check_clear(&out);
	lwf_free(wf);
}

static void test_the_graph_marks_start_final_and_unreachable_phases(void **state)
{
	(void)state;
	struct lwf_workflow *wf = load(example);
	struct core_scan *s = core_scan_new(example, sizeof example - 1);
	char *dot = core_graph_dot(lwf_def(wf), s);
	assert_non_null(dot);
	assert_non_null(strstr(dot, "graph [label=\"X \\\"quoted\\\"\\nx version 1\""));
	assert_non_null(strstr(dot, "\"start node\" -> \"a\" [label=\"start at age 16\"];"));
	assert_non_null(strstr(dot, "\"b\" [shape=doublecircle, tooltip=\"B\"];"));
	assert_non_null(strstr(dot, "\"c\" [shape=doublecircle, style=dashed, tooltip=\"C\"];"));
	assert_non_null(strstr(dot, "\"a\" -> \"b\" [label=\"frist (at age 17)\"];"));
	free(dot);
	core_scan_free(s);
	lwf_free(wf);
}

static void test_the_definition_diff_names_each_change(void **state)
{
	(void)state;
	json_t *a = json_loads("{\"title\":\"T\",\"start\":{\"kind\":\"manual\"},"
			       "\"phases\":[{\"name\":\"a\",\"text\":\"A\",\"next\":[\"b\"]},"
			       "{\"name\":\"b\",\"text\":\"B\",\"next\":[]}],"
			       "\"handlers\":[\"started\",\"tick\"]}",
			       0, NULL);
	json_t *b = json_loads("{\"title\":\"T\",\"start\":{\"kind\":\"age\",\"age\":16,"
			       "\"attribute\":\"x\"},"
			       "\"phases\":[{\"name\":\"a\",\"text\":\"A2\",\"next\":[\"c\"]},"
			       "{\"name\":\"c\",\"text\":\"C\",\"next\":[]}],"
			       "\"handlers\":[\"migrated\",\"started\"]}",
			       0, NULL);
	json_t *d = core_definition_diff(a, b);
	assert_non_null(d);
	char *text = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(
		text,
		"{\"first_phase\":null,\"handlers_added\":[\"migrated\"],"
		"\"handlers_removed\":[\"tick\"],\"phases_added\":[\"c\"],"
		"\"phases_removed\":[\"b\"],\"start\":{\"from\":\"by hand\",\"to\":\"at age 16 "
		"if x\"},\"texts_changed\":[{\"from\":\"A\",\"phase\":\"a\",\"to\":\"A2\"}],"
		"\"title\":null,\"transitions_added\":[[\"a\",\"c\"]],"
		"\"transitions_removed\":[[\"a\",\"b\"]]}");
	free(text);
	json_decref(d);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadlines_written_literally_are_read),
		cmocka_unit_test(test_strings_comments_and_long_brackets_are_tokens_not_code),
		cmocka_unit_test(test_calls_belong_to_the_handler_they_are_written_in),
		cmocka_unit_test(test_the_checker_finds_and_places_what_is_wrong),
		cmocka_unit_test(test_the_graph_marks_start_final_and_unreachable_phases),
		cmocka_unit_test(test_the_definition_diff_names_each_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
