/* SPDX-License-Identifier: MIT */
/*
 * Fault-containment test: does one forbidden thing, chosen by the partition's
 * bootargs, after an optional delay:
 *
 *   do=read|write|exec addr=0x...   access an address (default 0x80000000,
 *                                   outside every partition's RAM)
 *   do=hvc                          an undefined Bulkhead hypercall
 *   do=impdef                       read ACTLR_EL1, the implementation-defined
 *                                   auxiliary control register (HCR_EL2.TACR
 *                                   traps it)
 *   do=cpu_on                       PSCI CPU_ON of MPIDR 7, not the partition's
 *   do=smccc                        PSCI and SMCCC discovery over SMC and HVC
 *   do=pmu                          the PMU and debug registers, written then read
 *   do=el0                          read MDCCSR_EL0 at EL0 (MDCR_EL2.TDA traps it)
 *   do=crash                        reports its own crash (BH_HVC_CRASH) with
 *                                   code 0xdead0bad and 32 bytes of text with
 *                                   no NUL: an escape sequence, DEL and UTF-8
 *   do=dirty                        checks that EL1 state (FP, ELR/SPSR/ESR/FAR,
 *                                   PAR, AFSR, timer compares, TPIDR) starts at
 *                                   zero, dirties it and resets the partition
 *   repeat=N                        do it N times (default 1)
 *   then=read                       afterwards, read 0x80000000
 *   delay_ms=N                      wait N ms first (default 0)
 *   on_cpu=N                        do it on vCPU N, started with PSCI CPU_ON,
 *                                   while vCPU 0 prints "misbehave: alive <n>"
 *                                   every 100 ms
 *   after_alive=N                   with on_cpu: do it once vCPU 0 has printed
 *                                   "alive N" (not after a time, which a loaded
 *                                   host can stretch for one vCPU only)
 *
 * Exceptions the hypervisor injects are caught (catch.S) and reported as
 * "misbehave: caught N: ESR ... FAR ...". Natively (no bootargs) it reads
 * 0x80000000.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ADDR 0x80000000UL
#define BAD_HVC	     BH_HVC_FN(0xbad)

struct caught {
	uint64_t count, esr, far, elr;
};
volatile struct caught misbehave_caught;
extern char misbehave_vectors[];
void misbehave_el0(void);

/*
 * The SDK's identity map forbids EL0 execution (UXN): a copy of its four
 * 1 GiB blocks allows it in the one holding this program while misbehave_el0()
 * runs.
 */
static void do_el0(void)
{
	static uint64_t table[4] __attribute__((aligned(64)));
	uint64_t ttbr0;

	__asm__ volatile("mrs %0, ttbr0_el1" : "=r"(ttbr0));
	const uint64_t *map = (const uint64_t *)(uintptr_t)(ttbr0 & 0xfffffffffffeUL); /* BADDR */
	for (unsigned i = 0; i < 4; i++) {
		table[i] = map[i] & ~(((uintptr_t)do_el0 >> 30) == i ? 1UL << 54 : 0); /* UXN */
	}
	__asm__ volatile(
		"dsb ish\n\tmsr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::"r"(table)
		: "memory");
	misbehave_el0();
	__asm__ volatile("msr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::"r"(ttbr0)
			 : "memory");
}

static void do_impdef(void)
{
	uint64_t value;

	__asm__ volatile("mrs %0, actlr_el1" : "=r"(value));
	(void)value;
}

static int64_t call(const char *conduit, uint64_t fn, uint64_t a1)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	if (conduit[0] == 'h') {
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1)::"x2", "x3", "memory");
	} else {
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1)::"x2", "x3", "memory");
	}
	return (int64_t)x0;
}

static void do_smccc(void)
{
	static const char *const conduits[] = {"smc", "hvc"};
	for (unsigned c = 0; c < 2; c++) {
		const char *via = conduits[c];
		bh_printf("misbehave: %s PSCI_VERSION 0x%llx SMCCC_VERSION 0x%llx\n", via,
			  (long long)call(via, 0x84000000, 0), (long long)call(via, 0x80000000, 0));
		bh_printf("misbehave: %s ARCH_FEATURES WA1 %lld WA2 %lld WA3 %lld\n", via,
			  (long long)call(via, 0x80000001, 0x80008000),
			  (long long)call(via, 0x80000001, 0x80007fff),
			  (long long)call(via, 0x80000001, 0x80003fff));
		bh_printf("misbehave: %s unknown 0x%x %lld, 0x%x %lld\n", via, 0x8600ff01U,
			  (long long)call(via, 0x8600ff01, 0), BAD_HVC,
			  (long long)call(via, BAD_HVC, 0));
	}
}

