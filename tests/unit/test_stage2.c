// SPDX-License-Identifier: MIT
/*
 * Stage-2 table builder (arch/arm64/stage2.c) on the host: block use, page
 * fallback, alignment checks, overlap refusal, attributes, VTCR encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <arch/stage2.h>

#define POOL_PAGES 64

static uint64_t (*pool_pages)[STAGE2_TABLE_ENTRIES];
static struct stage2_pool pool;
static struct stage2 s2;

/* The tests speak in plain numbers: IPA first, PA second. */
static int map(struct stage2 *t, uint64_t ipa, uint64_t pa, uint64_t size, enum stage2_kind kind)
{
	return stage2_map(t, ipa_init(ipa), pa_init(pa), size, kind);
}

/*
 * Walks the tables as the MMU does (the hypervisor never reads them back):
 * true and the PA, block size and descriptor if ipa is mapped.
 */
static bool lookup(const struct stage2 *t, uint64_t ipa, uint64_t *pa, uint64_t *block,
		   uint64_t *desc)
{
	const uint64_t *table = t->root;
	if (ipa >= (1UL << t->ipa_bits)) {
		return false;
	}
	for (unsigned level = t->start_level; level <= 3; level++) {
		unsigned shift = 39U - 9U * level;
		*desc = table[(ipa >> shift) & 511];
		*block = 1UL << shift;
		if ((*desc & S2_VALID) == 0) {
			return false;
		}
		if (level < 3 && (*desc & S2_TABLE) != 0) {
			table = (const uint64_t *)(uintptr_t)(*desc & S2_ADDR_MASK);
			continue;
		}
		*pa = (*desc & S2_ADDR_MASK & ~(*block - 1)) | (ipa & (*block - 1));
		return true;
	}
	return false;
}

static int setup(void **state)
{
	(void)state;
	pool_pages = aligned_alloc(4096, POOL_PAGES * 4096);
	if (pool_pages == NULL) {
		return -1;
	}
	pool = (struct stage2_pool){pool_pages, POOL_PAGES, 0};
	return stage2_init(&s2, &pool, 44) == BH_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(pool_pages);
	return 0;
}

static void expect_mapping(uint64_t ipa, uint64_t pa, uint64_t block)
{
	uint64_t out_pa, out_block, desc;
	assert_true(lookup(&s2, ipa, &out_pa, &out_block, &desc));
	assert_int_equal(out_pa, pa);
	assert_int_equal(out_block, block);
}

static void test_gigabyte_block(void **state)
{
	(void)state;
	assert_int_equal(map(&s2, 0x40000000, 0x80000000, 0x40000000, STAGE2_RAM), BH_OK);
	expect_mapping(0x40000000, 0x80000000, 1UL << 30);
	expect_mapping(0x7ffff123, 0xbffff123, 1UL << 30);
	/* root + one level-1 table: no level 2 or 3 needed */
	assert_int_equal(s2.tables, 2);
}

static void test_two_megabyte_blocks_and_pages(void **state)
{
	(void)state;
	/* 2 MiB-aligned but 4 KiB-misaligned tail: blocks first, then pages. */
	assert_int_equal(map(&s2, 0x40000000, 0x48000000, 0x00203000, STAGE2_RAM), BH_OK);
	expect_mapping(0x40000000, 0x48000000, 1UL << 21);
	expect_mapping(0x40200000, 0x48200000, 1UL << 12);
	expect_mapping(0x40202000, 0x48202000, 1UL << 12);
	uint64_t pa, block, desc;
	assert_false(lookup(&s2, 0x40203000, &pa, &block, &desc));
}

static void test_misaligned_pa_uses_pages(void **state)
{
	(void)state;
	/* IPA 2 MiB aligned but PA only 4 KiB aligned: no block is possible. */
	assert_int_equal(map(&s2, 0x40000000, 0x48001000, 0x200000, STAGE2_RAM), BH_OK);
	expect_mapping(0x40000000, 0x48001000, 1UL << 12);
	expect_mapping(0x401ff000, 0x48200000, 1UL << 12);
}

static void test_rejects_bad_input(void **state)
{
	(void)state;
	assert_int_equal(map(&s2, 0x40000800, 0x48000000, 0x1000, STAGE2_RAM), BH_EINVAL);
	assert_int_equal(map(&s2, 0x40000000, 0x48000000, 0x800, STAGE2_RAM), BH_EINVAL);
	assert_int_equal(map(&s2, 0x40000000, 0x48000000, 0, STAGE2_RAM), BH_EINVAL);
	assert_int_equal(map(&s2, 1UL << 44, 0x48000000, 0x1000, STAGE2_RAM), BH_ERANGE);
	assert_int_equal(map(&s2, (1UL << 44) - 0x1000, 0, 0x2000, STAGE2_RAM), BH_ERANGE);
}

