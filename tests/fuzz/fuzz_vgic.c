// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over the virtual GIC (core/vgic.c), the register decode
 * a hostile guest drives with every load and store to its GICD and GICR
 * pages. It runs over the shared arch fake (tests/unit/fake_arch.c, built
 * without cmocka): a BUG_ON, a list register index out of range or a
 * sanitizer report aborts.
 *
 * The input sets up one partition (GIC version, line count, vCPUs, which
 * SPIs it owns and which of them are forwarded hardware lines, list
 * registers), then runs a script of steps: MMIO accesses anywhere in and
 * around the GICD and GICR windows with any size and value, GICv3 SGI
 * register writes, interrupts raised by the hypervisor (doorbells, the
 * vuart) or arriving from hardware, list-register flushes, and the guest's
 * side of the list registers (acknowledge, complete). After every step the
 * isolation invariants hold:
 *   - only interrupts the partition owns reach a list register;
 *   - kicks and physical SPI routing name only the partition's own CPUs;
 *   - an access outside both windows is not claimed.
 *
 * Input (bytes past the end read as zero):
 *   u8 flags: bit 0 GICv3 (else v2), bits 1-2 list registers - 1
 *   u8 line count: 32 * (1 + v % 31)
 *   u8 vCPUs - 1 (mod 4)
 *   4 x u8 owned SPIs (INTID 32 + v % (lines - 32)); bit 7 of the next byte
 *          per SPI (bits 0-3) makes it a forwarded hardware line
 *   then 12-byte steps: u8 op, u8 vCPU, u16 offset, u8 size code, 7 x u8 value
 *
 * With -DFUZZ_REPLAY it has a main() that runs the files named on its
 * command line, so a crash reproduces with gcc too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include <core/vgic.h>

#include "../unit/fake_arch.h"

#define GICD	       0x08000000UL
#define GICR	       0x080a0000UL
#define MAX_VCPUS      4U
#define OWNED_SPIS     4U
#define STEP_SIZE      12U
#define FOREIGN_CPU_OK 0 /* kicks to CPUs outside the partition allowed: none */

/* Physical CPUs of the partition's vCPUs: not 0 and not contiguous, so a
 * vCPU index used as a CPU number shows. */
static const unsigned pcpus[MAX_VCPUS] = {2, 3, 5, 7};

enum op {
	OP_MMIO_READ,
	OP_MMIO_WRITE,
	OP_SGI1R,     /* GICv3 ICC_SGI1R_EL1 write */
	OP_RAISE,     /* the hypervisor raises an interrupt (doorbell, vuart) */
	OP_HW_IRQ,    /* a physical interrupt arrives for the partition */
	OP_FLUSH,     /* back to the guest: list registers refilled */
	OP_GUEST_LRS, /* the guest acknowledges/completes what its LRs hold */
	OP_RESET,     /* the partition restarts */
	OP_COUNT
};

static struct vgic vg;
static bool owned[VGIC_MAX_INTID];
/* The fake has one set of list registers: each vCPU's live in its CPU, so
 * they are swapped in when a step runs on another vCPU. */
static struct vgic_lr saved_lrs[MAX_VCPUS][ARCH_VGIC_MAX_LRS];
static unsigned current_vcpu;

static void switch_to(unsigned vcpu)
{
	if (vcpu != current_vcpu) {
		memcpy(saved_lrs[current_vcpu], fake.lrs, sizeof(fake.lrs));
		memcpy(fake.lrs, saved_lrs[vcpu], sizeof(fake.lrs));
		current_vcpu = vcpu;
	}
	fake.cpu = pcpus[vcpu];
}
static bool is_pcpu[CONFIG_MAX_CPUS];

static void check_lrs(const struct vgic_lr *lrs, unsigned lines)
{
	for (unsigned i = 0; i < fake.lr_count; i++) {
		const struct vgic_lr *lr = &lrs[i];
		if (lr->state == LR_INVALID) {
			continue;
		}
		CHECK(lr->intid < lines);
		CHECK(lr->intid < VGIC_PRIVATE || owned[lr->intid]);
	}
}

static void check_invariants(unsigned lines)
{
	check_lrs(fake.lrs, lines);
	for (unsigned v = 0; v < MAX_VCPUS; v++) {
		check_lrs(saved_lrs[v], lines);
	}
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		CHECK(is_pcpu[cpu] || fake.kicks[cpu] == FOREIGN_CPU_OK);
	}
	if (fake.spi_setups != 0) {
		CHECK(fake.last_spi_cpu < CONFIG_MAX_CPUS && is_pcpu[fake.last_spi_cpu]);
		CHECK(owned[fake.last_spi_intid]);
	}
}

