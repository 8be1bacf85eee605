#include "api/token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SECRET_BYTES 32

static void hash_secret(const char *secret, size_t len, unsigned char hash[API_TOKEN_HASH_LEN])
{
	crypto_generichash(hash, API_TOKEN_HASH_LEN, (const unsigned char *)secret, len, NULL, 0);
}

int api_token_generate(char text[API_TOKEN_TEXT_MAX], char id[API_TOKEN_ID_LEN + 1],
		       unsigned char hash[API_TOKEN_HASH_LEN])
{
	if (sodium_init() < 0)
		return -1;
	unsigned char idb[API_TOKEN_ID_LEN / 2], secret[SECRET_BYTES];
	randombytes_buf(idb, sizeof idb);
	randombytes_buf(secret, sizeof secret);
	sodium_bin2hex(id, API_TOKEN_ID_LEN + 1, idb, sizeof idb);
	char s64[sodium_base64_ENCODED_LEN(SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	sodium_bin2base64(s64, sizeof s64, secret, sizeof secret,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(secret, sizeof secret);
	hash_secret(s64, strlen(s64), hash);
	int n = snprintf(text, API_TOKEN_TEXT_MAX, "og_%s_%s", id, s64);
	sodium_memzero(s64, sizeof s64);
	return n > 0 && n < API_TOKEN_TEXT_MAX ? 0 : -1;
}

bool api_token_parse(const char *text, char id[API_TOKEN_ID_LEN + 1],
		     unsigned char hash[API_TOKEN_HASH_LEN])
{
	if (strncmp(text, "og_", 3) != 0)
		return false;
	const char *p = text + 3;
	for (int i = 0; i < API_TOKEN_ID_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	if (p[API_TOKEN_ID_LEN] != '_')
		return false;
	const char *secret = p + API_TOKEN_ID_LEN + 1;
	size_t len = strlen(secret);
	if (len < 16 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = secret[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_'))
			return false;
	}
	memcpy(id, p, API_TOKEN_ID_LEN);
	id[API_TOKEN_ID_LEN] = '\0';
	hash_secret(secret, len, hash);
	return true;
}

bool api_token_hash_equal(const unsigned char a[API_TOKEN_HASH_LEN],
			  const unsigned char b[API_TOKEN_HASH_LEN])
{
	return sodium_memcmp(a, b, API_TOKEN_HASH_LEN) == 0;
}

static const struct {
	enum api_role role;
	const char *name;
} roles[] = {
	{API_TOVHOLDER, "tovholder"}, {API_WORKER, "worker"},   {API_LEAD, "lead"},
	{API_ADMIN, "administrator"}, {API_MANAGER, "manager"}, {API_AUDITOR, "auditor"},
};

enum api_role api_role_parse(const char *name)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(roles[i].name, name) == 0)
			return roles[i].role;
	return 0;
}

const char *api_role_name(enum api_role role)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "unknown";
}

const char *api_role_names(void)
{
	return "tovholder, worker, lead, administrator, manager, auditor";
}
