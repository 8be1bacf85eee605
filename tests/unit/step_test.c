/* The step logic without Lua or a database: every command, its checks, and the one-tovholder
 * rule. Commands are given as the Lua layer hands them over (JSON with the workflow line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/step.h"

static char *next_afdaekning[] = {"planlaegning"};
static char *next_planlaegning[] = {"overdraget", "afdaekning"};
static struct lwf_phase phases[] = {
	{"afdaekning", "Vi er begyndt at forberede din overgang.", next_afdaekning, 1, "Afdækning",
	 false},
	{"planlaegning", "Vi lægger en plan sammen med dig.", next_planlaegning, 2, "Planlægning",
	 false},
	{"overdraget", "Voksenafdelingen har overtaget.", NULL, 0, NULL, false},
};
static char *handlers[] = {"started", "frist_111", "handover_accepted"};
static struct lwf_def def = {
	.name = "barn-til-voksen",
	.version = 4,
	.title = "Overgang fra barn til voksen",
	.start_kind = LWF_START_MANUAL,
	.phases = phases,
	.nphases = 3,
	.handlers = handlers,
	.nhandlers = 3,
	.line = 1,
};

#define NOW 1795000000 /* 2026-11-18 */

struct fixture {
	struct core_directory *dir;
	struct core_case c;
	struct core_effects fx;
	struct core_event ev;
	json_t *payload;
	char err[1024];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = core_dir_new();
	assert_int_equal(core_dir_add_department(f->dir, "born-familie"), 0);
	assert_int_equal(core_dir_add_department(f->dir, "voksenhandicap"), 0);
	assert_int_equal(core_dir_add_department(f->dir, "tom"), 0);
	assert_int_equal(core_dir_add_staff(f->dir, "anna", "active", 3), 0);
	assert_int_equal(core_dir_add_staff(f->dir, "bo", "active", 1), 0);
	assert_int_equal(core_dir_add_staff(f->dir, "carl", "absent", 0), 0);
	assert_int_equal(core_dir_add_staff(f->dir, "dorte", "active", 1), 0);
	assert_int_equal(core_dir_add_member(f->dir, "anna", "born-familie", true), 0);
	assert_int_equal(core_dir_add_member(f->dir, "bo", "born-familie", false), 0);
	assert_int_equal(core_dir_add_member(f->dir, "carl", "born-familie", false), 0);
	assert_int_equal(core_dir_add_member(f->dir, "dorte", "voksenhandicap", false), 0);
	core_dir_seal(f->dir);
	assert_int_equal(core_case_init(&f->c, 42, 7, "barn-til-voksen", 4, "afdaekning", "active",
					NULL, NULL, "2010-05-01", 0),
			 0);
	assert_int_equal(core_effects_init(&f->fx), 0);
	f->payload = json_object();
	f->ev = (struct core_event){.id = 900, .type = "started", .payload = f->payload, .at = NOW};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	core_case_clear(&f->c);
	core_effects_clear(&f->fx);
	core_dir_free(f->dir);
	json_decref(f->payload);
	free(f);
	return 0;
}

/* Applies the commands in JSON TEXT; returns core_apply's result. */
static int apply(struct fixture *f, const char *text)
{
	json_error_t jerr;
	json_t *commands = json_loads(text, 0, &jerr);
	if (commands == NULL)
		fail_msg("bad test JSON: %s", jerr.text);
	f->err[0] = '\0';
	int rc = core_apply(&def, &f->c, &f->ev, f->dir, NOW, commands, &f->fx, f->err,
			    sizeof f->err);
	json_decref(commands);
	return rc;
}

static void expect_refused(struct fixture *f, const char *text, const char *message)
{
	assert_int_equal(apply(f, text), -1);
	if (strcmp(f->err, message) != 0)
		fail_msg("expected \"%s\"\n     got \"%s\"", message, f->err);
}

static char *dump(const json_t *j) { return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS); }

static void expect_json(const json_t *j, const char *expected)
{
	char *text = dump(j);
	if (strcmp(text, expected) != 0)
		fail_msg("expected %s\n     got %s", expected, text);
	free(text);
}

