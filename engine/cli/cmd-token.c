/* overgang token create|list|revoke: the bearer tokens people and systems use the API with.
 * A token is printed once, when made; the database keeps only its id and a hash. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/token.h"
#include "cli/cli.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: overgang token create --staff ID --role ROLE [--label TEXT]\n"
		"       overgang token list [--staff ID]\n"
		"       overgang token revoke TOKEN-ID\n"
		"roles: %s\n",
		api_role_names());
	return 2;
}

static int create(PGconn *conn, int argc, char **argv)
{
	const char *staff = NULL, *role = NULL, *label = "";
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--staff") == 0 && i + 1 < argc)
			staff = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
			label = argv[++i];
		else
			return usage();
	}
	if (staff == NULL || role == NULL)
		return usage();
	if (api_role_parse(role) == 0) {
		fprintf(stderr, "overgang token create: '%s' is not a role; roles: %s\n", role,
			api_role_names());
		return 2;
	}
	char text[API_TOKEN_TEXT_MAX], id[API_TOKEN_ID_LEN + 1];
	unsigned char hash[API_TOKEN_HASH_LEN];
	char hex[2 * API_TOKEN_HASH_LEN + 3] = "\\x";
	if (api_token_generate(text, id, hash) != 0) {
		fprintf(stderr, "overgang token create: libsodium cannot start\n");
		return 1;
	}
	sodium_bin2hex(hex + 2, sizeof hex - 2, hash, sizeof hash);
	/* a lead's token needs a department the person leads; say so now, not at first use */
	const char *params[] = {id, staff, role, hex, label, cli_operator()};
	PGresult *res = cli_query(
		conn, "token create",
		"INSERT INTO api_token (id, staff_id, role, hash, label, created_by)"
		" SELECT $1, s.id, $3, $4::bytea, $5, $6 FROM staff s WHERE s.id = $2"
		"   AND ($3 <> 'lead' OR EXISTS (SELECT 1 FROM staff_department sd"
		"                                WHERE sd.staff_id = s.id AND sd.is_lead))"
		" RETURNING id",
		6, params);
	if (res == NULL)
		return 1;
	int rc = 0;
	if (PQntuples(res) != 1) {
		fprintf(stderr, "overgang token create: no staff member '%s'%s\n", staff,
			strcmp(role, "lead") == 0 ? " who leads a department" : "");
		rc = 1;
	} else {
		printf("%s\n", text);
		fprintf(stderr, "token %s for %s as %s; it is shown only this once\n", id, staff,
			role);
	}
	sodium_memzero(text, sizeof text);
	PQclear(res);
	return rc;
}

static int list(PGconn *conn, int argc, char **argv)
{
	const char *staff = NULL;
	if (argc == 4 && strcmp(argv[2], "--staff") == 0)
		staff = argv[3];
	else if (argc != 2)
		return usage();
	const char *params[] = {staff};
	PGresult *res = cli_query(conn, "token list",
				  "SELECT id, staff_id, role, label, created_by,"
				  " to_char(created_at, 'YYYY-MM-DD HH24:MI'),"
				  " coalesce(to_char(revoked_at, 'YYYY-MM-DD HH24:MI'), '')"
				  " FROM api_token WHERE $1::text IS NULL OR staff_id = $1"
				  " ORDER BY created_at, id",
				  1, params);
	if (res == NULL)
		return 1;
	printf("%-16s  %-16s  %-13s  %-16s  %-16s  %s\n", "ID", "STAFF", "ROLE", "CREATED",
	       "REVOKED", "LABEL");
	for (int i = 0; i < PQntuples(res); i++)
		printf("%-16s  %-16s  %-13s  %-16s  %-16s  %s\n", PQgetvalue(res, i, 0),
		       PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 5),
		       PQgetvalue(res, i, 6)[0] ? PQgetvalue(res, i, 6) : "-",
		       PQgetvalue(res, i, 3));
	PQclear(res);
	return 0;
}

static int revoke(PGconn *conn, int argc, char **argv)
{
	if (argc != 3)
		return usage();
	const char *params[] = {argv[2]};
	PGresult *res = cli_query(conn, "token revoke",
				  "UPDATE api_token SET revoked_at = coalesce(revoked_at, now())"
				  " WHERE id = $1 RETURNING id",
				  1, params);
	if (res == NULL)
		return 1;
	int rc = PQntuples(res) == 1 ? 0 : 1;
	if (rc == 0)
		printf("token %s revoked; daemons stop accepting it within [api] token_cache\n",
		       argv[2]);
	else
		fprintf(stderr, "overgang token revoke: no token '%s'\n", argv[2]);
	PQclear(res);
	return rc;
}

static int exec_token(const struct cfg *cfg, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	int (*fn)(PGconn *, int, char **) = strcmp(argv[1], "create") == 0   ? create
					    : strcmp(argv[1], "list") == 0   ? list
					    : strcmp(argv[1], "revoke") == 0 ? revoke
									     : NULL;
	if (fn == NULL)
		return usage();
	PGconn *conn = cli_connect(cfg);
	if (conn == NULL)
		return 1;
	int rc = fn(conn, argc, argv);
	PQfinish(conn);
	return rc;
}

const struct cli_cmd cmd_token = {"token", "create|list|revoke ...",
				  "make, list and revoke the API's bearer tokens", exec_token};
