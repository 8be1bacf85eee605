#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum og_level log_level = OG_INFO;
static FILE *log_out;
static char *log_path;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int og_log_level_parse(const char *word, enum og_level *out)
{
	for (int i = OG_DEBUG; i <= OG_ERROR; i++) {
		if (strcmp(word, level_names[i]) == 0) {
			*out = (enum og_level)i;
			return 0;
		}
	}
	return -1;
}

const char *og_log_level_name(enum og_level level) { return level_names[level]; }

void og_log_set_level(enum og_level level) { log_level = level; }

bool og_log_enabled(enum og_level level) { return level >= log_level; }

static FILE *out(void) { return log_out ? log_out : stderr; }

int og_log_open(const char *path)
{
	og_log_close();
	if (path == NULL || path[0] == '\0')
		return 0;
	FILE *f = fopen(path, "a");
	if (f == NULL) {
		fprintf(stderr, "overgang: cannot open log file %s: %s\n", path, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	log_path = strdup(path);
	log_out = f;
	return 0;
}

int og_log_reopen(void)
{
	if (log_path == NULL)
		return 0;
	FILE *f = fopen(log_path, "a");
	if (f == NULL) {
		og_error(json_pack("{s:s}", "error", strerror(errno)),
			 "cannot reopen the log file; logging on");
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	fclose(log_out);
	log_out = f;
	return 0;
}

void og_log_close(void)
{
	if (log_out)
		fclose(log_out);
	log_out = NULL;
	free(log_path);
	log_path = NULL;
}

void og_log_write(enum og_level level, const char *file, int line, json_t *fields, const char *fmt,
		  ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char stamp[40];
	size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof stamp - n, ".%03dZ", (int)(tv.tv_usec / 1000));

	const char *base = strrchr(file, '/');
	char src[128];
	snprintf(src, sizeof src, "%s:%d", base ? base + 1 : file, line);

	json_t *obj = json_object();
	if (obj == NULL) {
		json_decref(fields);
		return;
	}
	json_object_set_new(obj, "time", json_string(stamp));
	json_object_set_new(obj, "level", json_string(level_names[level]));
	json_object_set_new(obj, "msg", json_string(msg));
	json_object_set_new(obj, "src", json_string(src));
	if (json_is_object(fields)) {
		const char *key;
		json_t *value;
		json_object_foreach (fields, key, value) {
			if (json_object_get(obj, key) == NULL)
				json_object_set(obj, key, value);
		}
	}
	json_decref(fields);

	char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (text == NULL)
		return;
	FILE *f = out();
	fputs(text, f);
	fputc('\n', f);
	fflush(f);
	free(text);
}
