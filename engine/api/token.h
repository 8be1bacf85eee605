/*
 * Bearer tokens: "og_" + 16 hex digits naming the token + "_" + a 43-character secret
 * (32 random bytes, base64url). Only the token's id and a BLAKE2b hash of the secret are
 * stored, so a copy of the database gives no working token; a token is shown once, when it
 * is made.
 */
#ifndef OG_API_TOKEN_H
#define OG_API_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define API_TOKEN_ID_LEN 16
#define API_TOKEN_HASH_LEN 32
#define API_TOKEN_TEXT_MAX 72

/* Makes a new token: its text in TEXT (API_TOKEN_TEXT_MAX bytes), its id and secret's hash.
 * Returns 0, or -1 when libsodium cannot start. */
__attribute__((warn_unused_result)) int api_token_generate(char text[API_TOKEN_TEXT_MAX],
							   char id[API_TOKEN_ID_LEN + 1],
							   unsigned char hash[API_TOKEN_HASH_LEN]);

/* Reads a token's text into its id and the hash of its secret. False when TEXT is not a
 * token's form. */
bool api_token_parse(const char *text, char id[API_TOKEN_ID_LEN + 1],
		     unsigned char hash[API_TOKEN_HASH_LEN]);

/* Whether two hashes are the same, in time that does not depend on where they differ. */
bool api_token_hash_equal(const unsigned char a[API_TOKEN_HASH_LEN],
			  const unsigned char b[API_TOKEN_HASH_LEN]);

/* The roles a token can carry, in the database's spelling. */
enum api_role {
	API_TOVHOLDER = 1 << 0,
	API_WORKER = 1 << 1,
	API_LEAD = 1 << 2,
	API_ADMIN = 1 << 3,
	API_MANAGER = 1 << 4,
	API_AUDITOR = 1 << 5,
};
#define API_ALL_ROLES 0x3f
/* The roles that work with citizens' cases. */
#define API_CASE_ROLES (API_TOVHOLDER | API_WORKER | API_LEAD | API_ADMIN)

/* "tovholder" → API_TOVHOLDER; 0 for an unknown name. */
enum api_role api_role_parse(const char *name);
const char *api_role_name(enum api_role role);
/* "tovholder, worker, lead, administrator, manager, auditor" */
const char *api_role_names(void);

#endif
