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
 *   TIDCP, TACR  implementation-defined and auxiliary control registers trap,
 *           and the guest takes an UNDEF as on hardware that forbids them
 *   WFI/WFE not trapped: the CPU is the guest's alone, letting it sleep natively
 *           costs nothing and keeps wake-up latency at the hardware's.
 *
 * MDCR_EL2 (Arm ARM, "MDCR_EL2"): the PMU (TPM, TPMCR), debug (TDA), OS lock (TDOSA) and
 * debug ROM (TDRA) registers trap and read as zero, so a guest can neither
 * count EL2 events (PMEVTYPER.NSH) nor keep debug state across its restarts;
 * SPE (TPMS) and trace filtering (TTRF) trap where implemented.
 * CPTR_EL2: TTA traps the trace registers, TAM the activity monitors.
 * Any trap from the guest's EL0 (only EL2's controls cause one) is an UNDEF
 * for the guest; an unemulated stage-2 abort stops the partition, or with
 * on-fault = "inject" becomes a synchronous external abort (exit.c decides).
 */
#include <arch/arch.h>
#include <arch/gic.h>
#include <arch/stage2.h>
#include <arch/vgic.h>
#include <core/log.h>
#include <core/string.h>

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

#define MDCR_HPMN_MASK	     0x1fUL
#define MDCR_TPMCR	     (1UL << 5)
#define MDCR_TPM	     (1UL << 6)
#define MDCR_HPME	     (1UL << 7)
#define MDCR_TDA	     (1UL << 9)
#define MDCR_TDOSA	     (1UL << 10)
#define MDCR_TDRA	     (1UL << 11)
#define MDCR_TPMS	     (1UL << 14)
#define MDCR_TTRF	     (1UL << 19)
#define CPTR_TTA	     (1UL << 20)
#define CPTR_TAM	     (1UL << 30)
#define ID_FIELD(reg, shift) (((reg) >> (shift)) & 0xf)

#define SPSR_EL1H_MASKED 0x3c5UL      /* EL1h, D, A, I, F masked (booting.rst) */
#define SCTLR_EL1_RES1	 0x30d00800UL /* MMU, caches off */
#define CNTHCTL_EL1PCTEN (1UL << 0)
#define CNTHCTL_EL1PCEN	 (1UL << 1)

/* guest.S uses these offsets (HOST_X19, HOST_SP). */
_Static_assert(offsetof(struct host_context, x19_x30) == 0, "guest.S HOST_X19");
_Static_assert(offsetof(struct host_context, sp) == 96, "guest.S HOST_SP");

int guest_enter(struct trap_frame *frame, struct host_context *host);
_Noreturn void guest_exit_to_host(struct host_context *host);
void fpsimd_reset(void);

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
	write_sysreg(cntv_cval_el0, 0);
	write_sysreg(cntp_cval_el0, 0);
	write_sysreg(mdscr_el1, 0);
	write_sysreg(elr_el1, 0);
	write_sysreg(spsr_el1, 0);
	write_sysreg(esr_el1, 0);
	write_sysreg(far_el1, 0);
	write_sysreg(par_el1, 0);
	write_sysreg(afsr0_el1, 0);
	write_sysreg(afsr1_el1, 0);
	write_sysreg(amair_el1, 0);
	write_sysreg(csselr_el1, 0);
	fpsimd_reset();
}

/* PMEVTYPER<n>_EL0 (Arm ARM D13.4): INST_RETIRED, not at EL1 (P) or EL0 (U), at EL2 (NSH). */
#define PMEV_INST_RETIRED 0x08UL
#define PMEV_NO_EL1	  (1UL << 31)
#define PMEV_NO_EL0	  (1UL << 30)
#define PMEV_EL2	  (1UL << 27)

/*
 * Guests cannot reach the PMU (MDCR_EL2.TPM): this clears what firmware
 * left, and restarts EL2's own counter (the last one, reserved by HPMN and
 * enabled by HPME, set_traps()) at zero: instructions executed at EL2 for
 * this vCPU, for BH_HVC_VCPU_STATS.
 */
