/* SPDX-License-Identifier: MIT */
/*
 * A bare-metal root serving the integration channels (include/bulkhead/
 * integration.h) of its children, for tests/system/test_integration.py: the
 * provider's side a root's management service plays. For every channel it
 * provides of interface "integration" it answers HELLO with WELCOME (a
 * heartbeat every `period=` ms, default 50) and TIME_REQUEST with TIME (a
 * fixed 2023-11-14 22:13:20 UTC plus its own uptime), counts heartbeats,
 * checks every packet, and prints "integ_root: NAME: ..." lines. Then, for
 * the children its bootargs name, it runs the tests in this order:
 *   hang=NAME      reads NAME's "hanging after H heartbeats" from its console
 *                  history, serves 20 periods more, shows that no heartbeat
 *                  came after H, and stops NAME by force;
 *   fault=NAME     waits until NAME crashed, starts it again, sees the new
 *                  session's HELLO, waits until it crashed again;
 *   callback=NAME  a SHUTDOWN NAME refuses; malformed packets and a flood;
 *                  a new period and the heartbeats after it; a ring it
 *                  breaks, and the new session; a SHUTDOWN NAME accepts,
 *                  until NAME is stopped;
 *   default=NAME   a power-off SHUTDOWN (the runtime's own answer), a start,
 *                  the new session, a reboot SHUTDOWN, the session after it;
 *   silent=NAME, silent2=NAME
 *                  a child whose runtime is off: not waited for; once it
 *                  printed its boot line, the channel is still waiting.
 * It waits for what the children do (packets, states, console lines); the
 * clock only bounds the window in which a hung child must stay silent.
 */
#include <bulkhead/channel.h>
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KIDS       4
#define MAX_PACKET     128
#define ROOT_EPOCH_NS  1700000000000000000LL
#define WAKE_EVERY_US  20000 /* the longest a wait sleeps without a doorbell */
#define FLOOD_PACKETS  2000
#define UNKNOWN_TYPE   99
#define SILENT_PERIODS 20

struct kid {
	struct bh_channel ch;
	char name[17];
	uint64_t session;    /* the session last seen connected */
	uint64_t sessions;   /* sessions seen */
	bool hello;	     /* HELLO came in this session */
	uint64_t heartbeats; /* this session's last sequence number */
	uint64_t times;	     /* TIME answers sent, all sessions */
	uint64_t acks;	     /* SHUTDOWN_ACKs, all sessions */
	uint64_t ack_id;
	int32_t ack_status;
	uint64_t bad; /* packets that failed a check */
};

static struct kid kids[MAX_KIDS];
static struct bh_channel *waitlist[MAX_KIDS];
static unsigned kid_count;
static uint32_t period_ms = 50;

static void wake(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	bh_vtimer_set(bh_counter_frequency() * WAKE_EVERY_US / 1000000);
	atomic_store(&kids[0].ch.doorbell, true); /* ends bh_channel_wait as a doorbell would */
}

static void send(struct kid *k, uint16_t type, uint64_t trans_id, const void *data, uint32_t length)
{
	int rc = bh_channel_send_wait(&k->ch, type, trans_id, data, length);
	if (rc != VMBUS_OK) {
		printf("integ_root: %s: send of type %u: %s\n", k->name, type,
		       bh_channel_status_name(rc));
	}
}

static void welcome(struct kid *k, uint32_t ms)
{
	struct bh_integ_welcome w = {.version = BH_INTEG_VERSION, .heartbeat_ms = ms};
	send(k, BH_INTEG_WELCOME, 0, &w, sizeof(w));
}

/* The child's system name, printable, whatever it sent. */
static void printable(char *out, const char *in, size_t size)
{
	size_t i = 0;
	for (; i < size && in[i] != '\0'; i++) {
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	}
	out[i] = '\0';
}

