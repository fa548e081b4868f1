/* SPDX-License-Identifier: MIT */
/*
 * A partition that stays alive: "ticker <name> <count>" every 100 ms, paced
 * by the virtual counter. It first prints "ticker <name> boot", so tests can
 * count restarts. Built with RESET_AFTER=N it asks PSCI SYSTEM_RESET after N
 * ticks (make RESET_AFTER=N).
 */
#include <bulkhead/sdk.h>

#include <stdio.h>

#ifndef RESET_AFTER
#define RESET_AFTER 0
#endif

#define TICKS_PER_SECOND 10

int main(void)
{
	char name[17] = "native";
	uint64_t period = bh_counter_frequency() / TICKS_PER_SECOND;
	uint64_t next;

	if (bh_hypervisor_present()) {
		bh_partition_name(name);
	}
	printf("ticker %s boot\n", name);

	next = bh_counter() + period;
	for (unsigned long count = 1;; count++) {
		/* Deadlines advance by the period, so printing time does not add drift. */
		while ((int64_t)(bh_counter() - next) < 0) {
			__asm__ volatile("yield");
		}
		next += period;
		printf("ticker %s %lu\n", name, count);
		if (RESET_AFTER > 0 && count == (unsigned long)RESET_AFTER) {
			int32_t result;

			printf("ticker %s reset\n", name);
			result = bh_psci_system_reset();
			printf("ticker %s SYSTEM_RESET returned %d (%s)\n", name, (int)result,
			       bh_psci_error_name(result));
			return 1;
		}
	}
}
