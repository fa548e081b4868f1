// SPDX-License-Identifier: MIT
/* Host tests for the VMBus ring (vmbus/ring.c): both ends in one thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../vmbus/ring.h"

#define DATA 256U /* a small data area makes wrap-around quick to reach */

static _Alignas(8) uint8_t mem[VMBUS_RING_HEADER_SIZE + DATA];
static struct vmbus_ring tx, rx; /* two views of the same memory, as two partitions */

static void setup_ring(void)
{
	memset(mem, 0xee, sizeof(mem));
	assert_int_equal(vmbus_ring_init(&tx, mem, sizeof(mem), true), VMBUS_OK);
	assert_int_equal(vmbus_ring_init(&rx, mem, sizeof(mem), false), VMBUS_OK);
}

static int send(uint32_t len, uint8_t fill, bool *signal)
{
	uint8_t buf[DATA];
	memset(buf, fill, sizeof(buf));
	return vmbus_ring_send(&tx, 6, fill, buf, len, signal);
}

static void expect_packet(uint32_t len, uint8_t fill)
{
	uint8_t buf[DATA];
	struct vmbus_desc d;
	uint32_t got;
	bool signal;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &got, &signal), VMBUS_OK);
	assert_int_equal(got, len); /* exact: the padding is in flags (spec 2.1) */
	assert_int_equal(d.flags, ((len + 7) & ~7U) - len);
	assert_int_equal(d.type, 6);
	assert_int_equal(d.trans_id, fill);
	for (uint32_t i = 0; i < len; i++) {
		assert_int_equal(buf[i], fill);
	}
}

static void test_empty_and_bad_init(void **state)
{
	(void)state;
	setup_ring();
	struct vmbus_desc d;
	uint32_t len;
	bool signal;
	uint8_t buf[8];
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_EMPTY);
	struct vmbus_ring r;
	assert_int_equal(vmbus_ring_init(&r, mem, VMBUS_RING_HEADER_SIZE + 12, true),
			 VMBUS_INVALID);
	assert_int_equal(vmbus_ring_init(&r, NULL, sizeof(mem), true), VMBUS_INVALID);
	assert_int_equal(vmbus_ring_init(&r, mem, 100, true), VMBUS_INVALID);
}

static void test_wrap_around(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	/* 200 rounds of odd sizes walk the indices around the 256-byte area many times. */
	for (unsigned i = 0; i < 200; i++) {
		uint32_t len = 1 + (i * 37) % 90;
		assert_int_equal(send(len, (uint8_t)i, &signal), VMBUS_OK);
		assert_true(signal); /* empty -> non-empty every time */
		expect_packet(len, (uint8_t)i);
	}
	assert_int_equal(atomic_load(&tx.hdr->write_index), atomic_load(&tx.hdr->read_index));
}

static void test_full_exact_fit_and_pending(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	/* Max payload: the whole area but the 8 free bytes, the descriptor and the trailer. */
	uint32_t max = vmbus_ring_max_payload(&tx);
	assert_int_equal(max, DATA - 8 - 16 - 8);
	assert_int_equal(send(max + 1, 1, &signal), VMBUS_TOOBIG);
	assert_int_equal(send(max, 2, &signal), VMBUS_OK);
	assert_true(signal);
	/* Full: even an empty packet does not fit; the writer asks to be told. */
	assert_int_equal(send(0, 3, &signal), VMBUS_FULL);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 24);
	/* The reader frees the space and owes the writer a doorbell for it. */
	uint8_t buf[DATA];
	struct vmbus_desc d;
	uint32_t len;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_OK);
	assert_true(signal);
	assert_int_equal(len, max);
	assert_int_equal(send(0, 3, &signal), VMBUS_OK);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 0);
	expect_packet(0, 3);
}

