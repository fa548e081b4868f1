/* SPDX-License-Identifier: MIT */
/* The physical console: a UART the hypervisor writes whole lines to. */
#ifndef CORE_CONSOLE_H
#define CORE_CONSOLE_H

#include <core/types.h>

#define CONSOLE_RING_SIZE 16384U /* the output ring's bytes, a power of two */

enum console_kind {
	CONSOLE_NONE,
	CONSOLE_PL011,
};

/* Selects the UART (already mapped, or MMU off). CONSOLE_NONE silences output. */
void console_use(enum console_kind kind, paddr_t base);
paddr_t console_base(void);

/* Writes n bytes straight to the UART, waiting for it; "\n" becomes "\r\n". Caller serializes. */
void console_write(const char *s, size_t n);

/* The next byte typed on the console, or -1. */
int console_getc(void);

/*
 * From now on lines go through the output ring (partitions run); irq: the
 * UART's interrupt is routed to us, so turn on its receive and transmit
 * interrupts.
 */
void console_buffer(bool irq);
bool console_buffering(void);

/* Copies n bytes into the ring and pushes what the UART takes now; false (nothing copied) if full.
 */
bool console_queue(const char *s, size_t n);

/* Pushes what the UART takes now, without waiting; true if bytes are left. */
bool console_push(void);

/* The UART's interrupt: clears it, pushes output (input is the caller's to read). */
void console_irq(void);

/* Panic: writes out what the ring holds, waiting for the UART. */
void console_flush(void);

#endif
