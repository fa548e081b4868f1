// SPDX-License-Identifier: MIT
/*
 * Running a vCPU on its dedicated physical CPU. One vCPU per CPU and no
 * scheduler: the guest's EL1 system registers and FP/SIMD state stay in the
 * CPU for the vCPU's whole life, so a trap only saves the general registers
 * (vectors.S). They are reset when the partition starts again.
 *
 * Trap policy (HCR_EL2, Arm ARM D17.2.48):
 *   VM      stage-2 translation on
 *   SWIO    set/way invalidation by the guest acts as clean+invalidate, so a
 *           guest cannot discard another partition's dirty lines in a shared cache
 *   FMO/IMO/AMO  physical interrupts and SErrors go to EL2
 *   FB, BSU=IS   broadcast guest TLB/cache maintenance to the partition's other CPUs
 *   TSC     SMC traps: PSCI is emulated per partition
 *   TIDCP, TACR  implementation-defined and auxiliary control registers trap
 *   WFI/WFE not trapped: the CPU is the guest's alone, letting it sleep natively
 *           costs nothing and keeps wake-up latency at the hardware's.
 */
#include <arch/arch.h>
#include <arch/gic.h>
#include <arch/percpu.h>
#include <arch/stage2.h>
#include <arch/sysreg.h>
#include <arch/traps.h>
#include <bulkhead/log.h>

#define HCR_VM	   (1UL << 0)
#define HCR_SWIO   (1UL << 1)
#define HCR_FMO	   (1UL << 3)
#define HCR_IMO	   (1UL << 4)
#define HCR_AMO	   (1UL << 5)
#define HCR_FB	   (1UL << 9)
#define HCR_BSU_IS (1UL << 10)
#define HCR_TSC	   (1UL << 19)
#define HCR_TIDCP  (1UL << 20)
#define HCR_TACR   (1UL << 21)
#define HCR_GUEST                                                                          \
	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TSC | \
	 HCR_TIDCP | HCR_TACR | HCR_RW)

#define SPSR_EL1H_MASKED 0x3c5UL      /* EL1h, D, A, I, F masked (booting.rst) */
#define SCTLR_EL1_RES1	 0x30d00800UL /* MMU, caches off */
#define CNTHCTL_EL1PCTEN (1UL << 0)
#define CNTHCTL_EL1PCEN	 (1UL << 1)

/* Callee-saved registers and SP of arch_vcpu_run(), for guest_exit_to_host(). */
struct host_context {
	uint64_t x19_x30[12]; // cppcheck-suppress unusedStructMember
	uint64_t sp;	      // cppcheck-suppress unusedStructMember
};
/* guest.S uses these offsets (HOST_X19, HOST_SP). */
_Static_assert(offsetof(struct host_context, x19_x30) == 0, "guest.S HOST_X19");
_Static_assert(offsetof(struct host_context, sp) == 96, "guest.S HOST_SP");

int guest_enter(struct trap_frame *frame, struct host_context *host);
_Noreturn void guest_exit_to_host(struct host_context *host);

static struct host_context host_contexts[CONFIG_MAX_CPUS];

static void reset_el1_state(void)
{
	write_sysreg(sctlr_el1, SCTLR_EL1_RES1);
	write_sysreg(cpacr_el1, 0);
	write_sysreg(vbar_el1, 0);
	write_sysreg(tcr_el1, 0);
	write_sysreg(ttbr0_el1, 0);
	write_sysreg(ttbr1_el1, 0);
	write_sysreg(mair_el1, 0);
	write_sysreg(contextidr_el1, 0);
	write_sysreg(tpidr_el1, 0);
	write_sysreg(tpidr_el0, 0);
	write_sysreg(tpidrro_el0, 0);
	write_sysreg(sp_el0, 0);
	write_sysreg(sp_el1, 0);
	write_sysreg(cntkctl_el1, 0);
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntp_ctl_el0, 0);
	write_sysreg(mdscr_el1, 0);
}

