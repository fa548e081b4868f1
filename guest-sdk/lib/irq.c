/* SPDX-License-Identifier: MIT */
/*
 * Interrupts for SDK programs: a small GIC driver (GICv3 through the ICC
 * system registers and the redistributors, or GICv2 through GICC) at the
 * addresses of QEMU's virt layout, where Bulkhead's virtual GIC sits too
 * (BH_GIC_DIST_BASE... in sdk.mk), a handler table, and the virtual timer.
 * Registers: IHI 0069 (GICv3) 12.9-12.11, IHI 0048B (GICv2) 4.3-4.4.
 */
#include "internal.h"

#define GICD_CTLR	0x0000
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR	0x0800
#define GICD_SGIR	0x0f00
#define GICD_IROUTER	0x6000
#define GICV2_PIDR2	0x0fe8
#define GICV3_PIDR2	0xffe8
#define GICR_STRIDE	0x20000
#define GICR_WAKER	0x0014
#define GICR_SGI_BASE	0x10000
#define GICC_CTLR	0x0000
#define GICC_PMR	0x0004
#define GICC_IAR	0x000c
#define GICC_EOIR	0x0010

#define WAKER_SLEEP	 (1U << 1)
#define WAKER_ASLEEP	 (1U << 2)
#define DEFAULT_PRIORITY 0xa0U

struct handler {
	bh_irq_handler_t fn;
	void *arg;
};

static unsigned gic_version;
static struct handler handlers[BH_IRQ_MAX];
static atomic_ulong irq_counts[BH_IRQ_MAX];

static volatile uint32_t *reg32(uintptr_t base, uintptr_t off)
{
	return (volatile uint32_t *)(base + off);
}

static volatile uint8_t *reg8(uintptr_t base, uintptr_t off)
{
	return (volatile uint8_t *)(base + off);
}

static uintptr_t redist(unsigned cpu)
{
	return (uintptr_t)BH_GIC_REDIST_BASE + (uintptr_t)cpu * GICR_STRIDE;
}

static void cpu_interface_init(void)
{
	unsigned cpu = bh_cpu_id();

	if (gic_version == 3) {
		uint64_t sre;
		uintptr_t rd = redist(cpu);

		*reg32(rd, GICR_WAKER) &= ~WAKER_SLEEP;
		while ((*reg32(rd, GICR_WAKER) & WAKER_ASLEEP) != 0) {
		}
		*reg32(rd, GICR_SGI_BASE + GICD_IGROUPR) = 0xffffffffU; /* all group 1 */
		__asm__ volatile("mrs %0, S3_0_C12_C12_5" : "=r"(sre)); /* ICC_SRE_EL1 */
		__asm__ volatile("msr S3_0_C12_C12_5, %0\n\tisb" ::"r"(sre | 1));
		__asm__ volatile("msr S3_0_C4_C6_0, %0" ::"r"(0xffUL));	      /* ICC_PMR_EL1 */
		__asm__ volatile("msr S3_0_C12_C12_4, %0" ::"r"(0UL));	      /* ICC_CTLR_EL1 */
		__asm__ volatile("msr S3_0_C12_C12_7, %0\n\tisb" ::"r"(1UL)); /* ICC_IGRPEN1_EL1 */
	} else {
		*reg32(BH_GIC_CPU_BASE, GICC_PMR) = 0xff;
		*reg32(BH_GIC_CPU_BASE, GICC_CTLR) = 1;
	}
}

int bh_irq_init(void)
{
	uintptr_t dist = BH_GIC_DIST_BASE;

	if (gic_version != 0) {
		cpu_interface_init();
		return (int)gic_version;
	}
	/* GICv2's distributor is only 4 KiB: its ID register first. */
	if (((*reg32(dist, GICV2_PIDR2) >> 4) & 0xf) == 2) {
		gic_version = 2;
		*reg32(dist, GICD_CTLR) = 1;
	} else if (((*reg32(dist, GICV3_PIDR2) >> 4) & 0xf) >= 3) {
		gic_version = 3;
		for (unsigned i = 1; i < BH_IRQ_MAX / 32; i++) {
			*reg32(dist, GICD_IGROUPR + 4 * i) = 0xffffffffU;
		}
		*reg32(dist, GICD_CTLR) = (1U << 4) | (1U << 1); /* ARE, EnableGrp1 */
	} else {
		return -1;
	}
	cpu_interface_init();
	return (int)gic_version;
}

void bh_irq_cpu_init(void)
{
	cpu_interface_init();
}

void bh_irq_register(unsigned intid, bh_irq_handler_t fn, void *arg)
{
	if (intid < BH_IRQ_MAX) {
		handlers[intid].arg = arg;
		handlers[intid].fn = fn;
	}
}

