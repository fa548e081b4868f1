/* SPDX-License-Identifier: MIT */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <core/types.h>

#include "asm.h"

/*
 * The 16 entries of the EL2 vector table (Arm ARM D1.10.2), in vectors.S order:
 * the index it passes as `kind`: where the exception came from, and its type.
 */
enum trap_kind {
	TRAP_EL2_SP0_SYNC,
	TRAP_EL2_SP0_IRQ,
	TRAP_EL2_SP0_FIQ,
	TRAP_EL2_SP0_SERROR,
	TRAP_EL2_SYNC, /* current EL with SP_EL2: the hypervisor itself */
	TRAP_EL2_IRQ,
	TRAP_EL2_FIQ,
	TRAP_EL2_SERROR,
	TRAP_LOWER64_SYNC, /* lower EL, AArch64: a guest */
	TRAP_LOWER64_IRQ,
	TRAP_LOWER64_FIQ,
	TRAP_LOWER64_SERROR,
	TRAP_LOWER32_SYNC, /* lower EL, AArch32 (not supported) */
	TRAP_LOWER32_IRQ,
	TRAP_LOWER32_FIQ,
	TRAP_LOWER32_SERROR,
	TRAP_KINDS,
};

/* What vectors.S saves on every exception (layout fixed by asm.h). */
struct trap_frame {
	uint64_t x[31];
	uint64_t sp; /* SP at the time of the exception (EL2 only) */
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
	uint64_t kind; /* enum trap_kind */
	uint64_t pad;
};

_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "asm.h FRAME_SIZE");
_Static_assert(__builtin_offsetof(struct trap_frame, elr) == FRAME_ELR, "asm.h FRAME_ELR");
_Static_assert(__builtin_offsetof(struct trap_frame, kind) == FRAME_KIND, "asm.h FRAME_KIND");

void arch_trap(struct trap_frame *frame, uint64_t kind);

/* Exceptions from a guest (TRAP_LOWER*), vcpu.c. */
void arch_guest_trap(struct trap_frame *frame, uint64_t kind);

/* Human-readable name of an exception class (ESR_EC_*). */
const char *esr_class_name(uint32_t ec);

#endif
