/* Reading the staff directory from LDAP: connect, bind, search the staff, then the groups
 * (or the entries' OUs) for departments, and the leads. Runs on the plugin's worker thread
 * (see directory.h); every network wait is in slices of 200 ms so a daemon that stops is
 * not kept waiting. */
#include <ctype.h>
#include <errno.h>
#include <lber.h>
#include <ldap.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "directory.h"

struct reading {
	const struct ldir_config *c;
	atomic_bool *stop;
	LDAP *ld;
	struct ldir_result *r;
	char *err;
	size_t errlen;
	bool failed;
	long *ou_department; /* per staff member (LDIR_FROM_OU): a department index or -1 */
	size_t *by_dn;       /* staff indexes sorted by DN */
	size_t *by_id;       /* staff indexes sorted by id */
	bool *leads;         /* per staff member: matched lead_filter */
	long unmatched;      /* group members that are not among the staff */
	/* lead groups' members, applied once all department groups are known */
	struct lead {
		char *department;
		size_t staff;
	} * lead_members;
	size_t nlead_members, lead_members_cap;
};

static void fail(struct reading *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct reading *rd, const char *fmt, ...)
{
	if (rd->failed)
		return;
	rd->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rd->err, rd->errlen, fmt, ap);
	va_end(ap);
}

static void note(struct reading *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct reading *rd, const char *fmt, ...)
{
	struct ldir_result *r = rd->r;
	if (r->nnotes >= LDIR_MAX_NOTES) {
		r->notes_dropped++;
		return;
	}
	if (r->notes == NULL && (r->notes = calloc(LDIR_MAX_NOTES, sizeof *r->notes)) == NULL)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if ((r->notes[r->nnotes] = strdup(buf)) != NULL)
		r->nnotes++;
}

