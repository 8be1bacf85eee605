#include "config/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { KEY_STRING, KEY_DURATION, KEY_LISTEN, KEY_LEVEL, KEY_INT, KEY_BOOL, KEY_UUID };

struct key_spec {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	long min, max; /* durations in milliseconds */
};

#define FIELD(f) offsetof(struct cfg, f)

static const struct key_spec keys[] = {
	{"daemon", "listen", KEY_LISTEN, 0, 0, 0},
	{"daemon", "log_level", KEY_LEVEL, FIELD(log_level), 0, 0},
	{"daemon", "log_file", KEY_STRING, FIELD(log_file), 0, 0},
	{"daemon", "shutdown_timeout", KEY_DURATION, FIELD(shutdown_timeout_ms), 100, 600000},
	{"database", "conninfo", KEY_STRING, FIELD(db_conninfo), 0, 0},
	{"database", "reconnect_min", KEY_DURATION, FIELD(db_reconnect_min_ms), 10, 60000},
	{"database", "reconnect_max", KEY_DURATION, FIELD(db_reconnect_max_ms), 10, 600000},
	{"database", "check_interval", KEY_DURATION, FIELD(db_check_interval_ms), 100, 60000},
	{"engine", "workers", KEY_INT, FIELD(engine_workers), 0, 64},
	{"engine", "batch_size", KEY_INT, FIELD(engine_batch_size), 1, 10000},
	{"engine", "max_attempts", KEY_INT, FIELD(engine_max_attempts), 1, 100},
	{"engine", "retry_base", KEY_DURATION, FIELD(engine_retry_base_ms), 10, 3600000},
	{"engine", "overdue_interval", KEY_DURATION, FIELD(engine_overdue_interval_ms), 100,
	 86400000},
	{"engine", "sweep_interval", KEY_DURATION, FIELD(engine_sweep_interval_ms), 1000,
	 604800000},
	{"engine", "directory_refresh", KEY_DURATION, FIELD(engine_directory_refresh_ms), 1000,
	 86400000},
	{"engine", "lua_instructions", KEY_INT, FIELD(engine_lua_instructions), 10, 10000000},
	{"engine", "lua_memory", KEY_INT, FIELD(engine_lua_memory_mib), 1, 4096},
	{"engine", "outbox_lease", KEY_DURATION, FIELD(engine_outbox_lease_ms), 1000, 86400000},
	{"engine", "outbox_max_attempts", KEY_INT, FIELD(engine_outbox_max_attempts), 1, 1000},
	{"api", "connections", KEY_INT, FIELD(api_connections), 1, 64},
	{"api", "body_limit", KEY_INT, FIELD(api_body_limit_kib), 1, 65536},
	{"api", "timeout", KEY_DURATION, FIELD(api_timeout_ms), 1000, 600000},
	{"api", "token_cache", KEY_DURATION, FIELD(api_token_cache_ms), 0, 600000},
	{"api", "page_limit", KEY_INT, FIELD(api_page_limit), 1, 10000},
	{"api", "list_cache", KEY_INT, FIELD(api_list_cache_mib), 0, 4096},
	{"api", "list_pages", KEY_INT, FIELD(api_list_pages_mib), 0, 4096},
	{"api", "access_log_merge", KEY_INT, FIELD(api_access_log_merge), 0, 100000000},
	{"api", "cpr_key_file", KEY_STRING, FIELD(api_cpr_key_file), 0, 0},
	{"web", "root", KEY_STRING, FIELD(web_root), 0, 0},
	{"fhir", "municipality_organisation", KEY_UUID, FIELD(fhir_municipality_organisation), 0,
	 0},
	{"fhir", "cpr_identifier", KEY_BOOL, FIELD(fhir_cpr_identifier), 0, 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct parse {
	struct cfg *cfg;
	const char *name;
	const char *text; /* when parsing a string */
	FILE *file;       /* when parsing a file */
	int line;         /* the line the reader handed out last */
	int seen_line[NKEYS];
	char *err;
	size_t errlen;
	int err_line;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p, const char *fmt, ...)
{
	if (p->err_line == 0) {
		p->err_line = p->line;
		int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return 0; /* inih: stop, error on this line */
}

static int parse_duration(const char *v, long *ms)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (end == v || errno != 0 || n < 0)
		return -1;
	long long scale;
	if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "s") == 0)
		scale = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		scale = 60000;
	else if (strcmp(end, "h") == 0)
		scale = 3600000;
	else
		return -1;
	if (n > LONG_MAX / scale)
		return -1;
	*ms = (long)(n * scale);
	return 0;
}

