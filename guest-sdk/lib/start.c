/* SPDX-License-Identifier: MIT */
/* From crt0.S to main(): newlib's constructors, main(), exit(). */
#include "internal.h"

#include <stdlib.h>

int main(int argc, char **argv);

static uintptr_t boot_device_tree;

uintptr_t bh_device_tree(void)
{
	return boot_device_tree;
}

/* No crti.o/crtn.o: the init and fini arrays do all the work. */
void _init(void)
{
}

void _fini(void)
{
}

void bh_boot_main(uintptr_t device_tree)
{
	static char *no_arguments[] = {NULL};

	boot_device_tree = device_tree;
	__libc_init_array();
	bh_integration_start(); /* after the constructors, which may set its handler */
	/* exit(), not _exit(): atexit handlers run and stdio buffers are flushed. */
	exit(main(0, no_arguments));
}

void bh_halt(void)
{
	for (;;) {
		__asm__ volatile("msr daifset, #0xf\n\twfi" ::: "memory");
	}
}

void bh_power_off(void)
{
	bh_psci_system_off();
	bh_halt();
}
