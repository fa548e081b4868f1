/* SPDX-License-Identifier: MIT */
/*
 * vmbus_bad: a VMBus client that breaks the rules, for the system tests.
 * bootargs `bad=WHAT`:
 *   scribble  connects to its first channel, sends one good packet (and
 *             waits for the reply, unless `bad.reply=none`: a provider that
 *             answers no such packet), then writes a write index outside
 *             the ring and rings the doorbell: the provider must drop this
 *             channel only;
 *   foreign   asks for, signals and opens channel numbers it does not have
 *             (each must be refused), then reads `bad.addr`, another
 *             channel's region: a stage-2 fault that stops this partition.
 *   storm     connects to its first channel and signals it `bad.signals`
 *             times in a loop (the peer must not pay an exit per signal);
 *             a second vCPU, if any, calls OPEN and SIGNAL in a loop
 *             meanwhile. With `bad.then=off` it then stops the partition
 *             (PSCI SYSTEM_OFF) while that vCPU is still calling: the stop
 *             must hold, the peer sees the channel reset.
 */
#include <bulkhead/channel.h>
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The raw hypercall, to show exactly what the hypervisor answers. */
static int64_t hvc1(uint32_t fn, uint64_t arg)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = arg;
	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1)
			 :
			 : "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
			   "x13", "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

/* Channel 0, opened and connected; false (and said why) if it cannot be. */
static bool connect_channel0(struct bh_channel *ch)
{
	if (bh_channel_get(0, ch) != BH_HVC_OK) {
		printf("vmbus_bad: no channel\n");
		return false;
	}
	bh_channel_open(ch);
	if (bh_channel_wait_connected(ch) != BH_CHANNEL_CONNECTED) {
		printf("vmbus_bad: not connected\n");
		return false;
	}
	return true;
}

static int scribble(void)
{
	struct bh_channel ch;
	struct vmbus_desc d;
	uint8_t buf[64];
	uint32_t len;

	if (!connect_channel0(&ch)) {
		return 1;
	}
	char reply[8];
	bool no_reply = bh_bootarg("bad.reply", reply, sizeof(reply)) && strcmp(reply, "none") == 0;
	int rc = bh_channel_send_wait(&ch, 1, 1, "good", 4);
	if (rc == VMBUS_OK && !no_reply) {
		rc = bh_channel_recv_wait(&ch, &d, buf, sizeof(buf), &len);
	}
	printf("vmbus_bad: one good %s: %s\n", no_reply ? "packet" : "round trip",
	       bh_channel_status_name(rc));
	atomic_store(&ch.tx.hdr->write_index, 0xfffffff0U);
	printf("vmbus_bad: scribbled over the ring (signal: %lld)\n",
	       (long long)hvc1(BH_HVC_CHANNEL_SIGNAL, ch.index));
	unsigned state = bh_channel_wait_connected(&ch);
	while (state == BH_CHANNEL_CONNECTED) {
		struct bh_channel *const list[1] = {&ch};
		bh_channel_wait(list, 1);
		state = bh_channel_update(&ch);
	}
	printf("vmbus_bad: the provider dropped the channel: %s\n", bh_channel_state_name(state));
	return 0;
}

static void call_forever(void *arg)
{
	(void)arg;
	for (;;) {
		hvc1(BH_HVC_CHANNEL_OPEN, 0);
		hvc1(BH_HVC_CHANNEL_SIGNAL, 0);
	}
}

static int storm(void)
{
	struct bh_channel ch;
	char value[24];
	unsigned long signals = 100000;

	if (bh_bootarg("bad.signals", value, sizeof(value))) {
		signals = strtoul(value, NULL, 0);
	}
	if (!connect_channel0(&ch)) {
		return 1;
	}
	if (bh_cpu_count() > 1 && bh_cpu_start(1, call_forever, NULL) != BH_PSCI_SUCCESS) {
		bh_printf("vmbus_bad: cannot start vCPU 1\n");
		return 1;
	}
	unsigned long ok = 0;
	for (unsigned long i = 0; i < signals; i++) {
		ok += hvc1(BH_HVC_CHANNEL_SIGNAL, ch.index) == BH_HVC_OK;
	}
	bh_printf("vmbus_bad: storm: %lu of %lu signals taken\n", ok, signals);
	if (bh_bootarg("bad.then", value, sizeof(value)) && strcmp(value, "off") == 0) {
		bh_printf("vmbus_bad: stopping while vCPU 1 calls the channel\n");
		bh_psci_system_off();
	}
	return 0;
}

static int foreign(void)
{
	char value[24];
	unsigned n = bh_channel_count();
	printf("vmbus_bad: %u channel(s); info %u: %lld, signal %u: %lld, open %u: %lld, "
	       "signal 99: %lld\n",
	       n, n, (long long)hvc1(BH_HVC_CHANNEL_INFO, n), n,
	       (long long)hvc1(BH_HVC_CHANNEL_SIGNAL, n), n,
	       (long long)hvc1(BH_HVC_CHANNEL_OPEN, n), (long long)hvc1(BH_HVC_CHANNEL_SIGNAL, 99));
	/* Its own channel, not connected: signalling it is refused too. */
	if (n > 0) {
		printf("vmbus_bad: signal own unconnected channel 0: %lld\n",
		       (long long)hvc1(BH_HVC_CHANNEL_SIGNAL, 0));
	}
	if (!bh_bootarg("bad.addr", value, sizeof(value))) {
		return 0;
	}
	uintptr_t addr = (uintptr_t)strtoull(value, NULL, 0);
	printf("vmbus_bad: reading another channel's region at 0x%lx\n", (unsigned long)addr);
	uint32_t word = *(volatile uint32_t *)addr;
	printf("vmbus_bad: read 0x%x: isolation is broken\n", word);
	return 1;
}

int main(void)
{
	char what[16];

	bh_irq_init();
	bh_irq_local_enable();
	if (!bh_bootarg("bad", what, sizeof(what))) {
		printf("vmbus_bad: set bootargs bad=scribble|foreign\n");
		return 1;
	}
	if (strcmp(what, "scribble") == 0) {
		return scribble();
	}
	if (strcmp(what, "foreign") == 0) {
		return foreign();
	}
	if (strcmp(what, "storm") == 0) {
		return storm();
	}
	printf("vmbus_bad: unknown bad=%s\n", what);
	return 1;
}
