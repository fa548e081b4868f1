// SPDX-License-Identifier: MIT
/*
 * Host tests for the guest exit dispatcher (core/exit.c): an interrupt
 * acknowledged for an exit is completed even when a stop is pending, traps
 * the guest survives become an UNDEF, stage-2 aborts stop the partition or
 * (on-fault = "inject") become an external abort, the lines a guest can
 * trigger are rate-limited per partition, emulated MMIO loads extend and
 * truncate like the instruction, and every exit is counted. The services it
 * calls are local fakes that record what they got; arch and log are the
 * shared fake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <core/partition.h>

#include "fake_arch.h"

/* ---------------------------------------------------------------- fakes */

#define CONSOLE_IRQ 33

static struct config_partition cfg;
static struct partition part;
static struct vcpu *current;

static struct {
	unsigned console_irqs, hw_irqs, sgis, hypercalls, smcs, stops, flushes, mmio;
	bool hw_ours;	     /* vgic_hw_irq() claims the interrupt */
	uint64_t mmio_value; /* what the emulated device reads */
	uint64_t mmio_written;
	char stop_why[128];
	char stop_fault[128]; /* the report line kept as the stop reason */
} rec;

struct smp_cpu smp_cpus[CONFIG_MAX_CPUS]; /* vcpu_current() reads fake.cpu's */

static void set_current(struct vcpu *v)
{
	current = v;
	atomic_store(&smp_cpus[fake.cpu].vcpu, v);
}

atomic_int panic_cpu = -1; /* log.c's: no panic */

bool vconsole_irq(unsigned intid)
{
	if (intid != CONSOLE_IRQ) {
		return false;
	}
	rec.console_irqs++;
	arch_guest_irq_done(intid); /* as the real one does */
	return true;
}

bool vgic_hw_irq(struct vgic *vg, unsigned vcpu, unsigned intid)
{
	(void)vg;
	(void)vcpu;
	(void)intid;
	rec.hw_irqs++;
	return rec.hw_ours;
}

void vgic_sgi1r(struct vgic *vg, unsigned vcpu, uint64_t value)
{
	(void)vg;
	(void)vcpu;
	(void)value;
	rec.sgis++;
}

void vgic_flush(struct vgic *vg, unsigned vcpu)
{
	(void)vg;
	(void)vcpu;
	rec.flushes++;
}

enum guest_action hypercall(struct vcpu *v, const struct guest_exit *exit)
{
	(void)v;
	(void)exit;
	rec.hypercalls++;
	return GUEST_RESUME;
}

enum guest_action vpsci_call(struct vcpu *v, uint64_t *x)
{
	(void)v;
	(void)x;
	rec.smcs++;
	return GUEST_RESUME;
}

bool partition_stop(struct partition *p, struct vcpu *caller, const char *why, const char *fault)
{
	assert_ptr_equal(p, &part);
	assert_ptr_equal(caller, current);
	rec.stops++;
	snprintf(rec.stop_why, sizeof(rec.stop_why), "%s", why);
	snprintf(rec.stop_fault, sizeof(rec.stop_fault), "%s", fault);
	return true;
}

static bool device_access(struct vcpu *v, ipaddr_t ipa, unsigned size, bool write, uint64_t *value)
{
	(void)v;
	(void)ipa;
	(void)size;
	rec.mmio++;
	if (write) {
		rec.mmio_written = *value;
	} else {
		*value = rec.mmio_value;
	}
	return true;
}

/* ---------------------------------------------------------------- helpers */

#define DEVICE_IPA 0x09000000UL

static uint64_t regs[31];

static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	fake.counter_freq = 1000; /* the rate limit's window is 5 s = 5000 ticks */
	memset(&rec, 0, sizeof(rec));
	memset(&part, 0, sizeof(part));
	memset(&cfg, 0, sizeof(cfg));
	memset(regs, 0, sizeof(regs));
	snprintf(cfg.name, sizeof(cfg.name), "rt0");
	part.cfg = &cfg;
	part.id = 1;
	part.vcpu_count = 1;
	part.vcpus[0] = (struct vcpu){
		.partition = &part, .index = 0, .pcpu = 1, .vgic = &part.vgic.vcpu[0]};
	partition_add_mmio(&part, ipa_range(ipa_init(DEVICE_IPA), 0x1000), device_access);
	set_current(&part.vcpus[0]);
	/* A new window for the rate limit: its state outlives the test (and the fake's reset). */
	static uint64_t now;
	now += 1000000;
	fake.counter = now;
	return 0;
}

