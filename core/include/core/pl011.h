/* SPDX-License-Identifier: MIT */
/* Arm PrimeCell UART (PL011) driver: polled transmit, receive (FIFO on) with an interrupt. */
#ifndef CORE_PL011_H
#define CORE_PL011_H

#include <core/types.h>

void pl011_init(uintptr_t base);
void pl011_putc(uintptr_t base, char c);

/* The next received byte, or -1 if none is waiting. */
int pl011_getc(uintptr_t base);

/*
 * Receive (and receive-timeout) interrupt on or off; clears them either way.
 * The receive interrupt is raised when bytes arrive, not while they wait
 * (QEMU: when the FIFO goes from empty to one byte), so it is cleared
 * before the FIFO is drained, never after.
 */
void pl011_rx_irq(uintptr_t base, bool on);

#endif
