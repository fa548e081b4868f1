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
#include <arch/stage2.h>
#include <arch/vgic.h>
#include <core/log.h>

#include "percpu.h"
#include "sysreg.h"
#include "traps.h"

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

/* guest.S uses these offsets (HOST_X19, HOST_SP). */
_Static_assert(offsetof(struct host_context, x19_x30) == 0, "guest.S HOST_X19");
_Static_assert(offsetof(struct host_context, sp) == 96, "guest.S HOST_SP");

int guest_enter(struct trap_frame *frame, struct host_context *host);
_Noreturn void guest_exit_to_host(struct host_context *host);

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
	frame.elr = ipa_addr(boot->entry);
	frame.spsr = SPSR_EL1H_MASKED;

	if (boot->reset_el1) {
		reset_el1_state();
	}
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, boot->vmpidr | (1UL << 31));
	write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN);
	write_sysreg(cntvoff_el2, boot->cntvoff);
	write_sysreg(vtcr_el2, stage2_vtcr(boot->s2, arch_pa_bits()));
	write_sysreg(vttbr_el2,
		     ((uint64_t)boot->vmid << 48) | pa_addr(pa_from_ptr(boot->s2->root)));
	write_sysreg(hcr_el2, HCR_GUEST);
	isb();
	/* Nothing this VMID cached in an earlier life of the partition may survive. */
	__asm__ volatile("tlbi vmalls12e1\n\tdsb nsh\n\tic iallu\n\tdsb nsh\n\tisb" ::: "memory");
	arch_vgic_cpu_reset(true);

	guest_enter(&frame, &arch_percpu[cpu].host);

	/*
	 * Back from guest_exit_to_host(): the vCPU is stopped. Its timers are
	 * silenced and their physical interrupts completed, so nothing of this
	 * life reaches the next one.
	 */
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntp_ctl_el0, 0);
	arch_vgic_cpu_reset(false);
	arch_gic_ppi_clear((1U << GIC_PPI_VIRT_TIMER) | (1U << GIC_PPI_PHYS_TIMER));
	write_sysreg(hcr_el2, HCR_RW);
	write_sysreg(vttbr_el2, 0);
	isb();
}

void arch_cpu_kick(unsigned cpu)
{
	arch_gic_send_kick(cpu);
	arch_send_event();
}

void arch_guest_irq_done(unsigned intid)
{
	arch_gic_deactivate(intid);
}

void arch_guest_memory_sync(paddr_t base, uint64_t size)
{
	uintptr_t start = va_addr(pa_to_va(base));
	dcache_clean_range(start, start + size);
	__asm__ volatile("ic ialluis\n\tdsb ish\n\tisb" ::: "memory");
}

/* Stage-2 fault address: HPFAR_EL2.FIPA holds IPA[47:12] in bits [43:4]. */
static ipaddr_t fault_ipa(uint64_t far)
{
	uint64_t hpfar = read_sysreg(hpfar_el2);
	return ipa_init(((hpfar >> 4) & 0xfffffffffUL) << 12 | (far & 0xfff));
}

/*
 * Data abort syndrome (Arm ARM D17.2.40, ESR_EL2 ISS for ESR_EC_DABT_LOW): with
 * ISV set it describes the access well enough to emulate it.
 */
#define ESR_ISV	  (1UL << 24)
#define ESR_SSE	  (1UL << 21)
#define ESR_SF	  (1UL << 15)
#define ESR_S1PTW (1UL << 7)
#define ESR_WNR	  (1UL << 6)

static void decode_abort(struct guest_exit *exit, uint64_t esr, uint64_t far)
{
	exit->kind = GUEST_EXIT_ABORT;
	exit->instruction = ESR_EC(esr) == ESR_EC_IABT_LOW;
	exit->write = !exit->instruction && (esr & ESR_WNR) != 0;
	exit->ipa = fault_ipa(far);
	exit->syndrome_valid = !exit->instruction && (esr & ESR_ISV) != 0 && (esr & ESR_S1PTW) == 0;
	exit->access_size = 1U << ((esr >> 22) & 3);
	exit->reg = (unsigned)(esr >> 16) & 0x1f;
	exit->sign_extend = (esr & ESR_SSE) != 0;
	exit->reg64 = (esr & ESR_SF) != 0;
}

