/*
 * One import: a thread of its own reads the source, checks each record and packs the good
 * ones into batches; the loop hands each batch to the host (upsert_citizens) and adds up the
 * report. The two meet in a queue guarded by a mutex, and the thread wakes the loop by
 * writing a byte to a pipe the loop watches. At most two batches are made and not yet stored
 * (one with the host, one ready), so a large extract costs little memory, the database is
 * never idle waiting for parsing, and the loop does no file I/O and no parsing.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "personregister.h"

#define MAX_OUTSTANDING 2 /* batches made and not yet stored */
#define MAX_ATTEMPTS 3    /* tries of one batch before the import fails */

/* ---- batches: citizens and refused lines, with their strings in chunks ---- */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct batch {
	struct batch *next;
	struct og_citizen *citizens;
	long *lines; /* of each citizen */
	size_t n;
	struct pr_refusal *refusals; /* listed ones (the report's cap is applied by the thread) */
	size_t nrefusals, caprefusals;
	long refused; /* listed or not */
	long records;
	struct chunk *chunks;
	bool last;       /* the thread's last batch */
	char error[400]; /* last: the source failed (the batch's lines are good) */
};

static struct batch *batch_new(size_t size)
{
	struct batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->citizens = malloc(size * sizeof *b->citizens);
	b->lines = malloc(size * sizeof *b->lines);
	if (b->citizens == NULL || b->lines == NULL) {
		free(b->citizens);
		free(b->lines);
		free(b);
		return NULL;
	}
	return b;
}

static void batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	while (b->chunks) {
		struct chunk *c = b->chunks;
		b->chunks = c->next;
		free(c);
	}
	free(b->citizens);
	free(b->lines);
	free(b->refusals);
	free(b);
}

