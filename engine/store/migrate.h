/*
 * The schema as numbered migrations (engine/store/migrations/NNNN_name.sql), compiled into the
 * binaries. Everything lives in the PostgreSQL schema "overgang"; overgang.schema_migrations
 * records which migrations are applied, with a checksum of each.
 */
#ifndef OG_STORE_MIGRATE_H
#define OG_STORE_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

struct store_migration {
	int version;
	const char *name;
	const char *sql;
};

/* Sorted by version, numbered 1..store_migrations_count without gaps (the build checks). */
extern const struct store_migration store_migrations[];
extern const int store_migrations_count;

/* The schema version this build needs. */
int store_schema_version_known(void);

/* Applies the pending migrations over a blocking connection, each in its own transaction,
 * under an advisory lock so that two processes never migrate at once (the second waits and
 * then finds nothing to do). Refuses a database whose schema is newer than this build, or
 * whose applied migrations differ from this build's. APPLIED receives the number applied.
 * Returns 0, or -1 with a message in ERR. */
__attribute__((warn_unused_result)) int store_migrate(PGconn *conn, int *applied, char *err,
						      size_t errlen);

/* The query that reads the applied schema version, and how to read its result: returns the
 * version (0 for a database overgang was never applied to) or -1 when RES is another error. */
extern const char store_schema_version_sql[];
int store_schema_version_from(const PGresult *res);

#endif
