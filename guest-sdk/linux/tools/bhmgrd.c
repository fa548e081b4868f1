// SPDX-License-Identifier: MIT
/*
 * bhmgrd: the root's management service (docs/management.md "bhmgrd"): the
 * crash policy and the watchdog of every child. It reads each child's policy
 * from the root's device tree (/proc/device-tree/bulkhead-partitions), polls
 * /dev/bulkhead, and restarts crashed children with back-off, stops children
 * whose heartbeats stop, leaves one stopped after max-restarts and says why
 * in its note (bhctl list shows it). Every decision is one line on stdout,
 * the root's console. The decisions themselves are lib/policy.c's.
 */
#define _GNU_SOURCE
#include "lib/mgmt.h"
#include "lib/policy.h"

#include <bulkhead/abi.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM		"bhmgrd"
#define DEFAULT_POLL_MS 100U
#define USAGE_EXIT	2
#define MOST_PROPERTY	64U /* bytes of a policy property read */

static const char usage_text[] =
	"usage: bhmgrd [--device PATH] [--tree DIR] [--interval MS]\n"
	"\n"
	"The root's management service: restarts crashed children by their policy,\n"
	"with back-off and a maximum count, and stops (as a crash) children whose\n"
	"heartbeats stop for longer than their watchdog-ms (docs/management.md).\n"
	"Each decision is one line on stdout. Runs until SIGTERM or SIGINT.\n"
	"\n"
	"  --device PATH    the management device (default /dev/bulkhead)\n"
	"  --tree DIR       the children's policies (default\n"
	"                   /proc/device-tree/bulkhead-partitions)\n"
	"  --interval MS    poll at least this often (default 100; it polls faster\n"
	"                   when a heartbeat period is shorter)\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit status: 0 stopped by a signal, 1 cannot run (not the root, no device,\n"
	"another bhmgrd), 2 usage error.\n";

