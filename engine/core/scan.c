/*
 * The static reading of a workflow file: a Lua 5.4 tokenizer, then a few passes over the
 * tokens that know the shape of a workflow file (return workflow { phases = ..., on = ... })
 * and of the case methods. Anything it does not recognise it skips; it never fails on odd
 * source, it just sees less.
 */
#include "core/scan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind { TK_EOF, TK_NAME, TK_STRING, TK_NUMBER, TK_OP };

struct core_scan_token {
	enum tok_kind kind;
	struct core_pos pos;
	const char *p; /* the token in the source (names, operators, numbers) */
	size_t len;
	char *str;       /* a string literal's value (NUL-terminated; may hold NULs) */
	bool is_integer; /* a number without fraction or exponent */
	long long ival;  /* its value when is_integer */
};

/* ---- the tokenizer ---- */

struct lexer {
	struct core_scan *scan;
	const char *s, *end;
	const char *at;
	int line;
	const char *line_start;
	/* the column of col_at, so counting goes on from there on the same line */
	const char *col_at;
	int col;
	size_t cap;
};

static void *grow(struct core_scan *scan, void *array, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return array;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *bigger = realloc(array, n * size);
	if (bigger == NULL) {
		scan->oom = true;
		return NULL;
	}
	*cap = n;
	return bigger;
}

static struct core_pos pos_of(struct lexer *lx, const char *p)
{
	if (lx->col_at < lx->line_start || lx->col_at > p) {
		lx->col_at = lx->line_start;
		lx->col = 1;
	}
	for (; lx->col_at < p; lx->col_at++)
		if (((unsigned char)*lx->col_at & 0xC0) != 0x80)
			lx->col++;
	return (struct core_pos){lx->line, lx->col};
}

static void newline(struct lexer *lx, const char *after)
{
	lx->line++;
	lx->line_start = after;
}

/* At a newline (\n, \r, \r\n or \n\r, as Lua counts them): steps over it. */
static const char *skip_newline(struct lexer *lx, const char *p)
{
	char c = *p++;
	if (p < lx->end && (*p == '\n' || *p == '\r') && *p != c)
		p++;
	newline(lx, p);
	return p;
}

/* At '[': the level of a long bracket [==[, or -1 when it is not one. */
static int long_bracket(const struct lexer *lx, const char *p)
{
	const char *q = p + 1;
	while (q < lx->end && *q == '=')
		q++;
	return q < lx->end && *q == '[' ? (int)(q - p - 1) : -1;
}

/* Skips a long bracket of LEVEL at P; returns where it ends; the contents in *FROM and *TO. */
static const char *skip_long(struct lexer *lx, const char *p, int level, const char **from,
			     const char **to)
{
	p += level + 2;
	if (p < lx->end && (*p == '\n' || *p == '\r'))
		p = skip_newline(lx, p);
	*from = p;
	while (p < lx->end) {
		if (*p == ']') {
			const char *q = p + 1;
			while (q < lx->end && *q == '=')
				q++;
			if (q < lx->end && *q == ']' && q - p - 1 == level) {
				*to = p;
				return q + 1;
			}
			p++;
		} else if (*p == '\n' || *p == '\r') {
			p = skip_newline(lx, p);
		} else {
			p++;
		}
	}
	*to = p;
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(char **o, unsigned long cp)
{
	unsigned char *u = (unsigned char *)*o;
	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xC0 | (cp >> 6));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xE0 | (cp >> 12));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		*u++ = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*u++ = (unsigned char)(0x80 | (cp & 0x3F));
	}
	*o = (char *)u;
}

/* A short string 'x' or "x" at P: decodes it into T->str and returns where it ends. */
static const char *short_string(struct lexer *lx, const char *p, struct core_scan_token *t)
{
	char quote = *p++;
	/* No escape is shorter than what it stands for: the rest of the source is room enough
	 * (and the buffer is shrunk to fit afterwards). */
	char *o = malloc((size_t)(lx->end - p) + 1);
	if (o == NULL) {
		lx->scan->oom = true;
		return lx->end;
	}
	t->str = o;
	while (p < lx->end && *p != quote && *p != '\n' && *p != '\r') {
		if (*p != '\\' || p + 1 >= lx->end) {
			*o++ = *p++;
			continue;
		}
		p++;
		char c = *p++;
		switch (c) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'a': *o++ = '\a'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'v': *o++ = '\v'; break;
		case 'x':
			if (p + 1 < lx->end && hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
				*o++ = (char)(hexval(p[0]) * 16 + hexval(p[1]));
				p += 2;
			}
			break;
		case 'z':
			while (p < lx->end && (*p == ' ' || *p == '\t' || *p == '\n' ||
					       *p == '\r' || *p == '\f' || *p == '\v')) {
				if (*p == '\n' || *p == '\r')
					p = skip_newline(lx, p);
				else
					p++;
			}
			break;
		case 'u': {
			unsigned long cp = 0;
			const char *u = p;
			if (u < lx->end && *u == '{') {
				u++;
				while (u < lx->end && hexval(*u) >= 0 && cp < 0x7FFFFFFF)
					cp = cp * 16 + (unsigned long)hexval(*u++);
				if (u < lx->end && *u == '}' && cp <= 0x10FFFF) {
					put_utf8(&o, cp);
					p = u + 1;
				}
			}
			break;
		}
		case '\n':
		case '\r':
			*o++ = '\n';
			p = skip_newline(lx, p - 1);
			break;
		default:
			if (c >= '0' && c <= '9') {
				int v = c - '0';
				for (int k = 0; k < 2 && p < lx->end && *p >= '0' && *p <= '9'; k++)
					v = v * 10 + (*p++ - '0');
				*o++ = (char)v;
			} else {
				*o++ = c; /* \\ \" \' */
			}
		}
	}
	*o = '\0';
	char *shrunk = realloc(t->str, (size_t)(o - t->str) + 1);
	if (shrunk)
		t->str = shrunk;
	return p < lx->end && *p == quote ? p + 1 : p;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || ((unsigned char)c >= 0x80);
}

