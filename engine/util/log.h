/*
 * Structured logging: one JSON object per line (time, level, msg, src, and the caller's
 * fields) on stderr or a log file. Never pass a CPR number, a citizen's name or a secret
 * (a password, a token, a full conninfo) into a log line: the log is read by operators who
 * must not see personal data.
 */
#ifndef OG_LOG_H
#define OG_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum og_level { OG_DEBUG, OG_INFO, OG_WARN, OG_ERROR };

/* Parses "debug", "info", "warn", "error". Returns 0, or -1 for another word. */
__attribute__((warn_unused_result)) int og_log_level_parse(const char *word, enum og_level *out);
const char *og_log_level_name(enum og_level level);

void og_log_set_level(enum og_level level);
bool og_log_enabled(enum og_level level);

/* Sends the log to PATH (appending), or to stderr when PATH is NULL or empty. The path is
 * kept, so og_log_reopen() (on SIGHUP) opens it again after a log rotation. Returns 0, or -1
 * with the reason logged on stderr. */
__attribute__((warn_unused_result)) int og_log_open(const char *path);
int og_log_reopen(void);
void og_log_close(void);

/* Writes one line. FIELDS (may be NULL) is a JSON object whose members are added to the
 * line; the reference is stolen. */
void og_log_write(enum og_level level, const char *file, int line, json_t *fields, const char *fmt,
		  ...) __attribute__((format(printf, 5, 6)));

#define og_log(level, fields, ...)                                                    \
	do {                                                                          \
		if (og_log_enabled(level))                                            \
			og_log_write(level, __FILE__, __LINE__, fields, __VA_ARGS__); \
		else                                                                  \
			json_decref(fields);                                          \
	} while (0)
#define og_debug(fields, ...) og_log(OG_DEBUG, fields, __VA_ARGS__)
#define og_info(fields, ...) og_log(OG_INFO, fields, __VA_ARGS__)
#define og_warn(fields, ...) og_log(OG_WARN, fields, __VA_ARGS__)
#define og_error(fields, ...) og_log(OG_ERROR, fields, __VA_ARGS__)

#endif
