/* SPDX-License-Identifier: MIT */
/*
 * Stage-2 translation tables (IPA -> PA) for one partition: VMSAv8-64 with a
 * 4 KiB granule (Arm ARM D8.3, D8.5 "stage 2 memory attributes"). This file
 * only builds tables in memory, so host unit tests run it unchanged; loading
 * VTTBR/VTCR and TLB maintenance live in vcpu.c.
 */
#ifndef ARCH_STAGE2_H
#define ARCH_STAGE2_H

#include <core/types.h>

#define STAGE2_TABLE_ENTRIES 512

/* A pool of 4 KiB-aligned zeroed pages the tables are carved from. */
struct stage2_pool {
	uint64_t (*pages)[STAGE2_TABLE_ENTRIES];
	unsigned count;
	unsigned used;
};

enum stage2_kind {
	STAGE2_RAM,    /* normal write-back, read/write/execute */
	STAGE2_DEVICE, /* device nGnRE, read/write, execute-never */
	STAGE2_RO,     /* normal write-back, read-only, execute-never */
	STAGE2_SHARED, /* normal write-back, read/write, execute-never: VMBus rings */
};

struct stage2 {
	uint64_t *root;
	unsigned ipa_bits;    /* size of the IPA space */
	unsigned start_level; /* 0 or 1 */
	unsigned tables;      /* tables in use, root included */
	struct stage2_pool *pool;
};

/* Stage-2 IPA size for a CPU with pa_bits of physical address (<= 48). */
unsigned stage2_ipa_bits(unsigned pa_bits);

/* Empty tables for an IPA space of ipa_bits (32-48). */
int stage2_init(struct stage2 *s2, struct stage2_pool *pool, unsigned ipa_bits);

/*
 * Maps [ipa, ipa + size) to [pa, pa + size), page-aligned, with 1 GiB and
 * 2 MiB blocks wherever both addresses are aligned. Any overlap with an
 * existing mapping is refused (BH_EEXIST), leaving earlier mappings intact.
 */
int stage2_map(struct stage2 *s2, ipaddr_t ipa, paddr_t pa, uint64_t size, enum stage2_kind kind);

/* VTCR_EL2 value for these tables (T0SZ, SL0, 4K granule, inner-shareable WB walks, PS). */
uint64_t stage2_vtcr(const struct stage2 *s2, unsigned pa_bits);

/* Descriptor bits, exported for tests. */
#define S2_VALID	(1UL << 0)
#define S2_TABLE	(1UL << 1) /* levels 0-2: next-level table; level 3: page */
#define S2_MEMATTR(x)	((uint64_t)(x) << 2)
#define S2_MEMATTR_MASK (0xfUL << 2)
#define S2_MEMATTR_WB	S2_MEMATTR(0xf) /* outer WB, inner WB */
#define S2_MEMATTR_DEV	S2_MEMATTR(0x1) /* Device-nGnRE */
#define S2_AP_RO	(1UL << 6)
#define S2_AP_RW	(3UL << 6)
#define S2_SH_INNER	(3UL << 8)
#define S2_AF		(1UL << 10)
#define S2_XN		(1UL << 54)
#define S2_ADDR_MASK	0x0000fffffffff000UL

#endif
