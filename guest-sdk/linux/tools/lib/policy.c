// SPDX-License-Identifier: MIT
/*
 * bhmgrd's crash policy (policy.h): property validation, back-off, restart
 * counting and the watchdog, with no system calls.
 */
#include "policy.h"

#include <bulkhead/abi.h>
#include <bulkhead/manage_dev.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SHOWN_STRING 32U /* bytes of a bad string value shown in an error */

void policy_default(struct policy *p)
{
	*p = (struct policy){
		.restart = false,
		.watchdog_ms = 0,
		.max_restarts = POLICY_NO_LIMIT,
		.restart_delay_ms = POLICY_DEFAULT_DELAY_MS,
	};
}

/* A device-tree value shown in a message: printable ASCII, the rest as '?'. */
static void show_string(const unsigned char *value, size_t len, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && value[i] != '\0' && n + 1 < size && n < SHOWN_STRING; i++) {
		out[n++] = value[i] >= 0x20 && value[i] < 0x7f ? (char)value[i] : '?';
	}
	out[n] = '\0';
}

static bool set_on_crash(struct policy *p, const unsigned char *value, size_t len, char *error,
			 size_t error_size)
{
	char shown[SHOWN_STRING + 1];
	if (len == 0 || value[len - 1] != '\0' || strlen((const char *)value) != len - 1) {
		snprintf(error, error_size, "on-crash is not one string (%zu bytes)", len);
		return false;
	}
	if (strcmp((const char *)value, "restart") == 0 ||
	    strcmp((const char *)value, "stop") == 0) {
		p->restart = value[0] == 'r';
		return true;
	}
	show_string(value, len, shown, sizeof(shown));
	snprintf(error, error_size, "on-crash = \"%s\": neither \"restart\" nor \"stop\"", shown);
	return false;
}

struct cell_property {
	const char *name;
	uint32_t least, most;
	size_t offset; /* of the field in struct policy */
};

static const struct cell_property cell_properties[] = {
	{"watchdog-ms", POLICY_WATCHDOG_MIN_MS, POLICY_WATCHDOG_MAX_MS,
	 offsetof(struct policy, watchdog_ms)},
	{"max-restarts", 0, POLICY_MAX_RESTARTS, offsetof(struct policy, max_restarts)},
	{"restart-delay-ms", 0, POLICY_DELAY_MAX_MS, offsetof(struct policy, restart_delay_ms)},
};

bool policy_set_property(struct policy *p, const char *name, const void *value, size_t len,
			 char *error, size_t error_size)
{
	const unsigned char *bytes = value;
	if (strcmp(name, "on-crash") == 0) {
		return set_on_crash(p, bytes, len, error, error_size);
	}
	for (size_t i = 0; i < sizeof(cell_properties) / sizeof(cell_properties[0]); i++) {
		const struct cell_property *c = &cell_properties[i];
		if (strcmp(name, c->name) != 0) {
			continue;
		}
		if (len != 4) {
			snprintf(error, error_size, "%s is %zu bytes, not one 32-bit cell", name,
				 len);
			return false;
		}
		uint32_t v = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 |
			     (uint32_t)bytes[2] << 8 | bytes[3];
		if (v < c->least || v > c->most) {
			snprintf(error, error_size, "%s = <%u>: outside %u..%u", name, v, c->least,
				 c->most);
			return false;
		}
		memcpy((char *)p + c->offset, &v, sizeof(v));
		return true;
	}
	return true;
}

uint32_t policy_heartbeat_ms(const struct policy *p)
{
	uint32_t period = p->watchdog_ms / 4U;
	if (p->watchdog_ms == 0) {
		return 0;
	}
	if (period < POLICY_HEARTBEAT_MIN_MS) {
		return POLICY_HEARTBEAT_MIN_MS;
	}
	return period > POLICY_HEARTBEAT_MAX_MS ? POLICY_HEARTBEAT_MAX_MS : period;
}

void policy_describe(const struct policy *p, char *out, size_t size)
{
	int n = snprintf(out, size, "on-crash %s", p->restart ? "restart" : "stop");
	if (p->restart && n >= 0 && (size_t)n < size) {
		if (p->max_restarts != POLICY_NO_LIMIT) {
			n += snprintf(out + n, size - (size_t)n, ", max-restarts %u",
				      p->max_restarts);
		}
		if (n >= 0 && (size_t)n < size) {
			n += snprintf(out + n, size - (size_t)n, ", restart-delay-ms %u",
				      p->restart_delay_ms);
		}
	}
	if (n >= 0 && (size_t)n < size) {
		if (p->watchdog_ms != 0) {
			snprintf(out + n, size - (size_t)n, ", watchdog-ms %u (heartbeat %u ms)",
				 p->watchdog_ms, policy_heartbeat_ms(p));
		} else {
			snprintf(out + n, size - (size_t)n, ", no watchdog");
		}
	}
}

