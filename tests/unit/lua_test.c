/* Workflows in Lua: the definition, the sandbox and its budgets, every command, the dates,
 * print and the conversion between Lua and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lua/workflow.h"

/* 2026-11-23 10:00:00 UTC, a Monday. */
#define NOW 1795428000

static char err[8192];

/* The first line of the workflow below is line 1; BODY starts on line 11. Handler "ok" (line
 * 9) is what every sandbox test runs after its error, to show the workflow still works. */
#define BODY_LINE 11
static char *source_with(const char *body)
{
	static const char head[] =
		"return workflow {\n"
		"  name = \"barn-til-voksen\", version = 4,\n"
		"  title = \"Overgang fra barn til voksen\",\n"
		"  phases = {\n"
		"    { \"afdaekning\", next = { \"planlaegning\" }, text = \"A\" },\n"
		"    { \"planlaegning\", next = { \"afdaekning\" }, text = \"P\" },\n"
		"  },\n"
		"  on = {\n"
		"    ok = function(case, ev) case:set(\"ok\", true) end,\n"
		"    go = function(case, ev)\n";
	static const char tail[] = "\n    end,\n  },\n}\n";
	size_t len = strlen(head) + strlen(body) + strlen(tail) + 1;
	char *s = malloc(len);
	assert_non_null(s);
	snprintf(s, len, "%s%s%s", head, body, tail);
	return s;
}

static struct lwf_workflow *load_with_budget(const char *src, size_t memory, int64_t instructions)
{
	struct lwf_budget budget = {.memory_bytes = memory, .instructions = instructions};
	err[0] = '\0';
	return lwf_load("barn.lua", src, strlen(src), &budget, err, sizeof err);
}

static struct lwf_workflow *load(const char *src) { return load_with_budget(src, 0, 0); }

static struct lwf_workflow *load_ok(const char *src)
{
	struct lwf_workflow *wf = load(src);
	if (wf == NULL)
		fail_msg("the workflow did not load: %s", err);
	return wf;
}

static struct lwf_workflow *load_handler(const char *body)
{
	char *src = source_with(body);
	struct lwf_workflow *wf = load_ok(src);
	free(src);
	return wf;
}

static void expect_load_error(const char *src, const char *message)
{
	struct lwf_workflow *wf = load(src);
	if (wf != NULL) {
		lwf_free(wf);
		fail_msg("expected \"%s\", but the file loaded", message);
	}
	if (strcmp(err, message) != 0)
		fail_msg("expected \"%s\", got \"%s\"", message, err);
}

/* A definition with one line changed: %s stands for the phases. */
static void expect_definition_error(const char *fields, const char *message)
{
	char src[2048];
	snprintf(src, sizeof src, "return workflow {\n%s\n}\n", fields);
	expect_load_error(src, message);
}

struct fixture {
	json_t *state, *attributes, *payload;
	struct lwf_case_view c;
	struct lwf_event_view ev;
};

static void fixture_init(struct fixture *f, const char *type)
{
	f->state = json_pack("{s:s, s:i, s:n}", "note", "hej", "count", 2, "gone");
	f->attributes = json_pack("{s:b, s:b}", "funktionsnedsaettelse", 1, "stu", 0);
	f->payload = json_pack("{s:s, s:[i,i]}", "school", "Nordskolen", "grades", 7, 10);
	assert_non_null(f->state);
	assert_non_null(f->attributes);
	assert_non_null(f->payload);
	f->c = (struct lwf_case_view){
		.id = 42,
		.phase = "afdaekning",
		.state = f->state,
		.tovholder = "s-17",
		.tovholder_department = "born-familie",
		.citizen_id = 7,
		.birth_date = "2010-03-15",
		.attributes = f->attributes,
		.now = NOW,
	};
	f->ev = (struct lwf_event_view){
		.id = 9, .type = type, .payload = f->payload, .at = NOW - 60};
}

static void fixture_free(struct fixture *f)
{
	json_decref(f->state);
	json_decref(f->attributes);
	json_decref(f->payload);
}

/* Runs handler TYPE. Returns lwf_run's result; *OUT gets the commands as compact JSON with
 * sorted keys (the caller frees it) when it succeeds. */
static int run_type(struct lwf_workflow *wf, const char *type, char **out, json_t **trace)
{
	struct fixture f;
	fixture_init(&f, type);
	json_t *commands = NULL;
	err[0] = '\0';
	int rc = lwf_run(wf, &f.c, &f.ev, &commands, trace, err, sizeof err);
	if (rc == 0) {
		assert_non_null(commands);
		*out = json_dumps(commands, JSON_SORT_KEYS | JSON_COMPACT);
		assert_non_null(*out);
	} else {
		assert_null(commands);
		*out = NULL;
	}
	json_decref(commands);
	fixture_free(&f);
	return rc;
}

static void assert_the_ok_handler_runs(struct lwf_workflow *wf)
{
	char *out;
	if (run_type(wf, "ok", &out, NULL) != 0)
		fail_msg("the ok handler failed afterwards: %s", err);
	assert_string_equal(out, "[{\"cmd\":\"set\",\"key\":\"ok\",\"line\":9,\"value\":true}]");
	free(out);
}

static void expect_commands(const char *body, const char *json)
{
	struct lwf_workflow *wf = load_handler(body);
	char *out;
	if (run_type(wf, "go", &out, NULL) != 0)
		fail_msg("the handler failed: %s", err);
	if (strcmp(out, json) != 0)
		fail_msg("expected %s\n     got %s", json, out);
	free(out);
	lwf_free(wf);
}

static void assert_first_line(const char *message)
{
	size_t n = strcspn(err, "\n");
	if (strlen(message) != n || strncmp(err, message, n) != 0)
		fail_msg("expected \"%s\", got \"%s\"", message, err);
}

/* The handler fails with MESSAGE (the first line of the error) and a traceback, and the same
 * workflow then runs another handler correctly. */
static void expect_run_error_in(struct lwf_workflow *wf, const char *message)
{
	char *out;
	if (run_type(wf, "go", &out, NULL) == 0) {
		fail_msg("expected \"%s\", but the handler gave %s", message, out);
	}
	assert_first_line(message);
	if (strstr(err, "\nstack traceback:\n\t") == NULL)
		fail_msg("no traceback in \"%s\"", err);
	assert_the_ok_handler_runs(wf);
}

static void expect_run_error(const char *body, const char *message)
{
	struct lwf_workflow *wf = load_handler(body);
	expect_run_error_in(wf, message);
	lwf_free(wf);
}

/* The definition. */

static void test_the_definition_is_read(void **state)
{
	struct lwf_workflow *wf = load_ok(
		"-- barn-til-voksen\n"
		"\n"
		"return workflow {\n"
		"  name = \"barn-til-voksen\", version = 4,\n"
		"  title = \"Overgang fra barn til voksen\",\n"
		"  phases = {\n"
		"    { \"afdaekning\", next = { \"planlaegning\" }, text = \"Vi er begyndt\" },\n"
		"    { \"planlaegning\", next = { \"afgoerelse\", \"afdaekning\" }, text = "
		"\"Plan\" },\n"
		"    { \"afgoerelse\", text = \"Afgørelse\" },\n"
		"  },\n"
		"  on = {\n"
		"    started = function(case, ev) end,\n"
		"    handover_accepted = function(case, ev) case:phase \"afgoerelse\" end,\n"
		"  },\n"
		"}\n");
	const struct lwf_def *def = lwf_def(wf);
	assert_string_equal(def->name, "barn-til-voksen");
	assert_int_equal(def->version, 4);
	assert_string_equal(def->title, "Overgang fra barn til voksen");
	assert_int_equal(def->line, 3);
	assert_int_equal(def->start_kind, LWF_START_MANUAL);
	assert_int_equal(def->nphases, 3);
	assert_string_equal(def->phases[0].name, "afdaekning");
	assert_string_equal(def->phases[0].text, "Vi er begyndt");
	assert_int_equal(def->phases[0].nnext, 1);
	assert_string_equal(def->phases[0].next[0], "planlaegning");
	assert_int_equal(def->phases[1].nnext, 2);
	assert_string_equal(def->phases[1].next[0], "afgoerelse");
	assert_string_equal(def->phases[1].next[1], "afdaekning");
	assert_string_equal(def->phases[2].text, "Afgørelse");
	assert_int_equal(def->phases[2].nnext, 0);
	assert_int_equal(def->nhandlers, 2);
	assert_string_equal(def->handlers[0], "handover_accepted");
	assert_string_equal(def->handlers[1], "started");
	assert_int_equal(lwf_phase_index(def, "afgoerelse"), 2);
	assert_int_equal(lwf_phase_index(def, "overdraget"), -1);
	lwf_free(wf);
}

static const char minimal[] = "  name = \"x\", version = 1, title = \"X\",\n"
			      "  phases = { { \"a\", text = \"A\" } },\n";

static struct lwf_workflow *load_start(const char *start)
{
	char src[1024];
	snprintf(src, sizeof src, "return workflow {\n%s  start = %s,\n}\n", minimal, start);
	return load_ok(src);
}

static void test_a_start_by_age_with_an_attribute_is_read(void **state)
{
	struct lwf_workflow *wf = load_start("{ age = 16, when = \"funktionsnedsaettelse\" }");
	assert_int_equal(lwf_def(wf)->start_kind, LWF_START_AGE);
	assert_int_equal(lwf_def(wf)->start_age, 16);
	assert_string_equal(lwf_def(wf)->start_attribute, "funktionsnedsaettelse");
	lwf_free(wf);
}

static void test_a_start_by_age_alone_is_read(void **state)
{
	struct lwf_workflow *wf = load_start("{ age = 0 }");
	assert_int_equal(lwf_def(wf)->start_kind, LWF_START_AGE);
	assert_int_equal(lwf_def(wf)->start_age, 0);
	assert_null(lwf_def(wf)->start_attribute);
	lwf_free(wf);
}

static void test_a_start_by_event_is_read(void **state)
{
	struct lwf_workflow *wf = load_start("{ event = \"stu_started\" }");
	assert_int_equal(lwf_def(wf)->start_kind, LWF_START_EVENT);
	assert_string_equal(lwf_def(wf)->start_event, "stu_started");
	lwf_free(wf);
}

