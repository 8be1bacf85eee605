/* The webhook signature, the same both ways: see webhook.h. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

static void mac(const unsigned char *secret, size_t secret_len, const char *t, const char *key,
		const char *body, size_t len, unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, secret, secret_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, strlen(t));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

void wh_sign(const unsigned char *secret, size_t secret_len, long long t, const char *key,
	     const char *body, size_t len, char hex[65])
{
	char ts[24];
	unsigned char out[crypto_auth_hmacsha256_BYTES];
	snprintf(ts, sizeof ts, "%lld", t);
	mac(secret, secret_len, ts, key, body, len, out);
	sodium_bin2hex(hex, 65, out, sizeof out);
}

enum wh_verdict wh_verify(const unsigned char *secret, size_t secret_len, const char *header,
			  const char *key, const char *body, size_t len, long long now,
			  long window_s)
{
	/* t=DIGITS first, then one or more v1=HEX (a sender changing its secret may sign with
	 * both for a while); anything else is malformed */
	if (strncmp(header, "t=", 2) != 0)
		return WH_SIG_MALFORMED;
	const char *p = header + 2;
	char ts[20];
	size_t n = strspn(p, "0123456789");
	if (n == 0 || n >= sizeof ts || p[n] != ',')
		return WH_SIG_MALFORMED;
	memcpy(ts, p, n);
	ts[n] = '\0';
	p += n;

	unsigned char want[crypto_auth_hmacsha256_BYTES];
	mac(secret, secret_len, ts, key, body, len, want);
	bool match = false;
	int candidates = 0;
	while (*p == ',') {
		p++;
		if (strncmp(p, "v1=", 3) != 0)
			return WH_SIG_MALFORMED;
		p += 3;
		size_t h = strspn(p, "0123456789abcdefABCDEF");
		unsigned char got[crypto_auth_hmacsha256_BYTES];
		size_t got_len = 0;
		if (h != 2 * sizeof got ||
		    sodium_hex2bin(got, sizeof got, p, h, NULL, &got_len, NULL) != 0 ||
		    got_len != sizeof got)
			return WH_SIG_MALFORMED;
		/* every candidate is compared, so the time taken says nothing about which */
		if (crypto_verify_32(got, want) == 0)
			match = true;
		candidates++;
		p += h;
	}
	sodium_memzero(want, sizeof want);
	if (*p != '\0' || candidates == 0)
		return WH_SIG_MALFORMED;
	if (!match)
		return WH_SIG_MISMATCH;
	long long t = strtoll(ts, NULL, 10);
	if (t < now - window_s || t > now + window_s)
		return WH_SIG_STALE;
	return WH_SIG_OK;
}

bool wh_key_ok(const char *key)
{
	if (key == NULL || key[0] == '\0' || strlen(key) > WH_KEY_MAX)
		return false;
	for (const char *c = key; *c; c++)
		if (*c < 0x21 || *c > 0x7e)
			return false;
	return true;
}
