/* SPDX-License-Identifier: MIT */
/*
 * The interface core/ uses to reach the CPU. Everything architectural
 * (system registers, PSCI conduit, page-table format, barriers) stays
 * behind these functions.
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <core/types.h>

/* Logical index of the running CPU (0 is the boot CPU), and its MPIDR affinity. */
unsigned arch_cpu_index(void);
uint64_t arch_cpu_mpidr(void);

/* The architected counter, and its frequency in Hz. */
uint64_t arch_counter(void);
uint64_t arch_counter_freq(void);

/*
 * Instructions EL2 executed on this CPU since its vCPU started (a PMU
 * counter reserved for EL2, 32 bits wide, wrapping), or 0 if none counts.
 */
uint64_t arch_el2_instructions(void);

/*
 * Waiting: relax in a busy loop; sleep until a kick (arch_cpu_kick) or any
 * interrupt, the kick consumed (the idle loop).
 */
void arch_cpu_relax(void);
void arch_wait_kick(void);

/* Stops this CPU for good (PSCI CPU_OFF where possible, else a WFI loop). */
_Noreturn void arch_cpu_park(void);

/* Whole-machine power control through PSCI; park if firmware refuses. */
_Noreturn void arch_system_off(void);
_Noreturn void arch_system_reset(void);

/*
 * Starts the CPU with this MPIDR as logical CPU `index`; it enters
 * bulkhead_secondary_main(). Returns BH_OK once firmware accepted the request.
 */
int arch_cpu_start_psci(unsigned index, uint64_t mpidr);
int arch_cpu_start_spin_table(unsigned index, uint64_t mpidr, paddr_t release_addr);

/* PSCI firmware version (major << 16 | minor), 0 if PSCI is unusable. */
uint32_t arch_psci_version(void);

/* Adds identity mappings to the hypervisor's address space (execute-never). */
int arch_map_device(paddr_t base, uint64_t size);
int arch_map_ram(paddr_t base, uint64_t size);

/* Where the hypervisor image sits in physical memory: [start, end). */
paddr_t arch_image_start(void);
paddr_t arch_image_end(void);

/* Physical address size the CPU supports, in bits (ID_AA64MMFR0_EL1.PARange). */
unsigned arch_pa_bits(void);

/* Names the CPU from MIDR_EL1, e.g. "Cortex-A72 r0p3" (static buffer per CPU model). */
const char *arch_cpu_model(void);

/*
 * Deliberately takes an EL2 exception of the named kind ("data-abort",
 * "undef"): lets tests prove that the exception report works.
 */
void arch_crash_test(const char *kind);

/* ------------------------------------------------------------- guests */

struct stage2;

/* How a vCPU starts: Linux boot protocol / raw entry, EL1h, MMU off. */
struct arch_vcpu_boot {
	const struct stage2 *s2;
	unsigned vmid;
	uint64_t vmpidr; /* the MPIDR the guest reads (its vCPU index) */
	ipaddr_t entry;
	uint64_t x0;
	uint64_t cntvoff; /* CNTVOFF_EL2: the partition's virtual counter starts at 0 */
	bool reset_el1;	  /* a fresh partition start, not a PSCI CPU_ON */
};

/*
 * Runs the vCPU on this CPU until core_guest_exit() answers GUEST_STOP,
 * then returns. Traps in between are handled without returning.
 */
void arch_vcpu_run(const struct arch_vcpu_boot *boot);

/* Makes logical CPU `cpu` leave its guest soon (kick SGI) and wakes it if idle. */
void arch_cpu_kick(unsigned cpu);

/*
 * Loading a partition's memory for a guest that starts with its caches off:
 * zero and copy write through to memory (bulk: hundreds of MiB), then
 * arch_guest_memory_sync() drops instructions of the memory's previous life.
 */
void arch_guest_memory_zero(paddr_t base, uint64_t size);
void arch_guest_memory_copy(paddr_t dst, paddr_t src, uint64_t size); /* no overlap */
void arch_guest_memory_sync(void);

enum guest_exit_kind {
	GUEST_EXIT_HVC,	  /* hypercall: function id in x[0] */
	GUEST_EXIT_SMC,	  /* SMC (PSCI, SMCCC): already stepped over */
	GUEST_EXIT_ABORT, /* stage-2 data or instruction abort */
	GUEST_EXIT_KICK,  /* another CPU asked this one to look at its requests */
	GUEST_EXIT_IRQ,	  /* a physical interrupt (intid), priority dropped, still active */
	GUEST_EXIT_SGI,	  /* GICv3: the guest wrote an SGI register (value) */
	GUEST_EXIT_UNDEF, /* UNDEFINED for the guest (EL0 trap, IMPDEF register...) */
	GUEST_EXIT_FAULT, /* anything else the guest caused: fatal for it */
};

/* What arch makes the guest take when core resumes it (set by core). */
enum guest_inject {
	GUEST_INJECT_NONE,
	GUEST_INJECT_UNDEF, /* an Undefined Instruction exception at the trapped PC */
	GUEST_INJECT_ABORT, /* a synchronous external abort (the access of an ABORT exit) */
};

struct guest_exit {
	enum guest_exit_kind kind;
	uint64_t *x;	  /* guest x0-x30, results are written back */
	uint64_t pc;	  /* ELR_EL2 */
	uint64_t esr;	  /* ESR_EL2 */
	uint64_t far;	  /* FAR_EL2 (aborts) */
	ipaddr_t ipa;	  /* faulting IPA (aborts), from HPFAR_EL2 */
	bool write;	  /* aborts: the access was a write */
	bool instruction; /* aborts: instruction fetch */
	/* Data aborts with a valid syndrome (ISV): enough to emulate the access. */
	bool syndrome_valid;
	unsigned access_size; /* bytes: 1, 2, 4 or 8 */
	unsigned reg;	      /* x0-x30, 31 = xzr */
	bool sign_extend;
	bool reg64;		  /* a load sign-extends to 64 bits, not 32 */
	unsigned intid;		  /* GUEST_EXIT_IRQ */
	uint64_t value;		  /* GUEST_EXIT_SGI: the value written */
	const char *cause;	  /* decoded exception class, for reports */
	bool step;		  /* set by core: the instruction was emulated, skip it */
	enum guest_inject inject; /* set by core: deliver this exception instead */
};

/*
 * The SMCCC_ARCH_FEATURES answer for a guest on this CPU about
 * ARCH_WORKAROUND_1/2/3 (BH_SMCCC_*): whether the CPU is affected and the
 * hypervisor's entry mitigates it (docs/partitions.md); NOT_SUPPORTED otherwise.
 */
int64_t arch_smccc_workaround(uint32_t fn);

/* Deactivates a physical interrupt acknowledged for a guest exit (not forwarded). */
void arch_guest_irq_done(unsigned intid);

enum guest_action {
	GUEST_RESUME,
	GUEST_STOP,
};

/* Entry points core/ provides to arch/ (the only upward calls). */
_Noreturn void bulkhead_main(paddr_t dtb);
_Noreturn void bulkhead_secondary_main(void);
enum guest_action core_guest_exit(struct guest_exit *exit);

#endif