static void test_a_start_by_age_or_event_is_read(void **state)
{
	struct lwf_workflow *wf = load_start("{ age = 16, when = \"stu\", event = \"kui\" }");
	assert_int_equal(lwf_def(wf)->start_kind, LWF_START_AGE);
	assert_int_equal(lwf_def(wf)->start_age, 16);
	assert_string_equal(lwf_def(wf)->start_attribute, "stu");
	assert_string_equal(lwf_def(wf)->start_event, "kui");
	lwf_free(wf);
}

static void test_a_manual_start_is_read(void **state)
{
	struct lwf_workflow *wf = load_start("\"manual\"");
	assert_int_equal(lwf_def(wf)->start_kind, LWF_START_MANUAL);
	lwf_free(wf);
}

static void test_a_workflow_without_handlers_loads(void **state)
{
	char src[512];
	snprintf(src, sizeof src, "return workflow {\n%s}\n", minimal);
	struct lwf_workflow *wf = load_ok(src);
	assert_int_equal(lwf_def(wf)->nhandlers, 0);
	lwf_free(wf);
}

static void test_phase_names_may_have_danish_letters(void **state)
{
	struct lwf_workflow *wf = load_ok(
		"return workflow { name = \"x\", version = 1, title = \"X\",\n"
		"  phases = { { \"afdækning\", next = { \"planlægning\" }, text = \"A\" },\n"
		"             { \"planlægning\", text = \"P\" } } }\n");
	assert_string_equal(lwf_def(wf)->phases[0].name, "afdækning");
	assert_string_equal(lwf_def(wf)->phases[0].next[0], "planlægning");
	lwf_free(wf);
}

static void test_a_name_with_capitals_is_refused(void **state)
{
	expect_definition_error("  name = \"Barn\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } },",
				"barn.lua:1: 'name' must be lowercase letters a-z, digits and '-', "
				"such as \"barn-til-voksen\", not 'Barn'");
}

static void test_a_name_starting_with_a_dash_is_refused(void **state)
{
	expect_definition_error("  name = \"-x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } },",
				"barn.lua:1: 'name' must be lowercase letters a-z, digits and '-', "
				"such as \"barn-til-voksen\", not '-x'");
}

static void test_a_missing_name_is_refused(void **state)
{
	expect_definition_error(
		"  version = 1, title = \"X\", phases = { { \"a\", text = \"A\" } },",
		"barn.lua:1: 'name' is required: lowercase letters, digits and '-', "
		"such as \"barn-til-voksen\"");
}

static void test_a_version_below_one_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 0, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } },",
				"barn.lua:1: 'version' must be a whole number from 1 up");
}

static void test_a_fractional_version_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1.5, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } },",
				"barn.lua:1: 'version' must be a whole number from 1 up");
}

static void test_a_missing_title_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"\",\n"
				"  phases = { { \"a\", text = \"A\" } },",
				"barn.lua:1: 'title' is required: the workflow's name as people "
				"read it");
}

static void test_empty_phases_are_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\", phases = {},",
				"barn.lua:1: 'phases' must be a non-empty list of phases: phases = "
				"{ { \"name\", title = \"...\", text = \"...\", next = { ... } }, "
				"... }");
}

static void test_phases_that_are_not_a_list_are_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { a = { \"a\", text = \"A\" } },",
				"barn.lua:1: 'phases' must be a non-empty list of phases: phases = "
				"{ { \"name\", title = \"...\", text = \"...\", next = { ... } }, "
				"... }");
}

static void test_a_phase_without_a_name_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { text = \"A\" } },",
				"barn.lua:1: phases[1]: the first entry must be the phase's name, "
				"one word such as \"afdaekning\"");
}

static void test_a_phase_name_with_a_space_is_refused(void **state)
{
	expect_definition_error(
		"  name = \"x\", version = 1, title = \"X\",\n"
		"  phases = { { \"a\", text = \"A\" }, { \"b c\", text = \"B\" } },",
		"barn.lua:1: phases[2]: the first entry must be the phase's name, "
		"one word such as \"afdaekning\"");
}

static void test_a_phase_without_text_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"afdaekning\" } },",
				"barn.lua:1: phase 'afdaekning': 'text' is required: what the "
				"citizen reads in this phase");
}

static void test_a_misspelt_phase_key_is_refused(void **state)
{
	expect_load_error(
		"-- a comment\n"
		"\n"
		"return workflow {\n"
		"  name = \"x\", version = 1, title = \"X\",\n"
		"  phases = { { \"afdaekning\", nxt = { \"afdaekning\" }, text = \"A\" } },\n"
		"}\n",
		"barn.lua:3: phase 'afdaekning': unknown key 'nxt'");
}

/* Phase titles and task declarations (what people enter when they complete a task). */
#define DEF_HEAD                                        \
	"  name = \"x\", version = 1, title = \"X\",\n" \
	"  phases = { { \"afdaekning\", title = \"Afdækning\", text = \"A\" } },\n"

static void test_phase_titles_and_task_outcomes_are_read(void **state)
{
	(void)state;
	struct lwf_workflow *wf =
		load_ok("return workflow {\n" DEF_HEAD "  tasks = {\n"
			"    samtale = { title = \"Samtale\", outcome = {\n"
			"      { name = \"maal\", label = \"Mål\", type = \"textarea\", required = "
			"true },\n"
			"      { name = \"niveau\", label = \"Niveau\", type = \"select\",\n"
			"        instrument = \"ffb-stoettebehov\", hint = \"FFB\" },\n"
			"      { name = \"svar\", label = \"Svar\", type = \"select\",\n"
			"        options = { \"ja\", { \"nej\", \"Nej tak\" } } },\n"
			"    } },\n"
			"    ppr = { outcome = { { name = \"dato\", label = \"Dato\", type = "
			"\"date\" } } },\n"
			"    plan = {},\n"
			"  },\n"
			"}\n");
	const struct lwf_def *def = lwf_def(wf);
	assert_string_equal(def->phases[0].title, "Afdækning");
	char *got = json_dumps(def->tasks, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
		got,
		"{\"plan\":{\"outcome\":[]},"
		"\"ppr\":{\"outcome\":[{\"label\":\"Dato\",\"name\":\"dato\",\"required\":false,"
		"\"type\":\"date\"}]},"
		"\"samtale\":{\"outcome\":[{\"label\":\"Mål\",\"name\":\"maal\",\"required\":true,"
		"\"type\":\"textarea\"},"
		"{\"hint\":\"FFB\",\"instrument\":\"ffb-stoettebehov\",\"label\":\"Niveau\","
		"\"name\":\"niveau\",\"required\":false,\"type\":\"select\"},"
		"{\"label\":\"Svar\",\"name\":\"svar\",\"options\":[{\"label\":\"ja\",\"value\":"
		"\"ja\"},{\"label\":\"Nej tak\",\"value\":\"nej\"}],\"required\":false,\"type\":"
		"\"select\"}],\"title\":\"Samtale\"}}");
	free(got);
	lwf_free(wf);
}

static void test_a_phase_without_a_title_loads(void **state)
{
	(void)state;
	struct lwf_workflow *wf = load_handler("");
	assert_null(lwf_def(wf)->phases[0].title);
	assert_int_equal(json_object_size(lwf_def(wf)->tasks), 0);
	lwf_free(wf);
}

static void test_a_bad_task_declaration_is_refused(void **state)
{
	(void)state;
	expect_definition_error(
		DEF_HEAD "  tasks = { samtale = { outcome = { { name = \"maal\", label = \"Mål\", "
			 "type = \"dropdown\" } } } },",
		"barn.lua:1: task 'samtale': outcome[1]: field 'maal': 'type' must be text, "
		"textarea, select, checkbox, number or date, not 'dropdown'");
	expect_definition_error(
		DEF_HEAD "  tasks = { samtale = { outcome = { { name = \"svar\", label = \"Svar\", "
			 "type = \"select\" } } } },",
		"barn.lua:1: task 'samtale': outcome[1]: field 'svar': a select needs its choices: "
		"options = { \"value\", ... } or instrument = \"name\" (the instrument registry's "
		"values)");
	expect_definition_error(
		DEF_HEAD "  tasks = { samtale = { outcome = { { name = \"svar\", label = \"Svar\", "
			 "type = \"text\", options = { \"a\" } } } } },",
		"barn.lua:1: task 'samtale': outcome[1]: field 'svar': 'options' belong to a "
		"select; this field is a text");
	expect_definition_error(
		DEF_HEAD "  tasks = { samtale = { outcome = { { name = \"Mål\", label = \"Mål\", "
			 "type = \"text\" } } } },",
		"barn.lua:1: task 'samtale': outcome[1]: 'name' is required: what the handler "
		"reads as ev.payload.outcome.NAME, lowercase letters, digits and '_', such as "
		"\"maal\"");
	expect_definition_error(
		DEF_HEAD
		"  tasks = { samtale = { outcome = { { name = \"a\", label = \"A\", "
		"type = \"text\" }, { name = \"a\", label = \"B\", type = \"date\" } } } },",
		"barn.lua:1: task 'samtale': field 'a' is declared twice");
	expect_definition_error(
		DEF_HEAD "  tasks = { samtale = { outcome = { { name = \"a\", label = \"A\", "
			 "type = \"text\", requird = true } } } },",
		"barn.lua:1: task 'samtale': outcome[1]: unknown key 'requird'");
	expect_definition_error(DEF_HEAD "  tasks = { samtale = { udfald = {} } },",
				"barn.lua:1: task 'samtale': unknown key 'udfald'");
	expect_definition_error(
		"  name = \"x\", version = 1, title = \"X\",\n"
		"  phases = { { \"afdaekning\", title = \"\", text = \"A\" } },",
		"barn.lua:1: phase 'afdaekning': 'title' must be the phase's name as people read "
		"it, such as \"Afdækning\"");
	expect_definition_error(
		"  name = \"x\", version = 1, title = \"X\",\n"
		"  phases = { { \"afdaekning\", text = \"A\", announce = \"nej\" } },",
		"barn.lua:1: phase 'afdaekning': 'announce' must be true or false: false leaves "
		"the "
		"phase out of what the citizen's plan says may come next");
}

