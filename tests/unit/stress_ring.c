// SPDX-License-Identifier: MIT
/*
 * Two-thread stress test of the VMBus ring (vmbus/ring.c): a producer sends
 * packets of random sizes carrying a sequence number and a checksum, one at a
 * time or in batches of up to 8, a consumer checks that every one arrives
 * once, in order, intact, reading every other packet in place (peek, then
 * consume) and the others with recv. Waiting follows the signalling
 * protocol (ring_wait.h: a doorbell is a semaphore post). Every few thousand
 * packets each side changes how it waits: it sleeps at once or polls first,
 * and the producer asks to be woken for its packet or for up to half the
 * ring (vmbus_ring_set_wakeup). A lost wakeup hangs the test (the harness
 * times out). Built twice: with AddressSanitizer and with ThreadSanitizer.
 * Usage: stress_ring [PACKETS] (default 10 million).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring_wait.h"

#define RING_DATA (64U * 1024U)
#define MAX_LEN	  1024U
#define MAX_BATCH 8U
#define PHASE	  4096UL /* packets between changes of the waiting style */

static _Alignas(64) uint8_t mem[VMBUS_RING_HEADER_SIZE + RING_DATA];
static struct vmbus_ring tx, rx;
static struct ring_wait waits;
static unsigned long packets = 10000000UL;

static uint64_t checksum(const uint8_t *p, uint32_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (uint32_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * 1099511628211ULL;
	}
	return h;
}

static uint64_t xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* seq (8), checksum (8), length (4), then data: the ring pads to 8 bytes. */
static uint32_t make_packet(uint8_t *buf, unsigned long seq, uint64_t random)
{
	uint32_t len = 20 + (uint32_t)(random % (MAX_LEN - 20));
	memcpy(buf, &seq, 8);
	memcpy(buf + 16, &len, 4);
	for (uint32_t i = 20; i < len; i++) {
		buf[i] = (uint8_t)(seq * 31 + i);
	}
	uint64_t sum = checksum(buf + 16, len - 16);
	memcpy(buf + 8, &sum, 8);
	return len;
}

/* Polls before sleeping, for the phase `seq` is in: none in half of them. */
static unsigned phase_spin(unsigned long seq, unsigned salt)
{
	unsigned long h = (seq / PHASE) * 2654435761UL + salt;
	return (h >> 7) % 2 == 0 ? 0 : (unsigned)(h >> 9) % 200;
}

static void *producer(void *arg)
{
	static uint8_t bufs[MAX_BATCH][MAX_LEN + 16];
	struct vmbus_send_item items[MAX_BATCH];
	uint64_t rng = 88172645463325252ULL;
	(void)arg;
	for (unsigned long seq = 0; seq < packets;) {
		if (seq % PHASE < MAX_BATCH) {
			/* Woken for the packet, or when up to half the ring is free. */
			static const uint32_t wakeups[] = {0, 2048, RING_DATA / 4, RING_DATA};
			vmbus_ring_set_wakeup(&tx, wakeups[(seq / PHASE) % 4]);
		}
		unsigned spin = phase_spin(seq, 1);
		/* One round in four sends a batch, which fills the ring and goes out in parts. */
		uint64_t random = xorshift(&rng);
		uint32_t count = random % 4 == 0 ? 1 + (uint32_t)(random >> 32) % MAX_BATCH : 1;
		if (count > packets - seq) {
			count = (uint32_t)(packets - seq);
		}
		for (uint32_t i = 0; i < count; i++) {
			items[i] = (struct vmbus_send_item){
				.type = 1,
				.trans_id = seq + i,
				.payload = bufs[i],
				.len = make_packet(bufs[i], seq + i, xorshift(&rng)),
			};
		}
		for (uint32_t done = 0; done < count;) {
			bool signal;
			uint32_t sent = 1;
			ring_wait_poll_room(&tx, items[done].len, spin);
			int rc = count == 1 ? vmbus_ring_send(&tx, 1, seq, bufs[0], items[0].len,
							      &signal)
					    : vmbus_ring_send_batch(&tx, items + done, count - done,
								    &sent, &signal);
			if (rc == VMBUS_OK) {
				ring_wait_signal_reader(&waits, signal);
				done += sent;
				continue;
			}
			if (rc != VMBUS_FULL) {
				fprintf(stderr, "send: %d\n", rc);
				exit(1);
			}
			ring_wait_for_room(&waits);
		}
		seq += count;
	}
	return NULL;
}

