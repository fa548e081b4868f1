// SPDX-License-Identifier: MIT
/*
 * The shared fake of the arch interface and the log for host unit tests
 * (fake_arch.h). The fuzz targets (tests/fuzz/) build it with FAKE_ARCH_FUZZ:
 * no cmocka, and every failed check or panic aborts, which is what
 * libFuzzer reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FAKE_ARCH_FUZZ
static void fuzz_in_range(uint64_t value, uint64_t lo, uint64_t hi, const char *what)
{
	if (value < lo || value > hi) {
		fprintf(stderr, "fake_arch: %s out of range\n", what);
		abort();
	}
}
#define assert_in_range(value, lo, hi) fuzz_in_range(value, lo, hi, #value)
#define mock_assert(result, message, file, line) \
	(fprintf(stderr, "%s:%d: panic: %s\n", file, line, message), abort())
#else
#include <cmocka.h>
#endif

#include "fake_arch.h"

struct fake_arch fake;

void fake_arch_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.lr_count = 4;
	fake.counter_freq = 62500000;
}

/* ---------------------------------------------------------------- CPU */

unsigned arch_cpu_index(void)
{
	return fake.cpu;
}

void arch_cpu_kick(unsigned cpu)
{
	assert_in_range(cpu, 0, CONFIG_MAX_CPUS - 1);
	fake.kicks[cpu]++;
}

void arch_cpu_relax(void)
{
	fake.relaxes++;
	if (fake.hook != NULL) {
		fake.hook();
	}
}

uint64_t arch_counter(void)
{
	return fake.counter;
}

uint64_t arch_counter_freq(void)
{
	return fake.counter_freq;
}

uint64_t arch_el2_instructions(void)
{
	return 0;
}

/* ---------------------------------------------------------------- GIC */

unsigned arch_vgic_lr_count(void)
{
	return fake.lr_count;
}

void arch_vgic_lr_write(unsigned lr, const struct vgic_lr *value)
{
	assert_in_range(lr, 0, fake.lr_count - 1); /* core never names a missing register */
	fake.lrs[lr] = *value;
	fake.lr_writes++;
}

enum vgic_lr_state arch_vgic_lr_state(unsigned lr)
{
	assert_in_range(lr, 0, fake.lr_count - 1);
	return fake.lrs[lr].state;
}

void arch_vgic_underflow_irq(bool on)
{
	fake.underflow = on;
}

void arch_vgic_fast_timer(const struct vgic_lr *lr)
{
	fake.fast_timer = lr != NULL;
	fake.fast_lr = lr != NULL ? *lr : (struct vgic_lr){0};
}

void arch_gic_spi_setup(unsigned intid, unsigned pcpu, bool enable)
{
	fake.spi_setups++;
	fake.last_spi_intid = intid;
	fake.last_spi_cpu = pcpu;
	fake.last_spi_enable = enable;
}

void arch_gic_ppi_sync(unsigned intid, bool enable, bool deactivate)
{
	fake.ppi_syncs++;
	fake.last_ppi = intid;
	fake.last_ppi_enable = enable;
	fake.last_ppi_deactivate = deactivate;
}

void arch_guest_irq_done(unsigned intid)
{
	fake.irqs_done++;
	fake.last_irq_done = intid;
}

void arch_guest_memory_zero(paddr_t base, uint64_t size)
{
	memset(pa_to_ptr(base), 0, size);
}

void arch_guest_memory_copy(paddr_t dst, paddr_t src, uint64_t size)
{
	memcpy(pa_to_ptr(dst), pa_to_ptr(src), size);
	if (fake.hook != NULL) {
		fake.hook();
	}
}

void arch_guest_memory_sync(void)
{
	fake.memory_syncs++;
	if (fake.hook != NULL) {
		fake.hook();
	}
}

/* ---------------------------------------------------------------- log */

void log_vline(int level, const char *fmt, va_list ap)
{
	assert_in_range(level, LOG_ERROR, LOG_DEBUG);
	fake.logs[level]++;
	vsnprintf(fake.last_log[level], sizeof(fake.last_log[level]), fmt, ap);
}

void log_line(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline(level, fmt, ap);
	va_end(ap);
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fake.panic_msg, sizeof(fake.panic_msg), fmt, ap);
	va_end(ap);
	fake.panics++;
	/*
	 * Inside expect_assert_failure() this jumps back to it; anywhere else
	 * it reports the message and fails the test. It does not return.
	 */
	mock_assert(0, fake.panic_msg, __FILE__, __LINE__);
	abort();
}
