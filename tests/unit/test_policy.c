// SPDX-License-Identifier: MIT
/*
 * Host tests for bhmgrd's crash policy (guest-sdk/linux/tools/lib/policy.c):
 * property checks, restarts with back-off up to max-restarts, a guest's own
 * crash report in the notes, starts by hand, the watchdog and its arming. A simulated child stands
 * for /dev/bulkhead: the policy's START and STOP change it as the hypervisor would, and the clock
 * is the test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <bulkhead/abi.h>
#include <bulkhead/manage_dev.h>

#include "policy.h"

/* ---------------------------------------------------------------- a child */

struct sim {
	uint32_t state, starts, integration, sessions;
	uint64_t heartbeat_age_ms;
	char reason[128];
};

static struct sim child;
static struct policy_child pc;
static uint64_t now;
static struct policy_decision last;  /* the step's decision */
static struct policy_decision acted; /* its outcome, if it acted */
static char note[POLICY_NOTE_SIZE];  /* the note as last set */
static unsigned notes_set;

static void boot(void)
{
	child.state = BH_PARTITION_RUNNING;
	child.starts++;
	child.integration = BH_MGMT_INTEG_WAITING;
}

static void crash(const char *why)
{
	child.state = BH_PARTITION_CRASHED;
	snprintf(child.reason, sizeof(child.reason), "%s", why);
	child.integration = BH_MGMT_INTEG_WAITING;
}

/* The child says HELLO: a new session. */
static void hello(void)
{
	child.integration = BH_MGMT_INTEG_READY;
	child.sessions++;
	child.heartbeat_age_ms = 0;
}

static struct policy_status status(void)
{
	return (struct policy_status){
		.state = child.state,
		.starts = child.starts,
		.stop_reason = child.reason,
		.integration = child.integration,
		.heartbeat_age_ms = child.heartbeat_age_ms,
		.sessions = child.sessions,
	};
}

static void take_note(const struct policy_decision *d)
{
	if (d->set_note) {
		snprintf(note, sizeof(note), "%s", d->note);
		notes_set++;
	}
}

/* One look by the service at `now`; does what it decides, as bhmgrd does. */
static enum policy_action look_with(const char *error)
{
	struct policy_status s = status();
	policy_step(&pc, &s, now, &last);
	take_note(&last);
	memset(&acted, 0, sizeof(acted));
	if (last.action == POLICY_START && error == NULL) {
		assert_true(child.state == BH_PARTITION_STOPPED ||
			    child.state == BH_PARTITION_CRASHED);
		boot();
	} else if (last.action == POLICY_STOP && error == NULL) {
		child.state = BH_PARTITION_STOPPED;
		snprintf(child.reason, sizeof(child.reason), "asked by the root");
		child.integration = BH_MGMT_INTEG_WAITING;
	}
	if (last.action != POLICY_NOTHING) {
		policy_acted(&pc, &last, &s, error, &acted);
		take_note(&acted);
	}
	return last.action;
}

static enum policy_action look(void)
{
	return look_with(NULL);
}

static void manage(const struct policy *p)
{
	memset(&child, 0, sizeof(child));
	boot();
	now = 1000;
	note[0] = '\0';
	notes_set = 0;
	policy_init(&pc, "rt0", p);
	assert_int_equal(look(), POLICY_NOTHING);
}

/* A crash the policy restarts after `delay` ms. */
static void crash_then_restart(const char *why, uint64_t delay)
{
	crash(why);
	assert_int_equal(look(), POLICY_NOTHING);
	now += delay;
	assert_int_equal(look(), POLICY_START);
}

static struct policy restart_policy(uint32_t max, uint32_t delay, uint32_t watchdog)
{
	struct policy p;
	policy_default(&p);
	p.restart = true;
	p.max_restarts = max;
	p.restart_delay_ms = delay;
	p.watchdog_ms = watchdog;
	return p;
}

/* ---------------------------------------------------------------- properties */

static bool set(struct policy *p, const char *name, const void *value, size_t len, char *error)
{
	return policy_set_property(p, name, value, len, error, POLICY_ERROR_SIZE);
}

