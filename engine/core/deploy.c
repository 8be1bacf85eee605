#include "core/deploy.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/definition.h"
#include "core/scan.h"

int core_deploy_check(const char *chunkname, const char *source, size_t len,
		      const struct lwf_budget *budget, const char *const *departments,
		      struct core_check *check, struct lwf_workflow **wf_out)
{
	*wf_out = NULL;
	const char *nul = memchr(source, '\0', len);
	if (nul) {
		int line = 1;
		for (const char *p = source; p < nul; p++)
			line += *p == '\n';
		return core_check_add(check, line, 1, false, "the file holds a NUL byte") == 0 ? 1
											       : -1;
	}
	char err[4096];
	struct lwf_workflow *wf = lwf_load(chunkname, source, len, budget, err, sizeof err);
	struct core_check_input in = {
		.source = source,
		.len = len,
		.def = wf ? lwf_def(wf) : NULL,
		.load_error = wf ? NULL : err,
		.departments = departments,
	};
	if (core_check_workflow(&in, check) != 0) {
		lwf_free(wf);
		return -1;
	}
	*wf_out = wf;
	return 0;
}

int core_deploy_record(const struct lwf_def *def, const char *source, size_t len,
		       json_t **definition, char checksum[CORE_CHECKSUM_LEN + 1])
{
	*definition = NULL;
	if (sodium_init() < 0)
		return -1;
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)source, len);
	sodium_bin2hex(checksum, CORE_CHECKSUM_LEN + 1, digest, sizeof digest);
	*definition = core_definition_json(def);
	return *definition ? 0 : -1;
}

json_t *core_deploy_departments(const char *source, size_t len)
{
	struct core_scan *s = core_scan_new(source, len);
	json_t *list = s ? json_array() : NULL;
	for (size_t i = 0; list && i < s->ncalls; i++) {
		const struct core_scan_field *f = core_check_department(&s->calls[i]);
		if (f == NULL || f->value == NULL)
			continue;
		json_t *one = json_pack("{s:s,s:i,s:i}", "id", f->value, "line", f->pos.line, "col",
					f->pos.col);
		if (one == NULL || json_array_append_new(list, one) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	core_scan_free(s);
	return list;
}
