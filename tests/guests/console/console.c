/* SPDX-License-Identifier: MIT */
/*
 * Console test guest, by the partition's bootargs:
 *
 *   (nothing)    "console <name> ready", then echo every line typed:
 *                "console <name> got '<line>'", or for a line of more than
 *                64 bytes "console <name> got <n> bytes, sum <s>" (a paste); the
 *                line "off" asks PSCI SYSTEM_OFF, "fault" reads outside the
 *                partition (a hostile partition stopping itself)
 *   rxirq        the same, but wait for the PL011 receive interrupt (SPI 1,
 *                INTID 33) instead of polling: needs the pl011 build
 *                (BH_CONSOLE=pl011) and a `vuart` at 0x09000000
 *   flood        print numbered lines as fast as it can, forever
 *   burst=N      print N numbered lines as fast as it can, then SYSTEM_OFF
 *                (with "reset": SYSTEM_RESET, and the next life does it again)
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
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

/*
 * Interrupts masked between the check and the WFI: input arriving in between
 * leaves its interrupt pending, which ends the WFI, instead of running the
 * handler (which masks the UART) just before a WFI nothing would end.
 */
static void wait_for_input(void)
{
	bh_irq_local_disable();
	while ((*uart(UARTFR) & FR_RXFE) != 0) {
		*uart(UARTIMSC) = INT_RX_RT;
		__asm__ volatile("wfi");
		bh_irq_local_enable(); /* the handler runs here */
		bh_irq_local_disable();
	}
	bh_irq_local_enable();
}

int main(void)
{
	char name[17] = "native";
	static char line[8192];
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
		char value[16];
		if (bh_bootarg("burst", value, sizeof(value))) {
			unsigned long n = strtoul(value, NULL, 10);
			for (unsigned long i = 0; i < n; i++) {
				printf("console %s burst %lu: the quick brown fox jumps over the "
				       "lazy dog\n",
				       name, i);
			}
			if (bh_bootarg("reset", NULL, 0)) {
				bh_psci_system_reset();
			}
			bh_psci_system_off();
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
			if (len > 64) {
				unsigned sum = 0;
				for (size_t i = 0; i < len; i++) {
					sum += (uint8_t)line[i];
				}
				printf("console %s got %zu bytes, sum %u\n", name, len, sum);
			} else {
				printf("console %s got '%s'%s\n", name, line,
				       rxirq && atomic_load(&rx_interrupts) > 0
					       ? " after an interrupt"
					       : "");
			}
			if (strcmp(line, "off") == 0) {
				bh_psci_system_off();
			} else if (strcmp(line, "fault") == 0) {
				(void)*(volatile uint32_t *)0x80000000UL; /* not this partition's */
			}
			len = 0;
		} else if (len < sizeof(line) - 1) {
			line[len++] = (char)c;
		}
	}
}