bool policy_self_reset(const char *stop_reason)
{
	static const char self[] = "PSCI SYSTEM_RESET";
	return strncmp(stop_reason, self, sizeof(self) - 1) == 0;
}

void policy_crash_cause(const char *stop_reason, bool watchdog, char *out, size_t size)
{
	static const char report[] = "guest crash report: ", code[] = " (code 0x";
	const char *text = strstr(stop_reason, report);
	if (watchdog || text == NULL) {
		snprintf(out, size, "%s", watchdog ? "watchdog" : "crashed");
		return;
	}
	text += sizeof(report) - 1;
	/* The text ends at the last " (code 0x": the guest's text may hold one too. */
	const char *end = NULL;
	for (const char *at = strstr(text, code); at != NULL; at = strstr(at + 1, code)) {
		end = at;
	}
	size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
	snprintf(out, size, "reported \"%.*s\"", (int)(len < 32 ? len : 32), text);
}

void policy_init(struct policy_child *c, const char *name, const struct policy *p)
{
	*c = (struct policy_child){.policy = *p, .next_delay_ms = p->restart_delay_ms};
	snprintf(c->name, sizeof(c->name), "%s", name);
}

static void clear_decision(struct policy_decision *d)
{
	*d = (struct policy_decision){.action = POLICY_NOTHING, .wake_ms = UINT64_MAX};
}

