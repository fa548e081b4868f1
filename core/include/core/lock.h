/* SPDX-License-Identifier: MIT */
/*
 * A test-and-set spinlock on C11 atomics (LDAXR/STLXR on ARMv8.0).
 * Only usable once the MMU is on: exclusives need normal cacheable memory.
 */
#ifndef CORE_LOCK_H
#define CORE_LOCK_H

#include <arch/arch.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct {
	atomic_bool locked;
} spinlock_t;

#define SPINLOCK_INIT \
	{             \
		false \
	}

static inline bool spin_trylock(spinlock_t *lock)
{
	return !atomic_exchange_explicit(&lock->locked, true, memory_order_acquire);
}

static inline void spin_lock(spinlock_t *lock)
{
	while (!spin_trylock(lock)) {
		while (atomic_load_explicit(&lock->locked, memory_order_relaxed)) {
			arch_cpu_relax();
		}
	}
}

static inline void spin_unlock(spinlock_t *lock)
{
	atomic_store_explicit(&lock->locked, false, memory_order_release);
}

#endif
