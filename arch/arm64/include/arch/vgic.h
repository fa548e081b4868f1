/* SPDX-License-Identifier: MIT */
/*
 * The list registers of the running CPU's virtual CPU interface, as core/vgic.c
 * uses them: GICv3 ICH_LR<n>_EL2 (IHI 0069, 12.4.6) or GICv2 GICH_LR<n>
 * (IHI 0048B, 5.3.11). Everything here acts on the calling CPU only.
 */
#ifndef ARCH_VGIC_H
#define ARCH_VGIC_H

#include <core/types.h>

#define ARCH_VGIC_MAX_LRS 16

enum vgic_lr_state {
	LR_INVALID = 0,
	LR_PENDING = 1,
	LR_ACTIVE = 2,
	LR_PENDING_ACTIVE = 3,
};

struct vgic_lr {
	unsigned intid;
	unsigned source; /* GICv2 SGIs: the sending vCPU */
	uint8_t priority;
	bool group1;
	bool hw;      /* the physical interrupt with the same INTID is deactivated with it */
	bool eoi_irq; /* not hw: a maintenance interrupt when the guest deactivates it */
	enum vgic_lr_state state;
};

/* How many list registers this CPU has (ICH_VTR_EL2.ListRegs + 1). */
unsigned arch_vgic_lr_count(void);

void arch_vgic_lr_write(unsigned lr, const struct vgic_lr *value);
enum vgic_lr_state arch_vgic_lr_state(unsigned lr);

/*
 * The fast path for the running vCPU's virtual timer (vectors.S): while lr is
 * set (GIC_PPI_VIRT_TIMER, HW, pending), the timer's physical interrupt goes
 * straight into list register ARCH_VGIC_FAST_LR when that register is empty,
 * without an exit to core/; NULL turns it off. The caller keeps that list
 * register for it while it is on.
 */
#define ARCH_VGIC_FAST_LR 0
void arch_vgic_fast_timer(const struct vgic_lr *lr);

/* The underflow maintenance interrupt (at most one list register still valid). */
void arch_vgic_underflow_irq(bool on);

/*
 * A forwarded PPI of the running CPU: enabled or not, and (deactivate) its
 * active state cleared, so that a level line still asserted signals again.
 */
void arch_gic_ppi_sync(unsigned intid, bool enable, bool deactivate);

/* Physical SPI routing: the line goes to logical CPU pcpu, enabled or not (then inactive). */
void arch_gic_spi_setup(unsigned intid, unsigned pcpu, bool enable);

#endif
