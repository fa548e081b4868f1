// SPDX-License-Identifier: MIT
/*
 * Host tests for the virtual GIC (core/vgic.c): register decode for the GICv3
 * and GICv2 distributors and the GICv3 redistributors, ownership filtering,
 * SGI routing, and list-register management, over a fake arch interface that
 * records what the hypervisor would do to the hardware.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <core/vgic.h>

#include "fake_arch.h"

#define GICD 0x08000000UL
#define GICR 0x080a0000UL

/* ---------------------------------------------------------------- helpers */

static struct vgic vg;

/* A partition with vCPUs on CPUs 1 and 2 (vCPU 0 runs on CPU 1). */
static void setup(unsigned version)
{
	static const unsigned pcpus[] = {1, 2};
	fake_arch_reset();
	fake.cpu = 1;
	vgic_init(&vg, "test", version, 256, 2, pcpus, ipa_init(GICD),
		  ipa_range(ipa_init(GICR), 0x80000));
}

static uint64_t rd(unsigned vcpu, uint64_t ipa, unsigned size)
{
	uint64_t v = 0xdeadbeef;
	assert_true(vgic_mmio(&vg, vcpu, ipa_init(ipa), size, false, &v));
	return v;
}

static void wr(unsigned vcpu, uint64_t ipa, unsigned size, uint64_t value)
{
	assert_true(vgic_mmio(&vg, vcpu, ipa_init(ipa), size, true, &value));
}

/* Enables distributor groups, and intid for vCPU vcpu (GICR on v3 for private ones). */
static void enable(unsigned vcpu, unsigned intid)
{
	wr(vcpu, GICD + 0x0, 4, 3);
	if (vg.version == 3 && intid < 32) {
		wr(vcpu, GICR + 0x20000UL * vcpu + 0x10000 + 0x100, 4, 1U << intid);
	} else {
		wr(vcpu, GICD + 0x100 + 4 * (intid / 32), 4, 1U << (intid % 32));
	}
}

