/* SPDX-License-Identifier: MIT */
/*
 * The child's side of the integration protocol, portable (integration_core.h).
 * Every field of a received packet is read once, from the caller's copy, and
 * checked before it changes anything; a packet that fails a check changes
 * nothing but the `ignored` count.
 */
#include "integration_core.h"

#include <string.h>

#define NS_PER_SECOND 1000000000ULL
#define MS_PER_SECOND 1000ULL

uint64_t bh_integ_ticks_to_ns(uint64_t ticks, uint64_t frequency)
{
	if (frequency == 0 || frequency > UINT32_MAX) {
		return 0;
	}
	uint64_t seconds = ticks / frequency;
	uint64_t rest = ticks % frequency; /* < 2^32: rest * 10^9 fits */
	if (seconds > UINT64_MAX / NS_PER_SECOND) {
		return UINT64_MAX;
	}
	uint64_t ns = seconds * NS_PER_SECOND;
	uint64_t fraction = rest * NS_PER_SECOND / frequency;
	return ns > UINT64_MAX - fraction ? UINT64_MAX : ns + fraction;
}

uint64_t bh_integ_ms_to_ticks(uint64_t ms, uint64_t frequency)
{
	if (frequency > UINT32_MAX || ms > UINT64_MAX / UINT32_MAX) {
		return UINT64_MAX;
	}
	return ms * frequency / MS_PER_SECOND;
}

uint32_t bh_integ_packet_length(unsigned type)
{
	switch (type) {
	case BH_INTEG_HELLO:
		return sizeof(struct bh_integ_hello);
	case BH_INTEG_WELCOME:
		return sizeof(struct bh_integ_welcome);
	case BH_INTEG_HEARTBEAT:
		return sizeof(struct bh_integ_heartbeat);
	case BH_INTEG_SHUTDOWN:
		return sizeof(struct bh_integ_shutdown);
	case BH_INTEG_SHUTDOWN_ACK:
		return sizeof(struct bh_integ_shutdown_ack);
	case BH_INTEG_TIME_REQUEST:
		return sizeof(struct bh_integ_time_request);
	case BH_INTEG_TIME:
		return sizeof(struct bh_integ_time);
	default:
		return 0;
	}
}

bool bh_integ_child_init(struct bh_integ_child *c, uint64_t frequency, uint64_t now)
{
	if (frequency == 0 || frequency > UINT32_MAX) {
		return false;
	}
	memset(c, 0, sizeof(*c));
	c->frequency = frequency;
	c->window_start = now;
	c->credits = BH_SDK_INTEG_WINDOW_CREDITS;
	for (unsigned i = 0; i < 2; i++) {
		c->print_refill[i] = now;
		c->print_tokens[i] = BH_SDK_INTEG_PRINT_BURST;
	}
	return true;
}

void bh_integ_child_time_request(struct bh_integ_child *c, uint64_t now,
				 struct bh_integ_packet *out)
{
	c->time_id = ++c->last_time_id;
	c->time_sent = now;
	memset(out, 0, sizeof(*out));
	out->type = BH_INTEG_TIME_REQUEST;
	out->trans_id = c->time_id;
	out->length = sizeof(out->payload.time_request);
	out->payload.time_request.counter = now;
}

void bh_integ_child_connect(struct bh_integ_child *c, const char *system, uint64_t now,
			    struct bh_integ_packet out[2])
{
	c->connected = true;
	c->heartbeat_ms = 0;
	c->sequence = 0;
	c->sessions++;

	memset(&out[0], 0, sizeof(out[0]));
	out[0].type = BH_INTEG_HELLO;
	out[0].length = sizeof(out[0].payload.hello);
	out[0].payload.hello.version = BH_INTEG_VERSION;
	out[0].payload.hello.kind = BH_INTEG_KIND_SDK;
	size_t n = strlen(system);
	if (n >= sizeof(out[0].payload.hello.system)) {
		n = sizeof(out[0].payload.hello.system) - 1;
	}
	memcpy(out[0].payload.hello.system, system, n);

	bh_integ_child_time_request(c, now, &out[1]);
}

