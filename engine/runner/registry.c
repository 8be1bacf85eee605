#include "runner/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *name;
	int version;
	struct lwf_workflow *wf;
	char *error;
};

struct run_registry {
	struct lwf_budget budget;
	struct entry *entries;
	size_t n, cap;
};

struct run_registry *run_registry_new(const struct lwf_budget *budget)
{
	struct run_registry *reg = calloc(1, sizeof *reg);
	if (reg && budget)
		reg->budget = *budget;
	return reg;
}

void run_registry_free(struct run_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n; i++) {
		free(reg->entries[i].name);
		lwf_free(reg->entries[i].wf);
		free(reg->entries[i].error);
	}
	free(reg->entries);
	free(reg);
}

static const struct entry *find(const struct run_registry *reg, const char *name, int version)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->entries[i].version == version && strcmp(reg->entries[i].name, name) == 0)
			return &reg->entries[i];
	return NULL;
}

bool run_registry_has(const struct run_registry *reg, const char *name, int version)
{
	return find(reg, name, version) != NULL;
}

struct lwf_workflow *run_registry_get(const struct run_registry *reg, const char *name, int version,
				      const char **error)
{
	const struct entry *e = find(reg, name, version);
	if (error)
		*error = e ? e->error : NULL;
	return e ? e->wf : NULL;
}

int run_registry_compile(struct run_registry *reg, const char *name, int version,
			 const char *source)
{
	if (find(reg, name, version))
		return 0;
	if (reg->n == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 8;
		struct entry *e = realloc(reg->entries, cap * sizeof *e);
		if (e == NULL)
			return -1;
		reg->entries = e;
		reg->cap = cap;
	}
	char chunk[200], err[2048];
	snprintf(chunk, sizeof chunk, "%s.lua", name);
	struct entry e = {strdup(name), version, NULL, NULL};
	if (e.name == NULL)
		return -1;
	e.wf = lwf_load(chunk, source, strlen(source), &reg->budget, err, sizeof err);
	if (e.wf == NULL) {
		e.error = strdup(err);
		if (e.error == NULL) {
			free(e.name);
			return -1;
		}
	}
	reg->entries[reg->n++] = e;
	return 0;
}