static void pmu_reset(void)
{
	unsigned ver = ID_FIELD(read_sysreg(id_aa64dfr0_el1), 8);
	if (ver == 0 || ver == 0xf) {
		return; /* no PMUv3 */
	}
	write_sysreg(pmcr_el0, 0x6); /* E = 0: all guest counters off; P, C: reset them */
	write_sysreg(pmcntenclr_el0, ~0UL);
	write_sysreg(pmintenclr_el1, ~0UL);
	write_sysreg(pmovsclr_el0, ~0UL);
	write_sysreg(pmuserenr_el0, 0);
	write_sysreg(pmccfiltr_el0, 0);
	uint64_t mdcr = read_sysreg(mdcr_el2);
	if ((mdcr & MDCR_HPME) != 0) {
		write_sysreg(pmselr_el0, mdcr & MDCR_HPMN_MASK);
		write_sysreg(pmxevtyper_el0,
			     PMEV_INST_RETIRED | PMEV_NO_EL1 | PMEV_NO_EL0 | PMEV_EL2);
		write_sysreg(pmxevcntr_el0, 0);
		write_sysreg(pmcntenset_el0, 1UL << (mdcr & MDCR_HPMN_MASK));
	}
}

uint64_t arch_el2_instructions(void)
{
	uint64_t mdcr = read_sysreg(mdcr_el2);
	if ((mdcr & MDCR_HPME) == 0) {
		return 0;
	}
	write_sysreg(pmselr_el0, mdcr & MDCR_HPMN_MASK);
	isb();
	return read_sysreg(pmxevcntr_el0);
}

/*
 * What a guest must not reach (see the top of this file). HPMN = PMCR_EL0.N
 * - 1, HPME = 1: the last counter is EL2's (pmu_reset()); none of the others
 * counts since EL1 cannot enable one. Cortex-A53/A57/A72: ACTLR_EL2 = 0 keeps EL1 from writing
 * CPUACTLR, CPUECTLR, L2CTLR, L2ECTLR and L2ACTLR (TRM, "Auxiliary Control
 * Register, EL2", bits 0, 1, 4, 5, 6); the L2 ones are shared by the cluster.
 */
static void set_traps(void)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	uint64_t mdcr = MDCR_TPM | MDCR_TPMCR | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
	unsigned pmu = ID_FIELD(dfr0, 8);
	uint64_t midr = read_sysreg(midr_el1);
	unsigned part = (unsigned)(midr >> 4) & 0xfff;

	unsigned counters =
		pmu != 0 && pmu != 0xf ? (unsigned)(read_sysreg(pmcr_el0) >> 11) & 0x1f : 0;
	if (counters != 0) {
		mdcr |= (counters - 1) | MDCR_HPME;
	}
	mdcr |= ID_FIELD(dfr0, 32) != 0 ? MDCR_TPMS : 0; /* SPE: E2PB = 0, buffer EL2's */
	mdcr |= ID_FIELD(dfr0, 40) != 0 ? MDCR_TTRF : 0;
	write_sysreg(mdcr_el2, mdcr);
	write_sysreg(cptr_el2,
		     CPTR_EL2_DEFAULT | CPTR_TTA |
			     (ID_FIELD(read_sysreg(id_aa64pfr0_el1), 44) != 0 ? CPTR_TAM : 0));
	if ((midr >> 24) == 0x41 && (part == 0xd03 || part == 0xd07 || part == 0xd08)) {
		write_sysreg(actlr_el2, 0);
	}
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
	set_traps();
	pmu_reset();
	arch_spectre_cpu_init();
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
}

void arch_guest_irq_done(unsigned intid)
{
	arch_gic_deactivate(intid);
}

/* Zeroes and cleans bytes that do not fill a whole DC ZVA block. */
static void zero_clean_bytes(uintptr_t start, uintptr_t end)
{
	if (start < end) {
		memset((void *)start, 0, end - start);
		dcache_clean_range(start, end);
	}
}

void arch_guest_memory_zero(paddr_t base, uint64_t size)
{
	uintptr_t start = va_addr(pa_to_va(base));
	uintptr_t end = start + size;
	uint64_t dczid = read_sysreg(dczid_el0);
	uint64_t block = 4UL << (dczid & DCZID_BS_MASK);
	uintptr_t lo = ALIGN_UP(start, block);
	uintptr_t hi = ALIGN_DOWN(end, block);

	if ((dczid & DCZID_DZP) != 0 || block < 16 || lo >= hi) {
		zero_clean_bytes(start, end);
		return;
	}
	zero_clean_bytes(start, lo);
	memory_zero_clean_blocks(lo, hi, block);
	zero_clean_bytes(hi, end);
}

