// SPDX-License-Identifier: MIT
/*
 * Two-thread stress test of the VMBus ring (vmbus/ring.c): a producer sends
 * packets of random sizes carrying a sequence number and a checksum, a
 * consumer checks that every one arrives once, in order, intact. Waiting
 * follows the signalling protocol: the consumer sleeps only with interrupts
 * unmasked and the ring re-checked, the producer only with pending_send_sz
 * set; a "doorbell" is a semaphore post. A lost wakeup hangs the test (the
 * harness times out). Built twice: with AddressSanitizer and with
 * ThreadSanitizer. Usage: stress_ring [PACKETS] (default 10 million).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../vmbus/ring.h"

#define RING_DATA (64U * 1024U)
#define MAX_LEN	  1024U

static _Alignas(64) uint8_t mem[VMBUS_RING_HEADER_SIZE + RING_DATA];
static struct vmbus_ring tx, rx;
static sem_t to_reader, to_writer;
static unsigned long packets = 10000000UL;
static atomic_ulong doorbells;

static uint64_t checksum(const uint8_t *p, uint32_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (uint32_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * 1099511628211ULL;
	}
	return h;
}

static void *producer(void *arg)
{
	uint8_t buf[MAX_LEN + 16];
	uint64_t rng = 88172645463325252ULL;
	(void)arg;
	for (unsigned long seq = 0; seq < packets; seq++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		/* seq (8), checksum (8), length (4), then data: the ring pads to 8 bytes. */
		uint32_t len = 20 + (uint32_t)(rng % (MAX_LEN - 20));
		memcpy(buf, &seq, 8);
		memcpy(buf + 16, &len, 4);
		for (uint32_t i = 20; i < len; i++) {
			buf[i] = (uint8_t)(seq * 31 + i);
		}
		uint64_t sum = checksum(buf + 16, len - 16);
		memcpy(buf + 8, &sum, 8);
		for (;;) {
			bool signal;
			int rc = vmbus_ring_send(&tx, 1, seq, buf, len, &signal);
			if (rc == VMBUS_OK) {
				if (signal) {
					atomic_fetch_add(&doorbells, 1);
					sem_post(&to_reader);
				}
				break;
			}
			if (rc != VMBUS_FULL) {
				fprintf(stderr, "send: %d\n", rc);
				exit(1);
			}
			sem_wait(&to_writer); /* pending_send_sz is set: the reader will post */
		}
	}
	return NULL;
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
	sem_init(&to_reader, 0, 0);
	sem_init(&to_writer, 0, 0);
	pthread_create(&thread, NULL, producer, NULL);
	for (unsigned long expect = 0; expect < packets;) {
		struct vmbus_desc d;
		uint32_t len;
		bool signal;
		int rc = vmbus_ring_recv(&rx, &d, buf, sizeof(buf), &len, &signal);
		if (signal) {
			sem_post(&to_writer);
		}
		if (rc == VMBUS_EMPTY) {
			/* Unmasked, and checked again after unmasking: only then sleep. */
			if (!vmbus_ring_unmask(&rx)) {
				sem_wait(&to_reader);
			}
			vmbus_ring_mask(&rx);
			continue;
		}
		if (rc != VMBUS_OK) {
			fprintf(stderr, "recv: %d (%s)\n", rc, rx.error ? rx.error : "");
			return 1;
		}
		uint64_t seq, sum;
		memcpy(&seq, buf, 8);
		memcpy(&sum, buf + 8, 8);
		if (seq != expect || d.trans_id != expect) {
			fprintf(stderr, "packet %lu arrived as %llu\n", expect,
				(unsigned long long)seq);
			return 1;
		}
		uint32_t sent;
		memcpy(&sent, buf + 16, 4);
		if (sent < 20 || sent > len || len - sent >= 8 ||
		    checksum(buf + 16, sent - 16) != sum) {
			fprintf(stderr, "packet %lu corrupted\n", expect);
			return 1;
		}
		expect++;
	}
	pthread_join(thread, NULL);
	printf("stress_ring: %lu packets intact, %lu doorbells (%.4f per packet)\n", packets,
	       atomic_load(&doorbells), (double)atomic_load(&doorbells) / (double)packets);
	return 0;
}
