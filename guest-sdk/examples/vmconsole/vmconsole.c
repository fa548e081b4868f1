/* SPDX-License-Identifier: MIT */
/*
 * vmconsole: a child that prints through the root, over a VMBus channel of
 * interface "console" (served by examples/vsp, or a Linux root's ttyVMB),
 * instead of a UART or the console hypercall. The console interface is a
 * byte stream (include/bulkhead/console.h): each line goes with its newline,
 * in one packet here, though a reader may not count on that. A full ring
 * makes it wait for the root, so no line is lost. Bootargs `lines=N`
 * (default 5).
 */
#include <bulkhead/channel.h>
#include <bulkhead/console.h>
#include <bulkhead/sdk.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bh_channel console;

static int vm_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int vm_printf(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap); /* room left for the newline */
	va_end(ap);
	if (n < 0) {
		return n;
	}
	uint32_t len = (uint32_t)n < sizeof(line) - 2 ? (uint32_t)n : (uint32_t)sizeof(line) - 2;
	line[len++] = '\n';
	return bh_channel_send_wait(&console, BH_CONSOLE_TYPE_DATA, 0, line, len);
}

int main(void)
{
	char value[16], name[17] = "?";
	unsigned lines = 5;

	bh_irq_init();
	bh_irq_local_enable();
	bh_partition_name(name);
	if (bh_bootarg("lines", value, sizeof(value))) {
		lines = (unsigned)strtoul(value, NULL, 0);
	}
	if (bh_channel_find("console", &console) != BH_HVC_OK) {
		printf("vmconsole: no channel of interface 'console'\n");
		return 1;
	}
	bh_channel_open(&console);
	if (bh_channel_wait_connected(&console) != BH_CHANNEL_CONNECTED) {
		return 1;
	}
	vm_printf("hello from %s, printing through the root over VMBus", name);
	for (unsigned i = 1; i <= lines; i++) {
		vm_printf("line %u of %u", i, lines);
	}
	vm_printf("done");
	for (;;) {
		__asm__ volatile("wfi");
	}
}
