// SPDX-License-Identifier: MIT
/*
 * The hypervisor's own EL2 stage-1 address space: an identity map (VA ==
 * PA) with a 4 KiB granule and a 48-bit VA (levels 0-3), Arm ARM D8.3
 * "Translation table descriptor formats". The image is mapped W^X: text
 * read-only and executable, read-only data read-only, data and bss
 * writable and execute-never; SCTLR_EL2.WXN enforces it in hardware too.
 * Everything else mapped later (RAM, devices) is execute-never.
 *
 * Early calls run with the MMU off: no unaligned accesses (-mstrict-align),
 * and all writes go straight to memory.
 */
#include <arch/arch.h>
#include <core/lock.h>
#include <core/log.h>

#include "percpu.h"
#include "sysreg.h"

#define PTE_VALID     (1UL << 0)
#define PTE_TABLE     (1UL << 1) /* levels 0-2: next-level table */
#define PTE_PAGE      (1UL << 1) /* level 3: page */
#define PTE_ATTR(idx) ((uint64_t)(idx) << 2)
#define PTE_AP_RES1   (1UL << 6) /* AP[1] is RES1 in the EL2 regime */
#define PTE_AP_RO     (1UL << 7)
#define PTE_SH_INNER  (3UL << 8)
#define PTE_AF	      (1UL << 10)
#define PTE_XN	      (1UL << 54)
#define PTE_ADDR_MASK 0x0000fffffffff000UL

#define ATTR_NORMAL (PTE_ATTR(MAIR_IDX_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_AP_RES1)
#define ATTR_TEXT   (ATTR_NORMAL | PTE_AP_RO)
#define ATTR_RODATA (ATTR_NORMAL | PTE_AP_RO | PTE_XN)
#define ATTR_RWDATA (ATTR_NORMAL | PTE_XN)
#define ATTR_DEVICE (PTE_ATTR(MAIR_IDX_DEVICE_nGnRE) | PTE_AF | PTE_AP_RES1 | PTE_XN)

#define VA_BITS 48

typedef uint64_t pte_t;

static pte_t page_tables[CONFIG_HYP_PAGE_TABLES][512] __attribute__((aligned(4096)));
static unsigned page_tables_used;
static pte_t *root_table;
static spinlock_t mmu_lock;

/* Values every CPU loads to turn its MMU on (read with the MMU off). */
static struct {
	uint64_t mair, tcr, ttbr, sctlr;
} mmu_regs;

static pte_t *table_alloc(void)
{
	if (page_tables_used == CONFIG_HYP_PAGE_TABLES) {
		return NULL;
	}
	pte_t *t = page_tables[page_tables_used++];
	for (unsigned i = 0; i < 512; i++) {
		t[i] = 0;
	}
	return t;
}

/*
 * Maps [va, va + size) to pa with the largest blocks alignment allows.
 * Parts already mapped are left as they are when keep_existing is set
 * (RAM around the image and device tree), an error otherwise unless the
 * entry is identical.
 */
static int map_range(uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs, bool keep_existing)
{
	while (size > 0) {
		pte_t *table = root_table;
		for (unsigned level = 0;; level++) {
			unsigned shift = 39 - 9 * level;
			uint64_t block = 1UL << shift;
			pte_t *entry = &table[(va >> shift) & 511];
			bool can_block = level >= 1 && IS_ALIGNED(va | pa, block) && size >= block;

			if ((*entry & PTE_VALID) != 0 &&
			    (level == 3 || (*entry & PTE_TABLE) == 0)) {
				/* Already mapped by a page or block at this level. */
				pte_t want = pa | attrs | PTE_VALID | (level == 3 ? PTE_PAGE : 0);
				if (!keep_existing && (!can_block || *entry != want)) {
					return BH_EEXIST;
				}
				uint64_t step = block - (va & (block - 1));
				step = MIN(step, size);
				va += step;
				pa += step;
				size -= step;
				break;
			}
			if ((*entry & PTE_VALID) == 0 && (can_block || level == 3)) {
				*entry = pa | attrs | PTE_VALID | (level == 3 ? PTE_PAGE : 0);
				va += block;
				pa += block;
				size -= block;
				break;
			}
			if ((*entry & PTE_VALID) == 0) {
				pte_t *next = table_alloc();
				if (next == NULL) {
					return BH_ENOMEM;
				}
				*entry = (uint64_t)(uintptr_t)next | PTE_TABLE | PTE_VALID;
			}
			table = (pte_t *)(uintptr_t)(*entry & PTE_ADDR_MASK);
		}
	}
	/* Only invalid -> valid changes: no TLB maintenance, just order the writes. */
	dsb_ishst();
	isb();
	return BH_OK;
}

