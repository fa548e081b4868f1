/* SPDX-License-Identifier: MIT */
/*
 * Entry from the boot loader, primary and secondary CPUs.
 *
 * The image is linked at address 0 as a static PIE and may be loaded at any
 * 2 MiB-aligned address (QEMU -kernel, U-Boot booti): before any C code runs
 * we apply its R_AARCH64_RELATIVE relocations for the address we find
 * ourselves at. The hypervisor then runs identity-mapped (VA == PA).
 */
#include "asm.h"
#include "sysreg.h"

#define R_AARCH64_RELATIVE 1027

/* Known EL2 state: MMU and caches off, FP/SIMD usable, EL1 is AArch64. */
.macro el2_known_state
	ldr	x0, =SCTLR_EL2_RES1
	msr	sctlr_el2, x0
	ldr	x0, =CPTR_EL2_DEFAULT
	msr	cptr_el2, x0
	ldr	x0, =HCR_RW
	msr	hcr_el2, x0
.endm

	/* The Image header before this is in linker.ld; its code0 branches here. */
	.section ".text.head", "ax"
primary_entry:
	mov	x19, x0			/* x0 = physical address of the device tree */
	msr	daifset, #DAIF_ALL

	/* .bss holds the stacks, so it is cleared before anything uses one. */
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	/* Apply relocations: *(base + offset) = base + addend. */
	adr_l	x0, _start
	adr_l	x1, __rela_start
	adr_l	x2, __rela_end
3:	cmp	x1, x2
	b.hs	5f
	ldp	x3, x4, [x1], #24	/* r_offset, r_info */
	ldur	x5, [x1, #-8]		/* r_addend */
	cmp	x4, #R_AARCH64_RELATIVE
	b.ne	4f			/* anything else cannot be handled: give up */
	add	x5, x5, x0
	str	x5, [x0, x3]
	b	3b
4:	wfe
	b	4b
5:
	/* Boot CPU stack: the top of stack slot 0. */
	adr_l	x0, hyp_stacks
	ldr	x1, =CONFIG_HYP_STACK_SIZE
	add	x0, x0, x1
	mov	sp, x0

	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL2
	b.eq	el2_primary
	mov	x1, x19
	bl	arch_refuse_el		/* prints why and never returns */
6:	wfi
	b	6b

el2_primary:
	el2_known_state
	adr_l	x0, el2_vectors
	msr	vbar_el2, x0
	isb
	mov	x0, x19
	bl	arch_boot_primary	/* never returns */
7:	wfi
	b	7b

/*
 * Secondary CPUs start here (PSCI CPU_ON or spin-table release), at EL2
 * with the MMU off. The boot CPU filled in arch_percpu[] for this CPU and
 * cleaned it to the point of coherency: find our slot by MPIDR.
 */
	.text
	.global secondary_entry
secondary_entry:
	msr	daifset, #DAIF_ALL
	el2_known_state
	isb

	mrs	x0, mpidr_el1
	ldr	x1, =MPIDR_AFFINITY_MASK
	and	x0, x0, x1
	adr_l	x1, arch_percpu
	mov	x2, #0
1:	cmp	x2, #CONFIG_MAX_CPUS
	b.hs	9f
	ldr	x3, [x1, #PERCPU_STACK_TOP]
	ldr	x4, [x1, #PERCPU_MPIDR]
	cbz	x3, 2f			/* slot not in use */
	cmp	x4, x0
	b.eq	3f
2:	add	x1, x1, #PERCPU_SIZE
	add	x2, x2, #1
	b	1b
3:	mov	sp, x3
	msr	tpidr_el2, x1
	adr_l	x0, el2_vectors
	msr	vbar_el2, x0
	isb
	bl	arch_boot_secondary	/* never returns */
9:	wfe				/* started, but nobody asked for us */
	b	9b

	.ltorg