/* "HOST:PORT", "[V6ADDR]:PORT" or ":PORT" (all addresses). */
static int parse_listen(struct parse *p, const char *v)
{
	const char *colon;
	char host[256];
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (close == NULL || close[1] != ':')
			return fail(p, "listen: '%s' is not [ADDRESS]:PORT", v);
		colon = close + 1;
		if ((size_t)(close - v - 1) >= sizeof host)
			return fail(p, "listen: the address is too long");
		memcpy(host, v + 1, (size_t)(close - v - 1));
		host[close - v - 1] = '\0';
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL)
			return fail(p, "listen: '%s' is not HOST:PORT", v);
		if ((size_t)(colon - v) >= sizeof host)
			return fail(p, "listen: the address is too long");
		memcpy(host, v, (size_t)(colon - v));
		host[colon - v] = '\0';
	}
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 0 || port > 65535)
		return fail(p, "listen: port '%s' is not a number from 0 to 65535", colon + 1);
	char *h = strdup(host[0] ? host : "0.0.0.0");
	if (h == NULL)
		return fail(p, "out of memory");
	free(p->cfg->listen_host);
	p->cfg->listen_host = h;
	p->cfg->listen_port = (int)port;
	return 1;
}

static int plugin_key(struct parse *p, const char *section, const char *name, const char *value)
{
	const char *plugin = section + strlen("plugin.");
	if (*plugin == '\0')
		return fail(p, "[plugin.NAME] needs the plugin's name");
	for (struct cfg_plugin_key *k = p->cfg->plugin_keys; k; k = k->next)
		if (strcmp(k->section, plugin) == 0 && strcmp(k->key, name) == 0)
			return fail(p, "'%s' in [%s] is given twice (first on line %d)", name,
				    section, k->line);
	struct cfg_plugin_key *k = calloc(1, sizeof *k);
	if (k == NULL)
		return fail(p, "out of memory");
	k->section = strdup(plugin);
	k->key = strdup(name);
	k->value = strdup(value);
	k->line = p->line;
	if (!k->section || !k->key || !k->value) {
		free(k->section);
		free(k->key);
		free(k->value);
		free(k);
		return fail(p, "out of memory");
	}
	struct cfg_plugin_key **tail = &p->cfg->plugin_keys;
	while (*tail)
		tail = &(*tail)->next;
	*tail = k;
	return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	if (p->err_line)
		return 0;
	if (strncmp(section, "plugin.", 7) == 0)
		return plugin_key(p, section, name, value);

	bool section_known = false;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_spec *k = &keys[i];
		if (strcmp(k->section, section) != 0)
			continue;
		section_known = true;
		if (strcmp(k->name, name) != 0)
			continue;
		if (p->seen_line[i])
			return fail(p, "'%s' in [%s] is given twice (first on line %d)", name,
				    section, p->seen_line[i]);
		p->seen_line[i] = p->line;
		char *base = (char *)p->cfg;
		switch (k->type) {
		case KEY_STRING: {
			char *s = strdup(value);
			if (s == NULL)
				return fail(p, "out of memory");
			char **field = (char **)(base + k->offset);
			free(*field);
			*field = s;
			return 1;
		}
		case KEY_DURATION: {
			long ms;
			if (parse_duration(value, &ms) != 0)
				return fail(p,
					    "%s: '%s' is not a duration (a whole number with ms, "
					    "s, m or h, "
					    "such as 5s)",
					    name, value);
			if (ms < k->min || ms > k->max)
				return fail(p, "%s: %s is outside %ldms..%ldms", name, value,
					    k->min, k->max);
			*(int *)(base + k->offset) = (int)ms;
			return 1;
		}
		case KEY_INT: {
			char *end;
			errno = 0;
			long n = strtol(value, &end, 10);
			if (*value == '\0' || *end != '\0' || errno != 0)
				return fail(p, "%s: '%s' is not a whole number", name, value);
			if (n < k->min || n > k->max)
				return fail(p, "%s: %ld is outside %ld..%ld", name, n, k->min,
					    k->max);
			*(int *)(base + k->offset) = (int)n;
			return 1;
		}
		case KEY_BOOL:
			if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0) {
				*(bool *)(base + k->offset) = strcmp(value, "on") == 0;
				return 1;
			}
			return fail(p, "%s: '%s' is neither on nor off", name, value);
		case KEY_UUID: {
			static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
			bool ok = strlen(value) == strlen(form); /* or empty: none */
			for (size_t j = 0; ok && form[j]; j++)
				ok = form[j] == '-' ? value[j] == '-'
						    : strchr("0123456789abcdef", value[j]) != NULL;
			if (!ok && value[0] != '\0')
				return fail(p,
					    "%s: '%s' is not a UUID in lower case (such as "
					    "d4e3f4fb-6761-4d6c-9086-74c49231f11e)",
					    name, value);
			char *u = strdup(value);
			if (u == NULL)
				return fail(p, "out of memory");
			char **field = (char **)(base + k->offset);
			free(*field);
			*field = u;
			return 1;
		}
		case KEY_LISTEN: return parse_listen(p, value);
		case KEY_LEVEL:
			if (og_log_level_parse(value, (enum og_level *)(base + k->offset)) != 0)
				return fail(p, "%s: '%s' is not one of debug, info, warn, error",
					    name, value);
			return 1;
		}
	}
	if (!section_known) {
		if (section[0] == '\0')
			return fail(p,
				    "'%s' is outside any section; put it under [daemon], "
				    "[database], [engine] or [api]",
				    name);
		return fail(p, "unknown section [%s]", section);
	}
	return fail(p, "unknown key '%s' in [%s]", name, section);
}

