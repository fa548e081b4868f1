// SPDX-License-Identifier: MIT
/*
 * Host benchmark of the VMBus ring (vmbus/ring.c), for `make bench`
 * (tests/bench/bench.mk: make ring-bench). A producer thread and a consumer
 * (the main thread), pinned to two different CPUs when there are two, move
 * messages through a ring of 64 KiB data; every message carries its sequence
 * number in its first 8 bytes and the complement in its last 8, and the
 * consumer checks both and the length, so all of them arrive, in order.
 *
 *   64 B messages   vmbus_ring_send (one packet a call), then
 *                   vmbus_ring_send_batch (BATCH packets a call); the consumer
 *                   reads with vmbus_ring_recv. Against DPDK's rte_ring with
 *                   64-byte elements (single producer, single consumer, 1024
 *                   slots: the same 64 KiB), like for like: one element a
 *                   call on both sides, then bursts of BATCH on both sides
 *                   (the vmbus reader still takes one packet a call).
 *   4 KiB packets   through the same ring, GB/s of payload, against memcpy of
 *                   4 KiB blocks by one thread over buffers larger than its L2.
 *   doorbells       the signals the library asks for, both directions (writer
 *                   to reader: empty to non-empty; reader to writer: free space
 *                   crossing pending_send_sz) per message; the goal is < 0.01.
 *
 * The vmbus threads wait as tests/unit/stress_ring.c does (ring_wait.h,
 * semaphores as doorbells): each polls the ring up to SPIN times, then the
 * consumer sleeps only after unmasking and finding the ring still empty, the
 * producer only when a send returned VMBUS_FULL (its pending_send_sz is set).
 * The batch producer asks to be woken when a quarter of the ring is free
 * (vmbus_ring_set_wakeup), not as soon as its next packet fits. DPDK's rings
 * have no doorbells: both sides poll, always.
 *
 * If DPDK's EAL does not initialise (no hugepages are needed: --no-huge), the
 * DPDK row says why and the rest still runs. Usage: ring_bench [SCALE], or
 * RING_BENCH_SCALE=SCALE: the message counts (40 M of 64 B a figure, 2 M of
 * 4 KiB, in ROUNDS rounds) times SCALE, default 1: about 4 s on 2 idle cores,
 * 15 to 30 s under load. The rows are those of tests/bench/report.py.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "../unit/ring_wait.h"

#define RING_DATA      (64U * 1024U)
#define SMALL	       64U
#define LARGE	       4096U
#define BATCH	       32U
#define SMALL_MESSAGES 40000000UL
#define LARGE_MESSAGES 2000000UL
#define DOORBELL_GOAL  0.01
#define SPIN	       2000U /* polls before sleeping: some microseconds */
#define ROUNDS	       5U    /* each figure's best round counts */

/* -1: not pinned. The consumer (main thread) runs on cpu_consumer. */
static int cpu_consumer = -1, cpu_producer = -1;
static bool one_cpu;
static int eal_cpu; /* the EAL's lcore: cpu_consumer, or the one CPU there is */

static pthread_barrier_t start;
static struct vmbus_ring tx, rx;
static struct ring_wait waits;
static unsigned spin = SPIN; /* 0 on one CPU: the peer cannot run while we poll */
static uint8_t *ring_mem;
static struct rte_ring *dpdk_ring;

