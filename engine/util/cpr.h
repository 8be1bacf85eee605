/*
 * The CPR number's keyed hash: citizens are found by BLAKE2b(key, number), so the database
 * can look a number up without an index of the numbers themselves, and a copy of the
 * database without the key cannot. The key is a secret of the configuration ([api]
 * cpr_key_file: 64 hex digits), never of the database.
 */
#ifndef OG_UTIL_CPR_H
#define OG_UTIL_CPR_H

#include <stdbool.h>
#include <stddef.h>

#define OG_CPR_KEY_LEN 32

/* Reads the key from PATH. Returns 0, or -1 with the reason in ERR (naming the file, never
 * its content). */
__attribute__((warn_unused_result)) int
og_cpr_key_load(const char *path, unsigned char key[OG_CPR_KEY_LEN], char *err, size_t errlen);

/* Whether CPR is ten digits. */
bool og_cpr_well_formed(const char *cpr);

/* The keyed hash of CPR as 64 hex digits and a NUL in HEX. */
void og_cpr_hash_hex(const unsigned char key[OG_CPR_KEY_LEN], const char *cpr, char hex[65]);

#endif
