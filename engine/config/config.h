/*
 * The configuration file: INI sections and keys (deploy/overgang.example.conf documents every
 * key with its default), read once at start-up. An unknown section or key, a value of the
 * wrong form or a key given twice is refused with "FILE:LINE: what is wrong".
 * The database connection also follows the standard libpq environment (PGHOST, PGPORT, ...)
 * where the file leaves it open. Sections named [plugin.NAME] belong to that plugin: their
 * keys are kept as given, for the plugin to read.
 */
#ifndef OG_CONFIG_H
#define OG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/log.h"

struct cfg_plugin_key {
	struct cfg_plugin_key *next;
	char *section; /* the NAME of [plugin.NAME] */
	char *key;
	char *value;
	int line;
};

struct cfg {
	char *path;

	/* [daemon] */
	char *listen_host;
	int listen_port;
	enum og_level log_level;
	char *log_file;          /* empty: stderr */
	int shutdown_timeout_ms; /* how long SIGTERM waits for work in flight */

	/* [database] */
	char *db_conninfo; /* empty: DATABASE_URL, then the libpq environment */
	int db_reconnect_min_ms;
	int db_reconnect_max_ms;
	int db_check_interval_ms; /* how often the daemon checks that the database answers */

	/* [engine] */
	int engine_workers;       /* database connections that claim and apply steps */
	int engine_batch_size;    /* events claimed per transaction */
	int engine_max_attempts;  /* a handler failing this often marks its case stuck */
	int engine_retry_base_ms; /* first retry delay after a failed step; doubles per attempt */
	int engine_overdue_interval_ms;  /* how often overdue tasks are looked for */
	int engine_sweep_interval_ms;    /* how often start triggers are swept (and at start-up) */
	int engine_directory_refresh_ms; /* the staff directory and caseloads read again at least */
	int engine_lua_instructions;     /* per handler call, in thousands */
	int engine_lua_memory_mib;       /* per workflow's Lua state */
	int engine_outbox_lease_ms;      /* a claimed outbox row is this daemon's this long */
	int engine_outbox_max_attempts;  /* then a failing delivery is parked */

	/* [api] */
	int api_connections;      /* database connections serving the HTTP API */
	int api_body_limit_kib;   /* a request body larger than this is refused with 413 */
	int api_timeout_ms;       /* a client idle or slow this long is disconnected */
	int api_token_cache_ms;   /* how long a checked token is trusted before it is read again */
	int api_page_limit;       /* the largest page a list returns */
	int api_list_cache_mib;   /* task list entries kept rendered (api/task_list.h); 0: none */
	int api_list_pages_mib;   /* whole task list pages kept (api/list_pages.h); 0: none */
	int api_access_log_merge; /* reads between merges of the access log's index; 0: none */
	char *api_cpr_key_file;   /* the secret key of the CPR number's keyed hash */

	/* [web] */
	char *web_root; /* the web task list's folder; empty: "web" beside overgangd */

	/* [fhir] the export to KL's FFB reporting (GET /v1/cases/{id}/fhir) */
	char *fhir_municipality_organisation; /* KOMBIT's organisation UUID; empty: none */
	bool fhir_cpr_identifier;             /* the Patient carries the CPR number */

	struct cfg_plugin_key *plugin_keys;
};

/* Fills CFG with the defaults. */
void cfg_defaults(struct cfg *cfg);

/* Reads PATH over the defaults. Returns 0, or -1 with "PATH:LINE: message" in ERR. */
__attribute__((warn_unused_result)) int cfg_load_file(struct cfg *cfg, const char *path, char *err,
						      size_t errlen);
/* The same for TEXT, reported as coming from NAME (tests, embedded defaults). */
__attribute__((warn_unused_result)) int cfg_load_string(struct cfg *cfg, const char *name,
							const char *text, char *err, size_t errlen);

/* The conninfo to hand libpq: the file's, else $DATABASE_URL, else "" (libpq environment).
 * Never log it: it may hold a password. */
const char *cfg_conninfo(const struct cfg *cfg);

/* The Lua budgets of [engine] in the units the sandbox counts: bytes per workflow state,
 * instructions per handler call. The daemon and every command that loads a workflow use
 * these, so a workflow that loads in `overgang check` loads in the daemon. */
void cfg_lua_budget(const struct cfg *cfg, size_t *memory_bytes, int64_t *instructions);

void cfg_free(struct cfg *cfg);

#endif