static void test_signals_are_rare(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	assert_int_equal(send(8, 1, &signal), VMBUS_OK);
	assert_true(signal);
	/* Not empty any more: no doorbell for the next ones. */
	assert_int_equal(send(8, 2, &signal), VMBUS_OK);
	assert_false(signal);
	expect_packet(8, 1);
	expect_packet(8, 2);
	/* A reader that masked while draining gets none, and sees the data when unmasking. */
	vmbus_ring_mask(&rx);
	assert_int_equal(send(8, 3, &signal), VMBUS_OK);
	assert_false(signal);
	assert_true(vmbus_ring_unmask(&rx));
	expect_packet(8, 3);
	assert_false(vmbus_ring_unmask(&rx));
	/* The reader signals the writer only when asked (pending_send_sz), not otherwise. */
	assert_int_equal(send(8, 4, &signal), VMBUS_OK);
	uint8_t buf[DATA];
	struct vmbus_desc d;
	uint32_t len;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_OK);
	assert_false(signal);
}

static void test_small_buffer_keeps_packet(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	assert_int_equal(send(64, 9, &signal), VMBUS_OK);
	uint8_t buf[32];
	struct vmbus_desc d;
	uint32_t len;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_TOOBIG);
	assert_int_equal(len, 64); /* what it needs */
	assert_false(rx.broken);
	expect_packet(64, 9);
}

static void test_hostile_peer(void **state)
{
	(void)state;
	uint8_t buf[DATA];
	struct vmbus_desc d;
	uint32_t len;
	bool signal;

	/* A write index outside the area, or misaligned. */
	setup_ring();
	atomic_store(&tx.hdr->write_index, DATA + 8);
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);
	assert_non_null(rx.error);
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);
	setup_ring();
	atomic_store(&tx.hdr->write_index, 12);
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);

	/* A descriptor longer than what was written, or with offset past its length. */
	setup_ring();
	assert_int_equal(send(16, 1, &signal), VMBUS_OK);
	struct vmbus_desc *raw = (struct vmbus_desc *)(void *)tx.data;
	raw->len8 = 200;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);
	setup_ring();
	assert_int_equal(send(16, 1, &signal), VMBUS_OK);
	raw->offset8 = 10;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);
	setup_ring();
	assert_int_equal(send(16, 1, &signal), VMBUS_OK);
	raw->offset8 = 0;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);
	/* Padding (flags, spec 2.1) longer than the payload: an empty payload cannot have 7. */
	setup_ring();
	assert_int_equal(send(0, 1, &signal), VMBUS_OK);
	raw->flags = 7;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);
	assert_string_equal(rx.error, "packet padding longer than its payload");

	/*
	 * A reader index the writer cannot trust breaks the sender's side too:
	 * the writer caches the index, so it finds out when it next loads it
	 * (at the latest after publishing its packet) and refuses from then on.
	 */
	setup_ring();
	atomic_store(&rx.hdr->read_index, 0xfffffff8U);
	assert_int_equal(send(8, 1, &signal), VMBUS_OK);
	assert_true(tx.broken);
	assert_int_equal(send(8, 1, &signal), VMBUS_BROKEN);

	/*
	 * Each side keeps its own index privately: a writer that rewinds the
	 * reader's published index cannot make it read a packet twice, and a
	 * reader that rewinds the writer's cannot make it overwrite unread data.
	 */
	setup_ring();
	assert_int_equal(send(16, 1, &signal), VMBUS_OK);
	assert_int_equal(send(16, 2, &signal), VMBUS_OK);
	expect_packet(16, 1);
	atomic_store(&rx.hdr->read_index, 0); /* the writer rewinds it */
	expect_packet(16, 2);
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_EMPTY);
	uint32_t w = atomic_load(&tx.hdr->write_index);
	assert_int_equal(send(16, 3, &signal), VMBUS_OK);
	atomic_store(&tx.hdr->write_index, w); /* the reader rewinds it, hiding packet 3 */
	assert_int_equal(send(16, 4, &signal), VMBUS_OK); /* published after 3, not over it */
	expect_packet(16, 3);
	expect_packet(16, 4);
}

