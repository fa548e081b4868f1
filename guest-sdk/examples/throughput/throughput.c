/* SPDX-License-Identifier: MIT */
/*
 * throughput: the client half of the VMBus benchmark pair (make bench), for
 * the root's "sink" service (examples/vsp). It streams `tp.count` packets of
 * `tp.size` bytes (default 2000 of 4000) as fast as the ring takes them,
 * then asks the sink for its byte count and times the round trip of
 * `tp.pings` small echo-style packets. Times are in virtual counter ticks,
 * which under QEMU's -icount are deterministic.
 */
#include <bulkhead/channel.h>
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SINK_DATA 1 /* counted and dropped */
#define SINK_PING 2 /* answered at once */
#define SINK_SUM  3 /* answered with the bytes received so far */

static uint8_t buf[8192];

static unsigned arg(const char *key, unsigned fallback)
{
	char value[16];
	return bh_bootarg(key, value, sizeof(value)) ? (unsigned)strtoul(value, NULL, 0) : fallback;
}

int main(void)
{
	struct bh_channel ch;
	struct vmbus_desc d;
	uint32_t len;
	unsigned count = arg("tp.count", 2000), size = arg("tp.size", 4000);
	unsigned pings = arg("tp.pings", 200);

	bh_irq_init();
	bh_irq_local_enable();
	if (size > sizeof(buf) || bh_channel_find("sink", &ch) != BH_HVC_OK) {
		printf("throughput: no channel 'sink' (or tp.size over %zu)\n", sizeof(buf));
		return 1;
	}
	bh_channel_open(&ch);
	if (bh_channel_wait_connected(&ch) != BH_CHANNEL_CONNECTED) {
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	uint64_t t0 = bh_counter();
	for (unsigned i = 0; i < count; i++) {
		if (bh_channel_send_wait(&ch, SINK_DATA, i, buf, size) != VMBUS_OK) {
			printf("throughput: packet %u: channel %s\n", i,
			       bh_channel_state_name(ch.state));
			return 1;
		}
	}
	uint64_t sum = 0;
	if (bh_channel_send_wait(&ch, SINK_SUM, 0, NULL, 0) != VMBUS_OK ||
	    bh_channel_recv_wait(&ch, &d, &sum, sizeof(sum), &len) != VMBUS_OK) {
		return 1;
	}
	uint64_t t1 = bh_counter();
	unsigned long bells = ch.doorbells_sent + ch.doorbells_received;
	uint64_t t2 = bh_counter();
	for (unsigned i = 0; i < pings; i++) {
		if (bh_channel_send_wait(&ch, SINK_PING, i, buf, 64) != VMBUS_OK ||
		    bh_channel_recv_wait(&ch, &d, buf, sizeof(buf), &len) != VMBUS_OK) {
			return 1;
		}
	}
	uint64_t t3 = bh_counter();
	unsigned long trip_bells = ch.doorbells_sent + ch.doorbells_received - bells;
	/* One line, short enough for the hypervisor's console not to split it. */
	printf("throughput: %u x %u B in %llu ticks, sink %llu B, %lu bells; "
	       "%u trips of 64 B in %llu ticks, %lu bells; %llu Hz\n",
	       count, size, (unsigned long long)(t1 - t0), (unsigned long long)sum, bells, pings,
	       (unsigned long long)(t3 - t2), trip_bells,
	       (unsigned long long)bh_counter_frequency());
	return 0;
}
