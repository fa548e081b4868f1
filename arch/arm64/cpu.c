// SPDX-License-Identifier: MIT
/* Per-CPU data, CPU identification, the counter and small CPU helpers. */
#include <arch/arch.h>
#include <core/printf.h>

#include "percpu.h"
#include "sysreg.h"

#define HCR_IMO (1UL << 4) /* physical IRQs target EL2 */

_Static_assert(sizeof(struct arch_percpu) == PERCPU_SIZE, "asm.h PERCPU_SIZE");
_Static_assert(__builtin_offsetof(struct arch_percpu, mpidr) == PERCPU_MPIDR, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, stack_top) == PERCPU_STACK_TOP, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, index) == PERCPU_INDEX, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, bhb_loops) == PERCPU_BHB_LOOPS, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, fw_call) == PERCPU_FW_CALL, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, fast_lr) == PERCPU_FAST_LR, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, gicc) == PERCPU_GICC, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, gich) == PERCPU_GICH, "asm.h");
_Static_assert(__builtin_offsetof(struct arch_percpu, iar) == PERCPU_IAR, "asm.h");

struct arch_percpu arch_percpu[CONFIG_MAX_CPUS];
uint8_t hyp_stacks[CONFIG_MAX_CPUS][CONFIG_HYP_STACK_SIZE] __attribute__((aligned(4096)));

static struct arch_percpu *this_cpu(void)
{
	return (struct arch_percpu *)read_sysreg(tpidr_el2);
}

unsigned arch_cpu_index(void)
{
	struct arch_percpu *cpu = this_cpu();
	return cpu != NULL ? cpu->index : 0;
}

uint64_t arch_cpu_mpidr(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
}

uint64_t arch_counter(void)
{
	isb(); /* do not read the counter early */
	return read_sysreg(cntpct_el0);
}

uint64_t arch_counter_freq(void)
{
	return read_sysreg(cntfrq_el0) & 0xffffffffUL;
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

/*
 * WFI, not WFE: QEMU's TCG runs WFE as a spin, so every idle CPU burnt a host
 * core. Every wake-up request (start, stop, panic) sends the kick SGI, and a
 * pending IRQ ends WFI even with PSTATE.I masked (Arm ARM, "Wait for Interrupt",
 * WFI wake-up events; SEV does not end it, so nothing here sends one); HCR_EL2.IMO routes it to EL2
 * so it is one this EL can take. A kick sent after the caller's last look is still pending here and
 * ends the WFI at once; it is consumed after, so the next one sleeps.
 */
void arch_wait_kick(void)
{
	write_sysreg(hcr_el2, read_sysreg(hcr_el2) | HCR_IMO);
	isb();
	wfi();
	gic_idle_ack_kick();
}

unsigned arch_pa_bits(void)
{
	static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52};
	uint64_t range = read_sysreg(id_aa64mmfr0_el1) & ID_AA64MMFR0_PARANGE_MASK;
	return range < ARRAY_SIZE(bits) ? bits[range] : 48;
}

const char *arch_cpu_model(void)
{
	static const struct {
		uint32_t part;
		const char *name;
	} arm_parts[] = {
		{0xd03, "Cortex-A53"},	{0xd04, "Cortex-A35"}, {0xd05, "Cortex-A55"},
		{0xd07, "Cortex-A57"},	{0xd08, "Cortex-A72"}, {0xd09, "Cortex-A73"},
		{0xd0a, "Cortex-A75"},	{0xd0b, "Cortex-A76"}, {0xd0c, "Neoverse-N1"},
		{0xd40, "Neoverse-V1"}, {0xd41, "Cortex-A78"}, {0xd49, "Neoverse-N2"},
	};
	static char name[48];
	uint64_t midr = read_sysreg(midr_el1);
	uint32_t implementer = (uint32_t)(midr >> 24) & 0xff;
	uint32_t variant = (uint32_t)(midr >> 20) & 0xf;
	uint32_t part = (uint32_t)(midr >> 4) & 0xfff;
	uint32_t revision = (uint32_t)midr & 0xf;

	for (size_t i = 0; implementer == 0x41 && i < ARRAY_SIZE(arm_parts); i++) {
		if (arm_parts[i].part == part) {
			bh_snprintf(name, sizeof(name), "%s r%up%u", arm_parts[i].name, variant,
				    revision);
			return name;
		}
	}
	bh_snprintf(name, sizeof(name), "implementer 0x%02x part 0x%03x r%up%u", implementer, part,
		    variant, revision);
	return name;
}