static void test_a_second_entry_in_a_phase_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", \"b\", text = \"A\" } },",
				"barn.lua:1: phase 'a': unexpected entry [2]");
}

static void test_a_phase_defined_twice_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" }, { \"a\", text = \"B\" } },",
				"barn.lua:1: phase 'a' is defined twice");
}

static void test_a_next_phase_that_does_not_exist_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", next = { \"b\" }, text = \"A\" } },",
				"barn.lua:1: phase 'a': next phase 'b' is not a phase of this "
				"workflow");
}

static void test_next_that_is_not_a_list_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", next = \"a\", text = \"A\" } },",
				"barn.lua:1: phase 'a': 'next' must be a list of phase names");
}

static void test_a_misspelt_definition_key_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\", titel = \"Y\",\n"
				"  phases = { { \"a\", text = \"A\" } },",
				"barn.lua:1: unknown key 'titel'");
}

static void test_a_handler_that_is_not_a_function_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } },\n"
				"  on = { started = true },",
				"barn.lua:1: on: the handler for 'started' must be a "
				"function(case, ev), not a boolean");
}

static void test_a_start_age_over_120_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } }, start = { age = 121 },",
				"barn.lua:1: start: 'age' must be a whole number from 0 to 120");
}

static void test_a_start_with_when_and_event_but_no_age_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } }, start = { when = \"stu\", "
				"event = \"e\" },",
				"barn.lua:1: start: 'when' needs 'age': give 'age' (and 'when'), "
				"'event' or both, or "
				"write start = \"manual\"");
}

static void test_a_start_with_a_misspelt_key_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } }, start = { age = 16, wen = "
				"\"x\" },",
				"barn.lua:1: start: unknown key 'wen'");
}

static void test_an_unknown_start_word_is_refused(void **state)
{
	expect_definition_error("  name = \"x\", version = 1, title = \"X\",\n"
				"  phases = { { \"a\", text = \"A\" } }, start = \"auto\",",
				"barn.lua:1: start must be \"manual\", { age = N, when = "
				"\"attribute\" }, { event = \"type\" } or both: { age = N, when = "
				"\"attribute\", event = \"type\" }, not 'auto'");
}

static void test_a_file_that_does_not_return_the_workflow_is_refused(void **state)
{
	char src[512];
	snprintf(src, sizeof src, "local w = workflow {\n%s}\n", minimal);
	expect_load_error(src, "barn.lua: the file must end with `return workflow { ... }`");
}

static void test_a_file_returning_a_plain_table_is_refused(void **state)
{
	char src[512];
	snprintf(src, sizeof src, "return {\n%s}\n", minimal);
	expect_load_error(src, "barn.lua: the file must end with `return workflow { ... }`");
}

static void test_workflow_called_twice_is_refused(void **state)
{
	char src[1024];
	snprintf(src, sizeof src, "workflow {\n%s}\nreturn workflow {\n%s}\n", minimal, minimal);
	expect_load_error(src, "barn.lua:5: workflow { ... } is called twice (first on line 1)");
}

static void test_a_syntax_error_names_file_and_line(void **state)
{
	expect_load_error("return workflow {\n  name = \"x\"\n  version = 1 }\n",
			  "barn.lua:3: '}' expected (to close '{' at line 1) near 'version'");
}

static void test_a_runtime_error_at_load_names_file_and_line(void **state)
{
	expect_load_error("local t = nil\n\nreturn t.x\n",
			  "barn.lua:3: attempt to index a nil value (local 't')");
}

static void test_a_precompiled_chunk_is_refused(void **state)
{
	expect_load_error("\x1bLua\x54\x00",
			  "barn.lua: attempt to load a binary chunk (mode is 't')");
}

static void test_workflow_cannot_be_called_from_a_handler(void **state)
{
	expect_run_error(
		"workflow {}",
		"barn.lua:11: workflow { ... } belongs at the top level of a workflow file");
}

/* The sandbox. */

static const char no_io[] = "is not available in a workflow (no I/O: ask for side effects "
			    "with case:outbox)";

static void expect_unavailable(const char *body, const char *name)
{
	char message[256];
	snprintf(message, sizeof message, "barn.lua:11: '%s' %s", name, no_io);
	expect_run_error(body, message);
}

static void test_os_execute_is_refused_with_a_clear_error(void **state)
{
	expect_unavailable("os.execute(\"rm -rf /\")", "os");
}

static void test_io_open_is_refused_with_a_clear_error(void **state)
{
	expect_unavailable("io.open(\"/etc/passwd\")", "io");
}

static void test_require_is_refused_with_a_clear_error(void **state)
{
	expect_unavailable("require(\"socket\")", "require");
}

static void test_load_is_refused_with_a_clear_error(void **state)
{
	expect_unavailable("load(\"return 1\")()", "load");
}

static void test_debug_getinfo_is_refused_with_a_clear_error(void **state)
{
	expect_unavailable("debug.getinfo(1)", "debug");
}

static void test_dofile_is_refused_with_a_clear_error(void **state)
{
	expect_unavailable("dofile(\"/etc/passwd\")", "dofile");
}

static void test_loadfile_package_collectgarbage_and_coroutine_are_refused(void **state)
{
	expect_unavailable("loadfile(\"x.lua\")", "loadfile");
	expect_unavailable("package.loaded.os.exit()", "package");
	expect_unavailable("collectgarbage()", "collectgarbage");
	expect_unavailable("coroutine.wrap(function() end)()", "coroutine");
}

static void test_an_unavailable_library_is_refused_at_load_too(void **state)
{
	expect_load_error("os.exit(1)\n", "barn.lua:1: 'os' is not available in a workflow (no "
					  "I/O: ask for side effects with case:outbox)");
}

static void test_writing_a_global_is_refused(void **state)
{
	expect_run_error("x = 1", "barn.lua:11: assignment to undeclared global 'x' (use local)");
}

static void test_writing_an_existing_global_is_refused(void **state)
{
	expect_run_error("print = nil",
			 "barn.lua:11: assignment to global 'print' is not allowed (use local)");
}

static void test_writing_a_global_while_loading_is_refused(void **state)
{
	expect_load_error("\nhelper = function() end\n",
			  "barn.lua:2: assignment to undeclared global 'helper' (use local)");
}

static void test_reading_an_undeclared_global_is_refused(void **state)
{
	expect_run_error("local n = tabel.concat({})", "barn.lua:11: undeclared global 'tabel'");
}

static void test_the_sandbox_globals_are_exactly_the_documented_ones(void **state)
{
	expect_commands(
		"local names = {}\n"
		"for _, n in ipairs { 'assert', 'error', 'ipairs', 'next', 'pairs', "
		"'pcall',\n"
		"    'rawequal', 'rawget', 'rawlen', 'rawset', 'select', 'setmetatable',\n"
		"    'getmetatable', 'tonumber', 'tostring', 'type', 'xpcall', 'print',\n"
		"    'string', 'table', 'math', 'utf8', 'workflow', 'date' } do\n"
		"  names[#names + 1] = type(_ENV[n])\n"
		"end\n"
		"local missing = 0\n"
		"for _, n in ipairs { '_G', '_VERSION', 'warn', 'loadstring', 'unpack' } do\n"
		"  if not pcall(function() return _ENV[n] end) then missing = missing + 1 "
		"end\n"
		"end\n"
		"case:set('present', table.concat(names, ' '))\n"
		"case:set('missing', missing)",
		"[{\"cmd\":\"set\",\"key\":\"present\",\"line\":22,\"value\":\"function "
		"function function function function function function function function "
		"function function function function function function function function "
		"function table table table table function table\"},"
		"{\"cmd\":\"set\",\"key\":\"missing\",\"line\":23,\"value\":5}]");
}

static void test_string_dump_is_not_available(void **state)
{
	expect_run_error("local f = string.dump(function() end)",
			 "barn.lua:11: 'string.dump' is not available in a workflow");
}

static void test_string_methods_use_the_safe_string_table(void **state)
{
	expect_commands("case:set('rep', ('ab'):rep(3))\n"
			"case:set('dump', (pcall(function() return ('x').dump end)))\n"
			"case:set('mt', getmetatable(''))",
			"[{\"cmd\":\"set\",\"key\":\"rep\",\"line\":11,\"value\":\"ababab\"},"
			"{\"cmd\":\"set\",\"key\":\"dump\",\"line\":12,\"value\":false},"
			"{\"cmd\":\"set\",\"key\":\"mt\",\"line\":13,\"value\":false}]");
}

static void test_math_random_is_not_available(void **state)
{
	expect_run_error("local n = math.random(6)",
			 "barn.lua:11: 'math.random' is not available in a workflow (a handler "
			 "gives the same commands for the same case and event)");
}

static void test_an_infinite_loop_runs_out_of_instructions(void **state)
{
	expect_run_error("while true do end",
			 "barn.lua:11: instruction budget exceeded (10000000 instructions): the "
			 "handler loops or does too much work");
}

static void test_a_pcall_wrapped_infinite_loop_still_runs_out_of_instructions(void **state)
{
	struct lwf_workflow *wf =
		load_handler("while true do pcall(function() while true do end end) end");
	char *out;
	assert_int_equal(run_type(wf, "go", &out, NULL), -1);
	assert_non_null(strstr(err, "instruction budget exceeded (10000000 instructions): the "
				    "handler loops or does too much work"));
	assert_non_null(strstr(err, "\nstack traceback:\n\t"));
	assert_the_ok_handler_runs(wf);
	lwf_free(wf);
}

static void test_an_xpcall_wrapped_infinite_loop_still_runs_out_of_instructions(void **state)
{
	struct lwf_workflow *wf =
		load_handler("local n = 0\n"
			     "while true do\n"
			     "  xpcall(function() while true do end end, function(e) n = n + 1 "
			     "return e end)\n"
			     "end");
	char *out;
	assert_int_equal(run_type(wf, "go", &out, NULL), -1);
	assert_non_null(strstr(err, "instruction budget exceeded"));
	assert_the_ok_handler_runs(wf);
	lwf_free(wf);
}