static const char *number(struct lexer *lx, const char *p, struct core_scan_token *t)
{
	const char *start = p;
	bool hex = p + 1 < lx->end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	bool fraction = false;
	if (hex)
		p += 2;
	while (p < lx->end) {
		char c = *p;
		if ((hex && (c == 'p' || c == 'P')) || (!hex && (c == 'e' || c == 'E'))) {
			fraction = true;
			p++;
			if (p < lx->end && (*p == '+' || *p == '-'))
				p++;
		} else if (c == '.') {
			fraction = true;
			p++;
		} else if (name_char(c)) {
			p++;
		} else {
			break;
		}
	}
	t->is_integer = !fraction;
	if (t->is_integer) {
		char buf[32];
		size_t n = (size_t)(p - start);
		if (n < sizeof buf) {
			memcpy(buf, start, n);
			buf[n] = '\0';
			char *endp;
			errno = 0;
			t->ival = strtoll(hex ? buf + 2 : buf, &endp, hex ? 16 : 10);
			if (errno != 0 || *endp != '\0')
				t->is_integer = false;
		} else {
			t->is_integer = false;
		}
	}
	return p;
}

static bool add_token(struct lexer *lx, struct core_scan_token t)
{
	struct core_scan *scan = lx->scan;
	struct core_scan_token *tokens =
		grow(scan, scan->tokens, &lx->cap, scan->ntokens + 1, sizeof *tokens);
	if (tokens == NULL) {
		free(t.str);
		return false;
	}
	scan->tokens = tokens;
	tokens[scan->ntokens++] = t;
	return true;
}

static void tokenize(struct core_scan *scan, const char *source, size_t len)
{
	struct lexer lx = {.scan = scan, .s = source, .end = source + len, .line = 1};
	lx.line_start = lx.col_at = source;
	lx.col = 1;
	const char *p = source;
	/* a first line starting with # is skipped, as Lua does */
	if (p < lx.end && *p == '#')
		while (p < lx.end && *p != '\n' && *p != '\r')
			p++;
	static const char *const ops3[] = {"..."};
	static const char *const ops2[] = {"..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>"};
	while (p < lx.end && !scan->oom) {
		char c = *p;
		if (c == '\n' || c == '\r') {
			p = skip_newline(&lx, p);
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
			p++;
			continue;
		}
		struct core_scan_token t = {.pos = pos_of(&lx, p), .p = p};
		if (c == '-' && p + 1 < lx.end && p[1] == '-') {
			p += 2;
			int level = p < lx.end && *p == '[' ? long_bracket(&lx, p) : -1;
			const char *from, *to;
			if (level >= 0)
				p = skip_long(&lx, p, level, &from, &to);
			else
				while (p < lx.end && *p != '\n' && *p != '\r')
					p++;
			continue;
		}
		if (c == '"' || c == '\'') {
			t.kind = TK_STRING;
			p = short_string(&lx, p, &t);
		} else if (c == '[' && long_bracket(&lx, p) >= 0) {
			const char *from, *to;
			t.kind = TK_STRING;
			p = skip_long(&lx, p, long_bracket(&lx, p), &from, &to);
			t.str = strndup(from, (size_t)(to - from));
			if (t.str == NULL)
				scan->oom = true;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && p + 1 < lx.end && p[1] >= '0' && p[1] <= '9')) {
			t.kind = TK_NUMBER;
			p = number(&lx, p, &t);
		} else if (name_char(c)) {
			t.kind = TK_NAME;
			while (p < lx.end && name_char(*p))
				p++;
		} else {
			t.kind = TK_OP;
			size_t n = 1;
			for (size_t i = 0; i < sizeof ops3 / sizeof ops3[0]; i++)
				if (lx.end - p >= 3 && memcmp(p, ops3[i], 3) == 0)
					n = 3;
			for (size_t i = 0; n == 1 && i < sizeof ops2 / sizeof ops2[0]; i++)
				if (lx.end - p >= 2 && memcmp(p, ops2[i], 2) == 0)
					n = 2;
			p += n;
		}
		t.len = (size_t)(p - t.p);
		if (!add_token(&lx, t))
			return;
	}
	struct core_scan_token eof = {.kind = TK_EOF, .pos = pos_of(&lx, p), .p = p};
	add_token(&lx, eof);
}

