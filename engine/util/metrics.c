#include "util/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 8

struct series {
	struct series *next;
	char **values;
	double value;        /* counter, gauge; the sum of a histogram */
	double count;        /* histogram */
	double *bucket_hits; /* histogram, non-cumulative, one per bucket */
};

struct og_metric_family {
	struct og_metric_family *next;
	enum og_metric_type type;
	char *name;
	char *help;
	size_t nlabels;
	char *labels[MAX_LABELS];
	double *buckets;
	size_t nbuckets;
	struct series *series;
	struct series **series_tail;
};

struct collect_hook {
	struct collect_hook *next;
	void (*fn)(void *arg);
	void *arg;
};

static struct og_metric_family *families;
static struct og_metric_family **families_tail = &families;
static struct collect_hook *hooks;

static void family_free(struct og_metric_family *f)
{
	struct series *s = f->series;
	while (s) {
		struct series *next = s->next;
		for (size_t i = 0; i < f->nlabels; i++)
			free(s->values[i]);
		free(s->values);
		free(s->bucket_hits);
		free(s);
		s = next;
	}
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f->buckets);
	free(f);
}

struct og_metric_family *og_metrics_register(enum og_metric_type type, const char *name,
					     const char *help, const char *const *labels,
					     const double *buckets, size_t nbuckets)
{
	struct og_metric_family *f = calloc(1, sizeof *f);
	if (f == NULL)
		return NULL;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help);
	f->series_tail = &f->series;
	if (f->name == NULL || f->help == NULL)
		goto fail;
	for (; labels && labels[f->nlabels]; f->nlabels++) {
		if (f->nlabels == MAX_LABELS)
			goto fail;
		f->labels[f->nlabels] = strdup(labels[f->nlabels]);
		if (f->labels[f->nlabels] == NULL)
			goto fail;
	}
	if (type == OG_HISTOGRAM && nbuckets > 0) {
		f->buckets = malloc(nbuckets * sizeof *buckets);
		if (f->buckets == NULL)
			goto fail;
		memcpy(f->buckets, buckets, nbuckets * sizeof *buckets);
		f->nbuckets = nbuckets;
	}
	*families_tail = f;
	families_tail = &f->next;
	return f;
fail:
	family_free(f);
	return NULL;
}

static struct series *series_get(struct og_metric_family *f, const char *const *values)
{
	for (struct series *s = f->series; s; s = s->next) {
		size_t i = 0;
		while (i < f->nlabels && strcmp(s->values[i], values[i]) == 0)
			i++;
		if (i == f->nlabels)
			return s;
	}
	struct series *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->values = calloc(f->nlabels + 1, sizeof *s->values);
	if (f->nbuckets)
		s->bucket_hits = calloc(f->nbuckets, sizeof *s->bucket_hits);
	if (s->values == NULL || (f->nbuckets && s->bucket_hits == NULL))
		goto fail;
	for (size_t i = 0; i < f->nlabels; i++) {
		s->values[i] = strdup(values[i]);
		if (s->values[i] == NULL)
			goto fail;
	}
	*f->series_tail = s;
	f->series_tail = &s->next;
	return s;
fail:
	for (size_t i = 0; s->values && i < f->nlabels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->bucket_hits);
	free(s);
	return NULL;
}

void og_metrics_add(struct og_metric_family *f, const char *const *values, double delta)
{
	struct series *s = f ? series_get(f, values) : NULL;
	if (s)
		s->value += delta;
}

void og_metrics_set(struct og_metric_family *f, const char *const *values, double value)
{
	struct series *s = f ? series_get(f, values) : NULL;
	if (s)
		s->value = value;
}

void og_metrics_observe(struct og_metric_family *f, const char *const *values, double value)
{
	struct series *s = f ? series_get(f, values) : NULL;
	if (s == NULL)
		return;
	s->value += value;
	s->count += 1;
	for (size_t i = 0; i < f->nbuckets; i++) {
		if (value <= f->buckets[i]) {
			s->bucket_hits[i] += 1;
			break;
		}
	}
}