static void do_pmu(void)
{
	uint64_t pmcr, bcr, mdscr;

	__asm__ volatile("msr pmcr_el0, %0" ::"r"(1UL)); /* E: enable the counters */
	__asm__ volatile("msr dbgbcr0_el1, %0" ::"r"(0x1e5UL));
	__asm__ volatile("msr mdscr_el1, %0" ::"r"(1UL << 15)); /* MDE */
	__asm__ volatile("isb");
	__asm__ volatile("mrs %0, pmcr_el0" : "=r"(pmcr));
	__asm__ volatile("mrs %0, dbgbcr0_el1" : "=r"(bcr));
	__asm__ volatile("mrs %0, mdscr_el1" : "=r"(mdscr));
	bh_printf("misbehave: pmcr 0x%llx dbgbcr0 0x%llx mdscr 0x%llx\n", (unsigned long long)pmcr,
		  (unsigned long long)bcr, (unsigned long long)mdscr);
}

#define READ_EL1(name)                                         \
	({                                                     \
		uint64_t _v;                                   \
		__asm__ volatile("mrs %0, " #name : "=r"(_v)); \
		_v;                                            \
	})
#define WRITE_EL1(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)))

/* State a new life must not inherit; the SDK and newlib touch none of it before main(). */
static void do_dirty(void)
{
	uint64_t q31[2];
	__asm__ volatile("str q31, [%0]" ::"r"(q31) : "memory");
	const struct {
		const char *name;
		uint64_t value;
	} regs[] = {
		{"fpcr", READ_EL1(fpcr)},
		{"elr_el1", READ_EL1(elr_el1)},
		{"spsr_el1", READ_EL1(spsr_el1)},
		{"esr_el1", READ_EL1(esr_el1)},
		{"far_el1", READ_EL1(far_el1)},
		{"par_el1", READ_EL1(par_el1)},
		{"afsr0_el1", READ_EL1(afsr0_el1)},
		{"cntv_cval", READ_EL1(cntv_cval_el0)},
		{"cntp_cval", READ_EL1(cntp_cval_el0)},
		{"q31", q31[0] | q31[1]},
	};
	unsigned stale = 0;
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (regs[i].value != 0) {
			bh_printf("misbehave: stale %s 0x%llx\n", regs[i].name,
				  (unsigned long long)regs[i].value);
			stale++;
		}
	}
	bh_printf("misbehave: state %s\n", stale == 0 ? "fresh" : "stale");
	WRITE_EL1(fpcr, 3UL << 22); /* RMode: towards zero */
	WRITE_EL1(elr_el1, 0xe1e1);
	WRITE_EL1(spsr_el1, 0x3c4);
	WRITE_EL1(esr_el1, 0x5a5a);
	WRITE_EL1(far_el1, 0xfa4);
	WRITE_EL1(par_el1, 0x9a9000);
	WRITE_EL1(afsr0_el1, 1);
	WRITE_EL1(cntv_cval_el0, ~0UL);
	WRITE_EL1(cntp_cval_el0, ~0UL);
	__asm__ volatile("movi v31.2d, #0xff");
	bh_printf("misbehave: dirtied, resetting\n");
	bh_psci_system_reset();
}

static char action[16] = "read";
static char then[16];
static uintptr_t addr = DEFAULT_ADDR;
static uint64_t delay_ms;
static uint64_t after_alive;
static atomic_ulong alive_printed;
static uint64_t repeat = 1;

