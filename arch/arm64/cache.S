/* SPDX-License-Identifier: MIT */
/*
 * Data cache maintenance by virtual address to the point of coherency
 * (Arm ARM D7.5.9). Line size from CTR_EL0.DminLine (words, log2).
 */

.macro dcache_line_size reg, tmp
	mrs	\tmp, ctr_el0
	ubfx	\tmp, \tmp, #16, #4
	mov	\reg, #4
	lsl	\reg, \reg, \tmp
.endm

.macro dcache_op op
	dcache_line_size x2, x3
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	cmp	x0, x1
	b.hs	2f
	dc	\op, x0
	add	x0, x0, x2
	b	1b
2:	dsb	sy
	ret
.endm

	.text
/* void dcache_clean_range(uintptr_t start, uintptr_t end) */
	.global dcache_clean_range
dcache_clean_range:
	dcache_op cvac

/* void dcache_clean_inval_range(uintptr_t start, uintptr_t end) */
	.global dcache_clean_inval_range
dcache_clean_inval_range:
	dcache_op civac

/* void dcache_inval_range(uintptr_t start, uintptr_t end): discards data! */
	.global dcache_inval_range
dcache_inval_range:
	dcache_op ivac
