/* SPDX-License-Identifier: MIT */
/*
 * A managed bare-metal child, for tests/system/test_integration.py. The SDK's
 * integration runtime speaks the protocol with the root; this program only
 * watches it through the API, and paces itself with the virtual timer
 * (100 Hz) while the runtime's heartbeats run on the physical one. It prints
 * "integ_child NAME: boot", "... wall clock S s (session N), time() U" once
 * the root gave the time (U: newlib's time()), and "... tick T, heartbeats H"
 * every 100 ticks.
 *
 * Bootargs:
 *   callback       handles SHUTDOWN itself: refuses a request whose reason
 *                  starts with "refuse", else prints its status and, at
 *                  once (not waiting for the root to read its answer),
 *                  returns from main() (SYSTEM_OFF) or, for a reboot, makes
 *                  the SYSTEM_RESET call;
 *   hang_after=N   once N heartbeats went out in a session: masks interrupts,
 *                  prints "hanging after H heartbeats" and spins (the
 *                  heartbeats stop: what the root's watchdog detects);
 *   fault_after=N  once N heartbeats went out: prints "faulting after H
 *                  heartbeats" and reads outside its memory (a stage-2 fault:
 *                  the partition stops as crashed);
 *   fault=undef    with fault_after: executes an undefined instruction
 *                  instead, which the SDK catches and reports to the
 *                  hypervisor (BH_HVC_CRASH): crashed as well;
 *   fault=abort    with fault_after: calls abort(), which the SDK reports
 *                  the same way.
 * Built with INTEG_OPT_OUT=1 (guest-integ_child-optout) it opts out of the
 * runtime: "boot (integration off)", and it never opens the channel.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_HZ	    100
#define PRINT_EVERY 100 /* ticks */

#ifdef INTEG_OPT_OUT
const bool bh_integration_disable = true;
#endif

static char name[17];
static uint64_t tick_period, next_tick;
static atomic_ulong ticks;
static atomic_bool shutdown_asked;
static struct bh_shutdown_request request; /* written before shutdown_asked is set */

static void tick(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	atomic_fetch_add(&ticks, 1);
	next_tick += tick_period;
	bh_vtimer_set_deadline(next_tick);
}

/* Interrupt context: decide, note, return. */
static int on_shutdown(const struct bh_shutdown_request *r, void *arg)
{
	(void)arg;
	if (strncmp(r->reason, "refuse", 6) == 0) {
		return -1;
	}
	request = *r;
	atomic_store(&shutdown_asked, true);
	return 0;
}

static unsigned long arg_or_zero(const char *key)
{
	char value[24];
	return bh_bootarg(key, value, sizeof(value)) ? strtoul(value, NULL, 0) : 0;
}

int main(void)
{
	struct bh_integration_status st;
	unsigned long hang_after = arg_or_zero("hang_after");
	unsigned long fault_after = arg_or_zero("fault_after");
	unsigned long printed = 0;
	bool clock_shown = false;

	bh_partition_name(name);
	printf("integ_child %s: boot (integration %s)\n", name,
	       bh_integration_status(&st) == 0 ? st.channel : "off");
	if (bh_bootarg("callback", NULL, 0)) {
		bh_integration_on_shutdown(on_shutdown, NULL);
	}
	bh_irq_init();
	bh_irq_register(BH_IRQ_VIRT_TIMER, tick, NULL);
	bh_irq_enable(BH_IRQ_VIRT_TIMER);
	tick_period = bh_counter_frequency() / TICK_HZ;
	next_tick = bh_counter() + tick_period;
	bh_vtimer_set_deadline(next_tick);
	bh_irq_local_enable();

	for (;;) {
		int64_t ns;
		__asm__ volatile("wfi");
		bh_integration_status(&st);
		if (!clock_shown && bh_wall_clock_ns(&ns) == 0) {
			printf("integ_child %s: wall clock %lld s (session %llu), time() %lld\n",
			       name, (long long)(ns / 1000000000), (unsigned long long)st.session,
			       (long long)time(NULL));
			clock_shown = true;
		}
		if (hang_after != 0 && st.heartbeats >= hang_after) {
			bh_irq_local_disable();
			bh_integration_status(&st); /* final: nothing runs the runtime now */
			printf("integ_child %s: hanging after %llu heartbeats\n", name,
			       (unsigned long long)st.heartbeats);
			for (;;) {
			}
		}
		if (fault_after != 0 && st.heartbeats >= fault_after) {
			printf("integ_child %s: faulting after %llu heartbeats\n", name,
			       (unsigned long long)st.heartbeats);
			char how[8] = "";
			if (bh_bootarg("fault", how, sizeof(how)) && strcmp(how, "undef") == 0) {
				__asm__ volatile("udf #0");
			}
			if (strcmp(how, "abort") == 0) {
				abort();
			}
			(void)*(volatile uint32_t *)0x80000000UL;
		}
		if (atomic_load(&shutdown_asked)) {
			printf("integ_child %s: shutdown %llu asked (%s): ticks %lu, heartbeats "
			       "%llu, "
			       "shutdowns %llu, ignored %llu, throttled %s, sessions %llu\n",
			       name, (unsigned long long)request.id, request.reason,
			       atomic_load(&ticks), (unsigned long long)st.heartbeats_total,
			       (unsigned long long)st.shutdowns, (unsigned long long)st.ignored,
			       st.throttled > 0 ? "yes" : "no", (unsigned long long)st.sessions);
			if (request.action == BH_INTEG_SHUTDOWN_REBOOT) {
				fflush(stdout);
				bh_psci_system_reset();
			}
			return 0;
		}
		if (atomic_load(&ticks) >= printed + PRINT_EVERY) {
			printed += PRINT_EVERY;
			printf("integ_child %s: tick %lu, heartbeats %llu\n", name, printed,
			       (unsigned long long)st.heartbeats);
		}
	}
}