static void test_properties(void **state)
{
	(void)state;
	struct policy p;
	char error[POLICY_ERROR_SIZE];
	static const unsigned char w500[] = {0, 0, 0x01, 0xf4}, w50[] = {0, 0, 0, 50},
				   two[] = {0, 0, 0, 2}, big[] = {0, 0, 0x03, 0xe9},
				   zero[] = {0, 0, 0, 0}, eight[8] = {0};
	policy_default(&p);
	assert_false(p.restart);
	assert_int_equal(p.watchdog_ms, 0);
	assert_int_equal(p.max_restarts, POLICY_NO_LIMIT);
	assert_int_equal(p.restart_delay_ms, 100);

	assert_true(set(&p, "on-crash", "restart", 8, error));
	assert_true(p.restart);
	assert_true(set(&p, "on-crash", "stop", 5, error));
	assert_false(p.restart);
	assert_false(set(&p, "on-crash", "reboot", 7, error));
	assert_string_equal(error, "on-crash = \"reboot\": neither \"restart\" nor \"stop\"");
	assert_false(set(&p, "on-crash", "restart", 7, error)); /* no NUL */
	assert_string_equal(error, "on-crash is not one string (7 bytes)");
	assert_false(set(&p, "on-crash", "stop\0stop", 10, error)); /* two strings */
	assert_false(set(&p, "on-crash", "", 0, error));
	assert_false(set(&p, "on-crash", "st\x1bp", 5, error));
	assert_non_null(strstr(error, "\"st?p\""));

	assert_true(set(&p, "watchdog-ms", w500, 4, error));
	assert_int_equal(p.watchdog_ms, 500);
	assert_false(set(&p, "watchdog-ms", w50, 4, error));
	assert_string_equal(error, "watchdog-ms = <50>: outside 100..3600000");
	assert_int_equal(p.watchdog_ms, 500); /* unchanged */
	assert_false(set(&p, "watchdog-ms", eight, 8, error));
	assert_string_equal(error, "watchdog-ms is 8 bytes, not one 32-bit cell");
	assert_true(set(&p, "max-restarts", two, 4, error));
	assert_int_equal(p.max_restarts, 2);
	assert_true(set(&p, "max-restarts", zero, 4, error));
	assert_int_equal(p.max_restarts, 0);
	assert_false(set(&p, "max-restarts", big, 4, error));
	assert_string_equal(error, "max-restarts = <1001>: outside 0..1000");
	assert_true(set(&p, "restart-delay-ms", zero, 4, error));
	assert_int_equal(p.restart_delay_ms, 0);
	assert_true(set(&p, "images", "app", 4, error)); /* not a policy property */
}

static void test_heartbeat_period(void **state)
{
	(void)state;
	struct policy p;
	policy_default(&p);
	assert_int_equal(policy_heartbeat_ms(&p), 0);
	p.watchdog_ms = 100;
	assert_int_equal(policy_heartbeat_ms(&p), 25);
	p.watchdog_ms = 20; /* below the property's range: clamped all the same */
	assert_int_equal(policy_heartbeat_ms(&p), 10);
	p.watchdog_ms = 2000;
	assert_int_equal(policy_heartbeat_ms(&p), 500);
	p.watchdog_ms = 3600000;
	assert_int_equal(policy_heartbeat_ms(&p), 1000);
}

static void test_describe(void **state)
{
	(void)state;
	char out[POLICY_LINE_SIZE];
	struct policy p = restart_policy(2, 100, 500);
	policy_describe(&p, out, sizeof(out));
	assert_string_equal(out, "on-crash restart, max-restarts 2, restart-delay-ms 100, "
				 "watchdog-ms 500 (heartbeat 125 ms)");
	policy_default(&p);
	policy_describe(&p, out, sizeof(out));
	assert_string_equal(out, "on-crash stop, no watchdog");
}

/* ---------------------------------------------------------------- crashes */

