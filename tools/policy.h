/* SPDX-License-Identifier: MIT */
/*
 * The crash policy of the child partitions (docs/binding.md, "Crash policy"): `on-crash`,
 * `watchdog-ms`, `max-restarts`, `restart-delay-ms`, and the integration channels the watchdog
 * needs. The hypervisor only knows these names; bhconfig checks them here (tools/policy.c) and
 * `layout` copies them into the root's generated tree, where the root's management service
 * reads them (/bulkhead-partitions).
 */
#ifndef BHCONFIG_POLICY_H
#define BHCONFIG_POLICY_H

#include <bulkhead/policy.h>
#include <core/config.h>

#define POLICY_INTERFACE      "integration" /* the interface of an integration channel */
#define POLICY_NO_INTEGRATION (-1)

struct crash_policy {
	bool restart;	       /* on-crash = "restart"; default "stop" */
	uint32_t watchdog_ms;  /* 0: no watchdog */
	bool has_max_restarts; /* absent: no limit */
	uint32_t max_restarts;
	uint32_t restart_delay_ms; /* the first policy restart's delay */
	int integration;	   /* index in config.channels, or POLICY_NO_INTEGRATION */
};

/*
 * Checks the integration channels (provided by the root, at most one per child), then each
 * partition's policy properties (types, ranges, none on the root, a watchdog only with an
 * integration channel): BH_OK, or BH_EINVAL with err naming the node and property.
 */
int policy_check(const void *fdt, const struct config *cfg, struct dt_error *err);

/* The policy of partition `id` of a system policy_check() accepted, defaults filled in. */
void policy_read(const void *fdt, const struct config *cfg, unsigned id, struct crash_policy *out);

/*
 * Writes /bulkhead-partitions into `out`, a tree being built with libfdt's sequential-write
 * calls: one node per child, named as the partition, with `images` (its image names in binding
 * order, the numbers BH_HVC_PARTITION_LOAD takes) and its policy properties as written.
 */
void policy_partitions_node(void *out, const void *fdt, const struct config *cfg);

#endif