#define ASSIGN_BO "{\"cmd\":\"assign_tovholder\",\"line\":3,\"staff\":\"bo\",\"reason\":\"Start\"}"

static void test_a_named_staff_member_becomes_tovholder_with_a_reason(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO "]"), 0);
	assert_string_equal(f->c.tovholder, "bo");
	assert_string_equal(f->c.tovholder_department, "born-familie");
	expect_json(f->fx.tovholder_changes, "[{\"department\":\"born-familie\",\"line\":3,"
					     "\"reason\":\"Start\",\"to\":\"bo\"}]");
}

static void test_a_department_gives_its_least_busy_active_member(void **state)
{
	struct fixture *f = *state;
	/* anna holds 3, bo 1, carl 0 but absent: bo */
	assert_int_equal(apply(f, "[{\"cmd\":\"assign_tovholder\",\"line\":3,"
				  "\"department\":\"born-familie\",\"reason\":\"Start\"}]"),
			 0);
	assert_string_equal(f->c.tovholder, "bo");
	assert_string_equal(f->c.tovholder_department, "born-familie");
	assert_string_equal(core_dir_pick(f->dir, "born-familie"), "bo"); /* bo 2, anna 3 */
	core_dir_count_move(f->dir, NULL, "bo");
	assert_string_equal(core_dir_pick(f->dir, "born-familie"), "anna"); /* tie 3-3: anna */
}

static void test_an_absent_or_unknown_staff_member_cannot_be_tovholder(void **state)
{
	struct fixture *f = *state;
	expect_refused(f,
		       "[{\"cmd\":\"assign_tovholder\",\"line\":5,\"staff\":\"carl\",\"reason\":"
		       "\"x\"}]",
		       "barn-til-voksen.lua:5: assign_tovholder: staff member 'carl' is absent "
		       "and cannot be tovholder");
	expect_refused(
		f, "[{\"cmd\":\"assign_tovholder\",\"line\":6,\"staff\":\"zoe\",\"reason\":\"x\"}]",
		"barn-til-voksen.lua:6: assign_tovholder: there is no staff member 'zoe'");
}

static void test_a_department_without_active_staff_gives_no_tovholder(void **state)
{
	struct fixture *f = *state;
	expect_refused(
		f,
		"[{\"cmd\":\"assign_tovholder\",\"line\":7,\"department\":\"tom\",\"reason\":"
		"\"x\"}]",
		"barn-til-voksen.lua:7: assign_tovholder: department 'tom' has no active "
		"staff member to be tovholder");
	expect_refused(f,
		       "[{\"cmd\":\"assign_tovholder\",\"line\":8,\"department\":\"nope\","
		       "\"reason\":\"x\"}]",
		       "barn-til-voksen.lua:8: assign_tovholder: there is no department 'nope'");
}

static void test_a_tovholder_change_needs_a_reason_and_one_target(void **state)
{
	struct fixture *f = *state;
	expect_refused(f, "[{\"cmd\":\"assign_tovholder\",\"line\":2,\"staff\":\"bo\"}]",
		       "barn-til-voksen.lua:2: assign_tovholder: 'reason' is required");
	expect_refused(f,
		       "[{\"cmd\":\"assign_tovholder\",\"line\":2,\"staff\":\"bo\",\"department\":"
		       "\"tom\",\"reason\":\"x\"}]",
		       "barn-til-voksen.lua:2: assign_tovholder: give either 'staff' or "
		       "'department'");
}

static void test_a_first_step_without_a_tovholder_is_refused(void **state)
{
	struct fixture *f = *state;
	expect_refused(
		f, "[{\"cmd\":\"set\",\"line\":4,\"key\":\"x\",\"value\":1}]",
		"barn-til-voksen.lua: after the 'started' handler the case has no tovholder; "
		"the first step must assign one with case:assign_tovholder { ... }");
}

