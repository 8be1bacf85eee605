#include "util/cpr.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

int og_cpr_key_load(const char *path, unsigned char key[OG_CPR_KEY_LEN], char *err, size_t errlen)
{
	size_t len;
	char *text = og_read_file(path, &len);
	if (text == NULL) {
		snprintf(err, errlen, "[api] cpr_key_file: cannot read %s", path);
		return -1;
	}
	size_t n = 0;
	int rc = sodium_hex2bin(key, OG_CPR_KEY_LEN, text, len, " \n\r\t", &n, NULL);
	sodium_memzero(text, len);
	free(text);
	if (rc != 0 || n != OG_CPR_KEY_LEN) {
		sodium_memzero(key, OG_CPR_KEY_LEN);
		snprintf(err, errlen, "[api] cpr_key_file: %s must hold 64 hex digits", path);
		return -1;
	}
	return 0;
}

bool og_cpr_well_formed(const char *cpr)
{
	return cpr && strlen(cpr) == 10 && strspn(cpr, "0123456789") == 10;
}

void og_cpr_hash_hex(const unsigned char key[OG_CPR_KEY_LEN], const char *cpr, char hex[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)cpr, strlen(cpr), key,
			   OG_CPR_KEY_LEN);
	sodium_bin2hex(hex, 65, h, sizeof h);
}