static void take(struct kid *k, const struct vmbus_desc *d, const uint8_t *p, uint32_t len)
{
	uint32_t want = bh_integration_packet_length(d->type);
	if (want == 0 || len != want) {
		k->bad++;
		printf("integ_root: %s: bad packet: type %u, %u bytes\n", k->name, d->type, len);
		return;
	}
	switch (d->type) {
	case BH_INTEG_HELLO: {
		struct bh_integ_hello h;
		char system[sizeof(h.system) + 1];
		memcpy(&h, p, sizeof(h));
		printable(system, h.system, sizeof(h.system));
		printf("integ_root: %s: hello: version %u, kind %u, system '%s'\n", k->name,
		       h.version, h.kind, system);
		k->hello = true;
		welcome(k, period_ms);
		break;
	}
	case BH_INTEG_HEARTBEAT: {
		struct bh_integ_heartbeat h;
		memcpy(&h, p, sizeof(h));
		if (h.sequence != k->heartbeats + 1) {
			printf("integ_root: %s: heartbeat %llu after %llu\n", k->name,
			       (unsigned long long)h.sequence, (unsigned long long)k->heartbeats);
		}
		k->heartbeats = h.sequence;
		break;
	}
	case BH_INTEG_TIME_REQUEST: {
		struct bh_integ_time_request r;
		memcpy(&r, p, sizeof(r));
		uint64_t f = bh_counter_frequency(), now = bh_counter();
		struct bh_integ_time t = {
			.counter = r.counter,
			.unix_ns = ROOT_EPOCH_NS +
				   (int64_t)(now / f * 1000000000U + now % f * 1000000000U / f)};
		send(k, BH_INTEG_TIME, d->trans_id, &t, sizeof(t));
		k->times++;
		break;
	}
	case BH_INTEG_SHUTDOWN_ACK: {
		struct bh_integ_shutdown_ack a;
		memcpy(&a, p, sizeof(a));
		k->acks++;
		k->ack_id = d->trans_id;
		k->ack_status = a.status;
		printf("integ_root: %s: shutdown %llu answered: status %d\n", k->name,
		       (unsigned long long)d->trans_id, (int)a.status);
		break;
	}
	default:
		k->bad++;
		printf("integ_root: %s: a packet only a root sends: type %u\n", k->name, d->type);
	}
}

static void serve(struct kid *k)
{
	uint8_t p[MAX_PACKET];
	struct vmbus_desc d;
	uint32_t len;
	unsigned state = bh_channel_update(&k->ch);

	if (state == BH_CHANNEL_RESET) {
		/*
		 * A child may stop right after its last packets (a SHUTDOWN_ACK
		 * before SYSTEM_OFF): they are still in the ring, which nobody
		 * writes now and only this side's next open clears.
		 */
		for (unsigned n = 0; n < 64 && k->session != 0; n++) {
			bool signal;
			if (vmbus_ring_recv(&k->ch.rx, &d, p, sizeof(p), &len, &signal) !=
			    VMBUS_OK) {
				break;
			}
			take(k, &d, p, len);
		}
		printf("integ_root: %s: went away (session %llu, %llu heartbeats)\n", k->name,
		       (unsigned long long)k->session, (unsigned long long)k->heartbeats);
		k->hello = false;
		bh_channel_open(&k->ch);
		return;
	}
	if (state != BH_CHANNEL_CONNECTED) {
		return;
	}
	if (k->ch.session != k->session) {
		k->session = k->ch.session;
		k->sessions++;
		k->hello = false;
		k->heartbeats = 0;
		printf("integ_root: %s: connected (session %llu)\n", k->name,
		       (unsigned long long)k->session);
	}
	for (unsigned n = 0; n < 64; n++) {
		int rc = bh_channel_recv(&k->ch, &d, p, sizeof(p), &len);
		if (rc == VMBUS_EMPTY) {
			return;
		}
		if (rc != VMBUS_OK) {
			printf("integ_root: %s: %s; closing and offering it again\n", k->name,
			       rc == VMBUS_BROKEN ? k->ch.rx.error : "a packet too large");
			bh_channel_close(&k->ch);
			bh_channel_open(&k->ch);
			return;
		}
		take(k, &d, p, len);
	}
	atomic_store(&k->ch.doorbell, true); /* more to read: do not sleep */
}

