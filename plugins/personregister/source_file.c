/* Extract files in import_dir as sources: CSV with a header line, and JSON lines. Both read
 * the file in large blocks and hand out one record per line; they run on the import's
 * thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "personregister.h"

#define BLOCK (1 << 20)    /* bytes read at a time */
#define MAX_LINE (1 << 16) /* a longer line is refused */

/* ---- file names ---- */

bool pr_file_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 200 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

const struct pr_source_ops *pr_source_for(const char *format, const char *name)
{
	if (format)
		return strcmp(format, "csv") == 0     ? &pr_source_csv
		       : strcmp(format, "jsonl") == 0 ? &pr_source_jsonl
						      : NULL;
	if (ends_with(name, ".csv"))
		return &pr_source_csv;
	if (ends_with(name, ".jsonl") || ends_with(name, ".ndjson"))
		return &pr_source_jsonl;
	return NULL;
}

/* ---- lines of a file ---- */

struct lines {
	int fd;
	char *buf;
	size_t start, end; /* the unread bytes are buf[start, end) */
	bool eof;
	long number; /* of the line last handed out */
	char error[200];
};

static int lines_open(struct lines *l, const struct pr_config *cfg, const char *name, char *err,
		      size_t errlen)
{
	*l = (struct lines){.fd = -1};
	char path[sizeof cfg->import_dir + 256];
	if (!pr_file_name_ok(name)) {
		snprintf(err, errlen, "not a file name in import_dir");
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", cfg->import_dir, name);
	/* no symbolic links: the file is in import_dir, not elsewhere */
	l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (l->fd < 0 || fstat(l->fd, &st) != 0) {
		snprintf(err, errlen, "cannot open %s in import_dir: %s", name,
			 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s in import_dir is not a regular file", name);
		goto fail;
	}
	l->buf = malloc(BLOCK + 1);
	if (l->buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
fail:
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	return -1;
}

static void lines_close(struct lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
}

/* Fills the buffer after moving the unread bytes to its start. -1 on a read error. */
static int lines_fill(struct lines *l)
{
	memmove(l->buf, l->buf + l->start, l->end - l->start);
	l->end -= l->start;
	l->start = 0;
	while (!l->eof && l->end < BLOCK) {
		ssize_t n = read(l->fd, l->buf + l->end, BLOCK - l->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(l->error, sizeof l->error, "reading the file failed: %s",
				 strerror(errno));
			return -1;
		}
		if (n == 0)
			l->eof = true;
		l->end += (size_t)n;
		break;
	}
	return 0;
}

enum line_result { LINE_OK, LINE_END, LINE_TOO_LONG, LINE_ERROR };

/* The next line, NUL-terminated and without its line end, in *LINE (*LEN bytes; valid until
 * the next call). A line longer than MAX_LINE is skipped whole and reported as too long. */
static enum line_result lines_next(struct lines *l, char **line, size_t *len)
{
	bool too_long = false; /* the tail of a line longer than the buffer */
	for (;;) {
		char *s = l->buf + l->start;
		size_t avail = l->end - l->start, n;
		char *nl = memchr(s, '\n', avail);
		if (nl) {
			n = (size_t)(nl - s);
			l->start += n + 1;
		} else if (l->eof) {
			if (avail == 0 && !too_long)
				return LINE_END;
			n = avail; /* the last line has no line end */
			l->start = l->end;
		} else if (avail >= BLOCK) {
			too_long = true; /* drop it and look for its end */
			l->start = l->end;
			if (lines_fill(l) != 0)
				return LINE_ERROR;
			continue;
		} else {
			if (lines_fill(l) != 0)
				return LINE_ERROR;
			continue;
		}
		l->number++;
		if (too_long || n > MAX_LINE)
			return LINE_TOO_LONG;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		s[n] = '\0';
		if (l->number == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) { /* BOM */
			s += 3;
			n -= 3;
		}
		*line = s;
		*len = n;
		return LINE_OK;
	}
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* A column or field name safe to repeat in a message. */
static const char *shown(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 40)
		return "?";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      s[i] == '-' || (i > 0 && s[i] >= '0' && s[i] <= '9')))
			return "?";
	return s;
}

/* ---- CSV ---- */

enum { COL_CPR, COL_NAME, COL_BIRTH_DATE, COL_MUNICIPALITY, NFIELDS };
static const char *const field_names[NFIELDS] = {"cpr", "name", "birth_date", "municipality"};

#define MAX_COLUMNS (NFIELDS + PR_MAX_ATTRIBUTES)

struct csv {
	struct pr_source base;
	struct lines lines;
	char sep;
	size_t ncolumns;
	int field_column[NFIELDS];      /* the column of each field */
	char *column_name[MAX_COLUMNS]; /* attribute columns: the attribute; fields: NULL */
	char *cells[MAX_COLUMNS + 1];
	json_t *attributes;
	char reason[160];
};

/* Splits LINE in place at SEP, with RFC 4180 quotes; the fields go to CELLS (at most MAX).
 * Returns the number of fields, or -1 when a quote is not closed on the line, -2 when a
 * quoted field has something after its closing quote. Unquoted fields are trimmed. */
static int split(char *line, char sep, char **cells, size_t max)
{
	size_t n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		char *out = p, *cell = p;
		if (*p == '"') {
			char *q = p + 1;
			for (;;) {
				if (*q == '\0')
					return -1;
				if (*q == '"' && q[1] == '"') {
					*out++ = '"';
					q += 2;
				} else if (*q == '"') {
					q++;
					break;
				} else {
					*out++ = *q++;
				}
			}
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != sep && *q != '\0')
				return -2;
			p = q;
		} else {
			while (*p && *p != sep)
				p++;
			out = p;
			while (out > cell && (out[-1] == ' ' || out[-1] == '\t'))
				out--;
		}
		char end = *p;
		*out = '\0';
		if (n < max)
			cells[n] = cell;
		n++;
		if (end == '\0')
			break;
		p++;
	}
	return (int)n;
}

