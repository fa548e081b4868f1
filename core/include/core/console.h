/* SPDX-License-Identifier: MIT */
/* The physical console: a UART the hypervisor writes whole lines to. */
#ifndef CORE_CONSOLE_H
#define CORE_CONSOLE_H

#include <core/types.h>

enum console_kind {
	CONSOLE_NONE,
	CONSOLE_PL011,
};

/* Selects the UART (already mapped, or MMU off). CONSOLE_NONE silences output. */
void console_use(enum console_kind kind, paddr_t base);
paddr_t console_base(void);

/* Writes n bytes; "\n" becomes "\r\n". Caller serializes. */
void console_write(const char *s, size_t n);

/* The next byte typed on the console, or -1. */
int console_getc(void);

/* The console's receive interrupt on or off. */
void console_rx_irq(bool on);

#endif
