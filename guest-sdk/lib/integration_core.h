/* SPDX-License-Identifier: MIT */
/*
 * The child's side of the integration protocol (include/bulkhead/integration.h)
 * in plain C11, with no SDK call and no hardware: the checks of every received
 * packet, the heartbeat schedule, the time arithmetic and the limits that keep
 * a flooding root from taking the CPU or the console. The caller passes the
 * virtual counter's value; lib/integration.c drives this from interrupts,
 * tests/unit/test_integration.c from the host.
 */
#ifndef BULKHEAD_SDK_INTEGRATION_CORE_H
#define BULKHEAD_SDK_INTEGRATION_CORE_H

#include <bulkhead/integration.h>
#include <bulkhead/sdk.h>

#include <stdbool.h>
#include <stdint.h>

#define BH_SDK_INTEG_MIN_PERIOD_MS  10U /* a WELCOME asking a shorter period (not 0) gets this */
#define BH_SDK_INTEG_MAX_PERIOD_MS  3600000U /* ... a longer one: this */
#define BH_SDK_INTEG_WINDOW_MS	    10U	     /* flood control: per window of this long ... */
#define BH_SDK_INTEG_WINDOW_CREDITS 32U	     /* ... this many doorbells and packets are taken */
#define BH_SDK_INTEG_PRINT_BURST    10U	     /* messages of a kind printed at once at most ... */
#define BH_SDK_INTEG_PRINT_EVERY_MS 1000U    /* ... and one more per second after that */
#define BH_SDK_INTEG_MAX_PACKET	    64U	     /* the largest payload a child takes: SHUTDOWN */
#define BH_SDK_INTEG_EINVAL	    (-22)    /* SHUTDOWN_ACK's status for an unknown action */

/* A packet to send: type, transaction id and `length` bytes of payload. */
struct bh_integ_packet {
	uint16_t type;
	uint64_t trans_id;
	uint32_t length;
	union {
		struct bh_integ_hello hello;
		struct bh_integ_heartbeat heartbeat;
		struct bh_integ_shutdown_ack ack;
		struct bh_integ_time_request time_request;
	} payload;
};

/* What a received packet asks of the runtime. */
enum bh_integ_event_kind {
	BH_INTEG_EVENT_IGNORED,	 /* counted; `why` says what was wrong */
	BH_INTEG_EVENT_WELCOME,	 /* the heartbeat period is set: `asked_ms` was asked */
	BH_INTEG_EVENT_TIME,	 /* the wall clock is set */
	BH_INTEG_EVENT_SHUTDOWN, /* `shutdown`: answer with bh_integ_child_ack() */
};

struct bh_integ_event {
	enum bh_integ_event_kind kind;
	const char *why;
	uint32_t asked_ms;
	struct bh_shutdown_request shutdown;
};

struct bh_integ_child {
	uint64_t frequency; /* counter ticks per second, 1..UINT32_MAX */

	/* The session. */
	bool connected;
	uint32_t heartbeat_ms;	 /* 0: none asked */
	uint64_t next_heartbeat; /* the counter value it is due at */
	uint64_t sequence;	 /* the last heartbeat's */
	uint64_t time_id;	 /* the TIME_REQUEST waiting for its answer, 0: none */
	uint64_t time_sent;	 /* its counter */
	uint64_t last_time_id;	 /* ids go on across sessions, never reused */

	/* The wall clock: base_unix_ns at counter value base_counter. */
	bool synced;
	uint64_t base_counter;
	int64_t base_unix_ns;
	uint64_t error_ns;

	/* Since boot. */
	uint64_t sessions, heartbeats_total, time_syncs, shutdowns, ignored;

	/* Limits. */
	uint64_t window_start;
	uint32_t credits;
	uint64_t print_refill[2]; /* per enum bh_integ_message */
	uint32_t print_tokens[2];
	uint64_t suppressed;
};

/* False (and nothing set) for a counter frequency outside 1..UINT32_MAX. */
bool bh_integ_child_init(struct bh_integ_child *c, uint64_t frequency, uint64_t now);

/* Counter ticks as nanoseconds, without overflow (saturates), and ms as ticks. */
uint64_t bh_integ_ticks_to_ns(uint64_t ticks, uint64_t frequency);
uint64_t bh_integ_ms_to_ticks(uint64_t ms, uint64_t frequency);

/* The exact payload length of a packet of `type`, 0 for none the protocol has. */
uint32_t bh_integ_packet_length(unsigned type);

/*
 * A new session: HELLO (kind SDK, `system`) into out[0], a TIME_REQUEST
 * into out[1]. No heartbeat until a WELCOME.
 */
void bh_integ_child_connect(struct bh_integ_child *c, const char *system, uint64_t now,
			    struct bh_integ_packet out[2]);

/* The session ended (the root closed the channel, or the ring broke). */
void bh_integ_child_disconnect(struct bh_integ_child *c);

/* A TIME_REQUEST with a new id; the one before, if still unanswered, is dropped. */
void bh_integ_child_time_request(struct bh_integ_child *c, uint64_t now,
				 struct bh_integ_packet *out);

/*
 * If a heartbeat is due at `now`, fills it in and schedules the next one a
 * period after this one (after `now` if it ran late: no catching up).
 */
bool bh_integ_child_heartbeat(struct bh_integ_child *c, uint64_t now, struct bh_integ_packet *out);

/* When the next heartbeat is due, UINT64_MAX for never. */
uint64_t bh_integ_child_next_heartbeat(const struct bh_integ_child *c);

/*
 * Checks one received packet (its payload already copied out of the ring)
 * and acts on it. Returns the event kind, details in *event.
 */
enum bh_integ_event_kind bh_integ_child_receive(struct bh_integ_child *c, uint16_t type,
						uint64_t trans_id, const void *payload,
						uint32_t length, uint64_t now,
						struct bh_integ_event *event);

/* The SHUTDOWN_ACK for request `id`; a positive status is sent as 0. */
void bh_integ_child_ack(uint64_t id, int status, struct bh_integ_packet *out);

/* The wall clock at counter value `now`: 0 or BH_INTEGRATION_NOT_SYNCED / _RANGE. */
int bh_integ_child_wall_clock(const struct bh_integ_child *c, uint64_t now, int64_t *unix_ns);

/*
 * Flood control: takes one credit of the current window (a doorbell, or a
 * packet); false when the window's credits are spent, and the runtime
 * leaves the rest until bh_integ_child_window_end().
 */
bool bh_integ_child_credit(struct bh_integ_child *c, uint64_t now);
uint64_t bh_integ_child_window_end(const struct bh_integ_child *c);

/*
 * May the runtime print a message of this kind now? Counts those it may not.
 * Two budgets, so that the root's bad packets cannot silence the news.
 */
enum bh_integ_message {
	BH_INTEG_NOTICE,  /* what happened: a WELCOME, the time, a shutdown, a throttle */
	BH_INTEG_WARNING, /* a packet ignored */
};
bool bh_integ_child_may_print(struct bh_integ_child *c, enum bh_integ_message kind, uint64_t now);

#endif
