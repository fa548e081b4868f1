// SPDX-License-Identifier: MIT
/*
 * The virtual CPU interface of the running CPU: list registers, the
 * maintenance interrupt, and reset between partition lives.
 *   GICv3: ICH_* system registers (IHI 0069, 12.4): ICH_LR<n>_EL2 holds
 *          vINTID [31:0], pINTID [44:32] (HW) or EOI [41], Priority [55:48],
 *          Group [60], HW [61], State [63:62].
 *   GICv2: GICH_* registers (IHI 0048B, 5.3): GICH_LR<n> holds VirtualID [9:0],
 *          PhysicalID [19:10] (HW) or CPUID [12:10] (SGIs) and EOI [19],
 *          Priority [27:23], State [29:28], Grp1 [30], HW [31].
 */
#include <arch/arch.h>
#include <arch/gic.h>
#include <arch/vgic.h>
#include <core/log.h>

#include "percpu.h"
#include "sysreg.h"

#define ICH_HCR_EN  (1UL << 0)
#define ICH_HCR_UIE (1UL << 1)

#define GICH_HCR   0x000
#define GICH_VTR   0x004
#define GICH_VMCR  0x008
#define GICH_APR   0x0f0
#define GICH_LR(n) (0x100 + 4 * (n))

static unsigned version;
static uintptr_t gich;
static unsigned lr_count;  /* the CPU's list registers */
static unsigned lr_usable; /* those core/vgic.c may use */

/*
 * GICv2: QEMU 7.2 deactivates the physical interrupt when the guest
 * deactivates a HW list register, but does not re-evaluate the physical CPU
 * interface; a level interrupt still asserted then (a timer re-armed in the
 * past) is never signalled again. To get an exit right after such a
 * deactivation, the last list register holds a permanent active dummy
 * (INTID 1023, which no guest completes) and the underflow interrupt is on
 * while a HW register is in use: when the guest is done with it, only the
 * dummy is left valid, which raises the maintenance interrupt. It costs one
 * exit per forwarded interrupt, on GICv2 only.
 */
#define GICH_LR_DUMMY (2U << 28 | 1023U)

static volatile uint32_t *gich_reg(unsigned off)
{
	return (volatile uint32_t *)(gich + off);
}

/* ICH_LR<n>_EL2 needs the register number in the instruction. */
#define LR_CASE(n, enc)                            \
	case n:                                    \
		if (write) {                       \
			write_sysreg(enc, *value); \
		} else {                           \
			*value = read_sysreg(enc); \
		}                                  \
		break

static void v3_lr_access(unsigned lr, bool write, uint64_t *value)
{
	switch (lr) {
		LR_CASE(0, S3_4_C12_C12_0);
		LR_CASE(1, S3_4_C12_C12_1);
		LR_CASE(2, S3_4_C12_C12_2);
		LR_CASE(3, S3_4_C12_C12_3);
		LR_CASE(4, S3_4_C12_C12_4);
		LR_CASE(5, S3_4_C12_C12_5);
		LR_CASE(6, S3_4_C12_C12_6);
		LR_CASE(7, S3_4_C12_C12_7);
		LR_CASE(8, S3_4_C12_C13_0);
		LR_CASE(9, S3_4_C12_C13_1);
		LR_CASE(10, S3_4_C12_C13_2);
		LR_CASE(11, S3_4_C12_C13_3);
		LR_CASE(12, S3_4_C12_C13_4);
		LR_CASE(13, S3_4_C12_C13_5);
		LR_CASE(14, S3_4_C12_C13_6);
		LR_CASE(15, S3_4_C12_C13_7);
	default:
		break;
	}
}

void arch_vgic_init(unsigned gic_version, paddr_t gich_base)
{
	version = gic_version;
	gich = va_addr(pa_to_va(gich_base));
	if (version == 3) {
		lr_count = (unsigned)(read_sysreg(S3_4_C12_C11_1) & 0x1f) + 1; /* ICH_VTR_EL2 */
	} else if (version == 2 && gich != 0) {
		lr_count = (*gich_reg(GICH_VTR) & 0x3f) + 1;
	}
	if (lr_count > ARCH_VGIC_MAX_LRS) {
		lr_count = ARCH_VGIC_MAX_LRS;
	}
	lr_usable = version == 2 && lr_count > 1 ? lr_count - 1 : lr_count;
}

unsigned arch_vgic_lr_count(void)
{
	return lr_usable;
}

