// SPDX-License-Identifier: MIT
/*
 * GIC identification. Registers: GICv3 architecture spec (IHI 0069) 12.9,
 * GIC-400/GICv2 (IHI 0048B) 4.3. Only reads: the virtual GIC comes later.
 */
#include <arch/arch.h>
#include <arch/gic.h>

#define GICD_TYPER	 0x0004
#define GICV2_ICPIDR2	 0x0fe8
#define GICV3_GICD_PIDR2 0xffe8

static uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

int arch_gic_probe(unsigned version, paddr_t dist, struct gic_info *info)
{
	uintptr_t base = (uintptr_t)pa_addr(dist);
	uint32_t typer = mmio_read32(base + GICD_TYPER);
	uint32_t pidr2 = mmio_read32(base + (version == 3 ? GICV3_GICD_PIDR2 : GICV2_ICPIDR2));

	info->lines = 32 * ((typer & 0x1f) + 1);
	if (info->lines > 1020) {
		info->lines = 1020; /* INTIDs 1020-1023 are special */
	}
	info->arch_rev = (pidr2 >> 4) & 0xf;
	return info->arch_rev == version || (version == 3 && info->arch_rev == 4) ? BH_OK
										  : BH_EINVAL;
}