static void csv_close(struct pr_source *src)
{
	struct csv *c = (struct csv *)src;
	lines_close(&c->lines);
	for (size_t i = 0; i < MAX_COLUMNS; i++)
		free(c->column_name[i]);
	json_decref(c->attributes);
	free(c);
}

static bool allowed_attribute(const struct pr_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nattributes; i++)
		if (strcmp(cfg->attributes[i], name) == 0)
			return true;
	return false;
}

/* Reads the header: the separator (',', ';' or tab, whichever it has most of) and what each
 * column is. */
static int csv_header(struct csv *c, const struct pr_config *cfg, char *err, size_t errlen)
{
	char *line;
	size_t len;
	enum line_result r;
	do
		r = lines_next(&c->lines, &line, &len);
	while (r == LINE_OK && blank(line));
	if (r == LINE_END) {
		snprintf(err, errlen, "the file is empty: a CSV extract starts with a header line");
		return -1;
	}
	if (r != LINE_OK) {
		snprintf(err, errlen, "line %ld: %s", c->lines.number,
			 r == LINE_TOO_LONG ? "the header line is too long" : c->lines.error);
		return -1;
	}
	size_t counts[3] = {0};
	for (char *p = line; *p; p++)
		counts[0] += *p == ',', counts[1] += *p == ';', counts[2] += *p == '\t';
	c->sep = counts[1] > counts[0] && counts[1] >= counts[2] ? ';'
		 : counts[2] > counts[0]                         ? '\t'
								 : ',';
	long at = c->lines.number;
	int n = split(line, c->sep, c->cells, MAX_COLUMNS);
	if (n < 0 || (size_t)n > MAX_COLUMNS) {
		snprintf(err, errlen,
			 "line %ld: the header is not a CSV line of at most %d columns", at,
			 MAX_COLUMNS);
		return -1;
	}
	c->ncolumns = (size_t)n;
	for (int f = 0; f < NFIELDS; f++)
		c->field_column[f] = -1;
	for (size_t i = 0; i < c->ncolumns; i++) {
		const char *name = c->cells[i];
		int f = 0;
		while (f < NFIELDS && strcmp(field_names[f], name) != 0)
			f++;
		bool twice = false;
		for (size_t j = 0; j < i; j++)
			twice = twice || strcmp(c->cells[j], name) == 0;
		if (twice) {
			snprintf(err, errlen, "line %ld: the header names column '%s' twice", at,
				 shown(name));
			return -1;
		}
		if (f < NFIELDS) {
			c->field_column[f] = (int)i;
		} else if (allowed_attribute(cfg, name)) {
			if ((c->column_name[i] = strdup(name)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		} else {
			snprintf(err, errlen,
				 "line %ld: column '%s' is neither a field (cpr, name, birth_date, "
				 "municipality) nor an attribute in [plugin.personregister] "
				 "attributes",
				 at, shown(name));
			return -1;
		}
	}
	for (int f = 0; f < NFIELDS; f++)
		if (c->field_column[f] < 0) {
			snprintf(err, errlen, "line %ld: the header has no column '%s'", at,
				 field_names[f]);
			return -1;
		}
	return 0;
}

static struct pr_source *csv_open(const struct pr_config *cfg, const char *name, char *err,
				  size_t errlen)
{
	struct csv *c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base.ops = &pr_source_csv;
	c->lines.fd = -1;
	if (lines_open(&c->lines, cfg, name, err, errlen) != 0)
		goto fail;
	if ((c->attributes = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (csv_header(c, cfg, err, errlen) != 0)
		goto fail;
	return &c->base;
fail:
	csv_close(&c->base);
	return NULL;
}

/* An attribute's cell as JSON: true and false are booleans, the rest strings. */
static json_t *cell_value(const char *s)
{
	if (strcmp(s, "true") == 0)
		return json_true();
	if (strcmp(s, "false") == 0)
		return json_false();
	return json_string(s); /* NULL for text that is not UTF-8: refused below */
}

static enum pr_next csv_next(struct pr_source *src, struct pr_record *rec)
{
	struct csv *c = (struct csv *)src;
	char *line;
	size_t len;
	enum line_result r;
	do
		r = lines_next(&c->lines, &line, &len);
	while (r == LINE_OK && blank(line));
	*rec = (struct pr_record){.line = c->lines.number};
	if (r == LINE_END)
		return PR_END;
	if (r == LINE_ERROR) {
		snprintf(src->error, sizeof src->error, "line %ld: %s", c->lines.number,
			 c->lines.error);
		return PR_ERROR;
	}
	if (r == LINE_TOO_LONG) {
		rec->refused = "the line is longer than 64 KiB";
		return PR_RECORD;
	}
	int n = split(line, c->sep, c->cells, MAX_COLUMNS);
	if (n == -1) {
		rec->refused = "a quoted field is not closed on its line";
		return PR_RECORD;
	}
	if (n == -2) {
		rec->refused = "a quoted field has text after its closing quote";
		return PR_RECORD;
	}
	if ((size_t)n != c->ncolumns) {
		snprintf(c->reason, sizeof c->reason,
			 "the line has %d fields where the header has %zu (a missing field?)", n,
			 c->ncolumns);
		rec->refused = c->reason;
		return PR_RECORD;
	}
	rec->cpr = c->cells[c->field_column[COL_CPR]];
	rec->name = c->cells[c->field_column[COL_NAME]];
	rec->birth_date = c->cells[c->field_column[COL_BIRTH_DATE]];
	rec->municipality = c->cells[c->field_column[COL_MUNICIPALITY]];
	json_object_clear(c->attributes);
	for (size_t i = 0; i < c->ncolumns; i++) {
		if (c->column_name[i] == NULL || c->cells[i][0] == '\0')
			continue; /* an empty cell leaves the attribute as it is */
		json_t *v = cell_value(c->cells[i]);
		if (v == NULL) {
			snprintf(c->reason, sizeof c->reason, "attribute '%s' is not UTF-8 text",
				 c->column_name[i]);
			rec->refused = c->reason;
			return PR_RECORD;
		}
		json_object_set_new(c->attributes, c->column_name[i], v);
	}
	rec->attributes = json_object_size(c->attributes) ? c->attributes : NULL;
	return PR_RECORD;
}

const struct pr_source_ops pr_source_csv = {
	.kind = "csv",
	.open = csv_open,
	.next = csv_next,
	.close = csv_close,
};

/* ---- JSON lines ---- */

struct jsonl {
	struct pr_source base;
	struct lines lines;
	json_t *doc; /* the record handed out last */
	char municipality[8];
	char reason[160];
};

static void jsonl_close(struct pr_source *src)
{
	struct jsonl *j = (struct jsonl *)src;
	lines_close(&j->lines);
	json_decref(j->doc);
	free(j);
}

static struct pr_source *jsonl_open(const struct pr_config *cfg, const char *name, char *err,
				    size_t errlen)
{
	struct jsonl *j = calloc(1, sizeof *j);
	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->base.ops = &pr_source_jsonl;
	if (lines_open(&j->lines, cfg, name, err, errlen) != 0) {
		free(j);
		return NULL;
	}
	return &j->base;
}

/* FIELD of the record as a string: NULL when absent or null; REASON set when it is another
 * type. */
static const char *string_field(struct jsonl *j, const char *field, const char *what,
				const char **reason)
{
	json_t *v = json_object_get(j->doc, field);
	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		snprintf(j->reason, sizeof j->reason, "%s is not a JSON string", what);
		*reason = j->reason;
		return NULL;
	}
	return json_string_value(v);
}

static enum pr_next jsonl_next(struct pr_source *src, struct pr_record *rec)
{
	struct jsonl *j = (struct jsonl *)src;
	char *line;
	size_t len;
	enum line_result r;
	do
		r = lines_next(&j->lines, &line, &len);
	while (r == LINE_OK && blank(line));
	json_decref(j->doc);
	j->doc = NULL;
	*rec = (struct pr_record){.line = j->lines.number};
	if (r == LINE_END)
		return PR_END;
	if (r == LINE_ERROR) {
		snprintf(src->error, sizeof src->error, "line %ld: %s", j->lines.number,
			 j->lines.error);
		return PR_ERROR;
	}
	if (r == LINE_TOO_LONG) {
		rec->refused = "the line is longer than 64 KiB";
		return PR_RECORD;
	}
	json_error_t e;
	j->doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e);
	if (j->doc == NULL) {
		/* jansson's text may quote the data: only the column is told */
		snprintf(j->reason, sizeof j->reason, "the line is not valid JSON (column %d)",
			 e.column);
		rec->refused = j->reason;
		return PR_RECORD;
	}
	if (!json_is_object(j->doc)) {
		rec->refused = "the line is not a JSON object";
		return PR_RECORD;
	}
	const char *k;
	json_t *v;
	json_object_foreach (j->doc, k, v) {
		bool known = strcmp(k, "attributes") == 0;
		for (int f = 0; f < NFIELDS && !known; f++)
			known = strcmp(k, field_names[f]) == 0;
		if (!known) {
			snprintf(j->reason, sizeof j->reason,
				 "unknown field '%s' (the fields are cpr, name, birth_date, "
				 "municipality and attributes)",
				 shown(k));
			rec->refused = j->reason;
			return PR_RECORD;
		}
	}
	const char *reason = NULL;
	rec->cpr = string_field(j, "cpr", "the CPR number", &reason);
	rec->name = string_field(j, "name", "the name", &reason);
	rec->birth_date = string_field(j, "birth_date", "the birth date", &reason);
	json_t *m = json_object_get(j->doc, "municipality");
	if (json_is_integer(m)) {
		json_int_t code = json_integer_value(m);
		if (code >= 0 && code <= 999) {
			snprintf(j->municipality, sizeof j->municipality, "%03d", (int)code);
			rec->municipality = j->municipality;
		} else {
			rec->municipality = "";
			reason = "the municipality code is not 3 digits";
		}
	} else {
		rec->municipality =
			string_field(j, "municipality", "the municipality code", &reason);
	}
	json_t *a = json_object_get(j->doc, "attributes");
	if (a && !json_is_null(a) && !json_is_object(a))
		reason = "attributes is not a JSON object";
	else if (json_is_object(a) && json_object_size(a) > 0)
		rec->attributes = a;
	if (reason) {
		*rec = (struct pr_record){.line = j->lines.number, .refused = reason};
		return PR_RECORD;
	}
	return PR_RECORD;
}

const struct pr_source_ops pr_source_jsonl = {
	.kind = "jsonl",
	.open = jsonl_open,
	.next = jsonl_next,
	.close = jsonl_close,
};
