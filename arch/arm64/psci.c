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
		log_error("PSCI CPU_ON(MPIDR 0x%lx) failed: %s (%ld)", mpidr, psci_error(rc), rc);
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

/*
 * Branch-predictor hardening (Spectre-v2 CVE-2017-5715, Spectre-BHB
 * CVE-2022-23960) for EL2, which maps every partition's RAM, and the answers
 * guests get to SMCCC_ARCH_FEATURES(WORKAROUND_n) (DEN 0028 7.5-7.7). Computed
 * per CPU when it first runs a vCPU; vectors.S applies it on every entry from
 * a guest. Cortex-A57/A72 need a loop of 8 taken branches to overwrite the
 * branch history (Linux spectre_bhb_loop_affected(): k = 8) and firmware's
 * WORKAROUND_1 to invalidate the branch predictor (their CSV2 is 0).
 */
#define MIDR_ARM(part) (0x41U << 12 | (part))
#define CPU_A53	       MIDR_ARM(0xd03)
#define CPU_A35	       MIDR_ARM(0xd04)
#define CPU_A55	       MIDR_ARM(0xd05)
#define CPU_A57	       MIDR_ARM(0xd07)
#define CPU_A72	       MIDR_ARM(0xd08)

static int64_t firmware_feature(uint32_t fn)
{
	/* SMCCC 1.1 is discovered through PSCI_FEATURES (DEN 0028 7.2). */
	if (!psci_available || psci_call(BH_PSCI_FN_FEATURES, BH_SMCCC_FN_VERSION, 0, 0) < 0 ||
	    (int32_t)psci_call(BH_SMCCC_FN_VERSION, 0, 0, 0) < (int32_t)BH_SMCCC_VERSION_1_1) {
		return BH_SMCCC_NOT_SUPPORTED;
	}
	return (int32_t)psci_call(BH_SMCCC_FN_ARCH_FEATURES, fn, 0, 0);
}

void arch_spectre_cpu_init(void)
{
	struct arch_percpu *cpu = &arch_percpu[arch_cpu_index()];
	if (cpu->guest_wa[0] != 0) {
		return; /* done at this CPU's first vCPU start */
	}
	uint64_t midr = read_sysreg(midr_el1);
	uint32_t core = ((uint32_t)(midr >> 12) & 0xff000U) | ((uint32_t)(midr >> 4) & 0xfffU);
	bool simple = core == CPU_A53 || core == CPU_A35 || core == CPU_A55;	      /* in order */
	bool v2_safe = simple || ((read_sysreg(id_aa64pfr0_el1) >> 56) & 0xf) != 0;   /* CSV2 */
	bool bhb_safe = simple || ((read_sysreg(id_aa64mmfr1_el1) >> 60) & 0xf) != 0; /* ECBHB */
	int64_t fw1 = firmware_feature(BH_SMCCC_FN_WORKAROUND_1);
	int64_t fw2 = firmware_feature(BH_SMCCC_FN_WORKAROUND_2);
	int64_t fw3 = firmware_feature(BH_SMCCC_FN_WORKAROUND_3);

	v2_safe = v2_safe || fw1 == BH_SMCCC_WA_UNAFFECTED;
	bhb_safe = bhb_safe || fw3 == BH_SMCCC_WA_UNAFFECTED;
	if (!bhb_safe && (core == CPU_A57 || core == CPU_A72)) {
		cpu->bhb_loops = 8;
	} else if (!bhb_safe && fw3 == BH_SMCCC_SUCCESS) {
		cpu->fw_call = BH_SMCCC_FN_WORKAROUND_3; /* covers Spectre-v2 too */
	}
	if (!v2_safe && cpu->fw_call == 0 && fw1 == BH_SMCCC_SUCCESS) {
		cpu->fw_call = BH_SMCCC_FN_WORKAROUND_1;
	}
	bool v2_done = v2_safe || cpu->fw_call != 0;
	bool bhb_done = bhb_safe || cpu->bhb_loops != 0 || cpu->fw_call == BH_SMCCC_FN_WORKAROUND_3;
	/* Stored +2 so that 0 means "not computed yet". */
	cpu->guest_wa[0] = (int8_t)(2 + (v2_safe   ? BH_SMCCC_WA_UNAFFECTED
					 : v2_done ? BH_SMCCC_SUCCESS
						   : BH_SMCCC_NOT_SUPPORTED));
	cpu->guest_wa[2] = (int8_t)(2 + (v2_safe && bhb_safe   ? BH_SMCCC_WA_UNAFFECTED
					 : v2_done && bhb_done ? BH_SMCCC_SUCCESS
							       : BH_SMCCC_NOT_SUPPORTED));
	/*
	 * Speculative Store Bypass: a dynamic firmware mitigation is turned on
	 * for good, so no guest needs to call it (NOT_REQUIRED); without one the
	 * guest is told the truth (NOT_SUPPORTED: vulnerable).
	 */
	if (fw2 == BH_SMCCC_SUCCESS) {
		psci_call(BH_SMCCC_FN_WORKAROUND_2, 1, 0, 0);
	}
	cpu->guest_wa[1] = (int8_t)(2 + (fw2 == BH_SMCCC_NOT_SUPPORTED ? BH_SMCCC_NOT_SUPPORTED
								       : BH_SMCCC_NOT_REQUIRED));
}

int64_t arch_smccc_workaround(uint32_t fn)
{
	const struct arch_percpu *cpu = &arch_percpu[arch_cpu_index()];
	switch (fn) {
	case BH_SMCCC_FN_WORKAROUND_1:
		return cpu->guest_wa[0] - 2;
	case BH_SMCCC_FN_WORKAROUND_2:
		return cpu->guest_wa[1] - 2;
	case BH_SMCCC_FN_WORKAROUND_3:
		return cpu->guest_wa[2] - 2;
	default:
		return BH_SMCCC_NOT_SUPPORTED;
	}
}
