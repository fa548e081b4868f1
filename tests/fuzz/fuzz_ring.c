// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over the VMBus ring's receive path (vmbus/ring.c). The
 * input is a ring as a hostile writer could leave it: header fields, data
 * area size and contents, and a short script of receives (recv with buffers
 * of several sizes, peek and consume), sends and interrupt masking; then the
 * ring is drained. The ring lies in a buffer malloc'd to the byte, so
 * AddressSanitizer sees any access outside it. Every receive runs twice from
 * the same state, as recv and as peek + consume, and both must leave the
 * same bytes and signal alike. A violated invariant aborts.
 *
 * Input (little-endian; bytes past the end read as zero):
 *   u16  data area size: 64 + (v % 505) * 8 bytes, so 64 to 4096
 *   u32  write_index, read_index, interrupt_mask, pending_send_sz
 *   u8   flags: bit 0 folds both indices into the area, 8-aligned, so that
 *        most inputs get past the index checks to the packets
 *   u8   script length - 1 (mod 32), then that many script bytes:
 *        low 3 bits the operation, the other 5 its argument
 *   ...  the data area
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/fuzz.mk); with -DFUZZ_REPLAY
 * it has a main() that runs the files named on its command line instead, so
 * a crash reproduces with gcc too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "../../vmbus/ring.h"

#define MAX_DATA   4096U
#define MAX_SCRIPT 32U
#define MIN_PACKET (VMBUS_DESC_SIZE + VMBUS_TRAILER_SIZE)

enum op {
	OP_RECV_SMALL, /* recv into arg * 8 bytes: too small -> TOOBIG, packet kept */
	OP_RECV_MAX,   /* recv into a buffer of the max payload */
	OP_RECV_HALF,  /* recv into half the data area */
	OP_RECV_ZERO,  /* recv into no buffer at all */
	OP_SEND,       /* one packet of a length from arg */
	OP_BATCH,      /* 1 to 4 packets */
	OP_MASK,       /* mask or unmask the reader's interrupt */
	OP_EMPTY,      /* vmbus_ring_empty agrees with the indices */
};

struct fuzz {
	uint8_t *mem; /* header page + data area, malloc'd to the byte */
	size_t total;
	uint32_t size;
	struct vmbus_ring rx, tx; /* the two partitions' views */
	/*
	 * Bytes the reader may still consume: those in the ring at the start
	 * plus all sent since. Each packet takes at least 24, so this bounds
	 * the drain: running past it is a hang.
	 */
	uint64_t budget;
};

static uint8_t snapshot[VMBUS_RING_HEADER_SIZE + MAX_DATA];
static uint8_t after_recv[VMBUS_RING_HEADER_SIZE + MAX_DATA];
static uint8_t recv_buf[MAX_DATA];
static const uint8_t payload[MAX_DATA]; /* sends carry zeros: only their lengths matter */

static uint32_t take(const uint8_t **p, size_t *n, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		if (*n > 0) {
			v |= (uint32_t) * *p << (8 * i);
			(*p)++;
			(*n)--;
		}
	}
	return v;
}

static bool index_ok(const struct fuzz *f, uint32_t i)
{
	return i < f->size && i % VMBUS_PACKET_ALIGN == 0;
}

static uint32_t ring_used(const struct fuzz *f, uint32_t w, uint32_t rd)
{
	return w >= rd ? w - rd : f->size - rd + w;
}

static uint32_t ring_room(const struct fuzz *f, uint32_t w, uint32_t rd)
{
	return f->size - ring_used(f, w, rd) - VMBUS_PACKET_ALIGN;
}

static uint32_t packet_size(uint32_t len)
{
	return VMBUS_DESC_SIZE + ((len + 7) & ~7U) + VMBUS_TRAILER_SIZE;
}

static uint32_t write_index(const struct fuzz *f)
{
	return atomic_load(&f->rx.hdr->write_index);
}

static uint32_t read_index(const struct fuzz *f)
{
	return atomic_load(&f->rx.hdr->read_index);
}

static void check_broken(const struct vmbus_ring *r)
{
	CHECK(r->broken);
	CHECK(r->error != NULL && r->error[0] != '\0');
}

