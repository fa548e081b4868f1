// SPDX-License-Identifier: MIT
/*
 * The crash policy of the child partitions (tools/policy.h, docs/binding.md "Crash policy"):
 * host-only, so the hypervisor carries no code for what only the root's management service
 * enforces. Every value is checked as the service will read it: one big-endian cell, in range.
 */
#include <string.h>

#include <core/config.h>
#include <core/fdt_util.h>

#include <bulkhead/policy.h>

#include "policy.h"

/* The numeric properties: one cell each, in [min, max]. */
static const struct policy_number {
	const char *name;
	uint32_t min, max;
	const char *unit;
} numbers[] = {
	{"watchdog-ms", POLICY_WATCHDOG_MIN_MS, POLICY_WATCHDOG_MAX_MS, " ms"},
	{"max-restarts", 0, POLICY_MAX_RESTARTS, ""},
	{"restart-delay-ms", 0, POLICY_DELAY_MAX_MS, " ms"},
};
static const char *const policy_props[] = {"on-crash", "watchdog-ms", "max-restarts",
					   "restart-delay-ms"};

static int node_of(const void *fdt, const char *path)
{
	return fdt_path_offset(fdt, path);
}

/* The integration channel whose consumer is partition `id`, or POLICY_NO_INTEGRATION. */
static int integration_of(const struct config *cfg, unsigned id)
{
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &cfg->channels[i];
		if (strcmp(ch->interface, POLICY_INTERFACE) == 0 &&
		    ch->end[SIDE_CONSUMER].partition == id) {
			return (int)i;
		}
	}
	return POLICY_NO_INTEGRATION;
}

/* Provided by the root, to a child that has no other one. */
static int check_channels(const void *fdt, const struct config *cfg, struct dt_error *err)
{
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &cfg->channels[i];
		unsigned provider = ch->end[SIDE_PROVIDER].partition;
		unsigned consumer = ch->end[SIDE_CONSUMER].partition;
		if (strcmp(ch->interface, POLICY_INTERFACE) != 0) {
			continue;
		}
		if (!cfg->partitions[provider].is_root) {
			return dt_fail(err, fdt, node_of(fdt, ch->path), BH_EINVAL,
				       "provider: '%s', but an integration channel is provided by "
				       "the root ('%s')",
				       cfg->partitions[provider].name, cfg->partitions[0].name);
		}
		int first = integration_of(cfg, consumer);
		if (first != (int)i) {
			return dt_fail(err, fdt, node_of(fdt, ch->path), BH_EINVAL,
				       "a second integration channel for %s (%s is one already)",
				       cfg->partitions[consumer].name, cfg->channels[first].path);
		}
	}
	return BH_OK;
}

static int check_number(const void *fdt, int node, const struct policy_number *n,
			struct dt_error *err)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, n->name, &len);
	if (v == NULL) {
		return BH_OK;
	}
	if (len != 4) {
		return dt_fail(err, fdt, node, BH_EINVAL, "%s: %d bytes, expected 4 (one cell)",
			       n->name, len);
	}
	uint32_t value = fdt32_ld(v);
	if (value < n->min || value > n->max) {
		return dt_fail(err, fdt, node, BH_EINVAL, "%s: %u is out of range (%u to %u%s)",
			       n->name, value, n->min, n->max, n->unit);
	}
	return BH_OK;
}

static int check_partition(const void *fdt, const struct config *cfg,
			   const struct config_partition *p, struct dt_error *err)
{
	int node = node_of(fdt, p->path);
	for (size_t i = 0; p->is_root && i < ARRAY_SIZE(policy_props); i++) {
		if (fdt_getprop(fdt, node, policy_props[i], NULL) != NULL) {
			return dt_fail(
				err, fdt, node, BH_EINVAL,
				"%s: the root has no crash policy (nothing manages the root)",
				policy_props[i]);
		}
	}
	const char *on_crash = NULL;
	size_t len = 0;
	int rc = dt_get_string(fdt, node, "on-crash", &on_crash, &len);
	if (rc == BH_EINVAL) {
		return dt_fail(err, fdt, node, rc, "on-crash: not a single string");
	}
	if (rc == BH_OK && strcmp(on_crash, "restart") != 0 && strcmp(on_crash, "stop") != 0) {
		return dt_fail(err, fdt, node, BH_EINVAL,
			       "on-crash: \"%s\", expected \"restart\" or \"stop\"", on_crash);
	}
	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++) {
		if ((rc = check_number(fdt, node, &numbers[i], err)) != BH_OK) {
			return rc;
		}
	}
	if (fdt_getprop(fdt, node, "watchdog-ms", NULL) != NULL &&
	    integration_of(cfg, p->id) == POLICY_NO_INTEGRATION) {
		return dt_fail(err, fdt, node, BH_EINVAL,
			       "watchdog-ms: no integration channel to carry %s's heartbeats (a "
			       "channel with interface \"%s\", provider '%s', consumer '%s')",
			       p->name, POLICY_INTERFACE, cfg->partitions[0].name, p->name);
	}
	return BH_OK;
}

int policy_check(const void *fdt, const struct config *cfg, struct dt_error *err)
{
	int rc = check_channels(fdt, cfg, err);
	for (unsigned i = 0; rc == BH_OK && i < cfg->partition_count; i++) {
		rc = check_partition(fdt, cfg, &cfg->partitions[i], err);
	}
	return rc;
}

static uint32_t number_or(const void *fdt, int node, const char *name, uint32_t absent)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
	return v != NULL && len == 4 ? fdt32_ld(v) : absent;
}

void policy_read(const void *fdt, const struct config *cfg, unsigned id, struct crash_policy *out)
{
	int node = node_of(fdt, cfg->partitions[id].path);
	out->restart = dt_prop_is(fdt, node, "on-crash", "restart");
	out->watchdog_ms = number_or(fdt, node, "watchdog-ms", 0);
	out->has_max_restarts = fdt_getprop(fdt, node, "max-restarts", NULL) != NULL;
	out->max_restarts = number_or(fdt, node, "max-restarts", 0);
	out->restart_delay_ms = number_or(fdt, node, "restart-delay-ms", POLICY_DEFAULT_DELAY_MS);
	out->integration = integration_of(cfg, id);
}

void policy_partitions_node(void *out, const void *fdt, const struct config *cfg)
{
	static const char compatible[] = "bulkhead,partitions-v1";
	fdt_begin_node(out, "bulkhead-partitions");
	fdt_property(out, "compatible", compatible, sizeof(compatible));
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		if (p->is_root) {
			continue;
		}
		char names[BH_MAX_IMAGES * BH_NAME_MAX];
		size_t used = 0;
		for (unsigned k = 0; k < p->image_count; k++) {
			size_t len = strlen(p->images[k].name) + 1; /* a string list: NUL apart */
			memcpy(names + used, p->images[k].name, len);
			used += len;
		}
		fdt_begin_node(out, p->name);
		fdt_property(out, "images", names, (int)used);
		int node = node_of(fdt, p->path);
		for (size_t k = 0; k < ARRAY_SIZE(policy_props); k++) {
			int len;
			const void *v = fdt_getprop(fdt, node, policy_props[k], &len);
			if (v != NULL) {
				fdt_property(out, policy_props[k], v, len);
			}
		}
		fdt_end_node(out);
	}
	fdt_end_node(out);
}
