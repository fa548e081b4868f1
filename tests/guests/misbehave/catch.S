/* SPDX-License-Identifier: MIT */
/*
 * Exception vectors misbehave installs around its forbidden action, to see
 * what the hypervisor injected: each exception is counted and its ESR, FAR
 * and ELR recorded in misbehave_caught, then the guest resumes after the
 * faulting instruction (after the call, for an instruction abort).
 */
	.macro	catch
	.balign	0x80
	stp	x0, x1, [sp, #-16]!
	b	catch_common
	.endm

	.text
	.balign	0x800
	.global	misbehave_vectors
misbehave_vectors:
	.rept	16
	catch
	.endr

catch_common:
	mrs	x0, esr_el1
	lsr	x0, x0, #26
	cmp	x0, #0x15		/* SVC from el0_code: back to EL1, after the call */
	b.eq	back_to_el1
	adrp	x0, misbehave_caught
	add	x0, x0, :lo12:misbehave_caught
	ldr	x1, [x0]
	add	x1, x1, #1
	str	x1, [x0]
	mrs	x1, esr_el1
	str	x1, [x0, #8]
	mrs	x1, far_el1
	str	x1, [x0, #16]
	mrs	x1, elr_el1
	str	x1, [x0, #24]
	add	x1, x1, #4
	mrs	x0, esr_el1
	lsr	x0, x0, #26
	cmp	x0, #0x20		/* instruction abort at EL0: back to EL1 */
	b.eq	back_to_el1
	cmp	x0, #0x21		/* instruction abort: back to the caller */
	csel	x1, x30, x1, eq
	msr	elr_el1, x1
	ldp	x0, x1, [sp], #16
	eret

back_to_el1:
	msr	elr_el1, x30
	mov	x0, #0x3c5		/* EL1h, DAIF masked */
	msr	spsr_el1, x0
	ldp	x0, x1, [sp], #16
	eret

/*
 * void misbehave_el0(void): runs el0_code at EL0 (interrupts masked), which
 * reads MDCCSR_EL0, a debug register EL0 may read unless MDSCR_EL1.TDCC, and
 * returns here through its SVC.
 */
	.global	misbehave_el0
misbehave_el0:
	adr	x0, el0_code
	msr	elr_el1, x0
	mov	x0, #0x3c0		/* EL0t, DAIF masked */
	msr	spsr_el1, x0
	eret
el0_code:
	mrs	x0, mdccsr_el0
	svc	#0
	b	el0_code