/* A copy of S (N bytes) kept with the batch, or NULL when out of memory. */
static char *batch_strndup(struct batch *b, const char *s, size_t n)
{
	struct chunk *c = b->chunks;
	if (c == NULL || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;
		c = malloc(sizeof *c + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = b->chunks;
		b->chunks = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static char *batch_strdup(struct batch *b, const char *s)
{
	return s ? batch_strndup(b, s, strlen(s)) : NULL;
}

/* ---- CPR numbers seen in this extract: an open-addressed set of (number, line) ---- */

/* A slot holds the number (< 10^10 < 2^34) in its low 34 bits and the line (>= 1) above
 * them; 0 is an empty slot. */
struct seen {
	uint64_t *slots;
	size_t cap, n;
};

#define CPR_BITS 34
#define CPR_MASK ((UINT64_C(1) << CPR_BITS) - 1)

static size_t seen_hash(uint64_t cpr, size_t cap)
{
	return (size_t)((cpr * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & (cap - 1);
}

static int seen_grow(struct seen *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1 << 16;
	uint64_t *slots = calloc(cap, sizeof *slots);
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i] == 0)
			continue;
		size_t j = seen_hash(s->slots[i] & CPR_MASK, cap);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

/* Adds CPR at LINE: 0 when new, the earlier line when it was seen before, -1 when out of
 * memory. */
static long seen_add(struct seen *s, const char *cpr, long line)
{
	if ((s->n + 1) * 2 > s->cap && seen_grow(s) != 0)
		return -1;
	uint64_t v = 0;
	for (int i = 0; i < 10; i++)
		v = v * 10 + (uint64_t)(cpr[i] - '0');
	size_t j = seen_hash(v, s->cap);
	while (s->slots[j]) {
		if ((s->slots[j] & CPR_MASK) == v)
			return (long)(s->slots[j] >> CPR_BITS);
		j = (j + 1) & (s->cap - 1);
	}
	s->slots[j] = v | ((uint64_t)line << CPR_BITS);
	s->n++;
	return 0;
}

/* ---- the run of one import ---- */

struct pr_run {
	struct pr_plugin *pr;
	struct pr_import *imp;
	pr_import_done_fn done;
	long today; /* YYYYMMDD */

	/* shared by the thread and the loop, under MU */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct batch *ready, **ready_tail;
	int outstanding; /* batches made and not yet released by the loop */
	bool stop;       /* the loop wants the thread to end */

	pthread_t thread;
	bool thread_started;
	int pipe[2]; /* the thread writes a byte per batch; the loop reads */

	/* the thread's own */
	struct batch *last; /* the last batch it hands over */
	struct seen seen;
	size_t listed; /* refusals listed so far */

	/* the loop's own */
	struct event *ev_pipe, *ev_retry;
	struct batch *current; /* with the host */
	int attempts;
	bool ended;       /* the import's state is final; the thread may still be ending */
	bool thread_done; /* its last batch has arrived */
};

/* Hands B to the loop; waits while MAX_OUTSTANDING batches are out, unless the loop asked to
 * stop (then B is dropped, unless it is the last, which the loop must see). Returns 0, or -1
 * when the thread should end. */
static int hand_over(struct pr_run *run, struct batch *b)
{
	pthread_mutex_lock(&run->mu);
	while (!run->stop && run->outstanding >= MAX_OUTSTANDING)
		pthread_cond_wait(&run->cond, &run->mu);
	if (run->stop && !b->last) {
		pthread_mutex_unlock(&run->mu);
		batch_free(b);
		return -1;
	}
	*run->ready_tail = b;
	run->ready_tail = &b->next;
	run->outstanding++;
	pthread_mutex_unlock(&run->mu);
	ssize_t n;
	do
		n = write(run->pipe[1], "b", 1);
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full of wake-ups already, and the loop drains the whole queue */
	return 0;
}

static bool stopping(struct pr_run *run)
{
	pthread_mutex_lock(&run->mu);
	bool stop = run->stop;
	pthread_mutex_unlock(&run->mu);
	return stop;
}

static void refuse(struct pr_run *run, struct batch *b, long line, const char *reason)
{
	b->refused++;
	if (run->listed >= run->pr->cfg.report_refusals)
		return;
	if (b->nrefusals == b->caprefusals) {
		size_t cap = b->caprefusals ? b->caprefusals * 2 : 16;
		struct pr_refusal *r = realloc(b->refusals, cap * sizeof *r);
		if (r == NULL)
			return; /* counted, not listed */
		b->refusals = r;
		b->caprefusals = cap;
	}
	char *copy = batch_strdup(b, reason);
	if (copy == NULL)
		return;
	b->refusals[b->nrefusals++] = (struct pr_refusal){line, copy};
	run->listed++;
}

/* Adds the checked record REC to B; -1 when out of memory. */
static int add_citizen(struct batch *b, const struct pr_record *rec)
{
	struct og_citizen *c = &b->citizens[b->n];
	*c = (struct og_citizen){.size = sizeof *c};
	char *attributes = NULL;
	if (rec->attributes &&
	    (attributes = json_dumps(rec->attributes, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	c->cpr = batch_strndup(b, rec->cpr, 10);
	c->name = batch_strdup(b, rec->name);
	c->birth_date = batch_strndup(b, rec->birth_date, 10);
	c->municipality = batch_strdup(b, rec->municipality);
	c->attributes = attributes ? batch_strdup(b, attributes) : NULL;
	free(attributes);
	if (c->cpr == NULL || c->name == NULL || c->birth_date == NULL || c->municipality == NULL ||
	    (rec->attributes && c->attributes == NULL))
		return -1;
	b->lines[b->n++] = rec->line;
	return 0;
}

static void *import_thread(void *arg)
{
	struct pr_run *run = arg;
	const struct pr_config *cfg = &run->pr->cfg;
	struct batch *last = run->last; /* made by the loop: the end is told even without memory */
	struct batch *b = batch_new(cfg->batch_size);
	struct pr_source *src = NULL;
	if (b == NULL) {
		snprintf(last->error, sizeof last->error, "out of memory");
		goto out;
	}
	src = run->imp->source->open(cfg, run->imp->file, last->error, sizeof last->error);
	if (src == NULL) {
		batch_free(b);
		goto out;
	}
	char buf[200];
	for (;;) {
		if (b->n == cfg->batch_size || b->records >= (long)(4 * cfg->batch_size)) {
			struct batch *full = b;
			b = NULL;
			if (hand_over(run, full) != 0)
				break;
			if ((b = batch_new(cfg->batch_size)) == NULL) {
				snprintf(last->error, sizeof last->error,
					 "out of memory; the lines before were imported");
				break;
			}
		}
		if (stopping(run))
			break;
		struct pr_record rec;
		enum pr_next r = src->ops->next(src, &rec);
		if (r == PR_END)
			break;
		if (r == PR_ERROR) {
			snprintf(last->error, sizeof last->error, "%s", src->error);
			break;
		}
		b->records++;
		const char *reason = pr_validate(cfg, &rec, run->today, buf, sizeof buf);
		if (reason == NULL) {
			long earlier = seen_add(&run->seen, rec.cpr, rec.line);
			if (earlier < 0) {
				snprintf(last->error, sizeof last->error,
					 "line %ld: out of memory; the lines before were imported",
					 rec.line);
				b->records--;
				break;
			}
			if (earlier > 0) {
				snprintf(buf, sizeof buf, "the same CPR number as line %ld",
					 earlier);
				reason = buf;
			}
		}
		if (reason) {
			refuse(run, b, rec.line, reason);
		} else if (add_citizen(b, &rec) != 0) {
			snprintf(last->error, sizeof last->error,
				 "line %ld: out of memory; the lines before were imported",
				 rec.line);
			b->records--;
			break;
		}
	}
	if (b && (b->records > 0 || b->n > 0))
		hand_over(run, b);
	else
		batch_free(b);
out:
	if (src)
		src->ops->close(src);
	last->last = true;
	hand_over(run, last);
	return NULL;
}

/* ---- the loop's side ---- */

/* The loop is done with B: the thread may make another. */
static void release(struct pr_run *run, struct batch *b)
{
	pthread_mutex_lock(&run->mu);
	run->outstanding--;
	pthread_cond_signal(&run->cond);
	pthread_mutex_unlock(&run->mu);
	batch_free(b);
}

static struct batch *take(struct pr_run *run)
{
	pthread_mutex_lock(&run->mu);
	struct batch *b = run->ready;
	if (b) {
		run->ready = b->next;
		if (run->ready == NULL)
			run->ready_tail = &run->ready;
	}
	pthread_mutex_unlock(&run->mu);
	return b;
}

static void ask_stop(struct pr_run *run)
{
	pthread_mutex_lock(&run->mu);
	run->stop = true;
	pthread_cond_broadcast(&run->cond);
	pthread_mutex_unlock(&run->mu);
}

static void run_free(struct pr_run *run)
{
	if (run->thread_started)
		pthread_join(run->thread, NULL); /* it has handed over its last batch: at once */
	struct batch *b;
	while ((b = take(run)) != NULL)
		batch_free(b);
	if (!run->thread_started)
		batch_free(run->last);
	batch_free(run->current);
	if (run->ev_pipe)
		event_free(run->ev_pipe);
	if (run->ev_retry)
		event_free(run->ev_retry);
	if (run->pipe[0] >= 0)
		close(run->pipe[0]);
	if (run->pipe[1] >= 0)
		close(run->pipe[1]);
	free(run->seen.slots);
	pthread_mutex_destroy(&run->mu);
	pthread_cond_destroy(&run->cond);
	free(run);
}

/* A file name as the log may show it: a run of digits that could be a CPR number (ten, or
 * six, a dash and four) is masked. */
static void log_name(const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", name);
	for (char *p = out; *p; p++) {
		size_t d = strspn(p, "0123456789");
		size_t len = d == 6 && p[6] == '-' && strspn(p + 7, "0123456789") >= 4 ? 11 : d;
		if (d >= 6 && (len == 11 || d >= 10))
			memset(p, '*', len == 11 ? 11 : d);
		p += d ? d - 1 : 0;
	}
}

/* The import has ended once its state is final and its thread has handed over its last
 * batch. */
static void maybe_end(struct pr_run *run)
{
	if (!run->ended || !run->thread_done || run->current)
		return;
	struct pr_import *imp = run->imp;
	struct pr_plugin *pr = run->pr;
	imp->finished_at = pr_now_ms();
	imp->run = NULL;
	char name[256];
	log_name(imp->file, name, sizeof name);
	if (imp->state == PR_DONE)
		pr->host->log(pr->ctx, OG_LOG_INFO,
			      "import %s of %s done in %.1f s: %ld lines, %ld added, %ld changed, "
			      "%ld unchanged, %ld refused",
			      imp->id, name, (double)(imp->finished_at - imp->started_at) / 1000,
			      imp->lines, imp->added, imp->changed, imp->unchanged, imp->refused);
	else
		pr->host->log(pr->ctx, OG_LOG_ERROR,
			      "import %s of %s failed after %ld lines (%ld added, %ld changed, %ld "
			      "unchanged, %ld refused): %s",
			      imp->id, name, imp->lines, imp->added, imp->changed, imp->unchanged,
			      imp->refused, imp->error);
	pr_import_done_fn done = run->done;
	run_free(run);
	done(pr, imp);
}

/* Ends the import as failed with ERROR; what the thread still hands over is dropped. */
static void fail(struct pr_run *run, const char *error)
{
	run->imp->state = PR_FAILED;
	snprintf(run->imp->error, sizeof run->imp->error, "%s", error);
	run->ended = true;
	ask_stop(run);
	if (run->current) {
		release(run, run->current);
		run->current = NULL;
	}
}

static void pump(struct pr_run *run);

static void on_upserted(void *arg, int ok, const struct og_upsert_result *r, const char *error);

static void send_batch(struct pr_run *run)
{
	struct pr_plugin *pr = run->pr;
	struct batch *b = run->current;
	run->attempts++;
	if (pr->host->upsert_citizens(pr->ctx, b->citizens, b->n, on_upserted, run) != 0)
		on_upserted(run, 0, NULL, "the host refused the call (see the daemon's log)");
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct pr_run *run = arg;
	send_batch(run);
}

static void on_upserted(void *arg, int ok, const struct og_upsert_result *r, const char *error)
{
	struct pr_run *run = arg;
	struct pr_plugin *pr = run->pr;
	struct batch *b = run->current;
	if (ok) {
		run->imp->added += r->added;
		run->imp->changed += r->changed;
		run->imp->unchanged += r->unchanged;
		run->current = NULL;
		release(run, b);
		pump(run);
		return;
	}
	long first = b->lines[0], last = b->lines[b->n - 1];
	if (run->attempts < MAX_ATTEMPTS) {
		int delay_ms = 1000 << (run->attempts - 1);
		pr->host->log(pr->ctx, OG_LOG_WARN,
			      "import %s: storing lines %ld-%ld failed (attempt %d of %d): %s; "
			      "trying again in %d ms",
			      run->imp->id, first, last, run->attempts, MAX_ATTEMPTS,
			      error ? error : "no reason given", delay_ms);
		struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
		evtimer_add(run->ev_retry, &tv);
		return;
	}
	char msg[sizeof run->imp->error];
	snprintf(msg, sizeof msg,
		 "lines %ld-%ld could not be stored after %d attempts: %s. The lines before them "
		 "were imported; importing the file again is safe.",
		 first, last, MAX_ATTEMPTS, error ? error : "no reason given");
	fail(run, msg);
	pump(run);
}

/* Takes what the thread handed over, while no batch is with the host. */
static void pump(struct pr_run *run)
{
	struct pr_import *imp = run->imp;
	while (run->current == NULL) {
		struct batch *b = take(run);
		if (b == NULL)
			break;
		if (b->last)
			run->thread_done = true;
		if (run->ended) {
			release(run, b);
			continue;
		}
		imp->lines += b->records;
		imp->refused += b->refused;
		for (size_t i = 0; i < b->nrefusals; i++) {
			struct pr_refusal *r = &imp->refusals[imp->nrefusals];
			if ((r->reason = strdup(b->refusals[i].reason)) == NULL)
				break;
			r->line = b->refusals[i].line;
			imp->nrefusals++;
		}
		if (b->last) {
			if (b->error[0]) {
				imp->state = PR_FAILED;
				snprintf(imp->error, sizeof imp->error, "%s", b->error);
			} else {
				imp->state = PR_DONE;
			}
			run->ended = true;
		}
		if (b->n > 0) {
			run->current = b;
			run->attempts = 0;
			send_batch(run);
		} else {
			release(run, b);
		}
	}
	maybe_end(run);
}

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct pr_run *run = arg;
	char buf[64];
	while (read(fd, buf, sizeof buf) > 0)
		;
	pump(run);
}

/* ---- starting, stopping, reporting ---- */

int64_t pr_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long today_yyyymmdd(void)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	return (long)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int pr_import_start(struct pr_plugin *pr, struct pr_import *imp, pr_import_done_fn done)
{
	const char *why = "out of memory";
	imp->started_at = pr_now_ms();
	imp->state = PR_RUNNING;
	imp->refusals = calloc(pr->cfg.report_refusals ? pr->cfg.report_refusals : 1,
			       sizeof *imp->refusals);
	struct pr_run *run = calloc(1, sizeof *run);
	if (imp->refusals == NULL || run == NULL) {
		free(run);
		goto fail;
	}
	run->pr = pr;
	run->imp = imp;
	run->done = done;
	run->today = today_yyyymmdd();
	run->ready_tail = &run->ready;
	run->pipe[0] = run->pipe[1] = -1;
	pthread_mutex_init(&run->mu, NULL);
	pthread_cond_init(&run->cond, NULL);
	if (pipe2(run->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		why = "cannot make a pipe for the import's thread";
		goto fail_run;
	}
	run->last = batch_new(1);
	run->ev_pipe = event_new(pr->base, run->pipe[0], EV_READ | EV_PERSIST, on_pipe, run);
	run->ev_retry = evtimer_new(pr->base, on_retry, run);
	if (run->last == NULL || run->ev_pipe == NULL || run->ev_retry == NULL ||
	    event_add(run->ev_pipe, NULL) != 0)
		goto fail_run;
	imp->run = run;
	int rc = pthread_create(&run->thread, NULL, import_thread, run);
	if (rc != 0) {
		why = "cannot start the import's thread";
		imp->run = NULL;
		goto fail_run;
	}
	run->thread_started = true;
	char name[256];
	log_name(imp->file, name, sizeof name);
	pr->host->log(pr->ctx, OG_LOG_INFO, "import %s of %s (%s) started by %s", imp->id, name,
		      imp->source->kind, imp->by);
	return 0;
fail_run:
	run_free(run);
fail:
	imp->state = PR_FAILED;
	imp->finished_at = pr_now_ms();
	snprintf(imp->error, sizeof imp->error, "%s", why);
	pr->host->log(pr->ctx, OG_LOG_ERROR, "import %s could not start: %s", imp->id, why);
	return -1;
}

void pr_import_abandon(struct pr_import *imp)
{
	struct pr_run *run = imp->run;
	if (run == NULL)
		return;
	ask_stop(run);
	run_free(run); /* joins the thread: it ends at its next record or hand-over */
	imp->run = NULL;
	imp->state = PR_FAILED;
	snprintf(imp->error, sizeof imp->error, "the daemon stopped during the import");
}

static const char *const state_names[] = {"queued", "running", "done", "failed"};

static json_t *time_or_null(int64_t ms)
{
	if (ms == 0)
		return json_null();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[80];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(buf);
}

json_t *pr_import_report(const struct pr_import *imp)
{
	json_t *refused = json_array();
	for (size_t i = 0; refused && i < imp->nrefusals; i++)
		json_array_append_new(refused, json_pack("{s:I,s:s}", "line",
							 (json_int_t)imp->refusals[i].line,
							 "reason", imp->refusals[i].reason));
	return json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:b,s:o}", "id", imp->id,
		"file", imp->file, "format", imp->source->kind, "by", imp->by, "state",
		state_names[imp->state], "created_at", time_or_null(imp->created_at), "started_at",
		time_or_null(imp->started_at), "finished_at", time_or_null(imp->finished_at),
		"lines", (json_int_t)imp->lines, "added", (json_int_t)imp->added, "changed",
		(json_int_t)imp->changed, "unchanged", (json_int_t)imp->unchanged, "refused",
		(json_int_t)imp->refused, "refused_lines", refused ? refused : json_array(),
		"refused_lines_truncated", imp->refused > (long)imp->nrefusals, "error",
		imp->state == PR_FAILED ? json_string(imp->error) : json_null());
}

void pr_import_free(struct pr_import *imp)
{
	if (imp == NULL)
		return;
	pr_import_abandon(imp);
	for (size_t i = 0; i < imp->nrefusals; i++)
		free(imp->refusals[i].reason);
	free(imp->refusals);
	free(imp);
}