static struct guest_exit exit_of(enum guest_exit_kind kind)
{
	return (struct guest_exit){.kind = kind, .x = regs, .cause = "test"};
}

/* A load or store of `size` bytes through register `reg` at DEVICE_IPA + off. */
static struct guest_exit mmio_exit(uint64_t off, unsigned size, unsigned reg, bool write)
{
	struct guest_exit e = exit_of(GUEST_EXIT_ABORT);
	e.ipa = ipa_init(DEVICE_IPA + off);
	e.syndrome_valid = true;
	e.access_size = size;
	e.reg = reg;
	e.write = write;
	return e;
}

/* ---------------------------------------------------------------- tests */

static void test_irq_completed_while_a_stop_is_pending(void **state)
{
	(void)state;
	atomic_store(&current->stop_request, true);
	struct guest_exit e = exit_of(GUEST_EXIT_IRQ);
	e.intid = 40;
	assert_int_equal(core_guest_exit(&e), GUEST_STOP);
	/* Acknowledged for this exit: without a completion it stays active for good. */
	assert_int_equal(fake.irqs_done, 1);
	assert_int_equal(fake.last_irq_done, 40);

	e.intid = CONSOLE_IRQ; /* the console's: served (and completed) by the console */
	assert_int_equal(core_guest_exit(&e), GUEST_STOP);
	assert_int_equal(rec.console_irqs, 1);
	assert_int_equal(fake.irqs_done, 2);

	e = exit_of(GUEST_EXIT_HVC); /* anything else: nothing to complete */
	assert_int_equal(core_guest_exit(&e), GUEST_STOP);
	assert_int_equal(fake.irqs_done, 2);
	assert_int_equal(rec.hypercalls, 0);
	assert_int_equal(rec.flushes, 0);
}

static void test_irq_dispatch(void **state)
{
	(void)state;
	struct guest_exit e = exit_of(GUEST_EXIT_IRQ);
	e.intid = 40;
	rec.hw_ours = true; /* forwarded: the guest's deactivation completes it */
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	assert_int_equal(fake.irqs_done, 0);
	rec.hw_ours = false; /* nobody's: completed here */
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	assert_int_equal(fake.irqs_done, 1);
	/* The vGIC had nothing to do (vgic_flush_needed()): no flush. */
	assert_int_equal(rec.flushes, 0);
	assert_int_equal(current->exits, 2);
	/* Something in a list register, marked pending, or a register written: a flush. */
	current->partition->vgic.vcpu[0].lr_used = 1;
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	current->partition->vgic.vcpu[0].lr_used = 0;
	current->partition->vgic.vcpu[0].maybe_pending = 1U << 3;
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	current->partition->vgic.vcpu[0].maybe_pending = 0;
	current->partition->vgic.config_gen++;
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	assert_int_equal(rec.flushes, 3);
}

static void test_undef_is_the_guests(void **state)
{
	(void)state;
	struct guest_exit e = exit_of(GUEST_EXIT_UNDEF);
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	assert_int_equal(e.inject, GUEST_INJECT_UNDEF);
	assert_int_equal(rec.stops, 0);
	assert_int_equal(fake.logs[LOG_WARN], 1);
	assert_non_null(strstr(fake.last_log[LOG_WARN], "partition rt0: vCPU 0 (CPU1): test"));
}

static void test_abort_stops_or_injects(void **state)
{
	(void)state;
	struct guest_exit e = exit_of(GUEST_EXIT_ABORT);
	e.ipa = ipa_init(0x80000000);
	assert_int_equal(core_guest_exit(&e), GUEST_STOP);
	assert_int_equal(rec.stops, 1);
	assert_string_equal(rec.stop_why, "fault in vCPU 0; other partitions keep running");
	/* The stop reason the root reads is the report's first line, without the partition. */
	assert_string_equal(rec.stop_fault, "vCPU 0 (CPU1): stage-2 data abort: read of IPA "
					    "0x80000000, which is not mapped for this partition");
	assert_int_equal(fake.logs[LOG_ERROR], 2); /* what and where, then PC, ESR, FAR */
	assert_non_null(strstr(fake.last_log[LOG_ERROR], "PC 0x"));

	cfg.fault_inject = true; /* on-fault = "inject" */
	e = exit_of(GUEST_EXIT_ABORT);
	e.ipa = ipa_init(0x80000000);
	e.write = true;
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	assert_int_equal(e.inject, GUEST_INJECT_ABORT);
	assert_int_equal(rec.stops, 1);
	assert_non_null(strstr(fake.last_log[LOG_WARN], "write to IPA 0x80000000"));
}

