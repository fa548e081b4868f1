// SPDX-License-Identifier: MIT
/*
 * Host tests for the child's side of the integration protocol
 * (guest-sdk/lib/integration_core.c): packet checks, heartbeat schedule, time
 * arithmetic, flood and message limits. The counter runs at QEMU's 62.5 MHz.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../guest-sdk/lib/integration_core.h"

#define HZ	 62500000ULL
#define MS	 (HZ / 1000) /* ticks */
#define START	 (5 * HZ)    /* the counter when the tests' child connects */
#define UNIX_NOW 1700000000000000000LL

static struct bh_integ_child child;
static struct bh_integ_event event;

static void connect_child(void)
{
	struct bh_integ_packet out[2];
	assert_true(bh_integ_child_init(&child, HZ, 0));
	bh_integ_child_connect(&child, "Bulkhead SDK 0.1.0", START, out);
}

static enum bh_integ_event_kind receive(uint16_t type, uint64_t trans_id, const void *payload,
					uint32_t length, uint64_t now)
{
	return bh_integ_child_receive(&child, type, trans_id, payload, length, now, &event);
}

static enum bh_integ_event_kind welcome(uint32_t version, uint32_t ms, uint64_t now)
{
	struct bh_integ_welcome w = {.version = version, .heartbeat_ms = ms};
	return receive(BH_INTEG_WELCOME, 0, &w, sizeof(w), now);
}

static enum bh_integ_event_kind time_answer(uint64_t trans_id, uint64_t counter, int64_t unix_ns,
					    uint64_t now)
{
	struct bh_integ_time t = {.counter = counter, .unix_ns = unix_ns};
	return receive(BH_INTEG_TIME, trans_id, &t, sizeof(t), now);
}

static void test_packet_lengths(void **state)
{
	(void)state;
	static const uint32_t lengths[] = {0, 48, 8, 16, 64, 8, 8, 16, 0};
	for (unsigned type = 0; type < sizeof(lengths) / sizeof(lengths[0]); type++) {
		assert_int_equal(bh_integ_packet_length(type), lengths[type]);
	}
	assert_int_equal(bh_integ_packet_length(0xffff), 0);
	assert_int_equal(bh_integ_packet_length(0x10001), 0);
}

static void test_ticks_to_ns(void **state)
{
	(void)state;
	assert_int_equal(bh_integ_ticks_to_ns(HZ, HZ), 1000000000ULL);
	assert_int_equal(bh_integ_ticks_to_ns(1, HZ), 16);
	assert_int_equal(bh_integ_ticks_to_ns(3 * HZ + HZ / 2, HZ), 3500000000ULL);
	/* A year at 1 GHz: past 2^64 if multiplied first. */
	uint64_t year = 365ULL * 24 * 3600 * 1000000000ULL;
	assert_int_equal(bh_integ_ticks_to_ns(year, 1000000000ULL), year);
	assert_int_equal(bh_integ_ticks_to_ns(UINT64_MAX, 1), UINT64_MAX);
	assert_int_equal(bh_integ_ticks_to_ns(UINT64_MAX, HZ), UINT64_MAX);
	assert_int_equal(bh_integ_ticks_to_ns(UINT64_MAX / 1000, HZ), 295147905179352816ULL);
	assert_int_equal(bh_integ_ticks_to_ns(5, 0), 0);
	assert_int_equal(bh_integ_ticks_to_ns(5, 1ULL << 32), 0);
	assert_int_equal(bh_integ_ms_to_ticks(1000, HZ), HZ);
	assert_int_equal(bh_integ_ms_to_ticks(3600000, UINT32_MAX), 3600000ULL * UINT32_MAX / 1000);
	assert_int_equal(bh_integ_ms_to_ticks(UINT64_MAX, HZ), UINT64_MAX);
}

static void test_init_refuses_bad_frequency(void **state)
{
	(void)state;
	memset(&child, 0x5a, sizeof(child));
	assert_false(bh_integ_child_init(&child, 0, 0));
	assert_false(bh_integ_child_init(&child, 1ULL << 32, 0));
	assert_int_equal(child.frequency, 0x5a5a5a5a5a5a5a5aULL); /* untouched */
	assert_true(bh_integ_child_init(&child, UINT32_MAX, 0));
	assert_false(child.connected);
}

