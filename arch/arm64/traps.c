// SPDX-License-Identifier: MIT
/*
 * Exceptions taken to EL2. Until partitions exist every one is unexpected:
 * print everything needed to find the cause, then panic.
 */
#include <arch/arch.h>
#include <core/log.h>
#include <core/string.h>

#include "sysreg.h"
#include "traps.h"

/* Exception classes: ESR_EL2.EC, Arm ARM D17.2.37 (sysreg.h). */
const char *esr_class_name(uint32_t ec)
{
	static const char *const names[64] = {
		[ESR_EC_UNKNOWN] = "unknown reason (undefined instruction?)",
		[ESR_EC_WFX] = "WFI/WFE",
		[ESR_EC_FP] = "FP/SIMD access",
		[ESR_EC_ILLEGAL] = "illegal execution state",
		[ESR_EC_SVC32] = "SVC",
		[ESR_EC_SVC64] = "SVC",
		[ESR_EC_HVC32] = "HVC",
		[ESR_EC_HVC64] = "HVC",
		[ESR_EC_SMC32] = "SMC",
		[ESR_EC_SMC64] = "SMC",
		[ESR_EC_SYSREG] = "MSR/MRS/system instruction",
		[ESR_EC_IABT_LOW] = "instruction abort from a lower EL",
		[ESR_EC_IABT_CUR] = "instruction abort at EL2",
		[ESR_EC_PC_ALIGN] = "PC alignment fault",
		[ESR_EC_DABT_LOW] = "data abort from a lower EL",
		[ESR_EC_DABT_CUR] = "data abort at EL2",
		[ESR_EC_SP_ALIGN] = "SP alignment fault",
		[ESR_EC_SERROR] = "SError",
		[ESR_EC_BRK] = "BRK instruction",
	};
	return ec < ARRAY_SIZE(names) && names[ec] != NULL ? names[ec] : "other";
}

/* The kinds taken at EL2 itself; those from a guest go to arch_guest_trap(). */
static const char *const kind_names[TRAP_LOWER64_SYNC] = {
	"synchronous (EL2, SP_EL0)",
	"IRQ (EL2, SP_EL0)",
	"FIQ (EL2, SP_EL0)",
	"SError (EL2, SP_EL0)",
	"synchronous (EL2)",
	"IRQ (EL2)",
	"FIQ (EL2)",
	"SError (EL2)",
};

static void dump_frame(const struct trap_frame *f)
{
	uint32_t ec = ESR_EC(f->esr);

	log_error("  ESR_EL2  0x%016lx  EC 0x%02x %s, IL %u, ISS 0x%07x", f->esr, ec,
		  esr_class_name(ec), (unsigned)(f->esr >> 25) & 1, ESR_ISS(f->esr));
	log_error("  FAR_EL2  0x%016lx  ELR_EL2 0x%016lx  SPSR_EL2 0x%016lx", f->far, f->elr,
		  f->spsr);
	log_error("  SP       0x%016lx  HPFAR_EL2 0x%016lx", f->sp, read_sysreg(hpfar_el2));
	for (unsigned i = 0; i < 30; i += 3) {
		log_error("  x%-2u 0x%016lx  x%-2u 0x%016lx  x%-2u 0x%016lx", i, f->x[i], i + 1,
			  f->x[i + 1], i + 2, f->x[i + 2]);
	}
	log_error("  x30 0x%016lx", f->x[30]);
}

/* An exception taken at EL2 itself (vectors.S sends those from a guest to arch_guest_trap()). */
void arch_trap(struct trap_frame *frame, uint64_t kind)
{
	const char *name = kind < TRAP_LOWER64_SYNC ? kind_names[kind] : "guest trap kind";
	log_error("Unexpected exception on CPU%u: %s", arch_cpu_index(), name);
	dump_frame(frame);
	panic("unexpected %s exception at ELR 0x%lx", name, frame->elr);
}

void arch_crash_test(const char *kind)
{
	if (strcmp(kind, "data-abort") == 0) {
		/* Inside the 48-bit VA range, never mapped: a translation fault at EL2. */
		volatile uint64_t *unmapped = (volatile uint64_t *)0x0000fff000000000UL;
		(void)*unmapped;
	} else if (strcmp(kind, "undef") == 0) {
		__asm__ volatile("udf #0");
	} else {
		log_warn("bulkhead.crash=%s: unknown kind (data-abort, undef)", kind);
	}
}