/* The payload of a view, checked against what send() wrote; the spans must lie in the data area. */
static void expect_view(const struct vmbus_packet_view *v, uint32_t len, uint8_t fill)
{
	assert_int_equal(v->len, len);
	assert_int_equal(v->span[0].n + v->span[1].n, v->len);
	assert_int_equal(v->desc.type, 6);
	assert_int_equal(v->desc.trans_id, fill);
	for (int s = 0; s < 2; s++) {
		assert_true(v->span[s].p >= rx.data);
		assert_true(v->span[s].p + v->span[s].n <= rx.data + DATA);
	}
	if (v->span[1].n != 0) {
		assert_ptr_equal(v->span[0].p + v->span[0].n,
				 rx.data + DATA); /* wraps at the end */
		assert_ptr_equal(v->span[1].p, rx.data);
	}
	uint32_t i = 0;
	for (int s = 0; s < 2; s++) {
		for (uint32_t k = 0; k < v->span[s].n; k++, i++) {
			assert_int_equal(v->span[s].p[k], i < len ? fill : 0);
		}
	}
}

static void test_peek_and_consume(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	struct vmbus_packet_view v;
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_EMPTY);
	assert_true(vmbus_ring_empty(&rx));
	/* A first packet of 200 bytes leaves the next one's payload straddling the end. */
	assert_int_equal(send(176, 1, &signal), VMBUS_OK);
	expect_packet(176, 1);
	assert_int_equal(atomic_load(&rx.hdr->read_index), 200);
	assert_int_equal(send(61, 2, &signal), VMBUS_OK);
	assert_false(vmbus_ring_empty(&rx));
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_OK);
	expect_view(&v, 61, 2);
	assert_ptr_equal(v.span[0].p, rx.data + 216);
	assert_int_equal(v.span[0].n, 40);
	assert_int_equal(v.span[1].n, 21); /* 61 bytes, not the padded 64 */
	/* Peeking again gives the same packet; nothing is released until consume. */
	struct vmbus_packet_view again;
	assert_int_equal(vmbus_ring_peek(&rx, &again), VMBUS_OK);
	assert_memory_equal(&again.desc, &v.desc, sizeof(v.desc));
	assert_ptr_equal(again.span[0].p, v.span[0].p);
	assert_int_equal(again.span[0].n, v.span[0].n);
	assert_int_equal(again.span[1].n, v.span[1].n);
	assert_int_equal(again.next_index, v.next_index);
	assert_int_equal(atomic_load(&rx.hdr->read_index), 200);
	assert_int_equal(vmbus_ring_consume(&rx, &v, &signal), VMBUS_OK);
	assert_false(signal);
	assert_int_equal(atomic_load(&rx.hdr->read_index), (200 + 88) % DATA);
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_EMPTY);
	assert_true(vmbus_ring_empty(&rx));

	/* Odd sizes around the area many times, descriptors and payloads wrapping. */
	unsigned wrapped = 0;
	for (unsigned i = 0; i < 200; i++) {
		uint32_t len = 1 + (i * 37) % 90;
		assert_int_equal(send(len, (uint8_t)i, &signal), VMBUS_OK);
		assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_OK);
		expect_view(&v, len, (uint8_t)i);
		wrapped += v.span[1].n != 0;
		assert_int_equal(vmbus_ring_consume(&rx, &v, &signal), VMBUS_OK);
	}
	assert_true(wrapped > 10);
	assert_true(vmbus_ring_empty(&rx));
}

