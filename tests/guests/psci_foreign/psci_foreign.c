/* SPDX-License-Identifier: MIT */
/*
 * Isolation test: PSCI CPU_ON and AFFINITY_INFO on every MPIDR above the
 * partition's own vCPUs (up to 7). Bulkhead must refuse them all; a CPU that
 * does start says so.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>

#define LAST_MPIDR 7

static void foreign_cpu_main(void *arg)
{
	(void)arg;
	bh_printf("psci_foreign: CPU with MPIDR 0x%x started: it is not ours\n", bh_cpu_id());
}

static const char *affinity_name(int32_t code)
{
	switch (code) {
	case BH_PSCI_AFFINITY_ON:
		return "ON";
	case BH_PSCI_AFFINITY_OFF:
		return "OFF";
	case BH_PSCI_AFFINITY_ON_PENDING:
		return "ON_PENDING";
	default:
		return bh_psci_error_name(code);
	}
}

int main(void)
{
	unsigned own_cpus = bh_cpu_count();

	bh_printf("psci_foreign: %u vCPU(s) of our own\n", own_cpus);
	for (unsigned mpidr = own_cpus; mpidr <= LAST_MPIDR; mpidr++) {
		int on = bh_cpu_start(mpidr, foreign_cpu_main, NULL);
		int32_t affinity;

		bh_printf("psci_foreign: CPU_ON mpidr=0x%x -> %d (%s)\n", mpidr, on,
			  bh_psci_error_name(on));
		affinity = bh_psci_affinity_info(mpidr, 0);
		bh_printf("psci_foreign: AFFINITY_INFO mpidr=0x%x -> %d (%s)\n", mpidr,
			  (int)affinity, affinity_name(affinity));
	}
	bh_printf("psci_foreign: done\n");
	return 0;
}