static int lr_holding(unsigned intid)
{
	for (unsigned i = 0; i < fake.lr_count; i++) {
		if (fake.lrs[i].state != LR_INVALID && fake.lrs[i].intid == intid) {
			return (int)i;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- tests */

static void test_v3_identification(void **state)
{
	(void)state;
	setup(3);
	assert_int_equal(rd(0, GICD + 0xffe8, 4) & 0xf0, 0x30);	     /* PIDR2.ArchRev 3 */
	assert_int_equal(rd(0, GICD + 0x4, 4) & 0x1f, 256 / 32 - 1); /* ITLinesNumber */
	assert_int_equal((rd(0, GICD + 0x4, 4) >> 19) & 0x1f, 9);    /* IDbits */
	assert_int_equal(rd(0, GICD + 0x0, 4) & 0x50, 0x50);	     /* ARE, DS: RAO */
	wr(0, GICD + 0x0, 4, 0x2);
	assert_int_equal(rd(0, GICD + 0x0, 4), 0x52);

	/* Redistributors: one frame per vCPU, the last one says so. */
	uint64_t typer0 = rd(0, GICR + 0x8, 8);
	uint64_t typer1 = rd(0, GICR + 0x20000 + 0x8, 8);
	assert_int_equal(typer0 >> 32, 0);
	assert_int_equal(typer1 >> 32, 1);
	assert_int_equal(typer0 & 0x10, 0);
	assert_int_equal(typer1 & 0x10, 0x10);
	assert_int_equal(rd(0, GICR + 0x20000 + 0xc, 4), 1); /* upper half: Aff0 = 1 */
	assert_int_equal(rd(0, GICR + 0xffe8, 4) & 0xf0, 0x30);
	/* Frames of CPUs the partition does not have: nothing there. */
	assert_int_equal(rd(0, GICR + 0x40000 + 0x8, 8), 0);
	assert_int_equal(rd(0, GICR + 0x40000 + 0xffe8, 4), 0);

	/* GICR_WAKER: asleep until woken. */
	assert_int_equal(rd(1, GICR + 0x20000 + 0x14, 4), 6);
	wr(1, GICR + 0x20000 + 0x14, 4, 0);
	assert_int_equal(rd(1, GICR + 0x20000 + 0x14, 4), 0);

	/* Not ours at all: outside both regions. */
	uint64_t v = 0;
	assert_false(vgic_mmio(&vg, 0, ipa_init(GICD + 0x10000), 4, false, &v));
	assert_false(vgic_mmio(&vg, 0, ipa_init(GICR + 0x80000), 4, false, &v));
}

static void test_v2_identification(void **state)
{
	(void)state;
	setup(2);
	assert_int_equal(rd(0, GICD + 0xfe8, 4) & 0xf0, 0x20);
	assert_int_equal(rd(0, GICD + 0xffe8, 4), 0);
	assert_int_equal((rd(0, GICD + 0x4, 4) >> 5) & 7, 1); /* CPUNumber: 2 vCPUs */
	/* ITARGETSR of private interrupts: the reading vCPU's own bit. */
	assert_int_equal(rd(0, GICD + 0x800, 4), 0x01010101);
	assert_int_equal(rd(1, GICD + 0x81c, 4), 0x02020202);
	/* GICv2 has no redistributors. */
	uint64_t v = 0;
	assert_false(vgic_mmio(&vg, 0, ipa_init(GICR), 4, false, &v));
}

static void test_ownership_filter(void **state)
{
	(void)state;
	setup(3);
	assert_int_equal(vgic_own_spi(&vg, 40, false), BH_OK);
	assert_int_equal(vgic_own_spi(&vg, 40, false), BH_EEXIST);
	assert_int_equal(vgic_own_spi(&vg, 20, false), BH_ERANGE);
	assert_int_equal(vgic_own_spi(&vg, 300, false), BH_ERANGE);

	/* Enabling SPIs 32-63: only 40 takes, the others are reported once. */
	wr(0, GICD + 0x104, 4, 0xffffffff);
	assert_int_equal(rd(0, GICD + 0x104, 4), 1U << 8);
	assert_int_equal(fake.logs[LOG_WARN], 1);
	wr(0, GICD + 0x104, 4, 0xffffffff);
	assert_int_equal(fake.logs[LOG_WARN], 1);
	/* Priorities and routes of foreign SPIs read as zero and ignore writes. */
	wr(0, GICD + 0x400 + 41, 1, 0xa0);
	assert_int_equal(rd(0, GICD + 0x400 + 41, 1), 0);
	wr(0, GICD + 0x400 + 40, 1, 0xa7);
	assert_int_equal(rd(0, GICD + 0x400 + 40, 1), 0xa0); /* 5 priority bits */
	wr(0, GICD + 0x6000 + 8 * 41, 8, 1);
	assert_int_equal(rd(0, GICD + 0x6000 + 8 * 41, 8), 0);
	/* Raising a foreign SPI does nothing. */
	vgic_raise(&vg, 0, 41);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(41), -1);
	/* With ARE, the distributor's SGI/PPI registers are RAZ/WI. */
	wr(0, GICD + 0x100, 4, 0xffffffff);
	assert_int_equal(rd(0, GICD + 0x100, 4), 0);
}

static void test_spi_routing(void **state)
{
	(void)state;
	setup(3);
	assert_int_equal(vgic_own_spi(&vg, 50, true), BH_OK);
	wr(0, GICD + 0x6000 + 8 * 50, 8, 1); /* to vCPU 1 */
	assert_int_equal(rd(0, GICD + 0x6000 + 8 * 50, 8), 1);
	assert_int_equal(fake.spi_setups, 1);
	assert_int_equal(fake.last_spi_cpu, 2);	    /* the physical line follows, to vCPU 1's CPU */
	wr(0, GICD + 0x6000 + 8 * 50, 8, 1UL << 8); /* Aff1 = 1: no such vCPU -> vCPU 0 */
	assert_int_equal(rd(0, GICD + 0x6000 + 8 * 50, 8), 0);
	wr(0, GICD + 0x6000 + 8 * 50, 8, 7); /* Aff0 = 7: not ours -> vCPU 0 */
	assert_int_equal(rd(0, GICD + 0x6000 + 8 * 50, 8), 0);

	setup(2);
	assert_int_equal(vgic_own_spi(&vg, 50, false), BH_OK);
	wr(0, GICD + 0x800 + 50, 1, 0xff); /* only existing vCPUs stick */
	assert_int_equal(rd(0, GICD + 0x800 + 50, 1), 0x3);
}

/* A stopping partition's vCPU still in flight cannot route (or re-enable) a physical line. */
static void test_no_routing_once_stopped(void **state)
{
	(void)state;
	for (unsigned version = 2; version <= 3; version++) {
		setup(version);
		assert_int_equal(vgic_own_spi(&vg, 50, true), BH_OK);
		vgic_stop(&vg);
		if (version == 3) {
			wr(0, GICD + 0x6000 + 8 * 50, 8, 1);
			assert_int_equal(rd(0, GICD + 0x6000 + 8 * 50, 8), 0);
		} else {
			wr(0, GICD + 0x800 + 50, 1, 0x2);
			assert_int_equal(rd(0, GICD + 0x800 + 50, 1), 0x1);
		}
		wr(0, GICD + 0x104, 4, 1U << 18);
		assert_int_equal(rd(0, GICD + 0x104, 4), 0);
		assert_int_equal(fake.spi_setups, 0);
		/* The next start makes it live again. */
		vgic_reset(&vg);
		wr(0, GICD + (version == 3 ? 0x6000 + 8 * 50 : 0x800 + 50), version == 3 ? 8 : 1,
		   version == 3 ? 1 : 2);
		assert_int_equal(fake.spi_setups, 1);
		assert_int_equal(fake.last_spi_cpu, 2);
	}
}

static void test_sgi1r_scope(void **state)
{
	(void)state;
	setup(3);
	enable(1, 5);
	memset(fake.kicks, 0, sizeof(fake.kicks));
	/* vCPU 0 (CPU 1) sends SGI 5 to vCPU 1: pending there, CPU 2 kicked. */
	vgic_sgi1r(&vg, 0, 5UL << 24 | 0x2);
	assert_int_equal(fake.kicks[2], 1);
	fake.cpu = 2;
	vgic_flush(&vg, 1);
	int i = lr_holding(5);
	assert_true(i >= 0);
	assert_int_equal(fake.lrs[i].state, LR_PENDING);
	assert_false(fake.lrs[i].hw);

	/* Aff1 != 0 or a target beyond the partition: nobody. */
	memset(fake.kicks, 0, sizeof(fake.kicks));
	vgic_sgi1r(&vg, 0, 6UL << 24 | 1UL << 16 | 0x2);
	vgic_sgi1r(&vg, 0, 6UL << 24 | 0xfffc);
	assert_int_equal(fake.kicks[2] + fake.kicks[3], 0);
	/* IRM: everybody but the sender. */
	vgic_sgi1r(&vg, 1, 7UL << 24 | 1UL << 40);
	assert_int_equal(fake.kicks[1], 1);
}

static void test_v2_sgir(void **state)
{
	(void)state;
	setup(2);
	wr(0, GICD + 0x0, 4, 1);
	/* Target list 0x02 from vCPU 0: vCPU 1, source 0. */
	wr(0, GICD + 0xf00, 4, 0x020003);
	fake.cpu = 2;
	vgic_flush(&vg, 1);
	int i = lr_holding(3);
	assert_true(i >= 0);
	assert_int_equal(fake.lrs[i].source, 0);
	/* "Self only" from vCPU 1: its own, source 1, while 3 is still in a list register. */
	wr(1, GICD + 0xf00, 4, 2U << 24 | 4);
	vgic_flush(&vg, 1);
	assert_true(lr_holding(4) >= 0);
	assert_int_equal(fake.lrs[lr_holding(4)].source, 1);
	/* SPENDSGIR shows pending sources; CPENDSGIR clears them. */
	wr(1, GICD + 0xf20, 1, 0x1);
	assert_int_equal(rd(1, GICD + 0xf20, 1), 0x1);
	wr(1, GICD + 0xf10, 1, 0x1);
	assert_int_equal(rd(1, GICD + 0xf20, 1), 0);
}

static void test_priority_order_and_overflow(void **state)
{
	(void)state;
	setup(3);
	fake.lr_count = 2;
	unsigned ids[] = {40, 41, 42};
	uint8_t prios[] = {0x80, 0x20, 0x40};
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(vgic_own_spi(&vg, ids[k], false), BH_OK);
		enable(0, ids[k]);
		wr(0, GICD + 0x400 + ids[k], 1, prios[k]);
		vgic_raise(&vg, 0, ids[k]);
	}
	vgic_flush(&vg, 0);
	/* The two most urgent go first; the third waits, with fake.underflow on. */
	assert_true(lr_holding(41) >= 0);
	assert_true(lr_holding(42) >= 0);
	assert_int_equal(lr_holding(40), -1);
	assert_true(fake.underflow);
	/* The guest finishes 41: its register is retired and 40 takes it. */
	fake.lrs[lr_holding(41)].state = LR_INVALID;
	vgic_flush(&vg, 0);
	assert_true(lr_holding(40) >= 0);
	assert_false(fake.underflow);
}

static void test_repend_while_active(void **state)
{
	(void)state;
	setup(3);
	assert_int_equal(vgic_own_spi(&vg, 45, false), BH_OK);
	enable(0, 45);
	vgic_raise(&vg, 0, 45);
	vgic_flush(&vg, 0);
	int i = lr_holding(45);
	assert_true(i >= 0);
	fake.lrs[i].state = LR_ACTIVE; /* the guest took it */
	vgic_raise(&vg, 0, 45);
	vgic_flush(&vg, 0);
	assert_int_equal(fake.lrs[i].state, LR_PENDING_ACTIVE);
	assert_int_equal(lr_holding(45), i); /* never in two registers */
	assert_false(fake.underflow);

	/* GICv2: an SGI from another sender while one is active asks for an EOI exit. */
	setup(2);
	wr(0, GICD + 0x0, 4, 1);
	wr(1, GICD + 0xf00, 4, 0x010002); /* vCPU 1 -> vCPU 0, SGI 2 */
	vgic_flush(&vg, 0);
	i = lr_holding(2);
	fake.lrs[i].state = LR_ACTIVE;
	wr(0, GICD + 0xf00, 4, 2U << 24 | 2); /* vCPU 0 -> itself */
	vgic_flush(&vg, 0);
	assert_true(fake.lrs[i].eoi_irq);
	fake.lrs[i].state = LR_INVALID;
	vgic_flush(&vg, 0);
	i = lr_holding(2);
	assert_true(i >= 0);
	assert_int_equal(fake.lrs[i].source, 0);
	/* The same sender again while it is active: pending and active, not lost. */
	fake.lrs[i].state = LR_ACTIVE;
	wr(0, GICD + 0xf00, 4, 2U << 24 | 2);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(2), i);
	assert_int_equal(fake.lrs[i].state, LR_PENDING_ACTIVE);
}