/* ---- reading the tokens ---- */

static const struct core_scan_token *tok(const struct core_scan *s, size_t i)
{
	return &s->tokens[i < s->ntokens ? i : s->ntokens - 1];
}

static bool is(const struct core_scan *s, size_t i, enum tok_kind kind, const char *text)
{
	const struct core_scan_token *t = tok(s, i);
	return t->kind == kind &&
	       (text == NULL || (t->len == strlen(text) && memcmp(t->p, text, t->len) == 0));
}
#define IS_OP(s, i, text) is(s, i, TK_OP, text)
#define IS_NAME(s, i, text) is(s, i, TK_NAME, text)

static bool is_keyword(const struct core_scan *s, size_t i)
{
	static const char *const keywords[] = {
		"and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
		"function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
		"repeat",   "return", "then", "true", "until",  "while",
	};
	for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
		if (IS_NAME(s, i, keywords[k]))
			return true;
	return false;
}

static char *tok_text(struct core_scan *s, size_t i)
{
	const struct core_scan_token *t = tok(s, i);
	char *d = t->kind == TK_STRING ? strdup(t->str) : strndup(t->p, t->len);
	if (d == NULL)
		s->oom = true;
	return d;
}

/* At a block opener (function, if, do, repeat): the index of its closing end (or until). */
static size_t match_end(const struct core_scan *s, size_t i)
{
	int depth = 0;
	for (; i < s->ntokens && tok(s, i)->kind != TK_EOF; i++) {
		if (IS_NAME(s, i, "function") || IS_NAME(s, i, "if") || IS_NAME(s, i, "do") ||
		    IS_NAME(s, i, "repeat"))
			depth++;
		else if (IS_NAME(s, i, "end") || IS_NAME(s, i, "until"))
			if (--depth == 0)
				return i;
	}
	return s->ntokens - 1;
}

/* From I, the index of the token that ends the expression: a ',' or ';' outside brackets, or
 * the bracket that closes the enclosing one, or the end. */
static size_t skip_expr(const struct core_scan *s, size_t i)
{
	int depth = 0;
	for (; i < s->ntokens && tok(s, i)->kind != TK_EOF; i++) {
		if (IS_OP(s, i, "(") || IS_OP(s, i, "{") || IS_OP(s, i, "["))
			depth++;
		else if (IS_OP(s, i, ")") || IS_OP(s, i, "}") || IS_OP(s, i, "]")) {
			if (depth-- == 0)
				return i;
		} else if (depth == 0 && (IS_OP(s, i, ",") || IS_OP(s, i, ";")))
			return i;
		else if (IS_NAME(s, i, "function"))
			i = match_end(s, i);
	}
	return s->ntokens - 1;
}

/* One field of a table constructor. */
struct tfield {
	size_t key;   /* token of the key (a name or a string), or SIZE_MAX when positional */
	size_t value; /* first token of the value */
	size_t end;   /* the token after the value: ',' ';' or '}' */
};

/* At '{': calls FN for each field, in order; returns the index of the closing '}'. */
static size_t table_fields(struct core_scan *s, size_t open,
			   void (*fn)(struct core_scan *, const struct tfield *, void *), void *arg)
{
	size_t i = open + 1;
	while (i < s->ntokens && tok(s, i)->kind != TK_EOF && !IS_OP(s, i, "}") && !s->oom) {
		struct tfield f = {.key = SIZE_MAX};
		if (tok(s, i)->kind == TK_NAME && !is_keyword(s, i) && IS_OP(s, i + 1, "=")) {
			f.key = i;
			i += 2;
		} else if (IS_OP(s, i, "[") && tok(s, i + 1)->kind == TK_STRING &&
			   IS_OP(s, i + 2, "]") && IS_OP(s, i + 3, "=")) {
			f.key = i + 1;
			i += 4;
		} else if (IS_OP(s, i, "[")) {
			size_t close = skip_expr(s, i + 1);
			i = close + 1;
			if (IS_OP(s, i, "="))
				i++;
		}
		f.value = i;
		f.end = skip_expr(s, i);
		fn(s, &f, arg);
		i = f.end;
		if (IS_OP(s, i, ",") || IS_OP(s, i, ";"))
			i++;
		else
			break;
	}
	return i;
}

static bool key_is(const struct core_scan *s, const struct tfield *f, const char *name)
{
	if (f->key == SIZE_MAX)
		return false;
	const struct core_scan_token *t = tok(s, f->key);
	if (t->kind == TK_STRING)
		return strcmp(t->str, name) == 0;
	return t->len == strlen(name) && memcmp(t->p, name, t->len) == 0;
}

