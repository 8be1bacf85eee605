/*
 * Reading a staff directory from LDAP or Active Directory into plain structs.
 *
 * ldir_read() is blocking (libldap connects, binds and searches synchronously as far as the
 * caller is concerned): the plugin runs it on a thread of its own, never on the event loop.
 * It touches nothing but its arguments, so it needs no locking; the caller hands the result
 * to the loop after the thread is joined. It never logs: what the loop should log is in the
 * result's notes.
 *
 * A read is all or nothing: any error while reading (unreachable, refused bind, a search
 * that fails or is cut short by a size limit) fails the whole read, because a partial
 * directory would make the staff left out inactive.
 */
#ifndef LDAP_DIRECTORY_H
#define LDAP_DIRECTORY_H

#include <overgang/plugin.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* How a staff entry is recognised as disabled. */
enum ldir_disabled {
	LDIR_DISABLED_NONE = 0, /* never: only staff who leave the directory become inactive */
	LDIR_DISABLED_EQUALS,   /* disabled_attribute has a value equal to disabled_value */
	LDIR_DISABLED_PRESENT,  /* disabled_attribute is present at all */
	LDIR_DISABLED_BITS,     /* disabled_attribute & disabled_value != 0 (AD) */
};

/* Where a staff member's departments come from. */
enum ldir_departments {
	LDIR_FROM_GROUPS = 0, /* groups matching group_filter; their members */
	LDIR_FROM_OU,         /* the nearest ou= of the entry's DN */
};

/* The plugin's configuration, read once in init and read-only afterwards (the worker thread
 * reads it without locking). Strings are owned by the struct. */
struct ldir_config {
	char *uri;                /* one or more LDAP URIs separated by spaces */
	char *bind_dn;            /* NULL: anonymous */
	char *bind_password_file; /* read at every run, so a new password needs no restart */
	char *base_dn;
	char *staff_filter; /* parenthesised */
	int staff_scope;    /* LDAP_SCOPE_SUBTREE or LDAP_SCOPE_ONELEVEL */
	char *id_attribute;
	char *name_attribute;
	char *mail_attribute;
	enum ldir_disabled disabled;
	char *disabled_attribute;
	char *disabled_value;
	unsigned long long disabled_bits;
	enum ldir_departments departments_from;
	char *group_base_dn;
	char *group_filter; /* parenthesised */
	int group_scope;
	char *group_member_attribute;
	bool group_member_is_dn; /* false: the member values are staff ids (posixGroup) */
	char *group_id_attribute;
	char *group_name_attribute;
	char *lead_suffix; /* NULL or a suffix of group ids that marks lead groups */
	char *lead_filter; /* NULL or a filter: staff matching it lead their departments */
	bool starttls;
	char *tls_ca_file;
	int tls_require_cert; /* LDAP_OPT_X_TLS_DEMAND, ... */
	int timeout_ms;
	int page_size; /* 0: no paging */
	int interval_ms;
	bool allow_empty;
};

/* Reads the [plugin.ldap] section into C; -1 with a message in ERR for the first bad key. */
int ldir_config_read(struct ldir_config *c, const struct og_host *host, struct og_plugin_ctx *ctx,
		     char *err, size_t errlen) __attribute__((warn_unused_result));
void ldir_config_free(struct ldir_config *c);

struct ldir_department {
	char *id;
	char *name;
};

struct ldir_staff {
	char *id;
	char *name;
	char *email; /* or NULL */
	bool active;
	char *dn; /* normalised and lower-cased, to match group members by */
};

struct ldir_membership {
	size_t staff;      /* index into staff */
	size_t department; /* index into departments */
	bool lead;
};

/* The directory as read. Everything is owned by the struct (ldir_result_free). */
struct ldir_result {
	struct ldir_department *departments;
	size_t ndepartments, departments_cap;
	struct ldir_staff *staff;
	size_t nstaff, staff_cap;
	struct ldir_membership *memberships;
	size_t nmemberships, memberships_cap;
	long disabled; /* staff read as disabled */
	long skipped;  /* entries left out (each has a note) */
	/* what the loop should log, one warning each; at most LDIR_MAX_NOTES are kept */
	char **notes;
	size_t nnotes, notes_dropped;
};

#define LDIR_MAX_NOTES 20

/* Reads the whole directory C describes into R (zeroed by the caller). Returns 0, or -1 with
 * a message in ERR that names what failed (the server, the bind, the search) and never a
 * password. STOP, when set, makes it give up within about 200 ms of the next network wait.
 * Blocking: call it only on a thread of its own. */
int ldir_read(const struct ldir_config *c, atomic_bool *stop, struct ldir_result *r, char *err,
	      size_t errlen) __attribute__((warn_unused_result));
void ldir_result_free(struct ldir_result *r);

/* The id overgang knows a staff member (STAFF true) or a department by, made from a directory
 * value: lower case, æ ø å as ae oe aa, anything else outside [a-z0-9] (and . _ for staff)
 * becomes '-'; runs of '-' collapse; it must start with a letter or digit. Returns 0, or -1
 * when nothing usable is left or it does not fit in OUTLEN. */
int ldir_slug(const char *in, size_t len, bool staff, char *out, size_t outlen)
	__attribute__((warn_unused_result));

#endif