static void test_peek_hostile_and_bad_views(void **state)
{
	(void)state;
	bool signal;
	struct vmbus_packet_view v;
	setup_ring();
	assert_int_equal(send(16, 1, &signal), VMBUS_OK);
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_OK);
	/* A view that is not one is refused, and nothing is published. */
	struct vmbus_packet_view bad = v;
	bad.next_index = 12;
	assert_int_equal(vmbus_ring_consume(&rx, &bad, &signal), VMBUS_INVALID);
	bad = v;
	bad.index = DATA;
	assert_int_equal(vmbus_ring_consume(&rx, &bad, &signal), VMBUS_INVALID);
	bad.index = bad.next_index;
	assert_int_equal(vmbus_ring_consume(&rx, &bad, &signal), VMBUS_INVALID);
	assert_int_equal(atomic_load(&rx.hdr->read_index), 0);
	/* A view consumed already is stale: consuming it again would move read_index back. */
	assert_int_equal(send(16, 2, &signal), VMBUS_OK);
	assert_int_equal(vmbus_ring_consume(&rx, &v, &signal), VMBUS_OK);
	uint32_t after = atomic_load(&rx.hdr->read_index);
	assert_int_equal(vmbus_ring_consume(&rx, &v, &signal), VMBUS_INVALID);
	assert_int_equal(atomic_load(&rx.hdr->read_index), after);
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_OK);
	assert_int_equal(vmbus_ring_consume(&rx, &v, &signal), VMBUS_OK);

	/* Peek checks the descriptor as recv does, and a broken ring stays broken. */
	setup_ring();
	assert_int_equal(send(16, 1, &signal), VMBUS_OK);
	((struct vmbus_desc *)(void *)tx.data)->len8 = 200;
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_BROKEN);
	assert_non_null(rx.error);
	assert_false(vmbus_ring_empty(&rx)); /* a waiting reader must not sleep on it */
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_BROKEN);
	uint8_t buf[DATA];
	struct vmbus_desc d;
	uint32_t len;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_BROKEN);
	setup_ring();
	atomic_store(&tx.hdr->write_index, 8);
	assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_BROKEN); /* shorter than a packet */
}

/*
 * The writer fills the ring with 40-byte payloads (64 bytes each) and waits
 * for room for a 100-byte one (128 bytes); the reader drains it with recv or
 * with peek and consume. Returns the reads that signalled, as a bit mask.
 */
static unsigned drain_signals(bool with_peek)
{
	setup_ring();
	bool signal;
	unsigned packets = 0;
	while (send(40, (uint8_t)packets, &signal) == VMBUS_OK) {
		packets++;
	}
	assert_int_equal(packets, 3); /* 3 * 64 of the 248 bytes of room */
	assert_int_equal(send(100, 9, &signal), VMBUS_FULL);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 128);
	unsigned signalled = 0;
	for (unsigned i = 0; i < packets; i++) {
		if (with_peek) {
			struct vmbus_packet_view v;
			assert_int_equal(vmbus_ring_peek(&rx, &v), VMBUS_OK);
			expect_view(&v, 40, (uint8_t)i);
			assert_int_equal(vmbus_ring_consume(&rx, &v, &signal), VMBUS_OK);
		} else {
			uint8_t buf[DATA];
			struct vmbus_desc d;
			uint32_t len;
			assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal),
					 VMBUS_OK);
		}
		signalled |= (unsigned)signal << i;
	}
	return signalled;
}

static void test_consume_signals_like_recv(void **state)
{
	(void)state;
	/* Room goes 56, 120, 184: only the second read crosses 128. */
	assert_int_equal(drain_signals(false), 1U << 1);
	assert_int_equal(drain_signals(true), 1U << 1);
}

static struct vmbus_send_item item(uint32_t len, uint8_t fill)
{
	static uint8_t payloads[8][DATA];
	memset(payloads[fill % 8], fill, DATA);
	return (struct vmbus_send_item){
		.type = 6, .trans_id = fill, .payload = payloads[fill % 8], .len = len};
}