/* A value that is a local's name: the value that local is given (local NAME = VALUE). */
static size_t resolve(const struct core_scan *s, size_t value)
{
	const struct core_scan_token *t = tok(s, value);
	if (t->kind != TK_NAME || is_keyword(s, value))
		return value;
	for (size_t i = 0; i + 2 < s->ntokens; i++)
		if (IS_NAME(s, i, "local") && tok(s, i + 1)->len == t->len &&
		    tok(s, i + 1)->kind == TK_NAME && memcmp(tok(s, i + 1)->p, t->p, t->len) == 0 &&
		    IS_OP(s, i + 2, "="))
			return i + 3;
	return value;
}

/* A handler written as a name: the body of the function of that name. */
static void function_body(const struct core_scan *s, size_t name, size_t *from, size_t *to)
{
	const struct core_scan_token *t = tok(s, name);
	for (size_t i = 0; i + 2 < s->ntokens; i++) {
		const struct core_scan_token *n = tok(s, i + 1);
		if (n->kind != TK_NAME || n->len != t->len || memcmp(n->p, t->p, t->len) != 0)
			continue;
		if (IS_NAME(s, i, "function") && IS_OP(s, i + 2, "(")) {
			*from = i;
			*to = match_end(s, i);
			return;
		}
		if (IS_NAME(s, i, "local") && IS_OP(s, i + 2, "=") &&
		    IS_NAME(s, i + 3, "function")) {
			*from = i + 3;
			*to = match_end(s, i + 3);
			return;
		}
	}
}

static void on_handler(struct core_scan *s, const struct tfield *f, void *arg)
{
	size_t *cap = arg;
	if (f->key == SIZE_MAX)
		return;
	struct core_scan_handler *h =
		grow(s, s->handlers, cap, s->nhandlers + 1, sizeof *s->handlers);
	if (h == NULL)
		return;
	s->handlers = h;
	h = &s->handlers[s->nhandlers];
	memset(h, 0, sizeof *h);
	h->event = tok_text(s, f->key);
	if (h->event == NULL)
		return;
	h->pos = tok(s, f->key)->pos;
	s->nhandlers++;
	if (IS_NAME(s, f->value, "function")) {
		h->body_from = f->value;
		h->body_to = match_end(s, f->value);
	} else if (tok(s, f->value)->kind == TK_NAME && f->value + 1 == f->end) {
		function_body(s, f->value, &h->body_from, &h->body_to);
	}
}

struct phase_ctx {
	struct core_scan_phase *ph;
	size_t cap;
	bool named;
};

static void phase_next(struct core_scan *s, const struct tfield *f, void *arg)
{
	struct phase_ctx *pc = arg;
	struct core_scan_phase *ph = pc->ph;
	if (f->key != SIZE_MAX || tok(s, f->value)->kind != TK_STRING || f->value + 1 != f->end)
		return;
	char **next = grow(s, ph->next, &pc->cap, ph->nnext + 1, sizeof *next);
	if (next == NULL)
		return;
	ph->next = next;
	size_t cap = pc->cap;
	struct core_pos *np = realloc(ph->next_pos, cap * sizeof *np);
	if (np == NULL) {
		s->oom = true;
		return;
	}
	ph->next_pos = np;
	char *name = tok_text(s, f->value);
	if (name == NULL)
		return;
	ph->next[ph->nnext] = name;
	ph->next_pos[ph->nnext] = tok(s, f->value)->pos;
	ph->nnext++;
}

static void phase_field(struct core_scan *s, const struct tfield *f, void *arg)
{
	struct phase_ctx *pc = arg;
	if (f->key == SIZE_MAX && !pc->named) {
		pc->named = true;
		if (tok(s, f->value)->kind == TK_STRING && f->value + 1 == f->end) {
			pc->ph->name = tok_text(s, f->value);
			pc->ph->pos = tok(s, f->value)->pos;
		}
	} else if (key_is(s, f, "next")) {
		size_t v = resolve(s, f->value);
		if (IS_OP(s, v, "{"))
			table_fields(s, v, phase_next, pc);
	}
}

static void on_phase(struct core_scan *s, const struct tfield *f, void *arg)
{
	size_t *cap = arg;
	size_t v = resolve(s, f->value);
	if (f->key != SIZE_MAX || !IS_OP(s, v, "{"))
		return;
	struct core_scan_phase ph = {0};
	struct phase_ctx pc = {.ph = &ph};
	table_fields(s, v, phase_field, &pc);
	struct core_scan_phase *phases =
		ph.name ? grow(s, s->phases, cap, s->nphases + 1, sizeof *phases) : NULL;
	if (phases == NULL) {
		free(ph.name);
		for (size_t i = 0; i < ph.nnext; i++)
			free(ph.next[i]);
		free(ph.next);
		free(ph.next_pos);
		return;
	}
	s->phases = phases;
	s->phases[s->nphases++] = ph;
}