static void mmio(struct fuzz_input *in, unsigned vcpu, uint16_t offset, uint8_t size_code,
		 uint64_t value, bool write)
{
	static const unsigned sizes[4] = {1, 2, 4, 8};
	unsigned size = sizes[size_code & 3];
	uint64_t base;

	/* Bits 4-5 of the size code pick the window: GICD, a GICR frame, or beside them. */
	switch ((size_code >> 4) & 3) {
	case 0:
		base = GICD;
		break;
	case 1:
		base = GICR + (uint64_t)VGIC_GICR_STRIDE * ((size_code >> 2) & 3);
		break;
	case 2:
		base = GICR + 0x10000; /* the SGI_base frame of redistributor 0 */
		break;
	default:
		base = GICD - 0x8000; /* straddles the start of the distributor */
		break;
	}
	uint64_t ipa = base + offset;
	bool inside = (ipa >= GICD && ipa < GICD + VGIC_GICD_SIZE) ||
		      (vg.version == 3 && ipa >= GICR &&
		       ipa < GICR + (uint64_t)VGIC_GICR_STRIDE * vg.vcpu_count);
	bool claimed = vgic_mmio(&vg, vcpu, ipa_init(ipa), size, write, &value);
	if (!inside) {
		CHECK(!claimed);
	}
	(void)in;
}

static void guest_lrs(uint8_t how)
{
	for (unsigned i = 0; i < fake.lr_count; i++, how = (uint8_t)(how >> 1 | how << 7)) {
		struct vgic_lr *lr = &fake.lrs[i];
		if (lr->state == LR_PENDING && (how & 1) != 0) {
			lr->state = LR_ACTIVE; /* acknowledged */
		} else if ((lr->state == LR_ACTIVE || lr->state == LR_PENDING_ACTIVE) &&
			   (how & 2) != 0) {
			lr->state = lr->state == LR_ACTIVE ? LR_INVALID : LR_PENDING; /* EOI */
		}
	}
}

static void run(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size, 0};
	uint8_t flags = fuzz_byte(&in);
	unsigned version = (flags & 1) != 0 ? 3 : 2;
	unsigned lines = 32U * (1U + fuzz_byte(&in) % 31U);
	unsigned vcpus = 1U + fuzz_byte(&in) % MAX_VCPUS;

	fake_arch_reset();
	fake.lr_count = 1U + ((flags >> 1) & 3U);
	fake.cpu = pcpus[0];
	current_vcpu = 0;
	memset(saved_lrs, 0, sizeof(saved_lrs));
	memset(owned, 0, sizeof(owned));
	memset(is_pcpu, 0, sizeof(is_pcpu));
	for (unsigned i = 0; i < vcpus; i++) {
		is_pcpu[pcpus[i]] = true;
	}
	vgic_init(&vg, "fuzz", version, lines, vcpus, pcpus, ipa_init(GICD),
		  ipa_range(ipa_init(GICR), (uint64_t)VGIC_GICR_STRIDE * vcpus));

	uint8_t spis[OWNED_SPIS];
	for (unsigned i = 0; i < OWNED_SPIS; i++) {
		spis[i] = fuzz_byte(&in);
	}
	uint8_t hw = fuzz_byte(&in);
	for (unsigned i = 0; i < OWNED_SPIS && lines > VGIC_PRIVATE; i++) {
		unsigned intid = VGIC_PRIVATE + spis[i] % (lines - VGIC_PRIVATE);
		if (!owned[intid] && vgic_own_spi(&vg, intid, (hw >> i) & 1) == BH_OK) {
			owned[intid] = true;
		}
	}
	vgic_reset(&vg);

	while (in.pos < in.size) {
		uint8_t op = fuzz_byte(&in);
		unsigned vcpu = fuzz_byte(&in) % vcpus;
		uint16_t offset = (uint16_t)(fuzz_byte(&in) | fuzz_byte(&in) << 8);
		uint8_t size_code = fuzz_byte(&in);
		uint64_t value = 0;
		for (unsigned i = 0; i < 7; i++) {
			value |= (uint64_t)fuzz_byte(&in) << (8 * i);
		}
		switch_to(vcpu); /* the vCPU's own CPU runs its exits */
		switch (op % OP_COUNT) {
		case OP_MMIO_READ:
			mmio(&in, vcpu, offset, size_code, value, false);
			break;
		case OP_MMIO_WRITE:
			mmio(&in, vcpu, offset, size_code, value, true);
			break;
		case OP_SGI1R:
			if (version == 3) {
				vgic_sgi1r(&vg, vcpu, value << 8 | size_code);
			}
			break;
		case OP_RAISE: {
			unsigned intid = offset % lines;
			/* The hypervisor raises only what the partition owns (its doorbells). */
			if (intid >= VGIC_PRIVATE && owned[intid]) {
				vgic_raise(&vg, vcpu, intid);
			}
			break;
		}
		case OP_HW_IRQ: {
			unsigned intid = offset % VGIC_MAX_INTID;
			unsigned before = fake.irqs_done;
			if (!vgic_hw_irq(&vg, vcpu, intid)) {
				CHECK(fake.irqs_done == before); /* the caller completes it */
			}
			break;
		}
		case OP_FLUSH:
			vgic_flush(&vg, vcpu);
			break;
		case OP_GUEST_LRS:
			guest_lrs(size_code);
			break;
		case OP_RESET:
			if ((size_code & 0xf) == 0) { /* rare: it undoes what the script built */
				vgic_reset(&vg);
			}
			break;
		default:
			break;
		}
		check_invariants(lines);
	}
}

FUZZ_ENTRY("fuzz_vgic")