void bh_integ_child_disconnect(struct bh_integ_child *c)
{
	c->connected = false;
	c->heartbeat_ms = 0;
	c->time_id = 0; /* an answer can only come in the session that asked */
}

uint64_t bh_integ_child_next_heartbeat(const struct bh_integ_child *c)
{
	return c->connected && c->heartbeat_ms != 0 ? c->next_heartbeat : UINT64_MAX;
}

bool bh_integ_child_heartbeat(struct bh_integ_child *c, uint64_t now, struct bh_integ_packet *out)
{
	if (now < bh_integ_child_next_heartbeat(c)) {
		return false;
	}
	uint64_t period = bh_integ_ms_to_ticks(c->heartbeat_ms, c->frequency);
	c->next_heartbeat += period;
	if (c->next_heartbeat <= now) {
		c->next_heartbeat = now + period; /* late (interrupts were masked): no burst */
	}
	c->sequence++;
	c->heartbeats_total++;
	memset(out, 0, sizeof(*out));
	out->type = BH_INTEG_HEARTBEAT;
	out->length = sizeof(out->payload.heartbeat);
	out->payload.heartbeat.sequence = c->sequence;
	out->payload.heartbeat.uptime_ms = bh_integ_ticks_to_ns(now, c->frequency) / 1000000U;
	return true;
}

static enum bh_integ_event_kind ignore(struct bh_integ_child *c, struct bh_integ_event *event,
				       const char *why)
{
	c->ignored++;
	event->kind = BH_INTEG_EVENT_IGNORED;
	event->why = why;
	return event->kind;
}

static enum bh_integ_event_kind welcome(struct bh_integ_child *c, const void *payload, uint64_t now,
					struct bh_integ_event *event)
{
	struct bh_integ_welcome w;
	memcpy(&w, payload, sizeof(w));
	if (w.version != BH_INTEG_VERSION) {
		return ignore(c, event, "a WELCOME of another protocol version");
	}
	uint32_t ms = w.heartbeat_ms;
	if (ms != 0 && ms < BH_SDK_INTEG_MIN_PERIOD_MS) {
		ms = BH_SDK_INTEG_MIN_PERIOD_MS;
	} else if (ms > BH_SDK_INTEG_MAX_PERIOD_MS) {
		ms = BH_SDK_INTEG_MAX_PERIOD_MS;
	}
	c->heartbeat_ms = ms;
	c->next_heartbeat = now; /* one at once: the new period may be shorter than the old */
	event->kind = BH_INTEG_EVENT_WELCOME;
	event->asked_ms = w.heartbeat_ms;
	return event->kind;
}

static enum bh_integ_event_kind time_answer(struct bh_integ_child *c, uint64_t trans_id,
					    const void *payload, uint64_t now,
					    struct bh_integ_event *event)
{
	struct bh_integ_time t;
	memcpy(&t, payload, sizeof(t));
	if (c->time_id == 0 || trans_id != c->time_id) {
		return ignore(c, event, "a TIME that answers no request");
	}
	if (t.counter != c->time_sent || now < t.counter) {
		return ignore(c, event, "a TIME whose counter is not the request's");
	}
	if (t.unix_ns < 0) {
		return ignore(c, event, "a TIME before 1970");
	}
	uint64_t round_trip = now - t.counter;
	c->time_id = 0;
	c->synced = true;
	c->base_counter = t.counter + round_trip / 2;
	c->base_unix_ns = t.unix_ns;
	c->error_ns = bh_integ_ticks_to_ns(round_trip - round_trip / 2, c->frequency);
	c->time_syncs++;
	event->kind = BH_INTEG_EVENT_TIME;
	return event->kind;
}

