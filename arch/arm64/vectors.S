/* SPDX-License-Identifier: MIT */
/*
 * EL2 exception vectors (Arm ARM D1.10.2, "Exception vectors"): 16 entries
 * of 0x80 bytes. Every entry saves the full register state in a
 * struct trap_frame on the current stack and calls arch_trap() with its
 * index, an enum trap_kind (traps.h).
 */
#include "asm.h"

.macro vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x0, #\kind
	b	trap_common
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
	vector	9
	vector	10
	vector	11
	vector	12	/* lower EL, AArch32: synchronous */
	vector	13
	vector	14
	vector	15

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
	b.lo	3f
	mrs	x2, tpidr_el2
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
	bl	arch_trap

	/* arch_trap returned: the exception was handled, resume. */
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
