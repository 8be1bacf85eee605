#include "store/migrate.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "overmigr": the advisory lock key held while migrating. */
#define MIGRATE_LOCK_KEY "8031170740339419506"

const char store_schema_version_sql[] =
	"SELECT coalesce(max(version), 0) FROM overgang.schema_migrations";

int store_schema_version_known(void) { return store_migrations_count; }

int store_schema_version_from(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK && PQntuples(res) == 1)
		return atoi(PQgetvalue(res, 0, 0));
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* undefined_table, invalid_schema_name: nothing applied yet */
	if (state && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0))
		return 0;
	return -1;
}

static void checksum(const char *sql, char hex[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)sql, strlen(sql));
	sodium_bin2hex(hex, 65, digest, sizeof digest);
}

/* Runs SQL; on failure writes "WHAT: server message" to ERR and returns -1. */
static int exec(PGconn *conn, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	/* a migration of comments only is empty, not wrong */
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(res));
		size_t n = strlen(err);
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static int apply_one(PGconn *conn, const struct store_migration *m, char *err, size_t errlen)
{
	char what[160];
	snprintf(what, sizeof what, "migration %04d_%s", m->version, m->name);
	if (exec(conn, "BEGIN", what, err, errlen) != 0)
		return -1;
	if (exec(conn, m->sql, what, err, errlen) != 0)
		goto rollback;
	char sum[65], version[16];
	checksum(m->sql, sum);
	snprintf(version, sizeof version, "%d", m->version);
	const char *params[] = {version, m->name, sum};
	PGresult *res =
		PQexecParams(conn,
			     "INSERT INTO overgang.schema_migrations (version, name, checksum) "
			     "VALUES ($1, $2, $3)",
			     3, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "%s: recording it: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	if (!ok)
		goto rollback;
	return exec(conn, "COMMIT", what, err, errlen);
rollback:
	PQclear(PQexec(conn, "ROLLBACK"));
	return -1;
}

int store_migrate(PGconn *conn, int *applied, char *err, size_t errlen)
{
	*applied = 0;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if (exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the migration lock",
		 err, errlen) != 0)
		return -1;

	int rc = -1;
	PGresult *res = NULL;
	if (exec(conn,
		 "SET client_min_messages TO warning;"
		 "CREATE SCHEMA IF NOT EXISTS overgang;"
		 "CREATE TABLE IF NOT EXISTS overgang.schema_migrations ("
		 "  version integer PRIMARY KEY,"
		 "  name text NOT NULL,"
		 "  checksum text NOT NULL,"
		 "  applied_at timestamptz NOT NULL DEFAULT now());"
		 "SET search_path TO overgang",
		 "preparing the schema", err, errlen) != 0)
		goto out;

	res = PQexec(
		conn,
		"SELECT version, name, checksum FROM overgang.schema_migrations ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading the applied migrations: %s",
			 PQresultErrorMessage(res));
		goto out;
	}
	int have = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		int version = atoi(PQgetvalue(res, i, 0));
		if (version > store_migrations_count) {
			snprintf(err, errlen,
				 "the database schema is at version %d (%s), newer than this build "
				 "knows "
				 "(%d); use a newer overgang",
				 version, PQgetvalue(res, i, 1), store_migrations_count);
			goto out;
		}
		const struct store_migration *m = &store_migrations[version - 1];
		char sum[65];
		checksum(m->sql, sum);
		if (strcmp(sum, PQgetvalue(res, i, 2)) != 0) {
			snprintf(err, errlen,
				 "migration %04d_%s was changed after it was applied to this "
				 "database; "
				 "a released migration must never change, add a new one instead",
				 version, m->name);
			goto out;
		}
		have = version;
	}
	for (int v = have + 1; v <= store_migrations_count; v++) {
		if (apply_one(conn, &store_migrations[v - 1], err, errlen) != 0)
			goto out;
		(*applied)++;
	}
	rc = 0;
out:
	PQclear(res);
	char ignored[256];
	if (exec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", "releasing the lock",
		 ignored, sizeof ignored) != 0 &&
	    rc == 0) {
		snprintf(err, errlen, "%s", ignored);
		rc = -1;
	}
	PQclear(PQexec(conn, "RESET search_path"));
	return rc;
}