struct run {
	uint32_t len;	     /* payload bytes */
	uint32_t batch;	     /* 1: vmbus_ring_send; more: vmbus_ring_send_batch */
	unsigned long count; /* messages */
	double seconds;
	unsigned long to_reader; /* doorbells the library asked for, writer to reader */
	unsigned long to_writer; /* and reader to writer */
	unsigned long total;	 /* keep_best: messages of all rounds, */
	double total_seconds;	 /* their time */
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void fail(const char *what, unsigned long seq)
{
	fprintf(stderr, "ring_bench: %s (message %lu)\n", what, seq);
	exit(1);
}

static void pin(int cpu)
{
	if (cpu < 0) {
		return;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc != 0) {
		fprintf(stderr, "ring_bench: pinning to CPU%d: %s\n", cpu, strerror(rc));
		exit(1);
	}
}

/* Polling, for DPDK: on a single CPU, let the other thread run. */
static void relax(void)
{
	if (one_cpu) {
		sched_yield();
	} else {
		rte_pause();
	}
}

static void stamp(uint8_t *p, uint32_t len, uint64_t seq)
{
	uint64_t inverse = ~seq;
	memcpy(p, &seq, 8);
	memcpy(p + len - 8, &inverse, 8);
}

static bool stamp_ok(const uint8_t *p, uint32_t len, uint64_t seq)
{
	uint64_t head, tail;
	memcpy(&head, p, 8);
	memcpy(&tail, p + len - 8, 8);
	return head == seq && tail == ~seq;
}

static void *vmbus_producer(void *arg)
{
	static _Alignas(64) uint8_t bufs[BATCH][LARGE];
	struct vmbus_send_item items[BATCH];
	struct run *run = arg;

	pin(cpu_producer);
	pthread_barrier_wait(&start);
	for (unsigned long seq = 0; seq < run->count;) {
		uint32_t count = run->batch;
		if (count > run->count - seq) {
			count = (uint32_t)(run->count - seq);
		}
		for (uint32_t i = 0; i < count; i++) {
			stamp(bufs[i], run->len, seq + i);
			items[i] = (struct vmbus_send_item){.type = 1,
							    .trans_id = seq + i,
							    .payload = bufs[i],
							    .len = run->len};
		}
		for (uint32_t done = 0; done < count;) {
			bool signal;
			uint32_t sent = 1;
			ring_wait_poll_room(&tx, run->len, spin);
			int rc = run->batch == 1
					 ? vmbus_ring_send(&tx, 1, seq, bufs[0], run->len, &signal)
					 : vmbus_ring_send_batch(&tx, items + done, count - done,
								 &sent, &signal);
			if (rc == VMBUS_FULL) {
				ring_wait_for_room(&waits);
				continue;
			}
			if (rc != VMBUS_OK) {
				fail("vmbus send failed", seq + done);
			}
			ring_wait_signal_reader(&waits, signal);
			done += sent;
		}
		seq += count;
	}
	return NULL;
}

static void run_vmbus(struct run *run)
{
	static _Alignas(64) uint8_t buf[LARGE];
	pthread_t thread;

	vmbus_ring_init(&tx, ring_mem, VMBUS_RING_HEADER_SIZE + RING_DATA, true);
	vmbus_ring_init(&rx, ring_mem, VMBUS_RING_HEADER_SIZE + RING_DATA, false);
	if (run->batch > 1) {
		vmbus_ring_set_wakeup(&tx, RING_DATA / 4);
	}
	vmbus_ring_mask(&rx); /* draining: unmasked only to sleep (ring_wait_for_data) */
	ring_wait_init(&waits);
	pthread_create(&thread, NULL, vmbus_producer, run);
	pthread_barrier_wait(&start);
	double t0 = now();
	for (unsigned long expect = 0; expect < run->count;) {
		struct vmbus_desc desc;
		uint32_t len;
		bool signal;
		int rc = vmbus_ring_recv(&rx, &desc, buf, sizeof(buf), &len, &signal);
		ring_wait_signal_writer(&waits, signal);
		if (rc == VMBUS_EMPTY) {
			ring_wait_for_data(&waits, &rx, spin);
			continue;
		}
		if (rc != VMBUS_OK) {
			fail(rx.error != NULL ? rx.error : "vmbus recv failed", expect);
		}
		if (desc.trans_id != expect || len != run->len || !stamp_ok(buf, len, expect)) {
			fail("vmbus message lost, out of order or damaged", expect);
		}
		expect++;
	}
	run->seconds = now() - t0;
	pthread_join(thread, NULL);
	run->to_reader = atomic_load(&waits.to_reader_rings);
	run->to_writer = atomic_load(&waits.to_writer_rings);
	ring_wait_destroy(&waits);
}

static void *dpdk_producer(void *arg)
{
	_Alignas(64) uint8_t elems[BATCH][SMALL];
	struct run *run = arg;

	pin(cpu_producer);
	pthread_barrier_wait(&start);
	for (unsigned long seq = 0; seq < run->count;) {
		unsigned int count = run->batch;
		if (count > run->count - seq) {
			count = (unsigned int)(run->count - seq);
		}
		for (unsigned int i = 0; i < count; i++) {
			stamp(elems[i], SMALL, seq + i);
		}
		for (unsigned int done = 0; done < count;) {
			unsigned int n = rte_ring_enqueue_burst_elem(dpdk_ring, elems[done], SMALL,
								     count - done, NULL);
			if (n == 0) {
				relax();
			}
			done += n;
		}
		seq += count;
	}
	return NULL;
}

static void run_dpdk(struct run *run)
{
	_Alignas(64) uint8_t elems[BATCH][SMALL];
	pthread_t thread;

	pthread_create(&thread, NULL, dpdk_producer, run);
	pthread_barrier_wait(&start);
	double t0 = now();
	for (unsigned long expect = 0; expect < run->count;) {
		unsigned int n =
			rte_ring_dequeue_burst_elem(dpdk_ring, elems, SMALL, run->batch, NULL);
		if (n == 0) {
			relax();
		}
		for (unsigned int i = 0; i < n; i++, expect++) {
			if (expect >= run->count || !stamp_ok(elems[i], SMALL, expect)) {
				fail("dpdk message lost, out of order or damaged", expect);
			}
		}
	}
	run->seconds = now() - t0;
	pthread_join(thread, NULL);
	if (rte_ring_count(dpdk_ring) != 0) {
		fail("dpdk ring not empty at the end", run->count);
	}
}

/* Written so that the copies are not optimised away. */
static volatile uint8_t sink;

/* One thread's memcpy of `blocks` 4 KiB blocks, cycling over 2 buffers of *size bytes: GB/s. */
static double run_memcpy(unsigned long blocks, size_t *size)
{
	long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
	size_t n = l2 > 0 ? 4 * (size_t)l2 : 0;
	if (n < 8U * 1024 * 1024) {
		n = 8U * 1024 * 1024;
	}
	n -= n % LARGE;
	uint8_t *src = aligned_alloc(64, n), *dst = aligned_alloc(64, n);
	if (src == NULL || dst == NULL) {
		fail("out of memory", 0);
	}
	memset(src, 0x5a, n);
	memcpy(dst, src, n); /* the pages are faulted in before the clock starts */
	size_t count = n / LARGE;
	double t0 = now();
	for (unsigned long i = 0; i < blocks; i++) {
		size_t at = (i % count) * LARGE;
		memcpy(dst + at, src + at, LARGE);
		sink = dst[at + LARGE - 1];
	}
	double seconds = now() - t0;
	free(src);
	free(dst);
	*size = n;
	return (double)blocks * LARGE / seconds / 1e9;
}

/*
 * DPDK's EAL: one lcore (no workers) on the consumer's CPU, 64 MiB of
 * ordinary memory instead of hugepages, no devices, no shared files, errors
 * only in the log. NULL, or why not. (--in-memory is refused with --no-huge,
 * which implies --legacy-mem.)
 */
static const char *dpdk_init(void)
{
	char args[160], *argv[16], *save;
	int argc = 0;
	snprintf(args, sizeof(args),
		 "ring_bench -l %d --no-huge -m 64 --no-pci --no-shconf --no-telemetry "
		 "--log-level=4",
		 eal_cpu);
	for (char *a = strtok_r(args, " ", &save); a != NULL; a = strtok_r(NULL, " ", &save)) {
		argv[argc++] = a;
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		return rte_strerror(rte_errno);
	}
	dpdk_ring = rte_ring_create_elem("ring_bench", SMALL, 1024, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (dpdk_ring == NULL) {
		const char *why = rte_strerror(rte_errno);
		rte_eal_cleanup();
		return why;
	}
	return NULL;
}

/* The first two CPUs this process may run on. */
static void choose_cpus(void)
{
	cpu_set_t set;
	int first = -1, second = -1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int cpu = 0; cpu < CPU_SETSIZE && second < 0; cpu++) {
			if (CPU_ISSET(cpu, &set)) {
				*(first < 0 ? &first : &second) = cpu;
			}
		}
	}
	eal_cpu = first >= 0 ? first : 0;
	if (second < 0) {
		one_cpu = true;
		spin = 0;
		return;
	}
	cpu_consumer = first;
	cpu_producer = second;
}

