// SPDX-License-Identifier: MIT
#include <core/console.h>
#include <core/pl011.h>

static enum console_kind console_kind;
static uintptr_t console_addr;

void console_use(enum console_kind kind, paddr_t base)
{
	console_kind = kind;
	console_addr = va_addr(pa_to_va(base));
	if (kind == CONSOLE_PL011) {
		pl011_init(console_addr);
	}
}

paddr_t console_base(void)
{
	return pa_init(console_addr);
}

void console_write(const char *s, size_t n)
{
	if (console_kind != CONSOLE_PL011) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			pl011_putc(console_addr, '\r');
		}
		pl011_putc(console_addr, s[i]);
	}
}

int console_getc(void)
{
	return console_kind == CONSOLE_PL011 ? pl011_getc(console_addr) : -1;
}

void console_rx_irq(bool on)
{
	if (console_kind == CONSOLE_PL011) {
		pl011_rx_irq(console_addr, on);
	}
}
