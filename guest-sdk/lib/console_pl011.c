/* SPDX-License-Identifier: MIT */
/*
 * Console backend for running without the hypervisor: the PL011 UART of
 * QEMU's virt machine (BH_PL011_BASE), already set up by whoever booted us.
 */
#include "internal.h"

#ifndef BH_PL011_BASE
#define BH_PL011_BASE 0x09000000
#endif

#define PL011_DR      0x00
#define PL011_FR      0x18
#define PL011_FR_RXFE (1U << 4)
#define PL011_FR_TXFF (1U << 5)

/* A stuck UART must not hang the program: give up on a character after this many polls. */
#define PL011_TX_POLLS 1000000

static volatile uint32_t *pl011_register(uintptr_t offset)
{
	return (volatile uint32_t *)((uintptr_t)BH_PL011_BASE + offset);
}

static void pl011_put(char c)
{
	for (unsigned poll = 0; poll < PL011_TX_POLLS; poll++) {
		if ((*pl011_register(PL011_FR) & PL011_FR_TXFF) == 0) {
			break;
		}
	}
	*pl011_register(PL011_DR) = (uint8_t)c;
}

void bh_console_backend_write(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		/* Terminals want CR LF; the hypervisor's console does this itself. */
		if (text[i] == '\n') {
			pl011_put('\r');
		}
		pl011_put(text[i]);
	}
}

size_t bh_console_backend_read(char *buffer, size_t length)
{
	size_t n = 0;
	while (n < length && (*pl011_register(PL011_FR) & PL011_FR_RXFE) == 0) {
		buffer[n++] = (char)(*pl011_register(PL011_DR) & 0xff);
	}
	return n;
}
