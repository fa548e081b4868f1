/* SPDX-License-Identifier: MIT */
/*
 * Bulkhead guest SDK start-up code: the first instruction of the image, and
 * where secondary CPUs arrive after PSCI CPU_ON.
 *
 * Entered at EL1h with the MMU and caches off, x0 = device tree address or 0.
 * The MMU goes on before any memory is written: with the MMU off every access
 * is Device memory (newlib's string functions fault on unaligned accesses),
 * and writing memory behind the caches' back would let stale lines resurface
 * later. The image itself is never written either (.data is copied out of
 * it), so restarting at _start after a reset works without reloading it.
 */

/* MAIR_EL1: attribute 0 Device-nGnRE, attribute 1 Normal write-back. */
#define MAIR_DEVICE_NGNRE 0x04
#define MAIR_NORMAL_WB    0xff
#define MAIR_VALUE        ((MAIR_NORMAL_WB << 8) | MAIR_DEVICE_NGNRE)

/*
 * TCR_EL1: 4 GiB of VA (T0SZ 32, so the walk starts at level 1 with four
 * 1 GiB entries), 4 KiB granule, walks cacheable and inner shareable, no TTBR1
 * walks (EPD1), 32-bit physical addresses (IPS 0).
 */
#define TCR_T0SZ_4GIB   32
#define TCR_IRGN0_WBWA  (1 << 8)
#define TCR_ORGN0_WBWA  (1 << 10)
#define TCR_SH0_INNER   (3 << 12)
#define TCR_EPD1        (1 << 23)
#define TCR_VALUE       (TCR_T0SZ_4GIB | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_EPD1)

/* SCTLR_EL1: the ARMv8.0 RES1 bits, MMU, data cache, SP alignment check, instruction cache. */
#define SCTLR_RES1      0x30d00800
#define SCTLR_M         (1 << 0)
#define SCTLR_C         (1 << 2)
#define SCTLR_SA        (1 << 3)
#define SCTLR_I         (1 << 12)
#define SCTLR_VALUE     (SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I)

/* Level 1 block descriptors: valid block, attribute index, shareability, access flag, XN. */
#define BLOCK_VALID     0x1
#define BLOCK_ATTR(n)   ((n) << 2)
#define BLOCK_SH_INNER  (3 << 8)
#define BLOCK_AF        (1 << 10)
#define BLOCK_PXN       (1 << 53)
#define BLOCK_UXN       (1 << 54)
#define BLOCK_DEVICE    (BLOCK_VALID | BLOCK_ATTR(0) | BLOCK_AF | BLOCK_PXN | BLOCK_UXN)
#define BLOCK_NORMAL    (BLOCK_VALID | BLOCK_ATTR(1) | BLOCK_SH_INNER | BLOCK_AF | BLOCK_UXN)

#define CPACR_FPEN_NO_TRAP (3 << 20)
#define CURRENT_EL_EL1     (1 << 2)
#define MPIDR_AFF0_MASK    0xff
#define BH_MAX_CPUS        8

/* Size of struct bh_exception_frame (lib/exception.c): x0-x30, sp, elr, spsr, esr, far. */
#define FRAME_SIZE      (36 * 8)

.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

	.section .text.boot, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	mov	x19, x0				/* the device tree, kept until memory is usable */
	mrs	x1, CurrentEL
	cmp	x1, #CURRENT_EL_EL1
	b.ne	halt				/* EL2 or EL3: not a place this image can run */
	mrs	x20, mpidr_el1
	and	x20, x20, #MPIDR_AFF0_MASK
	cmp	x20, #BH_MAX_CPUS
	b.hs	halt				/* no stack for this CPU */
	bl	el1_setup

	mov	x0, x20
	bl	switch_to_cpu_stack

	/* .data from its pristine copy in the image, then .bss. Both are 16-byte aligned. */
	adr_l	x1, __bh_data_lma
	adr_l	x2, __bh_data_start
	adr_l	x3, __bh_data_end
1:	cmp	x2, x3
	b.hs	2f
	ldp	x4, x5, [x1], #16
	stp	x4, x5, [x2], #16
	b	1b
2:	adr_l	x2, __bh_bss_start
	adr_l	x3, __bh_bss_end
3:	cmp	x2, x3
	b.hs	4f
	stp	xzr, xzr, [x2], #16
	b	3b
4:	mov	x0, x19
	bl	bh_boot_main			/* lib/start.c: newlib init, main(), exit() */
	b	halt

/*
 * PSCI CPU_ON entry (bh_cpu_start): x0 = context id = the CPU's index. Same
 * EL1 set-up as the boot CPU, then the CPU's own stack.
 */
	.global bh_secondary_entry
bh_secondary_entry:
	msr	daifset, #0xf
	mov	x20, x0
	cmp	x20, #BH_MAX_CPUS
	b.hs	halt
	bl	el1_setup
	mov	x0, x20
	bl	switch_to_cpu_stack
	mov	x0, x20
	bl	bh_secondary_main		/* lib/cpu.c */
	b	halt

/* sp = top of CPU x0's stack. CPU 0's is the highest, so its overflow lands in CPU 1's. */
switch_to_cpu_stack:
	adr_l	x1, __bh_stacks_end
	ldr	x2, =BH_STACK_SIZE
	msub	x1, x0, x2, x1
	mov	sp, x1
	ret

/*
 * FP/SIMD on (gcc and newlib use the vector registers), exception vectors, then
 * the identity map with caches. Reads only the image, which is never written:
 * literals and the translation table. Clobbers x1.
 */