/* Adds a line to what the decision logs (lines apart by '\n'). */
static void add_log(struct policy_decision *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_log(struct policy_decision *d, const char *fmt, ...)
{
	size_t used = strlen(d->log);
	va_list ap;
	if (used != 0 && used + 1 < sizeof(d->log)) {
		d->log[used++] = '\n';
		d->log[used] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(d->log + used, sizeof(d->log) - used, fmt, ap);
	va_end(ap);
}

static const char *plural(uint32_t n)
{
	return n == 1 ? "" : "s";
}

/* " of 2" with a limit, "" without. */
static void out_of(const struct policy *p, char *out, size_t size)
{
	if (p->max_restarts == POLICY_NO_LIMIT) {
		out[0] = '\0';
	} else {
		snprintf(out, size, " of %u", p->max_restarts);
	}
}

/* The next delay: twice this one, at most 60 s (a first delay above that stays). */
static uint32_t doubled(uint32_t delay)
{
	if (delay >= POLICY_LONGEST_DELAY_MS) {
		return delay;
	}
	uint64_t next = (uint64_t)delay * 2U;
	return next > POLICY_LONGEST_DELAY_MS ? POLICY_LONGEST_DELAY_MS : (uint32_t)next;
}

/*
 * A crash of start `starts`: `why` is the stop reason or the watchdog's word,
 * `watchdog` says which. Decides the restart and says so.
 */
static void crashed(struct policy_child *c, uint32_t starts, const char *why, bool watchdog,
		    uint64_t now_ms, struct policy_decision *d)
{
	const struct policy *p = &c->policy;
	char of[16];
	c->crash_handled = true;
	c->crash_starts = starts;
	c->crashes++;
	policy_crash_cause(why, watchdog, c->last_cause, sizeof(c->last_cause));
	c->armed = false;
	d->set_note = true;
	out_of(p, of, sizeof(of));
	if (!p->restart) {
		add_log(d, "%s crashed: on-crash stop: left stopped (%.*s)", c->name,
			(int)POLICY_REASON_SHOWN, why);
		snprintf(d->note, sizeof(d->note), "stopped: %.60s (on-crash stop)",
			 watchdog ? why : c->last_cause);
	} else if (p->max_restarts != POLICY_NO_LIMIT && c->restarts >= p->max_restarts) {
		add_log(d, "%s crashed: %u time%s, max-restarts %u: left stopped (%.*s)", c->name,
			c->crashes, plural(c->crashes), p->max_restarts, (int)POLICY_REASON_SHOWN,
			why);
		int n = snprintf(d->note, sizeof(d->note),
				 "stopped: crashed %u time%s, max-restarts %u", c->crashes,
				 plural(c->crashes), p->max_restarts);
		if (strcmp(c->last_cause, "crashed") != 0 && n >= 0 &&
		    (size_t)n < sizeof(d->note)) {
			snprintf(d->note + n, sizeof(d->note) - (size_t)n, " (last: %s)",
				 c->last_cause);
		}
	} else {
		uint32_t delay = c->next_delay_ms;
		c->next_delay_ms = doubled(delay);
		c->pending = true;
		c->restart_at_ms = now_ms + delay;
		add_log(d, "%s crashed: restart %u%s in %u ms (%.*s)", c->name, c->restarts + 1, of,
			delay, (int)POLICY_REASON_SHOWN, why);
		snprintf(d->note, sizeof(d->note), "%s: restart %u%s in %u ms", c->last_cause,
			 c->restarts + 1, of, delay);
	}
}

/* Its start count moved: our START, its own reset, or a start by hand. */
static void started(struct policy_child *c, const struct policy_status *s,
		    struct policy_decision *d)
{
	bool ours = c->our_start && s->starts == c->our_starts;
	if (!ours && !policy_self_reset(s->stop_reason)) {
		bool had = c->crashes != 0 || c->pending;
		c->crashes = 0;
		c->restarts = 0;
		c->pending = false;
		c->next_delay_ms = c->policy.restart_delay_ms;
		if (had) {
			add_log(d, "%s started by hand: policy restart count reset", c->name);
			d->set_note = true;
			d->note[0] = '\0';
		}
	}
	c->our_start = false;
	c->starts = s->starts;
	/* The watchdog waits for a session that began after this start. */
	c->armed_sessions = c->sessions;
	c->armed = false;
}

/* Arms the watchdog or checks it; true if it expired (the crash is decided). */
static bool watch(struct policy_child *c, const struct policy_status *s, uint64_t now_ms,
		  struct policy_decision *d)
{
	bool armable = c->policy.watchdog_ms != 0 && s->state == BH_PARTITION_RUNNING &&
		       s->integration == BH_MGMT_INTEG_READY && s->sessions > c->armed_sessions;
	if (!armable) {
		c->armed = false;
		return false;
	}
	if (!c->armed) {
		c->armed = true;
		c->armed_at_ms = now_ms;
	}
	uint64_t silent = now_ms - c->armed_at_ms;
	if (s->heartbeat_age_ms < silent) {
		silent = s->heartbeat_age_ms;
	}
	if (silent <= c->policy.watchdog_ms) {
		return false;
	}
	char why[64];
	snprintf(why, sizeof(why), "watchdog: no heartbeat for %llu ms",
		 (unsigned long long)silent);
	d->action = POLICY_STOP;
	crashed(c, s->starts, why, true, now_ms, d);
	return true;
}

void policy_step(struct policy_child *c, const struct policy_status *s, uint64_t now_ms,
		 struct policy_decision *d)
{
	clear_decision(d);
	if (!c->seen) {
		c->seen = true;
		c->starts = s->starts;
		/* A session already ready when the service starts is watched. */
		bool ready = s->integration == BH_MGMT_INTEG_READY && s->sessions != 0;
		c->armed_sessions = ready ? s->sessions - 1U : s->sessions;
	} else if (s->starts != c->starts) {
		started(c, s, d);
	}
	c->sessions = s->sessions;
	c->state = s->state;

	if (s->state == BH_PARTITION_CRASHED &&
	    !(c->crash_handled && c->crash_starts == s->starts)) {
		crashed(c, s->starts, s->stop_reason, false, now_ms, d);
	} else if (!watch(c, s, now_ms, d) && c->pending && now_ms >= c->restart_at_ms) {
		if (s->state == BH_PARTITION_STOPPED || s->state == BH_PARTITION_CRASHED) {
			d->action = POLICY_START;
		} else if (s->state == BH_PARTITION_RUNNING) {
			c->pending = false; /* it runs again without us: nothing to restart */
		}
		/* Stopping, starting, loading: the next look decides. */
	}
	if (c->pending && d->action == POLICY_NOTHING) {
		d->wake_ms = c->restart_at_ms;
	}
}

void policy_acted(struct policy_child *c, const struct policy_decision *d,
		  const struct policy_status *s, const char *error, struct policy_decision *out)
{
	char of[16];
	clear_decision(out);
	out_of(&c->policy, of, sizeof(of));
	if (d->action == POLICY_START) {
		c->pending = false;
		out->set_note = true;
		if (error == NULL) {
			c->restarts++;
			c->our_start = true;
			c->our_starts = s->starts + 1U;
			add_log(out, "%s started: policy restart %u%s", c->name, c->restarts, of);
			snprintf(out->note, sizeof(out->note), "policy restarts: %u%s (last: %s)",
				 c->restarts, of, c->last_cause);
		} else {
			add_log(out, "%s: policy restart failed: %s", c->name, error);
			snprintf(out->note, sizeof(out->note), "policy restart failed: %.60s",
				 error);
		}
	} else if (d->action == POLICY_STOP && error != NULL) {
		add_log(out, "%s: the watchdog's stop failed: %s", c->name, error);
	}
}
