/* SPDX-License-Identifier: MIT */
/*
 * echo: a VMBus client (VSC) for the root's echo service (examples/vsp).
 * It opens the channel "echo", waits for the provider, sends `echo.count`
 * packets (default 100) of 1 to 2000 bytes and checks each reply: same
 * transaction id, same bytes. Then, per `echo.then`: `idle` (default) waits
 * forever, `off` powers the partition off, `reset` restarts it (PSCI
 * SYSTEM_RESET), which shows a restarted child reconnecting.
 */
#include <bulkhead/channel.h>
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEN 2000U

static uint8_t out[MAX_LEN], in[MAX_LEN + 64];

static uint32_t fill(unsigned seq)
{
	uint32_t len = 1 + (seq * 397U) % MAX_LEN;
	for (uint32_t i = 0; i < len; i++) {
		out[i] = (uint8_t)(seq + i * 7U);
	}
	return len;
}

static int run(struct bh_channel *ch, unsigned count)
{
	for (unsigned seq = 0; seq < count; seq++) {
		uint32_t len = fill(seq), got = 0;
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
		if (d.trans_id != seq || got < len || got > len + 7 || memcmp(in, out, len) != 0) {
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
	unsigned count = 100;
	struct bh_channel ch;

	bh_irq_init();
	bh_irq_local_enable();
	if (bh_bootarg("echo.count", value, sizeof(value))) {
		count = (unsigned)strtoul(value, NULL, 0);
	}
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
	uint64_t start = bh_counter();
	if (run(&ch, count) != 0) {
		return 1;
	}
	uint64_t ticks = bh_counter() - start;
	printf("echo: %u packets echoed intact in %llu us; doorbells: %lu sent, %lu received\n",
	       count, (unsigned long long)(ticks * 1000000 / bh_counter_frequency()),
	       ch.doorbells_sent, ch.doorbells_received);

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
