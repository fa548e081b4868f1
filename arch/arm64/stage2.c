// SPDX-License-Identifier: MIT
/*
 * Stage-2 table building. Pure memory manipulation: no system registers, so
 * the host unit tests compile this file as it is. Table addresses are
 * physical (the hypervisor is identity-mapped; on the host they are just
 * pointers).
 */
#include <arch/stage2.h>

#define LEVEL_SHIFT(level) (39U - 9U * (level))
#define BLOCK_SIZE(level)  (1UL << LEVEL_SHIFT(level))

static uint64_t *table_of(uint64_t desc)
{
	return pa_to_ptr(pa_init(desc & S2_ADDR_MASK));
}

static uint64_t *pool_alloc(struct stage2_pool *pool)
{
	if (pool->used == pool->count) {
		return NULL;
	}
	uint64_t *t = pool->pages[pool->used++];
	for (unsigned i = 0; i < STAGE2_TABLE_ENTRIES; i++) {
		t[i] = 0;
	}
	return t;
}

unsigned stage2_ipa_bits(unsigned pa_bits)
{
	return pa_bits > 48 ? 48 : pa_bits;
}

int stage2_init(struct stage2 *s2, struct stage2_pool *pool, unsigned ipa_bits)
{
	if (ipa_bits < 32 || ipa_bits > 48) {
		return BH_ERANGE;
	}
	s2->pool = pool;
	s2->ipa_bits = ipa_bits;
	/* 4 KiB granule: a level-1 root covers up to 39 bits without concatenation. */
	s2->start_level = ipa_bits > 39 ? 0 : 1;
	s2->root = pool_alloc(pool);
	s2->tables = 1;
	return s2->root != NULL ? BH_OK : BH_ENOMEM;
}

static uint64_t leaf_attrs(enum stage2_kind kind)
{
	static const uint64_t attrs[] = {
		[STAGE2_RAM] = S2_MEMATTR_WB | S2_AP_RW | S2_SH_INNER | S2_AF,
		[STAGE2_DEVICE] = S2_MEMATTR_DEV | S2_AP_RW | S2_AF | S2_XN,
		[STAGE2_RO] = S2_MEMATTR_WB | S2_AP_RO | S2_SH_INNER | S2_AF | S2_XN,
		[STAGE2_SHARED] = S2_MEMATTR_WB | S2_AP_RW | S2_SH_INNER | S2_AF | S2_XN,
	};
	return (unsigned)kind < ARRAY_SIZE(attrs) ? attrs[kind] : attrs[STAGE2_RAM];
}

/* True if nothing in [ipa, ipa + size) is mapped below `table` at `level`. */
static bool range_free(const uint64_t *table, unsigned level, uint64_t ipa, uint64_t size)
{
	while (size > 0) {
		uint64_t block = BLOCK_SIZE(level);
		uint64_t desc = table[(ipa >> LEVEL_SHIFT(level)) & 511];
		uint64_t step = MIN(block - (ipa & (block - 1)), size);

		if ((desc & S2_VALID) != 0) {
			if (level == 3 || (desc & S2_TABLE) == 0) {
				return false;
			}
			if (!range_free(table_of(desc), level + 1, ipa, step)) {
				return false;
			}
		}
		ipa += step;
		size -= step;
	}
	return true;
}

int stage2_map(struct stage2 *s2, ipaddr_t to, paddr_t from, uint64_t size, enum stage2_kind kind)
{
	uint64_t ipa = ipa_addr(to);
	uint64_t pa = pa_addr(from);

	if (size == 0 || !IS_ALIGNED(ipa | pa | size, PAGE_SIZE)) {
		return BH_EINVAL;
	}
	if (ipa + size < ipa || ipa + size > (1UL << s2->ipa_bits) || pa + size < pa ||
	    pa + size > (1UL << 48)) {
		return BH_ERANGE;
	}
	if (!range_free(s2->root, s2->start_level, ipa, size)) {
		return BH_EEXIST;
	}
	uint64_t attrs = leaf_attrs(kind);
	while (size > 0) {
		uint64_t *table = s2->root;
		for (unsigned level = s2->start_level;; level++) {
			uint64_t block = BLOCK_SIZE(level);
			uint64_t *entry = &table[(ipa >> LEVEL_SHIFT(level)) & 511];
			/* Level 0 cannot hold blocks with a 4 KiB granule. */
			bool fits = level >= 1 && IS_ALIGNED(ipa | pa, block) && size >= block;

			if (level == 3 || (fits && (*entry & S2_VALID) == 0)) {
				*entry = pa | attrs | S2_VALID | (level == 3 ? S2_TABLE : 0);
				ipa += block;
				pa += block;
				size -= block;
				break;
			}
			if ((*entry & S2_VALID) == 0) {
				uint64_t *next = pool_alloc(s2->pool);
				if (next == NULL) {
					return BH_ENOMEM;
				}
				s2->tables++;
				*entry = pa_addr(pa_from_ptr(next)) | S2_TABLE | S2_VALID;
			}
			table = table_of(*entry);
		}
	}
	return BH_OK;
}

uint64_t stage2_vtcr(const struct stage2 *s2, unsigned pa_bits)
{
	static const unsigned ps_bits[] = {32, 36, 40, 42, 44, 48};
	uint64_t ps = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(ps_bits); i++) {
		if (ps_bits[i] <= pa_bits) {
			ps = i;
		}
	}
	uint64_t sl0 = s2->start_level == 0 ? 2 : 1;
	return (1UL << 31) | /* RES1 */
	       (ps << 16) |  /* PS: physical address size */
	       /* TG0 = 0: 4 KiB granule */
	       (3UL << 12) |		      /* SH0: inner shareable walks */
	       (1UL << 10) | (1UL << 8) |     /* ORGN0, IRGN0: write-back, write-allocate */
	       (sl0 << 6) |		      /* SL0: starting level */
	       (uint64_t)(64 - s2->ipa_bits); /* T0SZ */
}
