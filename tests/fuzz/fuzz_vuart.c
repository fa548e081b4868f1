// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over the partition consoles (core/vconsole.c): the
 * emulated PL011's register decode that a hostile guest drives with every
 * load and store to its vuart page, its console hypercalls, and what is
 * typed on the physical console (Ctrl-] switching included), with the real
 * virtual GIC (core/vgic.c) taking the vuart's interrupt, over the shared
 * arch fake built without cmocka. A BUG_ON or a sanitizer report aborts.
 *
 * Two partitions, each with a vuart, on CPUs 1 and 2. After every step:
 *   - a partition's input ring and half line stay within their arrays;
 *   - every line that reaches the shared console is shorter than a line
 *     buffer and holds only printable characters and tabs (no escape
 *     sequence of one partition reaches the terminal everyone shares);
 *   - kicks and interrupt routing name only the partitions' CPUs.
 *
 * Input: 4-byte steps: u8 op (low 3 bits) and partition (bit 3), u8
 * argument, u16 offset or value; typed and printed bytes come from the
 * input that follows a step. With -DFUZZ_REPLAY it has a main() that runs
 * the files named on its command line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include <core/partition.h>
#include <core/vconsole.h>

#include "../unit/fake_arch.h"

#define VUART_IPA   0x09000000UL
#define CONSOLE_IRQ 33
#define PARTITIONS  2

static struct config_partition cfgs[PARTITIONS];
static struct partition parts[PARTITIONS];

/* ------------------------------------------------ fakes of the physical console */

static const uint8_t *typed; /* bytes the UART holds, and how many */
static size_t typed_len;
static bool ring_full;

void console_buffer(bool irq)
{
	(void)irq;
}

void console_irq(void)
{
}

int console_getc(void)
{
	if (typed_len == 0) {
		return -1;
	}
	typed_len--;
	return *typed++;
}

bool log_tagged_line(const char *tag, const char *text, size_t len)
{
	(void)tag;
	CHECK(len < VCONSOLE_LINE_MAX);
	for (size_t i = 0; i < len; i++) {
		CHECK(text[i] == '\t' || (text[i] >= 0x20 && text[i] <= 0x7e));
	}
	return !ring_full;
}

const char *partition_state_name(unsigned state)
{
	(void)state;
	return "running";
}

/* ------------------------------------------------ the target */

/* Up to max bytes of the input, for printing or typing. */
static const uint8_t *take(struct fuzz_input *in, size_t max, size_t *n)
{
	const uint8_t *p = in->data + in->pos;
	*n = in->size - in->pos < max ? in->size - in->pos : max;
	in->pos += *n;
	return p;
}

static void setup(void)
{
	fake_arch_reset();
	memset(parts, 0, sizeof(parts));
	memset(cfgs, 0, sizeof(cfgs));
	for (unsigned i = 0; i < PARTITIONS; i++) {
		unsigned pcpu = i + 1;
		struct partition *p = &parts[i];
		snprintf(cfgs[i].name, sizeof(cfgs[i].name), "p%u", i);
		cfgs[i].cpu_mask = 1UL << pcpu;
		cfgs[i].has_vuart = true;
		cfgs[i].vuart_ipa = ipa_init(VUART_IPA);
		cfgs[i].vuart_irq = 32 + 1 + i;
		p->cfg = &cfgs[i];
		p->id = i;
		p->vcpu_count = 1;
		p->vcpus[0] = (struct vcpu){.partition = p, .index = 0, .pcpu = pcpu};
		vgic_init(&p->vgic, cfgs[i].name, 3, 64, 1, &pcpu, ipa_init(0x08000000),
			  ipa_range(ipa_init(0x080a0000), VGIC_GICR_STRIDE));
		CHECK(vgic_own_spi(&p->vgic, cfgs[i].vuart_irq, false) == BH_OK);
	}
	vconsole_start(parts, PARTITIONS, 1, CONSOLE_IRQ);
	/* vconsole.c keeps state across runs: clear it, so an input replays alone. */
	vconsole_cpu_running(1, false);
	vconsole_cpu_running(2, false);
	typed = (const uint8_t *)"x"; /* ends a pending Ctrl-] */
	typed_len = 1;
	vconsole_irq(CONSOLE_IRQ);
	for (unsigned i = 0; i < PARTITIONS; i++) {
		vgic_reset(&parts[i].vgic);
		vconsole_reset(&parts[i]);
	}
	vconsole_start(parts, PARTITIONS, 1, CONSOLE_IRQ);
	fake_arch_reset();
}

static void check_invariants(void)
{
	for (unsigned i = 0; i < PARTITIONS; i++) {
		const struct vconsole *c = &parts[i].console;
		CHECK(c->in_count <= VCONSOLE_INPUT_MAX && c->in_head < VCONSOLE_INPUT_MAX);
		CHECK(c->line_len < VCONSOLE_LINE_MAX);
	}
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		CHECK(cpu == 1 || cpu == 2 || fake.kicks[cpu] == 0);
	}
	CHECK(fake.spi_setups == 0 || fake.last_spi_cpu == 1 || fake.last_spi_cpu == 2);
}

static void run(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size, 0};

	setup();
	while (in.pos < in.size) {
		uint8_t op = fuzz_byte(&in);
		uint8_t arg = fuzz_byte(&in);
		uint16_t word = (uint16_t)(fuzz_byte(&in) | fuzz_byte(&in) << 8);
		struct partition *p = &parts[(op >> 3) & 1];
		uint8_t buf[32];
		size_t n;

		fake.cpu = p->vcpus[0].pcpu;
		switch (op & 7) {
		case 0: /* a guest's load or store, any size, anywhere in its vuart page */
		case 1: {
			static const unsigned sizes[4] = {1, 2, 4, 8};
			uint64_t value = (uint64_t)arg << 8 | word;
			CHECK(vuart_mmio(&p->vcpus[0], ipa_init(VUART_IPA + (word & 0xfff)),
					 sizes[arg & 3], (op & 1) != 0, &value));
			if ((op & 1) == 0) {
				CHECK(value <= 0xffffffffUL);
			}
			break;
		}
		case 2: { /* BH_HVC_CONSOLE_WRITE */
			const uint8_t *bytes = take(&in, arg % 33, &n);
			vconsole_write(p, bytes, n);
			break;
		}
		case 3: /* BH_HVC_CONSOLE_READ */
			CHECK(vconsole_read(p, buf, arg % (sizeof(buf) + 1)) <= sizeof(buf));
			break;
		case 4: /* typed on the physical console */
			typed = take(&in, arg % 64, &typed_len);
			CHECK(vconsole_irq((word & 1) != 0 ? CONSOLE_IRQ : CONSOLE_IRQ + 1) ==
			      ((word & 1) != 0));
			typed_len = 0;
			break;
		case 5: /* time passes; the console's ring fills or drains */
			fake.counter += (uint64_t)word << (arg & 15);
			ring_full = (arg & 0x80) != 0;
			break;
		case 6: /* the partition stops, or starts again */
			if ((arg & 1) != 0) {
				vconsole_stopped(p);
			} else {
				vconsole_reset(p);
			}
			break;
		default: /* its CPU enters or leaves the guest: the UART's interrupt follows */
			vconsole_cpu_running(p->vcpus[0].pcpu, (arg & 1) != 0);
			break;
		}
		check_invariants();
	}
}

FUZZ_ENTRY("fuzz_vuart")
