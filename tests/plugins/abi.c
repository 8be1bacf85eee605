/* Plugins that must be refused, one build each (see CMakeLists.txt):
 * WRONG_MAJOR, NEWER_MINOR, NO_DESCRIPTOR, FAILING_INIT. */
#include <overgang/plugin.h>

#ifndef NO_DESCRIPTOR
static int init(struct og_plugin_ctx *ctx, const struct og_host *host, void **state)
{
#ifdef FAILING_INIT
	host->log(ctx, OG_LOG_ERROR, "the test plugin refuses to start: no endpoint configured");
	return -1;
#else
	return 0;
#endif
}

OG_PLUGIN_EXPORT const struct og_plugin overgang_plugin = {
#ifdef WRONG_MAJOR
	.abi_major = OG_PLUGIN_ABI_MAJOR + 1,
#else
	.abi_major = OG_PLUGIN_ABI_MAJOR,
#endif
#ifdef NEWER_MINOR
	.abi_minor = OG_PLUGIN_ABI_MINOR + 1,
#else
	.abi_minor = OG_PLUGIN_ABI_MINOR,
#endif
	.name = PLUGIN_NAME,
	.version = "0.1",
	.init = init,
};
#else
OG_PLUGIN_EXPORT int not_a_plugin = 1;
#endif
