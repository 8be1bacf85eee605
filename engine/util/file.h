/* Reading a whole file. */
#ifndef OG_UTIL_FILE_H
#define OG_UTIL_FILE_H

#include <stddef.h>

/* The whole of PATH, NUL-terminated, its length in *LEN (if LEN is not NULL). NULL when it
 * cannot be read, with errno saying why (ENOMEM when out of memory). The caller frees it. */
char *og_read_file(const char *path, size_t *len) __attribute__((warn_unused_result));

#endif