static void once(void)
{
	if (strcmp(action, "read") == 0) {
		uint64_t value = *(volatile uint64_t *)addr;
		bh_printf("misbehave: read 0x%016llx\n", (unsigned long long)value);
	} else if (strcmp(action, "write") == 0) {
		*(volatile uint64_t *)addr = 0x0bad0bad0bad0badULL;
	} else if (strcmp(action, "exec") == 0) {
		((void (*)(void))addr)();
	} else if (strcmp(action, "hvc") == 0) {
		int64_t rc = call("hvc", BAD_HVC, 0);
		if (repeat == 1) {
			bh_printf("misbehave: hvc 0x%x -> %lld\n", BAD_HVC, (long long)rc);
		}
	} else if (strcmp(action, "crash") == 0) {
		/* Exactly 32 bytes, no NUL: none of the hostile ones may reach the console. */
		static const char text[BH_HVC_CRASH_TEXT_SIZE] = "\x1b[31mred\x7f\xe2\x98\xa0"
								 " crash 0123456789abc";
		bh_printf("misbehave: crash report returned %d\n",
			  bh_crash_report(0xdead0bad, text));
	} else if (strcmp(action, "impdef") == 0) {
		do_impdef();
	} else if (strcmp(action, "cpu_on") == 0) {
		bh_psci_cpu_on(7, (uintptr_t)once, 0);
	} else if (strcmp(action, "smccc") == 0) {
		do_smccc();
	} else if (strcmp(action, "pmu") == 0) {
		do_pmu();
	} else if (strcmp(action, "el0") == 0) {
		do_el0();
	} else {
		bh_printf("misbehave: unknown action '%s'\n", action);
	}
}

static void misbehave(void *arg)
{
	uint64_t vbar, daif;

	(void)arg;
	bh_delay_us(1000 * delay_ms);
	while (atomic_load(&alive_printed) < after_alive) {
		bh_delay_us(1000);
	}
	bh_printf("misbehave: %s 0x%lx on vCPU %u\n", action, (unsigned long)addr, bh_cpu_id());
	/* Our own vectors, interrupts masked, while the forbidden thing happens. */
	__asm__ volatile("mrs %0, daif\n\tmsr daifset, #0xf\n\tmrs %1, vbar_el1\n\t"
			 "msr vbar_el1, %2\n\tisb"
			 : "=&r"(daif), "=&r"(vbar)
			 : "r"(misbehave_vectors)
			 : "memory");
	for (uint64_t i = 0; i < repeat; i++) {
		once();
	}
	__asm__ volatile("msr vbar_el1, %0\n\tmsr daif, %1\n\tisb" ::"r"(vbar), "r"(daif)
			 : "memory");
	if (misbehave_caught.count != 0) {
		bh_printf("misbehave: caught %llu: ESR 0x%llx FAR 0x%llx ELR 0x%llx\n",
			  (unsigned long long)misbehave_caught.count,
			  (unsigned long long)misbehave_caught.esr,
			  (unsigned long long)misbehave_caught.far,
			  (unsigned long long)misbehave_caught.elr);
	}
	bh_printf("misbehave: survived\n");
	if (strcmp(then, "read") == 0) {
		bh_printf("misbehave: then read 0x%lx\n", DEFAULT_ADDR);
		(void)*(volatile uint64_t *)DEFAULT_ADDR;
	}
}

int main(void)
{
	char number[24];
	long on_cpu = -1;

	if (bh_hypervisor_present()) {
		bh_bootarg("do", action, sizeof(action));
		if (bh_bootarg("addr", number, sizeof(number))) {
			addr = (uintptr_t)strtoull(number, NULL, 0);
		}
		if (bh_bootarg("delay_ms", number, sizeof(number))) {
			delay_ms = strtoull(number, NULL, 0);
		}
		if (bh_bootarg("repeat", number, sizeof(number))) {
			repeat = strtoull(number, NULL, 0);
		}
		bh_bootarg("then", then, sizeof(then));
		if (strcmp(action, "dirty") == 0) {
			do_dirty();
		}
		if (bh_bootarg("on_cpu", number, sizeof(number))) {
			on_cpu = strtol(number, NULL, 0);
		}
		if (bh_bootarg("after_alive", number, sizeof(number))) {
			after_alive = strtoull(number, NULL, 0);
		}
	}
	if (on_cpu < 0) {
		misbehave(NULL);
		return 0;
	}
	int result = bh_cpu_start((unsigned)on_cpu, misbehave, NULL);
	if (result != BH_PSCI_SUCCESS) {
		bh_printf("misbehave: CPU_ON vCPU %ld -> %d (%s)\n", on_cpu, result,
			  bh_psci_error_name(result));
		return 1;
	}
	for (unsigned long n = 1;; n++) {
		bh_delay_us(100000);
		bh_printf("misbehave: alive %lu\n", n);
		atomic_store(&alive_printed, n);
	}
}