/* Restarted twice with back-off, then left stopped, and the note says why. */
static void test_max_restarts(void **state)
{
	(void)state;
	struct policy p = restart_policy(2, 100, 0);
	manage(&p);
	crash("vCPU 0 (CPU1): stage-2 data abort");
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(last.log, "rt0 crashed: restart 1 of 2 in 100 ms "
				      "(vCPU 0 (CPU1): stage-2 data abort)");
	assert_string_equal(note, "crashed: restart 1 of 2 in 100 ms");
	assert_int_equal(last.wake_ms, 1100);
	now = 1099;
	assert_int_equal(look(), POLICY_NOTHING);
	now = 1100;
	assert_int_equal(look(), POLICY_START);
	assert_string_equal(acted.log, "rt0 started: policy restart 1 of 2");
	assert_string_equal(note, "policy restarts: 1 of 2 (last: crashed)");
	assert_int_equal(child.starts, 2);
	now = 1200;
	assert_int_equal(look(), POLICY_NOTHING); /* our start: not by hand */
	assert_string_equal(last.log, "");

	crash("again");
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(last.log, "rt0 crashed: restart 2 of 2 in 200 ms (again)");
	now = 1399;
	assert_int_equal(look(), POLICY_NOTHING);
	now = 1400;
	assert_int_equal(look(), POLICY_START);

	crash("third");
	now = 1500;
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(last.log, "rt0 crashed: 3 times, max-restarts 2: left stopped (third)");
	assert_string_equal(note, "stopped: crashed 3 times, max-restarts 2");
	assert_int_equal(last.wake_ms, UINT64_MAX);
	for (now = 1500; now < 200000; now += 1000) {
		assert_int_equal(look(), POLICY_NOTHING);
	}
	assert_int_equal(child.state, BH_PARTITION_CRASHED);
	assert_int_equal(child.starts, 3);
}

/* A guest's own crash report (BH_HVC_CRASH) is a crash, and the notes say it in its words. */
static void test_crash_report(void **state)
{
	(void)state;
	static const struct {
		const char *crash; /* the stop reason of a crash now, or NULL */
		uint64_t at;
		enum policy_action action;
		const char *note;
	} steps[] = {
		{"vCPU 0 (CPU1): guest crash report: sysrq triggered crash (code 0x0)", 1000,
		 POLICY_NOTHING, "reported \"sysrq triggered crash\": restart 1 of 1 in 100 ms"},
		{NULL, 1100, POLICY_START,
		 "policy restarts: 1 of 1 (last: reported \"sysrq triggered crash\")"},
		/* 32 bytes of text that hold a " (code 0x" of their own: the last one ends it. */
		{"vCPU 0 (CPU1): guest crash report: a (code 0x1) b 0123456789abcdefg (code "
		 "0xdead0bad)",
		 1200, POLICY_NOTHING,
		 "stopped: crashed 2 times, max-restarts 1 (last: reported \"a (code 0x1) b "
		 "0123456789abcdefg\")"},
	};
	struct policy p = restart_policy(1, 100, 0);
	manage(&p);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].crash != NULL) {
			crash(steps[i].crash);
		}
		now = steps[i].at;
		assert_int_equal(look(), steps[i].action);
		assert_string_equal(note, steps[i].note);
	}
	/* The log has the whole reason, as for any crash. */
	assert_string_equal(last.log, "rt0 crashed: 2 times, max-restarts 1: left stopped (vCPU 0 "
				      "(CPU1): guest crash report: a (code 0x1) b "
				      "0123456789abcdefg (code 0xdead0bad))");
}

/* The cause in a word, whatever the reason holds. */
static void test_crash_cause(void **state)
{
	(void)state;
	char out[POLICY_CAUSE_SIZE];
	policy_crash_cause("vCPU 0 (CPU1): stage-2 data abort", false, out, sizeof(out));
	assert_string_equal(out, "crashed");
	policy_crash_cause("watchdog: no heartbeat for 3100 ms", true, out, sizeof(out));
	assert_string_equal(out, "watchdog");
	policy_crash_cause("vCPU 1 (CPU3): guest crash report:  (code 0x0)", false, out,
			   sizeof(out));
	assert_string_equal(out, "reported \"\"");
	/* Cut short (no code): the rest, at most 32 bytes. */
	policy_crash_cause("guest crash report: 0123456789abcdef0123456789abcdefXYZ", false, out,
			   sizeof(out));
	assert_string_equal(out, "reported \"0123456789abcdef0123456789abcdef\"");
	policy_crash_cause("", false, out, sizeof(out));
	assert_string_equal(out, "crashed");
}

