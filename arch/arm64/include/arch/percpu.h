/* SPDX-License-Identifier: MIT */
/* Per-CPU data of arch/arm64, reached through TPIDR_EL2. */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <arch/asm.h>
#include <bulkhead/types.h>

struct arch_percpu {
	uint64_t mpidr;	    /* affinity fields of MPIDR_EL1 */
	uint64_t stack_top; /* 0 while the slot is unused */
	uint32_t index;	    /* logical CPU number */
	uint32_t pad;
	uint64_t reserved;
};

extern struct arch_percpu arch_percpu[CONFIG_MAX_CPUS];
extern uint8_t hyp_stacks[CONFIG_MAX_CPUS][CONFIG_HYP_STACK_SIZE];

/* Image boundaries from the linker script. */
extern char _start[], _etext[], _erodata[], _end[];

/* cache.S */
void dcache_clean_range(uintptr_t start, uintptr_t end);
void dcache_clean_inval_range(uintptr_t start, uintptr_t end);
void dcache_inval_range(uintptr_t start, uintptr_t end);

/* head.S */
void secondary_entry(void);

/* boot.c, called from head.S */
_Noreturn void arch_refuse_el(uint64_t current_el, uint64_t dtb);
_Noreturn void arch_boot_primary(uint64_t dtb);
_Noreturn void arch_boot_secondary(void);

/* mmu.c */
void mmu_init_early(uintptr_t dtb, size_t dtb_size, uintptr_t early_uart);
void mmu_enable_this_cpu(void);
void mmu_clean_for_secondaries(void);

#endif