static void test_reassigning_records_from_and_to(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"assign_tovholder\",\"line\":9,"
				  "\"staff\":\"dorte\",\"reason\":\"Overdraget\"}]"),
			 0);
	assert_string_equal(f->c.tovholder, "dorte");
	assert_string_equal(f->c.tovholder_department, "voksenhandicap");
	expect_json(json_array_get(f->fx.tovholder_changes, 1),
		    "{\"department\":\"voksenhandicap\",\"from\":\"bo\",\"line\":9,\"reason\":"
		    "\"Overdraget\",\"to\":\"dorte\"}");
}

static void test_a_task_lands_in_the_department_queue(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(
		apply(f, "[" ASSIGN_BO ",{\"cmd\":\"task\",\"line\":10,\"department\":"
			 "\"voksenhandicap\",\"title\":\"Afklar støttebehov\",\"due\":1800000000,"
			 "\"key\":\"behov\"}]"),
		0);
	expect_json(f->fx.tasks, "[{\"department\":\"voksenhandicap\",\"due\":1800000000,"
				 "\"from_department\":\"born-familie\",\"key\":\"behov\",\"kind\":"
				 "\"task\",\"line\":10,\"title\":\"Afklar støttebehov\"}]");
}

static void test_a_task_for_an_unknown_department_is_refused(void **state)
{
	struct fixture *f = *state;
	expect_refused(f,
		       "[" ASSIGN_BO ",{\"cmd\":\"task\",\"line\":11,\"department\":\"ppr\","
		       "\"title\":\"x\",\"due\":1}]",
		       "barn-til-voksen.lua:11: task: there is no department 'ppr'");
	expect_refused(f, "[" ASSIGN_BO ",{\"cmd\":\"task\",\"line\":12,\"department\":\"tom\"}]",
		       "barn-til-voksen.lua:12: task: 'title' is required");
}

static void test_times_outside_the_years_1900_to_9999_are_refused(void **state)
{
	struct fixture *f = *state;
	expect_refused(f,
		       "[" ASSIGN_BO ",{\"cmd\":\"task\",\"line\":13,\"department\":\"tom\","
		       "\"title\":\"x\",\"due\":1000000000000000}]",
		       "barn-til-voksen.lua:13: task: 'due' must be a time between the years 1900 "
		       "and 9999");
	expect_refused(
		f,
		"[" ASSIGN_BO ",{\"cmd\":\"timer\",\"line\":14,\"event\":\"frist_111\","
		"\"at\":-9000000000}]",
		"barn-til-voksen.lua:14: timer: 'at' must be a time between the years 1900 and "
		"9999");
}

static void test_a_handover_carries_what_the_sender_knows(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(
		apply(f, "[" ASSIGN_BO ",{\"cmd\":\"handover\",\"line\":20,\"department\":"
			 "\"voksenhandicap\",\"title\":\"Overdragelse\",\"summary\":\"Bor hjemme\","
			 "\"goals\":[\"Egen "
			 "bolig\"],\"questions\":[\"Bostøtte?\"],\"due\":1800000000}]"),
		0);
	json_t *t = json_array_get(f->fx.tasks, 0);
	assert_string_equal(json_string_value(json_object_get(t, "kind")), "handover");
	expect_json(json_object_get(t, "handover"),
		    "{\"from_department\":\"born-familie\",\"from_tovholder\":\"bo\",\"goals\":["
		    "\"Egen bolig\"],\"questions\":[\"Bostøtte?\"],\"summary\":\"Bor hjemme\"}");
}

static void test_a_handover_to_the_department_that_has_the_case_is_refused(void **state)
{
	struct fixture *f = *state;
	expect_refused(f,
		       "[" ASSIGN_BO ",{\"cmd\":\"handover\",\"line\":21,\"department\":"
		       "\"born-familie\",\"title\":\"x\",\"summary\":\"y\",\"due\":1}]",
		       "barn-til-voksen.lua:21: handover: the case is already with "
		       "'born-familie'; a handover goes to another department");
}

static void test_a_timer_needs_a_handler_for_its_event(void **state)
{
	struct fixture *f = *state;
	expect_refused(f,
		       "[" ASSIGN_BO ",{\"cmd\":\"timer\",\"line\":30,\"event\":\"frist_112\","
		       "\"at\":1800000000}]",
		       "barn-til-voksen.lua:30: timer: the workflow has no handler for "
		       "'frist_112' (add it to on = { ... })");
}