static void workflow_field(struct core_scan *s, const struct tfield *f, void *arg)
{
	(void)arg;
	size_t v = resolve(s, f->value);
	if (!IS_OP(s, v, "{"))
		return;
	if (key_is(s, f, "phases") && s->nphases == 0) {
		size_t cap = 0;
		table_fields(s, v, on_phase, &cap);
	} else if (key_is(s, f, "on") && s->nhandlers == 0) {
		size_t cap = 0;
		table_fields(s, v, on_handler, &cap);
	}
}

static void read_definition(struct core_scan *s)
{
	for (size_t i = 0; i + 1 < s->ntokens; i++) {
		if (!IS_NAME(s, i, "workflow") ||
		    (i > 0 && (IS_OP(s, i - 1, ".") || IS_OP(s, i - 1, ":"))))
			continue;
		size_t open = IS_OP(s, i + 1, "{")                           ? i + 1
			      : IS_OP(s, i + 1, "(") && IS_OP(s, i + 2, "{") ? i + 2
									     : 0;
		if (open == 0)
			continue;
		s->found_workflow = true;
		s->workflow = tok(s, i)->pos;
		table_fields(s, open, workflow_field, NULL);
		return;
	}
}

/* ---- what a time says: deadlines written literally ---- */

/* A literal integer at I (with a leading minus), or false. *NEXT is the token after it. */
static bool literal_int(const struct core_scan *s, size_t i, long long *v, size_t *next)
{
	bool minus = IS_OP(s, i, "-");
	if (minus)
		i++;
	const struct core_scan_token *t = tok(s, i);
	if (t->kind != TK_NUMBER || !t->is_integer)
		return false;
	*v = minus ? -t->ival : t->ival;
	*next = i + 1;
	return true;
}

/* NAME(.NAME)* ending in LAST, from I; *NEXT after it. */
static bool dotted_ending(const struct core_scan *s, size_t i, const char *last, size_t *next)
{
	if (tok(s, i)->kind != TK_NAME)
		return false;
	while (IS_OP(s, i + 1, ".") && tok(s, i + 2)->kind == TK_NAME)
		i += 2;
	if (!IS_NAME(s, i, last))
		return false;
	*next = i + 1;
	return true;
}

/* A duration in seconds: N, N * date.DAY, date.DAY * N, N * M. */
static bool duration(const struct core_scan *s, size_t i, size_t end, long long *secs)
{
	long long a, b;
	size_t n;
	if (literal_int(s, i, &a, &n)) {
		if (n == end) {
			*secs = a;
			return true;
		}
		if (IS_OP(s, n, "*")) {
			size_t m;
			if (literal_int(s, n + 1, &b, &m) && m == end && a < 1000000 &&
			    a > -1000000 && b < 1000000 && b > -1000000) {
				*secs = a * b;
				return true;
			}
			if (IS_NAME(s, n + 1, "date") && IS_OP(s, n + 2, ".") &&
			    IS_NAME(s, n + 3, "DAY") && n + 4 == end && a < 100000 && a > -100000) {
				*secs = a * 86400;
				return true;
			}
		}
		return false;
	}
	if (IS_NAME(s, i, "date") && IS_OP(s, i + 1, ".") && IS_NAME(s, i + 2, "DAY") &&
	    IS_OP(s, i + 3, "*") && literal_int(s, i + 4, &a, &n) && n == end && a < 100000 &&
	    a > -100000) {
		*secs = a * 86400;
		return true;
	}
	return false;
}

static void describe_duration(char *buf, size_t len, long long secs)
{
	long long a = secs < 0 ? -secs : secs;
	if (a % 86400 == 0)
		snprintf(buf, len, "%lld day%s", a / 86400, a == 86400 ? "" : "s");
	else if (a % 3600 == 0)
		snprintf(buf, len, "%lld hour%s", a / 3600, a == 3600 ? "" : "s");
	else if (a % 60 == 0)
		snprintf(buf, len, "%lld minute%s", a / 60, a == 60 ? "" : "s");
	else
		snprintf(buf, len, "%lld second%s", a, a == 1 ? "" : "s");
}

/* "after D" or "D before now", D being WHAT or else the duration of SECS. */
static void relative(char *buf, size_t len, long long secs, const char *what)
{
	char d[64];
	if (what == NULL) {
		describe_duration(d, sizeof d, secs);
		what = d;
	}
	if (secs < 0)
		snprintf(buf, len, "%s before now", what);
	else
		snprintf(buf, len, "after %s", what);
}

static void describe_age(char *buf, size_t len, long long years, long long months)
{
	if (months == 0)
		snprintf(buf, len, "at age %lld", years);
	else
		snprintf(buf, len, "at age %lld and %lld month%s", years, months,
			 months == 1 ? "" : "s");
}

/* What the time written in tokens [I, END) says, into BUF; false when it is not literal.
 * AFTER: the field is `after` (seconds from now). */
