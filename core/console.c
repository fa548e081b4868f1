// SPDX-License-Identifier: MIT
/*
 * The physical console. Until partitions run, lines are written straight to
 * the UART. Then they go through an output ring: a writer copies its line in
 * under a short lock and pushes what the UART's FIFO takes without waiting;
 * the UART's transmit interrupt, later writers and idle CPUs push the rest.
 * So nobody waits in EL2 for the UART's 115200 baud behind someone's flood.
 */
#include <core/console.h>
#include <core/lock.h>
#include <core/pl011.h>

/* A push writes at most this much: a FIFO's worth (QEMU's FIFO never says full). */
#define PUSH_MAX 32U

static enum console_kind console_kind;
static uintptr_t console_addr;
static char ring[CONSOLE_RING_SIZE];
static size_t ring_head, ring_tail; /* free running: bytes queued, bytes sent */
static spinlock_t ring_lock = SPINLOCK_INIT;
static bool buffering;
static bool irq_on, tx_irq_on; /* the UART's interrupt is ours; its transmit part unmasked */

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

void console_buffer(bool irq)
{
	buffering = console_kind == CONSOLE_PL011;
	irq_on = buffering && irq;
	if (irq_on) {
		pl011_irq_clear(console_addr);
		pl011_irq_mask(console_addr, false);
	}
}

bool console_buffering(void)
{
	return buffering;
}

/* Lock held. */
static void push_locked(void)
{
	for (unsigned n = 0; n < PUSH_MAX && ring_tail != ring_head; n++) {
		if (pl011_tx_full(console_addr)) {
			break;
		}
		pl011_tx(console_addr, ring[ring_tail++ % CONSOLE_RING_SIZE]);
	}
	/* The transmit interrupt only while there is more to send (some PL011s hold it asserted).
	 */
	bool want = irq_on && ring_tail != ring_head;
	if (want != tx_irq_on) {
		tx_irq_on = want;
		pl011_irq_mask(console_addr, want);
	}
}

bool console_queue(const char *s, size_t n)
{
	size_t need = n;
	for (size_t i = 0; i < n; i++) {
		need += s[i] == '\n';
	}
	spin_lock(&ring_lock);
	bool fits = CONSOLE_RING_SIZE - (ring_head - ring_tail) >= need;
	for (size_t i = 0; fits && i < n; i++) {
		if (s[i] == '\n') {
			ring[ring_head++ % CONSOLE_RING_SIZE] = '\r';
		}
		ring[ring_head++ % CONSOLE_RING_SIZE] = s[i];
	}
	push_locked();
	spin_unlock(&ring_lock);
	return fits;
}

bool console_push(void)
{
	if (!buffering) {
		return false;
	}
	if (!spin_trylock(&ring_lock)) {
		return true; /* its holder pushes */
	}
	push_locked();
	bool left = ring_tail != ring_head;
	spin_unlock(&ring_lock);
	return left;
}

void console_irq(void)
{
	/* Cleared before the FIFOs are served: what arrives meanwhile raises it again. */
	pl011_irq_clear(console_addr);
	if (!buffering) {
		return;
	}
	/*
	 * Waits for the ring's holder instead of leaving the push to it: the
	 * transmit interrupt just cleared comes back only once a byte is
	 * written, so a holder that had already pushed would leave the rest
	 * stuck (idle CPUs sleep in WFI). The lock is held only for a copy and
	 * a FIFO's worth of bytes.
	 */
	spin_lock(&ring_lock);
	push_locked();
	spin_unlock(&ring_lock);
}

void console_flush(void)
{
	/* Panic: the ring's holder may never let go; a bounded wait, then print anyway. */
	for (unsigned spins = 0; spins < 1000000; spins++) {
		if (spin_trylock(&ring_lock)) {
			/* A stuck UART costs one bounded wait, not one per byte. */
			while (ring_tail != ring_head &&
			       pl011_putc(console_addr, ring[ring_tail % CONSOLE_RING_SIZE])) {
				ring_tail++;
			}
			spin_unlock(&ring_lock);
			return;
		}
		arch_cpu_relax();
	}
}