static void test_on_crash_stop(void **state)
{
	(void)state;
	struct policy p;
	policy_default(&p);
	manage(&p);
	crash("boom");
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(last.log, "rt0 crashed: on-crash stop: left stopped (boom)");
	assert_string_equal(note, "stopped: crashed (on-crash stop)");
	unsigned notes = notes_set;
	for (now = 1000; now < 100000; now += 500) {
		assert_int_equal(look(), POLICY_NOTHING);
	}
	assert_int_equal(notes_set, notes); /* one crash, one word about it */
}

static void test_max_restarts_zero(void **state)
{
	(void)state;
	struct policy p = restart_policy(0, 100, 0);
	manage(&p);
	crash("boom");
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(note, "stopped: crashed 1 time, max-restarts 0");
}

/* A crash before the service started counts (a bare-metal child that faults at once). */
static void test_crash_before_the_service(void **state)
{
	(void)state;
	struct policy p = restart_policy(2, 0, 0);
	memset(&child, 0, sizeof(child));
	boot();
	crash("early");
	policy_init(&pc, "rt0", &p);
	now = 5;
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(last.log, "rt0 crashed: restart 1 of 2 in 0 ms (early)");
	assert_int_equal(look(), POLICY_START);
}

/* Back-off: each wait twice the one before, at most 60 s; a longer first one stays. */
static void test_back_off(void **state)
{
	(void)state;
	static const uint32_t waits[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
	struct policy p = restart_policy(POLICY_NO_LIMIT, 1000, 0);
	manage(&p);
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		char expected[POLICY_LINE_SIZE];
		crash("x");
		assert_int_equal(look(), POLICY_NOTHING);
		snprintf(expected, sizeof(expected), "rt0 crashed: restart %zu in %u ms (x)", i + 1,
			 waits[i]);
		assert_string_equal(last.log, expected);
		now += waits[i] - 1;
		assert_int_equal(look(), POLICY_NOTHING);
		now += 1;
		assert_int_equal(look(), POLICY_START);
		if (i == 0) { /* no limit: no "of" */
			assert_string_equal(note, "policy restarts: 1 (last: crashed)");
		}
	}
	p = restart_policy(POLICY_NO_LIMIT, 100000, 0);
	manage(&p);
	for (int i = 0; i < 3; i++) {
		crash_then_restart("x", 100000);
		assert_int_equal(child.starts, 2 + i);
	}
}

/* bhctl start or restart, not the service's: the count starts again. */
static void test_start_by_hand_resets(void **state)
{
	(void)state;
	struct policy p = restart_policy(1, 100, 0);
	manage(&p);
	crash_then_restart("one", 100);
	crash("two");
	look();
	assert_string_equal(note, "stopped: crashed 2 times, max-restarts 1");
	/* bhctl start */
	boot();
	snprintf(child.reason, sizeof(child.reason), "vCPU 0: two");
	now += 10;
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(last.log, "rt0 started by hand: policy restart count reset");
	assert_string_equal(note, "");
	crash("three");
	look();
	assert_string_equal(last.log, "rt0 crashed: restart 1 of 1 in 100 ms (three)");
	now += 100;
	assert_int_equal(look(), POLICY_START);
	crash("four");
	look();
	assert_string_equal(note, "stopped: crashed 2 times, max-restarts 1");
	/* Started by hand and crashed again before the next look: both are said. */
	boot();
	crash("five");
	now += 10;
	look();
	assert_string_equal(last.log, "rt0 started by hand: policy restart count reset\n"
				      "rt0 crashed: restart 1 of 1 in 100 ms (five)");
	/* bhctl restart while a policy restart waits: the wait is called off. */
	boot();
	snprintf(child.reason, sizeof(child.reason), "asked by the root");
	now += 10;
	look();
	assert_string_equal(last.log, "rt0 started by hand: policy restart count reset");
	now += 1000;
	assert_int_equal(look(), POLICY_NOTHING);
	assert_int_equal(child.starts, 6);
}

