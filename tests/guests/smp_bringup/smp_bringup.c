/* SPDX-License-Identifier: MIT */
/*
 * SMP test: the boot vCPU starts every other vCPU of the partition with
 * bh_cpu_start() (PSCI CPU_ON); each reports in, and the boot vCPU waits for
 * all of them.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>

#define WAIT_SECONDS 10 /* a hang detector only: a loaded host may be slow */

static atomic_uint cpus_online;

static void report_online(void)
{
	bh_printf("smp_bringup: vCPU %u online\n", bh_cpu_id());
	atomic_fetch_add(&cpus_online, 1);
}

static void secondary_main(void *arg)
{
	(void)arg;
	report_online();
}

int main(void)
{
	unsigned cpu_count = bh_cpu_count();
	unsigned self = bh_cpu_id();
	uint64_t deadline;

	report_online();
	for (unsigned cpu = 0; cpu < cpu_count; cpu++) {
		int result;

		if (cpu == self) {
			continue;
		}
		result = bh_cpu_start(cpu, secondary_main, NULL);
		if (result != BH_PSCI_SUCCESS) {
			bh_printf("smp_bringup: CPU_ON vCPU %u -> %d (%s)\n", cpu, result,
				  bh_psci_error_name(result));
		}
	}

	deadline = bh_counter() + WAIT_SECONDS * bh_counter_frequency();
	while (atomic_load(&cpus_online) < cpu_count && bh_counter() < deadline) {
		bh_delay_us(1000);
	}
	if (atomic_load(&cpus_online) < cpu_count) {
		bh_printf("smp_bringup: only %u of %u vCPUs online after %d s\n",
			  atomic_load(&cpus_online), cpu_count, WAIT_SECONDS);
		return 1;
	}
	bh_printf("smp_bringup: all %u vCPUs online\n", cpu_count);
	return 0;
}
