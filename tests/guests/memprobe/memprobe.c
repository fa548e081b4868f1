/* SPDX-License-Identifier: MIT */
/*
 * Isolation test: read an address the partition does not own (PROBE_ADDR, a
 * build option: make PROBE_ADDR=0x...). Under Bulkhead the read must stop the
 * partition (stage-2 fault), so "memprobe: survived" must never appear.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>

#ifndef PROBE_ADDR
#define PROBE_ADDR 0x80000000
#endif

int main(void)
{
	volatile uint64_t *probe = (volatile uint64_t *)(uintptr_t)(PROBE_ADDR);
	uint64_t value;

	printf("memprobe: reading 0x%lx\n", (unsigned long)(uintptr_t)probe);
	value = *probe;
	printf("memprobe: read 0x%016llx\n", (unsigned long long)value);
	printf("memprobe: survived\n");
	return 0;
}
