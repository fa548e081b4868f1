/* SPDX-License-Identifier: MIT */
/*
 * PSCI (Arm DEN 0022, PSCI 1.1) and SMCCC (Arm DEN 0028) identifiers: one
 * copy for the hypervisor (caller at EL2, emulator for guests), the SDK and
 * host tools. Plain constants, no code.
 */
#ifndef BULKHEAD_PSCI_H
#define BULKHEAD_PSCI_H

/* Function IDs (DEN 0022 5.1); _64 are the SMC64 forms. */
#define BH_PSCI_FN_VERSION	     0x84000000U
#define BH_PSCI_FN_CPU_SUSPEND	     0x84000001U
#define BH_PSCI_FN_CPU_SUSPEND_64    0xc4000001U
#define BH_PSCI_FN_CPU_OFF	     0x84000002U
#define BH_PSCI_FN_CPU_ON_32	     0x84000003U
#define BH_PSCI_FN_CPU_ON	     0xc4000003U
#define BH_PSCI_FN_AFFINITY_INFO_32  0x84000004U
#define BH_PSCI_FN_AFFINITY_INFO     0xc4000004U
#define BH_PSCI_FN_MIGRATE_INFO_TYPE 0x84000006U
#define BH_PSCI_FN_SYSTEM_OFF	     0x84000008U
#define BH_PSCI_FN_SYSTEM_RESET	     0x84000009U
#define BH_PSCI_FN_FEATURES	     0x8400000aU
#define BH_SMCCC_FN_VERSION	     0x80000000U
#define BH_SMCCC_FN_ARCH_FEATURES    0x80000001U
/* DEN 0028 7.5-7.7: firmware mitigations for CVE-2017-5715, -2018-3639, -2022-23960. */
#define BH_SMCCC_FN_WORKAROUND_1     0x80008000U
#define BH_SMCCC_FN_WORKAROUND_2     0x80007fffU
#define BH_SMCCC_FN_WORKAROUND_3     0x80003fffU
/* Function ID owner, bits [29:24] (DEN 0028 2.5): 6 is "vendor specific hypervisor". */
#define BH_SMCCC_OWNER(fn)	     (((fn) >> 24) & 0x3fU)
#define BH_SMCCC_OWNER_VENDOR_HYP    6U

/* Return codes (DEN 0022 5.2.2). */
#define BH_PSCI_SUCCESS		   0
#define BH_PSCI_NOT_SUPPORTED	   (-1)
#define BH_PSCI_INVALID_PARAMETERS (-2)
#define BH_PSCI_DENIED		   (-3)
#define BH_PSCI_ALREADY_ON	   (-4)
#define BH_PSCI_ON_PENDING	   (-5)
#define BH_PSCI_INTERNAL_FAILURE   (-6)
#define BH_PSCI_NOT_PRESENT	   (-7)
#define BH_PSCI_DISABLED	   (-8)
#define BH_PSCI_INVALID_ADDRESS	   (-9)

/* AFFINITY_INFO results */
#define BH_PSCI_AFFINITY_ON	    0
#define BH_PSCI_AFFINITY_OFF	    1
#define BH_PSCI_AFFINITY_ON_PENDING 2

/* MIGRATE_INFO_TYPE: no Trusted OS that would need migrating. */
#define BH_PSCI_MIGRATE_NOT_NEEDED 2

#define BH_PSCI_VERSION_1_1  0x00010001U /* major << 16 | minor */
#define BH_SMCCC_VERSION_1_1 0x00010001U

/* SMCCC return codes (DEN 0028 7.1); ARCH_FEATURES(WORKAROUND_n) answers 1 for "this PE is not
 * affected". */
#define BH_SMCCC_SUCCESS       0
#define BH_SMCCC_NOT_SUPPORTED (-1)
#define BH_SMCCC_NOT_REQUIRED  (-2)
#define BH_SMCCC_WA_UNAFFECTED 1

#endif