static void test_the_instruction_budget_is_per_call(void **state)
{
	char *src = source_with("for i = 1, 2000 do end");
	struct lwf_workflow *wf = load_with_budget(src, 0, 20000);
	free(src);
	assert_non_null(wf);
	for (int i = 0; i < 50; i++) {
		char *out;
		if (run_type(wf, "go", &out, NULL) != 0)
			fail_msg("call %d: %s", i, err);
		free(out);
	}
	lwf_free(wf);
}

static void test_unbounded_allocation_runs_out_of_memory(void **state)
{
	char *src = source_with("local t = {} while true do t[#t+1] = string.rep(\"x\", 1000) .. "
				"#t end");
	struct lwf_workflow *wf = load_with_budget(src, 8 << 20, 0);
	free(src);
	assert_non_null(wf);
	expect_run_error_in(wf, "barn.lua:11: memory budget exceeded (8388608 bytes)");
	/* And again: the garbage of the failed call was collected. */
	expect_run_error_in(wf, "barn.lua:11: memory budget exceeded (8388608 bytes)");
	lwf_free(wf);
}

static void test_a_memory_error_caught_by_pcall_leaves_the_handler_running(void **state)
{
	char *src =
		source_with("local ok = pcall(function()\n"
			    "  local t = {} while true do t[#t+1] = string.rep('x', 1000) .. #t "
			    "end\n"
			    "end)\n"
			    "case:set('ok', ok)");
	struct lwf_workflow *wf = load_with_budget(src, 8 << 20, 0);
	free(src);
	assert_non_null(wf);
	char *out;
	if (run_type(wf, "go", &out, NULL) != 0)
		fail_msg("%s", err);
	assert_string_equal(out, "[{\"cmd\":\"set\",\"key\":\"ok\",\"line\":14,\"value\":false}]");
	free(out);
	lwf_free(wf);
}

static void test_work_done_in_c_counts_against_the_instruction_budget(void **state)
{
	/* Each call is one instruction but copies a megabyte. */
	char *src = source_with("local s = string.rep('x', 1000000)\n"
				"while true do local u = s:upper() end");
	struct lwf_workflow *wf = load_with_budget(src, 0, 1000000);
	free(src);
	assert_non_null(wf);
	expect_run_error_in(wf, "barn.lua:12: instruction budget exceeded (1000000 "
				"instructions): the handler loops or does too much work");
	lwf_free(wf);
}

static void test_a_file_that_loops_forever_fails_to_load(void **state)
{
	expect_load_error("local n = 0\nwhile true do n = n + 1 end\n",
			  "barn.lua:2: instruction budget exceeded (10000000 instructions): the "
			  "handler loops or does too much work");
}

static void test_a_file_that_allocates_without_bound_fails_to_load(void **state)
{
	const char *src = "local t = {}\nwhile true do t[#t+1] = {} end\n";
	struct lwf_workflow *wf = load_with_budget(src, 4 << 20, 0);
	assert_null(wf);
	assert_string_equal(err, "barn.lua:2: memory budget exceeded (4194304 bytes)");
}

static void test_a_huge_string_rep_is_refused(void **state)
{
	expect_run_error("local s = string.rep('x', 1048577)",
			 "barn.lua:11: string.rep: result of 1048577 bytes is over the 1 MiB "
			 "limit");
}

static void test_a_string_rep_with_a_separator_counts_the_separators(void **state)
{
	expect_run_error("local s = ('x'):rep(600000, ',')",
			 "barn.lua:11: string.rep: result of 1199999 bytes is over the 1 MiB "
			 "limit");
}

static void test_a_catastrophic_pattern_is_refused_quickly(void **state)
{
	clock_t start = clock();
	expect_run_error("local s = string.rep('a', 5000)\n"
			 "local i = string.find(s, '.-.-.-.-b')",
			 "barn.lua:12: string.find: pattern too complex for a subject of 5000 "
			 "bytes");
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
}

static void test_catastrophic_gsub_match_and_gmatch_are_refused(void **state)
{
	expect_run_error("local s = ('a'):rep(400) local r = s:gsub('a*a*a*b', '')",
			 "barn.lua:11: string.gsub: pattern too complex for a subject of 400 "
			 "bytes");
	expect_run_error("local s = ('a'):rep(400) local r = s:match('a-a-a-b')",
			 "barn.lua:11: string.match: pattern too complex for a subject of 400 "
			 "bytes");
	expect_run_error("local s = ('a'):rep(400) for w in s:gmatch('%a+.*.-x') do end",
			 "barn.lua:11: string.gmatch: pattern too complex for a subject of 400 "
			 "bytes");
}

static void test_ordinary_patterns_work(void **state)
{
	expect_commands("local y, m, d = string.match('2026-11-23', '(%d+)-(%d+)-(%d+)')\n"
			"case:set('ymd', { y, m, d })\n"
			"case:set('words', select(2, ('en to tre'):gsub('%a+', '%0')))\n"
			"case:set('set', (('a-b]c'):find('[%]-]')))",
			"[{\"cmd\":\"set\",\"key\":\"ymd\",\"line\":12,\"value\":[\"2026\",\"11\","
			"\"23\"]},"
			"{\"cmd\":\"set\",\"key\":\"words\",\"line\":13,\"value\":3},"
			"{\"cmd\":\"set\",\"key\":\"set\",\"line\":14,\"value\":2}]");
}

static void test_a_plain_find_has_only_the_size_bound(void **state)
{
	expect_commands("local s = string.rep('.-', 500000)\n"
			"case:set('at', ((s .. 'b'):find('.-.-b', 1, true)))",
			"[{\"cmd\":\"set\",\"key\":\"at\",\"line\":12,\"value\":999997}]");
}

static void test_a_subject_over_1_mib_is_refused(void **state)
{
	expect_run_error("local s = string.rep('x', 1048576) .. 'y'\n"
			 "local i = s:find('y', 1, true)",
			 "barn.lua:12: string.find: subject of 1048577 bytes is over the 1 MiB "
			 "limit");
}

static void test_setmetatable_with_gc_is_refused(void **state)
{
	expect_run_error("local t = setmetatable({}, { __gc = function() end })",
			 "barn.lua:11: setmetatable: a metatable with __gc is not allowed in a "
			 "workflow");
}

static void test_setmetatable_without_gc_works(void **state)
{
	expect_commands("local t = setmetatable({}, { __index = function(_, k) return k .. '!' "
			"end })\n"
			"case:set('v', t.hej)",
			"[{\"cmd\":\"set\",\"key\":\"v\",\"line\":12,\"value\":\"hej!\"}]");
}

static void test_table_move_over_a_huge_range_is_refused(void **state)
{
	expect_run_error("table.move({}, 1, math.maxinteger - 1, 2)",
			 "barn.lua:11: table.move: 9223372036854775808 elements is over the "
			 "limit of 16777216");
}

static void test_table_insert_with_a_lying_length_is_refused(void **state)
{
	expect_run_error("local t = setmetatable({}, { __len = function() return 1 << 40 end })\n"
			 "table.insert(t, 1, 'x')",
			 "barn.lua:12: table.insert: 1099511627776 elements is over the limit of "
			 "16777216");
}

static void test_a_handler_error_has_the_line_and_a_traceback(void **state)
{
	struct lwf_workflow *wf = load_handler("local t = {}\n"
					       "local function f() return t.x.y end\n"
					       "f()");
	char *out;
	assert_int_equal(run_type(wf, "go", &out, NULL), -1);
	assert_first_line("barn.lua:12: attempt to index a nil value (field 'x')");
	assert_non_null(strstr(err, "\nstack traceback:\n\tbarn.lua:12: in "));
	assert_non_null(strstr(err, "\n\tbarn.lua:13: in "));
	lwf_free(wf);
}

static void test_an_error_with_a_table_value_is_reported(void **state)
{
	expect_run_error("error({ code = 1 })", "(error object is a table value)");
}

static void test_an_event_without_a_handler_gives_no_commands(void **state)
{
	struct lwf_workflow *wf = load_handler("");
	char *out;
	json_t *trace = (json_t *)1;
	assert_int_equal(run_type(wf, "unknown_event", &out, &trace), 0);
	assert_string_equal(out, "[]");
	assert_null(trace);
	free(out);
	lwf_free(wf);
}

static void test_deep_recursion_fails_cleanly(void **state)
{
	struct lwf_workflow *wf = load_handler("local function f(n) return f(n + 1) + 1 end\n"
					       "f(1)");
	char *out;
	assert_int_equal(run_type(wf, "go", &out, NULL), -1);
	if (strstr(err, "stack overflow") == NULL && strstr(err, "memory budget exceeded") == NULL)
		fail_msg("unexpected error: %s", err);
	assert_the_ok_handler_runs(wf);
	lwf_free(wf);
}

static void test_calling_a_string_is_still_an_error(void **state)
{
	expect_run_error("local s = 'x'\ns()",
			 "barn.lua:12: attempt to call a string value (to move the case to another "
			 "phase, write case:phase \"name\")");
}

static void test_a_definition_error_caught_by_pcall_leaves_nothing_behind(void **state)
{
	char src[1024];
	snprintf(src, sizeof src,
		 "local ok = pcall(workflow, { name = 'x', version = 1, title = 'X',\n"
		 "  phases = { { 'a', text = 'A' }, { 'b', next = { 'c' }, text = 'B' } } })\n"
		 "return workflow {\n%s}\n",
		 minimal);
	struct lwf_workflow *wf = load_ok(src);
	assert_int_equal(lwf_def(wf)->nphases, 1);
	assert_int_equal(lwf_def(wf)->line, 3);
	lwf_free(wf);
}

static void test_set_before_reading_the_state_is_seen_by_later_reads(void **state)
{
	expect_commands("case:set('a', 1)\n"
			"case:set('b', { a = case.state.a, note = case.state.note })",
			"[{\"cmd\":\"set\",\"key\":\"a\",\"line\":11,\"value\":1},"
			"{\"cmd\":\"set\",\"key\":\"b\",\"line\":12,\"value\":{\"a\":1,"
			"\"note\":\"hej\"}}]");
}

/* The commands. */

