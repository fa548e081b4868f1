/* SPDX-License-Identifier: MIT */
/*
 * PSCI (DEN 0022) through the conduit chosen at build time: SMC in a Bulkhead
 * partition (Bulkhead emulates it, scoped to the partition), HVC natively on
 * QEMU's virt machine without EL2.
 */
#include "internal.h"

#if defined(BH_PSCI_CONDUIT_HVC) && BH_PSCI_CONDUIT_HVC
#define PSCI_CONDUIT_INSTRUCTION "hvc #0"
#else
#define PSCI_CONDUIT_INSTRUCTION "smc #0"
#endif

static int32_t psci_call(uint32_t function_id, uint64_t arg1, uint64_t arg2, uint64_t arg3)
{
	register uint64_t x0 __asm__("x0") = function_id;
	register uint64_t x1 __asm__("x1") = arg1;
	register uint64_t x2 __asm__("x2") = arg2;
	register uint64_t x3 __asm__("x3") = arg3;

	/* SMCCC 1.0 lets the callee clobber x4-x17; be as pessimistic for x1-x3. */
	__asm__ volatile(PSCI_CONDUIT_INSTRUCTION
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return (int32_t)x0;
}

int32_t bh_psci_version(void)
{
	return psci_call(BH_PSCI_FN_VERSION, 0, 0, 0);
}

int32_t bh_psci_cpu_on(uint64_t target_mpidr, uintptr_t entry_point, uint64_t context_id)
{
	return psci_call(BH_PSCI_FN_CPU_ON, target_mpidr, entry_point, context_id);
}

int32_t bh_psci_cpu_off(void)
{
	return psci_call(BH_PSCI_FN_CPU_OFF, 0, 0, 0);
}

int32_t bh_psci_affinity_info(uint64_t target_mpidr, uint32_t lowest_affinity_level)
{
	return psci_call(BH_PSCI_FN_AFFINITY_INFO, target_mpidr, lowest_affinity_level, 0);
}

int32_t bh_psci_system_off(void)
{
	return psci_call(BH_PSCI_FN_SYSTEM_OFF, 0, 0, 0);
}

int32_t bh_psci_system_reset(void)
{
	return psci_call(BH_PSCI_FN_SYSTEM_RESET, 0, 0, 0);
}

int32_t bh_psci_features(uint32_t function_id)
{
	return psci_call(BH_PSCI_FN_FEATURES, function_id, 0, 0);
}

const char *bh_psci_error_name(int32_t code)
{
	static const char *const names[] = {
		"SUCCESS",    "NOT_SUPPORTED",	 "INVALID_PARAMETERS", "DENIED",
		"ALREADY_ON", "ON_PENDING",	 "INTERNAL_FAILURE",   "NOT_PRESENT",
		"DISABLED",   "INVALID_ADDRESS",
	};

	if (code > 0 || code <= -(int32_t)(sizeof(names) / sizeof(names[0]))) {
		return "unknown";
	}
	return names[-code];
}
