/* SPDX-License-Identifier: MIT */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <arch/asm.h>
#include <bulkhead/types.h>

/* What vectors.S saves on every exception (layout fixed by asm.h). */
struct trap_frame {
	uint64_t x[31];
	uint64_t sp; /* SP at the time of the exception (EL2 only) */
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
	uint64_t kind; /* vector index 0-15 */
	uint64_t pad;
};

_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "asm.h FRAME_SIZE");
_Static_assert(__builtin_offsetof(struct trap_frame, elr) == FRAME_ELR, "asm.h FRAME_ELR");
_Static_assert(__builtin_offsetof(struct trap_frame, kind) == FRAME_KIND, "asm.h FRAME_KIND");

void arch_trap(struct trap_frame *frame, uint64_t kind);

/* Exceptions from a guest (vector kinds 8-15), vcpu.c. */
void arch_guest_trap(struct trap_frame *frame, uint64_t kind);

/* Human-readable name of an ESR_ELx exception class. */
const char *esr_class_name(uint32_t ec);

#endif
