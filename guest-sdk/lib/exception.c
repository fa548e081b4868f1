/* SPDX-License-Identifier: MIT */
/*
 * The report for an unexpected EL1 exception, then the crash reported to the
 * hypervisor (BH_HVC_CRASH: the partition stops as crashed, and the root's
 * crash policy applies), or power-off where there is no such call. Writes
 * straight to the console backend with no locks, no stdio and no heap: any of
 * them may be what broke.
 */
#include "internal.h"

#include <string.h>

#define ESR_EC_SHIFT  26
#define ESR_EC_MASK   0x3fU
#define ESR_ISS_WNR   (1U << 6)
#define ESR_FSC_MASK  0x3fU
#define NO_CPU	      (-1)
#define HEX_DIGITS    16
#define HEX_TEXT_SIZE (2 + HEX_DIGITS + 1)

enum exception_class {
	EC_UNKNOWN = 0x00,
	EC_WFI_WFE = 0x01,
	EC_FP_ACCESS = 0x07,
	EC_ILLEGAL_STATE = 0x0e,
	EC_SVC64 = 0x15,
	EC_HVC64 = 0x16,
	EC_SMC64 = 0x17,
	EC_SYSREG = 0x18,
	EC_INSTRUCTION_ABORT_LOWER = 0x20,
	EC_INSTRUCTION_ABORT = 0x21,
	EC_PC_ALIGNMENT = 0x22,
	EC_DATA_ABORT_LOWER = 0x24,
	EC_DATA_ABORT = 0x25,
	EC_SP_ALIGNMENT = 0x26,
	EC_FP_EXCEPTION = 0x2c,
	EC_SERROR = 0x2f,
	EC_BRK = 0x3c,
};

static atomic_int reporting_cpu = NO_CPU;

char *bh_format_hex(uint64_t value, char out[HEX_TEXT_SIZE])
{
	static const char digits[] = "0123456789abcdef";

	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < HEX_DIGITS; i++) {
		out[2 + i] = digits[(value >> (4 * (HEX_DIGITS - 1 - i))) & 0xfU];
	}
	out[HEX_TEXT_SIZE - 1] = '\0';
	return out;
}

static void put(const char *text)
{
	bh_console_backend_write(text, strlen(text));
}

static void put_hex(const char *label, uint64_t value)
{
	char hex[HEX_TEXT_SIZE];

	put(label);
	put(bh_format_hex(value, hex));
}

static const char *class_name(unsigned ec)
{
	switch (ec) {
	case EC_UNKNOWN:
		return "undefined instruction"; /* "unknown reason": at EL1, mostly that */
	case EC_WFI_WFE:
		return "trapped WFI/WFE";
	case EC_FP_ACCESS:
		return "trapped FP/SIMD access";
	case EC_ILLEGAL_STATE:
		return "illegal execution state";
	case EC_SVC64:
		return "SVC";
	case EC_HVC64:
		return "HVC";
	case EC_SMC64:
		return "SMC";
	case EC_SYSREG:
		return "trapped system register access";
	case EC_INSTRUCTION_ABORT_LOWER:
	case EC_INSTRUCTION_ABORT:
		return "instruction abort";
	case EC_PC_ALIGNMENT:
		return "PC alignment fault";
	case EC_DATA_ABORT_LOWER:
	case EC_DATA_ABORT:
		return "data abort";
	case EC_SP_ALIGNMENT:
		return "SP alignment fault";
	case EC_FP_EXCEPTION:
		return "floating-point exception";
	case EC_SERROR:
		return "SError";
	case EC_BRK:
		return "BRK instruction";
	default:
		return "see the Arm ARM, ESR_ELx";
	}
}

/* The fault status code of an instruction or data abort (ISS[5:0]). */
static const char *fault_name(unsigned fsc)
{
	static const char *const level_faults[] = {"address size fault", "translation fault",
						   "access flag fault", "permission fault"};

	if (fsc < 0x10) {
		return level_faults[fsc >> 2];
	}
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict";
	default:
		return "other fault";
	}
}

void bh_exception_report(const struct bh_exception_frame *frame, unsigned kind)
{
	static const char *const kinds[] = {"synchronous", "IRQ", "FIQ", "SError"};
	static const char *const sources[] = {"EL1 with SP_EL0", "EL1", "EL0 (AArch64)",
					      "EL0 (AArch32)"};
	int expected = NO_CPU;
	unsigned ec = (unsigned)(frame->esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
	char digit[2] = {(char)('0' + bh_cpu_id() % 10), '\0'};

	/* A fault while reporting, or a second CPU faulting: the first report is the useful one. */
	if (!atomic_compare_exchange_strong(&reporting_cpu, &expected, (int)bh_cpu_id())) {
		bh_halt();
	}

	put("\nbulkhead-sdk: unexpected exception on CPU ");
	put(digit);
	put(": ");
	put(kinds[kind % 4]);
	put(" from ");
	put(sources[(kind / 4) % 4]);
	put("\n");

	put_hex("bulkhead-sdk:   ESR_EL1 ", frame->esr);
	put(": ");
	put(class_name(ec));
	if (ec == EC_DATA_ABORT || ec == EC_DATA_ABORT_LOWER || ec == EC_INSTRUCTION_ABORT ||
	    ec == EC_INSTRUCTION_ABORT_LOWER) {
		put(", ");
		put(fault_name((unsigned)frame->esr & ESR_FSC_MASK));
		if (ec == EC_DATA_ABORT || ec == EC_DATA_ABORT_LOWER) {
			put((frame->esr & ESR_ISS_WNR) ? " on a write" : " on a read");
		}
	}
	put("\n");
	put_hex("bulkhead-sdk:   FAR_EL1 ", frame->far);
	put_hex("  ELR_EL1 ", frame->elr);
	put("\n");
	put_hex("bulkhead-sdk:   SPSR_EL1 ", frame->spsr);
	put_hex("  SP ", frame->sp);
	put("\n");
	for (unsigned i = 0; i < 31; i++) {
		char name[] = "  x00 ";

		name[3] = (char)('0' + i / 10);
		name[4] = (char)('0' + i % 10);
		if (i % 4 == 0) {
			put("bulkhead-sdk:");
		}
		put_hex(name, frame->x[i]);
		if (i % 4 == 3 || i == 30) {
			put("\n");
		}
	}
	/* The crash report's text: what happened, in its 32 bytes. */
	char text[BH_HVC_CRASH_TEXT_SIZE + 1];
	strcpy(text, kind % 4 == 0 ? "" : "unexpected ");
	strncat(text, kind % 4 == 0 ? class_name(ec) : kinds[kind % 4],
		sizeof(text) - 1 - strlen(text));
	put("bulkhead-sdk: stopping (crash report: ");
	put(text);
	put(")\n");
	if (bh_hypervisor_present()) {
		/* Returns only if the hypervisor has no such call (before ABI 1.5). */
		bh_crash_report(frame->esr, text);
	}
	put("bulkhead-sdk: stopping (PSCI SYSTEM_OFF)\n");
	bh_power_off();
}