static void check_view(const struct fuzz *f, const struct vmbus_packet_view *v)
{
	const uint8_t *data = f->mem + VMBUS_RING_HEADER_SIZE;
	CHECK(v->len <= vmbus_ring_max_payload(&f->rx));
	CHECK((uint64_t)v->span[0].n + v->span[1].n == v->len);
	for (int s = 0; s < 2; s++) {
		CHECK(v->span[s].p >= data && v->span[s].p <= data + f->size);
		CHECK(v->span[s].n <= (size_t)(data + f->size - v->span[s].p));
	}
	if (v->span[1].n != 0) {
		CHECK(v->span[0].p + v->span[0].n == data + f->size && v->span[1].p == data);
	}
}

/*
 * One receive, done twice from the same state: recv into `size` bytes (on
 * TOOBIG, again with a buffer that fits), and peek, peek, consume. Returns the
 * status both gave.
 */
static int receive(struct fuzz *f, uint32_t size)
{
	uint32_t max = vmbus_ring_max_payload(&f->rx);
	/* The reader's own index, and the one it last published (ring header 2 publishes per
	 * batch). */
	uint32_t rd = f->rx.own_read, published = read_index(f), w = write_index(f);
	uint32_t pending = atomic_load(&f->rx.hdr->pending_send_sz);
	bool was_broken = f->rx.broken;
	struct vmbus_ring rx_before = f->rx;
	memcpy(snapshot, f->mem, f->total);

	struct vmbus_desc desc;
	uint32_t len = 0;
	bool recv_signal;
	int a = vmbus_ring_recv(&f->rx, &desc, size != 0 ? recv_buf : NULL, size, &len,
				&recv_signal);
	CHECK(a == VMBUS_OK || a == VMBUS_EMPTY || a == VMBUS_TOOBIG || a == VMBUS_BROKEN);
	CHECK(!was_broken || a == VMBUS_BROKEN);
	if (a == VMBUS_TOOBIG) {
		/* The packet stays, whole, for a bigger buffer. */
		CHECK(len > size && len <= max && !recv_signal);
		CHECK(!f->rx.broken && memcmp(f->mem, snapshot, f->total) == 0);
		uint32_t needed = len;
		a = vmbus_ring_recv(&f->rx, &desc, recv_buf, max, &len, &recv_signal);
		CHECK(a == VMBUS_OK && len == needed);
	} else if (a == VMBUS_OK) {
		CHECK(len <= size);
	}
	if (a == VMBUS_OK) {
		CHECK(len <= max);
	} else {
		CHECK(!recv_signal && memcmp(f->mem, snapshot, f->total) == 0);
	}
	if (a == VMBUS_EMPTY) {
		CHECK(w == rd);
	}
	if (a == VMBUS_BROKEN) {
		check_broken(&f->rx);
	}
	memcpy(after_recv, f->mem, f->total);
	bool broken_after_recv = f->rx.broken;

	memcpy(f->mem, snapshot, f->total);
	f->rx = rx_before;
	struct vmbus_packet_view view, again;
	int b = vmbus_ring_peek(&f->rx, &view);
	CHECK(b == VMBUS_OK || b == VMBUS_EMPTY || b == VMBUS_BROKEN);
	CHECK(b == a);
	CHECK(memcmp(f->mem, snapshot, f->total) == 0); /* peeking writes nothing */
	if (b == VMBUS_OK) {
		check_view(f, &view);
		CHECK(view.len == len && memcmp(&view.desc, &desc, sizeof(desc)) == 0);
		CHECK(memcmp(view.span[0].p, recv_buf, view.span[0].n) == 0);
		CHECK(memcmp(view.span[1].p, recv_buf + view.span[0].n, view.span[1].n) == 0);
		CHECK(vmbus_ring_peek(&f->rx, &again) == VMBUS_OK);
		CHECK(again.len == view.len && again.span[0].p == view.span[0].p &&
		      again.next_index == view.next_index);
		bool signal;
		CHECK(vmbus_ring_consume(&f->rx, &view, &signal) == VMBUS_OK);
		CHECK(signal == recv_signal);

		uint32_t next = f->rx.own_read;
		CHECK(index_ok(f, next) && next == view.next_index);
		uint32_t freed = ring_used(f, next, rd);
		CHECK(freed >= MIN_PACKET && freed <= ring_used(f, w, rd) && freed <= f->budget);
		f->budget -= freed;
		/*
		 * read_index is published when the ring is empty or a quarter of
		 * it is held back, else left alone; the writer is owed a doorbell
		 * only when a publication frees its pending_send_sz.
		 */
		bool due = next == w || ring_used(f, next, published) >= f->rx.step;
		CHECK(read_index(f) == (due ? next : published));
		CHECK(signal == (due && pending != 0 && ring_room(f, w, published) < pending &&
				 ring_room(f, w, next) >= pending));
	} else if (b == VMBUS_BROKEN) {
		check_broken(&f->rx);
	}
	CHECK(memcmp(f->mem, after_recv, f->total) == 0);
	CHECK(f->rx.broken == broken_after_recv);
	return b;
}

