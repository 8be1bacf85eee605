#include "util/text.h"

#include <string.h>

void og_copy_utf8(char *dst, size_t size, const char *src)
{
	if (size == 0)
		return;
	size_t n = strlen(src);
	if (n >= size) {
		n = size - 1;
		/* back off over continuation bytes to the start of the cut character */
		size_t start = n;
		while (start > 0 && ((unsigned char)src[start] & 0xC0) == 0x80)
			start--;
		if (start < n || ((unsigned char)src[n] & 0xC0) == 0x80)
			n = start;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}
