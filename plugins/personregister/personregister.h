/*
 * The personregister plugin's parts: what its files share.
 *
 * An import reads an extract through a source (source_file.c: CSV or JSON lines; later a
 * Serviceplatformen client), checks each record (validate.c), and hands good ones to the host
 * in batches (import.c); the plugin (personregister.c) serves the routes and keeps the
 * imports and their reports.
 *
 * Threads: a source, the checks and the batching run on the import's own thread; everything
 * that touches the host or libevent runs on the daemon's loop (import.c hands batches over
 * through a pipe watched there).
 */
#ifndef PERSONREGISTER_H
#define PERSONREGISTER_H

#include <jansson.h>
#include <overgang/plugin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- configuration ---- */

#define PR_MAX_ATTRIBUTES 64

struct pr_config {
	char import_dir[4096];
	char *attributes[PR_MAX_ATTRIBUTES]; /* the attribute names an extract may set */
	size_t nattributes;
	bool municipality_allowed[1000]; /* by code */
	size_t batch_size;               /* citizens per upsert_citizens call */
	size_t report_refusals;          /* refused lines listed in a report */
	size_t keep_imports;             /* finished imports kept for GET */
	int watch_interval_ms;           /* 0: no job watching import_dir */
};

/* ---- sources ---- */

/* One record as a source read it. Strings are NULL when the field is absent, and valid until
 * the next call of the source's next(). */
struct pr_record {
	long line; /* where the record starts in the extract, from 1 */
	const char *cpr;
	const char *name;
	const char *birth_date;
	const char *municipality;
	json_t *attributes; /* an object (borrowed), or NULL */
	/* Set when the source could not read the record (bad JSON, wrong number of fields):
	 * why, with no personal data; the other fields are then unset. */
	const char *refused;
};

enum pr_next {
	PR_RECORD = 0, /* *REC holds the next record */
	PR_END = 1,    /* no more records */
	PR_ERROR = 2,  /* the source failed: pr_source.error says why */
};

struct pr_source;

/* A kind of source. Its functions run on the import's thread, never on the loop, so they may
 * block (a file read, a request to another system); they must not call the host. */
struct pr_source_ops {
	const char *kind; /* "csv", "jsonl" */
	/* Opens the source NAME (for files: a file in CFG's import_dir) and returns it, or NULL
	 * with ERR saying why (no personal data). */
	struct pr_source *(*open)(const struct pr_config *cfg, const char *name, char *err,
				  size_t errlen);
	enum pr_next (*next)(struct pr_source *src, struct pr_record *rec);
	void (*close)(struct pr_source *src);
};

/* What every source starts with. */
struct pr_source {
	const struct pr_source_ops *ops;
	char error[256]; /* after PR_ERROR */
};

extern const struct pr_source_ops pr_source_csv;
extern const struct pr_source_ops pr_source_jsonl;

/* The source kind for FORMAT ("csv", "jsonl"), or for NAME's extension when FORMAT is NULL
 * (.csv; .jsonl, .ndjson); NULL when neither says. */
const struct pr_source_ops *pr_source_for(const char *format, const char *name);

/* Whether NAME may name a file in import_dir: letters, digits, '.', '_', '-', not starting
 * with '.', at most 200 bytes (so no paths, no "..", nothing hidden). */
bool pr_file_name_ok(const char *name);

/* ---- checks ---- */

/* Checks REC against the CPR rules and CFG. Returns NULL when it may be imported, or why not
 * (a sentence naming no personal data; static, or in BUF of BUFLEN bytes). TODAY is the
 * date as YYYYMMDD. */
const char *pr_validate(const struct pr_config *cfg, const struct pr_record *rec, long today,
			char *buf, size_t buflen);

/* The date in a CPR number: 1 with *YEAR, *MONTH, *DAY set, or 0 when CPR (10 digits) holds
 * no possible date. The century comes from the 7th digit as the CPR office's table says. */
int pr_cpr_date(const char *cpr, int *year, int *month, int *day);

/* Whether S is valid UTF-8 without control characters. */
bool pr_text_ok(const char *s);

/* The municipality codes of Denmark's 98 municipalities. */
extern const int pr_municipality_codes[];
extern const size_t pr_nmunicipality_codes;

/* ---- imports ---- */

enum pr_state { PR_QUEUED = 0, PR_RUNNING, PR_DONE, PR_FAILED };

struct pr_refusal {
	long line;
	char *reason;
};

/* One import: what it reads, where it is, and its report. Owned by the plugin's list. */
struct pr_import {
	struct pr_import *next;
	char id[33];
	char file[256];
	const struct pr_source_ops *source;
	char by[128]; /* the administrator who asked, or "watch" */
	bool from_watch;
	enum pr_state state;
	int64_t created_at, started_at, finished_at; /* Unix ms; 0: not yet */
	long lines;                                  /* records read */
	long added, changed, unchanged, refused;
	struct pr_refusal *refusals; /* the first report_refusals refused lines, in order */
	size_t nrefusals;
	char error[512];    /* PR_FAILED: why */
	struct pr_run *run; /* while running */
};

struct pr_plugin;

/* Starts IMP (queued) on its own thread; its batches go to the host from the loop. DONE is
 * called on the loop when it has ended (state PR_DONE or PR_FAILED). Returns 0, or -1 with
 * IMP failed. */
typedef void (*pr_import_done_fn)(struct pr_plugin *pr, struct pr_import *imp);
int pr_import_start(struct pr_plugin *pr, struct pr_import *imp, pr_import_done_fn done);

/* Stops a running import at once (at shutdown): waits for its thread, drops what is queued,
 * calls nothing back. */
void pr_import_abandon(struct pr_import *imp);

/* The report of IMP as a JSON object (new reference). */
json_t *pr_import_report(const struct pr_import *imp);

void pr_import_free(struct pr_import *imp);

/* ---- the plugin ---- */

struct pr_plugin {
	struct og_plugin_ctx *ctx;
	const struct og_host *host;
	struct event_base *base;
	struct pr_config cfg;
	struct pr_import *imports; /* newest first */
	struct pr_import *running; /* one import at a time */
	bool watch_running;        /* the watch job's run is not over */
};

int64_t pr_now_ms(void);

#endif