static void test_connect_says_hello_and_asks_the_time(void **state)
{
	(void)state;
	struct bh_integ_packet out[2];
	assert_true(bh_integ_child_init(&child, HZ, 0));
	bh_integ_child_connect(&child, "Bulkhead SDK 0.1.0", START, out);
	assert_int_equal(out[0].type, BH_INTEG_HELLO);
	assert_int_equal(out[0].trans_id, 0);
	assert_int_equal(out[0].length, 48);
	assert_int_equal(out[0].payload.hello.version, BH_INTEG_VERSION);
	assert_int_equal(out[0].payload.hello.kind, BH_INTEG_KIND_SDK);
	assert_int_equal(out[0].payload.hello.features, 0);
	assert_string_equal(out[0].payload.hello.system, "Bulkhead SDK 0.1.0");
	for (size_t i = strlen("Bulkhead SDK 0.1.0"); i < 32; i++) {
		assert_int_equal(out[0].payload.hello.system[i], 0); /* NUL-padded */
	}
	assert_int_equal(out[1].type, BH_INTEG_TIME_REQUEST);
	assert_int_equal(out[1].trans_id, 1);
	assert_int_equal(out[1].length, 8);
	assert_int_equal(out[1].payload.time_request.counter, START);
	assert_true(child.connected);
	assert_int_equal(child.sessions, 1);
	/* No heartbeat before a WELCOME. */
	assert_int_equal(bh_integ_child_next_heartbeat(&child), UINT64_MAX);

	/* A system name too long is cut, still NUL-terminated; ids go on. */
	bh_integ_child_disconnect(&child);
	bh_integ_child_connect(&child, "0123456789012345678901234567890123456789", START, out);
	assert_int_equal(out[0].payload.hello.system[31], 0);
	assert_int_equal(strlen(out[0].payload.hello.system), 31);
	assert_int_equal(out[1].trans_id, 2);
	assert_int_equal(child.sessions, 2);
}

static void test_bad_packets_are_counted_and_change_nothing(void **state)
{
	(void)state;
	uint8_t zeros[128] = {0};
	struct bh_integ_welcome w = {.version = BH_INTEG_VERSION, .heartbeat_ms = 100};
	connect_child();
	struct bh_integ_child before;
	memcpy(&before, &child, sizeof(before));

	/* Unknown types, packets only a child sends, wrong lengths (either way). */
	static const struct {
		uint16_t type;
		uint32_t length;
	} bad[] = {{0, 0},
		   {8, 8},
		   {0xffff, 16},
		   {BH_INTEG_HELLO, 48},
		   {BH_INTEG_HEARTBEAT, 16},
		   {BH_INTEG_SHUTDOWN_ACK, 8},
		   {BH_INTEG_TIME_REQUEST, 8},
		   {BH_INTEG_WELCOME, 7},
		   {BH_INTEG_WELCOME, 9},
		   {BH_INTEG_WELCOME, 0},
		   {BH_INTEG_TIME, 15},
		   {BH_INTEG_TIME, 17},
		   {BH_INTEG_SHUTDOWN, 63},
		   {BH_INTEG_SHUTDOWN, 65},
		   {BH_INTEG_SHUTDOWN, 128}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const void *payload = bad[i].type == BH_INTEG_WELCOME ? (const void *)&w : zeros;
		assert_int_equal(receive(bad[i].type, 0, payload, bad[i].length, START),
				 BH_INTEG_EVENT_IGNORED);
		assert_non_null(event.why);
	}
	assert_int_equal(child.ignored, sizeof(bad) / sizeof(bad[0]));
	child.ignored = 0;
	assert_memory_equal(&child, &before, sizeof(child));

	/* A WELCOME of another version; any packet outside a session. */
	assert_int_equal(welcome(2, 100, START), BH_INTEG_EVENT_IGNORED);
	assert_int_equal(child.heartbeat_ms, 0);
	bh_integ_child_disconnect(&child);
	assert_int_equal(welcome(BH_INTEG_VERSION, 100, START), BH_INTEG_EVENT_IGNORED);
	assert_string_equal(event.why, "a packet outside a session");
	assert_int_equal(child.ignored, 2);
}

