/* SPDX-License-Identifier: MIT */
/*
 * System register bits Bulkhead uses at EL2. Values from the Arm ARM
 * (DDI 0487), chapter D17 "AArch64 System Register Descriptions".
 * Only arch/arm64 includes this file: core/ never touches a system register.
 */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

/* CurrentEL.EL, bits [3:2] */
#define CURRENTEL_EL2 (2 << 2)

/* SCTLR_EL2 (E2H == 0): RES1 bits 29,28,23,22,18,16,11,5,4 */
#define SCTLR_EL2_RES1 0x30c50830
#define SCTLR_M	       (1 << 0)	 /* stage-1 MMU */
#define SCTLR_A	       (1 << 1)	 /* alignment check */
#define SCTLR_C	       (1 << 2)	 /* data cacheability */
#define SCTLR_SA       (1 << 3)	 /* SP alignment check */
#define SCTLR_I	       (1 << 12) /* instruction cacheability */
#define SCTLR_WXN      (1 << 19) /* writable implies execute-never */

/* CPTR_EL2 (E2H == 0): RES1 13, 9, 7:0; TZ (8) and TSM (12) trap SVE/SME. */
#define CPTR_EL2_DEFAULT 0x33ff /* TFP (10) = 0: EL2 may use FP/SIMD */

/* HCR_EL2 */
#define HCR_RW (1UL << 31) /* EL1 is AArch64 */

/* TCR_EL2 (E2H == 0) */
#define TCR_EL2_RES1	 ((1UL << 31) | (1UL << 23))
#define TCR_T0SZ(bits)	 ((64UL - (bits)) << 0)
#define TCR_IRGN0_WBWA	 (1UL << 8)
#define TCR_ORGN0_WBWA	 (1UL << 10)
#define TCR_SH0_INNER	 (3UL << 12)
#define TCR_TG0_4K	 (0UL << 14)
#define TCR_EL2_PS_SHIFT 16

/* MAIR attribute indexes used in descriptors */
#define MAIR_IDX_DEVICE_nGnRnE 0
#define MAIR_IDX_DEVICE_nGnRE  1
#define MAIR_IDX_NORMAL	       2
#define MAIR_IDX_NORMAL_NC     3
#define MAIR_EL2_VALUE	       (0x00UL | (0x04UL << 8) | (0xffUL << 16) | (0x44UL << 24))

/* ID_AA64MMFR0_EL1.PARange, bits [3:0] */
#define ID_AA64MMFR0_PARANGE_MASK 0xfUL

/* DCZID_EL0: DC ZVA block size, log2 of 4-byte words [3:0]; DZP [4] prohibits DC ZVA. */
#define DCZID_BS_MASK 0xfUL
#define DCZID_DZP     (1UL << 4)

/* MPIDR_EL1 affinity fields Aff3 [39:32], Aff2..Aff0 [23:0] */
#define MPIDR_AFFINITY_MASK 0xff00ffffffUL

/* DAIF bits as used by msr daifset/daifclr */
#define DAIF_ALL 0xf

/* ESR_EL2 (D17.2.37): exception class EC [31:26], IL [25], syndrome ISS [24:0]. */
#define ESR_EC(esr)	((uint32_t)((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)	((uint32_t)(esr)&0x1ffffff)
#define ESR_EC_UNKNOWN	0x00
#define ESR_EC_WFX	0x01
#define ESR_EC_FP	0x07
#define ESR_EC_ILLEGAL	0x0e
#define ESR_EC_SVC32	0x11
#define ESR_EC_HVC32	0x12
#define ESR_EC_SMC32	0x13
#define ESR_EC_SVC64	0x15
#define ESR_EC_HVC64	0x16
#define ESR_EC_SMC64	0x17
#define ESR_EC_SYSREG	0x18 /* MSR, MRS or system instruction */
#define ESR_EC_IABT_LOW 0x20 /* instruction abort from a lower EL */
#define ESR_EC_IABT_CUR 0x21 /* instruction abort at EL2 */
#define ESR_EC_PC_ALIGN 0x22
#define ESR_EC_DABT_LOW 0x24 /* data abort from a lower EL */
#define ESR_EC_DABT_CUR 0x25 /* data abort at EL2 */
#define ESR_EC_SP_ALIGN 0x26
#define ESR_EC_SERROR	0x2f
#define ESR_EC_BRK	0x3c

#ifndef __ASSEMBLER__
#include <stdint.h>

#define read_sysreg(reg)                                        \
	({                                                      \
		uint64_t _val;                                  \
		__asm__ volatile("mrs %0, " #reg : "=r"(_val)); \
		_val;                                           \
	})

#define write_sysreg(reg, val)                                       \
	do {                                                         \
		uint64_t _wval = (uint64_t)(val);                    \
		__asm__ volatile("msr " #reg ", %0" : : "r"(_wval)); \
	} while (0)

static inline void isb(void)
{
	__asm__ volatile("isb" ::: "memory");
}

static inline void dsb_sy(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static inline void dsb_ish(void)
{
	__asm__ volatile("dsb ish" ::: "memory");
}

static inline void dsb_ishst(void)
{
	__asm__ volatile("dsb ishst" ::: "memory");
}

static inline void sev(void)
{
	__asm__ volatile("sev" ::: "memory");
}

static inline void wfi(void)
{
	__asm__ volatile("wfi" ::: "memory");
}
#endif

#endif