/* A child that resets itself (PSCI SYSTEM_RESET) is not started by hand. */
static void test_self_reset_keeps_count(void **state)
{
	(void)state;
	struct policy p = restart_policy(1, 100, 0);
	manage(&p);
	crash_then_restart("one", 100);
	child.starts++;
	snprintf(child.reason, sizeof(child.reason), "PSCI SYSTEM_RESET from vCPU 0");
	look();
	assert_string_equal(last.log, "");
	crash("two");
	look();
	assert_string_equal(note, "stopped: crashed 2 times, max-restarts 1");
}

/* A stop by the root or SYSTEM_OFF is not a crash. */
static void test_stops_are_not_crashes(void **state)
{
	(void)state;
	struct policy p = restart_policy(POLICY_NO_LIMIT, 0, 0);
	manage(&p);
	child.state = BH_PARTITION_STOPPED;
	snprintf(child.reason, sizeof(child.reason), "PSCI SYSTEM_OFF from vCPU 0");
	for (int i = 0; i < 10; i++) {
		now += 100;
		assert_int_equal(look(), POLICY_NOTHING);
	}
	assert_int_equal(notes_set, 0);
}

/* A pending restart waits while the child is between states, and a failure is said. */
static void test_restart_waits_and_fails(void **state)
{
	(void)state;
	struct policy p = restart_policy(3, 100, 0);
	manage(&p);
	crash("x");
	look();
	child.state = BH_PARTITION_LOADING; /* bhctl load */
	now += 200;
	assert_int_equal(look(), POLICY_NOTHING);
	assert_int_equal(last.wake_ms, now - 100); /* due: look again at the next poll */
	child.state = BH_PARTITION_STOPPED;
	assert_int_equal(look_with("Device or resource busy"), POLICY_START);
	assert_string_equal(acted.log, "rt0: policy restart failed: Device or resource busy");
	assert_string_equal(note, "policy restart failed: Device or resource busy");
	now += 1000;
	assert_int_equal(look(), POLICY_NOTHING); /* not tried again: the next crash decides */
}

/* ---------------------------------------------------------------- watchdog */

static void test_watchdog(void **state)
{
	(void)state;
	struct policy p = restart_policy(2, 100, 500);
	manage(&p);
	hello();
	now += 10;
	assert_int_equal(look(), POLICY_NOTHING);
	child.heartbeat_age_ms = 500;
	now += 500;
	assert_int_equal(look(), POLICY_NOTHING); /* not longer than watchdog-ms */
	child.heartbeat_age_ms = 501;
	now += 1;
	assert_int_equal(look(), POLICY_STOP);
	assert_string_equal(last.log, "rt0 crashed: restart 1 of 2 in 100 ms "
				      "(watchdog: no heartbeat for 501 ms)");
	assert_string_equal(note, "watchdog: restart 1 of 2 in 100 ms");
	assert_int_equal(child.state, BH_PARTITION_STOPPED);
	/* The stop is not a second crash; the restart comes after the delay. */
	now += 50;
	assert_int_equal(look(), POLICY_NOTHING);
	now += 50;
	assert_int_equal(look(), POLICY_START);
	assert_string_equal(note, "policy restarts: 1 of 2 (last: watchdog)");
}

/*
 * After a restart the module may still show the old session as ready, with an
 * old heartbeat: not armed until a new session says HELLO.
 */