/*
 * A peer signalling a doorbell in a loop (CPU 3): its target (vCPU 0, CPU 1)
 * is kicked once per interrupt it can take, not once per signal.
 */
static void test_doorbell_storm_is_coalesced(void **state)
{
	(void)state;
	setup(3);
	assert_int_equal(vgic_own_spi(&vg, 45, false), BH_OK);
	fake.cpu = 3;
	for (unsigned n = 0; n < 100; n++) {
		vgic_raise(&vg, 0, 45); /* disabled: only pending */
	}
	assert_int_equal(fake.kicks[1], 0);
	fake.cpu = 1;
	enable(0, 45); /* the enable is what makes vCPU 0 look */
	vgic_flush(&vg, 0);
	int i = lr_holding(45);
	assert_true(i >= 0);
	assert_false(fake.lrs[i].eoi_irq);
	/* In a list register, not taken yet: the first signal kicks, the rest merge. */
	fake.cpu = 3;
	for (unsigned n = 0; n < 100; n++) {
		vgic_raise(&vg, 0, 45);
	}
	assert_int_equal(fake.kicks[1], 1);
	fake.cpu = 1;
	vgic_flush(&vg, 0);
	assert_int_equal(fake.lrs[i].state, LR_PENDING);
	assert_true(fake.lrs[i].eoi_irq); /* an exit when the guest is done with it */
	fake.lrs[i].state = LR_ACTIVE;
	fake.cpu = 3;
	for (unsigned n = 0; n < 100; n++) {
		vgic_raise(&vg, 0, 45);
	}
	assert_int_equal(fake.kicks[1], 1);
	/* Done (the EOI exit): the signals since it was taken arrive once more. */
	fake.cpu = 1;
	fake.lrs[i].state = LR_INVALID;
	vgic_flush(&vg, 0);
	i = lr_holding(45);
	assert_true(i >= 0);
	assert_int_equal(fake.lrs[i].state, LR_PENDING);
	assert_false(fake.lrs[i].eoi_irq);
	fake.lrs[i].state = LR_INVALID;
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(45), -1);
	/* Idle again: the next signal kicks at once. */
	fake.cpu = 3;
	vgic_raise(&vg, 0, 45);
	assert_int_equal(fake.kicks[1], 2);
}