static void test_batch(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	uint32_t sent;
	/* One doorbell for a batch into an empty ring, none for one into a non-empty ring. */
	struct vmbus_send_item small[3] = {item(8, 1), item(13, 2), item(0, 3)};
	assert_int_equal(vmbus_ring_send_batch(&tx, small, 3, &sent, &signal), VMBUS_OK);
	assert_int_equal(sent, 3);
	assert_true(signal);
	struct vmbus_send_item more = item(8, 4);
	assert_int_equal(vmbus_ring_send_batch(&tx, &more, 1, &sent, &signal), VMBUS_OK);
	assert_false(signal);
	expect_packet(8, 1);
	expect_packet(13, 2);
	expect_packet(0, 3);
	expect_packet(8, 4);
	vmbus_ring_mask(&rx);
	assert_int_equal(vmbus_ring_send_batch(&tx, small, 2, &sent, &signal), VMBUS_OK);
	assert_int_equal(sent, 2);
	assert_false(signal);
	assert_true(vmbus_ring_unmask(&rx));
	expect_packet(8, 1);
	expect_packet(13, 2);

	/* 88-byte packets: two fit in the 248 bytes of room, the rest waits. */
	setup_ring();
	struct vmbus_send_item big[5];
	for (uint8_t i = 0; i < 5; i++) {
		big[i] = item(64, (uint8_t)(10 + i));
	}
	assert_int_equal(vmbus_ring_send_batch(&tx, big, 5, &sent, &signal), VMBUS_OK);
	assert_int_equal(sent, 2);
	assert_true(signal);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 0); /* partial is not full */
	/* Nothing fits: FULL, as send, asking for the first packet's size. */
	assert_int_equal(vmbus_ring_send_batch(&tx, big + 2, 3, &sent, &signal), VMBUS_FULL);
	assert_int_equal(sent, 0);
	assert_false(signal);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 88);
	uint8_t buf[DATA];
	struct vmbus_desc d;
	uint32_t len;
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_OK);
	assert_true(signal); /* room 72 -> 160 crosses 88 */
	assert_int_equal(vmbus_ring_send_batch(&tx, big + 2, 3, &sent, &signal), VMBUS_OK);
	assert_int_equal(sent, 1);
	assert_false(signal);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 0);
	expect_packet(64, 11);
	expect_packet(64, 12);
	assert_true(vmbus_ring_empty(&rx));
}

static void test_batch_bad_items(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	uint32_t sent = 7;
	struct vmbus_send_item items[3] = {item(8, 1), item(DATA, 2), item(8, 3)};
	assert_int_equal(vmbus_ring_send_batch(&tx, items, 0, &sent, &signal), VMBUS_INVALID);
	assert_int_equal(sent, 0);
	assert_int_equal(vmbus_ring_send_batch(&tx, NULL, 1, &sent, &signal), VMBUS_INVALID);
	/* A packet that can never fit stops the batch; first in line, it is the error. */
	assert_int_equal(vmbus_ring_send_batch(&tx, items, 3, &sent, &signal), VMBUS_OK);
	assert_int_equal(sent, 1);
	assert_int_equal(vmbus_ring_send_batch(&tx, items + 1, 2, &sent, &signal), VMBUS_TOOBIG);
	assert_int_equal(sent, 0);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 0);
	items[0].payload = NULL; /* a length without a payload */
	assert_int_equal(vmbus_ring_send_batch(&tx, items, 1, &sent, &signal), VMBUS_TOOBIG);
	expect_packet(8, 1);
	assert_true(vmbus_ring_empty(&rx));
}