static void test_guest_lines_rate_limited(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 300; i++) {
		struct guest_exit e = exit_of(GUEST_EXIT_UNDEF);
		assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
		assert_int_equal(e.inject, GUEST_INJECT_UNDEF); /* every one injected */
	}
	assert_int_equal(fake.logs[LOG_WARN], 10);
	assert_int_equal(fake.logs[LOG_INFO], 0);

	/* The next window: the count of what was dropped comes first. */
	fake.counter += 5000;
	struct guest_exit e = exit_of(GUEST_EXIT_UNDEF);
	core_guest_exit(&e);
	assert_int_equal(fake.logs[LOG_WARN], 11);
	assert_int_equal(fake.logs[LOG_INFO], 1);
	assert_string_equal(fake.last_log[LOG_INFO],
			    "partition rt0: 290 more line(s) suppressed (rate limit)");

	/* A fault report is never dropped, even with the budget spent. */
	for (unsigned i = 0; i < 20; i++) {
		e = exit_of(GUEST_EXIT_UNDEF);
		core_guest_exit(&e);
	}
	unsigned errors = fake.logs[LOG_ERROR];
	e = exit_of(GUEST_EXIT_FAULT);
	assert_int_equal(core_guest_exit(&e), GUEST_STOP);
	assert_int_equal(fake.logs[LOG_ERROR], errors + 2);
	assert_int_equal(rec.stops, 1);
}

static void test_mmio_load_extends_like_the_instruction(void **state)
{
	(void)state;
	rec.mmio_value = 0xffffffff80;

	struct guest_exit e = mmio_exit(0x10, 1, 3, false); /* LDRB w3 */
	regs[3] = ~0UL;
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	assert_true(e.step);
	assert_int_equal(regs[3], 0x80);

	e = mmio_exit(0x10, 1, 4, false); /* LDRSB x4 */
	e.sign_extend = true;
	e.reg64 = true;
	core_guest_exit(&e);
	assert_int_equal(regs[4], 0xffffffffffffff80UL);

	e = mmio_exit(0x10, 1, 5, false); /* LDRSB w5: extended to 32 bits only */
	e.sign_extend = true;
	core_guest_exit(&e);
	assert_int_equal(regs[5], 0xffffff80UL);

	e = mmio_exit(0x10, 4, 31, false); /* a load into xzr: nothing written */
	core_guest_exit(&e);
	assert_int_equal(rec.mmio, 4);
}

static void test_mmio_store_truncates(void **state)
{
	(void)state;
	regs[7] = 0x1122334455667788UL;
	struct guest_exit e = mmio_exit(0x20, 2, 7, true); /* STRH w7 */
	assert_int_equal(core_guest_exit(&e), GUEST_RESUME);
	assert_int_equal(rec.mmio_written, 0x7788);

	e = mmio_exit(0x20, 4, 31, true); /* STR wzr */
	core_guest_exit(&e);
	assert_int_equal(rec.mmio_written, 0);
}

static void test_mmio_outside_or_without_syndrome_is_a_fault(void **state)
{
	(void)state;
	struct guest_exit e = mmio_exit(0x1000, 4, 1, false); /* one past the region */
	assert_int_equal(core_guest_exit(&e), GUEST_STOP);
	assert_int_equal(rec.mmio, 0);

	e = mmio_exit(0x10, 4, 1, false);
	e.syndrome_valid = false; /* e.g. a load pair: cannot be emulated */
	assert_int_equal(core_guest_exit(&e), GUEST_STOP);
	assert_int_equal(rec.mmio, 0);
	assert_int_equal(rec.stops, 2);
}

static void test_exit_without_a_vcpu_panics(void **state)
{
	(void)state;
	set_current(NULL);
	struct guest_exit e = exit_of(GUEST_EXIT_KICK);
	expect_assert_failure(core_guest_exit(&e));
	assert_non_null(strstr(fake.panic_msg, "runs no vCPU"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_irq_completed_while_a_stop_is_pending, setup),
		cmocka_unit_test_setup(test_irq_dispatch, setup),
		cmocka_unit_test_setup(test_undef_is_the_guests, setup),
		cmocka_unit_test_setup(test_abort_stops_or_injects, setup),
		cmocka_unit_test_setup(test_guest_lines_rate_limited, setup),
		cmocka_unit_test_setup(test_mmio_load_extends_like_the_instruction, setup),
		cmocka_unit_test_setup(test_mmio_store_truncates, setup),
		cmocka_unit_test_setup(test_mmio_outside_or_without_syndrome_is_a_fault, setup),
		cmocka_unit_test_setup(test_exit_without_a_vcpu_panics, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