/* Hands inih one line at a time and counts them, so every message can name its line. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *got;
	if (p->file) {
		got = fgets(str, num, p->file);
	} else {
		if (*p->text == '\0')
			return NULL;
		const char *nl = strchr(p->text, '\n');
		size_t len = nl ? (size_t)(nl - p->text + 1) : strlen(p->text);
		if (len > (size_t)num - 1)
			len = (size_t)num - 1;
		memcpy(str, p->text, len);
		str[len] = '\0';
		p->text += len;
		got = str;
	}
	if (got)
		p->line++;
	return got;
}

static int seen_line(const struct parse *p, const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return p->seen_line[i];
	return 0;
}

/* Rules between keys, checked once the whole file is read. */
static int check_whole(struct parse *p)
{
	struct cfg *c = p->cfg;
	if (c->db_reconnect_min_ms > c->db_reconnect_max_ms) {
		p->line = seen_line(p, "database", "reconnect_max");
		if (p->line == 0)
			p->line = seen_line(p, "database", "reconnect_min");
		fail(p, "reconnect_max (%dms) is less than reconnect_min (%dms)",
		     c->db_reconnect_max_ms, c->db_reconnect_min_ms);
		return -1;
	}
	return 0;
}

static int load(struct cfg *cfg, struct parse *p)
{
	int rc = ini_parse_stream(read_line, p, on_key, p);
	if (rc > 0 && p->err_line == 0) {
		p->line = rc;
		fail(p, "not a [section] or key = value line");
	}
	if (rc != 0 || p->err_line)
		return -1;
	if (check_whole(p) != 0)
		return -1;
	char *path = strdup(p->name);
	if (path == NULL)
		return -1;
	free(cfg->path);
	cfg->path = path;
	return 0;
}

