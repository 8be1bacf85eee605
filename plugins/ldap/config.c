/* The ldap plugin's configuration: [plugin.ldap] keys into struct ldir_config, every key
 * checked before the daemon starts, so a mistake is found at start-up and not at the first
 * run hours later. */
#include <ctype.h>
#include <errno.h>
#include <ldap.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "directory.h"

struct reader {
	const struct og_host *host;
	struct og_plugin_ctx *ctx;
	char *err;
	size_t errlen;
	int failed;
};

static void bad(struct reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct reader *rd, const char *fmt, ...)
{
	if (rd->failed)
		return; /* the first mistake is the one reported */
	rd->failed = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rd->err, rd->errlen, fmt, ap);
	va_end(ap);
}

/* KEY's value, or DEF (which may be NULL) when absent or empty; the copy is owned by the
 * caller. */
static char *str(struct reader *rd, const char *key, const char *def)
{
	const char *v = rd->host->config(rd->ctx, key);
	if (v == NULL || v[0] == '\0')
		v = def;
	if (v == NULL)
		return NULL;
	char *copy = strdup(v);
	if (copy == NULL)
		bad(rd, "out of memory");
	return copy;
}

/* A filter as LDAP wants it: "objectClass=person" is taken as "(objectClass=person)". */
static char *filter(struct reader *rd, const char *key, const char *def)
{
	char *f = str(rd, key, def);
	if (f == NULL || f[0] == '(')
		return f;
	size_t n = strlen(f) + 3;
	char *wrapped = malloc(n);
	if (wrapped == NULL)
		bad(rd, "out of memory");
	else
		snprintf(wrapped, n, "(%s)", f);
	free(f);
	return wrapped;
}

static bool boolean(struct reader *rd, const char *key, bool def)
{
	const char *v = rd->host->config(rd->ctx, key);
	if (v == NULL || v[0] == '\0')
		return def;
	if (strcmp(v, "true") == 0)
		return true;
	if (strcmp(v, "false") != 0)
		bad(rd, "%s: '%s' is not true or false", key, v);
	return false;
}

