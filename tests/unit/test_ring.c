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
	assert_int_equal(got, (len + 7) & ~7U);
	assert_int_equal(d.type, 6);
	assert_int_equal(d.trans_id, fill);
	for (uint32_t i = 0; i < len; i++) {
		assert_int_equal(buf[i], fill);
	}
	for (uint32_t i = len; i < got; i++) {
		assert_int_equal(buf[i], 0); /* padding */
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

	/* A reader index the writer cannot trust breaks the sender's side too. */
	setup_ring();
	atomic_store(&rx.hdr->read_index, 0xfffffff8U);
	assert_int_equal(send(8, 1, &signal), VMBUS_BROKEN);
	assert_int_equal(send(8, 1, &signal), VMBUS_BROKEN);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