static void test_heartbeat_schedule(void **state)
{
	(void)state;
	struct bh_integ_packet beat;
	connect_child();
	assert_false(bh_integ_child_heartbeat(&child, START + HZ, &beat));

	/* The first one at once, then one per period, counted from when it was due. */
	assert_int_equal(welcome(BH_INTEG_VERSION, 100, START), BH_INTEG_EVENT_WELCOME);
	assert_int_equal(event.asked_ms, 100);
	assert_int_equal(bh_integ_child_next_heartbeat(&child), START);
	assert_true(bh_integ_child_heartbeat(&child, START + 3 * MS, &beat));
	assert_int_equal(beat.type, BH_INTEG_HEARTBEAT);
	assert_int_equal(beat.length, 16);
	assert_int_equal(beat.payload.heartbeat.sequence, 1);
	assert_int_equal(beat.payload.heartbeat.uptime_ms, 5003);
	assert_int_equal(bh_integ_child_next_heartbeat(&child), START + 100 * MS);
	assert_false(bh_integ_child_heartbeat(&child, START + 100 * MS - 1, &beat));
	assert_true(bh_integ_child_heartbeat(&child, START + 101 * MS, &beat));
	assert_int_equal(beat.payload.heartbeat.sequence, 2);
	assert_int_equal(bh_integ_child_next_heartbeat(&child), START + 200 * MS);

	/* Late by several periods (interrupts masked): one heartbeat, no burst. */
	assert_true(bh_integ_child_heartbeat(&child, START + 1000 * MS, &beat));
	assert_int_equal(beat.payload.heartbeat.sequence, 3);
	assert_int_equal(bh_integ_child_next_heartbeat(&child), START + 1100 * MS);
	assert_false(bh_integ_child_heartbeat(&child, START + 1001 * MS, &beat));

	/* A new period: one at once. Periods are clamped to 10 ms .. 1 hour; 0 stops them. */
	assert_int_equal(welcome(BH_INTEG_VERSION, 3, START + 1002 * MS), BH_INTEG_EVENT_WELCOME);
	assert_int_equal(event.asked_ms, 3);
	assert_int_equal(child.heartbeat_ms, 10);
	assert_true(bh_integ_child_heartbeat(&child, START + 1002 * MS, &beat));
	assert_int_equal(bh_integ_child_next_heartbeat(&child), START + 1012 * MS);
	assert_int_equal(welcome(BH_INTEG_VERSION, UINT32_MAX, START), BH_INTEG_EVENT_WELCOME);
	assert_int_equal(child.heartbeat_ms, 3600000);
	assert_int_equal(welcome(BH_INTEG_VERSION, 0, START), BH_INTEG_EVENT_WELCOME);
	assert_int_equal(bh_integ_child_next_heartbeat(&child), UINT64_MAX);
	assert_false(bh_integ_child_heartbeat(&child, UINT64_MAX - 1, &beat));

	/* A new session starts counting at 1 again, and waits for its WELCOME. */
	assert_int_equal(welcome(BH_INTEG_VERSION, 100, START), BH_INTEG_EVENT_WELCOME);
	bh_integ_child_disconnect(&child);
	assert_int_equal(bh_integ_child_next_heartbeat(&child), UINT64_MAX);
	struct bh_integ_packet out[2];
	bh_integ_child_connect(&child, "x", START + 2000 * MS, out);
	assert_int_equal(bh_integ_child_next_heartbeat(&child), UINT64_MAX);
	assert_int_equal(welcome(BH_INTEG_VERSION, 100, START + 2000 * MS), BH_INTEG_EVENT_WELCOME);
	assert_true(bh_integ_child_heartbeat(&child, START + 2000 * MS, &beat));
	assert_int_equal(beat.payload.heartbeat.sequence, 1);
	assert_int_equal(child.heartbeats_total, 5);
}