static void test_a_timer_with_a_key_replaces_the_earlier_one(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"timer\",\"line\":30,\"event\":"
				  "\"frist_111\",\"at\":1800000000,\"key\":\"p111\"},{\"cmd\":"
				  "\"timer\",\"line\":31,\"event\":\"frist_111\",\"at\":1810000000,"
				  "\"key\":\"p111\"}]"),
			 0);
	expect_json(f->fx.timers, "[{\"at\":1810000000,\"event\":\"frist_111\",\"key\":\"p111\","
				  "\"payload\":{}}]");
	expect_json(f->fx.cancel_timers, "[\"p111\"]"); /* and any pending one from before */
}

static void test_a_cancelled_timer_is_never_written(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"timer\",\"line\":30,\"event\":"
				  "\"frist_111\",\"at\":1800000000,\"key\":\"p111\"},{\"cmd\":"
				  "\"cancel_timer\",\"line\":32,\"key\":\"p111\"}]"),
			 0);
	expect_json(f->fx.timers, "[]");
	expect_json(f->fx.cancel_timers, "[\"p111\"]");
}

static void test_a_phase_moves_only_where_the_definition_allows(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"phase\",\"line\":40,\"phase\":"
				  "\"planlaegning\"}]"),
			 0);
	assert_string_equal(f->c.phase, "planlaegning");
	assert_string_equal(core_citizen_text(&def, f->c.phase),
			    "Vi lægger en plan sammen med dig.");
	expect_refused(f, "[{\"cmd\":\"phase\",\"line\":41,\"phase\":\"afgoerelse\"}]",
		       "barn-til-voksen.lua:41: phase: the workflow has no phase 'afgoerelse'");
}

static void test_a_phase_move_not_in_next_is_refused(void **state)
{
	struct fixture *f = *state;
	expect_refused(f,
		       "[" ASSIGN_BO ",{\"cmd\":\"phase\",\"line\":42,\"phase\":\"overdraget\"}]",
		       "barn-til-voksen.lua:42: phase: the workflow does not allow 'afdaekning' "
		       "-> 'overdraget' (see next = { ... } of 'afdaekning')");
}

static void test_set_changes_the_workflow_state_and_nil_removes(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f,
			       "[" ASSIGN_BO ",{\"cmd\":\"set\",\"line\":50,\"key\":\"a\","
			       "\"value\":{\"b\":[1,2]}},{\"cmd\":\"set\",\"line\":51,\"key\":"
			       "\"c\",\"value\":true},{\"cmd\":\"set\",\"line\":52,\"key\":\"c\","
			       "\"value\":null}]"),
			 0);
	expect_json(f->c.state, "{\"a\":{\"b\":[1,2]}}");
}

static void test_a_goal_keeps_its_ffb_words_and_its_level_is_checked(void **state)
{
	struct fixture *f = *state;
	struct core_instruments *reg = core_instruments_new();
	char err[256];
	json_t *ffb = json_loads("{\"name\":\"ffb-stoettebehov\",\"kind\":\"level\","
				 "\"values\":{\"words\":[\"ingen\",\"let\",\"moderat\"]},"
				 "\"better\":\"lower\"}",
				 0, NULL);
	assert_int_equal(core_instruments_add(reg, ffb, err, sizeof err), 0);
	json_decref(ffb);
	core_dir_set_instruments(f->dir, reg);
	assert_int_equal(apply(f, "[" ASSIGN_BO
				  ",{\"cmd\":\"goal\",\"line\":60,\"key\":\"bolig\",\"text\":"
				  "\"Bo selv\",\"maaltype\":\"udvikle\",\"forventet_niveau\":"
				  "\"let\",\"ffb_tema\":\"Varetage bolig\"}]"),
			 0);
	expect_json(f->fx.goals, "[{\"ffb_tema\":\"Varetage bolig\",\"forventet_niveau\":"
				 "\"let\",\"key\":\"bolig\",\"maaltype\":\"udvikle\","
				 "\"text\":\"Bo selv\"}]");
	expect_refused(f,
		       "[{\"cmd\":\"goal\",\"line\":61,\"key\":\"bolig\",\"text\":\"Bo "
		       "selv\",\"forventet_niveau\":\"lidt\"}]",
		       "barn-til-voksen.lua:61: goal: 'forventet_niveau': 'lidt' is not a value of "
		       "ffb-stoettebehov: ingen, let, moderat");
}

