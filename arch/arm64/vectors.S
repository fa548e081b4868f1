/* SPDX-License-Identifier: MIT */
/*
 * EL2 exception vectors (Arm ARM D1.10.2, "Exception vectors"): 16 entries
 * of 0x80 bytes. Every entry saves the full register state in a
 * struct trap_frame on the current stack and calls arch_trap() with its
 * index, an enum trap_kind (traps.h). A guest's interrupt first passes
 * irq_from_guest, which delivers the vCPU's own timer interrupt by itself.
 */
#include "asm.h"

.macro vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x0, #\kind
	b	trap_common
.endm

.macro vector_guest_irq kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x1, #\kind
	b	irq_from_guest
.endm

	.text
	.balign	0x800
	.global	el2_vectors
el2_vectors:
	vector	0	/* current EL, SP_EL0: synchronous */
	vector	1	/* IRQ */
	vector	2	/* FIQ */
	vector	3	/* SError */
	vector	4	/* current EL, SP_ELx: synchronous */
	vector	5
	vector	6
	vector	7
	vector	8	/* lower EL, AArch64: synchronous */
	vector_guest_irq 9	/* lower EL, AArch64: IRQ */
	vector	10
	vector	11
	vector	12	/* lower EL, AArch32: synchronous */
	vector_guest_irq 13	/* lower EL, AArch32: IRQ */
	vector	14
	vector	15

/*
 * A physical interrupt while a guest runs (x1 = the vector's kind). It is
 * acknowledged here and its priority dropped (EOImode = 1). When it is the
 * virtual timer's PPI and vgic.c armed the fast path for this CPU's vCPU
 * (percpu fast_lr, with list register 0 kept free for it), it goes straight
 * into list register 0 with the HW bit, so the guest's deactivation
 * deactivates the physical interrupt, and the guest resumes: no register
 * frame, no C, no lock. Only direct branches are taken before the ERET,
 * so no branch-predictor hardening is needed (trap_common has it). Anything
 * else takes the general path with the IAR in percpu iar (arch_gic_ack()).
 */
irq_from_guest:
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	mrs	x2, tpidr_el2
	ldr	x3, [x2, #PERCPU_GICC]
	cbnz	x3, 2f
	mrs	x0, S3_0_C12_C12_0		/* ICC_IAR1_EL1 */
	and	w4, w0, #0xffffff
	cmp	w4, #1020
	b.hs	8f				/* spurious: nothing to drop */
	msr	S3_0_C12_C12_1, x0		/* ICC_EOIR1_EL1: priority drop */
	cmp	w4, #ASM_PPI_VIRT_TIMER
	b.ne	8f
	ldr	x4, [x2, #PERCPU_FAST_LR]
	cbz	x4, 8f
	mrs	x5, S3_4_C12_C11_5		/* ICH_ELRSR_EL2 */
	tbz	x5, #0, 8f			/* list register 0 not empty */
	msr	S3_4_C12_C12_0, x4		/* ICH_LR0_EL2 */
	b	7f
2:	ldr	w0, [x3, #0x0c]			/* GICC_IAR */
	and	w4, w0, #0x3ff
	cmp	w4, #1020
	b.hs	8f
	str	w0, [x3, #0x10]			/* GICC_EOIR: priority drop */
	cmp	w4, #ASM_PPI_VIRT_TIMER
	b.ne	8f
	ldr	x4, [x2, #PERCPU_FAST_LR]
	cbz	x4, 8f
	ldr	x3, [x2, #PERCPU_GICH]
	ldr	w5, [x3, #0x30]			/* GICH_ELRSR0 */
	tbz	w5, #0, 8f
	str	w4, [x3, #0x100]		/* GICH_LR0 */
	/* Underflow interrupt on while a HW list register is in use (vgic.c says why). */
	mov	w5, #3				/* GICH_HCR: En, UIE */
	str	w5, [x3, #0x000]
7:	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x2, x3, [sp, #FRAME_X(2)]
	ldp	x0, x1, [sp, #FRAME_X(0)]
	add	sp, sp, #FRAME_SIZE
	eret
8:	str	w0, [x2, #PERCPU_IAR]
	mov	x0, x1
	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x2, x3, [sp, #FRAME_X(2)]
	b	trap_common

trap_common:
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	stp	x18, x19, [sp, #FRAME_X(18)]
	stp	x20, x21, [sp, #FRAME_X(20)]
	stp	x22, x23, [sp, #FRAME_X(22)]
	stp	x24, x25, [sp, #FRAME_X(24)]
	stp	x26, x27, [sp, #FRAME_X(26)]
	stp	x28, x29, [sp, #FRAME_X(28)]
	add	x1, sp, #FRAME_SIZE
	stp	x30, x1, [sp, #FRAME_X(30)]
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [sp, #FRAME_ELR]
	mrs	x1, esr_el2
	mrs	x2, far_el2
	stp	x1, x2, [sp, #FRAME_ESR]
	str	x0, [sp, #FRAME_KIND]

	/*
	 * From a guest: harden the branch predictor before the first indirect
	 * branch (psci.c says what this CPU needs). Spectre-BHB: a loop of
	 * taken branches overwrites the branch history, then DSB+ISB (Linux's
	 * spectre_bhb_loop). Spectre-v2: firmware's SMCCC ARCH_WORKAROUND.
	 * Every guest register is saved; the SMC may clobber x0-x17.
	 */
	cmp	x0, #8			/* TRAP_LOWER64_SYNC */
	b.hs	5f
	/* EL2's own exceptions: arch_trap() reports them and panics. */
	mov	x1, x0
	mov	x0, sp
	bl	arch_trap
	b	trap_return
5:	mrs	x2, tpidr_el2
	ldr	w1, [x2, #PERCPU_BHB_LOOPS]
	cbz	w1, 2f
1:	b	. + 4
	subs	w1, w1, #1
	b.ne	1b
	dsb	nsh
	isb
2:	ldr	w0, [x2, #PERCPU_FW_CALL]
	cbz	w0, 3f
	smc	#0
3:	ldr	x1, [sp, #FRAME_KIND]
	mov	x0, sp
	bl	arch_guest_trap

	/* The exception was handled: resume. */
	.global	trap_return
trap_return:
	ldp	x1, x2, [sp, #FRAME_ELR]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	ldp	x2, x3, [sp, #FRAME_X(2)]
	ldp	x4, x5, [sp, #FRAME_X(4)]
	ldp	x6, x7, [sp, #FRAME_X(6)]
	ldp	x8, x9, [sp, #FRAME_X(8)]
	ldp	x10, x11, [sp, #FRAME_X(10)]
	ldp	x12, x13, [sp, #FRAME_X(12)]
	ldp	x14, x15, [sp, #FRAME_X(14)]
	ldp	x16, x17, [sp, #FRAME_X(16)]
	ldp	x18, x19, [sp, #FRAME_X(18)]
	ldp	x20, x21, [sp, #FRAME_X(20)]
	ldp	x22, x23, [sp, #FRAME_X(22)]
	ldp	x24, x25, [sp, #FRAME_X(24)]
	ldp	x26, x27, [sp, #FRAME_X(26)]
	ldp	x28, x29, [sp, #FRAME_X(28)]
	ldr	x30, [sp, #FRAME_X(30)]
	ldp	x0, x1, [sp, #FRAME_X(0)]
	add	sp, sp, #FRAME_SIZE
	eret