static bool describe_time(const struct core_scan *s, size_t i, size_t end, bool after, char *buf,
			  size_t len, bool *in_past)
{
	long long a, b = 0;
	size_t n;
	char d[96];
	*in_past = false;
	if (after) {
		if (!duration(s, i, end, &a))
			return false;
		relative(buf, len, a, NULL);
		*in_past = a < 0;
		return true;
	}
	/* case.citizen.birthday(Y [, M]) */
	if (dotted_ending(s, i, "birthday", &n) && IS_OP(s, n, "(") &&
	    literal_int(s, n + 1, &a, &n)) {
		if (IS_OP(s, n, ",") && !literal_int(s, n + 1, &b, &n))
			return false;
		if (!IS_OP(s, n, ")") || n + 1 != end)
			return false;
		describe_age(buf, len, a, b);
		return true;
	}
	/* case.now [+|- duration] */
	if (dotted_ending(s, i, "now", &n)) {
		if (n == end) {
			snprintf(buf, len, "now");
			return true;
		}
		if ((IS_OP(s, n, "+") || IS_OP(s, n, "-")) && duration(s, n + 1, end, &a)) {
			if (IS_OP(s, n, "-"))
				a = -a;
			relative(buf, len, a, NULL);
			*in_past = a < 0;
			return true;
		}
		return false;
	}
	/* date.working_days(case.now, N) */
	if (IS_NAME(s, i, "date") && IS_OP(s, i + 1, ".") && IS_NAME(s, i + 2, "working_days") &&
	    IS_OP(s, i + 3, "(") && dotted_ending(s, i + 4, "now", &n) && IS_OP(s, n, ",") &&
	    literal_int(s, n + 1, &a, &n) && IS_OP(s, n, ")") && n + 1 == end) {
		snprintf(d, sizeof d, "%lld working day%s", a < 0 ? -a : a,
			 a == 1 || a == -1 ? "" : "s");
		relative(buf, len, a, d);
		*in_past = a < 0;
		return true;
	}
	/* date.add(case.now, { months = 6, days = 3 }) */
	if (IS_NAME(s, i, "date") && IS_OP(s, i + 1, ".") && IS_NAME(s, i + 2, "add") &&
	    IS_OP(s, i + 3, "(") && dotted_ending(s, i + 4, "now", &n) && IS_OP(s, n, ",") &&
	    IS_OP(s, n + 1, "{")) {
		size_t used = 0, after_value;
		bool negative = false, positive = false;
		n += 2;
		d[0] = '\0';
		while (tok(s, n)->kind == TK_NAME && IS_OP(s, n + 1, "=") &&
		       literal_int(s, n + 2, &a, &after_value)) {
			const struct core_scan_token *k = tok(s, n);
			if (a < 0)
				negative = true;
			else if (a > 0)
				positive = true;
			/* "1 year", "2 years" */
			int klen = (int)k->len - ((a == 1 || a == -1) && k->p[k->len - 1] == 's');
			int w = snprintf(d + used, sizeof d - used, "%s%lld %.*s", used ? ", " : "",
					 a < 0 ? -a : a, klen, k->p);
			if (w < 0 || (size_t)w >= sizeof d - used)
				return false;
			used += (size_t)w;
			n = after_value;
			if (IS_OP(s, n, ","))
				n++;
		}
		if (used == 0 || !IS_OP(s, n, "}") || !IS_OP(s, n + 1, ")") || n + 2 != end ||
		    (negative && positive))
			return false;
		relative(buf, len, negative ? -1 : 1, d);
		*in_past = negative;
		return true;
	}
	return false;
}

/* ---- the case method calls ---- */

static const char *const methods[] = {"timer", "task",         "handover",    "assign_tovholder",
				      "phase", "cancel_timer", "cancel_task", "measure"};

struct call_ctx {
	struct core_scan_call *call;
	size_t cap;
};

static bool add_field(struct core_scan *s, struct call_ctx *cc, struct core_scan_field f)
{
	struct core_scan_call *call = cc->call;
	struct core_scan_field *fields =
		grow(s, call->fields, &cc->cap, call->nfields + 1, sizeof *fields);
	if (fields == NULL) {
		free(f.key);
		free(f.value);
		free(f.deadline);
		return false;
	}
	call->fields = fields;
	call->fields[call->nfields++] = f;
	return true;
}

static void call_field(struct core_scan *s, const struct tfield *f, void *arg)
{
	struct call_ctx *cc = arg;
	if (f->key == SIZE_MAX)
		return;
	struct core_scan_field field = {.pos = tok(s, f->value)->pos};
	field.key = tok_text(s, f->key);
	if (field.key == NULL)
		return;
	if (tok(s, f->value)->kind == TK_STRING && f->value + 1 == f->end)
		field.value = tok_text(s, f->value);
	bool after = strcmp(field.key, "after") == 0;
	if (after || strcmp(field.key, "at") == 0 || strcmp(field.key, "due") == 0) {
		char d[160];
		if (describe_time(s, f->value, f->end, after, d, sizeof d, &field.in_past)) {
			field.deadline = strdup(d);
			if (field.deadline == NULL)
				s->oom = true;
		}
	}
	add_field(s, cc, field);
}