/* What a receive would say now: EMPTY (a peek of a copy writes nothing, checked above). */
static bool peeks_empty(const struct fuzz *f)
{
	struct vmbus_ring copy = f->rx;
	struct vmbus_packet_view view;
	return vmbus_ring_peek(&copy, &view) == VMBUS_EMPTY;
}

static void send_packets(struct fuzz *f, uint8_t arg, uint32_t count)
{
	struct vmbus_send_item items[4] = {0};
	uint32_t max = vmbus_ring_max_payload(&f->tx);
	for (uint32_t i = 0; i < count; i++) {
		/* Mostly small packets, and now and then one that can never fit. */
		uint32_t len = ((uint32_t)arg * 41U + i * 97U) % (f->size / 2 + 40);
		items[i] = (struct vmbus_send_item){
			.type = 1, .trans_id = arg + i, .payload = payload, .len = len};
	}
	/* The writer's view of the reader is at most this: it caches what it loaded. */
	uint32_t w = write_index(f), rd = read_index(f);
	bool was_broken = f->tx.broken;
	uint32_t interrupt_mask = atomic_load(&f->tx.hdr->interrupt_mask);
	/* pending_send_sz as the input left it: the writer clears only what it stored itself. */
	uint32_t pending_before = atomic_load(&f->tx.hdr->pending_send_sz);
	bool had_asked = f->tx.pending_set;
	memcpy(snapshot, f->mem, f->total);

	uint32_t sent = 1;
	bool signal;
	int rc = count == 1 ? vmbus_ring_send(&f->tx, items[0].type, items[0].trans_id, payload,
					      items[0].len, &signal)
			    : vmbus_ring_send_batch(&f->tx, items, count, &sent, &signal);
	CHECK(rc == VMBUS_OK || rc == VMBUS_FULL || rc == VMBUS_TOOBIG || rc == VMBUS_BROKEN);
	CHECK(!was_broken || rc == VMBUS_BROKEN);
	if (rc != VMBUS_OK) {
		CHECK(!signal && write_index(f) == w);
	}
	if (rc == VMBUS_OK && !index_ok(f, rd)) {
		/* A cached view let the batch out; the load after publishing it broke the ring. */
		CHECK(!was_broken && f->tx.broken && !signal && sent >= 1 && sent <= count);
		return;
	}
	switch (rc) {
	case VMBUS_OK: {
		CHECK(sent >= 1 && sent <= count);
		uint32_t bytes = 0;
		for (uint32_t i = 0; i < sent; i++) {
			bytes += packet_size(items[i].len);
		}
		CHECK(bytes <= ring_room(f, w, rd));
		CHECK(write_index(f) == (w + bytes) % f->size);
		uint32_t pending = atomic_load(&f->tx.hdr->pending_send_sz);
		CHECK(!f->tx.pending_set);
		CHECK(pending == 0 || (!had_asked && pending == pending_before));
		if (sent < count) { /* stopped at one that does not fit now, or ever */
			CHECK(items[sent].len > max ||
			      bytes + packet_size(items[sent].len) > ring_room(f, w, rd));
		}
		CHECK(signal == (w == rd && interrupt_mask == 0));
		f->budget += bytes;
		break;
	}
	case VMBUS_FULL:
		CHECK(items[0].len <= max && packet_size(items[0].len) > ring_room(f, w, rd));
		CHECK(f->tx.pending_set);
		CHECK(atomic_load(&f->tx.hdr->pending_send_sz) ==
		      (packet_size(items[0].len) > f->tx.wakeup ? packet_size(items[0].len)
								: f->tx.wakeup));
		break;
	case VMBUS_TOOBIG:
		CHECK(items[0].len > max && memcmp(f->mem, snapshot, f->total) == 0);
		break;
	default:
		check_broken(&f->tx);
		CHECK(was_broken || !index_ok(f, w) || !index_ok(f, rd));
		CHECK(memcmp(f->mem, snapshot, f->total) == 0);
		break;
	}
}