static int map_checked(paddr_t base, uint64_t size, uint64_t attrs, bool keep_existing)
{
	uint64_t start = ALIGN_DOWN(pa_addr(base), PAGE_SIZE);
	uint64_t end = ALIGN_UP(pa_addr(base) + size, PAGE_SIZE);

	if (size == 0 || end <= start || end > (1UL << VA_BITS)) {
		return BH_ERANGE;
	}
	spin_lock(&mmu_lock);
	int rc = map_range(start, start, end - start, attrs, keep_existing);
	spin_unlock(&mmu_lock);
	return rc;
}

int arch_map_device(paddr_t base, uint64_t size)
{
	return map_checked(base, size, ATTR_DEVICE, false);
}

int arch_map_ram(paddr_t base, uint64_t size)
{
	return map_checked(base, size, ATTR_RWDATA, true);
}

paddr_t arch_image_start(void)
{
	return pa_init((uintptr_t)_start);
}

paddr_t arch_image_end(void)
{
	return pa_init((uintptr_t)_end);
}

/* Runs on the boot CPU with the MMU off; failure here cannot be reported yet. */
void mmu_init_early(uintptr_t dtb, size_t dtb_size, uintptr_t early_uart)
{
	uintptr_t text = (uintptr_t)_start;
	uintptr_t rodata = (uintptr_t)_etext;
	uintptr_t data = (uintptr_t)_erodata;
	uintptr_t end = (uintptr_t)_end;
	int rc;

	root_table = table_alloc();
	rc = map_range(text, text, rodata - text, ATTR_TEXT, false);
	if (rc == BH_OK) {
		rc = map_range(rodata, rodata, data - rodata, ATTR_RODATA, false);
	}
	if (rc == BH_OK) {
		rc = map_range(data, data, end - data, ATTR_RWDATA, false);
	}
	if (rc == BH_OK && dtb_size > 0) {
		uintptr_t start = ALIGN_DOWN(dtb, PAGE_SIZE);
		rc = map_range(start, start, ALIGN_UP(dtb + dtb_size, PAGE_SIZE) - start,
			       ATTR_RODATA, true);
	}
	if (rc == BH_OK && early_uart != 0) {
		rc = map_range(early_uart, early_uart, PAGE_SIZE, ATTR_DEVICE, true);
	}
	if (rc != BH_OK) {
		/* Only a too-small CONFIG_HYP_PAGE_TABLES gets here. */
		log_error("MMU: cannot map the hypervisor image: %s", bh_strerror(rc));
		for (;;) {
			wfi();
		}
	}

	uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & ID_AA64MMFR0_PARANGE_MASK;
	mmu_regs.mair = MAIR_EL2_VALUE;
	mmu_regs.tcr = TCR_EL2_RES1 | TCR_T0SZ(VA_BITS) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA |
		       TCR_SH0_INNER | TCR_TG0_4K | (MIN(parange, 5UL) << TCR_EL2_PS_SHIFT);
	mmu_regs.ttbr = (uintptr_t)root_table;
	mmu_regs.sctlr = SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN;

	/*
	 * Everything so far was written with the data cache off. Discard any
	 * stale lines the boot loader left for these addresses, or turning
	 * the cache on could bring back pre-relocation values.
	 */
	dcache_inval_range(text, end);
}

void mmu_enable_this_cpu(void)
{
	write_sysreg(mair_el2, mmu_regs.mair);
	write_sysreg(tcr_el2, mmu_regs.tcr);
	write_sysreg(ttbr0_el2, mmu_regs.ttbr);
	isb();
	__asm__ volatile("tlbi alle2\n\tdsb nsh\n\tisb" ::: "memory");
	write_sysreg(sctlr_el2, mmu_regs.sctlr);
	isb();
	__asm__ volatile("ic iallu\n\tdsb nsh\n\tisb" ::: "memory");
}

/* Secondary CPUs read the tables and mmu_regs with their caches off. */
void mmu_clean_for_secondaries(void)
{
	dcache_clean_range((uintptr_t)&mmu_regs, (uintptr_t)(&mmu_regs + 1));
	dcache_clean_range((uintptr_t)page_tables, (uintptr_t)page_tables[page_tables_used]);
}