void og_metrics_on_collect(void (*fn)(void *arg), void *arg)
{
	struct collect_hook *h = calloc(1, sizeof *h);
	if (h == NULL)
		return;
	h->fn = fn;
	h->arg = arg;
	h->next = hooks;
	hooks = h;
}

struct buf {
	char *data;
	size_t len, cap;
	int failed;
};

__attribute__((format(printf, 2, 3))) static void buf_printf(struct buf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *data = realloc(b->data, cap);
		if (data == NULL) {
			b->failed = 1;
			return;
		}
		b->data = data;
		b->cap = cap;
	}
}

/* Label values escape backslash, double quote and newline; help text backslash and newline. */
static void buf_escaped(struct buf *b, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_printf(b, "\\\\");
		else if (*s == '\n')
			buf_printf(b, "\\n");
		else if (quote && *s == '"')
			buf_printf(b, "\\\"");
		else
			buf_printf(b, "%c", *s);
	}
}

static void buf_number(struct buf *b, double v)
{
	if (isinf(v))
		buf_printf(b, v > 0 ? "+Inf" : "-Inf");
	else if (isnan(v))
		buf_printf(b, "NaN");
	else if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(b, "%.0f", v);
	else
		buf_printf(b, "%.9g", v);
}

static void buf_labels(struct buf *b, const struct og_metric_family *f, const struct series *s,
		       const char *extra_name, const char *extra_value)
{
	if (f->nlabels == 0 && extra_name == NULL)
		return;
	buf_printf(b, "{");
	for (size_t i = 0; i < f->nlabels; i++) {
		buf_printf(b, "%s%s=\"", i ? "," : "", f->labels[i]);
		buf_escaped(b, s->values[i], 1);
		buf_printf(b, "\"");
	}
	if (extra_name)
		buf_printf(b, "%s%s=\"%s\"", f->nlabels ? "," : "", extra_name, extra_value);
	buf_printf(b, "}");
}

char *og_metrics_render(void)
{
	for (struct collect_hook *h = hooks; h; h = h->next)
		h->fn(h->arg);

	static const char *const type_names[] = {"counter", "gauge", "histogram"};
	struct buf b = {0};
	buf_printf(&b, "%s", "");
	for (struct og_metric_family *f = families; f; f = f->next) {
		buf_printf(&b, "# HELP %s ", f->name);
		buf_escaped(&b, f->help, 0);
		buf_printf(&b, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		for (struct series *s = f->series; s; s = s->next) {
			if (f->type != OG_HISTOGRAM) {
				buf_printf(&b, "%s", f->name);
				buf_labels(&b, f, s, NULL, NULL);
				buf_printf(&b, " ");
				buf_number(&b, s->value);
				buf_printf(&b, "\n");
				continue;
			}
			double cumulative = 0;
			for (size_t i = 0; i <= f->nbuckets; i++) {
				char le[64];
				if (i < f->nbuckets) {
					cumulative += s->bucket_hits[i];
					snprintf(le, sizeof le, "%g", f->buckets[i]);
				} else {
					cumulative = s->count;
					snprintf(le, sizeof le, "+Inf");
				}
				buf_printf(&b, "%s_bucket", f->name);
				buf_labels(&b, f, s, "le", le);
				buf_printf(&b, " ");
				buf_number(&b, cumulative);
				buf_printf(&b, "\n");
			}
			buf_printf(&b, "%s_sum", f->name);
			buf_labels(&b, f, s, NULL, NULL);
			buf_printf(&b, " ");
			buf_number(&b, s->value);
			buf_printf(&b, "\n%s_count", f->name);
			buf_labels(&b, f, s, NULL, NULL);
			buf_printf(&b, " ");
			buf_number(&b, s->count);
			buf_printf(&b, "\n");
		}
	}
	if (b.failed) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

void og_metrics_reset(void)
{
	while (families) {
		struct og_metric_family *next = families->next;
		family_free(families);
		families = next;
	}
	families_tail = &families;
	while (hooks) {
		struct collect_hook *next = hooks->next;
		free(hooks);
		hooks = next;
	}
}