/* Byte `at` of a view's payload, read in place across the wrap: no copy. */
static uint8_t view_byte(const struct vmbus_packet_view *v, uint32_t at)
{
	return at < v->span[0].n ? v->span[0].p[at] : v->span[1].p[at - v->span[0].n];
}

static void view_copy(const struct vmbus_packet_view *v, uint32_t at, void *dst, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		((uint8_t *)dst)[i] = view_byte(v, at + i);
	}
}

/* checksum() of the payload from byte 16 on. */
static uint64_t view_checksum(const struct vmbus_packet_view *v, uint32_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (uint32_t at = 16; at < 16 + n; at++) {
		h = (h ^ view_byte(v, at)) * 1099511628211ULL;
	}
	return h;
}

int main(int argc, char **argv)
{
	pthread_t thread;
	uint8_t buf[MAX_LEN + 16];

	if (argc > 1) {
		packets = strtoul(argv[1], NULL, 0);
	}
	vmbus_ring_init(&tx, mem, sizeof(mem), true);
	vmbus_ring_init(&rx, mem, sizeof(mem), false);
	vmbus_ring_mask(&rx); /* draining: unmasked only to sleep (ring_wait_for_data) */
	ring_wait_init(&waits);
	pthread_create(&thread, NULL, producer, NULL);
	for (unsigned long expect = 0; expect < packets;) {
		bool in_place = expect % 2 == 1;
		struct vmbus_packet_view view;
		struct vmbus_desc d;
		uint32_t len;
		bool signal = false;
		int rc = in_place ? vmbus_ring_peek(&rx, &view)
				  : vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal);
		ring_wait_signal_writer(&waits, signal);
		if (rc == VMBUS_EMPTY) {
			ring_wait_for_data(&waits, &rx, phase_spin(expect, 2));
			continue;
		}
		if (rc != VMBUS_OK) {
			fprintf(stderr, "%s: %d (%s)\n", in_place ? "peek" : "recv", rc,
				rx.error ? rx.error : "");
			return 1;
		}
		uint64_t seq, sum;
		uint32_t sent;
		if (in_place) {
			/* The producer is trusted here: read the payload where it lies. */
			d = view.desc;
			len = view.len;
			if (len < 20) {
				fprintf(stderr, "packet %lu too short\n", expect);
				return 1;
			}
			view_copy(&view, 0, &seq, 8);
			view_copy(&view, 8, &sum, 8);
			view_copy(&view, 16, &sent, 4);
		} else {
			memcpy(&seq, buf, 8);
			memcpy(&sum, buf + 8, 8);
			memcpy(&sent, buf + 16, 4);
		}
		if (seq != expect || d.trans_id != expect) {
			fprintf(stderr, "packet %lu arrived as %llu\n", expect,
				(unsigned long long)seq);
			return 1;
		}
		if (sent < 20 || sent > len || len - sent >= 8 ||
		    (in_place ? view_checksum(&view, sent - 16) : checksum(buf + 16, sent - 16)) !=
			    sum) {
			fprintf(stderr, "packet %lu corrupted\n", expect);
			return 1;
		}
		if (in_place) {
			/* Released only now: until then the writer must not reuse the space. */
			if (vmbus_ring_consume(&rx, &view, &signal) != VMBUS_OK) {
				fprintf(stderr, "consume failed\n");
				return 1;
			}
			ring_wait_signal_writer(&waits, signal);
		}
		expect++;
	}
	pthread_join(thread, NULL);
	unsigned long doorbells =
		atomic_load(&waits.to_reader_rings) + atomic_load(&waits.to_writer_rings);
	printf("stress_ring: %lu packets intact, %lu doorbells (%.4f per packet)\n", packets,
	       doorbells, (double)doorbells / (double)packets);
	ring_wait_destroy(&waits);
	return 0;
}