static void test_hw_timer_and_gating(void **state)
{
	(void)state;
	setup(3);
	/*
	 * The virtual timer PPI is forwarded with the HW bit. Level: while the
	 * guest has it disabled its pending state stays with the line, which is
	 * masked and deactivated; nothing is held in the model.
	 */
	assert_true(vgic_hw_irq(&vg, 0, 27));
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(27), -1);
	assert_int_equal(fake.ppi_syncs, 1);
	assert_int_equal(fake.last_ppi, 27);
	assert_false(fake.last_ppi_enable);
	assert_true(fake.last_ppi_deactivate);
	wr(0, GICR + 0x10000 + 0x080, 4, 1U << 27); /* group 1 */
	wr(0, GICR + 0x10000 + 0x100, 4, 1U << 27);
	vgic_flush(&vg, 0);
	assert_int_equal(fake.ppi_syncs, 2); /* unmasked: a line still up signals again */
	assert_true(fake.last_ppi_enable);
	assert_int_equal(lr_holding(27), -1);
	/* It does: held while its group is off. */
	assert_true(vgic_hw_irq(&vg, 0, 27));
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(27), -1); /* GICD_CTLR.EnableGrp1 still off */
	wr(0, GICD + 0x0, 4, 2);
	vgic_flush(&vg, 0);
	int i = lr_holding(27);
	assert_true(i >= 0);
	assert_true(fake.lrs[i].hw);
	assert_true(fake.lrs[i].group1);
	/* Software cannot pend a HW interrupt; an unowned SPI is not forwarded. */
	fake.lrs[i].state = LR_INVALID;
	vgic_flush(&vg, 0);
	wr(0, GICR + 0x10000 + 0x200, 4, 1U << 27);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(27), -1);
	assert_false(vgic_hw_irq(&vg, 0, 60));
	/* A partition restart forgets everything pending and enabled. */
	assert_true(vgic_hw_irq(&vg, 0, 27));
	vgic_reset(&vg);
	wr(0, GICD + 0x0, 4, 2);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(27), -1);
}