/* The columns of tests/bench/report.py: figure, Bulkhead, reference, result, goal, met. */
static void header(const char *title)
{
	printf("\n%s\n%-46s %14s %14s %12s %12s  met\n", title, "figure", "Bulkhead", "reference",
	       "result", "goal");
}

static void row(const char *figure, const char *value, const char *reference, const char *result,
		const char *goal, bool met)
{
	printf("%-46s %14s %14s %12s %12s  %s\n", figure, value, reference, result, goal,
	       met ? "yes" : "NO");
	fflush(stdout);
}

static double rate(const struct run *r)
{
	return (double)r->count / r->seconds;
}

/* Messages a second against DPDK's (d NULL: skipped); the goal is a ratio of at least 1. */
static void rate_row(const char *figure, const struct run *v, const struct run *d)
{
	char a[32], b[32], r[32];
	snprintf(a, sizeof(a), "%.1f M/s", rate(v) / 1e6);
	if (d == NULL) {
		row(figure, a, "dpdk skipped", "-", ">= 1.0x", false);
		return;
	}
	snprintf(b, sizeof(b), "%.1f M/s", rate(d) / 1e6);
	snprintf(r, sizeof(r), "%.2fx", rate(v) / rate(d));
	row(figure, a, b, r, ">= 1.0x", rate(v) >= rate(d));
}