/* Serves every channel once, then sleeps until a doorbell or WAKE_EVERY_US. */
static void step(void)
{
	for (unsigned i = 0; i < kid_count; i++) {
		serve(&kids[i]);
	}
	bh_channel_wait(waitlist, kid_count);
}

#define WAIT_UNTIL(cond)          \
	do {                      \
		while (!(cond)) { \
			step();   \
		}                 \
	} while (0)

static struct kid *kid_for_role(const char *role)
{
	char want[17];
	if (!bh_bootarg(role, want, sizeof(want))) {
		return NULL;
	}
	for (unsigned i = 0; i < kid_count; i++) {
		if (strcmp(kids[i].name, want) == 0) {
			return &kids[i];
		}
	}
	printf("integ_root: %s=%s: no integration channel to it\n", role, want);
	exit(1);
}

static struct bh_partition_status status_of(const struct kid *k)
{
	struct bh_partition_status st = {0};
	bh_partition_status(k->ch.peer, &st);
	return st;
}

static void print_stop(const struct kid *k)
{
	char reason[128];
	struct bh_partition_status st = status_of(k);
	bh_partition_stop_reason(k->ch.peer, reason, sizeof(reason));
	printf("integ_root: %s: %s after %u starts: %s\n", k->name,
	       bh_partition_state_name(st.state), (unsigned)st.starts, reason);
}

static void ask_shutdown(struct kid *k, uint64_t id, uint32_t action, const char *reason)
{
	struct bh_integ_shutdown s = {.action = action, .timeout_ms = 5000};
	strncpy(s.reason, reason, sizeof(s.reason) - 1); /* NUL-padded */
	printf("integ_root: %s: asking for a %s (%s), request %llu\n", k->name,
	       action == BH_INTEG_SHUTDOWN_REBOOT ? "reboot" : "power-off", reason,
	       (unsigned long long)id);
	send(k, BH_INTEG_SHUTDOWN, id, &s, sizeof(s));
	WAIT_UNTIL(k->acks > 0 && k->ack_id == id);
}

/* Until partition k is in `state` (its channel's RESET seen, for a stop). */
static void wait_state(struct kid *k, uint32_t state)
{
	WAIT_UNTIL(status_of(k).state == state && (state == BH_PARTITION_RUNNING || !k->hello));
}

/* What follows `marker` in a line of k's console history, once that line is whole. */
static const char *console_after(struct kid *k, const char *marker)
{
	static char history[4096];
	uint64_t position = 0;
	size_t used = 0;
	for (;;) {
		int n = bh_partition_console(k->ch.peer, &position, history + used,
					     sizeof(history) - 1 - used, NULL);
		used += n > 0 ? (size_t)n : 0;
		history[used] = '\0';
		const char *at = strstr(history, marker);
		if (at != NULL && strchr(at, '\n') != NULL) {
			return at + strlen(marker);
		}
		if (used == sizeof(history) - 1) {
			used = 0; /* not in this piece: the line is further on */
		}
		step();
	}
}

static void test_hang(struct kid *k)
{
	unsigned long last = strtoul(console_after(k, "hanging after "), NULL, 10);
	uint64_t end = bh_counter() + bh_counter_frequency() * period_ms / 1000 * SILENT_PERIODS;
	WAIT_UNTIL(bh_counter() >= end);
	printf("integ_root: %s: hung after heartbeat %lu; %u periods later: heartbeat %llu, %s\n",
	       k->name, last, SILENT_PERIODS, (unsigned long long)k->heartbeats,
	       bh_partition_state_name(status_of(k).state));
	printf("integ_root: %s: stop -> %d\n", k->name, bh_partition_stop(k->ch.peer));
	wait_state(k, BH_PARTITION_STOPPED);
	print_stop(k);
}

