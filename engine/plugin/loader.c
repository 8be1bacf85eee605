/* Opening a plugin's shared object and checking its descriptor before any of its code runs. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "plugin/internal.h"

static bool valid_name(const char *name)
{
	if (name == NULL || !(name[0] >= 'a' && name[0] <= 'z') || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

int plug_open(const char *path, void **dl, const struct og_plugin **desc, char *err, size_t errlen)
{
	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (*dl == NULL) {
		const char *why = dlerror();
		snprintf(err, errlen, "cannot load plugin %s: %s", path,
			 why ? why : "unknown error");
		return -1;
	}
	dlerror();
	const struct og_plugin *d = dlsym(*dl, OG_PLUGIN_SYMBOL);
	if (d == NULL) {
		snprintf(err, errlen,
			 "%s is not an overgang plugin: it exports no %s descriptor (see "
			 "engine/include/overgang/plugin.h)",
			 path, OG_PLUGIN_SYMBOL);
		goto fail;
	}
	if (d->abi_major != OG_PLUGIN_ABI_MAJOR) {
		snprintf(err, errlen,
			 "%s was built for plugin ABI %u.%u; this overgangd has ABI %d.%d: rebuild "
			 "the plugin against this overgang's plugin.h",
			 path, d->abi_major, d->abi_minor, OG_PLUGIN_ABI_MAJOR,
			 OG_PLUGIN_ABI_MINOR);
		goto fail;
	}
	if (d->abi_minor > OG_PLUGIN_ABI_MINOR) {
		snprintf(err, errlen,
			 "%s was built for plugin ABI %u.%u, newer than this overgangd's %d.%d: "
			 "upgrade overgang, or use a build of the plugin for ABI %d.%d",
			 path, d->abi_major, d->abi_minor, OG_PLUGIN_ABI_MAJOR, OG_PLUGIN_ABI_MINOR,
			 OG_PLUGIN_ABI_MAJOR, OG_PLUGIN_ABI_MINOR);
		goto fail;
	}
	if (!valid_name(d->name) || d->init == NULL || d->version == NULL) {
		snprintf(err, errlen,
			 "%s: its descriptor is incomplete (a name of a-z, 0-9 and -, a version "
			 "and an init function are required)",
			 path);
		goto fail;
	}
	*desc = d;
	return 0;
fail:
	dlclose(*dl);
	*dl = NULL;
	return -1;
}

int plug_check_file(const char *path, char *info, size_t infolen, char *err, size_t errlen)
{
	void *dl;
	const struct og_plugin *d;
	if (plug_open(path, &dl, &d, err, errlen) != 0)
		return -1;
	snprintf(info, infolen, "%s %s (ABI %u.%u)", d->name, d->version, d->abi_major,
		 d->abi_minor);
	dlclose(dl);
	return 0;
}