static void test_assign_tovholder_to_a_department(void **state)
{
	expect_commands("case:assign_tovholder { department = 'born-familie', reason = 'Forløbet "
			"er startet' }",
			"[{\"cmd\":\"assign_tovholder\",\"department\":\"born-familie\",\"line\":"
			"11,\"reason\":\"Forløbet er startet\"}]");
}

static void test_assign_tovholder_to_a_staff_member(void **state)
{
	expect_commands("case:assign_tovholder { staff = 's-4', reason = 'Kender familien' }",
			"[{\"cmd\":\"assign_tovholder\",\"line\":11,\"reason\":\"Kender "
			"familien\",\"staff\":\"s-4\"}]");
}

static void test_assign_tovholder_with_staff_and_department_is_refused(void **state)
{
	expect_run_error("case:assign_tovholder { staff = 's', department = 'd', reason = 'r' }",
			 "barn.lua:11: case:assign_tovholder: give 'staff' or 'department', not "
			 "both");
}

static void test_assign_tovholder_without_anyone_is_refused(void **state)
{
	expect_run_error("case:assign_tovholder { reason = 'r' }",
			 "barn.lua:11: case:assign_tovholder: 'staff' or 'department' is "
			 "required (who becomes tovholder)");
}

static void test_assign_tovholder_without_a_reason_is_refused(void **state)
{
	expect_run_error("case:assign_tovholder { department = 'd' }",
			 "barn.lua:11: case:assign_tovholder: 'reason' is required (why: it is "
			 "shown in the case's history)");
}

static void test_task_with_every_field(void **state)
{
	expect_commands("case:task { department = 'ppr', title = 'Udtalelse', body = 'Om skole',\n"
			"  due = case.citizen.birthday(17), assignee = 's-2', key = 'ppr' }",
			"[{\"assignee\":\"s-2\",\"body\":\"Om skole\",\"cmd\":\"task\","
			"\"department\":\"ppr\",\"due\":1805068800,\"key\":\"ppr\",\"line\":11,"
			"\"title\":\"Udtalelse\"}]");
}

static void test_task_without_department_names_the_line_and_the_field(void **state)
{
	expect_run_error("\ncase:task { title = 'Udtalelse', due = case.now }",
			 "barn.lua:12: case:task: 'department' is required (a department id)");
}

static void test_task_with_a_misspelt_field_is_refused(void **state)
{
	expect_run_error("case:task { department = 'ppr', titel = 'x', due = case.now }",
			 "barn.lua:11: case:task: unknown field 'titel'");
}

static void test_task_with_a_fractional_due_is_refused(void **state)
{
	expect_run_error("case:task { department = 'ppr', title = 'x', due = case.now + 0.5 }",
			 "barn.lua:11: case:task: 'due' must be a time in whole Unix seconds "
			 "(such as case.now or date.add(...)), not a fraction");
}

static void test_task_with_a_number_for_a_title_is_refused(void **state)
{
	expect_run_error("case:task { department = 'ppr', title = 5, due = case.now }",
			 "barn.lua:11: case:task: 'title' must be a string (the task's title), not "
			 "a number");
}

static void test_task_with_a_positional_argument_is_refused(void **state)
{
	expect_run_error("case:task { 'ppr', title = 'x', due = case.now }",
			 "barn.lua:11: case:task: unexpected entry [1]: fields have names, as in "
			 "case:task { department = ..., title = ..., due = ... }");
}

static void test_handover_with_every_field(void **state)
{
	expect_commands(
		"case:handover { to = 'voksen', title = 'Overdragelse', summary = 'Kort',\n"
		"  goals = { 'Bo selv', 'Job' }, questions = {}, due = case.now, key = 'h1' "
		"}",
		"[{\"cmd\":\"handover\",\"department\":\"voksen\",\"due\":1795428000,"
		"\"goals\":[\"Bo selv\",\"Job\"],\"key\":\"h1\",\"line\":11,"
		"\"questions\":[],\"summary\":\"Kort\",\"title\":\"Overdragelse\"}]");
}

static void test_handover_goals_must_be_texts(void **state)
{
	expect_run_error("case:handover { to = 'v', title = 't', summary = 's', goals = { 1 }, "
			 "due = 0 }",
			 "barn.lua:11: case:handover: 'goals'[1] must be a non-empty text");
}

static void test_cancel_task_with_and_without_a_reason(void **state)
{
	expect_commands("case:cancel_task 'ppr'\n"
			"case:cancel_task('ppr', 'Ikke længere nødvendig')",
			"[{\"cmd\":\"cancel_task\",\"key\":\"ppr\",\"line\":11},"
			"{\"cmd\":\"cancel_task\",\"key\":\"ppr\",\"line\":12,\"reason\":\"Ikke "
			"længere nødvendig\"}]");
}

static void test_cancel_task_without_a_key_is_refused(void **state)
{
	expect_run_error("case:cancel_task()",
			 "barn.lua:11: case:cancel_task: 'key' is required (the key the task was "
			 "made with)");
}

static void test_timer_at_a_time(void **state)
{
	expect_commands("case:timer { at = case.citizen.birthday(17, 6), event = "
			"'frist_paragraf_111', key = 'p111' }",
			"[{\"at\":1820966400,\"cmd\":\"timer\",\"event\":\"frist_paragraf_111\","
			"\"key\":\"p111\",\"line\":11}]");
}

static void test_timer_after_is_resolved_from_now(void **state)
{
	expect_commands("case:timer { after = 3600, event = 'rykker', payload = { n = 1, tags = "
			"{ 'a' } } }",
			"[{\"at\":1795431600,\"cmd\":\"timer\",\"event\":\"rykker\",\"line\":11,"
			"\"payload\":{\"n\":1,\"tags\":[\"a\"]}}]");
}

static void test_timer_with_both_at_and_after_is_refused(void **state)
{
	expect_run_error("case:timer { at = case.now, after = 60, event = 'x' }",
			 "barn.lua:11: case:timer: give 'at' or 'after', not both");
}

static void test_timer_with_a_negative_after_is_refused(void **state)
{
	expect_run_error("case:timer { after = -1, event = 'x' }",
			 "barn.lua:11: case:timer: 'after' must be a whole number of seconds, 0 "
			 "or more, not a negative number");
}

static void test_cancel_timer(void **state)
{
	expect_commands("case:cancel_timer 'p111'",
			"[{\"cmd\":\"cancel_timer\",\"key\":\"p111\",\"line\":11}]");
}

static void test_phase_updates_the_case_object(void **state)
{
	expect_commands(
		"case:set('before', case.phase)\n"
		"case:phase 'planlaegning'\n"
		"case:set('after', case.phase)",
		"[{\"cmd\":\"set\",\"key\":\"before\",\"line\":11,\"value\":\"afdaekning\"},"
		"{\"cmd\":\"phase\",\"line\":12,\"phase\":\"planlaegning\"},"
		"{\"cmd\":\"set\",\"key\":\"after\",\"line\":13,\"value\":\"planlaegning\"}]");
}

static void test_set_updates_the_state_and_nil_stores_null(void **state)
{
	expect_commands("case:set('count', case.state.count + 1)\n"
			"case:set('note', nil)\n"
			"case:set('seen', { count = case.state.count, note = case.state.note })",
			"[{\"cmd\":\"set\",\"key\":\"count\",\"line\":11,\"value\":3},"
			"{\"cmd\":\"set\",\"key\":\"note\",\"line\":12,\"value\":null},"
			"{\"cmd\":\"set\",\"key\":\"seen\",\"line\":13,\"value\":{\"count\":3}}]");
}

static void test_goal(void **state)
{
	expect_commands(
		"case:goal { key = 'bolig', text = 'Jeg vil bo for mig selv', theme = "
		"'bolig' }",
		"[{\"cmd\":\"goal\",\"key\":\"bolig\",\"line\":11,\"text\":\"Jeg vil bo for "
		"mig selv\",\"theme\":\"bolig\"}]");
}

static void test_goal_without_text_is_refused(void **state)
{
	expect_run_error("case:goal { key = 'bolig' }",
			 "barn.lua:11: case:goal: 'text' is required (the goal in the citizen's "
			 "words)");
}

static void test_goal_with_the_ffb_words(void **state)
{
	expect_commands("case:goal { key = 'bolig', text = 'Bo selv', maaltype = 'begraense-tab', "
			"forventet_niveau = 'let', ffb_tema = 'Varetage bolig' }",
			"[{\"cmd\":\"goal\",\"ffb_tema\":\"Varetage bolig\","
			"\"forventet_niveau\":\"let\",\"key\":\"bolig\",\"line\":11,"
			"\"maaltype\":\"begraense-tab\",\"text\":\"Bo selv\"}]");
}

static void test_goal_with_an_unknown_goal_type_is_refused(void **state)
{
	expect_run_error("case:goal { key = 'bolig', text = 'Bo selv', maaltype = 'forbedre' }",
			 "barn.lua:11: case:goal: 'maaltype' must be one of \"fastholde\", "
			 "\"udvikle\", \"begraense-tab\"; not 'forbedre'");
}

static void test_goal_with_an_unknown_ffb_theme_is_refused(void **state)
{
	expect_run_error("case:goal { key = 'bolig', text = 'Bo selv', ffb_tema = 'Bolig' }",
			 "barn.lua:11: case:goal: 'ffb_tema' must be one of \"Varetage "
			 "uddannelse\", \"Varetage beskæftigelse\", \"Varetage økonomi\", "
			 "\"Varetage bolig\", \"Deltage i sociale fællesskaber og "
			 "fritidsaktiviteter\", \"Varetage relationer til netværk\", \"Indgå i "
			 "samspil og kontakt\", \"Varetage egen sundhed\", \"Uddannelse og "
			 "job\", \"Boligsituation\", \"Økonomisk situation\", "
			 "\"Familiesituation\", \"Fysisk helbred\"; not 'Bolig'");
}