/* The register value for v: 64-bit ICH_LR<n>_EL2, or 32-bit GICH_LR<n>. */
static uint64_t lr_value(const struct vgic_lr *v)
{
	if (version == 3) {
		uint64_t value =
			(uint64_t)v->state << 62 | (uint64_t)v->priority << 48 | (uint64_t)v->intid;
		value |= v->group1 ? 1UL << 60 : 0;
		value |= v->hw ? 1UL << 61 | (uint64_t)v->intid << 32 : 0;
		value |= !v->hw && v->eoi_irq ? 1UL << 41 : 0;
		return value;
	}
	uint32_t value =
		(uint32_t)v->state << 28 | (uint32_t)(v->priority >> 3) << 23 | (v->intid & 0x3ff);
	value |= v->group1 ? 1U << 30 : 0;
	if (v->hw) {
		value |= 1U << 31 | (v->intid & 0x3ff) << 10;
	} else {
		value |= v->intid < 16 ? (v->source & 7) << 10 : 0;
		value |= v->eoi_irq ? 1U << 19 : 0;
	}
	return value;
}

void arch_vgic_lr_write(unsigned lr, const struct vgic_lr *v)
{
	uint64_t value = lr_value(v);
	if (version == 3) {
		v3_lr_access(lr, true, &value);
		return;
	}
	*gich_reg(GICH_LR(lr)) = (uint32_t)value;
}

_Static_assert(ASM_PPI_VIRT_TIMER == GIC_PPI_VIRT_TIMER, "asm.h");

void arch_vgic_fast_timer(const struct vgic_lr *lr)
{
	BUG_ON(lr != NULL &&
	       (lr->intid != GIC_PPI_VIRT_TIMER || !lr->hw || lr->state != LR_PENDING));
	arch_percpu[arch_cpu_index()].fast_lr = lr != NULL ? lr_value(lr) : 0;
}

enum vgic_lr_state arch_vgic_lr_state(unsigned lr)
{
	if (version == 3) {
		uint64_t value = 0;
		v3_lr_access(lr, false, &value);
		return (enum vgic_lr_state)(value >> 62);
	}
	return (enum vgic_lr_state)((*gich_reg(GICH_LR(lr)) >> 28) & 3);
}

void arch_vgic_underflow_irq(bool on)
{
	if (version == 3) {
		write_sysreg(S3_4_C12_C11_0, ICH_HCR_EN | (on ? ICH_HCR_UIE : 0));
		return;
	}
	if (gich == 0) {
		return;
	}
	for (unsigned i = 0; i < lr_usable && !on && lr_usable < lr_count; i++) {
		uint32_t lr = *gich_reg(GICH_LR(i));
		on = (lr & (1U << 31)) != 0 && (lr & (3U << 28)) != 0; /* a valid HW entry */
	}
	*gich_reg(GICH_HCR) = (uint32_t)(ICH_HCR_EN | (on ? ICH_HCR_UIE : 0));
}

void arch_vgic_cpu_reset(bool enable)
{
	uint64_t zero = 0;
	arch_percpu[arch_cpu_index()].fast_lr = 0;
	for (unsigned i = 0; i < lr_count; i++) {
		if (version == 3) {
			v3_lr_access(i, true, &zero);
		} else {
			*gich_reg(GICH_LR(i)) = 0;
		}
	}
	if (version == 3) {
		/* No active priorities, a fresh VMCR (the guest's PMR, BPR, enables). */
		write_sysreg(S3_4_C12_C8_0, 0); /* ICH_AP0R0_EL2 */
		write_sysreg(S3_4_C12_C9_0, 0); /* ICH_AP1R0_EL2 */
		/* AP<n>R1 exist with 6+ preemption bits, AP<n>R2-3 with 7 (ICH_VTR_EL2.PREbits). */
		unsigned pre_bits = ((unsigned)(read_sysreg(S3_4_C12_C11_1) >> 29) & 7) + 1;
		if (pre_bits >= 6) {
			write_sysreg(S3_4_C12_C8_1, 0);
			write_sysreg(S3_4_C12_C9_1, 0);
		}
		if (pre_bits == 7) {
			write_sysreg(S3_4_C12_C8_2, 0);
			write_sysreg(S3_4_C12_C9_2, 0);
			write_sysreg(S3_4_C12_C8_3, 0);
			write_sysreg(S3_4_C12_C9_3, 0);
		}
		write_sysreg(S3_4_C12_C11_7, 0); /* ICH_VMCR_EL2 */
		write_sysreg(S3_4_C12_C11_0, enable ? ICH_HCR_EN : 0);
		isb();
	} else if (gich != 0) {
		if (lr_usable < lr_count) {
			*gich_reg(GICH_LR(lr_usable)) = enable ? GICH_LR_DUMMY : 0;
		}
		*gich_reg(GICH_APR) = 0;
		*gich_reg(GICH_VMCR) = 0;
		*gich_reg(GICH_HCR) = enable ? (uint32_t)ICH_HCR_EN : 0;
	}
}
