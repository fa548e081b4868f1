/* SPDX-License-Identifier: MIT */
/*
 * The physical GIC as the hypervisor uses it: identification, and one SGI
 * (GIC_SGI_KICK) that makes another CPU leave its guest. Guest interrupts
 * come with the virtual GIC.
 */
#ifndef ARCH_GIC_H
#define ARCH_GIC_H

#include <core/types.h>

#define GIC_SGI_KICK	    8
#define GIC_PPI_MAINTENANCE 25 /* SBSA; both boards' GIC nodes agree */
#define GIC_PPI_VIRT_TIMER  27
#define GIC_PPI_PHYS_TIMER  30
#define GIC_INTID_SPURIOUS  1023
#define GIC_IAR_INTID(iar)  ((iar)&0x3ffU)

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
	paddr_t hyp; /* v2 GICH */
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

/*
 * The interrupt that made the running guest exit: EL2's interrupt entry
 * acknowledged it and dropped its priority; it stays active until
 * arch_gic_deactivate(), or until the guest deactivates it through a HW list
 * register. Returns the IAR value (GIC_IAR_INTID()).
 */
uint32_t arch_gic_ack(void);
void arch_gic_deactivate(uint32_t iar);

/* Completes a FIQ (GICv3 group 0); false if no interrupt controller claims one. */
bool arch_gic_fiq_done(void);

/* Clears the active state of this CPU's hypervisor PPIs in mask (a vCPU stopped). */
void arch_gic_ppi_clear(uint32_t mask);

#endif