el1_setup:
	mov	x1, #CPACR_FPEN_NO_TRAP
	msr	cpacr_el1, x1
	adr_l	x1, bh_vectors
	msr	vbar_el1, x1
	ldr	x1, =MAIR_VALUE
	msr	mair_el1, x1
	ldr	x1, =TCR_VALUE
	msr	tcr_el1, x1
	adr_l	x1, identity_map
	msr	ttbr0_el1, x1
	isb
	/* Nothing cached from before this boot may be used: old TLB entries, old instructions. */
	tlbi	vmalle1
	ic	iallu
	dsb	ish
	isb
	ldr	x1, =SCTLR_VALUE
	msr	sctlr_el1, x1
	isb
	ret

halt:
	wfi
	b	halt

	.ltorg

/*
 * IRQs taken at EL1 (bh_irq_local_enable()) go to bh_irq_dispatch()
 * (lib/irq.c) with the caller-saved general and FP/SIMD registers saved, and
 * return to where they struck. Every other exception is unexpected: save the
 * registers and let bh_exception_report() (lib/exception.c) say what
 * happened, then stop.
 */
#define IRQ_FRAME (13 * 16 + 24 * 16)	/* x0-x18, x29, x30, ELR, SPSR, FPSR, FPCR; q0-q7, q16-q31 */

.macro irq_vector
	.balign	0x80
	b	irq_entry
.endm

.macro vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp]
	mov	x1, #\kind
	b	exception_common
.endm

	.text
	.balign	0x800
bh_vectors:
	vector	0	/* current EL, SP_EL0: synchronous */
	vector	1	/* IRQ */
	vector	2	/* FIQ */
	vector	3	/* SError */
	vector	4	/* current EL, SP_ELx: synchronous */
	irq_vector	/* 5: IRQ */
	vector	6
	vector	7
	vector	8	/* lower EL, AArch64 */
	vector	9
	vector	10
	vector	11
	vector	12	/* lower EL, AArch32 */
	vector	13
	vector	14
	vector	15

irq_entry:
	sub	sp, sp, #IRQ_FRAME
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x29, [sp, #16 * 9]
	mrs	x0, elr_el1
	mrs	x1, spsr_el1
	stp	x30, x0, [sp, #16 * 10]
	mrs	x2, fpsr
	mrs	x3, fpcr
	stp	x1, x2, [sp, #16 * 11]
	str	x3, [sp, #16 * 12]
	add	x0, sp, #16 * 12 + 16
	stp	q0, q1, [x0, #32 * 0]
	stp	q2, q3, [x0, #32 * 1]
	stp	q4, q5, [x0, #32 * 2]
	stp	q6, q7, [x0, #32 * 3]
	stp	q16, q17, [x0, #32 * 4]
	stp	q18, q19, [x0, #32 * 5]
	stp	q20, q21, [x0, #32 * 6]
	stp	q22, q23, [x0, #32 * 7]
	stp	q24, q25, [x0, #32 * 8]
	stp	q26, q27, [x0, #32 * 9]
	stp	q28, q29, [x0, #32 * 10]
	stp	q30, q31, [x0, #32 * 11]
	bl	bh_irq_dispatch
	add	x0, sp, #16 * 12 + 16
	ldp	q0, q1, [x0, #32 * 0]
	ldp	q2, q3, [x0, #32 * 1]
	ldp	q4, q5, [x0, #32 * 2]
	ldp	q6, q7, [x0, #32 * 3]
	ldp	q16, q17, [x0, #32 * 4]
	ldp	q18, q19, [x0, #32 * 5]
	ldp	q20, q21, [x0, #32 * 6]
	ldp	q22, q23, [x0, #32 * 7]
	ldp	q24, q25, [x0, #32 * 8]
	ldp	q26, q27, [x0, #32 * 9]
	ldp	q28, q29, [x0, #32 * 10]
	ldp	q30, q31, [x0, #32 * 11]
	ldr	x3, [sp, #16 * 12]
	ldp	x1, x2, [sp, #16 * 11]
	msr	fpcr, x3
	msr	fpsr, x2
	msr	spsr_el1, x1
	ldp	x30, x0, [sp, #16 * 10]
	msr	elr_el1, x0
	ldp	x18, x29, [sp, #16 * 9]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x0, x1, [sp, #16 * 0]
	add	sp, sp, #IRQ_FRAME
	eret

exception_common:
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	add	x2, sp, #FRAME_SIZE
	stp	x30, x2, [sp, #16 * 15]
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [sp, #16 * 16]
	mrs	x2, esr_el1
	mrs	x3, far_el1
	stp	x2, x3, [sp, #16 * 17]
	mov	x0, sp
	bl	bh_exception_report		/* does not return */
	b	halt

/*
 * The identity map: VA == PA for the first 4 GiB. MMIO lives below 1 GiB in
 * the virt-style layout partitions get, RAM from 1 GiB (0x40000000) up.
 */
	.section .rodata.identity_map, "a"
	.balign	64				/* a 4-entry table needs 64-byte alignment */
identity_map:
	.quad	(0 << 30) | BLOCK_DEVICE
	.quad	(1 << 30) | BLOCK_NORMAL
	.quad	(2 << 30) | BLOCK_NORMAL
	.quad	(3 << 30) | BLOCK_NORMAL

	.section .note.GNU-stack, "", %progbits
