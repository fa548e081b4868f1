/* SPDX-License-Identifier: MIT */
#ifndef ARCH_GIC_H
#define ARCH_GIC_H

#include <bulkhead/types.h>

struct gic_info {
	unsigned lines;	   /* interrupt IDs the distributor implements */
	unsigned arch_rev; /* ArchRev from the peripheral ID register */
};

/*
 * Reads the distributor (mapped) to confirm the GIC version the device tree
 * claims. BH_EINVAL if the hardware reports another architecture revision.
 */
int arch_gic_probe(unsigned version, paddr_t dist, struct gic_info *info);

#endif
