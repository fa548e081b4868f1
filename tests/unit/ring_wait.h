/* SPDX-License-Identifier: MIT */
/*
 * Waiting on a VMBus ring between two host threads, as the signalling
 * protocol says (docs/vmbus.md), for the stress test (stress_ring.c) and the
 * benchmark (tests/bench/ring_bench.c). A doorbell is a semaphore post. The
 * reader sleeps only with its interrupt unmasked and the ring re-checked; the
 * writer only after a send returned VMBUS_FULL (its pending_send_sz is set).
 * Both may first poll the ring up to `spin` times: while the peer streams,
 * the ring turns within that and no doorbell is needed.
 */
#ifndef RING_WAIT_H
#define RING_WAIT_H

#include <semaphore.h>
#include <stdatomic.h>

#include "../../vmbus/ring.h"

struct ring_wait {
	sem_t to_reader, to_writer;
	atomic_ulong to_reader_rings; /* doorbells the library asked for, writer to reader */
	atomic_ulong to_writer_rings; /* and reader to writer */
};

static inline void ring_wait_init(struct ring_wait *w)
{
	sem_init(&w->to_reader, 0, 0);
	sem_init(&w->to_writer, 0, 0);
	atomic_store(&w->to_reader_rings, 0);
	atomic_store(&w->to_writer_rings, 0);
}

static inline void ring_wait_destroy(struct ring_wait *w)
{
	sem_destroy(&w->to_reader);
	sem_destroy(&w->to_writer);
}

/* After a send (writer) or a receive (reader) that asked for a doorbell. */
static inline void ring_wait_signal_reader(struct ring_wait *w, bool signal)
{
	if (signal) {
		atomic_fetch_add(&w->to_reader_rings, 1);
		sem_post(&w->to_reader);
	}
}

static inline void ring_wait_signal_writer(struct ring_wait *w, bool signal)
{
	if (signal) {
		atomic_fetch_add(&w->to_writer_rings, 1);
		sem_post(&w->to_writer);
	}
}

/* The reader found the ring empty (its interrupt masked, as while draining). */
static inline void ring_wait_for_data(struct ring_wait *w, struct vmbus_ring *rx, unsigned spin)
{
	for (unsigned i = 0; i < spin; i++) {
		if (!vmbus_ring_empty(rx)) {
			return;
		}
		vmbus_cpu_relax();
	}
	/* Unmasked, and checked again after unmasking: only then sleep. */
	if (!vmbus_ring_unmask(rx)) {
		sem_wait(&w->to_reader);
	}
	vmbus_ring_mask(rx);
}

/* Before a send of `len` bytes: poll while there is no room for it. */
static inline void ring_wait_poll_room(const struct vmbus_ring *tx, uint32_t len, unsigned spin)
{
	for (unsigned i = 0; i < spin && !vmbus_ring_has_room(tx, len); i++) {
		vmbus_cpu_relax();
	}
}

/* A send returned VMBUS_FULL: pending_send_sz is set, the reader will post. */
static inline void ring_wait_for_room(struct ring_wait *w)
{
	sem_wait(&w->to_writer);
}

#endif