static void test_watchdog_waits_for_a_new_session(void **state)
{
	(void)state;
	struct policy p = restart_policy(2, 0, 500);
	manage(&p);
	hello();
	now += 10;
	look();
	child.heartbeat_age_ms = 600;
	now += 600;
	assert_int_equal(look(), POLICY_STOP);
	now += 1;
	assert_int_equal(look(), POLICY_START);
	child.integration = BH_MGMT_INTEG_READY; /* stale: the same session */
	child.heartbeat_age_ms = 5000;
	for (int i = 0; i < 20; i++) {
		now += 100;
		assert_int_equal(look(), POLICY_NOTHING);
	}
	hello();
	now += 100;
	assert_int_equal(look(), POLICY_NOTHING);
	child.heartbeat_age_ms = 700;
	now += 700;
	assert_int_equal(look(), POLICY_STOP);
}

/*
 * When the service starts, a child already connected was told the module's
 * default period: its silence counts from then, not from its last heartbeat.
 */
static void test_watchdog_grace_at_start(void **state)
{
	(void)state;
	struct policy p = restart_policy(POLICY_NO_LIMIT, 100, 500);
	memset(&child, 0, sizeof(child));
	boot();
	hello();
	child.heartbeat_age_ms = 900;
	policy_init(&pc, "rt0", &p);
	now = 10000;
	assert_int_equal(look(), POLICY_NOTHING);
	child.heartbeat_age_ms = 1400;
	now += 500;
	assert_int_equal(look(), POLICY_NOTHING);
	child.heartbeat_age_ms = 1401;
	now += 1;
	assert_int_equal(look(), POLICY_STOP);
	assert_string_equal(last.log, "rt0 crashed: restart 1 in 100 ms "
				      "(watchdog: no heartbeat for 501 ms)");
}

/* Heartbeats keep it alive; waiting or connected-without-HELLO never fires it. */
static void test_watchdog_quiet_when_fine(void **state)
{
	(void)state;
	struct policy p = restart_policy(POLICY_NO_LIMIT, 100, 200);
	manage(&p);
	child.heartbeat_age_ms = 100000; /* no channel session yet: not armed */
	for (int i = 0; i < 10; i++) {
		now += 100;
		assert_int_equal(look(), POLICY_NOTHING);
	}
	child.integration = BH_MGMT_INTEG_CONNECTED;
	now += 1000;
	assert_int_equal(look(), POLICY_NOTHING);
	hello();
	for (int i = 0; i < 100; i++) {
		child.heartbeat_age_ms = (uint64_t)(i % 5) * 40;
		now += 40;
		assert_int_equal(look(), POLICY_NOTHING);
	}
	/* A crash while armed is one crash, not also a watchdog one. */
	crash("fault");
	child.heartbeat_age_ms = 100000;
	now += 1000;
	assert_int_equal(look(), POLICY_NOTHING);
	assert_string_equal(last.log, "rt0 crashed: restart 1 in 100 ms (fault)");
}

/* The watchdog with on-crash stop: stopped, and left so. */
static void test_watchdog_on_crash_stop(void **state)
{
	(void)state;
	struct policy p;
	policy_default(&p);
	p.watchdog_ms = 100;
	manage(&p);
	hello();
	look();
	child.heartbeat_age_ms = 101;
	now += 101;
	assert_int_equal(look(), POLICY_STOP);
	assert_string_equal(note, "stopped: watchdog: no heartbeat for 101 ms (on-crash stop)");
	now += 10000;
	assert_int_equal(look(), POLICY_NOTHING);
	assert_int_equal(child.state, BH_PARTITION_STOPPED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_heartbeat_period),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_max_restarts),
		cmocka_unit_test(test_crash_report),
		cmocka_unit_test(test_crash_cause),
		cmocka_unit_test(test_on_crash_stop),
		cmocka_unit_test(test_max_restarts_zero),
		cmocka_unit_test(test_crash_before_the_service),
		cmocka_unit_test(test_back_off),
		cmocka_unit_test(test_start_by_hand_resets),
		cmocka_unit_test(test_self_reset_keeps_count),
		cmocka_unit_test(test_stops_are_not_crashes),
		cmocka_unit_test(test_restart_waits_and_fails),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_watchdog_waits_for_a_new_session),
		cmocka_unit_test(test_watchdog_grace_at_start),
		cmocka_unit_test(test_watchdog_quiet_when_fine),
		cmocka_unit_test(test_watchdog_on_crash_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
