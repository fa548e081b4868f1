/* SPDX-License-Identifier: MIT */
/* Per-CPU data of arch/arm64, reached through TPIDR_EL2, and arch-internal functions. */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <core/types.h>

#include "asm.h"

/* Callee-saved registers and SP of arch_vcpu_run(), for guest_exit_to_host(). */
struct host_context {
	uint64_t x19_x30[12]; // cppcheck-suppress unusedStructMember
	uint64_t sp;	      // cppcheck-suppress unusedStructMember
};

/* Everything arch/arm64 keeps per CPU: arch_percpu[logical index]. */
struct arch_percpu {
	/* head.S reads these with the MMU off (asm.h PERCPU_*): they stay first. */
	uint64_t mpidr;	    /* affinity fields of MPIDR_EL1 */
	uint64_t stack_top; /* 0 while the slot is unused */
	uint32_t index;	    /* logical CPU number */
	uint32_t bhb_loops; /* psci.c, read by vectors.S: Spectre-BHB loop count, 0: none */
	/* C only. */
	struct host_context host; /* vcpu.c, while a vCPU runs */
	uintptr_t redist;	  /* gic.c, GICv3: this CPU's redistributor (RD_base) */
	uint8_t v2_target;	  /* gic.c, GICv2: this CPU's interface bit in ITARGETSR */
	int8_t guest_wa[3];	  /* psci.c: guests' ARCH_FEATURES(WORKAROUND_1-3) answers + 2 */
	uint32_t fw_call;	  /* psci.c, read by vectors.S: SMCCC workaround to call, 0: none */
	/* vectors.S's interrupt entry (vgic.c, gic.c): */
	uint64_t fast_lr; /* list register 0's value for the vCPU's timer PPI, 0: not now */
	uintptr_t gicc;	  /* GICv2: the CPU interface; 0 on GICv3 */
	uintptr_t gich;	  /* GICv2: the virtual interface control */
	uint32_t iar;	  /* the interrupt it acknowledged for arch_guest_trap() */
	uint32_t pad;	  // cppcheck-suppress unusedStructMember
};

extern struct arch_percpu arch_percpu[CONFIG_MAX_CPUS];
extern uint8_t hyp_stacks[CONFIG_MAX_CPUS][CONFIG_HYP_STACK_SIZE];

/* Image boundaries from the linker script. */
extern char _start[], _etext[], _erodata[], _end[];

/* cache.S */
void dcache_clean_range(uintptr_t start, uintptr_t end);
void dcache_clean_inval_range(uintptr_t start, uintptr_t end);
void dcache_inval_range(uintptr_t start, uintptr_t end);

/* memory.S */
void memory_zero_clean_blocks(uintptr_t start, uintptr_t end, uint64_t block);
void memory_copy(uintptr_t dst, uintptr_t src, uint64_t size);

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

/* psci.c: branch-predictor hardening of this CPU (vectors.S), before its first vCPU. */
void arch_spectre_cpu_init(void);

/* vgic.c: set-up at boot (gic.c), reset around a vCPU's life (vcpu.c). */
void arch_vgic_init(unsigned gic_version, paddr_t gich_base);
void arch_vgic_cpu_reset(bool enable);

/* gic.c: an idle CPU consumes a pending kick SGI, so that its next WFI sleeps (cpu.c). */
void gic_idle_ack_kick(void);

#endif