static enum bh_integ_event_kind shutdown_request(struct bh_integ_child *c, uint64_t trans_id,
						 const void *payload, struct bh_integ_event *event)
{
	struct bh_integ_shutdown s;
	memcpy(&s, payload, sizeof(s));
	struct bh_shutdown_request *r = &event->shutdown;
	memset(r, 0, sizeof(*r));
	r->id = trans_id;
	r->action = s.action;
	r->timeout_ms = s.timeout_ms;
	/* For the console: printable ASCII only, so the root cannot send escapes. */
	for (size_t i = 0; i < sizeof(s.reason) && s.reason[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s.reason[i];
		r->reason[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	c->shutdowns++;
	event->kind = BH_INTEG_EVENT_SHUTDOWN;
	return event->kind;
}

enum bh_integ_event_kind bh_integ_child_receive(struct bh_integ_child *c, uint16_t type,
						uint64_t trans_id, const void *payload,
						uint32_t length, uint64_t now,
						struct bh_integ_event *event)
{
	memset(event, 0, sizeof(*event));
	uint32_t want = bh_integ_packet_length(type);
	if (want == 0) {
		return ignore(c, event, "an unknown packet type");
	}
	if (type != BH_INTEG_WELCOME && type != BH_INTEG_TIME && type != BH_INTEG_SHUTDOWN) {
		return ignore(c, event, "a packet only a child sends");
	}
	if (length != want) {
		return ignore(c, event, "the wrong length for its type");
	}
	if (!c->connected) {
		return ignore(c, event, "a packet outside a session");
	}
	switch (type) {
	case BH_INTEG_WELCOME:
		return welcome(c, payload, now, event);
	case BH_INTEG_TIME:
		return time_answer(c, trans_id, payload, now, event);
	default:
		return shutdown_request(c, trans_id, payload, event);
	}
}

void bh_integ_child_ack(uint64_t id, int status, struct bh_integ_packet *out)
{
	memset(out, 0, sizeof(*out));
	out->type = BH_INTEG_SHUTDOWN_ACK;
	out->trans_id = id;
	out->length = sizeof(out->payload.ack);
	out->payload.ack.status = status > 0 ? 0 : status;
}

int bh_integ_child_wall_clock(const struct bh_integ_child *c, uint64_t now, int64_t *unix_ns)
{
	if (!c->synced) {
		return BH_INTEGRATION_NOT_SYNCED;
	}
	/* base_unix_ns >= 0, so its distance to INT64_MAX and to INT64_MIN fits a uint64_t. */
	uint64_t base = (uint64_t)c->base_unix_ns;
	if (now >= c->base_counter) {
		uint64_t ahead = bh_integ_ticks_to_ns(now - c->base_counter, c->frequency);
		if (ahead > (uint64_t)INT64_MAX - base) {
			return BH_INTEGRATION_RANGE;
		}
		*unix_ns = (int64_t)(base + ahead);
	} else {
		uint64_t behind = bh_integ_ticks_to_ns(c->base_counter - now, c->frequency);
		if (behind > base) {
			return BH_INTEGRATION_RANGE;
		}
		*unix_ns = (int64_t)(base - behind);
	}
	return 0;
}

uint64_t bh_integ_child_window_end(const struct bh_integ_child *c)
{
	return c->window_start + bh_integ_ms_to_ticks(BH_SDK_INTEG_WINDOW_MS, c->frequency);
}

bool bh_integ_child_credit(struct bh_integ_child *c, uint64_t now)
{
	if (now >= bh_integ_child_window_end(c)) {
		c->window_start = now;
		c->credits = BH_SDK_INTEG_WINDOW_CREDITS;
	}
	if (c->credits == 0) {
		return false;
	}
	c->credits--;
	return true;
}

bool bh_integ_child_may_print(struct bh_integ_child *c, enum bh_integ_message kind, uint64_t now)
{
	uint64_t every = bh_integ_ms_to_ticks(BH_SDK_INTEG_PRINT_EVERY_MS, c->frequency);
	uint64_t *refill = &c->print_refill[kind == BH_INTEG_WARNING];
	uint32_t *tokens = &c->print_tokens[kind == BH_INTEG_WARNING];
	uint64_t earned = now > *refill ? (now - *refill) / every : 0;
	if (earned >= BH_SDK_INTEG_PRINT_BURST - *tokens) {
		*tokens = BH_SDK_INTEG_PRINT_BURST;
		*refill = now;
	} else if (earned > 0) {
		*tokens += (uint32_t)earned;
		*refill += earned * every;
	}
	if (*tokens == 0) {
		c->suppressed++;
		return false;
	}
	(*tokens)--;
	return true;
}