void bh_irq_enable(unsigned intid)
{
	uintptr_t dist = BH_GIC_DIST_BASE;
	unsigned cpu = bh_cpu_id();
	uint32_t bit = 1U << (intid % 32);

	if (intid >= BH_IRQ_MAX) {
		return;
	}
	if (gic_version == 3 && intid < 32) {
		*reg8(redist(cpu), GICR_SGI_BASE + GICD_IPRIORITYR + intid) = DEFAULT_PRIORITY;
		*reg32(redist(cpu), GICR_SGI_BASE + GICD_ISENABLER) = bit;
		return;
	}
	*reg8(dist, GICD_IPRIORITYR + intid) = DEFAULT_PRIORITY;
	if (intid >= 32) {
		if (gic_version == 3) {
			*(volatile uint64_t *)(dist + GICD_IROUTER + 8UL * intid) = cpu;
		} else {
			*reg8(dist, GICD_ITARGETSR + intid) = (uint8_t)(1U << cpu);
		}
	}
	*reg32(dist, GICD_ISENABLER + 4 * (intid / 32)) = bit;
}

void bh_irq_disable(unsigned intid)
{
	uint32_t bit = 1U << (intid % 32);

	if (gic_version == 3 && intid < 32) {
		*reg32(redist(bh_cpu_id()), GICR_SGI_BASE + GICD_ICENABLER) = bit;
	} else if (intid < BH_IRQ_MAX) {
		*reg32(BH_GIC_DIST_BASE, GICD_ICENABLER + 4 * (intid / 32)) = bit;
	}
}

void bh_irq_local_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

void bh_irq_local_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

uint64_t bh_irq_save(void)
{
	uint64_t daif;
	__asm__ volatile("mrs %0, daif\n\tmsr daifset, #2" : "=r"(daif)::"memory");
	return daif;
}

void bh_irq_restore(uint64_t daif)
{
	__asm__ volatile("msr daif, %0" ::"r"(daif) : "memory");
}

int bh_sgi_send(unsigned cpu, unsigned sgi)
{
	if (cpu >= BH_MAX_CPUS || sgi >= 16) {
		return -1;
	}
	__asm__ volatile("dsb ishst" ::: "memory"); /* the message before the interrupt */
	if (gic_version == 3) {
		uint64_t sgi1r = (uint64_t)sgi << 24 | (1UL << cpu); /* Aff1-3 = 0 */
		__asm__ volatile("msr S3_0_C12_C11_5, %0\n\tisb" ::"r"(sgi1r));
	} else {
		*reg32(BH_GIC_DIST_BASE, GICD_SGIR) = (1U << (16 + cpu)) | sgi;
	}
	return 0;
}

uintptr_t bh_gic_dist(void)
{
	return BH_GIC_DIST_BASE;
}

uintptr_t bh_gic_redist(void)
{
	return BH_GIC_REDIST_BASE;
}

unsigned long bh_irq_count(unsigned intid)
{
	return intid < BH_IRQ_MAX ? atomic_load(&irq_counts[intid]) : 0;
}

void bh_irq_dispatch(void)
{
	for (;;) {
		uint64_t iar;
		unsigned intid;

		if (gic_version == 3) {
			__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(iar)); /* ICC_IAR1_EL1 */
			intid = (unsigned)(iar & 0xffffff);
		} else {
			iar = *reg32(BH_GIC_CPU_BASE, GICC_IAR);
			intid = (unsigned)(iar & 0x3ff);
		}
		if (intid >= 1020) {
			return;
		}
		if (intid < BH_IRQ_MAX) {
			atomic_fetch_add(&irq_counts[intid], 1);
			if (handlers[intid].fn != NULL) {
				handlers[intid].fn(intid, handlers[intid].arg);
			}
		}
		if (gic_version == 3) {
			__asm__ volatile(
				"msr S3_0_C12_C12_1, %0\n\tisb" ::"r"(iar)); /* ICC_EOIR1 */
		} else {
			*reg32(BH_GIC_CPU_BASE, GICC_EOIR) = (uint32_t)iar;
		}
	}
}

void bh_vtimer_set(uint64_t ticks)
{
	__asm__ volatile("msr cntv_tval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb" ::"r"(ticks),
			 "r"(1UL));
}

void bh_vtimer_set_deadline(uint64_t counter)
{
	__asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb" ::"r"(counter),
			 "r"(1UL));
}

void bh_vtimer_stop(void)
{
	__asm__ volatile("msr cntv_ctl_el0, %0\n\tisb" ::"r"(0UL));
}