static void test_goals_and_measures_are_recorded(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO
				  ",{\"cmd\":\"goal\",\"line\":60,\"key\":\"bolig\",\"text\":"
				  "\"Jeg vil bo for mig "
				  "selv\",\"theme\":\"bolig\"},{\"cmd\":\"measure\",\"line\":"
				  "61,\"instrument\":\"ffb_stoette\",\"kind\":\"baseline\","
				  "\"value\":3,\"goal\":"
				  "\"bolig\"},{\"cmd\":\"measure\",\"line\":62,\"instrument\":"
				  "\"status\",\"kind\":"
				  "\"followup\",\"value\":\"i job\",\"at\":1800000000}]"),
			 0);
	expect_json(f->fx.goals, "[{\"key\":\"bolig\",\"text\":\"Jeg vil bo for mig selv\","
				 "\"theme\":\"bolig\"}]");
	expect_json(
		f->fx.measures,
		"[{\"at\":1795000000,\"goal\":\"bolig\",\"instrument\":\"ffb_stoette\",\"kind\":"
		"\"baseline\",\"value_num\":3.0},{\"at\":1800000000,\"instrument\":\"status\","
		"\"kind\":\"followup\",\"value_text\":\"i job\"}]");
	expect_refused(f,
		       "[{\"cmd\":\"measure\",\"line\":63,\"instrument\":\"x\",\"kind\":\"after\","
		       "\"value\":1}]",
		       "barn-til-voksen.lua:63: measure: 'kind' is 'baseline' or 'followup', not "
		       "'after'");
}

static void test_outbox_rows_get_stable_idempotency_keys_and_ask_for_word_back(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f,
			       "[" ASSIGN_BO ",{\"cmd\":\"outbox\",\"line\":70,\"plugin\":"
			       "\"webhook\",\"action\":\"notify\",\"payload\":{\"a\":1}},{\"cmd\":"
			       "\"outbox\",\"line\":71,\"plugin\":\"webhook\",\"action\":"
			       "\"notify\",\"key\":\"brev-1\",\"notify\":true}]"),
			 0);
	expect_json(f->fx.outbox,
		    "[{\"action\":\"notify\",\"idem_key\":\"event:900:1\",\"notify\":false,"
		    "\"payload\":{\"a\":1},\"plugin\":\"webhook\"},{\"action\":\"notify\","
		    "\"idem_key\":\"case:42:brev-1\",\"notify\":true,\"payload\":{},\"plugin\":"
		    "\"webhook\"}]");
}

static void test_a_reference_is_recorded(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f,
			       "[" ASSIGN_BO ",{\"cmd\":\"ref\",\"line\":72,\"system\":\"nexus\","
			       "\"ref\":\"sag-17\"}]"),
			 0);
	expect_json(f->fx.refs, "[{\"ref\":\"sag-17\",\"system\":\"nexus\"}]");
}

static void test_a_reference_to_a_badly_named_system_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"ref\",\"line\":73,\"system\":\"Nexus "
				  "DK\",\"ref\":\"sag-17\"}]"),
			 -1);
	assert_non_null(strstr(f->err, ":73: ref: 'system' is a name of a-z, 0-9 and -"));
}

static void test_nothing_may_follow_close(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"close\",\"line\":80,\"outcome\":"
				  "\"Overgangen er gennemført\"}]"),
			 0);
	assert_true(f->fx.closed);
	assert_string_equal(f->c.status, "closed");
	assert_string_equal(f->c.outcome, "Overgangen er gennemført");
	expect_refused(f, "[{\"cmd\":\"set\",\"line\":81,\"key\":\"x\",\"value\":1}]",
		       "barn-til-voksen.lua:81: set: the case is closed; nothing may follow "
		       "case:close");
}