static void test_max_payload_of_a_big_ring(void **state)
{
	(void)state;
	/* Past 512 KiB, len8 (16 bits of 8-byte units) bounds a packet, not the area. */
	const uint32_t area = 1024U * 1024U;
	size_t total = VMBUS_RING_HEADER_SIZE + area;
	uint8_t *big = calloc(1, total);
	uint8_t *buf = calloc(1, area);
	assert_non_null(big);
	assert_non_null(buf);
	struct vmbus_ring w, r;
	assert_int_equal(vmbus_ring_init(&w, big, total, true), VMBUS_OK);
	assert_int_equal(vmbus_ring_init(&r, big, total, false), VMBUS_OK);
	uint32_t max = vmbus_ring_max_payload(&w);
	assert_int_equal(max, 65535 * 8 - 16);
	bool signal;
	assert_int_equal(vmbus_ring_send(&w, 1, 1, buf, max + 1, &signal), VMBUS_TOOBIG);
	assert_int_equal(vmbus_ring_send(&w, 1, 1, buf, max, &signal), VMBUS_OK);
	struct vmbus_desc d;
	uint32_t len;
	assert_int_equal(vmbus_ring_recv(&r, &d, buf, area, &len, &signal), VMBUS_OK);
	assert_int_equal(len, max);
	free(buf);
	free(big);
}

static void test_wakeup_size_and_room(void **state)
{
	(void)state;
	setup_ring();
	bool signal;
	uint8_t buf[DATA];
	struct vmbus_desc d;
	uint32_t len;
	/* Capped at half the area: an empty ring must always have that much room. */
	vmbus_ring_set_wakeup(&tx, 1000);
	assert_int_equal(tx.wakeup, DATA / 2);
	vmbus_ring_set_wakeup(&tx, 13);
	assert_int_equal(tx.wakeup, 16);
	vmbus_ring_set_wakeup(&tx, 128);
	/* 64-byte packets (40 of payload): three fit in the 248 bytes, 56 stay. */
	for (uint8_t i = 1; i <= 3; i++) {
		assert_true(vmbus_ring_has_room(&tx, 40));
		assert_int_equal(send(40, i, &signal), VMBUS_OK);
	}
	assert_false(vmbus_ring_has_room(&tx, 40));
	assert_true(vmbus_ring_has_room(&tx, 32)); /* 56 bytes: exactly */
	assert_false(vmbus_ring_has_room(&tx, 33));
	/* Full: it asks for its wakeup size, more than the packet. */
	assert_int_equal(send(40, 4, &signal), VMBUS_FULL);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 128);
	/* Room for the packet after one read, but not the 128 asked for: no doorbell yet. */
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_OK);
	assert_false(signal);
	assert_true(vmbus_ring_has_room(&tx, 40));
	assert_int_equal(vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal), VMBUS_OK);
	assert_true(signal); /* 184 free: the crossing */
	assert_int_equal(send(40, 4, &signal), VMBUS_OK);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 0);
	/* A writer that did not ask does not store it (a peer's value stays its own business). */
	atomic_store(&tx.hdr->pending_send_sz, 99);
	assert_int_equal(send(8, 5, &signal), VMBUS_OK);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 99);
	/* Without a wakeup size it asks for its packet only. */
	vmbus_ring_set_wakeup(&tx, 0);
	assert_int_equal(send(200, 6, &signal), VMBUS_FULL);
	assert_int_equal(atomic_load(&tx.hdr->pending_send_sz), 16 + 200 + 8);
	/* Nothing to wait for on a broken ring or a packet that can never fit. */
	assert_true(vmbus_ring_has_room(&tx, DATA));
	atomic_store(&tx.hdr->read_index, 3);
	assert_true(vmbus_ring_has_room(&tx, 40));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_bad_init),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_full_exact_fit_and_pending),
		cmocka_unit_test(test_signals_are_rare),
		cmocka_unit_test(test_small_buffer_keeps_packet),
		cmocka_unit_test(test_hostile_peer),
		cmocka_unit_test(test_peek_and_consume),
		cmocka_unit_test(test_peek_hostile_and_bad_views),
		cmocka_unit_test(test_consume_signals_like_recv),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_bad_items),
		cmocka_unit_test(test_max_payload_of_a_big_ring),
		cmocka_unit_test(test_wakeup_size_and_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
