/* SPDX-License-Identifier: MIT */
/*
 * Secondary CPUs: bh_cpu_start() asks PSCI CPU_ON to start a CPU at
 * crt0.S's bh_secondary_entry with the CPU's index as context id; the CPU
 * turns on its MMU, takes its own stack and arrives in bh_secondary_main().
 */
#include "internal.h"

#define MPIDR_AFF0_MASK 0xffU

enum cpu_state {
	CPU_OFF,
	CPU_STARTING, /* CPU_ON accepted, fn not called yet */
	CPU_RUNNING,
};

struct cpu_slot {
	void (*fn)(void *arg);
	void *arg;
	atomic_uint state;
};

static struct cpu_slot cpu_slots[BH_MAX_CPUS];

unsigned bh_cpu_id(void)
{
	uint64_t mpidr;

	__asm__("mrs %0, mpidr_el1" : "=r"(mpidr));
	return (unsigned)(mpidr & MPIDR_AFF0_MASK);
}

unsigned bh_cpu_count(void)
{
	struct bh_partition_info info;
	unsigned count = 0;

	if (bh_hypervisor_present()) {
		return bh_partition_info(&info) == BH_HVC_OK ? info.vcpu_count : 1;
	}
	/* Natively: AFFINITY_INFO fails (INVALID_PARAMETERS) for MPIDRs with no CPU. */
	while (count < BH_MAX_CPUS && bh_psci_affinity_info(count, 0) >= 0) {
		count++;
	}
	return count > 0 ? count : 1;
}

int bh_cpu_start(unsigned cpu, void (*fn)(void *arg), void *arg)
{
	struct cpu_slot *slot;
	unsigned expected = CPU_OFF;
	int32_t result;

	if (cpu >= BH_MAX_CPUS || fn == NULL) {
		return BH_PSCI_INVALID_PARAMETERS;
	}
	slot = &cpu_slots[cpu];
	if (!atomic_compare_exchange_strong(&slot->state, &expected, CPU_STARTING)) {
		return BH_PSCI_ALREADY_ON;
	}
	slot->fn = fn;
	slot->arg = arg;
	/* The new CPU reads its slot once its MMU is on: make the stores visible first. */
	__asm__ volatile("dsb ish" ::: "memory");
	result = bh_psci_cpu_on(cpu, (uintptr_t)bh_secondary_entry, cpu);
	if (result != BH_PSCI_SUCCESS) {
		atomic_store(&slot->state, CPU_OFF);
	}
	return result;
}

void bh_secondary_main(uint64_t cpu)
{
	struct cpu_slot *slot = &cpu_slots[cpu];

	if (bh_cpu_id() != cpu) {
		bh_printf("bulkhead-sdk: CPU started as %u has MPIDR Aff0 %u\n", (unsigned)cpu,
			  bh_cpu_id());
	}
	/* Only bh_cpu_start() sends CPUs here, but a stray CPU_ON must not call NULL. */
	if (atomic_load(&slot->state) == CPU_STARTING && slot->fn != NULL) {
		atomic_store(&slot->state, CPU_RUNNING);
		slot->fn(slot->arg);
	}
	atomic_store(&slot->state, CPU_OFF);
	bh_psci_cpu_off();
	bh_halt();
}