void arch_guest_memory_copy(paddr_t dst, paddr_t src, uint64_t size)
{
	uintptr_t to = va_addr(pa_to_va(dst));
	memory_copy(to, va_addr(pa_to_va(src)), size);
	dcache_clean_range(to, to + size);
}

void arch_guest_memory_sync(void)
{
	__asm__ volatile("dsb ish\n\tic ialluis\n\tdsb ish\n\tisb" ::: "memory");
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

/*
 * PMU (op0 3, op1 3, CRn 9, CRm 12-14; CRn 14, CRm 8-15; PMINTEN*_EL1 op1 0),
 * activity monitors (op1 3, CRn 13, CRm 2-7), debug, OS lock and trace
 * (op0 2): trapped by MDCR_EL2/CPTR_EL2 and read as zero, writes ignored,
 * so a guest (Linux writes PMUSERENR_EL0, OSLAR_EL1 and the breakpoint
 * registers while it boots) sees no PMU and no debug hardware.
 */
static bool sysreg_raz_wi(uint32_t iss)
{
	unsigned op0 = (iss >> 20) & 3, op1 = (iss >> 14) & 7;
	unsigned crn = (iss >> 10) & 0xf, crm = (iss >> 1) & 0xf;

	return op0 == 2 || (op0 == 3 && crn == 9 && crm >= 12 && (op1 == 3 || crm == 14)) ||
	       (op0 == 3 && op1 == 3 && crn == 14 && crm >= 8) ||
	       (op0 == 3 && op1 == 3 && crn == 13 && crm >= 2 && crm <= 7);
}

/* Returns true if the access was emulated here (read as zero, write ignored). */
static bool decode_sysreg(struct guest_exit *exit, struct trap_frame *f)
{
	uint32_t iss = ESR_ISS(f->esr);
	uint32_t which = iss & SYSREG_MASK;
	unsigned rt = (iss >> 5) & 0x1f;
	bool read = (iss & 1) != 0;

	if (!read && (which == ICC_SGI1R_EL1_ISS || which == ICC_ASGI1R_EL1_ISS ||
		      which == ICC_SGI0R_EL1_ISS)) {
		exit->kind = GUEST_EXIT_SGI;
		exit->value = rt == 31 ? 0 : f->x[rt];
	} else if (sysreg_raz_wi(iss)) {
		if (read && rt != 31) {
			f->x[rt] = 0;
		}
		f->elr += 4;
		return true;
	} else {
		exit->kind =
			GUEST_EXIT_UNDEF; /* IMPLEMENTATION DEFINED (TIDCP), ACTLR_EL1 (TACR) */
	}
	return false;
}

/*
 * Makes the guest take a synchronous exception to EL1 at the trapped
 * instruction (Arm ARM D1.10: ELR/SPSR/ESR/FAR_EL1, EL1h with DAIF masked,
 * VBAR_EL1 + 0x000 from EL1 with SP_EL0, 0x200 from EL1 with SP_EL1, 0x400
 * from AArch64 EL0, 0x600 from AArch32 EL0).
 */
#define ESR_IL	     (1UL << 25)
#define ESR_EC_SHIFT 26
#define FSC_SEA	     0x10 /* synchronous external abort, not on a table walk */
#define SPSR_PAN     (1UL << 22)
#define SCTLR_SPAN   (1UL << 23)

static void inject(struct trap_frame *f, enum guest_inject what)
{
	uint64_t mode = f->spsr & 0x1f;
	bool el0 = (mode & 0xc) == 0 || (mode & 0x10) != 0;
	uint64_t offset = (mode & 0x10) ? 0x600 : el0 ? 0x400 : (mode & 1) ? 0x200 : 0;
	uint64_t esr = ESR_IL; /* EC 0: unknown reason, what an UNDEFINED instruction gives */

	if (what == GUEST_INJECT_ABORT) {
		uint32_t ec = ESR_EC(f->esr) == ESR_EC_IABT_LOW ? ESR_EC_IABT_LOW : ESR_EC_DABT_LOW;
		ec += el0 ? 0 : 1; /* from the same EL: EC 0x21 / 0x25 */
		esr |= (uint64_t)ec << ESR_EC_SHIFT | FSC_SEA | (f->esr & ESR_WNR);
		write_sysreg(far_el1, f->far);
	}
	write_sysreg(esr_el1, esr);
	write_sysreg(elr_el1, f->elr);
	write_sysreg(spsr_el1, f->spsr);
	f->elr = read_sysreg(vbar_el1) + offset;
	f->spsr = SPSR_EL1H_MASKED;
	/* FEAT_PAN: PSTATE.PAN is set on taking an exception to EL1 unless SCTLR_EL1.SPAN. */
	if (ID_FIELD(read_sysreg(id_aa64mmfr1_el1), 20) != 0 &&
	    (read_sysreg(sctlr_el1) & SCTLR_SPAN) == 0) {
		f->spsr |= SPSR_PAN;
	}
}

/* A trap from EL1/EL0 (TRAP_LOWER*). */
void arch_guest_trap(struct trap_frame *f, uint64_t kind)
{
	/*
	 * Field by field, not with an initializer: that would zero the whole
	 * structure on every exit. The fields a kind uses are set with it.
	 */
	struct guest_exit exit;
	exit.kind = GUEST_EXIT_FAULT;
	exit.x = f->x;
	exit.pc = f->elr;
	exit.esr = f->esr;
	exit.far = f->far;
	exit.step = false;
	exit.inject = GUEST_INJECT_NONE;
	uint32_t ec = ESR_EC(f->esr);
	bool from_el0 = (f->spsr & 0xc) == 0 || (f->spsr & 0x10) != 0;

	if (kind >= TRAP_LOWER32_SYNC) {
		kind -= TRAP_LOWER32_SYNC - TRAP_LOWER64_SYNC; /* AArch32 EL0: same handling */
	}
	if (kind == TRAP_LOWER64_FIQ) {
		/* None is configured: taking it back without acknowledging it would loop forever.
		 */
		if (!arch_gic_fiq_done()) {
			panic("FIQ from a guest that no interrupt controller claims");
		}
		return;
	}
	if (kind == TRAP_LOWER64_IRQ) {
		uint32_t iar = arch_gic_ack();
		unsigned intid = GIC_IAR_INTID(iar);
		if (intid >= 1020) {
			return; /* spurious */
		}
		if (intid == GIC_SGI_KICK || intid == GIC_PPI_MAINTENANCE) {
			/*
			 * Only a reason to look at requests and list registers. The
			 * underflow interrupt goes off here: vgic_flush() turns it on
			 * again if it still has interrupts waiting for a list register,
			 * and on GICv2 the timer's fast path (vectors.S) turned it on
			 * for a HW list register core/ does not know of.
			 */
			if (intid == GIC_PPI_MAINTENANCE) {
				arch_vgic_underflow_irq(false);
			}
			arch_gic_deactivate(iar);
			exit.kind = GUEST_EXIT_KICK;
			exit.cause = "kick";
		} else {
			exit.kind = GUEST_EXIT_IRQ;
			exit.intid = intid;
			exit.cause = "interrupt";
		}
	} else if (kind == TRAP_LOWER64_SERROR) {
		exit.cause = "SError";
	} else if (ec == ESR_EC_DABT_LOW || ec == ESR_EC_IABT_LOW) {
		decode_abort(&exit, f->esr, f->far);
		exit.cause = ec == ESR_EC_DABT_LOW ? "data abort from a lower EL"
						   : "instruction abort from a lower EL";
	} else if (!from_el0 && ec == ESR_EC_HVC64) {
		exit.kind = GUEST_EXIT_HVC;
		exit.cause = "HVC";
	} else if (!from_el0 && ec == ESR_EC_SMC64) {
		f->elr += 4; /* a trapped SMC returns to itself (HCR_EL2.TSC) */
		exit.kind = GUEST_EXIT_SMC;
		exit.cause = "SMC";
	} else if (!from_el0 && ec == ESR_EC_SYSREG) {
		if (decode_sysreg(&exit, f)) {
			return;
		}
		exit.cause = esr_class_name(ec);
	} else {
		/* EC 0 (unknown), and any trap from EL0: only EL2's controls made it trap. */
		exit.kind = GUEST_EXIT_UNDEF;
		exit.cause = esr_class_name(ec);
	}

	enum guest_action action = core_guest_exit(&exit);
	if (action == GUEST_STOP) {
		guest_exit_to_host(&arch_percpu[arch_cpu_index()].host);
	}
	if (exit.inject != GUEST_INJECT_NONE) {
		inject(f, exit.inject);
	} else if (exit.step) {
		f->elr += 4; /* the emulated instruction (IL = 1: always 32-bit in AArch64) */
	}
}