static int handler_of(const struct core_scan *s, size_t i)
{
	for (size_t h = 0; h < s->nhandlers; h++)
		if (s->handlers[h].body_to > 0 && s->handlers[h].body_from <= i &&
		    i <= s->handlers[h].body_to)
			return (int)h;
	return -1;
}

static void read_calls(struct core_scan *s)
{
	size_t cap = 0;
	for (size_t i = 0; i + 2 < s->ntokens && !s->oom; i++) {
		if (!IS_OP(s, i, ":") || tok(s, i + 1)->kind != TK_NAME)
			continue;
		const char *method = NULL;
		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
			if (IS_NAME(s, i + 1, methods[m]))
				method = methods[m];
		if (method == NULL)
			continue;
		size_t arg = i + 2;
		if (IS_OP(s, arg, "(") &&
		    (IS_OP(s, arg + 1, "{") ||
		     (tok(s, arg + 1)->kind == TK_STRING && IS_OP(s, arg + 2, ")"))))
			arg++;
		if (!IS_OP(s, arg, "{") && tok(s, arg)->kind != TK_STRING)
			continue;
		struct core_scan_call *calls =
			grow(s, s->calls, &cap, s->ncalls + 1, sizeof *calls);
		if (calls == NULL)
			return;
		s->calls = calls;
		struct core_scan_call *call = &s->calls[s->ncalls];
		memset(call, 0, sizeof *call);
		call->method = strdup(method);
		if (call->method == NULL) {
			s->oom = true;
			return;
		}
		call->pos = tok(s, i + 1)->pos;
		call->handler = handler_of(s, i);
		call->token = i;
		s->ncalls++;
		struct call_ctx cc = {.call = call};
		if (IS_OP(s, arg, "{")) {
			table_fields(s, arg, call_field, &cc);
		} else {
			struct core_scan_field f = {.pos = tok(s, arg)->pos};
			f.key = strdup("");
			f.value = tok_text(s, arg);
			if (f.key == NULL)
				s->oom = true;
			add_field(s, &cc, f);
		}
	}
}

/* ---- helper functions: which handlers reach a call written in one ---- */

struct helper {
	size_t name; /* token of its name */
	size_t from, to;
};

/* Whether tokens [FROM, TO] call NAME: `NAME(`, `NAME "x"` or `NAME {`. */
static bool calls_name(const struct core_scan *s, size_t from, size_t to, size_t name)
{
	const struct core_scan_token *n = tok(s, name);
	for (size_t i = from; i <= to && i + 1 < s->ntokens; i++) {
		const struct core_scan_token *t = tok(s, i);
		if (i == name || t->kind != TK_NAME || t->len != n->len ||
		    memcmp(t->p, n->p, n->len) != 0 || IS_OP(s, i - 1, ".") || IS_OP(s, i - 1, ":"))
			continue;
		if (IS_OP(s, i + 1, "(") || IS_OP(s, i + 1, "{") ||
		    tok(s, i + 1)->kind == TK_STRING)
			return true;
	}
	return false;
}

static void read_helpers(struct core_scan *s)
{
	enum { MAX_HELPERS = 64 };
	struct helper helpers[MAX_HELPERS];
	size_t n = 0;
	for (size_t i = 0; i + 2 < s->ntokens && n < MAX_HELPERS; i++) {
		if (IS_NAME(s, i, "function") && tok(s, i + 1)->kind == TK_NAME &&
		    IS_OP(s, i + 2, "("))
			helpers[n++] = (struct helper){i + 1, i, match_end(s, i)};
		else if (IS_NAME(s, i, "local") && tok(s, i + 1)->kind == TK_NAME &&
			 IS_OP(s, i + 2, "=") && IS_NAME(s, i + 3, "function"))
			helpers[n++] = (struct helper){i + 1, i + 3, match_end(s, i + 3)};
	}
	if (n == 0 || s->nhandlers == 0)
		return;
	/* reach[f][h]: handler h calls helper f, directly or through other helpers */
	bool(*reach)[MAX_HELPERS] = calloc(n, sizeof *reach); /* [helper][handler < 64] */
	if (reach == NULL) {
		s->oom = true;
		return;
	}
	size_t nh = s->nhandlers < MAX_HELPERS ? s->nhandlers : MAX_HELPERS;
	for (size_t f = 0; f < n; f++)
		for (size_t h = 0; h < nh; h++)
			reach[f][h] = s->handlers[h].body_to > 0 &&
				      calls_name(s, s->handlers[h].body_from,
						 s->handlers[h].body_to, helpers[f].name);
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t f = 0; f < n; f++)
			for (size_t g = 0; g < n; g++) {
				if (f == g ||
				    !calls_name(s, helpers[g].from, helpers[g].to, helpers[f].name))
					continue;
				for (size_t h = 0; h < nh; h++)
					if (reach[g][h] && !reach[f][h])
						changed = reach[f][h] = true;
			}
	}
	for (size_t c = 0; c < s->ncalls; c++) {
		struct core_scan_call *call = &s->calls[c];
		if (call->handler >= 0)
			continue;
		/* the innermost helper that holds the call */
		size_t best = n;
		for (size_t f = 0; f < n; f++)
			if (helpers[f].from <= call->token && call->token <= helpers[f].to &&
			    (best == n || helpers[f].from > helpers[best].from))
				best = f;
		for (size_t h = 0; best < n && h < nh && call->nvia < CORE_SCAN_VIA; h++)
			if (reach[best][h])
				call->via[call->nvia++] = (int)h;
	}
	free(reach);
}