static void test_time_takes_the_middle_of_the_round_trip(void **state)
{
	(void)state;
	int64_t ns;
	connect_child(); /* TIME_REQUEST id 1 at START */
	assert_int_equal(bh_integ_child_wall_clock(&child, START, &ns), BH_INTEGRATION_NOT_SYNCED);

	/* Wrong id, wrong counter, an answer from before the request, before 1970. */
	assert_int_equal(time_answer(2, START, UNIX_NOW, START + 10 * MS), BH_INTEG_EVENT_IGNORED);
	assert_int_equal(time_answer(0, START, UNIX_NOW, START + 10 * MS), BH_INTEG_EVENT_IGNORED);
	assert_int_equal(time_answer(1, START + 1, UNIX_NOW, START + 10 * MS),
			 BH_INTEG_EVENT_IGNORED);
	assert_int_equal(time_answer(1, START, UNIX_NOW, START - 1), BH_INTEG_EVENT_IGNORED);
	assert_int_equal(time_answer(1, START, -1, START + 10 * MS), BH_INTEG_EVENT_IGNORED);
	assert_int_equal(child.ignored, 5);
	assert_false(child.synced);

	/* A 10 ms round trip: the root's time is taken as of START + 5 ms, +- 5 ms. */
	assert_int_equal(time_answer(1, START, UNIX_NOW, START + 10 * MS), BH_INTEG_EVENT_TIME);
	assert_int_equal(child.error_ns, 5000000);
	assert_int_equal(bh_integ_child_wall_clock(&child, START + 5 * MS, &ns), 0);
	assert_int_equal(ns, UNIX_NOW);
	assert_int_equal(bh_integ_child_wall_clock(&child, START + 1005 * MS, &ns), 0);
	assert_int_equal(ns, UNIX_NOW + 1000000000LL);
	assert_int_equal(bh_integ_child_wall_clock(&child, START, &ns), 0);
	assert_int_equal(ns, UNIX_NOW - 5000000LL);

	/* The same answer again answers nothing. */
	assert_int_equal(time_answer(1, START, UNIX_NOW, START + 20 * MS), BH_INTEG_EVENT_IGNORED);

	/* A request superseded: its answer is ignored, the new one's taken (odd round trip). */
	struct bh_integ_packet request;
	bh_integ_child_time_request(&child, START + HZ, &request);
	assert_int_equal(request.trans_id, 2);
	bh_integ_child_time_request(&child, START + 2 * HZ, &request);
	assert_int_equal(request.trans_id, 3);
	assert_int_equal(time_answer(2, START + HZ, 0, START + 3 * HZ), BH_INTEG_EVENT_IGNORED);
	assert_int_equal(time_answer(3, START + 2 * HZ, 0, START + 2 * HZ + 3),
			 BH_INTEG_EVENT_TIME);
	assert_int_equal(child.base_counter, START + 2 * HZ + 1);
	assert_int_equal(child.error_ns, 32); /* 2 ticks of 16 ns */
	assert_int_equal(child.time_syncs, 2);

	/* An unanswered request dies with its session. */
	bh_integ_child_time_request(&child, START + 4 * HZ, &request);
	bh_integ_child_disconnect(&child);
	struct bh_integ_packet out[2];
	bh_integ_child_connect(&child, "x", START + 5 * HZ, out);
	assert_int_equal(time_answer(request.trans_id, START + 4 * HZ, UNIX_NOW, START + 5 * HZ),
			 BH_INTEG_EVENT_IGNORED);
}

static void test_wall_clock_range(void **state)
{
	(void)state;
	int64_t ns = 42;
	connect_child();
	assert_int_equal(time_answer(1, START, INT64_MAX - 1000, START), BH_INTEG_EVENT_TIME);
	assert_int_equal(bh_integ_child_wall_clock(&child, START, &ns), 0);
	assert_int_equal(ns, INT64_MAX - 1000);
	assert_int_equal(bh_integ_child_wall_clock(&child, START + HZ, &ns), BH_INTEGRATION_RANGE);
	assert_int_equal(ns, INT64_MAX - 1000); /* untouched */

	/* The epoch itself, and a counter before the base (not reached in practice). */
	bh_integ_child_time_request(&child, START, &(struct bh_integ_packet){0});
	assert_int_equal(time_answer(2, START, 1000, START), BH_INTEG_EVENT_TIME);
	assert_int_equal(bh_integ_child_wall_clock(&child, START - 1, &ns), 0);
	assert_int_equal(ns, 1000 - 16);
	assert_int_equal(bh_integ_child_wall_clock(&child, START - MS, &ns), BH_INTEGRATION_RANGE);
}

