/* SPDX-License-Identifier: MIT */
/*
 * The crash policy of bhmgrd, the root's management service
 * (docs/management.md): what to do about a child given what STATUS says of
 * it. Pure C with no system calls, so host unit tests drive it
 * (tests/unit/test_policy.c); bhmgrd does the reading, the ioctls and the
 * printing.
 *
 * A crash is a stop by a fault (state crashed) or a watchdog expiry: the
 * integration channel is ready (HELLO received) in a session that began
 * after the child's last start was seen, and no heartbeat came for longer
 * than watchdog-ms. The silence counts from the last heartbeat, or from the
 * moment the watchdog was armed if that is later: a child told a new period
 * is not killed for the old one. A stop by the root or by the child itself
 * (SYSTEM_OFF) is not a crash.
 *
 * Log lines say the decision before the reason: the hypervisor's console
 * splits lines of more than 159 bytes, and a fault's reason is long.
 */
#ifndef BH_TOOLS_POLICY_H
#define BH_TOOLS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/policy.h>

#define POLICY_NO_LIMIT		UINT32_MAX
#define POLICY_HEARTBEAT_MIN_MS 10U
#define POLICY_HEARTBEAT_MAX_MS 1000U
#define POLICY_NAME_SIZE	17U			/* partition names: 16 bytes and the NUL */
#define POLICY_LINE_SIZE	256U			/* a log line */
#define POLICY_LOG_SIZE		(2U * POLICY_LINE_SIZE) /* the lines of one decision */
#define POLICY_NOTE_SIZE	96U			/* struct bh_mgmt_note's */
#define POLICY_REASON_SHOWN	128U			/* a stop reason's bytes in a log line */
#define POLICY_ERROR_SIZE	160U
#define POLICY_CAUSE_SIZE	44U /* `reported "TEXT"`: 32 bytes of the guest's */

/* A child's policy: its node's properties in /bulkhead-partitions. */
struct policy {
	bool restart;		   /* on-crash = "restart"; false: "stop" (the default) */
	uint32_t watchdog_ms;	   /* 0: no watchdog */
	uint32_t max_restarts;	   /* POLICY_NO_LIMIT: no limit */
	uint32_t restart_delay_ms; /* the first policy restart's wait; each next one doubles */
};

/* The defaults: on-crash stop, no watchdog, no limit, 100 ms. */
void policy_default(struct policy *p);

/*
 * Sets one property from its raw device-tree bytes (`len` of them; u32 cells
 * are big endian). Names other than the four policy properties are ignored.
 * Returns false, with `error` saying what is wrong with the value (it names
 * the property), if the value is malformed or out of range.
 */
bool policy_set_property(struct policy *p, const char *name, const void *value, size_t len,
			 char *error, size_t error_size);

/* The heartbeat period to ask of the child: watchdog-ms / 4 within 10..1000; 0 without watchdog. */
uint32_t policy_heartbeat_ms(const struct policy *p);

/* "on-crash restart, max-restarts 2, restart-delay-ms 100, watchdog-ms 500". */
void policy_describe(const struct policy *p, char *out, size_t size);

/* True if a stop reason says the partition restarted itself (PSCI SYSTEM_RESET). */
bool policy_self_reset(const char *stop_reason);

/*
 * A crash in a word, for notes: "watchdog", the guest's own words if it
 * reported its crash (BH_HVC_CRASH: `reported "TEXT"`), else "crashed".
 */
void policy_crash_cause(const char *stop_reason, bool watchdog, char *out, size_t size);

/* What STATUS says of a child, the fields the policy needs. */
struct policy_status {
	uint32_t state;		   /* BH_PARTITION_* */
	uint32_t starts;	   /* times it was started */
	const char *stop_reason;   /* its last stop or restart, NUL-terminated */
	uint32_t integration;	   /* BH_MGMT_INTEG_* */
	uint64_t heartbeat_age_ms; /* since its last heartbeat */
	uint32_t sessions;	   /* integration connections so far */
};

/* The service's memory of one child. Set up by policy_init(); the rest is the policy's. */
struct policy_child {
	char name[POLICY_NAME_SIZE];
	struct policy policy;

	bool seen;			    /* a status was stepped */
	uint32_t starts;		    /* as last seen */
	uint32_t state;			    /* as last seen */
	uint32_t sessions;		    /* as last seen */
	bool our_start;			    /* our START made `our_starts` */
	uint32_t our_starts;		    /* the start count our last START gave */
	bool crash_handled;		    /* the crash of start `crash_starts` was dealt with */
	uint32_t crash_starts;		    /* the start count at that crash */
	uint32_t crashes;		    /* since the last start by hand */
	char last_cause[POLICY_CAUSE_SIZE]; /* the last crash in a word (policy_crash_cause) */
	uint32_t restarts;		    /* by policy, since the last start by hand */
	uint32_t next_delay_ms;		    /* before the next policy restart */
	bool pending;			    /* a policy restart waits for `restart_at_ms` */
	uint64_t restart_at_ms;		    /* when */
	uint32_t armed_sessions;	    /* the watchdog is armed in sessions after this one */
	bool armed;			    /* it is */
	uint64_t armed_at_ms;		    /* since when */
};

enum policy_action {
	POLICY_NOTHING,
	POLICY_STOP,  /* a forced stop: the watchdog expired */
	POLICY_START, /* a policy restart is due */
};

/* What to do now; the caller does the action and prints the line. */
struct policy_decision {
	enum policy_action action;
	char log[POLICY_LOG_SIZE];   /* "" or lines to log, apart by '\n' (no program name) */
	bool set_note;		     /* give the child `note` (BH_MGMT_IOC_SET_NOTE) */
	char note[POLICY_NOTE_SIZE]; /* "" clears it */
	uint64_t wake_ms;	     /* look again by then at the latest; UINT64_MAX: no need */
};

void policy_init(struct policy_child *c, const char *name, const struct policy *p);

/* Steps the policy with a child's status seen at `now_ms` (a monotonic clock). */
void policy_step(struct policy_child *c, const struct policy_status *s, uint64_t now_ms,
		 struct policy_decision *d);

/*
 * The outcome of d's action: `error` is NULL if it was done, else why not
 * (strerror). `s` is the status the decision was made on. Fills `out` with
 * what to log and note about it.
 */
void policy_acted(struct policy_child *c, const struct policy_decision *d,
		  const struct policy_status *s, const char *error, struct policy_decision *out);

#endif
