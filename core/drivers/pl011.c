// SPDX-License-Identifier: MIT
/*
 * PL011 transmit and receive (Arm PrimeCell UART (PL011) TRM, DDI 0183).
 * The boot firmware has set the baud rate (its clock is board specific); we
 * make sure the UART, its transmitter, receiver and FIFOs are enabled.
 */
#include <core/pl011.h>

#define UARTDR	  0x00
#define UARTFR	  0x18
#define UARTLCR_H 0x2c
#define UARTCR	  0x30
#define UARTIFLS  0x34
#define UARTIMSC  0x38
#define UARTICR	  0x44
#define FR_BUSY	  (1U << 3)
#define FR_RXFE	  (1U << 4)
#define FR_TXFF	  (1U << 5)
#define LCR_FEN	  (1U << 4)
#define INT_RX	  (1U << 4)
#define INT_TX	  (1U << 5)
#define INT_RT	  (1U << 6)
#define CR_UARTEN (1U << 0)
#define CR_TXE	  (1U << 8)
#define CR_RXE	  (1U << 9)

/* Bound on the wait for FIFO space: a stuck UART must not hang the hypervisor. */
#define TX_SPIN_LIMIT 1000000

static inline uint32_t reg_read(uintptr_t base, uintptr_t off)
{
	return *(volatile uint32_t *)(base + off);
}

static inline void reg_write(uintptr_t base, uintptr_t off, uint32_t value)
{
	*(volatile uint32_t *)(base + off) = value;
}

void pl011_init(uintptr_t base)
{
	uint32_t cr = reg_read(base, UARTCR);
	uint32_t lcr = reg_read(base, UARTLCR_H);
	if ((lcr & LCR_FEN) == 0) {
		/*
		 * Without its FIFOs the UART holds one received byte: a paste
		 * overruns it. LCR_H is changed with the UART idle and disabled
		 * (TRM 3.3.8); the write also latches the firmware's divisors.
		 */
		for (unsigned spins = 0; (reg_read(base, UARTFR) & FR_BUSY) != 0; spins++) {
			if (spins == TX_SPIN_LIMIT) {
				break;
			}
		}
		reg_write(base, UARTCR, cr & ~CR_UARTEN);
		reg_write(base, UARTLCR_H, lcr | LCR_FEN);
	}
	reg_write(base, UARTIFLS, 0); /* both interrupts at 1/8: receive early, refill early */
	reg_write(base, UARTCR, cr | CR_UARTEN | CR_TXE | CR_RXE);
}

bool pl011_putc(uintptr_t base, char c)
{
	for (unsigned spins = 0; pl011_tx_full(base); spins++) {
		if (spins == TX_SPIN_LIMIT) {
			return false; /* drop the character rather than hang */
		}
	}
	reg_write(base, UARTDR, (uint8_t)c);
	return true;
}

bool pl011_tx_full(uintptr_t base)
{
	return (reg_read(base, UARTFR) & FR_TXFF) != 0;
}

void pl011_tx(uintptr_t base, char c)
{
	reg_write(base, UARTDR, (uint8_t)c);
}

int pl011_getc(uintptr_t base)
{
	if ((reg_read(base, UARTFR) & FR_RXFE) != 0) {
		return -1;
	}
	return (int)(reg_read(base, UARTDR) & 0xff);
}

void pl011_irq_mask(uintptr_t base, bool tx)
{
	reg_write(base, UARTIMSC, INT_RX | INT_RT | (tx ? INT_TX : 0));
}

void pl011_irq_clear(uintptr_t base)
{
	reg_write(base, UARTICR, INT_RX | INT_RT | INT_TX);
}
