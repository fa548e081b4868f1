/* SPDX-License-Identifier: MIT */
/* Bringing up the physical CPUs listed in the device tree, and stopping them. */
#ifndef CORE_SMP_H
#define CORE_SMP_H

#include <core/dt.h>
#include <core/log.h>
#include <stdatomic.h>

struct vcpu;

/* What core/ keeps per physical CPU (arch/ keeps its own behind TPIDR_EL2). */
struct smp_cpu {
	_Atomic unsigned state; /* CPU_OFF, CPU_STARTING, CPU_ONLINE, CPU_STOPPED (smp.c) */
	uint64_t mpidr;
	struct vcpu *_Atomic vcpu; /* the vCPU pinned to it, or NULL */
};

extern struct smp_cpu smp_cpus[CONFIG_MAX_CPUS];

/* Logical CPU `cpu`'s data; inline, since every guest exit asks for its vCPU. */
static inline struct smp_cpu *smp_cpu(unsigned cpu)
{
	BUG_ON(cpu >= CONFIG_MAX_CPUS);
	return &smp_cpus[cpu];
}

/* Microseconds of the architected counter in `ticks` (for log lines). */
uint64_t smp_counter_us(uint64_t ticks);

/* Starts every CPU of board->cpus but the boot CPU (index 0); returns how many are online. */
unsigned smp_boot(const struct dt_board *board, bool psci_usable);

/* True if logical CPU `cpu` came online. */
bool smp_cpu_online(unsigned cpu);

/* Asks all other CPUs to stop and waits briefly; returns how many did. */
unsigned smp_stop_others(void);

/* What a CPU does after boot: run its vCPU when asked, sleep otherwise, until a panic. */
_Noreturn void smp_idle(void);

#endif
