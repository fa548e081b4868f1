/* SPDX-License-Identifier: MIT */
/*
 * Bulk zeroing and copying of RAM for loading partitions (vcpu.c:
 * arch_guest_memory_zero, arch_guest_memory_copy). The libc functions in
 * core/lib/string.c are byte loops for small inputs; a partition's memory is
 * hundreds of MiB, so these work a cache block (DC ZVA, Arm ARM C6.2.84) or
 * 64 bytes per step. The hypervisor runs with alignment checks on: wide
 * accesses only where both sides are aligned.
 */

	.text
/*
 * void memory_zero_clean_blocks(uintptr_t start, uintptr_t end, uint64_t block):
 * zeroes whole DC ZVA blocks (start and end aligned to `block`) and cleans
 * each to the point of coherency, one pass. A block that reads as zero is not
 * written: an emulator or a host hypervisor backs untouched RAM with a shared
 * zero page until its first write, and writing zeroes would make it back all
 * of it (under QEMU most of a Linux partition's load time). It is cleaned all
 * the same, in case a dirty line of zeroes hides older bytes in memory.
 */
	.global memory_zero_clean_blocks
memory_zero_clean_blocks:
	sub	x3, x2, #1
	cmp	x2, #64
	b.lo	5f
1:	cmp	x0, x1			/* blocks of 64 bytes or more: read 64 a step */
	b.hs	4f
	mov	x4, x0
	mov	x5, #0			/* x5: OR of the block's words */
2:	ldp	x6, x7, [x4]
	ldp	x8, x9, [x4, #16]
	ldp	x10, x11, [x4, #32]
	ldp	x12, x13, [x4, #48]
	add	x4, x4, #64
	orr	x6, x6, x7
	orr	x8, x8, x9
	orr	x10, x10, x11
	orr	x12, x12, x13
	orr	x6, x6, x8
	orr	x10, x10, x12
	orr	x5, x5, x6
	orr	x5, x5, x10
	tst	x4, x3
	b.ne	2b
	cbz	x5, 3f
	dc	zva, x0
3:	dc	cvac, x0
	mov	x0, x4
	b	1b
4:	dsb	sy
	ret
5:	cmp	x0, x1			/* 16- or 32-byte blocks */
	b.hs	4b
	mov	x4, x0
	mov	x5, #0
6:	ldp	x6, x7, [x4], #16
	orr	x5, x5, x6
	orr	x5, x5, x7
	tst	x4, x3
	b.ne	6b
	cbz	x5, 7f
	dc	zva, x0
7:	dc	cvac, x0
	mov	x0, x4
	b	5b

/* void memory_copy(uintptr_t dst, uintptr_t src, uint64_t size): no overlap */
	.global memory_copy
memory_copy:
	orr	x3, x0, x1
	tst	x3, #7
	b.ne	2f			/* misaligned against each other: bytes */
1:	cmp	x2, #64
	b.lo	2f
	ldp	x4, x5, [x1]
	ldp	x6, x7, [x1, #16]
	ldp	x8, x9, [x1, #32]
	ldp	x10, x11, [x1, #48]
	stp	x4, x5, [x0]
	stp	x6, x7, [x0, #16]
	stp	x8, x9, [x0, #32]
	stp	x10, x11, [x0, #48]
	add	x0, x0, #64
	add	x1, x1, #64
	sub	x2, x2, #64
	b	1b
2:	cbz	x2, 3f
	ldrb	w3, [x1], #1
	strb	w3, [x0], #1
	sub	x2, x2, #1
	b	2b
3:	ret