/* One of NAMES (NULL-terminated), as its index; DEF when absent. */
static int choice(struct reader *rd, const char *key, const char *const *names, int def)
{
	const char *v = rd->host->config(rd->ctx, key);
	if (v == NULL || v[0] == '\0')
		return def;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	char list[256] = "";
	for (int i = 0; names[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	bad(rd, "%s: '%s' is not one of %s", key, v, list);
	return def;
}

/* A duration: "500ms", "30s", "15m", "2h", or a number of seconds. */
static int duration(struct reader *rd, const char *key, int def_ms, int min_ms)
{
	const char *v = rd->host->config(rd->ctx, key);
	if (v == NULL || v[0] == '\0')
		return def_ms;
	char *end;
	errno = 0;
	double n = strtod(v, &end);
	double unit = strcmp(end, "ms") == 0                  ? 1
		      : strcmp(end, "s") == 0 || *end == '\0' ? 1000
		      : strcmp(end, "m") == 0                 ? 60000
		      : strcmp(end, "h") == 0                 ? 3600000
							      : -1;
	if (end == v || errno != 0 || unit < 0 || !(n >= 0)) {
		bad(rd, "%s: '%s' is not a duration (say 500ms, 30s, 15m or 2h)", key, v);
		return def_ms;
	}
	double ms = n * unit;
	if (ms < min_ms || ms > INT_MAX) {
		bad(rd, "%s: '%s' is out of range (%d ms to 24 days)", key, v, min_ms);
		return def_ms;
	}
	return (int)ms;
}

static int integer(struct reader *rd, const char *key, int def, int min, int max)
{
	const char *v = rd->host->config(rd->ctx, key);
	if (v == NULL || v[0] == '\0')
		return def;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || n < min || n > max) {
		bad(rd, "%s: '%s' is not a whole number from %d to %d", key, v, min, max);
		return def;
	}
	return (int)n;
}

/* An attribute description: letters, digits, '-' and ';' options, or an OID. */
static bool attribute_ok(const char *a)
{
	if (a == NULL || !isalnum((unsigned char)a[0]))
		return false;
	for (const char *p = a; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != ';')
			return false;
	return true;
}

static bool dn_ok(const char *dn)
{
	LDAPDN parsed = NULL;
	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return false;
	ldap_dnfree(parsed);
	return true;
}

int ldir_config_read(struct ldir_config *c, const struct og_host *host, struct og_plugin_ctx *ctx,
		     char *err, size_t errlen)
{
	struct reader rd = {host, ctx, err, errlen, 0};
	*c = (struct ldir_config){0};

	c->uri = str(&rd, "uri", NULL);
	if (c->uri == NULL) {
		bad(&rd, "uri: required (ldap://host, ldaps://host, several separated by spaces)");
	} else {
		LDAP *ld = NULL; /* parses the URIs; connects to nothing */
		int rc = ldap_initialize(&ld, c->uri);
		if (rc != LDAP_SUCCESS)
			bad(&rd, "uri: '%s' is not an LDAP URI (%s)", c->uri, ldap_err2string(rc));
		if (ld)
			ldap_unbind_ext(ld, NULL, NULL);
	}
	c->base_dn = str(&rd, "base_dn", NULL);
	if (c->base_dn == NULL)
		bad(&rd,
		    "base_dn: required (where the staff are, e.g. ou=people,dc=kommune,dc=dk)");
	else if (!dn_ok(c->base_dn))
		bad(&rd, "base_dn: '%s' is not a DN", c->base_dn);

	c->bind_dn = str(&rd, "bind_dn", NULL);
	c->bind_password_file = str(&rd, "bind_password_file", NULL);
	if (c->bind_dn && !dn_ok(c->bind_dn))
		bad(&rd, "bind_dn: '%s' is not a DN", c->bind_dn);
	if (c->bind_dn && c->bind_password_file == NULL)
		bad(&rd, "bind_password_file: required with bind_dn (a file holding the password)");
	if (c->bind_dn == NULL && c->bind_password_file)
		bad(&rd, "bind_password_file: set bind_dn too, or neither for an anonymous bind");
	if (c->bind_password_file && access(c->bind_password_file, R_OK) != 0)
		bad(&rd, "bind_password_file: cannot read %s: %s", c->bind_password_file,
		    strerror(errno));

	static const char *const scopes[] = {"sub", "one", NULL};
	c->staff_filter = filter(&rd, "staff_filter", "(objectClass=inetOrgPerson)");
	c->staff_scope = choice(&rd, "staff_scope", scopes, 0) == 0 ? LDAP_SCOPE_SUBTREE
								    : LDAP_SCOPE_ONELEVEL;
	c->id_attribute = str(&rd, "id_attribute", "uid");
	c->name_attribute = str(&rd, "name_attribute", "displayName");
	c->mail_attribute = str(&rd, "mail_attribute", "mail");

	static const char *const matches[] = {"equals", "present", "bits", NULL};
	c->disabled_attribute = str(&rd, "disabled_attribute", NULL);
	c->disabled_value = str(&rd, "disabled_value", NULL);
	int match = choice(&rd, "disabled_match", matches, 0);
	if (c->disabled_attribute == NULL) {
		c->disabled = LDIR_DISABLED_NONE;
		if (c->disabled_value)
			bad(&rd, "disabled_value: set disabled_attribute too");
	} else if (match == 1) {
		c->disabled = LDIR_DISABLED_PRESENT;
	} else if (c->disabled_value == NULL) {
		bad(&rd, "disabled_value: required with disabled_attribute and disabled_match = %s",
		    matches[match]);
	} else if (match == 2) {
		char *end;
		errno = 0;
		c->disabled_bits = strtoull(c->disabled_value, &end, 0);
		c->disabled = LDIR_DISABLED_BITS;
		if (end == c->disabled_value || *end != '\0' || errno != 0 || c->disabled_bits == 0)
			bad(&rd,
			    "disabled_value: '%s' is not a bit mask (e.g. 2 for AD's "
			    "ACCOUNTDISABLE)",
			    c->disabled_value);
	} else {
		c->disabled = LDIR_DISABLED_EQUALS;
	}

	static const char *const sources[] = {"groups", "ou", NULL};
	static const char *const kinds[] = {"dn", "id", NULL};
	c->departments_from =
		choice(&rd, "departments_from", sources, 0) == 0 ? LDIR_FROM_GROUPS : LDIR_FROM_OU;
	c->group_base_dn = str(&rd, "group_base_dn", c->base_dn);
	if (c->group_base_dn && !dn_ok(c->group_base_dn))
		bad(&rd, "group_base_dn: '%s' is not a DN", c->group_base_dn);
	c->group_filter = filter(&rd, "group_filter", "(objectClass=groupOfNames)");
	c->group_scope = choice(&rd, "group_scope", scopes, 0) == 0 ? LDAP_SCOPE_SUBTREE
								    : LDAP_SCOPE_ONELEVEL;
	c->group_member_attribute = str(&rd, "group_member_attribute", "member");
	c->group_member_is_dn = choice(&rd, "group_member_kind", kinds, 0) == 0;
	c->group_id_attribute = str(&rd, "group_id_attribute", "cn");
	c->group_name_attribute = str(&rd, "group_name_attribute", "description");
	c->lead_suffix = str(&rd, "lead_suffix", NULL);
	c->lead_filter = filter(&rd, "lead_filter", NULL);
	if (c->lead_suffix && c->departments_from != LDIR_FROM_GROUPS)
		bad(&rd, "lead_suffix: only with departments_from = groups (use lead_filter)");

	const char *attrs[][2] = {
		{"id_attribute", c->id_attribute},
		{"name_attribute", c->name_attribute},
		{"mail_attribute", c->mail_attribute},
		{"disabled_attribute", c->disabled_attribute},
		{"group_member_attribute", c->group_member_attribute},
		{"group_id_attribute", c->group_id_attribute},
		{"group_name_attribute", c->group_name_attribute},
	};
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
		if (attrs[i][1] && !attribute_ok(attrs[i][1]))
			bad(&rd, "%s: '%s' is not an attribute name", attrs[i][0], attrs[i][1]);

	static const char *const certs[] = {"demand", "hard", "try", "allow", "never", NULL};
	static const int cert_opts[] = {LDAP_OPT_X_TLS_DEMAND, LDAP_OPT_X_TLS_HARD,
					LDAP_OPT_X_TLS_TRY, LDAP_OPT_X_TLS_ALLOW,
					LDAP_OPT_X_TLS_NEVER};
	c->starttls = boolean(&rd, "starttls", false);
	c->tls_ca_file = str(&rd, "tls_ca_file", NULL);
	c->tls_require_cert = cert_opts[choice(&rd, "tls_require_cert", certs, 0)];
	if (c->tls_ca_file && access(c->tls_ca_file, R_OK) != 0)
		bad(&rd, "tls_ca_file: cannot read %s: %s", c->tls_ca_file, strerror(errno));
	if (c->starttls && c->uri && strncasecmp(c->uri, "ldaps:", 6) == 0)
		bad(&rd, "starttls: not with an ldaps:// URI, which is TLS from the start");

	c->timeout_ms = duration(&rd, "timeout", 10000, 100);
	c->interval_ms = duration(&rd, "interval", 15 * 60000, 1000);
	c->page_size = integer(&rd, "page_size", 500, 0, 100000);
	c->allow_empty = boolean(&rd, "allow_empty", false);

	if (rd.failed) {
		ldir_config_free(c);
		return -1;
	}
	return 0;
}

void ldir_config_free(struct ldir_config *c)
{
	char *owned[] = {c->uri,
			 c->bind_dn,
			 c->bind_password_file,
			 c->base_dn,
			 c->staff_filter,
			 c->id_attribute,
			 c->name_attribute,
			 c->mail_attribute,
			 c->disabled_attribute,
			 c->disabled_value,
			 c->group_base_dn,
			 c->group_filter,
			 c->group_member_attribute,
			 c->group_id_attribute,
			 c->group_name_attribute,
			 c->lead_suffix,
			 c->lead_filter,
			 c->tls_ca_file};
	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
		free(owned[i]);
	*c = (struct ldir_config){0};
}
