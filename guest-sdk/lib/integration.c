/* SPDX-License-Identifier: MIT */
/*
 * The integration runtime (bulkhead/sdk.h, "integration services"): the
 * child's side of include/bulkhead/integration.h on the partition's first
 * consumer channel of interface "integration", driven by interrupts on
 * vCPU 0 so that it needs nothing from the program:
 *   - the channel's doorbell: state changes (a new session: HELLO and a time
 *     request) and the root's packets;
 *   - the EL1 physical timer (CNTP, PPI 30), which no SDK program used
 *     before: heartbeats, and the end of a flood-control window. The virtual
 *     timer stays the program's, so the two never share a comparator.
 * A program that hangs with interrupts masked, or dies, stops the heartbeats:
 * that is what the root's watchdog looks for.
 *
 * The protocol logic and every check is in integration_core.c (host-tested);
 * this file moves packets and programs the timer. One lock, taken with
 * interrupts masked, covers the state: the handlers run on vCPU 0, the API
 * may be called from any CPU. Messages go straight to the console (the
 * console lock masks interrupts too), a line built here without stdio, and
 * rate-limited: a root cannot flood the console through this child.
 */
#include "integration_core.h"
#include "internal.h"

#include <bulkhead/channel.h>
#include <string.h>

#ifndef BH_SDK_VERSION
#define BH_SDK_VERSION "?"
#endif

#define PPI_PHYS_TIMER	30
#define CNTP_CTL_ENABLE 1UL
#define LINE_MAX	160
#define ACK_WAIT_MS	100 /* how long a power-off waits for the root to read the answer */

/* Defined by a program that opts out; a weak reference is 0 when it does not. */
extern const bool bh_integration_disable __attribute__((weak));

static struct {
	bool active;
	struct bh_channel ch;
	struct bh_integ_child core;
	uint64_t session;     /* the session the core is connected in */
	uint64_t phys_offset; /* CNTPCT - CNTVCT: the timer compares the physical count */
	bool throttled;	      /* the doorbell is off until the window ends */
	uint64_t throttles;   /* how often */
	bool throttle_told;   /* this session's first throttle was reported */
	uint64_t unsent;      /* packets the ring had no room for */
	bh_shutdown_handler_t shutdown_fn;
	void *shutdown_arg;
} integ;

static bh_spinlock_t integ_lock = BH_SPINLOCK_INIT;

static uint64_t lock(void)
{
	uint64_t daif = bh_irq_save();
	bh_spin_lock(&integ_lock);
	return daif;
}

static void unlock(uint64_t daif)
{
	bh_spin_unlock(&integ_lock);
	bh_irq_restore(daif);
}

/* ------------------------------------------------------------ messages */

struct line {
	char text[LINE_MAX];
	size_t length;
};

static void add(struct line *l, const char *text)
{
	size_t n = strlen(text);
	if (n > sizeof(l->text) - 1 - l->length) {
		n = sizeof(l->text) - 1 - l->length;
	}
	memcpy(l->text + l->length, text, n);
	l->length += n;
}