static void test_measure_defaults_at_to_now(void **state)
{
	expect_commands("case:measure { instrument = 'trivsel', kind = 'baseline', value = 7 }\n"
			"case:measure { instrument = 'trivsel', kind = 'followup', value = 'godt', "
			"at = 5, goal = 'bolig' }\n"
			"case:measure { instrument = 'x', kind = 'followup', value = 2.5 }",
			"[{\"at\":1795428000,\"cmd\":\"measure\",\"instrument\":\"trivsel\","
			"\"kind\":\"baseline\",\"line\":11,\"value\":7},"
			"{\"at\":5,\"cmd\":\"measure\",\"goal\":\"bolig\",\"instrument\":"
			"\"trivsel\",\"kind\":\"followup\",\"line\":12,\"value\":\"godt\"},"
			"{\"at\":1795428000,\"cmd\":\"measure\",\"instrument\":\"x\","
			"\"kind\":\"followup\",\"line\":13,\"value\":2.5}]");
}

static void test_measure_with_a_bad_kind_is_refused(void **state)
{
	expect_run_error("case:measure { instrument = 'x', kind = 'start', value = 1 }",
			 "barn.lua:11: case:measure: 'kind' must be \"baseline\" or \"followup\", "
			 "not 'start'");
}

static void test_outbox_with_a_payload(void **state)
{
	expect_commands("case:outbox { plugin = 'eboks', action = 'send', key = 'brev-1',\n"
			"  payload = { template = 'velkommen', fields = { navn = false } } }",
			"[{\"action\":\"send\",\"cmd\":\"outbox\",\"key\":\"brev-1\",\"line\":11,"
			"\"payload\":{\"fields\":{\"navn\":false},\"template\":\"velkommen\"},"
			"\"plugin\":\"eboks\"}]");
}

static void test_outbox_with_an_empty_payload_gives_an_object(void **state)
{
	expect_commands("case:outbox { plugin = 'eboks', action = 'send', payload = {} }",
			"[{\"action\":\"send\",\"cmd\":\"outbox\",\"line\":11,\"payload\":{},"
			"\"plugin\":\"eboks\"}]");
}

static void test_outbox_that_asks_for_word_back(void **state)
{
	expect_commands("case:outbox { plugin = 'eboks', action = 'send', notify = true }",
			"[{\"action\":\"send\",\"cmd\":\"outbox\",\"line\":11,\"notify\":true,"
			"\"plugin\":\"eboks\"}]");
	expect_run_error(
		"case:outbox { plugin = 'eboks', action = 'send', notify = 'ja' }",
		"barn.lua:11: case:outbox: 'notify' must be true or false (whether the case "
		"hears back: delivered or delivery_failed), not a string");
}

static void test_outbox_payload_that_is_a_list_is_refused(void **state)
{
	expect_run_error("case:outbox { plugin = 'eboks', action = 'send', payload = { 1, 2 } }",
			 "barn.lua:11: case:outbox: payload must be a table of named fields, not a "
			 "list");
}

static void test_close(void **state)
{
	expect_commands(
		"case:close { outcome = 'overdraget', reason = '' }",
		"[{\"cmd\":\"close\",\"line\":11,\"outcome\":\"overdraget\",\"reason\":\"\"}]");
}

static void test_a_method_called_with_a_dot_says_to_use_a_colon(void **state)
{
	expect_run_error("case.task { department = 'ppr', title = 'x', due = 0 }",
			 "barn.lua:11: case:task: call it with a colon: case:task(...)");
}

static void test_a_case_object_kept_from_an_earlier_call_is_refused(void **state)
{
	struct lwf_workflow *wf =
		load_ok("local kept\n"
			"return workflow { name = 'x', version = 1, title = 'X',\n"
			"  phases = { { 'a', text = 'A' } },\n"
			"  on = {\n"
			"    keep = function(case) kept = case end,\n"
			"    use = function(case) kept:phase 'a' end,\n"
			"  } }\n");
	char *out;
	assert_int_equal(run_type(wf, "keep", &out, NULL), 0);
	free(out);
	assert_int_equal(run_type(wf, "use", &out, NULL), -1);
	assert_first_line("barn.lua:6: case:phase: this case object is from another handler call; "
			  "use the case this handler was given");
	lwf_free(wf);
}

static void test_a_method_called_through_pcall_records_the_workflow_line(void **state)
{
	expect_commands("local ok = pcall(case.cancel_timer, case, 'k')",
			"[{\"cmd\":\"cancel_timer\",\"key\":\"k\",\"line\":11}]");
}

static void test_a_bad_command_caught_by_pcall_adds_nothing(void **state)
{
	expect_commands("local ok = pcall(case.task, case, { title = 'x' })\n"
			"case:set('ok', ok)",
			"[{\"cmd\":\"set\",\"key\":\"ok\",\"line\":12,\"value\":false}]");
}

static void test_the_started_handler_of_the_example_gives_its_commands(void **state)
{
	expect_commands(
		"case:assign_tovholder { department = 'born-familie', reason = 'Forløbet er "
		"startet' }\n"
		"case:task { department = 'ppr', title = 'Udtalelse om skole og uddannelse', due = "
		"case.citizen.birthday(17) }\n"
		"case:timer { at = case.citizen.birthday(17, 6), event = 'frist_paragraf_111', key "
		"= "
		"'p111' }",
		"[{\"cmd\":\"assign_tovholder\",\"department\":\"born-familie\",\"line\":11,"
		"\"reason\":\"Forløbet er startet\"},"
		"{\"cmd\":\"task\",\"department\":\"ppr\",\"due\":1805068800,\"line\":12,"
		"\"title\":\"Udtalelse om skole og uddannelse\"},"
		"{\"at\":1820966400,\"cmd\":\"timer\",\"event\":\"frist_paragraf_111\","
		"\"key\":\"p111\",\"line\":13}]");
}

/* What a handler sees. */

static void test_the_case_object_carries_the_case(void **state)
{
	expect_commands(
		"case:set('case', { id = case.id, phase = case.phase, now = case.now,\n"
		"  tovholder = case.tovholder, workflow = case.workflow, state = case.state "
		"})",
		"[{\"cmd\":\"set\",\"key\":\"case\",\"line\":11,\"value\":{\"id\":42,"
		"\"now\":1795428000,\"phase\":\"afdaekning\",\"state\":{\"count\":2,"
		"\"note\":\"hej\"},\"tovholder\":{\"department\":\"born-familie\","
		"\"id\":\"s-17\"},\"workflow\":{\"name\":\"barn-til-voksen\","
		"\"version\":4}}}]");
}

static void test_the_citizen_has_an_age_at_now_and_attributes(void **state)
{
	expect_commands("local c = case.citizen\n"
			"case:set('citizen', { id = c.id, birth_date = c.birth_date, age = c.age,\n"
			"  attributes = c.attributes, has_f = c.has('funktionsnedsaettelse'),\n"
			"  has_stu = c.has('stu'), has_x = c.has('x') })",
			"[{\"cmd\":\"set\",\"key\":\"citizen\",\"line\":12,\"value\":{\"age\":16,"
			"\"attributes\":{\"funktionsnedsaettelse\":true,\"stu\":false},"
			"\"birth_date\":\"2010-03-15\",\"has_f\":true,\"has_stu\":false,"
			"\"has_x\":false,\"id\":7}}]");
}

