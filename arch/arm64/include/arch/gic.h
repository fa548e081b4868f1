/* SPDX-License-Identifier: MIT */
/*
 * The physical GIC as the hypervisor uses it: identification, and one SGI
 * (GIC_SGI_KICK) that makes another CPU leave its guest. Guest interrupts
 * come with the virtual GIC.
 */
#ifndef ARCH_GIC_H
#define ARCH_GIC_H

#include <bulkhead/types.h>

#define GIC_SGI_KICK	   8
#define GIC_INTID_SPURIOUS 1023

struct gic_info {
	unsigned lines;	   /* interrupt IDs the distributor implements */
	unsigned arch_rev; /* ArchRev from the peripheral ID register */
};

struct gic_desc {
	unsigned version; /* 2 or 3 */
	paddr_t dist;
	paddr_t redist; /* v3 */
	uint64_t redist_size;
	paddr_t cpu; /* v2 GICC */
};

/*
 * Reads the distributor (mapped) to confirm the GIC version the device tree
 * claims. BH_EINVAL if the hardware reports another architecture revision.
 */
int arch_gic_probe(unsigned version, paddr_t dist, struct gic_info *info);

/* Boot CPU: enables the distributor. Regions must be mapped. */
int arch_gic_init(const struct gic_desc *desc);

/* Every CPU: its redistributor / CPU interface, with the kick SGI enabled. */
int arch_gic_init_cpu(void);

/* Sends the kick SGI to logical CPU `cpu`. */
void arch_gic_send_kick(unsigned cpu);

/* Acknowledges and completes the highest pending interrupt; returns its INTID. */
unsigned arch_gic_ack(void);

#endif