static bool doorbell_row(const char *figure, const struct run *v)
{
	char a[32], g[32];
	double per = (double)(v->to_reader + v->to_writer) / (double)v->count;
	snprintf(a, sizeof(a), "%.5f", per);
	snprintf(g, sizeof(g), "< %.2f", DOORBELL_GOAL);
	row(figure, a, "-", a, g, per < DOORBELL_GOAL);
	return per < DOORBELL_GOAL;
}

static unsigned long scaled(unsigned long count, double scale)
{
	double n = (double)count * scale;
	return n < 1 ? 1 : (unsigned long)n;
}

/* Keeps the faster of two runs of one figure, and adds up their doorbells and messages. */
static void keep_best(struct run *best, const struct run *r)
{
	unsigned long count = best->count + r->count;
	unsigned long to_reader = best->to_reader + r->to_reader;
	unsigned long to_writer = best->to_writer + r->to_writer;
	double seconds = best->seconds + r->seconds;
	if (best->seconds == 0 || rate(r) > rate(best)) {
		*best = *r;
	}
	best->total = count;
	best->total_seconds = seconds;
	best->to_reader = to_reader;
	best->to_writer = to_writer;
}

int main(int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : getenv("RING_BENCH_SCALE");
	double scale = 1;
	if (arg != NULL) {
		char *end;
		scale = strtod(arg, &end);
		if (end == arg || *end != '\0' || !(scale > 0)) {
			fprintf(stderr, "usage: ring_bench [SCALE] (a factor on the counts)\n");
			return 2;
		}
	}
	double t_start = now();
	unsigned long small = scaled(SMALL_MESSAGES / ROUNDS, scale);
	unsigned long large = scaled(LARGE_MESSAGES / ROUNDS, scale);
	struct run send = {0}, batch = {0}, big = {0}, dpdk = {0}, dpdk1 = {0};
	double copy_gbps = 0;
	size_t copy_size = 0;
	char test[64], a[32], b[32], r[32];

	choose_cpus();
	const char *dpdk_error = dpdk_init();
	pin(cpu_consumer); /* after the EAL, which sets the main thread's affinity itself */
	pthread_barrier_init(&start, NULL, 2);
	ring_mem = aligned_alloc(4096, VMBUS_RING_HEADER_SIZE + RING_DATA);
	if (ring_mem == NULL) {
		fail("out of memory", 0);
	}
	memset(ring_mem, 0, VMBUS_RING_HEADER_SIZE + RING_DATA);

	/*
	 * Each figure and its reference run side by side, ROUNDS times in turn,
	 * and the best round of each counts: on a shared machine, load that
	 * comes and goes then hits both alike rather than one of them.
	 */
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct run d = {.len = SMALL, .batch = BATCH, .count = small};
		struct run d1 = {.len = SMALL, .batch = 1, .count = small};
		struct run v1 = {.len = SMALL, .batch = 1, .count = small};
		struct run vb = {.len = SMALL, .batch = BATCH, .count = small};
		struct run v4 = {.len = LARGE, .batch = 1, .count = large};
		if (dpdk_error == NULL) {
			run_dpdk(&d1);
			keep_best(&dpdk1, &d1);
			run_dpdk(&d);
			keep_best(&dpdk, &d);
		}
		run_vmbus(&v1);
		keep_best(&send, &v1);
		run_vmbus(&vb);
		keep_best(&batch, &vb);
		run_vmbus(&v4);
		keep_best(&big, &v4);
		size_t size;
		double gbps = run_memcpy(large, &size);
		if (gbps > copy_gbps) {
			copy_gbps = gbps;
			copy_size = size;
		}
	}

	if (one_cpu) {
		header("VMBus ring on the host (only 1 CPU: 2 threads, unpinned)");
	} else {
		snprintf(test, sizeof(test), "VMBus ring on the host (2 threads on CPU%d/CPU%d)",
			 cpu_consumer, cpu_producer);
		header(test);
	}
	rate_row("ring 64 B, one per call, vs DPDK one per call", &send,
		 dpdk_error == NULL ? &dpdk1 : NULL);
	snprintf(test, sizeof(test), "ring 64 B, sends of %u, vs DPDK bursts of %u", BATCH, BATCH);
	rate_row(test, &batch, dpdk_error == NULL ? &dpdk : NULL);

	double big_gbps = (double)big.count * LARGE / big.seconds / 1e9;
	snprintf(a, sizeof(a), "%.2f GB/s", big_gbps);
	snprintf(b, sizeof(b), "%.2f GB/s", copy_gbps);
	snprintf(r, sizeof(r), "%.2fx", big_gbps / copy_gbps);
	row("ring 4 KiB packets vs one thread's memcpy", a, b, r, ">= 0.6x",
	    big_gbps >= 0.6 * copy_gbps);

	/* Doorbells over all rounds. */
	send.count = send.total;
	batch.count = batch.total;
	big.count = big.total;
	doorbell_row("ring doorbells per message, 64 B", &send);
	snprintf(test, sizeof(test), "ring doorbells per message, 64 B batch %u", BATCH);
	doorbell_row(test, &batch);
	doorbell_row("ring doorbells per message, 4 KiB", &big);

	printf("best of %u rounds of %lu messages of 64 B and %lu of 4 KiB each; all arrived, in "
	       "order; vmbus ring: 64 KiB data\n",
	       ROUNDS, small, large);
	if (dpdk_error != NULL) {
		printf("dpdk: skipped, EAL or ring setup failed: %s\n", dpdk_error);
	} else {
		printf("dpdk: rte_ring SP/SC, 1024 x 64 B elements, one per call or bursts of %u "
		       "on "
		       "both sides, polling\n",
		       BATCH);
	}
	printf("memcpy: one thread, 4 KiB blocks over 2 x %zu MiB (L2 %ld KiB)\n", copy_size >> 20,
	       sysconf(_SC_LEVEL2_CACHE_SIZE) >> 10);
	printf("doorbells writer->reader + reader->writer: 64 B %lu + %lu, batch %lu + %lu, "
	       "4 KiB %lu + %lu\n",
	       send.to_reader, send.to_writer, batch.to_reader, batch.to_writer, big.to_reader,
	       big.to_writer);
	printf("time: %.1f s\n", now() - t_start);

	free(ring_mem);
	pthread_barrier_destroy(&start);
	if (dpdk_error == NULL) {
		rte_ring_free(dpdk_ring);
		rte_eal_cleanup();
	}
	return 0;
}
