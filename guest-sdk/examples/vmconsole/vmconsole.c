/* SPDX-License-Identifier: MIT */
/*
 * vmconsole: a child that prints through the root, over a VMBus channel of
 * interface "console" (served by examples/vsp), instead of a UART or the
 * console hypercall. Each line is one packet; a full ring makes it wait for
 * the root, so no line is lost. Bootargs `lines=N` (default 5).
 */
#include <bulkhead/channel.h>
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
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0) {
		return n;
	}
	uint32_t len = (uint32_t)n < sizeof(line) ? (uint32_t)n : (uint32_t)sizeof(line) - 1;
	return bh_channel_send_wait(&console, 1, 0, line, len);
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
