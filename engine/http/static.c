#include "http/static.h"

#include <dirent.h>
#include <errno.h>
#include <event2/http.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

#define MAX_DEPTH 16

struct static_file {
	char *path; /* "/app/main.js": from the folder, with a leading slash */
	char *data;
	size_t len;
	const char *type;
	char etag[40];
};

struct http_static {
	char *root; /* the folder's real path */
	struct static_file *files;
	size_t nfiles, cap;
	size_t bytes;
	const struct static_file *index;
};

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{"html", "text/html; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"json", "application/json"},
	{"map", "application/json"},
	{"webmanifest", "application/manifest+json"},
	{"svg", "image/svg+xml"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"ico", "image/x-icon"},
	{"woff", "font/woff"},
	{"woff2", "font/woff2"},
	{"ttf", "font/ttf"},
	{"otf", "font/otf"},
	{"eot", "application/vnd.ms-fontobject"},
	{"txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (dot)
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* FNV-1a over the contents: an ETag only has to change when the file does. */
static void make_etag(struct static_file *f)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < f->len; i++) {
		h ^= (unsigned char)f->data[i];
		h *= 1099511628211ull;
	}
	snprintf(f->etag, sizeof f->etag, "\"%zx-%016llx\"", f->len, (unsigned long long)h);
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
							  ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool inside(const char *root, const char *real)
{
	size_t n = strlen(root);
	return strncmp(real, root, n) == 0 && real[n] == '/';
}

static int add_file(struct http_static *s, const char *full, const char *rel, char *err,
		    size_t errlen)
{
	if (s->nfiles == HTTP_STATIC_MAX_FILES) {
		set_err(err, errlen,
			"web root %s: more than %d files; the daemon keeps them in memory", s->root,
			HTTP_STATIC_MAX_FILES);
		return -1;
	}
	if (s->nfiles == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct static_file *f = realloc(s->files, cap * sizeof *f);
		if (f == NULL)
			goto nomem;
		s->files = f;
		s->cap = cap;
	}
	struct static_file *f = &s->files[s->nfiles];
	memset(f, 0, sizeof *f);
	f->data = og_read_file(full, &f->len);
	if (f->data == NULL) {
		set_err(err, errlen, "web root %s: cannot read %s: %s", s->root, rel,
			strerror(errno));
		return -1;
	}
	if (f->len > HTTP_STATIC_MAX_BYTES - s->bytes) {
		free(f->data);
		set_err(err, errlen,
			"web root %s: its files come to more than %u MiB; the daemon keeps them in "
			"memory, so leave out what the pages do not use",
			s->root, HTTP_STATIC_MAX_BYTES >> 20);
		return -1;
	}
	f->path = strdup(rel);
	if (f->path == NULL) {
		free(f->data);
		goto nomem;
	}
	f->type = type_of(rel);
	make_etag(f);
	s->bytes += f->len;
	s->nfiles++;
	return 0;
nomem:
	set_err(err, errlen, "web root %s: out of memory", s->root);
	return -1;
}

/* Loads the folder DIR (REL within the root: "" or "/app"). */
static int walk(struct http_static *s, const char *dir, const char *rel, int depth, char *err,
		size_t errlen)
{
	if (depth > MAX_DEPTH) {
		set_err(err, errlen, "web root %s: folders nested deeper than %d at %s", s->root,
			MAX_DEPTH, rel);
		return -1;
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		set_err(err, errlen, "web root %s: cannot read %s: %s", s->root,
			rel[0] ? rel : "the folder", strerror(errno));
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ".", "..", and dot-files are never served */
		char full[PATH_MAX], sub[PATH_MAX], real[PATH_MAX];
		if ((size_t)snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= sizeof full ||
		    (size_t)snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name) >= sizeof sub)
			continue;
		struct stat st;
		if (lstat(full, &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* a link is served only when what it names lies inside the folder */
			if (realpath(full, real) == NULL || !inside(s->root, real) ||
			    stat(real, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
		}
		if (S_ISDIR(st.st_mode))
			rc = walk(s, full, sub, depth + 1, err, errlen);
		else if (S_ISREG(st.st_mode))
			rc = add_file(s, full, sub, err, errlen);
	}
	closedir(d);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->path, ((const struct static_file *)b)->path);
}

static const struct static_file *find(const struct http_static *s, const char *path)
{
	struct static_file key = {.path = (char *)path};
	return bsearch(&key, s->files, s->nfiles, sizeof *s->files, by_path);
}

struct http_static *http_static_load(const char *root, char *err, size_t errlen)
{
	struct http_static *s = calloc(1, sizeof *s);
	char real[PATH_MAX];
	if (s == NULL) {
		set_err(err, errlen, "web root %s: out of memory", root);
		return NULL;
	}
	if (realpath(root, real) == NULL) {
		set_err(err, errlen, "web root %s: %s", root, strerror(errno));
		goto fail;
	}
	s->root = strdup(real);
	if (s->root == NULL) {
		set_err(err, errlen, "web root %s: out of memory", root);
		goto fail;
	}
	if (walk(s, s->root, "", 0, err, errlen) != 0)
		goto fail;
	qsort(s->files, s->nfiles, sizeof *s->files, by_path);
	s->index = find(s, "/index.html");
	if (s->index == NULL) {
		set_err(err, errlen, "web root %s: there is no index.html", root);
		goto fail;
	}
	return s;
fail:
	http_static_free(s);
	return NULL;
}

void http_static_free(struct http_static *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	free(s->root);
	free(s);
}

size_t http_static_count(const struct http_static *s) { return s->nfiles; }

size_t http_static_bytes(const struct http_static *s) { return s->bytes; }

int http_static_default_root(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	return (size_t)snprintf(buf, len, "%s/web", exe) < len ? 0 : -1;
}

/* The API's own prefixes: a path there that no route has is the API's 404, not a page. */
static bool reserved(const char *path)
{
	static const char *const prefixes[] = {"/v1", "/metrics", "/healthz", "/readyz"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(path, prefixes[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/* A decoded path names a file only when it is "/" followed by segments that are neither
 * empty, ".", nor "..", without a backslash. */
static bool well_formed(const char *path)
{
	if (path[0] != '/' || strchr(path, '\\'))
		return false;
	if (path[1] == '\0')
		return true;
	for (const char *seg = path + 1;;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (end == NULL)
			return true;
		seg = end + 1;
	}
}

/* A page of the app rather than a file: its last segment has no extension. */
static bool app_page(const char *path)
{
	const char *last = strrchr(path, '/');
	return strchr(last ? last : path, '.') == NULL;
}

static void not_found(struct http_req *req)
{
	http_reply_problem(req, 404, "not-found", "Not found", "There is no resource at this path.",
			   NULL);
}

static void on_static(struct http_req *req, void *arg)
{
	const struct http_static *s = arg;
	const char *raw = http_req_path(req);
	http_req_reply_header(req, "Content-Security-Policy", HTTP_STATIC_CSP);
	http_req_reply_header(req, "X-Content-Type-Options", "nosniff");
	http_req_reply_header(req, "Referrer-Policy", "no-referrer");
	if (reserved(raw)) {
		not_found(req);
		return;
	}
	const char *method = http_req_method(req);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		http_req_reply_header(req, "Allow", "GET, HEAD");
		http_reply_problem(req, 405, "method-not-allowed", "Method not allowed",
				   "The web pages can only be read (GET or HEAD).", NULL);
		return;
	}
	size_t len = 0;
	char *path = evhttp_uridecode(raw, 0, &len);
	if (path == NULL) {
		http_reply_problem(req, 503, "internal", "Internal error", "out of memory", NULL);
		return;
	}
	const struct static_file *f = NULL;
	if (len == strlen(path) && well_formed(path)) {
		f = strcmp(path, "/") == 0 ? s->index : find(s, path);
		if (f == NULL && app_page(path))
			f = s->index;
	}
	free(path);
	if (f == NULL) {
		not_found(req);
		return;
	}
	http_req_reply_header(req, "ETag", f->etag);
	http_req_reply_header(req, "Cache-Control", "no-cache");
	const char *inm = http_req_header(req, "If-None-Match");
	if (inm && strstr(inm, f->etag)) {
		http_reply(req, 304, f->type, "", 0);
		return;
	}
	http_reply(req, 200, f->type, f->data, f->len);
}

int http_static_serve(struct http_server *srv, struct http_static *files)
{
	return http_server_fallback(srv, "static", on_static, files);
}