static void add_u64(struct line *l, uint64_t value)
{
	char digits[21];
	size_t i = sizeof(digits) - 1;
	digits[i] = '\0';
	do {
		digits[--i] = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	add(l, digits + i);
}

static void add_s64(struct line *l, int64_t value)
{
	if (value < 0) {
		add(l, "-");
		add_u64(l, 0U - (uint64_t)value);
	} else {
		add_u64(l, (uint64_t)value);
	}
}

/* "bulkhead-sdk: integration: " and `text` begin a message, if the rate limit lets it. */
static bool begin_kind(struct line *l, enum bh_integ_message kind, const char *text)
{
	if (!bh_integ_child_may_print(&integ.core, kind, bh_counter())) {
		return false;
	}
	l->length = 0;
	add(l, "bulkhead-sdk: integration: ");
	add(l, text);
	return true;
}

static bool begin(struct line *l, const char *text)
{
	return begin_kind(l, BH_INTEG_NOTICE, text);
}

static void finish(struct line *l)
{
	add(l, "\n");
	if (l->text[l->length - 1] != '\n') {
		l->text[l->length - 1] = '\n'; /* cut: still a whole line */
	}
	bh_console_write(l->text, l->length);
}

static void say(const char *text)
{
	struct line l;
	if (begin(&l, text)) {
		finish(&l);
	}
}

/* ------------------------------------------------------------ the timer */

static void timer_program(uint64_t deadline)
{
	if (deadline == UINT64_MAX) {
		__asm__ volatile("msr cntp_ctl_el0, %0\n\tisb" ::"r"(0UL));
		return;
	}
	__asm__ volatile("msr cntp_cval_el0, %0\n\tmsr cntp_ctl_el0, %1\n\tisb" ::"r"(
				 deadline + integ.phys_offset),
			 "r"(CNTP_CTL_ENABLE));
}

/* The next heartbeat or the end of the throttled window, whichever comes first. */
static void timer_rearm(void)
{
	uint64_t deadline = bh_integ_child_next_heartbeat(&integ.core);
	uint64_t window_end = bh_integ_child_window_end(&integ.core);
	if (integ.throttled && window_end < deadline) {
		deadline = window_end;
	}
	timer_program(deadline);
}

static uint64_t physical_counter(void)
{
	uint64_t ticks;
	__asm__ volatile("isb\n\tmrs %0, cntpct_el0" : "=r"(ticks)::"memory");
	return ticks;
}

/* ------------------------------------------------------------ the channel */

static void session_lost(void)
{
	if (integ.core.connected) {
		bh_integ_child_disconnect(&integ.core);
	}
}

/* A ring the root corrupted: this session is over; open again for the next. */
static void ring_broken(const char *why)
{
	struct line l;
	if (begin(&l, "the ring broke (")) {
		add(&l, why);
		add(&l, "); closing the channel and opening it again");
		finish(&l);
	}
	session_lost();
	bh_channel_close(&integ.ch);
	bh_channel_open(&integ.ch);
}

static void send(const struct bh_integ_packet *p)
{
	int rc = bh_channel_send(&integ.ch, p->type, p->trans_id, &p->payload, p->length);
	if (rc == VMBUS_FULL || rc == BH_CHANNEL_NOT_CONNECTED) {
		integ.unsent++;
	} else if (rc != VMBUS_OK) {
		ring_broken(integ.ch.tx.broken ? integ.ch.tx.error : bh_channel_status_name(rc));
	}
}

static void welcomed(const struct bh_integ_event *e)
{
	struct line l;
	if (!begin(&l, "partition ")) {
		return;
	}
	add_u64(&l, integ.ch.peer);
	add(&l, " welcomes this child on ");
	add(&l, integ.ch.name);
	add(&l, " (session ");
	add_u64(&l, integ.session);
	add(&l, "): ");
	if (integ.core.heartbeat_ms == 0) {
		add(&l, "no heartbeat");
	} else {
		add(&l, "a heartbeat every ");
		add_u64(&l, integ.core.heartbeat_ms);
		add(&l, " ms");
	}
	if (e->asked_ms != integ.core.heartbeat_ms) {
		add(&l, " (asked ");
		add_u64(&l, e->asked_ms);
		add(&l, " ms)");
	}
	finish(&l);
}

static void time_set(void)
{
	struct line l;
	int64_t now_ns;
	if (bh_integ_child_wall_clock(&integ.core, bh_counter(), &now_ns) != 0 ||
	    !begin(&l, "wall clock set: ")) {
		return;
	}
	add_s64(&l, now_ns / 1000000000);
	add(&l, " s since 1970 UTC, within ");
	add_u64(&l, integ.core.error_ns / 1000);
	add(&l, " us");
	finish(&l);
}

static void ignored(uint16_t type, uint32_t length, const char *why)
{
	struct line l;
	if (!begin_kind(&l, BH_INTEG_WARNING, "ignored a packet (type ")) {
		return;
	}
	add_u64(&l, type);
	add(&l, ", ");
	add_u64(&l, length);
	add(&l, " bytes): ");
	add(&l, why);
	finish(&l);
}

/*
 * Gives the root up to ACK_WAIT_MS to take what was sent (the reader
 * publishes read_index once it has read all it knew of) before the partition
 * goes and the channel with it.
 */
static void wait_taken(void)
{
	uint64_t end = bh_counter() + bh_integ_ms_to_ticks(ACK_WAIT_MS, integ.core.frequency);
	while (integ.ch.state == BH_CHANNEL_CONNECTED && !integ.ch.tx.broken &&
	       atomic_load(&integ.ch.tx.hdr->read_index) != integ.ch.tx.own_write &&
	       bh_counter() < end) {
		vmbus_cpu_relax();
	}
}

/* The default answer: yes, and power off (or reset) now. */
__attribute__((noreturn)) static void shut_down(const struct bh_shutdown_request *r)
{
	struct bh_integ_packet ack;
	struct line l;
	bool reboot = r->action == BH_INTEG_SHUTDOWN_REBOOT;
	bh_integ_child_ack(r->id, 0, &ack);
	send(&ack);
	wait_taken();
	if (begin(&l,
		  reboot ? "the root asks for a reboot (" : "the root asks for a power-off (")) {
		add(&l, r->reason);
		add(&l, reboot ? "): restarting" : "): powering off");
		finish(&l);
	}
	if (reboot) {
		bh_psci_system_reset();
	}
	bh_power_off();
}

/* Called with the lock held (`*daif` as lock() returned it); drops it around the handler. */
static void shutdown_asked(const struct bh_shutdown_request *r, uint64_t *daif)
{
	struct bh_integ_packet ack;
	bh_shutdown_handler_t fn = integ.shutdown_fn;
	void *arg = integ.shutdown_arg;
	int status;

	if (r->action != BH_INTEG_SHUTDOWN_POWEROFF && r->action != BH_INTEG_SHUTDOWN_REBOOT) {
		say("refused a SHUTDOWN with an unknown action");
		bh_integ_child_ack(r->id, BH_SDK_INTEG_EINVAL, &ack);
		send(&ack);
		return;
	}
	if (fn == NULL) {
		shut_down(r);
	}
	unlock(*daif);
	status = fn(r, arg); /* may call the API, which takes the lock */
	*daif = lock();
	bh_integ_child_ack(r->id, status, &ack);
	if (integ.core.connected) {
		send(&ack);
	}
}

static void take(const struct vmbus_desc *desc, const uint8_t *payload, uint32_t length,
		 uint64_t *daif)
{
	struct bh_integ_event e;
	switch (bh_integ_child_receive(&integ.core, desc->type, desc->trans_id, payload, length,
				       bh_counter(), &e)) {
	case BH_INTEG_EVENT_IGNORED:
		ignored(desc->type, length, e.why);
		break;
	case BH_INTEG_EVENT_WELCOME:
		welcomed(&e);
		break;
	case BH_INTEG_EVENT_TIME:
		time_set();
		break;
	case BH_INTEG_EVENT_SHUTDOWN:
		shutdown_asked(&e.shutdown, daif);
		break;
	}
}

/* Out of credits: the doorbell waits until the window ends (the timer brings it back). */
static void throttle(void)
{
	if (!integ.throttled) {
		integ.throttled = true;
		integ.throttles++;
		bh_irq_disable(integ.ch.irq);
		if (!integ.throttle_told) {
			integ.throttle_told = true;
			say("the root sends faster than this child takes; slowing it down");
		}
	}
}

/* Takes the root's packets, within the window's credits. */
static void drain(uint64_t *daif)
{
	uint8_t payload[BH_SDK_INTEG_MAX_PACKET];
	struct vmbus_desc desc;
	uint32_t length;

	while (integ.core.connected && integ.ch.state == BH_CHANNEL_CONNECTED) {
		if (vmbus_ring_empty(&integ.ch.rx) && !vmbus_ring_unmask(&integ.ch.rx)) {
			return; /* the root rings when it sends more */
		}
		if (!bh_integ_child_credit(&integ.core, bh_counter())) {
			vmbus_ring_mask(&integ.ch.rx); /* the root need not ring meanwhile */
			throttle();
			return;
		}
		int rc = bh_channel_recv_or_drop(&integ.ch, &desc, payload, sizeof(payload),
						 &length);
		if (rc == VMBUS_TOOBIG) {
			integ.core.ignored++;
			ignored(desc.type, length, "larger than any packet of the protocol");
		} else if (rc == VMBUS_OK) {
			take(&desc, payload, length, daif);
		} else if (rc != VMBUS_EMPTY) {
			ring_broken(integ.ch.rx.broken ? integ.ch.rx.error
						       : bh_channel_status_name(rc));
			return;
		}
	}
}

/* What the doorbell (or the end of a throttled window) calls for: the state, then packets. */
static void serve(uint64_t *daif)
{
	if (!bh_integ_child_credit(&integ.core, bh_counter())) {
		throttle();
		return;
	}
	unsigned state = bh_channel_update(&integ.ch);
	/* Twice at most: a ring that broke was opened again, maybe into a session at once. */
	for (unsigned round = 0; round < 2; round++) {
		if (state == BH_CHANNEL_RESET || state == BH_CHANNEL_CLOSED) {
			session_lost(); /* the root closed its side (or its partition stopped) */
			state = (unsigned)bh_channel_open(&integ.ch);
		}
		if (state != BH_CHANNEL_CONNECTED) {
			session_lost();
			return;
		}
		if (!integ.core.connected || integ.ch.session != integ.session) {
			struct bh_integ_packet hello[2];
			integ.session = integ.ch.session;
			integ.throttle_told = false;
			bh_integ_child_connect(&integ.core, "Bulkhead SDK " BH_SDK_VERSION,
					       bh_counter(), hello);
			send(&hello[0]);
			send(&hello[1]);
		}
		drain(daif);
		if (integ.core.connected) {
			return;
		}
		state = integ.ch.state;
	}
	/*
	 * Broken twice in a row: no doorbell may come for the session just
	 * opened (the root's side was waiting), so the window's end serves it.
	 */
	if (state == BH_CHANNEL_CONNECTED) {
		throttle();
	}
}

static void doorbell(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	uint64_t daif = lock();
	if (!integ.throttled) {
		serve(&daif);
		timer_rearm();
	}
	unlock(daif);
}

static void timer(unsigned intid, void *arg)
{
	struct bh_integ_packet beat;
	(void)intid;
	(void)arg;
	uint64_t daif = lock();
	uint64_t now = bh_counter();
	if (integ.throttled && now >= bh_integ_child_window_end(&integ.core)) {
		integ.throttled = false;
		bh_irq_enable(integ.ch.irq);
		serve(&daif);
	}
	if (bh_integ_child_heartbeat(&integ.core, now, &beat)) {
		send(&beat);
	}
	timer_rearm(); /* level-triggered: re-armed in the future (or off), it falls */
	unlock(daif);
}

/* ------------------------------------------------------------ start */

/* The first channel of interface "integration" this partition consumes, or -1. */
static int find_channel(void)
{
	for (unsigned i = 0;; i++) {
		struct bh_smccc_result name = bh_hvc_call(BH_HVC_CHANNEL_NAME, i, 0, 0, 0, 0);
		char interface[17];
		if ((int64_t)name.x0 != BH_HVC_OK) {
			return -1;
		}
		bh_name_from_regs(name.x3, name.x4, interface);
		if (strcmp(interface, BH_INTEG_INTERFACE) != 0) {
			continue;
		}
		struct bh_smccc_result info = bh_hvc_call(BH_HVC_CHANNEL_INFO, i, 0, 0, 0, 0);
		if ((int64_t)info.x0 == BH_HVC_OK && (info.x5 & BH_CHANNEL_PROVIDER) == 0) {
			return (int)i;
		}
	}
}

void bh_integration_start(void)
{
	char value[8];
	uint64_t daif;

	if ((&bh_integration_disable != NULL && bh_integration_disable) ||
	    !bh_hypervisor_present() || bh_cpu_id() != 0) {
		return;
	}
	/* The channel first: a partition without one pays one hypercall. */
	int index = find_channel();
	if (index < 0 || (bh_bootarg("bulkhead.integration", value, sizeof(value)) &&
			  strcmp(value, "off") == 0)) {
		return;
	}
	if (bh_irq_init() < 0 ||
	    !bh_integ_child_init(&integ.core, bh_counter_frequency(), bh_counter())) {
		static const char off[] = "bulkhead-sdk: integration: no GIC or no counter "
					  "frequency: off\n";
		bh_console_write(off, sizeof(off) - 1);
		return;
	}
	/* Interrupts are still masked (crt0): no handler runs before ours is in place. */
	bh_channel_get((unsigned)index, &integ.ch);
	bh_irq_register(integ.ch.irq, doorbell, NULL);
	/* Virtual first: the offset comes out a little large, so the timer never fires early. */
	uint64_t virtual_now = bh_counter();
	integ.phys_offset = physical_counter() - virtual_now;
	bh_irq_register(PPI_PHYS_TIMER, timer, NULL);
	bh_irq_enable(PPI_PHYS_TIMER);
	integ.active = true;

	daif = lock();
	bh_channel_open(&integ.ch);
	serve(&daif); /* the root may be waiting already */
	timer_rearm();
	unlock(daif);
	bh_irq_local_enable();
}

/* ------------------------------------------------------------ the API */

int bh_integration_status(struct bh_integration_status *status)
{
	memset(status, 0, sizeof(*status));
	if (!integ.active) {
		return BH_INTEGRATION_OFF;
	}
	uint64_t daif = lock();
	const struct bh_integ_child *c = &integ.core;
	status->active = true;
	status->connected = c->connected;
	memcpy(status->channel, integ.ch.name, sizeof(status->channel));
	status->peer = integ.ch.peer;
	status->session = integ.session;
	status->heartbeat_ms = c->heartbeat_ms;
	status->heartbeats = c->sequence;
	status->heartbeats_total = c->heartbeats_total;
	status->sessions = c->sessions;
	status->time_syncs = c->time_syncs;
	status->time_error_ns = c->error_ns;
	status->shutdowns = c->shutdowns;
	status->ignored = c->ignored;
	status->unsent = integ.unsent;
	status->throttled = integ.throttles;
	status->suppressed = c->suppressed;
	unlock(daif);
	return 0;
}

int bh_wall_clock_ns(int64_t *unix_ns)
{
	if (!integ.active) {
		return BH_INTEGRATION_OFF;
	}
	uint64_t daif = lock();
	int rc = bh_integ_child_wall_clock(&integ.core, bh_counter(), unix_ns);
	unlock(daif);
	return rc;
}

int bh_integration_time_sync(void)
{
	struct bh_integ_packet request;
	int rc = 0;

	if (!integ.active) {
		return BH_INTEGRATION_OFF;
	}
	uint64_t daif = lock();
	if (!integ.core.connected) {
		rc = BH_INTEGRATION_NOT_CONNECTED;
	} else {
		uint64_t unsent = integ.unsent;
		bh_integ_child_time_request(&integ.core, bh_counter(), &request);
		send(&request);
		rc = integ.unsent != unsent ? BH_INTEGRATION_FULL : 0;
	}
	unlock(daif);
	return rc;
}

void bh_integration_on_shutdown(bh_shutdown_handler_t fn, void *arg)
{
	uint64_t daif = lock();
	integ.shutdown_fn = fn;
	integ.shutdown_arg = arg;
	unlock(daif);
}

uint32_t bh_integration_packet_length(unsigned type)
{
	return bh_integ_packet_length(type);
}
