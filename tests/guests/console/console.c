/* SPDX-License-Identifier: MIT */
/*
 * Console test guest, by the partition's bootargs:
 *
 *   (nothing)    "console <name> ready", then echo every line typed:
 *                "console <name> got '<line>'"
 *   rxirq        the same, but wait for the PL011 receive interrupt (SPI 1,
 *                INTID 33) instead of polling: needs the pl011 build
 *                (BH_CONSOLE=pl011) and a `vuart` at 0x09000000
 *   flood        print numbered lines as fast as it can, forever
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <string.h>

#define UART_BASE 0x09000000UL
#define UART_SPI  33
#define UARTFR	  0x18
#define UARTIMSC  0x38
#define FR_RXFE	  (1U << 4)
#define INT_RX_RT ((1U << 4) | (1U << 6))

static atomic_uint rx_interrupts;

static volatile uint32_t *uart(unsigned off)
{
	return (volatile uint32_t *)(UART_BASE + off);
}

static void rx_handler(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	atomic_fetch_add(&rx_interrupts, 1);
	*uart(UARTIMSC) = 0; /* main() reads the data, then unmasks again */
}

static void wait_for_input(void)
{
	while ((*uart(UARTFR) & FR_RXFE) != 0) {
		*uart(UARTIMSC) = INT_RX_RT;
		__asm__ volatile("wfi");
	}
}

int main(void)
{
	char name[17] = "native";
	char line[128];
	size_t len = 0;
	bool rxirq = false;

	if (bh_hypervisor_present()) {
		bh_partition_name(name);
		if (bh_bootarg("flood", NULL, 0)) {
			for (unsigned long n = 0;; n++) {
				printf("console %s flood %lu: the quick brown fox jumps over the "
				       "lazy "
				       "dog\n",
				       name, n);
			}
		}
		rxirq = bh_bootarg("rxirq", NULL, 0);
	}
	if (rxirq) {
		bh_irq_init();
		bh_irq_register(UART_SPI, rx_handler, NULL);
		bh_irq_enable(UART_SPI);
		bh_irq_local_enable();
	}
	printf("console %s ready%s\n", name, rxirq ? " (receive interrupt)" : "");
	for (;;) {
		int c;
		if (rxirq) {
			wait_for_input();
		}
		c = getchar();
		if (c == EOF) {
			clearerr(stdin);
			continue;
		}
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			printf("console %s got '%s'%s\n", name, line,
			       rxirq && atomic_load(&rx_interrupts) > 0 ? " after an interrupt"
									: "");
			len = 0;
		} else if (len < sizeof(line) - 1) {
			line[len++] = (char)c;
		}
	}
}
