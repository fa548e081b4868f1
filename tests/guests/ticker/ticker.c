/* SPDX-License-Identifier: MIT */
/*
 * A partition that stays alive: "ticker <name> <count>" every 100 ms, paced
 * by the virtual counter. It first prints "ticker <name> boot", so tests can
 * count restarts, and whether its .data was fresh from the image ("fresh") or
 * left over from an earlier run ("stale": the restart did not reload it). With `reset_after=N` in
 * its bootargs (or built with make RESET_AFTER=N, for native runs) it asks PSCI SYSTEM_RESET after
 * N ticks; `off_after=N` asks SYSTEM_OFF instead.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>

#ifndef RESET_AFTER
#define RESET_AFTER 0
#endif

#define TICKS_PER_SECOND 10
#define CANARY_FRESH	 0x600dU

/* In .data: only a fresh copy of the image has the initial value. */
static volatile unsigned canary = CANARY_FRESH;

int main(void)
{
	char name[17] = "native";
	char number[24];
	unsigned long reset_after = RESET_AFTER;
	unsigned long off_after = 0;
	uint64_t period = bh_counter_frequency() / TICKS_PER_SECOND;
	uint64_t next;

	if (bh_hypervisor_present()) {
		bh_partition_name(name);
		if (bh_bootarg("reset_after", number, sizeof(number))) {
			reset_after = strtoul(number, NULL, 0);
		}
		if (bh_bootarg("off_after", number, sizeof(number))) {
			off_after = strtoul(number, NULL, 0);
		}
	}
	printf("ticker %s boot (%s)\n", name, canary == CANARY_FRESH ? "fresh" : "stale");
	canary = 0xdeadU;

	next = bh_counter() + period;
	for (unsigned long count = 1;; count++) {
		/* Deadlines advance by the period, so printing time does not add drift. */
		while ((int64_t)(bh_counter() - next) < 0) {
			__asm__ volatile("yield");
		}
		next += period;
		printf("ticker %s %lu\n", name, count);
		if (off_after > 0 && count == off_after) {
			printf("ticker %s off\n", name);
			bh_psci_system_off();
			return 1;
		}
		if (reset_after > 0 && count == reset_after) {
			int32_t result;

			printf("ticker %s reset\n", name);
			result = bh_psci_system_reset();
			printf("ticker %s SYSTEM_RESET returned %d (%s)\n", name, (int)result,
			       bh_psci_error_name(result));
			return 1;
		}
	}
}