/* Grows *ARRAY (of *CAP elements of SIZE) to hold N + 1; -1 when out of memory. */
static int grow(void **array, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t want = *cap ? *cap * 2 : 64;
	void *p = realloc(*array, want * size);
	if (p == NULL)
		return -1;
	*array = p;
	*cap = want;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- ids from directory values ---- */

int ldir_slug(const char *in, size_t len, bool staff, char *out, size_t outlen)
{
	size_t o = 0;
	bool dash = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		const char *add = NULL;
		char one[2] = {0, 0};
		if (ch == 0xC3 && i + 1 < len) { /* æ ø å and their capitals, in UTF-8 */
			unsigned char next = (unsigned char)in[i + 1];
			add = next == 0xA6 || next == 0x86   ? "ae"
			      : next == 0xB8 || next == 0x98 ? "oe"
			      : next == 0xA5 || next == 0x85 ? "aa"
							     : NULL;
			if (add)
				i++;
		}
		if (add == NULL) {
			if (isalnum(ch) && ch < 0x80)
				one[0] = (char)tolower(ch);
			else if (staff && o > 0 && (ch == '.' || ch == '_'))
				one[0] = (char)ch;
			add = one;
		}
		if (add[0] == '\0') {   /* anything else: one '-' for a run of them */
			if (ch >= 0x80) /* skip the rest of a UTF-8 sequence */
				while (i + 1 < len && ((unsigned char)in[i + 1] & 0xC0) == 0x80)
					i++;
			dash = o > 0;
			continue;
		}
		if (dash) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '-';
			dash = false;
		}
		for (const char *p = add; *p; p++) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *p;
		}
	}
	if (o == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/* ---- talking to the server ---- */

/* "RC's text (the server's diagnostic message)" into BUF. */
static const char *ldap_text(LDAP *ld, int rc, char *buf, size_t len)
{
	char *diag = NULL;
	if (ld)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* libldap's stand-in when it has nothing to say */
	if (diag && diag[0] && strcmp(diag, "(unknown error code)") != 0)
		snprintf(buf, len, "%s (%s)", ldap_err2string(rc), diag);
	else
		snprintf(buf, len, "%s", ldap_err2string(rc));
	ldap_memfree(diag);
	return buf;
}

static bool unreachable(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/* Fails the read for RC while doing WHAT. */
static void fail_ldap(struct reading *rd, int rc, const char *what)
{
	char text[384];
	ldap_text(rd->ld, rc, text, sizeof text);
	bool tls = rd->c->starttls || strncasecmp(rd->c->uri, "ldaps:", 6) == 0;
	if (unreachable(rc) && tls)
		/* libldap says the same for a refused connection and a certificate it rejects */
		fail(rd,
		     "cannot reach the directory at %s while %s: %s (or its TLS certificate was "
		     "not "
		     "accepted: is it signed by tls_ca_file's CA, for the URI's host name?)",
		     rd->c->uri, what, text);
	else if (unreachable(rc))
		fail(rd, "cannot reach the directory at %s while %s: %s", rd->c->uri, what, text);
	else
		fail(rd, "the directory at %s refused %s: %s", rd->c->uri, what, text);
}

/* The next message of MSGID, waiting at most the configured timeout; NULL after failing. */
static LDAPMessage *await(struct reading *rd, int msgid, const char *what)
{
	int64_t deadline = now_ms() + rd->c->timeout_ms;
	for (;;) {
		if (atomic_load(rd->stop)) {
			fail(rd, "stopped while %s: the daemon is shutting down", what);
			return NULL;
		}
		struct timeval tv = {0, 200000};
		LDAPMessage *res = NULL;
		int rc = ldap_result(rd->ld, msgid, LDAP_MSG_ONE, &tv, &res);
		if (rc > 0)
			return res;
		if (rc < 0) {
			int code = LDAP_OTHER;
			ldap_get_option(rd->ld, LDAP_OPT_RESULT_CODE, &code);
			fail_ldap(rd, code, what);
			return NULL;
		}
		if (now_ms() >= deadline) {
			ldap_abandon_ext(rd->ld, msgid, NULL, NULL);
			fail(rd,
			     "cannot reach the directory at %s while %s: no answer within %d ms",
			     rd->c->uri, what, rd->c->timeout_ms);
			return NULL;
		}
	}
}

static int read_password(struct reading *rd, char *buf, size_t len)
{
	FILE *f = fopen(rd->c->bind_password_file, "r");
	if (f == NULL) {
		fail(rd, "bind_password_file: cannot read %s: %s", rd->c->bind_password_file,
		     strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0) {
		fail(rd, "bind_password_file: %s is empty", rd->c->bind_password_file);
		return -1;
	}
	return 0;
}

static int connect_and_bind(struct reading *rd)
{
	const struct ldir_config *c = rd->c;
	int rc = ldap_initialize(&rd->ld, c->uri);
	if (rc != LDAP_SUCCESS) {
		fail(rd, "uri %s: %s", c->uri, ldap_err2string(rc));
		return -1;
	}
	int v3 = LDAP_VERSION3, zero = 0;
	struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
	/* options on this handle only: the process-wide ones are not ours to change */
	if (ldap_set_option(rd->ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(rd->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(rd->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(rd->ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(rd->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &c->tls_require_cert) !=
		    LDAP_OPT_SUCCESS ||
	    (c->tls_ca_file && ldap_set_option(rd->ld, LDAP_OPT_X_TLS_CACERTFILE, c->tls_ca_file) !=
				       LDAP_OPT_SUCCESS) ||
	    ldap_set_option(rd->ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
		fail(rd, "cannot set up the LDAP connection's options (TLS support missing?)");
		return -1;
	}
	if (c->starttls) {
		rc = ldap_start_tls_s(rd->ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			fail_ldap(rd, rc, "StartTLS");
			return -1;
		}
	}
	if (c->bind_dn == NULL) /* anonymous: the first search connects */
		return 0;
	char password[1024];
	if (read_password(rd, password, sizeof password) != 0)
		return -1;
	struct berval cred = {strlen(password), password};
	int msgid = -1;
	rc = ldap_sasl_bind(rd->ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, &msgid);
	explicit_bzero(password, sizeof password);
	char what[512];
	snprintf(what, sizeof what, "binding as %s", c->bind_dn);
	if (rc != LDAP_SUCCESS) {
		fail_ldap(rd, rc, what);
		return -1;
	}
	LDAPMessage *res = await(rd, msgid, what);
	if (res == NULL)
		return -1;
	int code = LDAP_OTHER;
	rc = ldap_parse_result(rd->ld, res, &code, NULL, NULL, NULL, NULL, 1);
	if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
		fail_ldap(rd, rc != LDAP_SUCCESS ? rc : code, what);
		return -1;
	}
	return 0;
}

typedef int (*entry_fn)(struct reading *rd, LDAPMessage *entry);

/* Searches BASE, paged when configured, calling FN for each entry. */
static int search(struct reading *rd, const char *what, const char *base, int scope,
		  const char *filter, char **attrs, entry_fn fn)
{
	const struct ldir_config *c = rd->c;
	struct berval cookie = {0, NULL};
	int ret = -1;
	for (;;) {
		LDAPControl *page = NULL, *ctrls[2] = {NULL, NULL};
		int rc;
		if (c->page_size > 0) {
			/* not critical: a server without paging answers everything at once */
			rc = ldap_create_page_control(rd->ld, (ber_int_t)c->page_size, &cookie, 0,
						      &page);
			if (rc != LDAP_SUCCESS) {
				fail_ldap(rd, rc, what);
				goto out;
			}
			ctrls[0] = page;
		}
		int msgid = -1;
		rc = ldap_search_ext(rd->ld, base, scope, filter, attrs, 0, ctrls, NULL, NULL,
				     LDAP_NO_LIMIT, &msgid);
		ldap_control_free(page);
		if (rc != LDAP_SUCCESS) {
			fail_ldap(rd, rc, what);
			goto out;
		}
		ber_memfree(cookie.bv_val);
		cookie = (struct berval){0, NULL};
		for (;;) {
			LDAPMessage *res = await(rd, msgid, what);
			if (res == NULL)
				goto out;
			int type = ldap_msgtype(res);
			if (type == LDAP_RES_SEARCH_ENTRY) {
				int r = fn(rd, res);
				ldap_msgfree(res);
				if (r != 0)
					goto out;
				continue;
			}
			if (type != LDAP_RES_SEARCH_RESULT) { /* references: not followed */
				ldap_msgfree(res);
				continue;
			}
			int code = LDAP_OTHER;
			LDAPControl **sctrls = NULL;
			rc = ldap_parse_result(rd->ld, res, &code, NULL, NULL, NULL, &sctrls, 1);
			if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
				ldap_controls_free(sctrls);
				if (code == LDAP_SIZELIMIT_EXCEEDED)
					fail(rd,
					     "the directory at %s cut %s short at its size limit: "
					     "set page_size (paged results) or raise the limit",
					     c->uri, what);
				else
					fail_ldap(rd, rc != LDAP_SUCCESS ? rc : code, what);
				goto out;
			}
			LDAPControl *resp =
				ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls, NULL);
			ber_int_t estimate;
			if (resp && ldap_parse_pageresponse_control(rd->ld, resp, &estimate,
								    &cookie) != LDAP_SUCCESS)
				cookie = (struct berval){0, NULL};
			ldap_controls_free(sctrls);
			break;
		}
		if (cookie.bv_val == NULL || cookie.bv_len == 0)
			break;
	}
	ret = 0;
out:
	ber_memfree(cookie.bv_val);
	return ret;
}

/* The first value of ATTR in ENTRY as a string (owned by the caller), or NULL. */
static char *first_value(struct reading *rd, LDAPMessage *entry, const char *attr)
{
	if (attr == NULL)
		return NULL;
	struct berval **v = ldap_get_values_len(rd->ld, entry, attr);
	char *s = NULL;
	if (v && v[0])
		s = strndup(v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return s;
}

/* DN normalised and lower-cased (attribute values in the DNs we match are case-insensitive
 * in practice: cn, ou, uid, dc). */
static char *dn_key(const char *dn)
{
	char *norm = NULL;
	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &norm, LDAP_DN_FORMAT_LDAPV3) !=
		    LDAP_SUCCESS ||
	    norm == NULL)
		return NULL;
	char *key = strdup(norm);
	ldap_memfree(norm);
	for (char *p = key; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return key;
}

/* The department with id made from VALUE (adding it, named NAME or VALUE, if new); its index,
 * or -1 when VALUE makes no id. */
static long department(struct reading *rd, const char *value, const char *name)
{
	struct ldir_result *r = rd->r;
	char id[128];
	if (ldir_slug(value, strlen(value), false, id, sizeof id) != 0)
		return -1;
	for (size_t i = 0; i < r->ndepartments; i++)
		if (strcmp(r->departments[i].id, id) == 0)
			return (long)i;
	if (grow((void **)&r->departments, &r->departments_cap, r->ndepartments,
		 sizeof *r->departments) != 0) {
		fail(rd, "out of memory");
		return -1;
	}
	struct ldir_department *d = &r->departments[r->ndepartments];
	d->id = strdup(id);
	d->name = strdup(name ? name : value);
	if (d->id == NULL || d->name == NULL) {
		free(d->id);
		free(d->name);
		fail(rd, "out of memory");
		return -1;
	}
	return (long)r->ndepartments++;
}

static int add_membership(struct reading *rd, size_t staff, size_t dep, bool lead)
{
	struct ldir_result *r = rd->r;
	if (grow((void **)&r->memberships, &r->memberships_cap, r->nmemberships,
		 sizeof *r->memberships) != 0) {
		fail(rd, "out of memory");
		return -1;
	}
	r->memberships[r->nmemberships++] = (struct ldir_membership){staff, dep, lead};
	return 0;
}

/* ---- staff ---- */

static bool is_disabled(struct reading *rd, LDAPMessage *entry)
{
	const struct ldir_config *c = rd->c;
	if (c->disabled == LDIR_DISABLED_NONE)
		return false;
	struct berval **v = ldap_get_values_len(rd->ld, entry, c->disabled_attribute);
	bool disabled = false;
	for (int i = 0; v && v[i] && !disabled; i++) {
		if (c->disabled == LDIR_DISABLED_PRESENT) {
			disabled = true;
		} else if (c->disabled == LDIR_DISABLED_EQUALS) {
			disabled = v[i]->bv_len == strlen(c->disabled_value) &&
				   strncasecmp(v[i]->bv_val, c->disabled_value, v[i]->bv_len) == 0;
		} else {
			char num[32];
			snprintf(num, sizeof num, "%.*s", (int)v[i]->bv_len, v[i]->bv_val);
			/* AD writes userAccountControl as a signed 32-bit decimal */
			long long flags = strtoll(num, NULL, 10);
			disabled = ((unsigned long long)flags & c->disabled_bits) != 0;
		}
	}
	ldap_value_free_len(v);
	return disabled;
}

/* The value of the nearest ou= above the entry itself, or NULL. */
static char *nearest_ou(const char *dn)
{
	LDAPDN parsed = NULL;
	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || parsed == NULL)
		return NULL;
	char *ou = NULL;
	for (int i = 1; parsed[i] && ou == NULL; i++)
		for (int j = 0; parsed[i][j] && ou == NULL; j++) {
			LDAPAVA *ava = parsed[i][j];
			if (ava->la_attr.bv_len == 2 &&
			    strncasecmp(ava->la_attr.bv_val, "ou", 2) == 0)
				ou = strndup(ava->la_value.bv_val, ava->la_value.bv_len);
		}
	ldap_dnfree(parsed);
	return ou;
}

static int on_staff(struct reading *rd, LDAPMessage *entry)
{
	const struct ldir_config *c = rd->c;
	struct ldir_result *r = rd->r;
	char *dn = ldap_get_dn(rd->ld, entry);
	char *raw_id = first_value(rd, entry, c->id_attribute);
	char *name = first_value(rd, entry, c->name_attribute);
	char *mail = first_value(rd, entry, c->mail_attribute);
	char id[128];
	int ret = 0;
	if (dn == NULL) {
		r->skipped++;
		note(rd, "an entry without a DN was left out");
		goto out;
	}
	if (raw_id == NULL || ldir_slug(raw_id, strlen(raw_id), true, id, sizeof id) != 0) {
		r->skipped++;
		note(rd, "%s: no usable %s; left out", dn, c->id_attribute);
		goto out;
	}
	if (name == NULL)
		name = first_value(rd, entry, "cn");
	long *ou_department = rd->ou_department;
	if (grow((void **)&r->staff, &r->staff_cap, r->nstaff, sizeof *r->staff) != 0 ||
	    (c->departments_from == LDIR_FROM_OU &&
	     (ou_department = realloc(ou_department, r->staff_cap * sizeof *ou_department)) ==
		     NULL)) {
		fail(rd, "out of memory");
		ret = -1;
		goto out;
	}
	rd->ou_department = ou_department;
	struct ldir_staff *s = &r->staff[r->nstaff];
	*s = (struct ldir_staff){0};
	s->id = strdup(id);
	s->name = name ? name : strdup(id);
	s->email = mail;
	s->dn = dn_key(dn);
	s->active = !is_disabled(rd, entry);
	name = mail = NULL;
	if (s->id == NULL || s->name == NULL || s->dn == NULL) {
		free(s->id);
		free(s->name);
		free(s->email);
		free(s->dn);
		fail(rd, "out of memory (or a DN libldap cannot normalise: %s)", dn);
		ret = -1;
		goto out;
	}
	r->nstaff++;
	if (!s->active)
		r->disabled++;
	if (c->departments_from == LDIR_FROM_OU) {
		char *ou = nearest_ou(dn);
		long dep = ou ? department(rd, ou, ou) : -1;
		if (ou && dep < 0 && !rd->failed)
			note(rd, "%s: the OU '%s' makes no department id; no department", dn, ou);
		rd->ou_department[r->nstaff - 1] = dep;
		free(ou);
		if (rd->failed)
			ret = -1;
	}
out:
	ldap_memfree(dn);
	free(raw_id);
	free(name);
	free(mail);
	return ret;
}

static int by_id_cmp(const void *a, const void *b, void *staff)
{
	const struct ldir_staff *s = staff;
	return strcmp(s[*(const size_t *)a].id, s[*(const size_t *)b].id);
}
static int by_dn_cmp(const void *a, const void *b, void *staff)
{
	const struct ldir_staff *s = staff;
	return strcmp(s[*(const size_t *)a].dn, s[*(const size_t *)b].dn);
}

/* Staff whose ids collide (two entries making the same id) are all left out: keeping one
 * would depend on the order the server answers in. */
static int drop_duplicates(struct reading *rd)
{
	struct ldir_result *r = rd->r;
	size_t n = r->nstaff;
	size_t *order = malloc((n ? n : 1) * sizeof *order);
	bool *drop = calloc(n ? n : 1, sizeof *drop);
	if (order == NULL || drop == NULL) {
		free(order);
		free(drop);
		fail(rd, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof *order, by_id_cmp, r->staff);
	for (size_t i = 1; i < n; i++)
		if (strcmp(r->staff[order[i]].id, r->staff[order[i - 1]].id) == 0) {
			if (!drop[order[i - 1]])
				note(rd, "several entries make the staff id '%s'; all left out",
				     r->staff[order[i]].id);
			drop[order[i]] = drop[order[i - 1]] = true;
		}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		struct ldir_staff *s = &r->staff[i];
		if (drop[i]) {
			r->skipped++;
			if (!s->active)
				r->disabled--;
			free(s->id);
			free(s->name);
			free(s->email);
			free(s->dn);
			continue;
		}
		if (rd->ou_department)
			rd->ou_department[kept] = rd->ou_department[i];
		r->staff[kept++] = *s;
	}
	r->nstaff = kept;
	free(order);
	free(drop);
	return 0;
}

static int index_staff(struct reading *rd)
{
	struct ldir_result *r = rd->r;
	size_t n = r->nstaff ? r->nstaff : 1;
	rd->by_dn = malloc(n * sizeof *rd->by_dn);
	rd->by_id = malloc(n * sizeof *rd->by_id);
	rd->leads = calloc(n, sizeof *rd->leads);
	if (rd->by_dn == NULL || rd->by_id == NULL || rd->leads == NULL) {
		fail(rd, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->nstaff; i++)
		rd->by_dn[i] = rd->by_id[i] = i;
	qsort_r(rd->by_dn, r->nstaff, sizeof *rd->by_dn, by_dn_cmp, r->staff);
	qsort_r(rd->by_id, r->nstaff, sizeof *rd->by_id, by_id_cmp, r->staff);
	return 0;
}

/* The staff member VALUE names (a DN when BY_DN, else an id), or -1. */
static long find_staff(struct reading *rd, const struct berval *value, bool by_dn)
{
	struct ldir_result *r = rd->r;
	char *raw = strndup(value->bv_val, value->bv_len);
	if (raw == NULL)
		return -1;
	char id[128];
	char *key = NULL;
	if (by_dn)
		key = dn_key(raw);
	else if (ldir_slug(raw, strlen(raw), true, id, sizeof id) == 0)
		key = strdup(id);
	free(raw);
	if (key == NULL)
		return -1;
	size_t *index = by_dn ? rd->by_dn : rd->by_id;
	size_t lo = 0, hi = r->nstaff;
	long found = -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ldir_staff *s = &r->staff[index[mid]];
		int cmp = strcmp(key, by_dn ? s->dn : s->id);
		if (cmp == 0) {
			found = (long)index[mid];
			break;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	free(key);
	return found;
}

/* ---- departments from groups ---- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

static int on_group(struct reading *rd, LDAPMessage *entry)
{
	const struct ldir_config *c = rd->c;
	char *dn = ldap_get_dn(rd->ld, entry);
	char *gid = first_value(rd, entry, c->group_id_attribute);
	char *name = first_value(rd, entry, c->group_name_attribute);
	struct berval **members = NULL;
	int ret = 0;
	if (gid == NULL) {
		note(rd, "group %s: no %s; left out", dn ? dn : "?", c->group_id_attribute);
		goto out;
	}
	/* Active Directory hands out large groups in ranges ("member;range=0-1499"): reading
	 * only the first range would drop members, so such a group fails the read */
	size_t mlen = strlen(c->group_member_attribute);
	BerElement *ber = NULL;
	for (char *a = ldap_first_attribute(rd->ld, entry, &ber); a;
	     a = ldap_next_attribute(rd->ld, entry, ber)) {
		bool ranged = strncasecmp(a, c->group_member_attribute, mlen) == 0 &&
			      strncasecmp(a + mlen, ";range=", 7) == 0;
		ldap_memfree(a);
		if (ranged) {
			fail(rd,
			     "group %s has more members than the directory hands out at once "
			     "(ranged retrieval is not supported yet)",
			     dn ? dn : gid);
			ber_free(ber, 0);
			ret = -1;
			goto out;
		}
	}
	ber_free(ber, 0);

	bool lead_group = c->lead_suffix && has_suffix(gid, c->lead_suffix);
	long dep = -1;
	if (lead_group) {
		gid[strlen(gid) - strlen(c->lead_suffix)] = '\0';
	} else {
		dep = department(rd, gid, name);
		if (dep < 0) {
			if (rd->failed) {
				ret = -1;
				goto out;
			}
			note(rd, "group %s: '%s' makes no department id; left out", dn ? dn : "?",
			     gid);
			goto out;
		}
	}
	members = ldap_get_values_len(rd->ld, entry, c->group_member_attribute);
	for (int i = 0; members && members[i]; i++) {
		long s = find_staff(rd, members[i], c->group_member_is_dn);
		if (s < 0) {
			rd->unmatched++;
			continue;
		}
		if (lead_group) {
			if (grow((void **)&rd->lead_members, &rd->lead_members_cap,
				 rd->nlead_members, sizeof *rd->lead_members) != 0 ||
			    (rd->lead_members[rd->nlead_members].department = strdup(gid)) ==
				    NULL) {
				fail(rd, "out of memory");
				ret = -1;
				goto out;
			}
			rd->lead_members[rd->nlead_members++].staff = (size_t)s;
		} else if (add_membership(rd, (size_t)s, (size_t)dep, false) != 0) {
			ret = -1;
			goto out;
		}
	}
out:
	ldap_value_free_len(members);
	ldap_memfree(dn);
	free(gid);
	free(name);
	return ret;
}

/* Members of a lead group lead the department named by the group's id without the suffix,
 * which must be one of the department groups. */
static int apply_lead_groups(struct reading *rd)
{
	struct ldir_result *r = rd->r;
	for (size_t i = 0; i < rd->nlead_members; i++) {
		char id[128];
		long dep = -1;
		const char *d = rd->lead_members[i].department;
		if (ldir_slug(d, strlen(d), false, id, sizeof id) == 0)
			for (size_t j = 0; j < r->ndepartments && dep < 0; j++)
				if (strcmp(r->departments[j].id, id) == 0)
					dep = (long)j;
		if (dep < 0) {
			bool first = true; /* one note per group */
			for (size_t k = 0; k < i && first; k++)
				first = strcmp(rd->lead_members[k].department, d) != 0;
			if (first)
				note(rd,
				     "lead group %s%s: there is no department group '%s'; its "
				     "members lead nothing",
				     d, rd->c->lead_suffix, d);
			continue;
		}
		if (add_membership(rd, rd->lead_members[i].staff, (size_t)dep, true) != 0)
			return -1;
	}
	return 0;
}

/* ---- leads by filter ---- */

static int on_lead(struct reading *rd, LDAPMessage *entry)
{
	char *dn = ldap_get_dn(rd->ld, entry);
	if (dn == NULL)
		return 0;
	struct berval v = {strlen(dn), dn};
	long s = find_staff(rd, &v, true);
	if (s >= 0)
		rd->leads[s] = true;
	ldap_memfree(dn);
	return 0;
}

/* Sorts the memberships by staff and department and merges repeats (lead if any says so),
 * then marks the lead_filter's staff as leads of all their departments. */
static int membership_cmp(const void *a, const void *b)
{
	const struct ldir_membership *x = a, *y = b;
	if (x->staff != y->staff)
		return x->staff < y->staff ? -1 : 1;
	return x->department < y->department ? -1 : x->department > y->department;
}

static void finish_memberships(struct reading *rd)
{
	struct ldir_result *r = rd->r;
	struct ldir_membership *m = r->memberships;
	if (r->nmemberships > 1)
		qsort(m, r->nmemberships, sizeof *m, membership_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < r->nmemberships; i++) {
		if (kept > 0 && m[kept - 1].staff == m[i].staff &&
		    m[kept - 1].department == m[i].department) {
			m[kept - 1].lead = m[kept - 1].lead || m[i].lead;
			continue;
		}
		m[kept++] = m[i];
	}
	r->nmemberships = kept;
	if (rd->leads)
		for (size_t i = 0; i < kept; i++)
			m[i].lead = m[i].lead || rd->leads[m[i].staff];
}

/* ---- the whole read ---- */

int ldir_read(const struct ldir_config *c, atomic_bool *stop, struct ldir_result *r, char *err,
	      size_t errlen)
{
	struct reading rd = {.c = c, .stop = stop, .r = r, .err = err, .errlen = errlen};
	char what[1024];
	if (connect_and_bind(&rd) != 0)
		goto out;

	char *staff_attrs[] = {c->id_attribute,       c->name_attribute,
			       c->mail_attribute,     "cn",
			       c->disabled_attribute, NULL};
	snprintf(what, sizeof what, "the search for staff under %s with %s", c->base_dn,
		 c->staff_filter);
	if (search(&rd, what, c->base_dn, c->staff_scope, c->staff_filter, staff_attrs, on_staff) !=
		    0 ||
	    drop_duplicates(&rd) != 0)
		goto out;
	if (r->nstaff == 0 && !c->allow_empty) {
		fail(&rd,
		     "the directory at %s lists no staff under %s with %s: refusing to make every "
		     "synchronised staff member inactive (allow_empty = true if that is meant)",
		     c->uri, c->base_dn, c->staff_filter);
		goto out;
	}
	if (index_staff(&rd) != 0)
		goto out;

	if (c->departments_from == LDIR_FROM_OU) {
		for (size_t i = 0; i < r->nstaff; i++)
			if (rd.ou_department[i] >= 0 &&
			    add_membership(&rd, i, (size_t)rd.ou_department[i], false) != 0)
				goto out;
	} else {
		char *group_attrs[] = {c->group_id_attribute, c->group_name_attribute,
				       c->group_member_attribute, NULL};
		snprintf(what, sizeof what, "the search for groups under %s with %s",
			 c->group_base_dn, c->group_filter);
		if (search(&rd, what, c->group_base_dn, c->group_scope, c->group_filter,
			   group_attrs, on_group) != 0 ||
		    apply_lead_groups(&rd) != 0)
			goto out;
	}
	if (c->lead_filter) {
		size_t n = strlen(c->staff_filter) + strlen(c->lead_filter) + 4;
		char *filter = malloc(n);
		if (filter == NULL) {
			fail(&rd, "out of memory");
			goto out;
		}
		snprintf(filter, n, "(&%s%s)", c->staff_filter, c->lead_filter);
		char *no_attrs[] = {LDAP_NO_ATTRS, NULL};
		snprintf(what, sizeof what, "the search for leads under %s with %s", c->base_dn,
			 filter);
		int rc = search(&rd, what, c->base_dn, c->staff_scope, filter, no_attrs, on_lead);
		free(filter);
		if (rc != 0)
			goto out;
	}
	finish_memberships(&rd);
	if (rd.unmatched > 0)
		note(&rd,
		     "%ld group members are not among the staff read (other objects, nested "
		     "groups, or entries the staff filter leaves out); ignored",
		     rd.unmatched);
out:
	if (rd.ld)
		ldap_unbind_ext(rd.ld, NULL, NULL);
	for (size_t i = 0; i < rd.nlead_members; i++)
		free(rd.lead_members[i].department);
	free(rd.lead_members);
	free(rd.ou_department);
	free(rd.by_dn);
	free(rd.by_id);
	free(rd.leads);
	return rd.failed ? -1 : 0;
}

void ldir_result_free(struct ldir_result *r)
{
	for (size_t i = 0; i < r->ndepartments; i++) {
		free(r->departments[i].id);
		free(r->departments[i].name);
	}
	for (size_t i = 0; i < r->nstaff; i++) {
		free(r->staff[i].id);
		free(r->staff[i].name);
		free(r->staff[i].email);
		free(r->staff[i].dn);
	}
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	free(r->departments);
	free(r->staff);
	free(r->memberships);
	*r = (struct ldir_result){0};
}
