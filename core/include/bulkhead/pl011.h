/* SPDX-License-Identifier: MIT */
/* Arm PrimeCell UART (PL011) driver, polled, transmit side. */
#ifndef BULKHEAD_PL011_H
#define BULKHEAD_PL011_H

#include <bulkhead/types.h>

void pl011_init(uintptr_t base);
void pl011_putc(uintptr_t base, char c);

#endif
