/* Small text helpers shared by the API and the logs. */
#ifndef OG_UTIL_TEXT_H
#define OG_UTIL_TEXT_H

#include <stddef.h>

/* Copies SRC into DST (SIZE bytes, NUL-terminated), cutting it short on a UTF-8 character
 * boundary, so a shortened name stays valid UTF-8. */
void og_copy_utf8(char *dst, size_t size, const char *src);

#endif
