/* SPDX-License-Identifier: MIT */
/* Assembler helpers and structure offsets shared between C and assembly. */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

/* struct arch_percpu layout (cpu.c checks it with _Static_assert). */
#define PERCPU_MPIDR	 0
#define PERCPU_STACK_TOP 8
#define PERCPU_INDEX	 16
#define PERCPU_BHB_LOOPS 20
#define PERCPU_FW_CALL	 140
#define PERCPU_FAST_LR	 144
#define PERCPU_GICC	 152
#define PERCPU_GICH	 160
#define PERCPU_IAR	 168
#define PERCPU_SIZE	 176

/* GIC_PPI_VIRT_TIMER, for vectors.S (vgic.c checks it). */
#define ASM_PPI_VIRT_TIMER 27

/* struct trap_frame layout (traps.h checks it). */
#define FRAME_X(n) ((n)*8)
#define FRAME_SP   248
#define FRAME_ELR  256
#define FRAME_SPSR 264
#define FRAME_ESR  272
#define FRAME_FAR  280
#define FRAME_KIND 288
#define FRAME_SIZE 304

#ifdef __ASSEMBLER__
/* PC-relative address of a symbol, +-4 GiB: works before relocation and with the MMU off. */
// clang-format off
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm
// clang-format on
#endif

#endif
