/* SPDX-License-Identifier: MIT */
/* Arm PrimeCell UART (PL011) driver: FIFOs on, receive and transmit interrupts. */
#ifndef CORE_PL011_H
#define CORE_PL011_H

#include <core/types.h>

void pl011_init(uintptr_t base);

/* Waits (boundedly) for room, then sends c; false if the UART stayed full. */
bool pl011_putc(uintptr_t base, char c);

/* Without waiting: is the transmit FIFO full; send c (the caller checked). */
bool pl011_tx_full(uintptr_t base);
void pl011_tx(uintptr_t base, char c);

/* The next received byte, or -1 if none is waiting. */
int pl011_getc(uintptr_t base);

/*
 * Receive and receive-timeout interrupts on, transmit too if tx; clearing
 * them. The
 * receive interrupt is raised when bytes arrive, not while they wait
 * (QEMU: when the FIFO goes from empty to one byte), so it is cleared
 * before the FIFO is drained, never after.
 */
void pl011_irq_mask(uintptr_t base, bool tx);
void pl011_irq_clear(uintptr_t base);

#endif