static void test_fault(struct kid *k)
{
	WAIT_UNTIL(status_of(k).state == BH_PARTITION_CRASHED && !k->hello);
	print_stop(k);
	uint64_t sessions = k->sessions;
	printf("integ_root: %s: start -> %d\n", k->name, bh_partition_start(k->ch.peer));
	WAIT_UNTIL(k->sessions > sessions && k->hello);
	printf("integ_root: %s: back in a new session\n", k->name);
	WAIT_UNTIL(status_of(k).state == BH_PARTITION_CRASHED && !k->hello);
	print_stop(k);
}

/* A child whose runtime is off (bulkhead.integration=off): it never opens its side. */
static void test_silent(struct kid *k)
{
	console_after(k, ": boot (integration off)");
	printf("integ_root: %s: runtime off: channel %s, %llu sessions, %llu bad packets\n",
	       k->name, bh_channel_state_name(bh_channel_update(&k->ch)),
	       (unsigned long long)k->sessions, (unsigned long long)k->bad);
}

static void test_callback(struct kid *k)
{
	uint8_t junk[1000] = {0};
	struct bh_integ_welcome w = {.version = BH_INTEG_VERSION, .heartbeat_ms = 20};
	struct bh_integ_welcome v2 = {.version = 2, .heartbeat_ms = 20};
	struct bh_integ_time t = {0};
	struct bh_integ_shutdown s = {.action = 9};

	ask_shutdown(k, 11, BH_INTEG_SHUTDOWN_POWEROFF, "refuse this one");

	/* Each is ignored and counted; the unknown action is answered -22. */
	send(k, BH_INTEG_WELCOME, 0, &w, sizeof(w) - 1);
	send(k, BH_INTEG_WELCOME, 0, junk, sizeof(w) + 1);
	send(k, UNKNOWN_TYPE, 0, junk, 8);
	send(k, BH_INTEG_HEARTBEAT, 0, junk, sizeof(struct bh_integ_heartbeat));
	send(k, BH_INTEG_TIME, 12345, &t, sizeof(t));
	send(k, BH_INTEG_SHUTDOWN, 0, junk, sizeof(s) - 1);
	send(k, BH_INTEG_WELCOME, 0, junk, sizeof(junk));
	send(k, BH_INTEG_WELCOME, 0, &v2, sizeof(v2));
	printf("integ_root: %s: sent 8 malformed packets\n", k->name);
	send(k, BH_INTEG_SHUTDOWN, 12, &s, sizeof(s));
	WAIT_UNTIL(k->acks > 0 && k->ack_id == 12);

	/* As fast as the ring takes them, serving the other children meanwhile. */
	for (unsigned i = 0; i < FLOOD_PACKETS;) {
		int rc = bh_channel_send(&k->ch, UNKNOWN_TYPE, i, junk, 8);
		if (rc == VMBUS_OK) {
			i++;
		} else if (rc == VMBUS_FULL) {
			step(); /* the child rings when there is room */
		} else {
			printf("integ_root: %s: flood: %s\n", k->name, bh_channel_status_name(rc));
			break;
		}
	}
	printf("integ_root: %s: flooded it with %u packets\n", k->name, FLOOD_PACKETS);
	welcome(k, 20);
	uint64_t before = k->heartbeats;
	WAIT_UNTIL(k->heartbeats >= before + 5);
	printf("integ_root: %s: heartbeats go on after the flood\n", k->name);

	/* A ring the root breaks: the child closes its side and opens it again. */
	uint64_t sessions = k->sessions;
	atomic_store(&k->ch.tx.hdr->write_index, 0xfffffff0U);
	printf("integ_root: %s: scribbled over its ring (signal: %d)\n", k->name,
	       bh_channel_signal(&k->ch));
	WAIT_UNTIL(k->sessions > sessions && k->hello);
	printf("integ_root: %s: back in a new session\n", k->name);

	ask_shutdown(k, 13, BH_INTEG_SHUTDOWN_POWEROFF, "test over");
	wait_state(k, BH_PARTITION_STOPPED);
	print_stop(k);
}