struct child {
	uint32_t id;
	bool managed; /* its policy is valid */
	struct policy_child policy;
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;
	fputs(PROGRAM ": ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The policy's lines, each as one of ours. */
static void say_lines(const char *lines)
{
	while (*lines != '\0') {
		size_t len = strcspn(lines, "\n");
		say("%.*s", (int)len, lines);
		lines += len + (lines[len] == '\n');
	}
}

static _Noreturn void cannot_run(const char *what, int err)
{
	say("%s: %s%s", what, strerror(err),
	    err == EPERM ? " (this partition is not the root: nothing to manage)" : "");
	exit(1);
}

static const char *const policy_properties[] = {"on-crash", "watchdog-ms", "max-restarts",
						"restart-delay-ms"};

/* Reads and checks one child's policy; false (and a note saying why) if it is bad. */
static bool read_policy(int fd, const char *tree, const struct bh_mgmt_status *st, struct policy *p)
{
	policy_default(p);
	for (size_t i = 0; i < sizeof(policy_properties) / sizeof(policy_properties[0]); i++) {
		unsigned char value[MOST_PROPERTY];
		char error[POLICY_ERROR_SIZE], note[POLICY_NOTE_SIZE];
		ssize_t len = mgmt_read_property(tree, st->name, policy_properties[i], value,
						 sizeof(value));
		if (len < 0 && errno == ENOENT) {
			continue;
		}
		if (len < 0) {
			snprintf(error, sizeof(error), "%s: %s", policy_properties[i],
				 strerror(errno));
		}
		if (len < 0 || !policy_set_property(p, policy_properties[i], value, (size_t)len,
						    error, sizeof(error))) {
			say("%s/%s: %s; %s is not managed", tree, st->name, error, st->name);
			snprintf(note, sizeof(note), "not managed: %.82s", error);
			mgmt_set_note(fd, st->id, note);
			return false;
		}
	}
	return true;
}

/* Nodes of the tree that name no partition: said once, so a typo shows. */
static void check_tree(const char *tree, const struct child *children, uint32_t count)
{
	DIR *dir = opendir(tree);
	struct dirent *e;
	if (dir == NULL) {
		say("no %s (%s): every child gets the default policy (on-crash stop, no watchdog)",
		    tree, strerror(errno));
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		struct stat sb;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", tree, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			continue;
		}
		bool known = false;
		for (uint32_t i = 0; i < count; i++) {
			known = known || strcmp(children[i].policy.name, e->d_name) == 0;
		}
		if (!known) {
			char shown[64];
			snprintf(shown, sizeof(shown), "%.63s", e->d_name);
			mgmt_sanitize(shown, sizeof(shown));
			say("%s/%s: no child partition %s: ignored", tree, shown, shown);
		}
	}
	closedir(dir);
}

static void set_note(int fd, const struct child *c, const struct policy_decision *d)
{
	if (d->set_note) {
		int err = mgmt_set_note(fd, c->id, d->note);
		if (err != 0) {
			say("%s: cannot set its note: %s", c->policy.name, strerror(err));
		}
	}
}

static struct policy_status view(const struct bh_mgmt_status *st)
{
	return (struct policy_status){
		.state = st->state,
		.starts = st->starts,
		.stop_reason = st->stop_reason,
		.integration = st->integration,
		.heartbeat_age_ms = st->heartbeat_age_ms,
		.sessions = st->sessions,
	};
}

/* One look at a child; returns when it wants the next look at the latest. */
static uint64_t look(int fd, struct child *c)
{
	struct bh_mgmt_status st;
	struct policy_decision d, after;
	int err = mgmt_status(fd, c->id, &st);
	if (err != 0) {
		if (err == EPERM) {
			cannot_run("STATUS", err);
		}
		say("%s: STATUS: %s", c->policy.name, strerror(err));
		return UINT64_MAX;
	}
	struct policy_status s = view(&st);
	policy_step(&c->policy, &s, mgmt_now_ms(), &d);
	say_lines(d.log);
	set_note(fd, c, &d);
	if (d.action != POLICY_NOTHING) {
		err = mgmt_call(fd, d.action == POLICY_STOP ? BH_MGMT_IOC_STOP : BH_MGMT_IOC_START,
				c->id);
		policy_acted(&c->policy, &d, &s, err != 0 ? strerror(err) : NULL, &after);
		say_lines(after.log);
		set_note(fd, c, &after);
	}
	return d.wake_ms;
}

/* Sets each child up; returns the poll interval. */
static uint32_t set_up(int fd, const char *tree, struct child *children, uint32_t count,
		       uint32_t interval)
{
	for (uint32_t i = 0; i < count; i++) {
		struct child *c = &children[i];
		struct bh_mgmt_status st;
		struct policy p;
		char described[POLICY_LINE_SIZE];
		int err = mgmt_status(fd, c->id, &st);
		if (err != 0) {
			cannot_run("STATUS", err);
		}
		c->managed = read_policy(fd, tree, &st, &p);
		if (c->managed && p.watchdog_ms != 0 && st.integration == BH_MGMT_INTEG_NONE) {
			say("%s: watchdog-ms %u needs an integration channel to %s, which has "
			    "none: "
			    "no watchdog",
			    st.name, p.watchdog_ms, st.name);
			p.watchdog_ms = 0;
		}
		policy_init(&c->policy, st.name, &p);
		if (!c->managed) {
			continue;
		}
		uint32_t period = policy_heartbeat_ms(&p);
		if (period != 0) {
			err = mgmt_set_heartbeat(fd, c->id, period);
			if (err != 0) {
				say("%s: cannot set its heartbeat period to %u ms: %s", st.name,
				    period, strerror(err));
			}
			interval = period < interval ? period : interval;
		}
		policy_describe(&p, described, sizeof(described));
		say("%s: %s", st.name, described);
	}
	check_tree(tree, children, count);
	return interval;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"device", required_argument, NULL, 'd'},
		{"tree", required_argument, NULL, 't'},
		{"interval", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	const char *device = MGMT_DEVICE, *tree = MGMT_TREE;
	uint32_t interval = DEFAULT_POLL_MS;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		char *end;
		unsigned long v;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'd':
			device = optarg;
			break;
		case 't':
			tree = optarg;
			break;
		case 'i':
			v = strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || optarg[0] == '-' || v < 1 ||
			    v > 60000) {
				fprintf(stderr,
					PROGRAM ": --interval: '%s' is not a number from 1 to "
						"60000\n%s",
					optarg, usage_text);
				return USAGE_EXIT;
			}
			interval = (uint32_t)v;
			break;
		default:
			fputs(usage_text, stderr);
			return USAGE_EXIT;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROGRAM ": no arguments are taken\n%s", usage_text);
		return USAGE_EXIT;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	int fd = mgmt_open(device);
	if (fd < 0) {
		cannot_run(device, errno);
	}
	/* Two services would both restart a child: the second one refuses to run. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		cannot_run(errno == EWOULDBLOCK ? "another bhmgrd manages the partitions" : device,
			   errno);
	}
	uint32_t count;
	int err = mgmt_count(fd, &count);
	if (err != 0) {
		cannot_run("COUNT", err);
	}
	uint32_t kids = count > 0 ? count - 1 : 0; /* id 0 is the root */
	struct child *children = calloc(kids ? kids : 1, sizeof(*children));
	if (children == NULL) {
		cannot_run("memory", ENOMEM);
	}
	for (uint32_t i = 0; i < kids; i++) {
		children[i].id = i + 1;
	}
	interval = set_up(fd, tree, children, kids, interval);

	struct sigaction sa = {.sa_handler = on_stop_signal}; /* no SA_RESTART: sleeps end */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	say("managing %u children, polling every %u ms", kids, interval);
	while (stop_signal == 0) {
		uint64_t next = mgmt_now_ms() + interval;
		for (uint32_t i = 0; i < kids; i++) {
			if (children[i].managed) {
				uint64_t wake = look(fd, &children[i]);
				next = wake < next ? wake : next;
			}
		}
		mgmt_sleep_until_ms(next);
	}
	say("stopped by signal %d", (int)stop_signal);
	free(children);
	return 0;
}