/*
 * Forwarded SPIs by their ICFGR: a level one disabled by the guest is not
 * held pending (the device's line is), an edge one is; and ICPENDR clears
 * the pending state of either, deactivating the line so a level one still
 * asserted signals again. GICv2 PPIs likewise, on their own CPU.
 */
static void test_forwarded_level_and_edge(void **state)
{
	(void)state;
	setup(3);
	assert_int_equal(vgic_own_spi(&vg, 50, true), BH_OK);
	enable(0, 50);
	wr(0, GICD + 0x184, 4, 1U << 18); /* the guest disables it */
	unsigned setups = fake.spi_setups;
	assert_true(vgic_hw_irq(&vg, 0, 50));
	assert_int_equal(fake.spi_setups, setups + 1);
	assert_false(fake.last_spi_enable); /* masked and deactivated */
	assert_int_equal(rd(0, GICD + 0x204, 4), 0);
	wr(0, GICD + 0x104, 4, 1U << 18);
	assert_true(fake.last_spi_enable);
	assert_int_equal(fake.last_spi_cpu, 1);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(50), -1); /* the line fell meanwhile: nothing */
	/* Edge: the same event stays pending until enabled. */
	wr(0, GICD + 0xc0c, 4, 2U << 4);
	wr(0, GICD + 0x184, 4, 1U << 18);
	assert_true(vgic_hw_irq(&vg, 0, 50));
	assert_int_equal(rd(0, GICD + 0x204, 4), 1U << 18);
	wr(0, GICD + 0x104, 4, 1U << 18);
	vgic_flush(&vg, 0);
	assert_true(lr_holding(50) >= 0);
	fake.lrs[lr_holding(50)].state = LR_INVALID;
	vgic_flush(&vg, 0);
	/* ICPENDR: a forwarded interrupt held pending (groups off) is cleared. */
	wr(0, GICD + 0x0, 4, 0);
	assert_true(vgic_hw_irq(&vg, 0, 50));
	assert_int_equal(rd(0, GICD + 0x204, 4), 1U << 18);
	setups = fake.spi_setups;
	wr(0, GICD + 0x284, 4, 1U << 18);
	assert_int_equal(rd(0, GICD + 0x204, 4), 0);
	assert_int_equal(fake.spi_setups, setups + 2); /* deactivated, enabled again */
	wr(0, GICD + 0x0, 4, 3);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(50), -1);

	setup(2);
	enable(0, 27);
	wr(0, GICD + 0x0, 4, 0);
	assert_true(vgic_hw_irq(&vg, 0, 27));
	assert_int_equal(rd(0, GICD + 0x200, 4), 1U << 27);
	wr(0, GICD + 0x280, 4, 1U << 27);
	assert_int_equal(rd(0, GICD + 0x200, 4), 0);
	vgic_flush(&vg, 0);
	assert_int_equal(fake.last_ppi, 27);
	assert_true(fake.last_ppi_enable);
	assert_true(fake.last_ppi_deactivate);
	wr(0, GICD + 0x0, 4, 3);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(27), -1);
}