static void read_birthdays(struct core_scan *s)
{
	size_t cap = 0;
	for (size_t i = 1; i + 2 < s->ntokens && !s->oom; i++) {
		long long years, months = 0;
		size_t n;
		if (!IS_NAME(s, i, "birthday") || !IS_OP(s, i - 1, ".") || !IS_OP(s, i + 1, "(") ||
		    !literal_int(s, i + 2, &years, &n))
			continue;
		if (IS_OP(s, n, ",") && !literal_int(s, n + 1, &months, &n))
			continue;
		if (!IS_OP(s, n, ")"))
			continue;
		struct core_scan_birthday *b =
			grow(s, s->birthdays, &cap, s->nbirthdays + 1, sizeof *b);
		if (b == NULL)
			return;
		s->birthdays = b;
		s->birthdays[s->nbirthdays++] =
			(struct core_scan_birthday){years, months, tok(s, i)->pos};
	}
}

struct core_scan *core_scan_new(const char *source, size_t len)
{
	struct core_scan *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	tokenize(s, source, len);
	if (!s->oom && s->ntokens > 0) {
		read_definition(s);
		read_calls(s);
		read_helpers(s);
		read_birthdays(s);
	}
	if (s->oom || s->ntokens == 0) {
		core_scan_free(s);
		return NULL;
	}
	return s;
}

void core_scan_free(struct core_scan *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nphases; i++) {
		free(s->phases[i].name);
		for (size_t j = 0; j < s->phases[i].nnext; j++)
			free(s->phases[i].next[j]);
		free(s->phases[i].next);
		free(s->phases[i].next_pos);
	}
	free(s->phases);
	for (size_t i = 0; i < s->nhandlers; i++)
		free(s->handlers[i].event);
	free(s->handlers);
	for (size_t i = 0; i < s->ncalls; i++) {
		for (size_t j = 0; j < s->calls[i].nfields; j++) {
			free(s->calls[i].fields[j].key);
			free(s->calls[i].fields[j].value);
			free(s->calls[i].fields[j].deadline);
		}
		free(s->calls[i].fields);
		free(s->calls[i].method);
	}
	free(s->calls);
	free(s->birthdays);
	for (size_t i = 0; i < s->ntokens; i++)
		free(s->tokens[i].str);
	free(s->tokens);
	free(s);
}

bool core_scan_find(const struct core_scan *s, int line, const char *text, struct core_pos *pos)
{
	size_t n = strlen(text);
	for (size_t i = 0; s && i < s->ntokens; i++) {
		const struct core_scan_token *t = &s->tokens[i];
		if (t->pos.line != line)
			continue;
		bool match = (t->kind == TK_STRING && strcmp(t->str, text) == 0) ||
			     (t->kind != TK_EOF && t->len == n && memcmp(t->p, text, n) == 0);
		if (match) {
			*pos = t->pos;
			return true;
		}
	}
	return false;
}

bool core_scan_find_key(const struct core_scan *s, const char *key, struct core_pos *pos)
{
	size_t n = strlen(key);
	for (size_t i = 0; s && i + 1 < s->ntokens; i++) {
		const struct core_scan_token *t = &s->tokens[i];
		if (t->kind == TK_NAME && t->len == n && memcmp(t->p, key, n) == 0 &&
		    IS_OP(s, i + 1, "=") && !IS_OP(s, i + 2, "=")) {
			*pos = t->pos;
			return true;
		}
		if (t->kind == TK_STRING && strcmp(t->str, key) == 0 && i > 0 &&
		    IS_OP(s, i - 1, "[") && IS_OP(s, i + 1, "]") && IS_OP(s, i + 2, "=")) {
			*pos = t->pos;
			return true;
		}
	}
	return false;
}

const struct core_scan_handler *core_scan_handler(const struct core_scan *s, const char *event)
{
	for (size_t i = 0; s && i < s->nhandlers; i++)
		if (strcmp(s->handlers[i].event, event) == 0)
			return &s->handlers[i];
	return NULL;
}

const struct core_scan_field *core_scan_call_field(const struct core_scan_call *call,
						   const char *key)
{
	for (size_t i = 0; i < call->nfields; i++)
		if (strcmp(call->fields[i].key, key) == 0)
			return &call->fields[i];
	return NULL;
}
