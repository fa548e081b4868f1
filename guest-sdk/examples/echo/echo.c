/* SPDX-License-Identifier: MIT */
/*
 * echo: a VMBus client (VSC) for the root's echo service (examples/vsp).
 * It opens the channel "echo", waits for the provider, sends `echo.count`
 * packets (default 100), one at a time, and checks each reply: the same
 * transaction id (the packet's sequence number) and the same bytes, so a
 * packet lost, duplicated or out of order fails the run. Their sizes are
 * pseudo-random from 1 to `echo.max` bytes (default 2000), drawn from
 * `echo.seed` (default 1, printed in the summary: a failing run can be
 * repeated exactly). Then, per `echo.then`: `idle` (default) waits forever,
 * `off` powers the partition off, `reset` restarts it (PSCI SYSTEM_RESET),
 * which shows a restarted child reconnecting.
 */
#include <bulkhead/channel.h>
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOST_LEN 16384U /* the largest echo.max: the buffers' size */

static uint8_t out[MOST_LEN], in[MOST_LEN + 64];
static uint64_t random_state;

/* SplitMix64: any seed, 0 included, starts a full-quality sequence. */
static uint64_t next_random(void)
{
	uint64_t z = (random_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t fill(unsigned seq, uint32_t max_len)
{
	uint32_t len = 1 + (uint32_t)(next_random() % max_len);
	for (uint32_t i = 0; i < len; i++) {
		out[i] = (uint8_t)(seq + i * 7U);
	}
	return len;
}

/* Bootarg `key` as a number from `min` to `max`, or `fallback` when absent. */
static bool bootarg_number(const char *key, unsigned long fallback, unsigned long min,
			   unsigned long max, unsigned long *value)
{
	char text[24], *end;
	*value = fallback;
	if (!bh_bootarg(key, text, sizeof(text))) {
		return true;
	}
	*value = strtoul(text, &end, 0);
	if (end == text || *end != '\0' || *value < min || *value > max) {
		printf("echo: %s=%s: not a number from %lu to %lu\n", key, text, min, max);
		return false;
	}
	return true;
}

static int run(struct bh_channel *ch, unsigned count, uint32_t max_len)
{
	for (unsigned seq = 0; seq < count; seq++) {
		uint32_t len = fill(seq, max_len), got = 0;
		struct vmbus_desc d;
		int rc = bh_channel_send_wait(ch, 1, seq, out, len);
		if (rc == VMBUS_OK) {
			rc = bh_channel_recv_wait(ch, &d, in, sizeof(in), &got);
		}
		if (rc != VMBUS_OK) {
			printf("echo: packet %u: %s (channel %s)\n", seq,
			       bh_channel_status_name(rc), bh_channel_state_name(ch->state));
			return 1;
		}
		if (d.trans_id != seq || got != len || memcmp(in, out, len) != 0) {
			printf("echo: packet %u: the reply differs (id %llu, %u bytes, sent %u)\n",
			       seq, (unsigned long long)d.trans_id, got, len);
			return 1;
		}
	}
	return 0;
}

int main(void)
{
	char value[16];
	unsigned long count, max_len, seed;
	struct bh_channel ch;

	bh_irq_init();
	bh_irq_local_enable();
	if (!bootarg_number("echo.count", 100, 0, UINT32_MAX, &count) ||
	    !bootarg_number("echo.max", 2000, 1, MOST_LEN, &max_len) ||
	    !bootarg_number("echo.seed", 1, 0, UINT32_MAX, &seed)) {
		return 1;
	}
	random_state = seed;
	if (bh_channel_find("echo", &ch) != BH_HVC_OK) {
		printf("echo: this partition has no channel 'echo'\n");
		return 1;
	}
	bh_channel_open(&ch);
	if (bh_channel_wait_connected(&ch) != BH_CHANNEL_CONNECTED) {
		printf("echo: channel %s: %s\n", ch.name, bh_channel_state_name(ch.state));
		return 1;
	}
	printf("echo: connected to partition %u over %s (session %llu)\n", ch.peer, ch.name,
	       (unsigned long long)ch.session);
	if (max_len > vmbus_ring_max_payload(&ch.tx)) {
		printf("echo: echo.max=%lu: channel %s takes at most %u bytes a packet\n", max_len,
		       ch.name, vmbus_ring_max_payload(&ch.tx));
		return 1;
	}
	uint64_t start = bh_counter();
	if (run(&ch, (unsigned)count, (uint32_t)max_len) != 0) {
		return 1;
	}
	uint64_t ticks = bh_counter() - start;
	printf("echo: %lu packets echoed intact in %llu us; doorbells: %lu sent, %lu received; "
	       "sizes 1-%lu from echo.seed=%lu\n",
	       count, (unsigned long long)(ticks * 1000000 / bh_counter_frequency()),
	       ch.doorbells_sent, ch.doorbells_received, max_len, seed);

	const char *then = bh_bootarg("echo.then", value, sizeof(value)) ? value : "idle";
	if (strcmp(then, "reset") == 0) {
		printf("echo: restarting the partition\n");
		bh_psci_system_reset();
	} else if (strcmp(then, "off") == 0) {
		return 0;
	}
	for (;;) {
		__asm__ volatile("wfi");
	}
}
