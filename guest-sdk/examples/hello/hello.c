/* SPDX-License-Identifier: MIT */
/*
 * The guest SDK's first example: who am I (hypercalls), can newlib print a
 * float and allocate, then return from main(), which powers the partition off.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAP_TEST_SIZE ((size_t)1024 * 1024)

/* Writes the CPUs in mask as a list ("0,1,3") into text. */
static void format_cpu_list(uint64_t mask, char *text, size_t size)
{
	size_t used = 0;

	text[0] = '\0';
	for (unsigned cpu = 0; cpu < 64 && used < size; cpu++) {
		if (mask & (UINT64_C(1) << cpu)) {
			used += (size_t)snprintf(text + used, size - used, "%s%u", used ? "," : "",
						 cpu);
		}
	}
}

int main(void)
{
	char name[17] = "native";
	char cpus[64];
	unsigned vcpu = bh_cpu_id();
	uint64_t cpu_mask = 0;
	struct bh_partition_info info;

	if (bh_hypervisor_present()) {
		uint32_t version = bh_hvc_version();

		bh_partition_name(name);
		if (bh_partition_info(&info) == BH_HVC_OK) {
			vcpu = info.vcpu;
			cpu_mask = info.physical_cpu_mask;
		}
		printf("hello: hypercall ABI %u.%u, partition id %u, %u vCPUs\n",
		       (unsigned)(version >> 16), (unsigned)(version & 0xffff),
		       (unsigned)info.partition_id, (unsigned)info.vcpu_count);
	} else {
		/* No EL2, no hypercalls: the CPUs are the ones PSCI knows. */
		cpu_mask = (UINT64_C(1) << bh_cpu_count()) - 1;
	}
	format_cpu_list(cpu_mask, cpus, sizeof(cpus));
	printf("hello from partition %s, vCPU %u, CPUs %s\n", name, vcpu, cpus);

	printf("hello: newlib printf: pi is about %f, %.3e, %d%%\n", 3.14159265358979,
	       6.02214076e23, 100);

	unsigned char *block = malloc(HEAP_TEST_SIZE);
	if (block == NULL) {
		printf("hello: malloc(%zu) failed\n", HEAP_TEST_SIZE);
		return 1;
	}
	memset(block, 0xa5, HEAP_TEST_SIZE);
	printf("hello: malloc(1 MiB) at %p, last byte 0x%02x\n", (void *)block,
	       block[HEAP_TEST_SIZE - 1]);
	free(block);
	/* The heap ends at BH_GUEST_MEM_SIZE (16 MiB by default): _sbrk says ENOMEM. */
	block = malloc(64 * HEAP_TEST_SIZE);
	printf("hello: malloc(64 MiB) %s\n", block == NULL ? "fails, as it should" : "succeeded");
	free(block);

	if (bh_device_tree() != 0) {
		/* The header is big endian (Devicetree Specification 5.2). */
		const volatile uint32_t *fdt = (const volatile uint32_t *)bh_device_tree();
		printf("hello: device tree at 0x%lx: magic 0x%08lx, %lu bytes\n",
		       (unsigned long)bh_device_tree(), (unsigned long)__builtin_bswap32(fdt[0]),
		       (unsigned long)__builtin_bswap32(fdt[1]));
	}
	printf("hello: done\n");
	return 0;
}
