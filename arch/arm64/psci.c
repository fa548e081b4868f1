// SPDX-License-Identifier: MIT
/*
 * PSCI as a caller (Arm DEN 0022, PSCI 1.1): starting CPUs, stopping them,
 * powering off and resetting the machine. At EL2 the conduit is always SMC
 * (an HVC would trap to ourselves); firmware at EL3 (TF-A on RPi4, QEMU's
 * built-in PSCI on virt) answers.
 */
#include <arch/arch.h>
#include <bulkhead/psci.h>
#include <core/log.h>

#include "percpu.h"
#include "sysreg.h"

static bool psci_available;

static int64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* SMCCC 1.0 lets the callee clobber x4-x17. */
	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

static const char *psci_error(int64_t rc)
{
	static const char *const names[] = {
		"SUCCESS",    "NOT_SUPPORTED",	 "INVALID_PARAMETERS", "DENIED",
		"ALREADY_ON", "ON_PENDING",	 "INTERNAL_FAILURE",   "NOT_PRESENT",
		"DISABLED",   "INVALID_ADDRESS",
	};
	return rc <= 0 && -rc < (int64_t)ARRAY_SIZE(names) ? names[-rc] : "unknown error";
}

uint32_t arch_psci_version(void)
{
	int64_t v = psci_call(BH_PSCI_FN_VERSION, 0, 0, 0);
	/* PSCI 0.1 has no VERSION call: firmware answers NOT_SUPPORTED (-1). */
	psci_available = v >= 0x2;
	return psci_available ? (uint32_t)v : 0;
}

/* Publishes what secondary_entry reads with its caches off. */
static void prepare_slot(unsigned index, uint64_t mpidr)
{
	struct arch_percpu *slot = &arch_percpu[index];
	slot->mpidr = mpidr;
	slot->index = index;
	slot->stack_top = (uintptr_t)hyp_stacks[index] + CONFIG_HYP_STACK_SIZE;
	dcache_clean_range((uintptr_t)slot, (uintptr_t)(slot + 1));
	mmu_clean_for_secondaries();
}

int arch_cpu_start_psci(unsigned index, uint64_t mpidr)
{
	if (index >= CONFIG_MAX_CPUS || !psci_available) {
		return BH_EINVAL;
	}
	prepare_slot(index, mpidr);
	int64_t rc = psci_call(BH_PSCI_FN_CPU_ON, mpidr, (uintptr_t)secondary_entry, 0);
	if (rc != 0) {
		log_error("PSCI CPU_ON(MPIDR 0x%llx) failed: %s (%lld)", (unsigned long long)mpidr,
			  psci_error(rc), (long long)rc);
		return BH_EIO;
	}
	return BH_OK;
}

int arch_cpu_start_spin_table(unsigned index, uint64_t mpidr, paddr_t release_addr)
{
	uint64_t addr = pa_addr(release_addr);
	if (index >= CONFIG_MAX_CPUS || !IS_ALIGNED(addr, 8)) {
		return BH_EINVAL;
	}
	/* The release address is firmware memory; it may lie outside the RAM we mapped. */
	int rc = arch_map_ram(pa_init(ALIGN_DOWN(addr, PAGE_SIZE)), PAGE_SIZE);
	if (rc != BH_OK) {
		return rc;
	}
	prepare_slot(index, mpidr);
	volatile uint64_t *release = pa_to_ptr(release_addr);
	*release = (uintptr_t)secondary_entry;
	/* The waiting CPU polls with its caches off. */
	dcache_clean_inval_range((uintptr_t)addr, (uintptr_t)addr + 8);
	dsb_sy();
	sev();
	return BH_OK;
}

_Noreturn void arch_cpu_park(void)
{
	if (psci_available) {
		psci_call(BH_PSCI_FN_CPU_OFF, 0, 0, 0); /* returns only on failure */
	}
	for (;;) {
		__asm__ volatile("msr daifset, #0xf\n\twfi" ::: "memory");
	}
}

static _Noreturn void system_power(uint32_t fn, const char *what)
{
	if (psci_available) {
		psci_call(fn, 0, 0, 0);
		log_error("PSCI %s returned: halting instead", what);
	} else {
		log_error("no PSCI firmware for %s: halting instead", what);
	}
	arch_cpu_park();
}

_Noreturn void arch_system_off(void)
{
	system_power(BH_PSCI_FN_SYSTEM_OFF, "SYSTEM_OFF");
}

_Noreturn void arch_system_reset(void)
{
	system_power(BH_PSCI_FN_SYSTEM_RESET, "SYSTEM_RESET");
}