/*
 * ESR_EC_SYSREG: a trapped MSR/MRS (ISS: Op0 [21:20], Op2 [19:17], Op1 [16:14],
 * CRn [13:10], Rt [9:5], CRm [4:1], Direction [0], 1 = read). With
 * HCR_EL2.IMO set, EL1 writes to the SGI registers come here.
 */
#define SYSREG(op0, op1, crn, crm, op2) \
	((op0) << 20 | (op2) << 17 | (op1) << 14 | (crn) << 10 | (crm) << 1)
#define SYSREG_MASK	   SYSREG(3U, 7U, 15U, 15U, 7U)
#define ICC_SGI1R_EL1_ISS  SYSREG(3U, 0U, 12U, 11U, 5U)
#define ICC_ASGI1R_EL1_ISS SYSREG(3U, 0U, 12U, 11U, 6U)
#define ICC_SGI0R_EL1_ISS  SYSREG(3U, 0U, 12U, 11U, 7U)

static void decode_sysreg(struct guest_exit *exit, const struct trap_frame *f)
{
	uint32_t iss = ESR_ISS(f->esr);
	uint32_t which = iss & SYSREG_MASK;
	unsigned rt = (iss >> 5) & 0x1f;
	bool read = (iss & 1) != 0;

	if (!read && (which == ICC_SGI1R_EL1_ISS || which == ICC_ASGI1R_EL1_ISS ||
		      which == ICC_SGI0R_EL1_ISS)) {
		exit->kind = GUEST_EXIT_SGI;
		exit->value = rt == 31 ? 0 : f->x[rt];
	}
}

/* A trap from EL1/EL0 (TRAP_LOWER*). */
void arch_guest_trap(struct trap_frame *f, uint64_t kind)
{
	struct guest_exit exit = {
		.kind = GUEST_EXIT_FAULT,
		.x = f->x,
		.pc = f->elr,
		.esr = f->esr,
		.far = f->far,
	};
	uint32_t ec = ESR_EC(f->esr);
	exit.cause = esr_class_name(ec);

	if (kind == TRAP_LOWER64_FIQ) {
		return; /* FIQ: none is configured; nothing to do */
	}
	if (kind == TRAP_LOWER64_IRQ) {
		uint32_t iar = arch_gic_ack();
		unsigned intid = GIC_IAR_INTID(iar);
		if (intid >= 1020) {
			return; /* spurious */
		}
		if (intid == GIC_SGI_KICK || intid == GIC_PPI_MAINTENANCE) {
			/* Only a reason to look at requests and list registers. */
			arch_gic_deactivate(iar);
			exit.kind = GUEST_EXIT_KICK;
			exit.cause = "kick";
		} else {
			exit.kind = GUEST_EXIT_IRQ;
			exit.intid = intid;
			exit.cause = "interrupt";
		}
	} else if (kind == TRAP_LOWER64_SYNC && ec == ESR_EC_HVC64) {
		exit.kind = GUEST_EXIT_HVC;
	} else if (kind == TRAP_LOWER64_SYNC && ec == ESR_EC_SMC64) {
		f->elr += 4; /* a trapped SMC returns to itself (HCR_EL2.TSC) */
		exit.kind = GUEST_EXIT_SMC;
	} else if (kind == TRAP_LOWER64_SYNC && (ec == ESR_EC_DABT_LOW || ec == ESR_EC_IABT_LOW)) {
		decode_abort(&exit, f->esr, f->far);
	} else if (kind == TRAP_LOWER64_SYNC && ec == ESR_EC_SYSREG) {
		decode_sysreg(&exit, f);
	} else if (kind == TRAP_LOWER64_SERROR || kind == TRAP_LOWER32_SERROR) {
		exit.cause = "SError";
	} else if (kind >= TRAP_LOWER32_SYNC) {
		exit.cause = "AArch32 exception (not supported)";
	}

	enum guest_action action = core_guest_exit(&exit);
	if (action == GUEST_STOP) {
		guest_exit_to_host(&arch_percpu[arch_cpu_index()].host);
	}
	if (exit.step) {
		f->elr += 4; /* the emulated instruction (IL = 1: always 32-bit in AArch64) */
	}
}
