#include "core/definition.h"

#include <stdlib.h>

json_t *core_definition_json(const struct lwf_def *def)
{
	static const char *const kinds[] = {"manual", "age", "event"};
	json_t *start = json_pack("{s:s}", "kind", kinds[def->start_kind]);
	json_t *phases = json_array();
	json_t *handlers = json_array();
	if (start == NULL || phases == NULL || handlers == NULL)
		goto fail;
	if (def->start_kind == LWF_START_AGE) {
		json_object_set_new(start, "age", json_integer(def->start_age));
		if (def->start_attribute)
			json_object_set_new(start, "attribute", json_string(def->start_attribute));
	}
	if (def->start_event)
		json_object_set_new(start, "event", json_string(def->start_event));
	for (size_t i = 0; i < def->nphases; i++) {
		const struct lwf_phase *p = &def->phases[i];
		json_t *next = json_array();
		for (size_t k = 0; next && k < p->nnext; k++)
			json_array_append_new(next, json_string(p->next[k]));
		json_t *phase =
			json_pack("{s:s,s:s,s:o}", "name", p->name, "text", p->text, "next", next);
		if (phase == NULL || json_array_append_new(phases, phase) != 0)
			goto fail;
		if (p->title && json_object_set_new(phase, "title", json_string(p->title)) != 0)
			goto fail;
		if (p->unannounced && json_object_set_new(phase, "announce", json_false()) != 0)
			goto fail;
	}
	for (size_t i = 0; i < def->nhandlers; i++)
		json_array_append_new(handlers, json_string(def->handlers[i]));
	return json_pack("{s:s,s:i,s:s,s:o,s:o,s:O,s:o}", "name", def->name, "version",
			 def->version, "title", def->title, "start", start, "phases", phases,
			 "tasks", def->tasks ? def->tasks : json_object(), "handlers", handlers);
fail:
	json_decref(start);
	json_decref(phases);
	json_decref(handlers);
	return NULL;
}

int core_reachable_phases(const struct lwf_def *def, bool *seen)
{
	if (def->nphases == 0)
		return 0;
	size_t *queue = calloc(def->nphases, sizeof *queue);
	if (queue == NULL)
		return -1;
	size_t head = 0, tail = 0;
	seen[0] = true;
	queue[tail++] = 0;
	while (head < tail) {
		const struct lwf_phase *p = &def->phases[queue[head++]];
		for (size_t k = 0; k < p->nnext; k++) {
			int j = lwf_phase_index(def, p->next[k]);
			if (j >= 0 && !seen[j]) {
				seen[j] = true;
				queue[tail++] = (size_t)j;
			}
		}
	}
	free(queue);
	return 0;
}
