/* Helpers of the authoring commands: outside programs, temporary files, checking a file. */
#include "cli/tools.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/check.h"
#include "core/deploy.h"

extern char **environ;
extern const char cli_luacheckrc[]; /* workflows/.luacheckrc, built in */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_read(struct buf *b, int fd)
{
	if (b->cap - b->len < 4096) {
		size_t cap = b->cap ? b->cap * 2 : 8192;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	ssize_t n = read(fd, b->p + b->len, b->cap - b->len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	b->len += (size_t)n;
	b->p[b->len] = '\0';
	return n == 0 ? 0 : 1;
}

int cli_run_program(const char *const argv[], const char *input, size_t len, char **out, char **err,
		    bool *missing)
{
	int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	struct buf o = {0}, e = {0};
	posix_spawn_file_actions_t fa;
	bool fa_ready = false;
	pid_t pid = -1;
	int rc = -1;
	*missing = false;
	*out = NULL;
	if (err)
		*err = NULL;
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_pipe;
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGPIPE, &ignore, &old_pipe); /* a program that stops reading is not fatal */

	if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
	    pipe2(err_pipe, O_CLOEXEC) != 0 || posix_spawn_file_actions_init(&fa) != 0) {
		fprintf(stderr, "overgang: cannot run %s: %s\n", argv[0], strerror(errno));
		goto out;
	}
	fa_ready = true;
	if (posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2) != 0) {
		fprintf(stderr, "overgang: cannot run %s: out of memory\n", argv[0]);
		goto out;
	}
	int sp = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	if (sp != 0) {
		pid = -1;
		if (sp == ENOENT)
			*missing = true;
		else
			fprintf(stderr, "overgang: cannot run %s: %s\n", argv[0], strerror(sp));
		goto out;
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	in_pipe[0] = out_pipe[1] = err_pipe[1] = -1;
	if (input == NULL || len == 0) {
		close(in_pipe[1]);
		in_pipe[1] = -1;
	}
	size_t written = 0;
	bool failed = false;
	while (out_pipe[0] >= 0 || err_pipe[0] >= 0 || in_pipe[1] >= 0) {
		struct pollfd fds[3] = {{in_pipe[1], POLLOUT, 0},
					{out_pipe[0], POLLIN, 0},
					{err_pipe[0], POLLIN, 0}};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			failed = true;
			break;
		}
		if (in_pipe[1] >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			size_t chunk = len - written < 65536 ? len - written : 65536;
			ssize_t n = write(in_pipe[1], input + written, chunk);
			if (n > 0)
				written += (size_t)n;
			if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == len) {
				close(in_pipe[1]);
				in_pipe[1] = -1;
			}
		}
		int *fdp[2] = {&out_pipe[0], &err_pipe[0]};
		struct buf *bufs[2] = {&o, &e};
		for (int k = 0; k < 2; k++) {
			if (*fdp[k] < 0 || !(fds[k + 1].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			int r = buf_read(bufs[k], *fdp[k]);
			if (r < 0)
				failed = true;
			if (r <= 0) {
				close(*fdp[k]);
				*fdp[k] = -1;
			}
		}
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (failed) {
		fprintf(stderr, "overgang: cannot read what %s wrote\n", argv[0]);
	} else if (!WIFEXITED(status)) {
		fprintf(stderr, "overgang: %s stopped with signal %d\n", argv[0],
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	} else {
		rc = WEXITSTATUS(status);
		*out = o.p ? o.p : strdup("");
		o.p = NULL;
		if (err) {
			*err = e.p ? e.p : strdup("");
			e.p = NULL;
		}
		if (*out == NULL || (err && *err == NULL)) {
			free(*out);
			*out = NULL;
			if (err) {
				free(*err);
				*err = NULL;
			}
			fprintf(stderr, "overgang: out of memory\n");
			rc = -1;
		}
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in_pipe[i] >= 0)
			close(in_pipe[i]);
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(o.p);
	free(e.p);
	return rc;
}

int cli_temp_file(const char *text, size_t len, char *path, size_t pathlen)
{
	const char *dir = getenv("TMPDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, pathlen, "%s/overgang.XXXXXX", dir) >= pathlen) {
		fprintf(stderr, "overgang: TMPDIR is too long\n");
		return -1;
	}
	int fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "overgang: cannot make a temporary file in %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "overgang: cannot write %s: %s\n", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		done += (size_t)n;
	}
	if (close(fd) != 0) {
		fprintf(stderr, "overgang: cannot write %s: %s\n", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static char **strings_new(size_t n)
{
	char **list = calloc(n + 1, sizeof *list);
	if (list == NULL)
		fprintf(stderr, "overgang: out of memory\n");
	return list;
}

void cli_strings_free(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

char **cli_departments(PGconn *conn, bool *none)
{
	PGresult *res = cli_query(conn, "reading departments",
				  "SELECT id FROM department ORDER BY id", 0, NULL);
	if (res == NULL)
		return NULL;
	*none = PQntuples(res) == 0;
	if (*none)
		fprintf(stderr, "overgang: the database has no departments yet, so the workflow's "
				"departments are not checked\n");
	char **list = strings_new((size_t)PQntuples(res));
	for (int i = 0; list && i < PQntuples(res); i++) {
		list[i] = strdup(PQgetvalue(res, i, 0));
		if (list[i] == NULL) {
			fprintf(stderr, "overgang: out of memory\n");
			cli_strings_free(list);
			list = NULL;
		}
	}
	PQclear(res);
	return list;
}

char **cli_split_list(const char *text)
{
	size_t n = 1;
	for (const char *p = text; *p; p++)
		n += *p == ',';
	char **list = strings_new(n);
	size_t k = 0;
	for (const char *p = text; list && *p;) {
		size_t len = strcspn(p, ",");
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		size_t trimmed = len;
		while (trimmed > 0 && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
			trimmed--;
		if (trimmed > 0 && (list[k++] = strndup(p, trimmed)) == NULL) {
			fprintf(stderr, "overgang: out of memory\n");
			cli_strings_free(list);
			return NULL;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return list;
}

/* ---- luacheck ---- */

/* luacheck's findings that are certain failures in the sandbox: reading or writing a global
 * the sandbox does not have, writing one it has, a field its libraries do not have. */
static bool luacheck_error(const char *code)
{
	static const char *const errors[] = {"W111", "W112", "W113", "W121", "W122", "W143"};
	if (code[0] == 'E')
		return true;
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (strcmp(code, errors[i]) == 0)
			return true;
	return false;
}

/* Runs luacheck on SOURCE and adds its findings to CHECK; LOADED: the sandbox loaded it. Says
 * once when luacheck is missing. */
static int run_luacheck(const char *path, const char *source, size_t len, bool loaded,
			struct core_check *check)
{
	static bool said_missing;
	char config[256];
	if (cli_temp_file(cli_luacheckrc, strlen(cli_luacheckrc), config, sizeof config) != 0)
		return 0; /* said why; the rest of the check stands */
	const char *argv[] = {"luacheck",   "--config", config,       "--formatter",
			      "plain",      "--codes",  "--no-color", "--no-cache",
			      "--filename", path,       "-",          NULL};
	char *out = NULL, *err = NULL;
	bool missing;
	int status = cli_run_program(argv, source, len, &out, &err, &missing);
	unlink(config);
	int rc = 0;
	if (status < 0) {
		if (missing && !said_missing)
			fprintf(stderr,
				"overgang: luacheck is not installed (Debian package lua-check; "
				"scripts/deps installs it): the Lua itself is not linted\n");
		said_missing = said_missing || missing;
		goto out;
	}
	if (status > 2) {
		fprintf(stderr, "overgang: luacheck failed on %s: %s", path, err[0] ? err : out);
		goto out;
	}
	size_t plen = strlen(path);
	for (char *line = out, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* PATH:LINE:COL: (CODE) message */
		if (strncmp(line, path, plen) != 0 || line[plen] != ':')
			continue;
		char *p = line + plen + 1, *end;
		long ln = strtol(p, &end, 10);
		if (end == p || *end != ':')
			continue;
		p = end + 1;
		long col = strtol(p, &end, 10);
		if (end == p || strncmp(end, ": (", 3) != 0)
			continue;
		char *code = end + 3, *close = strchr(code, ')');
		if (close == NULL || close[1] != ' ')
			continue;
		*close = '\0';
		const char *msg = close + 2;
		bool error = luacheck_error(code);
		if (core_check_has(check, (int)ln, (int)col))
			continue; /* the sandbox said it already, in its words */
		if (code[0] == 'E' && !loaded)
			continue; /* a syntax error: the sandbox reported it already */
		char name[128];
		const char *a = strchr(msg, '\'');
		const char *b = a ? strchr(a + 1, '\'') : NULL;
		if (a && b && (size_t)(b - a - 1) < sizeof name) {
			memcpy(name, a + 1, (size_t)(b - a - 1));
			name[b - a - 1] = '\0';
		} else {
			name[0] = '\0';
		}
		char hint[160];
		core_check_global_hint(name, hint, sizeof hint);
		if (strcmp(code, "W113") == 0 && name[0])
			rc = core_check_add(check, (int)ln, (int)col, false,
					    "undeclared global '%s'%s", name, hint);
		else if (strcmp(code, "W111") == 0 && name[0])
			rc = core_check_add(check, (int)ln, (int)col, false,
					    "assignment to undeclared global '%s' (use local)",
					    name);
		else
			rc = core_check_add(check, (int)ln, (int)col, !error, "%s", msg);
		if (rc != 0)
			break;
	}
out:
	free(out);
	free(err);
	return rc;
}

int cli_check_source(const struct cfg *cfg, const char *path, const char *source, size_t len,
		     const char *const *departments, FILE *out, struct cli_check_counts *counts,
		     struct lwf_workflow **wf_out)
{
	struct core_check check = {0};
	struct lwf_workflow *wf = NULL;
	int rc = -1;
	if (wf_out)
		*wf_out = NULL;
	struct lwf_budget budget = cli_budget(cfg);
	int checked = core_deploy_check(path, source, len, &budget, departments, &check, &wf);
	if (checked < 0 ||
	    (checked == 0 && run_luacheck(path, source, len, wf != NULL, &check) != 0))
		goto out;
	core_check_sort(&check);
	for (size_t i = 0; i < check.n; i++) {
		const struct core_finding *f = &check.findings[i];
		fprintf(out, "%s:%d:%d: %s%s\n", path, f->line, f->col,
			f->warning ? "warning: " : "", f->text);
	}
	counts->errors = check.errors;
	counts->warnings = check.warnings;
	if (wf_out && check.errors == 0) {
		*wf_out = wf;
		wf = NULL;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "overgang: out of memory checking %s\n", path);
	lwf_free(wf);
	core_check_clear(&check);
	return rc;
}
