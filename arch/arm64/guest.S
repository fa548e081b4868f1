/* SPDX-License-Identifier: MIT */
/*
 * Entering a guest and leaving it for good. The guest's registers live in a
 * struct trap_frame on this CPU's EL2 stack: entering copies the initial
 * frame there, restores it and ERETs; every trap saves it again at the same
 * place (SP_EL2 is where the ERET left it) through vectors.S. When core/ decides the vCPU must stop,
 * guest_exit_to_host() returns from guest_enter() like longjmp.
 */
#include "asm.h"

#define HOST_X19 0
#define HOST_SP  96

	.text
/* int guest_enter(struct trap_frame *frame, struct host_context *host) */
	.global guest_enter
guest_enter:
	stp	x19, x20, [x1, #0]
	stp	x21, x22, [x1, #16]
	stp	x23, x24, [x1, #32]
	stp	x25, x26, [x1, #48]
	stp	x27, x28, [x1, #64]
	stp	x29, x30, [x1, #80]
	mov	x2, sp
	str	x2, [x1, #HOST_SP]
	/*
	 * The guest frame goes right below the caller's stack frame, where
	 * every later trap will save it again (ERET leaves SP_EL2 at the
	 * host SP saved above): trap handlers then run below it and never
	 * touch the frames of arch_vcpu_run() and its callers.
	 */
	sub	sp, sp, #FRAME_SIZE
	mov	x2, sp
	mov	x3, #FRAME_SIZE
1:	ldp	x4, x5, [x0], #16
	stp	x4, x5, [x2], #16
	subs	x3, x3, #16
	b.ne	1b
	b	trap_return

/* void guest_exit_to_host(struct host_context *host): guest_enter returns 1 */
	.global guest_exit_to_host
guest_exit_to_host:
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	ldr	x1, [x0, #HOST_SP]
	mov	sp, x1
	mov	x0, #1
	ret

/*
 * void fpsimd_reset(void): a new life of a partition starts with zero FP/SIMD
 * registers (they stay in the CPU between traps, vcpu.c). EL2 may use them
 * (CPTR_EL2.TFP = 0); the C code is built without them.
 */
	.arch_extension fp
	.arch_extension simd
	.global fpsimd_reset
fpsimd_reset:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	movi	v\n\().2d, #0
	.endr
	msr	fpcr, xzr
	msr	fpsr, xzr
	ret
