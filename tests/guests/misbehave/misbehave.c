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
 *   delay_ms=N                      wait N ms first (default 0)
 *   on_cpu=N                        do it on vCPU N, started with PSCI CPU_ON,
 *                                   while vCPU 0 prints "misbehave: alive <n>"
 *                                   every 100 ms
 *
 * Under Bulkhead each must stop the partition with a report, so
 * "misbehave: survived" must never appear. Natively (no bootargs) it reads
 * 0x80000000.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ADDR 0x80000000UL
#define BAD_HVC	     BH_HVC_FN(0xbad)

static void do_impdef(void)
{
	uint64_t value;

	__asm__ volatile("mrs %0, actlr_el1" : "=r"(value));
	bh_printf("misbehave: impdef register 0x%016llx\n", (unsigned long long)value);
}

static char action[16] = "read";
static uintptr_t addr = DEFAULT_ADDR;
static uint64_t delay_ms;

static void misbehave(void *arg)
{
	(void)arg;
	bh_delay_us(1000 * delay_ms);
	bh_printf("misbehave: %s 0x%lx on vCPU %u\n", action, (unsigned long)addr, bh_cpu_id());
	if (strcmp(action, "read") == 0) {
		uint64_t value = *(volatile uint64_t *)addr;
		bh_printf("misbehave: read 0x%016llx\n", (unsigned long long)value);
	} else if (strcmp(action, "write") == 0) {
		*(volatile uint64_t *)addr = 0x0bad0bad0bad0badULL;
	} else if (strcmp(action, "exec") == 0) {
		((void (*)(void))addr)();
	} else if (strcmp(action, "hvc") == 0) {
		register uint64_t x0 __asm__("x0") = BAD_HVC;
		__asm__ volatile("hvc #0" : "+r"(x0)::"memory");
	} else if (strcmp(action, "impdef") == 0) {
		do_impdef();
	} else {
		bh_printf("misbehave: unknown action '%s'\n", action);
		return;
	}
	bh_printf("misbehave: survived\n");
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
		if (bh_bootarg("on_cpu", number, sizeof(number))) {
			on_cpu = strtol(number, NULL, 0);
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
	}
}
