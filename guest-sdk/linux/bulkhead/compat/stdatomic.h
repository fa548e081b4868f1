/* SPDX-License-Identifier: MIT */
/*
 * The C11 <stdatomic.h> that vmbus/ring.c uses, for a kernel build (which has
 * no libc headers): the GCC __atomic builtins the compiler's own header maps
 * to. Only what the ring library needs; the kernel builds with -std=gnu11, so
 * _Atomic is the compiler's, and arm64 builds with -mno-outline-atomics.
 */
#ifndef BULKHEAD_COMPAT_STDATOMIC_H
#define BULKHEAD_COMPAT_STDATOMIC_H

#define memory_order_relaxed __ATOMIC_RELAXED
#define memory_order_acquire __ATOMIC_ACQUIRE
#define memory_order_release __ATOMIC_RELEASE
#define memory_order_acq_rel __ATOMIC_ACQ_REL
#define memory_order_seq_cst __ATOMIC_SEQ_CST

#define atomic_load_explicit(p, order)	   __atomic_load_n((p), (order))
#define atomic_store_explicit(p, v, order) __atomic_store_n((p), (v), (order))
#define atomic_load(p)			   __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define atomic_store(p, v)		   __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define atomic_signal_fence(order)	   __atomic_signal_fence(order)
#define atomic_thread_fence(order)	   __atomic_thread_fence(order)

#endif