int cfg_load_file(struct cfg *cfg, const char *path, char *err, size_t errlen)
{
	struct parse p = {.cfg = cfg, .name = path, .err = err, .errlen = errlen};
	p.file = fopen(path, "r");
	if (p.file == NULL) {
		snprintf(err, errlen, "%s: cannot read the configuration: %s", path,
			 strerror(errno));
		return -1;
	}
	int rc = load(cfg, &p);
	fclose(p.file);
	return rc;
}

int cfg_load_string(struct cfg *cfg, const char *name, const char *text, char *err, size_t errlen)
{
	struct parse p = {.cfg = cfg, .name = name, .text = text, .err = err, .errlen = errlen};
	return load(cfg, &p);
}

void cfg_defaults(struct cfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen_host = strdup("127.0.0.1");
	cfg->listen_port = 7780;
	cfg->log_level = OG_INFO;
	cfg->log_file = strdup("");
	cfg->shutdown_timeout_ms = 5000;
	cfg->db_conninfo = strdup("");
	cfg->db_reconnect_min_ms = 100;
	cfg->db_reconnect_max_ms = 5000;
	cfg->db_check_interval_ms = 1000;
	cfg->engine_workers = 2;
	cfg->engine_batch_size = 500;
	cfg->engine_max_attempts = 5;
	cfg->engine_retry_base_ms = 1000;
	cfg->engine_overdue_interval_ms = 30000;
	cfg->engine_sweep_interval_ms = 86400000;
	cfg->engine_directory_refresh_ms = 60000;
	cfg->engine_lua_instructions = 10000;
	cfg->engine_lua_memory_mib = 32;
	cfg->engine_outbox_lease_ms = 300000;
	cfg->engine_outbox_max_attempts = 12;
	cfg->api_connections = 4;
	cfg->api_body_limit_kib = 1024;
	cfg->api_timeout_ms = 30000;
	cfg->api_token_cache_ms = 5000;
	cfg->api_page_limit = 200;
	cfg->api_list_cache_mib = 16;
	cfg->api_list_pages_mib = 16;
	cfg->api_access_log_merge = 40000;
	cfg->api_cpr_key_file = strdup("");
	cfg->web_root = strdup("");
	cfg->fhir_municipality_organisation = strdup("");
	cfg->fhir_cpr_identifier = false;
}

const char *cfg_conninfo(const struct cfg *cfg)
{
	if (cfg->db_conninfo && cfg->db_conninfo[0])
		return cfg->db_conninfo;
	const char *url = getenv("DATABASE_URL");
	return url ? url : "";
}

void cfg_lua_budget(const struct cfg *cfg, size_t *memory_bytes, int64_t *instructions)
{
	*memory_bytes = (size_t)cfg->engine_lua_memory_mib << 20;
	*instructions = (int64_t)cfg->engine_lua_instructions * 1000;
}

void cfg_free(struct cfg *cfg)
{
	free(cfg->path);
	free(cfg->listen_host);
	free(cfg->log_file);
	free(cfg->db_conninfo);
	free(cfg->api_cpr_key_file);
	free(cfg->web_root);
	free(cfg->fhir_municipality_organisation);
	while (cfg->plugin_keys) {
		struct cfg_plugin_key *next = cfg->plugin_keys->next;
		free(cfg->plugin_keys->section);
		free(cfg->plugin_keys->key);
		free(cfg->plugin_keys->value);
		free(cfg->plugin_keys);
		cfg->plugin_keys = next;
	}
	memset(cfg, 0, sizeof *cfg);
}
