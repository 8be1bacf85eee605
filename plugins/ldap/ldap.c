/* The ldap plugin: being written. */
#include <overgang/plugin.h>

static int init(struct og_plugin_ctx *ctx, const struct og_host *host, void **state)
{
	host->log(ctx, OG_LOG_ERROR, "the ldap plugin is not written yet");
	return -1;
}

OG_PLUGIN_EXPORT const struct og_plugin overgang_plugin = {
	.abi_major = OG_PLUGIN_ABI_MAJOR,
	.abi_minor = OG_PLUGIN_ABI_MINOR,
	.name = "ldap",
	.version = "0.1",
	.init = init,
};