static void test_a_case_without_a_tovholder_has_none(void **state)
{
	struct lwf_workflow *wf = load_handler("case:set('t', case.tovholder == nil)");
	struct fixture f;
	fixture_init(&f, "go");
	f.c.tovholder = NULL;
	f.c.state = NULL;
	json_t *commands;
	assert_int_equal(lwf_run(wf, &f.c, &f.ev, &commands, NULL, err, sizeof err), 0);
	char *out = json_dumps(commands, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(out, "[{\"cmd\":\"set\",\"key\":\"t\",\"line\":11,\"value\":true}]");
	free(out);
	json_decref(commands);
	fixture_free(&f);
	lwf_free(wf);
}

static void test_the_event_carries_id_type_payload_and_time(void **state)
{
	expect_commands("case:set('ev', ev)",
			"[{\"cmd\":\"set\",\"key\":\"ev\",\"line\":11,\"value\":{\"at\":1795427940,"
			"\"id\":9,\"payload\":{\"grades\":[7,10],\"school\":\"Nordskolen\"},"
			"\"type\":\"go\"}}]");
}

static void test_the_birthday_of_a_leap_day_child_is_feb_28_in_common_years(void **state)
{
	struct lwf_workflow *wf =
		load_handler("case:set('b', { date.ymd(case.citizen.birthday(18)),\n"
			     "  date.ymd(case.citizen.birthday(20)), case.citizen.age })");
	struct fixture f;
	fixture_init(&f, "go");
	f.c.birth_date = "2008-02-29";
	json_t *commands;
	/* 2026-02-28: the 18th birthday. */
	f.c.now = 1772236800;
	assert_int_equal(lwf_run(wf, &f.c, &f.ev, &commands, NULL, err, sizeof err), 0);
	char *out = json_dumps(commands, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(out, "[{\"cmd\":\"set\",\"key\":\"b\",\"line\":11,\"value\":["
				 "\"2026-02-28\",\"2028-02-29\",18]}]");
	free(out);
	json_decref(commands);
	/* The day before, still 17. */
	f.c.now = 1772236800 - 1;
	assert_int_equal(lwf_run(wf, &f.c, &f.ev, &commands, NULL, err, sizeof err), 0);
	out = json_dumps(commands, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(strstr(out, ",17]"));
	free(out);
	json_decref(commands);
	fixture_free(&f);
	lwf_free(wf);
}

static void test_an_invalid_birth_date_fails_the_run(void **state)
{
	struct lwf_workflow *wf = load_handler("");
	struct fixture f;
	fixture_init(&f, "go");
	f.c.birth_date = "2010-02-30";
	json_t *commands;
	assert_int_equal(lwf_run(wf, &f.c, &f.ev, &commands, NULL, err, sizeof err), -1);
	assert_string_equal(err, "case 42: the citizen's birth date '2010-02-30' is not a date "
				 "(YYYY-MM-DD)");
	fixture_free(&f);
	lwf_free(wf);
}

/* Dates. */

static void test_date_parse_and_ymd_agree(void **state)
{
	expect_commands("case:set('d', { date.parse('2026-01-31'), date.ymd(1769817600),\n"
			"  date.ymd(1769817600 + 86399), date.ymd(-1), date.DAY })",
			"[{\"cmd\":\"set\",\"key\":\"d\",\"line\":11,\"value\":[1769817600,"
			"\"2026-01-31\",\"2026-01-31\",\"1969-12-31\",86400]}]");
}

static void test_date_parse_accepts_leap_days_only_in_leap_years(void **state)
{
	expect_commands("case:set('d', { date.parse('2024-02-29'), date.parse('2000-02-29'),\n"
			"  pcall(date.parse, '2025-02-29'), (pcall(date.parse, '1900-02-29')) })",
			"[{\"cmd\":\"set\",\"key\":\"d\",\"line\":11,\"value\":[1709164800,"
			"951782400,false,false]}]");
}

static void test_date_parse_refuses_a_bad_date(void **state)
{
	expect_run_error("local t = date.parse('2026-1-5')",
			 "barn.lua:11: date.parse: '2026-1-5' is not a date (YYYY-MM-DD)");
}

static void test_date_add_clamps_to_the_end_of_the_month(void **state)
{
	expect_commands("local function add(d, by) return date.ymd(date.add(date.parse(d), by)) "
			"end\n"
			"case:set('d', { add('2026-01-31', { months = 1 }), add('2024-01-31', { "
			"months = 1 }),\n"
			"  add('2024-02-29', { years = 1 }), add('2026-03-31', { months = -1 }),\n"
			"  add('2026-11-30', { months = 3 }) })",
			"[{\"cmd\":\"set\",\"key\":\"d\",\"line\":12,\"value\":[\"2026-02-28\","
			"\"2024-02-29\",\"2025-02-28\",\"2026-02-28\",\"2027-02-28\"]}]");
}

static void test_date_add_weeks_days_and_hours(void **state)
{
	expect_commands(
		"local t = date.parse('2026-12-30')\n"
		"case:set('d', { date.ymd(date.add(t, { weeks = 1 })), date.ymd(date.add(t, "
		"{ days = -30 })),\n"
		"  date.add(t, { hours = 25 }) - t, date.ymd(date.add(t, { years = 1, "
		"days = 2 })) })",
		"[{\"cmd\":\"set\",\"key\":\"d\",\"line\":12,\"value\":[\"2027-01-06\","
		"\"2026-11-30\",90000,\"2028-01-01\"]}]");
}

static void test_date_add_refuses_an_unknown_field(void **state)
{
	expect_run_error("local t = date.add(case.now, { month = 1 })",
			 "barn.lua:11: date.add: unknown field 'month' (years, months, weeks, days "
			 "or hours)");
}

static void test_working_days_skip_the_weekend(void **state)
{
	expect_commands(
		"local function wd(d, n) return date.ymd(date.working_days(date.parse(d), "
		"n)) end\n"
		"case:set('d', { wd('2026-01-30', 1), wd('2026-01-31', 1), wd('2026-01-26', "
		"5),\n"
		"  wd('2026-01-26', 12), wd('2026-02-02', -1), wd('2026-01-31', 0) })",
		"[{\"cmd\":\"set\",\"key\":\"d\",\"line\":12,\"value\":[\"2026-02-02\","
		"\"2026-02-02\",\"2026-02-02\",\"2026-02-11\",\"2026-01-30\","
		"\"2026-01-31\"]}]");
}

static void test_days_between_counts_calendar_days(void **state)
{
	expect_commands(
		"case:set('d', { date.days_between(date.parse('2024-02-01'), "
		"date.parse('2024-03-01')),\n"
		"  date.days_between(date.parse('2026-03-01'), date.parse('2026-02-01')) })",
		"[{\"cmd\":\"set\",\"key\":\"d\",\"line\":11,\"value\":[29,-28]}]");
}

/* print */

static void test_print_goes_to_the_trace(void **state)
{
	struct lwf_workflow *wf = load_handler("print('fase', case.phase, 3, nil, true)\n"
					       "print()");
	char *out;
	json_t *trace = NULL;
	assert_int_equal(run_type(wf, "go", &out, &trace), 0);
	char *t = json_dumps(trace, JSON_COMPACT);
	assert_string_equal(t, "[\"fase\\tafdaekning\\t3\\tnil\\ttrue\",\"\"]");
	free(t);
	free(out);
	json_decref(trace);
	lwf_free(wf);
}

static void test_print_keeps_at_most_100_lines_of_1000_bytes(void **state)
{
	struct lwf_workflow *wf = load_handler("for i = 1, 150 do print(('æ'):rep(600)) end");
	char *out;
	json_t *trace = NULL;
	assert_int_equal(run_type(wf, "go", &out, &trace), 0);
	assert_int_equal(json_array_size(trace), 100);
	/* 500 two-byte letters: the line is cut between letters. */
	assert_int_equal(strlen(json_string_value(json_array_get(trace, 99))), 1000);
	free(out);
	json_decref(trace);
	lwf_free(wf);
}

static void test_the_trace_is_kept_when_the_handler_fails(void **state)
{
	struct lwf_workflow *wf = load_handler("print('før fejlen', string.char(255))\n"
					       "error('stop')");
	char *out;
	json_t *trace = NULL;
	assert_int_equal(run_type(wf, "go", &out, &trace), -1);
	char *t = json_dumps(trace, JSON_COMPACT);
	assert_string_equal(t, "[\"før fejlen\\t\xEF\xBF\xBD\"]");
	free(t);
	json_decref(trace);
	lwf_free(wf);
}

/* Lua and JSON. */

static void test_lists_records_and_numbers_are_stored(void **state)
{
	expect_commands("case:set('v', { list = { 1, 2, 3 }, rec = { a = 'b' }, real = 1.5,\n"
			"  whole = 2.0, empty = {}, yes = true })",
			"[{\"cmd\":\"set\",\"key\":\"v\",\"line\":11,\"value\":{\"empty\":{},"
			"\"list\":[1,2,3],\"real\":1.5,\"rec\":{\"a\":\"b\"},\"whole\":2.0,"
			"\"yes\":true}}]");
}

static void test_a_function_in_a_value_is_refused_with_its_path(void **state)
{
	expect_run_error("case:set('k', { x = { 1, 2, function() end } })",
			 "barn.lua:11: case:set: value.x[3] is a function and cannot be stored");
}

static void test_a_table_mixing_list_and_names_is_refused(void **state)
{
	expect_run_error("case:set('k', { a = { 1, b = 2 } })",
			 "barn.lua:11: case:set: value.a mixes list entries and named keys and "
			 "cannot be stored");
}

static void test_a_list_with_holes_is_refused(void **state)
{
	expect_run_error("case:set('k', { 1, nil, 3 })",
			 "barn.lua:11: case:set: value is a list with holes (it has key 3 but 2 "
			 "entries) and cannot be stored");
}

static void test_a_boolean_key_is_refused(void **state)
{
	expect_run_error(
		"case:set('k', { [true] = 1 })",
		"barn.lua:11: case:set: value has a boolean key and cannot be stored (keys "
		"are strings, or 1..n in a list)");
}

static void test_nan_and_infinity_are_refused(void **state)
{
	expect_run_error(
		"case:set('k', { n = 0/0 })",
		"barn.lua:11: case:set: value.n is not a finite number (NaN) and cannot be "
		"stored");
	expect_run_error("case:set('k', { ['odd key'] = math.huge })",
			 "barn.lua:11: case:set: value[\"odd key\"] is not a finite number "
			 "(infinity) and cannot be stored");
}

static void test_nesting_deeper_than_32_levels_is_refused(void **state)
{
	expect_run_error(
		"local t = {} t.self = t\ncase:set('k', t)",
		"barn.lua:12: case:set: value.self.self.self.self.self.self.self.self.self."
		"self.self.self.self.self.self.self.self.self.self.self.self.self.self.self."
		"self.self.self.self.self.self.self.self.self is nested deeper than 32 "
		"levels and cannot be stored");
}

static void test_nesting_of_32_levels_is_stored(void **state)
{
	struct lwf_workflow *wf = load_handler("local t = {}\n"
					       "for i = 1, 31 do t = { t } end\n"
					       "case:set('k', t)");
	char *out;
	assert_int_equal(run_type(wf, "go", &out, NULL), 0);
	free(out);
	lwf_free(wf);
}

static void test_invalid_utf8_is_refused(void **state)
{
	expect_run_error("case:set('k', { s = 'a' .. string.char(0xC3) })",
			 "barn.lua:11: case:set: value.s is not valid UTF-8 text and cannot be "
			 "stored");
}

static void test_json_null_is_absent_and_arrays_are_sequences(void **state)
{
	expect_commands("case:set('v', { gone = case.state.gone == nil, n = #ev.payload.grades,\n"
			"  first = ev.payload.grades[1] })",
			"[{\"cmd\":\"set\",\"key\":\"v\",\"line\":11,\"value\":{\"first\":7,"
			"\"gone\":true,\"n\":2}}]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_definition_is_read),
		cmocka_unit_test(test_a_start_by_age_with_an_attribute_is_read),
		cmocka_unit_test(test_a_start_by_age_alone_is_read),
		cmocka_unit_test(test_a_start_by_event_is_read),
		cmocka_unit_test(test_a_manual_start_is_read),
		cmocka_unit_test(test_a_workflow_without_handlers_loads),
		cmocka_unit_test(test_phase_names_may_have_danish_letters),
		cmocka_unit_test(test_a_name_with_capitals_is_refused),
		cmocka_unit_test(test_a_name_starting_with_a_dash_is_refused),
		cmocka_unit_test(test_a_missing_name_is_refused),
		cmocka_unit_test(test_a_version_below_one_is_refused),
		cmocka_unit_test(test_a_fractional_version_is_refused),
		cmocka_unit_test(test_a_missing_title_is_refused),
		cmocka_unit_test(test_empty_phases_are_refused),
		cmocka_unit_test(test_phases_that_are_not_a_list_are_refused),
		cmocka_unit_test(test_a_phase_without_a_name_is_refused),
		cmocka_unit_test(test_a_phase_name_with_a_space_is_refused),
		cmocka_unit_test(test_a_phase_without_text_is_refused),
		cmocka_unit_test(test_a_misspelt_phase_key_is_refused),
		cmocka_unit_test(test_phase_titles_and_task_outcomes_are_read),
		cmocka_unit_test(test_a_phase_without_a_title_loads),
		cmocka_unit_test(test_a_bad_task_declaration_is_refused),
		cmocka_unit_test(test_a_second_entry_in_a_phase_is_refused),
		cmocka_unit_test(test_a_phase_defined_twice_is_refused),
		cmocka_unit_test(test_a_next_phase_that_does_not_exist_is_refused),
		cmocka_unit_test(test_next_that_is_not_a_list_is_refused),
		cmocka_unit_test(test_a_misspelt_definition_key_is_refused),
		cmocka_unit_test(test_a_handler_that_is_not_a_function_is_refused),
		cmocka_unit_test(test_a_start_age_over_120_is_refused),
		cmocka_unit_test(test_a_start_with_when_and_event_but_no_age_is_refused),
		cmocka_unit_test(test_a_start_by_age_or_event_is_read),
		cmocka_unit_test(test_a_start_with_a_misspelt_key_is_refused),
		cmocka_unit_test(test_an_unknown_start_word_is_refused),
		cmocka_unit_test(test_a_file_that_does_not_return_the_workflow_is_refused),
		cmocka_unit_test(test_a_file_returning_a_plain_table_is_refused),
		cmocka_unit_test(test_workflow_called_twice_is_refused),
		cmocka_unit_test(test_a_syntax_error_names_file_and_line),
		cmocka_unit_test(test_a_runtime_error_at_load_names_file_and_line),
		cmocka_unit_test(test_a_precompiled_chunk_is_refused),
		cmocka_unit_test(test_workflow_cannot_be_called_from_a_handler),

		cmocka_unit_test(test_os_execute_is_refused_with_a_clear_error),
		cmocka_unit_test(test_io_open_is_refused_with_a_clear_error),
		cmocka_unit_test(test_require_is_refused_with_a_clear_error),
		cmocka_unit_test(test_load_is_refused_with_a_clear_error),
		cmocka_unit_test(test_debug_getinfo_is_refused_with_a_clear_error),
		cmocka_unit_test(test_dofile_is_refused_with_a_clear_error),
		cmocka_unit_test(test_loadfile_package_collectgarbage_and_coroutine_are_refused),
		cmocka_unit_test(test_an_unavailable_library_is_refused_at_load_too),
		cmocka_unit_test(test_writing_a_global_is_refused),
		cmocka_unit_test(test_writing_an_existing_global_is_refused),
		cmocka_unit_test(test_writing_a_global_while_loading_is_refused),
		cmocka_unit_test(test_reading_an_undeclared_global_is_refused),
		cmocka_unit_test(test_the_sandbox_globals_are_exactly_the_documented_ones),
		cmocka_unit_test(test_string_dump_is_not_available),
		cmocka_unit_test(test_string_methods_use_the_safe_string_table),
		cmocka_unit_test(test_math_random_is_not_available),
		cmocka_unit_test(test_an_infinite_loop_runs_out_of_instructions),
		cmocka_unit_test(test_a_pcall_wrapped_infinite_loop_still_runs_out_of_instructions),
		cmocka_unit_test(
			test_an_xpcall_wrapped_infinite_loop_still_runs_out_of_instructions),
		cmocka_unit_test(test_the_instruction_budget_is_per_call),
		cmocka_unit_test(test_unbounded_allocation_runs_out_of_memory),
		cmocka_unit_test(test_a_memory_error_caught_by_pcall_leaves_the_handler_running),
		cmocka_unit_test(test_work_done_in_c_counts_against_the_instruction_budget),
		cmocka_unit_test(test_a_file_that_loops_forever_fails_to_load),
		cmocka_unit_test(test_a_file_that_allocates_without_bound_fails_to_load),
		cmocka_unit_test(test_a_huge_string_rep_is_refused),
		cmocka_unit_test(test_a_string_rep_with_a_separator_counts_the_separators),
		cmocka_unit_test(test_a_catastrophic_pattern_is_refused_quickly),
		cmocka_unit_test(test_catastrophic_gsub_match_and_gmatch_are_refused),
		cmocka_unit_test(test_ordinary_patterns_work),
		cmocka_unit_test(test_a_plain_find_has_only_the_size_bound),
		cmocka_unit_test(test_a_subject_over_1_mib_is_refused),
		cmocka_unit_test(test_setmetatable_with_gc_is_refused),
		cmocka_unit_test(test_setmetatable_without_gc_works),
		cmocka_unit_test(test_table_move_over_a_huge_range_is_refused),
		cmocka_unit_test(test_table_insert_with_a_lying_length_is_refused),
		cmocka_unit_test(test_a_handler_error_has_the_line_and_a_traceback),
		cmocka_unit_test(test_an_error_with_a_table_value_is_reported),
		cmocka_unit_test(test_an_event_without_a_handler_gives_no_commands),
		cmocka_unit_test(test_deep_recursion_fails_cleanly),
		cmocka_unit_test(test_calling_a_string_is_still_an_error),
		cmocka_unit_test(test_a_definition_error_caught_by_pcall_leaves_nothing_behind),

		cmocka_unit_test(test_assign_tovholder_to_a_department),
		cmocka_unit_test(test_assign_tovholder_to_a_staff_member),
		cmocka_unit_test(test_assign_tovholder_with_staff_and_department_is_refused),
		cmocka_unit_test(test_assign_tovholder_without_anyone_is_refused),
		cmocka_unit_test(test_assign_tovholder_without_a_reason_is_refused),
		cmocka_unit_test(test_task_with_every_field),
		cmocka_unit_test(test_task_without_department_names_the_line_and_the_field),
		cmocka_unit_test(test_task_with_a_misspelt_field_is_refused),
		cmocka_unit_test(test_task_with_a_fractional_due_is_refused),
		cmocka_unit_test(test_task_with_a_number_for_a_title_is_refused),
		cmocka_unit_test(test_task_with_a_positional_argument_is_refused),
		cmocka_unit_test(test_handover_with_every_field),
		cmocka_unit_test(test_handover_goals_must_be_texts),
		cmocka_unit_test(test_cancel_task_with_and_without_a_reason),
		cmocka_unit_test(test_cancel_task_without_a_key_is_refused),
		cmocka_unit_test(test_timer_at_a_time),
		cmocka_unit_test(test_timer_after_is_resolved_from_now),
		cmocka_unit_test(test_timer_with_both_at_and_after_is_refused),
		cmocka_unit_test(test_timer_with_a_negative_after_is_refused),
		cmocka_unit_test(test_cancel_timer),
		cmocka_unit_test(test_phase_updates_the_case_object),
		cmocka_unit_test(test_set_updates_the_state_and_nil_stores_null),
		cmocka_unit_test(test_set_before_reading_the_state_is_seen_by_later_reads),
		cmocka_unit_test(test_goal),
		cmocka_unit_test(test_goal_without_text_is_refused),
		cmocka_unit_test(test_goal_with_the_ffb_words),
		cmocka_unit_test(test_goal_with_an_unknown_goal_type_is_refused),
		cmocka_unit_test(test_goal_with_an_unknown_ffb_theme_is_refused),
		cmocka_unit_test(test_measure_defaults_at_to_now),
		cmocka_unit_test(test_measure_with_a_bad_kind_is_refused),
		cmocka_unit_test(test_outbox_with_a_payload),
		cmocka_unit_test(test_outbox_with_an_empty_payload_gives_an_object),
		cmocka_unit_test(test_outbox_that_asks_for_word_back),
		cmocka_unit_test(test_outbox_payload_that_is_a_list_is_refused),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_a_method_called_with_a_dot_says_to_use_a_colon),
		cmocka_unit_test(test_a_case_object_kept_from_an_earlier_call_is_refused),
		cmocka_unit_test(test_a_method_called_through_pcall_records_the_workflow_line),
		cmocka_unit_test(test_a_bad_command_caught_by_pcall_adds_nothing),
		cmocka_unit_test(test_the_started_handler_of_the_example_gives_its_commands),

		cmocka_unit_test(test_the_case_object_carries_the_case),
		cmocka_unit_test(test_the_citizen_has_an_age_at_now_and_attributes),
		cmocka_unit_test(test_a_case_without_a_tovholder_has_none),
		cmocka_unit_test(test_the_event_carries_id_type_payload_and_time),
		cmocka_unit_test(test_the_birthday_of_a_leap_day_child_is_feb_28_in_common_years),
		cmocka_unit_test(test_an_invalid_birth_date_fails_the_run),

		cmocka_unit_test(test_date_parse_and_ymd_agree),
		cmocka_unit_test(test_date_parse_accepts_leap_days_only_in_leap_years),
		cmocka_unit_test(test_date_parse_refuses_a_bad_date),
		cmocka_unit_test(test_date_add_clamps_to_the_end_of_the_month),
		cmocka_unit_test(test_date_add_weeks_days_and_hours),
		cmocka_unit_test(test_date_add_refuses_an_unknown_field),
		cmocka_unit_test(test_working_days_skip_the_weekend),
		cmocka_unit_test(test_days_between_counts_calendar_days),

		cmocka_unit_test(test_print_goes_to_the_trace),
		cmocka_unit_test(test_print_keeps_at_most_100_lines_of_1000_bytes),
		cmocka_unit_test(test_the_trace_is_kept_when_the_handler_fails),

		cmocka_unit_test(test_lists_records_and_numbers_are_stored),
		cmocka_unit_test(test_a_function_in_a_value_is_refused_with_its_path),
		cmocka_unit_test(test_a_table_mixing_list_and_names_is_refused),
		cmocka_unit_test(test_a_list_with_holes_is_refused),
		cmocka_unit_test(test_a_boolean_key_is_refused),
		cmocka_unit_test(test_nan_and_infinity_are_refused),
		cmocka_unit_test(test_nesting_deeper_than_32_levels_is_refused),
		cmocka_unit_test(test_nesting_of_32_levels_is_stored),
		cmocka_unit_test(test_invalid_utf8_is_refused),
		cmocka_unit_test(test_json_null_is_absent_and_arrays_are_sequences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