static void run(const uint8_t *data, size_t n)
{
	struct fuzz f = {0};
	f.size = 64 + take(&data, &n, 2) % ((MAX_DATA - 64) / 8 + 1) * 8;
	f.total = VMBUS_RING_HEADER_SIZE + f.size;
	f.mem = calloc(1, f.total);
	CHECK(f.mem != NULL);
	CHECK(vmbus_ring_init(&f.tx, f.mem, f.total, true) == VMBUS_OK);
	CHECK(vmbus_ring_init(&f.rx, f.mem, f.total, false) == VMBUS_OK);
	uint32_t w = take(&data, &n, 4), rd = take(&data, &n, 4);
	atomic_store(&f.rx.hdr->interrupt_mask, take(&data, &n, 4));
	atomic_store(&f.rx.hdr->pending_send_sz, take(&data, &n, 4));
	if (take(&data, &n, 1) & 1) {
		w = w % f.size & ~7U;
		rd = rd % f.size & ~7U;
	}
	atomic_store(&f.rx.hdr->write_index, w);
	atomic_store(&f.rx.hdr->read_index, rd);
	/* Both sides attach to the ring as it is now: they take their own indices from it. */
	CHECK(vmbus_ring_init(&f.tx, f.mem, f.total, false) == VMBUS_OK);
	CHECK(vmbus_ring_init(&f.rx, f.mem, f.total, false) == VMBUS_OK);
	f.budget = index_ok(&f, w) && index_ok(&f, rd) ? ring_used(&f, w, rd) : 0;
	uint8_t script[MAX_SCRIPT];
	uint32_t script_len = take(&data, &n, 1) % MAX_SCRIPT + 1;
	for (uint32_t i = 0; i < script_len; i++) {
		script[i] = (uint8_t)take(&data, &n, 1);
	}
	memcpy(f.mem + VMBUS_RING_HEADER_SIZE, data, n < f.size ? n : f.size);

	uint32_t max = vmbus_ring_max_payload(&f.rx);
	for (uint32_t i = 0; i < script_len; i++) {
		uint8_t arg = script[i] >> 3;
		switch ((enum op)(script[i] & 7)) {
		case OP_RECV_SMALL:
			receive(&f, arg * 8U);
			break;
		case OP_RECV_MAX:
			receive(&f, max);
			break;
		case OP_RECV_HALF:
			receive(&f, f.size / 2);
			break;
		case OP_RECV_ZERO:
			receive(&f, 0);
			break;
		case OP_SEND:
			send_packets(&f, arg, 1);
			break;
		case OP_BATCH:
			send_packets(&f, arg, 1 + arg % 4U);
			break;
		case OP_MASK:
			if (arg & 1) {
				vmbus_ring_mask(&f.rx);
				CHECK(atomic_load(&f.rx.hdr->interrupt_mask) != 0);
			} else {
				bool more = vmbus_ring_unmask(&f.rx);
				CHECK(atomic_load(&f.rx.hdr->interrupt_mask) == 0);
				CHECK(more == !peeks_empty(&f));
			}
			break;
		case OP_EMPTY:
			CHECK(vmbus_ring_empty(&f.rx) == peeks_empty(&f));
			break;
		}
	}

	/* Drain: each packet costs budget (checked in receive()), so this ends. */
	static const uint32_t sizes[] = {0, 24, 64};
	int rc;
	unsigned i = 0;
	do {
		rc = receive(&f, i % 2 ? max : sizes[i / 2 % 3]);
		i++;
	} while (rc == VMBUS_OK);
	CHECK(rc == VMBUS_EMPTY || rc == VMBUS_BROKEN);
	CHECK(vmbus_ring_empty(&f.rx) == (rc == VMBUS_EMPTY));
	if (rc == VMBUS_BROKEN) { /* and it stays so */
		CHECK(receive(&f, max) == VMBUS_BROKEN);
	}
	free(f.mem);
}

FUZZ_ENTRY("fuzz_ring")
