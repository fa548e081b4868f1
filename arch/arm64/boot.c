// SPDX-License-Identifier: MIT
/*
 * First C code on each CPU. The boot CPU arrives from head.S with the MMU
 * off, relocated, on stack slot 0; it checks the device tree pointer, builds
 * the EL2 page tables, turns the MMU on and hands over to core/.
 */
#include <arch/arch.h>
#include <core/console.h>
#include <core/dt.h>
#include <core/log.h>

#include "percpu.h"
#include "sysreg.h"

#define FDT_MAGIC 0xd00dfeedU

static uint32_t be32_load(uintptr_t addr)
{
	return __builtin_bswap32(*(volatile uint32_t *)addr);
}

static void early_console(void)
{
	if (CONFIG_EARLY_UART_BASE != 0) {
		console_use(CONSOLE_PL011, pa_init(CONFIG_EARLY_UART_BASE));
	}
}

static _Noreturn void halt(void)
{
	for (;;) {
		wfi();
	}
}

/* head.S calls this when the boot loader left us at EL1 (or EL3). */
_Noreturn void arch_refuse_el(uint64_t current_el, uint64_t dtb)
{
	early_console();
	log_error("Bulkhead must be started at EL2 (hypervisor mode), but it was started at EL%lu.",
		  (current_el >> 2) & 3);
	log_error("Start it with the virtualization extensions enabled: QEMU needs "
		  "-M virt,virtualization=on; on a board, boot it from U-Boot (booti) or TF-A.");
	log_error("Device tree at 0x%lx left untouched. Halted.", dtb);
	halt();
}

_Noreturn void arch_boot_primary(uint64_t dtb)
{
	early_console();

	/* Only the header is read here, with the MMU off: aligned 32-bit loads. */
	if (dtb == 0 || !IS_ALIGNED(dtb, 8)) {
		log_error("no device tree: the boot loader passed x0 = 0x%lx (need an 8-byte "
			  "aligned address). Halted.",
			  dtb);
		halt();
	}
	uint32_t magic = be32_load(dtb);
	uint32_t size = be32_load(dtb + 4);
	if (magic != FDT_MAGIC) {
		log_error("no device tree at 0x%lx (x0): magic is 0x%08x, expected 0x%08x. Halted.",
			  dtb, magic, FDT_MAGIC);
		halt();
	}
	if (size < 40 || size > DTB_MAX_SIZE) {
		log_error("device tree at 0x%lx: totalsize %u is not between 40 and %lu bytes. "
			  "Halted.",
			  dtb, size, DTB_MAX_SIZE);
		halt();
	}

	mmu_init_early(dtb, size, CONFIG_EARLY_UART_BASE);
	mmu_enable_this_cpu();

	arch_percpu[0].mpidr = arch_cpu_mpidr();
	arch_percpu[0].index = 0;
	arch_percpu[0].stack_top = (uintptr_t)hyp_stacks[0] + CONFIG_HYP_STACK_SIZE;
	write_sysreg(tpidr_el2, (uintptr_t)&arch_percpu[0]);

	bulkhead_main(pa_init(dtb));
}

/* head.S: a secondary CPU found its slot and stack; its MMU is still off. */
_Noreturn void arch_boot_secondary(void)
{
	mmu_enable_this_cpu();
	bulkhead_secondary_main();
}