static void test_bad_accesses(void **state)
{
	(void)state;
	setup(3);
	uint64_t v = 0x1234;
	/* Unaligned and odd-sized accesses read as zero and do nothing. */
	assert_true(vgic_mmio(&vg, 0, ipa_init(GICD + 0x101), 4, false, &v));
	assert_int_equal(v, 0);
	v = 0xffffffff;
	assert_true(vgic_mmio(&vg, 0, ipa_init(GICD + 0x104), 3, true, &v));
	assert_true(vgic_mmio(&vg, 0, ipa_init(GICD + 0x104), 8, true, &v));
	assert_int_equal(rd(0, GICD + 0x104, 4), 0);
	/* A vCPU index past the partition cannot reach anything... */
	vgic_raise(&vg, 5, 3);
	vgic_flush(&vg, 0);
	assert_int_equal(lr_holding(3), -1);
	assert_int_equal(fake.kicks[1] + fake.kicks[2], 0);
	/* ...and flushing one is a bug in the caller, not a guest's doing. */
	expect_assert_failure(vgic_flush(&vg, 5));
	assert_int_equal(fake.panics, 1);
	assert_non_null(strstr(fake.panic_msg, "v >= vg->vcpu_count"));
	assert_int_equal(fake.lr_writes, 0);
}

static void test_init_checks(void **state)
{
	(void)state;
	static const unsigned pcpus[] = {1, 2};
	fake_arch_reset();
	/* No vCPU, or more interrupt lines than the model holds: refused loudly. */
	expect_assert_failure(vgic_init(&vg, "test", 3, 256, 0, pcpus, ipa_init(GICD),
					ipa_range(ipa_init(GICR), 0x80000)));
	expect_assert_failure(vgic_init(&vg, "test", 3, 4096, 2, pcpus, ipa_init(GICD),
					ipa_range(ipa_init(GICR), 0x80000)));
	assert_int_equal(fake.panics, 2);
	/* The limits themselves are fine. */
	vgic_init(&vg, "test", 3, VGIC_MAX_INTID, 2, pcpus, ipa_init(GICD),
		  ipa_range(ipa_init(GICR), 0x80000));
	assert_int_equal(fake.panics, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v3_identification),
		cmocka_unit_test(test_v2_identification),
		cmocka_unit_test(test_ownership_filter),
		cmocka_unit_test(test_spi_routing),
		cmocka_unit_test(test_no_routing_once_stopped),
		cmocka_unit_test(test_sgi1r_scope),
		cmocka_unit_test(test_v2_sgir),
		cmocka_unit_test(test_priority_order_and_overflow),
		cmocka_unit_test(test_repend_while_active),
		cmocka_unit_test(test_doorbell_storm_is_coalesced),
		cmocka_unit_test(test_hw_timer_and_gating),
		cmocka_unit_test(test_forwarded_level_and_edge),
		cmocka_unit_test(test_bad_accesses),
		cmocka_unit_test(test_init_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
