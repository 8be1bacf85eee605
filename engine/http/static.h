/*
 * The web task list's files (engine/web/ and the design system's files, as the build copies
 * them into BUILD/web), served by overgangd at "/" for every path no route of the API has.
 *
 * What it promises:
 * - The folder is read once, at start-up, into memory (at most HTTP_STATIC_MAX_BYTES in all,
 *   HTTP_STATIC_MAX_FILES files); serving never touches the disk, so nothing blocks the loop.
 *   A change to the folder is seen after a restart.
 * - Only regular files inside the folder are loaded: dot-files, symbolic links whose target
 *   lies outside the folder, sockets, devices and the like are left out. A request names a
 *   loaded file by its exact path after percent-decoding; a path with an empty, "." or ".."
 *   segment, a backslash or a NUL is refused with 404, so nothing outside can be reached.
 * - Only GET and HEAD (405 otherwise). The type comes from the file's extension; index.html
 *   and every other file are sent with "Cache-Control: no-cache" and an ETag (the files'
 *   names carry no version, so a browser asks again each time and gets 304 when unchanged).
 * - Every reply, a 404 too, carries a Content-Security-Policy that allows no inline script
 *   nor anything from another origin, X-Content-Type-Options: nosniff and
 *   Referrer-Policy: no-referrer.
 * - "/" and a path whose last segment has no "." (a page of the app: "/sag/12") are answered
 *   with index.html, which routes in the browser; a missing file ("/app/nope.js") is 404 as
 *   application/problem+json. Paths under /v1, /metrics, /healthz and /readyz are never the
 *   app's: a path there that the API does not have stays 404.
 */
#ifndef OG_HTTP_STATIC_H
#define OG_HTTP_STATIC_H

#include <stddef.h>

#include "http/server.h"

#define HTTP_STATIC_MAX_BYTES (32u * 1024 * 1024)
#define HTTP_STATIC_MAX_FILES 4096

/* The value of the Content-Security-Policy header on every file. */
#define HTTP_STATIC_CSP                                                                   \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "  \
	"form-action 'self'"

struct http_static;

/* Reads the folder ROOT into memory. NULL with "web root ROOT: what is wrong" in ERR when
 * ROOT cannot be read, holds no index.html, or is larger than the limits. The caller frees
 * the result with http_static_free, after the server that serves it. */
__attribute__((warn_unused_result)) struct http_static *http_static_load(const char *root,
									 char *err, size_t errlen);
void http_static_free(struct http_static *files);

/* The files loaded and their size in bytes. */
size_t http_static_count(const struct http_static *files);
size_t http_static_bytes(const struct http_static *files);

/* The folder a daemon without [web] root serves: "web" beside its own executable (the
 * build tree's BUILD/web). Returns 0, or -1 when the executable's path cannot be found. */
__attribute__((warn_unused_result)) int http_static_default_root(char *buf, size_t len);

/* Serves the files on SRV for every path no route has (http_server_fallback). FILES must
 * outlive SRV. Returns 0, or -1 when out of memory. */
__attribute__((warn_unused_result)) int http_static_serve(struct http_server *srv,
							  struct http_static *files);

#endif