static void test_closing_drops_timers_and_tasks_set_before_it(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"timer\",\"line\":30,\"event\":"
				  "\"frist_111\",\"at\":1800000000},{\"cmd\":\"task\",\"line\":31,"
				  "\"department\":\"tom\",\"title\":\"x\",\"due\":1},{\"cmd\":"
				  "\"close\",\"line\":32,\"outcome\":\"slut\"}]"),
			 0);
	expect_json(f->fx.timers, "[]");
	expect_json(f->fx.tasks, "[]");
	assert_true(f->fx.closed);
}

static void test_an_unknown_command_is_refused(void **state)
{
	struct fixture *f = *state;
	expect_refused(f, "[{\"cmd\":\"fly\",\"line\":90}]",
		       "barn-til-voksen.lua:90: unknown command 'fly'");
}

static void test_cancelling_a_task_created_in_the_same_step_drops_it(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO ",{\"cmd\":\"task\",\"line\":10,\"department\":"
				  "\"tom\",\"title\":\"x\",\"due\":1,\"key\":\"k\"},{\"cmd\":"
				  "\"cancel_task\",\"line\":11,\"key\":\"k\",\"reason\":\"ikke "
				  "nødvendig\"}]"),
			 0);
	expect_json(f->fx.tasks, "[]");
	expect_json(f->fx.cancel_tasks, "[{\"key\":\"k\",\"reason\":\"ikke nødvendig\"}]");
}

static void test_an_unavailable_tovholder_gives_the_department_a_task_by_default(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apply(f, "[" ASSIGN_BO "]"), 0);
	f->ev.type = "tovholder_unavailable";
	/* 2026-11-20 is a Friday: two working days later is Tuesday 2026-11-24 */
	json_t *commands = core_default_commands(&f->c, &f->ev, 1795651200 + 3600);
	json_t *task = json_array_get(commands, 0);
	assert_string_equal(json_string_value(json_object_get(task, "department")), "born-familie");
	assert_string_equal(json_string_value(json_object_get(task, "title")),
			    "Vælg en ny tovholder");
	assert_int_equal(json_integer_value(json_object_get(task, "due")), 1795651200 + 4 * 86400);
	json_decref(commands);
	f->ev.type = "other";
	commands = core_default_commands(&f->c, &f->ev, NOW);
	assert_int_equal(json_array_size(commands), 0);
	json_decref(commands);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_named_staff_member_becomes_tovholder_with_a_reason),
		T(test_a_department_gives_its_least_busy_active_member),
		T(test_an_absent_or_unknown_staff_member_cannot_be_tovholder),
		T(test_a_department_without_active_staff_gives_no_tovholder),
		T(test_a_tovholder_change_needs_a_reason_and_one_target),
		T(test_a_first_step_without_a_tovholder_is_refused),
		T(test_reassigning_records_from_and_to),
		T(test_a_task_lands_in_the_department_queue),
		T(test_a_task_for_an_unknown_department_is_refused),
		T(test_times_outside_the_years_1900_to_9999_are_refused),
		T(test_a_handover_carries_what_the_sender_knows),
		T(test_a_handover_to_the_department_that_has_the_case_is_refused),
		T(test_a_timer_needs_a_handler_for_its_event),
		T(test_a_timer_with_a_key_replaces_the_earlier_one),
		T(test_a_cancelled_timer_is_never_written),
		T(test_a_phase_moves_only_where_the_definition_allows),
		T(test_a_phase_move_not_in_next_is_refused),
		T(test_set_changes_the_workflow_state_and_nil_removes),
		T(test_a_goal_keeps_its_ffb_words_and_its_level_is_checked),
		T(test_goals_and_measures_are_recorded),
		T(test_outbox_rows_get_stable_idempotency_keys_and_ask_for_word_back),
		T(test_a_reference_is_recorded),
		T(test_a_reference_to_a_badly_named_system_is_refused),
		T(test_nothing_may_follow_close),
		T(test_closing_drops_timers_and_tasks_set_before_it),
		T(test_an_unknown_command_is_refused),
		T(test_cancelling_a_task_created_in_the_same_step_drops_it),
		T(test_an_unavailable_tovholder_gives_the_department_a_task_by_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
