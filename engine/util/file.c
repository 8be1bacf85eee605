#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *og_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t used = 0, cap = 0;
	for (;;) {
		if (used + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			char *bigger = realloc(buf, cap);
			if (bigger == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			buf = bigger;
		}
		size_t got = fread(buf + used, 1, cap - used - 1, f);
		used += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		errno = EIO;
		goto fail;
	}
	fclose(f);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
fail:;
	int saved = errno;
	free(buf);
	fclose(f);
	errno = saved;
	return NULL;
}