static void test_shutdown_request(void **state)
{
	(void)state;
	struct bh_integ_shutdown s = {.action = BH_INTEG_SHUTDOWN_REBOOT, .timeout_ms = 5000};
	connect_child();
	memcpy(s.reason, "update\x1b[2J\n\xff", 12);
	assert_int_equal(receive(BH_INTEG_SHUTDOWN, 77, &s, sizeof(s), START),
			 BH_INTEG_EVENT_SHUTDOWN);
	assert_int_equal(event.shutdown.id, 77);
	assert_int_equal(event.shutdown.action, BH_INTEG_SHUTDOWN_REBOOT);
	assert_int_equal(event.shutdown.timeout_ms, 5000);
	assert_string_equal(event.shutdown.reason, "update?[2J??");
	assert_int_equal(child.shutdowns, 1);

	/* A reason without a NUL: all 56 bytes, terminated here. */
	memset(s.reason, 'r', sizeof(s.reason));
	s.action = 9; /* unknown: the runtime refuses it, the core passes it on */
	assert_int_equal(receive(BH_INTEG_SHUTDOWN, 78, &s, sizeof(s), START),
			 BH_INTEG_EVENT_SHUTDOWN);
	assert_int_equal(strlen(event.shutdown.reason), 56);
	assert_int_equal(event.shutdown.action, 9);

	struct bh_integ_packet ack;
	bh_integ_child_ack(77, 5, &ack);
	assert_int_equal(ack.type, BH_INTEG_SHUTDOWN_ACK);
	assert_int_equal(ack.trans_id, 77);
	assert_int_equal(ack.length, 8);
	assert_int_equal(ack.payload.ack.status, 0);
	bh_integ_child_ack(78, BH_SDK_INTEG_EINVAL, &ack);
	assert_int_equal(ack.payload.ack.status, -22);
	assert_int_equal(ack.payload.ack.reserved, 0);
}

static void test_flood_credits(void **state)
{
	(void)state;
	assert_true(bh_integ_child_init(&child, HZ, START));
	for (unsigned i = 0; i < BH_SDK_INTEG_WINDOW_CREDITS; i++) {
		assert_true(bh_integ_child_credit(&child, START + i));
	}
	assert_false(bh_integ_child_credit(&child, START + 9 * MS));
	assert_int_equal(bh_integ_child_window_end(&child), START + 10 * MS);
	/* A new window at its end: from then, 10 ms more. */
	assert_true(bh_integ_child_credit(&child, START + 10 * MS + 7));
	assert_int_equal(bh_integ_child_window_end(&child), START + 20 * MS + 7);
	assert_int_equal(child.credits, BH_SDK_INTEG_WINDOW_CREDITS - 1);
}

static void test_message_rate(void **state)
{
	(void)state;
	enum bh_integ_message w = BH_INTEG_WARNING, n = BH_INTEG_NOTICE;
	assert_true(bh_integ_child_init(&child, HZ, START));
	for (unsigned i = 0; i < BH_SDK_INTEG_PRINT_BURST; i++) {
		assert_true(bh_integ_child_may_print(&child, w, START));
	}
	assert_false(bh_integ_child_may_print(&child, w, START + HZ - 1));
	assert_true(bh_integ_child_may_print(&child, n, START + HZ - 1)); /* its own budget */
	assert_true(bh_integ_child_may_print(&child, w, START + HZ));	  /* one per second */
	assert_false(bh_integ_child_may_print(&child, w, START + HZ + 1));
	assert_true(bh_integ_child_may_print(&child, w, START + 2 * HZ + 5));
	assert_int_equal(child.suppressed, 2);
	/* A long silence earns a burst again, not more. */
	for (unsigned i = 0; i < BH_SDK_INTEG_PRINT_BURST; i++) {
		assert_true(bh_integ_child_may_print(&child, w, START + 100 * HZ));
	}
	assert_false(bh_integ_child_may_print(&child, w, START + 100 * HZ));
	assert_int_equal(child.suppressed, 3);
	for (unsigned i = 0; i < BH_SDK_INTEG_PRINT_BURST; i++) {
		assert_true(bh_integ_child_may_print(&child, n, START + 100 * HZ));
	}
	assert_false(bh_integ_child_may_print(&child, n, START + 100 * HZ));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_lengths),
		cmocka_unit_test(test_ticks_to_ns),
		cmocka_unit_test(test_init_refuses_bad_frequency),
		cmocka_unit_test(test_connect_says_hello_and_asks_the_time),
		cmocka_unit_test(test_bad_packets_are_counted_and_change_nothing),
		cmocka_unit_test(test_heartbeat_schedule),
		cmocka_unit_test(test_time_takes_the_middle_of_the_round_trip),
		cmocka_unit_test(test_wall_clock_range),
		cmocka_unit_test(test_shutdown_request),
		cmocka_unit_test(test_flood_credits),
		cmocka_unit_test(test_message_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