static void test_overlap_refused_and_left_intact(void **state)
{
	(void)state;
	assert_int_equal(map(&s2, 0x40000000, 0x48000000, 0x200000, STAGE2_RAM), BH_OK);
	/* Overlaps the last page of the block. */
	assert_int_equal(map(&s2, 0x401ff000, 0x50000000, 0x2000, STAGE2_RAM), BH_EEXIST);
	expect_mapping(0x401ff000, 0x481ff000, 1UL << 21);
	uint64_t pa, block, desc;
	/* Nothing of the refused range was mapped. */
	assert_false(lookup(&s2, 0x40200000, &pa, &block, &desc));
	/* A page-level mapping inside an existing table is refused too. */
	assert_int_equal(map(&s2, 0x40400000, 0x49000000, 0x1000, STAGE2_RAM), BH_OK);
	assert_int_equal(map(&s2, 0x40200000, 0x4a000000, 0x400000, STAGE2_RAM), BH_EEXIST);
	/* Adjacent is fine. */
	assert_int_equal(map(&s2, 0x40200000, 0x4a000000, 0x200000, STAGE2_RAM), BH_OK);
}

static void test_attributes(void **state)
{
	(void)state;
	uint64_t pa, block, desc;
	assert_int_equal(map(&s2, 0x09000000, 0x09000000, 0x1000, STAGE2_DEVICE), BH_OK);
	assert_int_equal(map(&s2, 0x40000000, 0x48000000, 0x200000, STAGE2_RAM), BH_OK);
	assert_int_equal(map(&s2, 0x50000000, 0x58000000, 0x1000, STAGE2_RO), BH_OK);

	assert_true(lookup(&s2, 0x09000000, &pa, &block, &desc));
	assert_int_equal(desc & S2_MEMATTR_MASK, S2_MEMATTR_DEV);
	assert_true((desc & S2_XN) != 0);
	assert_int_equal(desc & S2_AP_RW, S2_AP_RW);

	assert_true(lookup(&s2, 0x40000000, &pa, &block, &desc));
	assert_int_equal(desc & S2_MEMATTR_MASK, S2_MEMATTR_WB);
	assert_true((desc & S2_XN) == 0);
	assert_true((desc & S2_AF) != 0);
	assert_int_equal(desc & (3UL << 8), S2_SH_INNER);
	assert_int_equal(desc & 3, S2_VALID); /* a block descriptor at level 2 */

	assert_true(lookup(&s2, 0x50000000, &pa, &block, &desc));
	assert_int_equal(desc & S2_AP_RW, S2_AP_RO);
	assert_int_equal(desc & 3, S2_VALID | S2_TABLE); /* a page descriptor at level 3 */
}

static void test_pool_exhaustion(void **state)
{
	(void)state;
	/* Every page in its own 2 MiB region needs a new level-3 table. */
	int rc = BH_OK;
	unsigned mapped = 0;
	for (uint64_t i = 0; i < POOL_PAGES + 4 && rc == BH_OK; i++) {
		rc = map(&s2, 0x40000000 + i * 0x200000 + 0x1000, 0x1000, 0x1000, STAGE2_RAM);
		mapped += rc == BH_OK;
	}
	assert_int_equal(rc, BH_ENOMEM);
	assert_true(mapped > 0);
	assert_int_equal(pool.used, pool.count);
}

static void test_levels_and_vtcr(void **state)
{
	(void)state;
	struct stage2 small;
	/* 44-bit IPA: start at level 0, T0SZ 20, SL0 = 2, PS = 44 bits (4). */
	uint64_t vtcr = stage2_vtcr(&s2, 44);
	assert_int_equal(s2.start_level, 0);
	assert_int_equal(vtcr & 0x3f, 20);
	assert_int_equal((vtcr >> 6) & 3, 2);
	assert_int_equal((vtcr >> 16) & 7, 4);
	assert_int_equal((vtcr >> 14) & 3, 0);
	assert_true((vtcr & (1UL << 31)) != 0);

	/* 36-bit IPA: start at level 1, T0SZ 28, SL0 = 1, PS = 36 bits (1). */
	assert_int_equal(stage2_init(&small, &pool, 36), BH_OK);
	vtcr = stage2_vtcr(&small, 36);
	assert_int_equal(small.start_level, 1);
	assert_int_equal(vtcr & 0x3f, 28);
	assert_int_equal((vtcr >> 6) & 3, 1);
	assert_int_equal((vtcr >> 16) & 7, 1);
	assert_int_equal(map(&small, 0x40000000, 0x40000000, 0x40000000, STAGE2_RAM), BH_OK);
	uint64_t pa, block, desc;
	assert_true(lookup(&small, 0x40001000, &pa, &block, &desc));
	assert_int_equal(pa, 0x40001000);
	assert_int_equal(block, 1UL << 30);
	assert_false(lookup(&s2, 0x40001000, &pa, &block, &desc));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gigabyte_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_megabyte_blocks_and_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_pa_uses_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_refused_and_left_intact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels_and_vtcr, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