void arch_vcpu_run(const struct arch_vcpu_boot *boot)
{
	struct trap_frame frame __attribute__((aligned(16)));
	unsigned cpu = arch_cpu_index();

	for (unsigned i = 0; i < 31; i++) {
		frame.x[i] = 0;
	}
	frame.x[0] = boot->x0;
	frame.elr = boot->entry;
	frame.spsr = SPSR_EL1H_MASKED;

	if (boot->reset_el1) {
		reset_el1_state();
	}
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, boot->vmpidr | (1UL << 31));
	write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN);
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(vtcr_el2, stage2_vtcr(boot->s2, arch_pa_bits()));
	write_sysreg(vttbr_el2, ((uint64_t)boot->vmid << 48) | (uintptr_t)boot->s2->root);
	write_sysreg(hcr_el2, HCR_GUEST);
	isb();
	/* Nothing this VMID cached in an earlier life of the partition may survive. */
	__asm__ volatile("tlbi vmalls12e1\n\tdsb nsh\n\tic iallu\n\tdsb nsh\n\tisb" ::: "memory");

	guest_enter(&frame, &host_contexts[cpu]);

	/* Back from guest_exit_to_host(): the vCPU is stopped. */
	write_sysreg(hcr_el2, HCR_RW);
	write_sysreg(vttbr_el2, 0);
	isb();
}

void arch_cpu_kick(unsigned cpu)
{
	arch_gic_send_kick(cpu);
	arch_send_event();
}

void arch_guest_memory_sync(paddr_t base, uint64_t size)
{
	uintptr_t start = (uintptr_t)pa_addr(base);
	dcache_clean_range(start, start + size);
	__asm__ volatile("ic ialluis\n\tdsb ish\n\tisb" ::: "memory");
}

/* Stage-2 fault address: HPFAR_EL2.FIPA holds IPA[47:12] in bits [43:4]. */
static uint64_t fault_ipa(uint64_t far)
{
	uint64_t hpfar = read_sysreg(hpfar_el2);
	return ((hpfar >> 4) & 0xfffffffffUL) << 12 | (far & 0xfff);
}

/* A trap from EL1/EL0 (vector kinds 8-15). */
void arch_guest_trap(struct trap_frame *f, uint64_t kind)
{
	struct guest_exit exit = {
		.kind = GUEST_EXIT_FAULT,
		.x = f->x,
		.pc = f->elr,
		.esr = f->esr,
		.far = f->far,
	};
	uint32_t ec = (uint32_t)(f->esr >> 26) & 0x3f;
	exit.cause = esr_class_name(ec);

	if (kind == 10) {
		return; /* FIQ: none is configured; nothing to do */
	}
	if (kind == 9) { /* IRQ: only the kick SGI is enabled */
		unsigned intid = arch_gic_ack();
		if (intid == GIC_INTID_SPURIOUS) {
			return;
		}
		exit.kind = GUEST_EXIT_KICK;
		exit.cause = "kick";
	} else if (kind == 8 && ec == 0x16) {
		exit.kind = GUEST_EXIT_HVC;
	} else if (kind == 8 && ec == 0x17) {
		f->elr += 4; /* a trapped SMC returns to itself (HCR_EL2.TSC) */
		exit.kind = GUEST_EXIT_SMC;
	} else if (kind == 8 && (ec == 0x24 || ec == 0x20)) {
		exit.kind = GUEST_EXIT_ABORT;
		exit.instruction = ec == 0x20;
		exit.write = !exit.instruction && (f->esr & (1UL << 6)) != 0;
		exit.ipa = fault_ipa(f->far);
	} else if (kind == 11 || kind == 15) {
		exit.cause = "SError";
	} else if (kind >= 12) {
		exit.cause = "AArch32 exception (not supported)";
	}

	if (core_guest_exit(&exit) == GUEST_STOP) {
		guest_exit_to_host(&host_contexts[arch_cpu_index()]);
	}
}
