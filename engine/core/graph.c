#include "core/graph.h"
#include "core/definition.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_grow(struct sb *b, size_t more)
{
	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	sb_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* S as the inside of a DOT string: quotes and backslashes escaped, newlines as \n. */
static void sb_quoted(struct sb *b, const char *s)
{
	for (; *s && !b->oom; s++) {
		if (*s == '"' || *s == '\\')
			sb_printf(b, "\\%c", *s);
		else if (*s == '\n')
			sb_printf(b, "\\n");
		else if (*s != '\r')
			sb_printf(b, "%c", *s);
	}
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The events whose handlers move the case to TARGET, sorted, each once, with the deadlines
 * of the timers that raise them. */
static void edge_label(struct sb *b, const struct core_scan *s, const char *target)
{
	if (s == NULL)
		return;
	const char **events = calloc(s->nhandlers ? s->nhandlers : 1, sizeof *events);
	if (events == NULL) {
		b->oom = true;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < s->ncalls; i++) {
		const struct core_scan_call *c = &s->calls[i];
		const struct core_scan_field *f = core_scan_call_field(c, "");
		if (strcmp(c->method, "phase") != 0 || f == NULL || f->value == NULL ||
		    strcmp(f->value, target) != 0)
			continue;
		/* the handler it is written in, or the handlers that call its helper */
		for (size_t v = 0; v < (c->handler >= 0 ? 1 : c->nvia); v++) {
			const char *ev =
				s->handlers[c->handler >= 0 ? c->handler : c->via[v]].event;
			bool dup = false;
			for (size_t k = 0; k < n && !dup; k++)
				dup = strcmp(events[k], ev) == 0;
			if (!dup)
				events[n++] = ev;
		}
	}
	qsort(events, n, sizeof *events, compare_strings);
	for (size_t k = 0; k < n; k++) {
		sb_printf(b, "%s", k ? "\\n" : "");
		sb_quoted(b, events[k]);
		/* the deadlines of the timers that raise it, each once, in source order */
		const char *seen[8];
		size_t nseen = 0;
		for (size_t i = 0; i < s->ncalls && nseen < 8; i++) {
			const struct core_scan_call *c = &s->calls[i];
			const struct core_scan_field *ev = core_scan_call_field(c, "event");
			if (strcmp(c->method, "timer") != 0 || ev == NULL || ev->value == NULL ||
			    strcmp(ev->value, events[k]) != 0)
				continue;
			const struct core_scan_field *when = core_scan_call_field(c, "at");
			if (when == NULL || when->deadline == NULL)
				when = core_scan_call_field(c, "after");
			if (when == NULL || when->deadline == NULL)
				continue;
			bool dup = false;
			for (size_t j = 0; j < nseen && !dup; j++)
				dup = strcmp(seen[j], when->deadline) == 0;
			if (dup)
				continue;
			seen[nseen++] = when->deadline;
			sb_printf(b, "%s", nseen == 1 ? " (" : " / ");
			sb_quoted(b, when->deadline);
		}
		if (nseen)
			sb_printf(b, ")");
	}
	free(events);
}

char *core_graph_dot(const struct lwf_def *def, const struct core_scan *s)
{
	struct sb b = {0};
	bool *seen = calloc(def->nphases ? def->nphases : 1, sizeof *seen);
	if (seen == NULL || (def->nphases && core_reachable_phases(def, seen) != 0)) {
		free(seen);
		return NULL;
	}
	sb_printf(&b, "digraph \"");
	sb_quoted(&b, def->name);
	sb_printf(&b, "\" {\n\tgraph [label=\"");
	sb_quoted(&b, def->title);
	sb_printf(&b, "\\n%s version %d\", labelloc=t, rankdir=LR, fontname=\"Helvetica\"];\n",
		  def->name, def->version);
	sb_printf(&b, "\tnode [shape=circle, fontname=\"Helvetica\", fontsize=11];\n");
	sb_printf(&b, "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	/* a phase name never holds a space, so this node cannot be a phase */
	sb_printf(&b, "\t\"start node\" [shape=point, width=0.15, label=\"\"];\n");
	sb_printf(&b, "\t\"start node\" -> \"");
	sb_quoted(&b, def->phases[0].name);
	sb_printf(&b, "\" [label=\"");
	switch (def->start_kind) {
	case LWF_START_AGE:
		sb_printf(&b, "start at age %d", def->start_age);
		if (def->start_attribute) {
			sb_printf(&b, "\\nif ");
			sb_quoted(&b, def->start_attribute);
		}
		if (def->start_event) {
			sb_printf(&b, "\\nor on ");
			sb_quoted(&b, def->start_event);
		}
		break;
	case LWF_START_EVENT:
		sb_printf(&b, "start on ");
		sb_quoted(&b, def->start_event);
		break;
	default: sb_printf(&b, "start by hand"); break;
	}
	sb_printf(&b, "\"];\n");
	for (size_t i = 0; i < def->nphases; i++) {
		const struct lwf_phase *p = &def->phases[i];
		sb_printf(&b, "\t\"");
		sb_quoted(&b, p->name);
		sb_printf(&b, "\" [");
		if (p->nnext == 0)
			sb_printf(&b, "shape=doublecircle, ");
		if (!seen[i])
			sb_printf(&b, "style=dashed, ");
		sb_printf(&b, "tooltip=\"");
		sb_quoted(&b, p->text);
		sb_printf(&b, "\"];\n");
	}
	for (size_t i = 0; i < def->nphases; i++) {
		const struct lwf_phase *p = &def->phases[i];
		for (size_t k = 0; k < p->nnext; k++) {
			sb_printf(&b, "\t\"");
			sb_quoted(&b, p->name);
			sb_printf(&b, "\" -> \"");
			sb_quoted(&b, p->next[k]);
			sb_printf(&b, "\"");
			size_t before = b.len;
			sb_printf(&b, " [label=\"");
			size_t inside = b.len;
			edge_label(&b, s, p->next[k]);
			if (b.len == inside)
				b.len = before; /* nothing to say: no label */
			else
				sb_printf(&b, "\"]");
			sb_printf(&b, ";\n");
		}
	}
	sb_printf(&b, "}\n");
	free(seen);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
