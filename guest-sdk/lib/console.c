/* SPDX-License-Identifier: MIT */
/* Console output shared by several CPUs, and the spinlock that makes it so. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static bh_spinlock_t console_lock = BH_SPINLOCK_INIT;
static bh_spinlock_t stdio_lock = BH_SPINLOCK_INIT;

void bh_spin_lock(bh_spinlock_t *lock)
{
	while (atomic_exchange_explicit(&lock->locked, 1, memory_order_acquire) != 0) {
		/* Spin on plain loads so the cache line is not bounced by stores. */
		while (atomic_load_explicit(&lock->locked, memory_order_relaxed) != 0) {
			__asm__ volatile("yield");
		}
	}
}

void bh_spin_unlock(bh_spinlock_t *lock)
{
	atomic_store_explicit(&lock->locked, 0, memory_order_release);
}

/* Interrupts masked while the lock is held: a handler on this CPU may print too. */
void bh_console_write(const char *text, size_t length)
{
	uint64_t daif = bh_irq_save();
	bh_spin_lock(&console_lock);
	bh_console_backend_write(text, length);
	bh_spin_unlock(&console_lock);
	bh_irq_restore(daif);
}

int bh_printf(const char *format, ...)
{
	va_list arguments;
	int written;

	va_start(arguments, format);
	bh_spin_lock(&stdio_lock);
	written = vprintf(format, arguments);
	fflush(stdout);
	bh_spin_unlock(&stdio_lock);
	va_end(arguments);
	return written;
}