static void test_default(struct kid *k)
{
	ask_shutdown(k, 21, BH_INTEG_SHUTDOWN_POWEROFF, "maintenance");
	wait_state(k, BH_PARTITION_STOPPED);
	print_stop(k);

	uint64_t sessions = k->sessions;
	printf("integ_root: %s: start -> %d\n", k->name, bh_partition_start(k->ch.peer));
	WAIT_UNTIL(k->sessions > sessions && k->hello && k->heartbeats >= 1);
	printf("integ_root: %s: back in a new session, heartbeating\n", k->name);

	sessions = k->sessions;
	ask_shutdown(k, 22, BH_INTEG_SHUTDOWN_REBOOT, "update");
	WAIT_UNTIL(k->sessions > sessions && k->hello && k->heartbeats >= 1);
	printf("integ_root: %s: rebooted into a new session, heartbeating; %s, %u starts\n",
	       k->name, bh_partition_state_name(status_of(k).state), (unsigned)status_of(k).starts);
}

int main(void)
{
	char value[16];
	if (bh_bootarg("period", value, sizeof(value))) {
		period_ms = (uint32_t)strtoul(value, NULL, 0);
	}
	bh_irq_init();
	for (unsigned i = 0, n = bh_channel_count(); i < n && kid_count < MAX_KIDS; i++) {
		struct kid *k = &kids[kid_count];
		struct bh_partition_status st;
		if (bh_channel_get(i, &k->ch) != BH_HVC_OK || !k->ch.provider ||
		    strcmp(k->ch.interface, BH_INTEG_INTERFACE) != 0 ||
		    bh_partition_status(k->ch.peer, &st) != BH_HVC_OK) {
			continue;
		}
		memcpy(k->name, st.name, sizeof(k->name));
		printf("integ_root: %s: offering %s\n", k->name, k->ch.name);
		bh_channel_open(&k->ch);
		waitlist[kid_count++] = &k->ch;
	}
	if (kid_count == 0) {
		printf("integ_root: no integration channel\n");
		return 1;
	}
	bh_irq_register(BH_IRQ_VIRT_TIMER, wake, NULL);
	bh_irq_enable(BH_IRQ_VIRT_TIMER);
	bh_vtimer_set(bh_counter_frequency() * WAKE_EVERY_US / 1000000);
	bh_irq_local_enable();

	struct kid *hang = kid_for_role("hang"), *fault = kid_for_role("fault");
	struct kid *callback = kid_for_role("callback"), *plain = kid_for_role("default");
	struct kid *silent = kid_for_role("silent"), *silent2 = kid_for_role("silent2");
	for (unsigned i = 0; i < kid_count; i++) {
		struct kid *k = &kids[i];
		if (k == silent || k == silent2) {
			continue;
		}
		WAIT_UNTIL(k->hello && k->times > 0 && (k == fault || k->heartbeats > 0));
		printf("integ_root: %s: hello, time and heartbeats\n", k->name);
	}
	if (hang != NULL) {
		test_hang(hang);
	}
	if (fault != NULL) {
		test_fault(fault);
	}
	if (callback != NULL) {
		test_callback(callback);
	}
	if (plain != NULL) {
		test_default(plain);
	}
	if (silent != NULL) {
		test_silent(silent);
	}
	if (silent2 != NULL) {
		test_silent(silent2);
	}
	printf("integ_root: done\n");
	for (;;) {
		step(); /* a root keeps serving */
	}
}
