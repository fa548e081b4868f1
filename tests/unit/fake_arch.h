/* SPDX-License-Identifier: MIT */
/*
 * One fake of the arch interface (arch/arm64/include/arch/arch.h, vgic.h) and
 * of the hypervisor log for every host unit test: it records what core/ asked
 * the hardware to do in `fake`, which tests read and fake_arch_reset() clears.
 *
 * panic() (and so BUG_ON, live in unit tests through CONFIG_DEBUG_CHECKS)
 * fails the running test, unless the call is wrapped in cmocka's
 * expect_assert_failure(): then it returns there, with the message in
 * fake.panic_msg. Expect a BUG only where core checks before it takes a lock:
 * the jump out of panic() leaves a held lock held.
 */
#ifndef TESTS_FAKE_ARCH_H
#define TESTS_FAKE_ARCH_H

#include <arch/arch.h>
#include <arch/vgic.h>
#include <core/log.h>

struct fake_arch {
	/* Set by tests. */
	unsigned cpu;	       /* arch_cpu_index(); 0 after reset */
	unsigned lr_count;     /* arch_vgic_lr_count(); 4 after reset */
	uint64_t counter;      /* arch_counter() */
	uint64_t counter_freq; /* arch_counter_freq(); 62.5 MHz after reset */
	void (*hook)(void);    /* if set, called by arch_cpu_relax(), arch_guest_memory_copy()
				  and arch_guest_memory_sync(): what other CPUs do while core
				  waits or copies, or a look at core's locks */

	/* Recorded. */
	unsigned kicks[CONFIG_MAX_CPUS]; /* arch_cpu_kick() per CPU */
	unsigned relaxes;		 /* arch_cpu_relax() */
	struct vgic_lr lrs[ARCH_VGIC_MAX_LRS];
	unsigned lr_writes;
	bool underflow;		/* the underflow maintenance interrupt is on */
	bool fast_timer;	/* arch_vgic_fast_timer() is on ... */
	struct vgic_lr fast_lr; /* ... with this list register value */
	unsigned spi_setups;
	unsigned last_spi_intid, last_spi_cpu;
	bool last_spi_enable;
	unsigned ppi_syncs; /* arch_gic_ppi_sync() */
	unsigned last_ppi;
	bool last_ppi_enable, last_ppi_deactivate;
	unsigned irqs_done; /* arch_guest_irq_done() */
	unsigned last_irq_done;
	unsigned memory_syncs;		   /* arch_guest_memory_sync() */
	unsigned logs[LOG_DEBUG + 1];	   /* lines per level */
	char last_log[LOG_DEBUG + 1][256]; /* the last line of each level, formatted */
	unsigned panics;
	char panic_msg[256]; /* the last panic's message, formatted */
};

extern struct fake_arch fake;

/* Back to a fresh CPU 0 with 4 empty list registers and nothing recorded. */
void fake_arch_reset(void);

#endif
