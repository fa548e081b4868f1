// SPDX-License-Identifier: MIT
/*
 * bhctl: the root's partitions from the shell, through the module's
 * management device /dev/bulkhead (include/bulkhead/manage_dev.h,
 * docs/management.md "bhctl"). Modelled on systemctl: a table for `list`,
 * quiet success, "Failed to VERB NAME: why." on failure, and distinct exit
 * codes (the usage text lists them).
 */
#define _GNU_SOURCE
#include "lib/mgmt.h"

#include <bulkhead/abi.h>
#include <bulkhead/integration.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM "bhctl"

/* Exit codes, after systemctl's (systemd's EXIT_INVALIDARGUMENT, EXIT_NOPERMISSION...). */
#define EXIT_OK		 0
#define EXIT_FAILED	 1 /* the operation failed; the message says why */
#define EXIT_USAGE	 2 /* a bad command line */
#define EXIT_NOT_RUNNING 3 /* status: the partition is not running */
#define EXIT_NOT_ROOT	 4 /* this partition is not the root (EPERM) */
#define EXIT_NO_SUCH	 5 /* no partition by that name or id */
#define EXIT_NO_DEVICE	 6 /* no management device: bulkhead.ko is not loaded */

#define DEFAULT_SHUTDOWN_MS 10000U
#define DEFAULT_WAIT_MS	    30000U
/*
 * --wait polls from every 1 ms, doubling to every 50 ms: a bare-metal child
 * is seen ready within a few ms, a Linux one's boot costs a few dozen polls.
 * The time it prints is the HELLO's, whenever it polls; but the polls are the
 * root's work, which under QEMU -icount is virtual time for every CPU.
 */
#define WAIT_POLL_FIRST_MS  1U
#define WAIT_POLL_MOST_MS   50U
#define MOST_TIMEOUT_MS	    3600000U
#define SHUTDOWN_POLL_MS    20U
#define DEFAULT_WATCH_MS    100U
#define FOLLOW_MS	    100U
#define STATUS_LINES	    10U
#define MOST_IMAGE	    (1ULL << 30) /* bytes of a file to load */
#define MOST_IMAGES	    64U		 /* names in a partition's `images` */
#define MOST_HISTORY	    (1U << 20)	 /* bytes of console history kept for -n */

static const char usage_text[] =
	"usage: bhctl [--device PATH] COMMAND [OPTIONS] [NAME...]\n"
	"\n"
	"The root partition manages its children (docs/management.md). NAME is a\n"
	"partition's name or its id (bhctl list shows both).\n"
	"\n"
	"  list                        every partition: id, name, state, CPUs, memory,\n"
	"                              starts, heartbeat, the management service's note\n"
	"                              and the last stop reason of stopped ones\n"
	"  status NAME                 one partition in detail and its recent console\n"
	"                              (-n, --lines N: that many lines, default 10)\n"
	"  start NAME...               start stopped or crashed children\n"
	"  stop NAME...                stop running children (forced: no shutdown asked)\n"
	"  restart NAME...             restart children (a stopped one is started)\n"
	"      --wait                  (start, restart) then wait until each child is\n"
	"                              ready (its integration channel's HELLO in a new\n"
	"                              session) and print how long that took; a child\n"
	"                              without an integration channel is refused\n"
	"      --timeout MS            wait this long at most (default 30000)\n"
	"  shutdown NAME               ask for an orderly shutdown over the child's\n"
	"                              integration channel, wait until it is stopped,\n"
	"                              print how it answered (acknowledged...)\n"
	"      --timeout MS            wait this long (default 10000), then stop it by force\n"
	"      --reboot                ask for a reboot instead; wait until it started again\n"
	"      --no-force              never force: fail after the timeout, or at once\n"
	"                              without an integration connection (the default\n"
	"                              then is to stop it by force at once)\n"
	"      --reason TEXT           told to the child (its log)\n"
	"  load NAME FILE [IMAGE]      FILE replaces an image of a stopped child; the next\n"
	"                              start runs it. IMAGE: a name from the partition's\n"
	"                              `images` (/proc/device-tree/bulkhead-partitions) or\n"
	"                              its number; default the first\n"
	"  console NAME                print the child's recent console output (the\n"
	"                              hypervisor keeps 4 KiB); -f, --follow: then keep\n"
	"                              printing what comes, like tail -f; -n, --lines N:\n"
	"                              only the last N lines of what is kept\n"
	"  watch                       one line per change as it happens (state, starts,\n"
	"                              integration, note) until killed; --interval MS\n"
	"                              (default 100), --count N: exit after N lines\n"
	"\n"
	"  --device PATH               the management device (default /dev/bulkhead)\n"
	"  -h, --help                  this text\n"
	"\n"
	"start, stop and restart do nothing to a partition already as asked, as\n"
	"systemctl does; every NAME is checked before anything is done. Console\n"
	"bytes other than printable ASCII, newline and tab are shown as '?'.\n"
	"\n"
	"Exit status: 0 done (status: the partition is running), 1 the operation\n"
	"failed, 2 usage error, 3 status: not running, 4 this partition is not the\n"
	"root, 5 no such partition, 6 no management device (bulkhead.ko not loaded).\n";

struct options {
	const char *device;
	bool follow, reboot, no_force, wait;
	uint32_t lines;
	bool lines_given;
	uint32_t timeout_ms, interval_ms;
	uint64_t count;
	const char *reason;
};

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROGRAM ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(bhctl -h shows the usage)\n");
	exit(EXIT_USAGE);
}

static uint64_t parse_number(const char *option, const char *text, uint64_t least, uint64_t most)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < least || v > most) {
		usage_error("%s: '%s' is not a number from %llu to %llu", option, text,
			    (unsigned long long)least, (unsigned long long)most);
	}
	return v;
}

/* The exit code of an error the device gave, after its message. */
static int device_error(int err)
{
	if (err == EPERM) {
		fprintf(stderr,
			PROGRAM ": this partition is not the root: only the root manages "
				"partitions (%s)\n",
			strerror(err));
		return EXIT_NOT_ROOT;
	}
	fprintf(stderr, PROGRAM ": %s: %s\n", MGMT_DEVICE, strerror(err));
	return EXIT_FAILED;
}

static int open_device(const char *path)
{
	int fd = mgmt_open(path);
	if (fd >= 0) {
		return fd;
	}
	int err = errno;
	fprintf(stderr, PROGRAM ": cannot open %s: %s%s\n", path, strerror(err),
		err == ENOENT ? " (is bulkhead.ko loaded?)" : "");
	exit(err == ENOENT || err == ENODEV || err == ENXIO ? EXIT_NO_DEVICE : EXIT_FAILED);
}

/* Every partition's status; exits with the right code if the device refuses. */
static uint32_t read_all(int fd, struct bh_mgmt_status **out)
{
	uint32_t count;
	int err = mgmt_count(fd, &count);
	if (err != 0) {
		exit(device_error(err));
	}
	struct bh_mgmt_status *all = calloc(count ? count : 1, sizeof(*all));
	if (all == NULL) {
		exit(device_error(ENOMEM));
	}
	for (uint32_t id = 0; id < count; id++) {
		err = mgmt_status(fd, id, &all[id]);
		if (err != 0) {
			exit(device_error(err));
		}
	}
	*out = all;
	return count;
}

/* Finds NAME for `verb`; on failure prints systemctl's kind of message and exits. */
static void find(int fd, const char *verb, const char *name, struct bh_mgmt_status *st)
{
	int err = mgmt_find(fd, name, st);
	if (err == ENOENT) {
		fprintf(stderr, "Failed to %s %s: partition %s not found.\n", verb, name, name);
		exit(EXIT_NO_SUCH);
	}
	if (err != 0) {
		exit(device_error(err));
	}
}

static void heartbeat_text(const struct bh_mgmt_status *st, char *out, size_t size)
{
	switch (st->integration) {
	case BH_MGMT_INTEG_NONE:
		snprintf(out, size, st->id == 0 ? "-" : "none");
		break;
	case BH_MGMT_INTEG_READY:
		if (st->heartbeat_ms == 0) {
			snprintf(out, size, "ready");
		} else if (st->heartbeat_age_ms > 2ULL * st->heartbeat_ms) {
			snprintf(out, size, "late %llu.%llus",
				 (unsigned long long)(st->heartbeat_age_ms / 1000U),
				 (unsigned long long)(st->heartbeat_age_ms % 1000U / 100U));
		} else {
			snprintf(out, size, "ok %llu.%llus ago",
				 (unsigned long long)(st->heartbeat_age_ms / 1000U),
				 (unsigned long long)(st->heartbeat_age_ms % 1000U / 100U));
		}
		break;
	default:
		snprintf(out, size, "waiting");
		break;
	}
}

static const char *integration_name(uint32_t integration)
{
	static const char *const names[] = {
		[BH_MGMT_INTEG_NONE] = "none",
		[BH_MGMT_INTEG_WAITING] = "waiting",
		[BH_MGMT_INTEG_CONNECTED] = "connected",
		[BH_MGMT_INTEG_READY] = "ready",
	};
	return integration < sizeof(names) / sizeof(names[0]) ? names[integration] : "?";
}

static bool is_down(uint32_t state)
{
	return state == BH_PARTITION_STOPPED || state == BH_PARTITION_CRASHED ||
	       state == BH_PARTITION_LOADING;
}

static int cmd_list(int fd)
{
	struct bh_mgmt_status *all;
	uint32_t count = read_all(fd, &all);
	int name_w = 4, state_w = 5, cpus_w = 4;
	uint32_t by_state[8] = {0};
	char cpus[64], mem[24], beat[32];
	for (uint32_t i = 0; i < count; i++) {
		int n = (int)strlen(all[i].name);
		name_w = n > name_w ? n : name_w;
		n = (int)strlen(mgmt_state_name(all[i].state));
		state_w = n > state_w ? n : state_w;
		mgmt_format_cpus(all[i].cpu_mask, cpus, sizeof(cpus));
		n = (int)strlen(cpus);
		cpus_w = n > cpus_w ? n : cpus_w;
		by_state[all[i].state < 8 ? all[i].state : 7]++;
	}
	printf("%-3s %-*s %-*s %-*s %-6s %-6s %-13s %s\n", "ID", name_w, "NAME", state_w, "STATE",
	       cpus_w, "CPUS", "MEMORY", "STARTS", "HEARTBEAT", "NOTE");
	for (uint32_t i = 0; i < count; i++) {
		const struct bh_mgmt_status *st = &all[i];
		mgmt_format_cpus(st->cpu_mask, cpus, sizeof(cpus));
		mgmt_format_bytes(st->memory, mem, sizeof(mem));
		heartbeat_text(st, beat, sizeof(beat));
		/* No padding after the last column: the lines end where the text does. */
		printf("%-3u %-*s %-*s %-*s %-6s %-6u %-*s%s%s\n", st->id, name_w, st->name,
		       state_w, mgmt_state_name(st->state), cpus_w, cpus, mem, st->starts,
		       st->note[0] ? 13 : 0, beat, st->note[0] ? " " : "", st->note);
		if (is_down(st->state) && st->stop_reason[0] != '\0') {
			printf("%-3s %-*s last stop: %s\n", "", name_w, "", st->stop_reason);
		}
	}
	printf("\n%u partition%s listed: %u running", count, count == 1 ? "" : "s",
	       by_state[BH_PARTITION_RUNNING]);
	static const uint32_t others[] = {BH_PARTITION_STOPPED,	 BH_PARTITION_CRASHED,
					  BH_PARTITION_STARTING, BH_PARTITION_RESTARTING,
					  BH_PARTITION_STOPPING, BH_PARTITION_LOADING};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (by_state[others[i]] != 0) {
			printf(", %u %s", by_state[others[i]], mgmt_state_name(others[i]));
		}
	}
	printf(".\n");
	free(all);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

/* Console history from `*position` on, into a growing buffer; returns bytes. */
struct history {
	char *data;
	size_t len, size;
};

static void add_history(struct history *h, const char *bytes, size_t len)
{
	if (h->len + len > h->size) {
		size_t size = h->size ? h->size : 4096;
		while (size < h->len + len) {
			size *= 2;
		}
		char *grown = realloc(h->data, size);
		if (grown == NULL) {
			exit(device_error(ENOMEM));
		}
		h->data = grown;
		h->size = size;
	}
	memcpy(h->data + h->len, bytes, len);
	h->len += len;
	if (h->len > MOST_HISTORY) { /* keep the newest */
		memmove(h->data, h->data + h->len - MOST_HISTORY, MOST_HISTORY);
		h->len = MOST_HISTORY;
	}
}

/* Writes console bytes, made harmless for the root's terminal. */
static void print_console(const char *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)bytes[i];
		if (c == '\r') {
			continue;
		}
		putchar(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?');
	}
}

/*
 * Reads the console from *position up to its end; `sink` NULL prints it,
 * else it is collected. Returns 0 or an errno value.
 */
static int read_console(int fd, const struct bh_mgmt_status *st, uint64_t *position,
			struct history *sink, bool report_missed)
{
	char buf[4096];
	for (;;) {
		struct bh_mgmt_console c = {
			.id = st->id,
			.size = sizeof(buf),
			.data = (uintptr_t)buf,
			.position = *position,
		};
		int err;
		while ((err = ioctl(fd, BH_MGMT_IOC_CONSOLE, &c)) != 0 && errno == EINTR) {
		}
		if (err != 0) {
			return errno;
		}
		if (c.missed != 0 && report_missed) {
			fflush(stdout);
			fprintf(stderr, PROGRAM ": %s: %llu bytes of console output were lost\n",
				st->name, (unsigned long long)c.missed);
		}
		size_t got = c.size < sizeof(buf) ? c.size : sizeof(buf);
		if (sink != NULL) {
			add_history(sink, buf, got);
		} else {
			print_console(buf, got);
		}
		*position = c.position;
		if (got == 0 || c.position >= c.end) {
			return 0;
		}
	}
}

/* Prints the last `lines` lines of the console history. */
static int print_last_lines(int fd, const struct bh_mgmt_status *st, uint32_t lines,
			    uint64_t *position)
{
	struct history h = {0};
	int err = read_console(fd, st, position, &h, false);
	if (err == 0) {
		size_t start = h.len;
		uint32_t seen = 0;
		/* A last line without its newline counts too. */
		if (start > 0 && h.data[start - 1] == '\n') {
			start--;
		}
		while (start > 0 && seen < lines) {
			start--;
			if (h.data[start] == '\n' && ++seen == lines) {
				start++;
				break;
			}
		}
		print_console(h.data + start, h.len - start);
	}
	free(h.data);
	return err;
}

static int cmd_console(int fd, const char *name, const struct options *o)
{
	struct bh_mgmt_status st;
	find(fd, "read the console of", name, &st);
	uint64_t position = 0;
	int err = o->lines_given ? print_last_lines(fd, &st, o->lines, &position)
				 : read_console(fd, &st, &position, NULL, false);
	while (err == 0 && o->follow) {
		fflush(stdout);
		mgmt_sleep_until_ms(mgmt_now_ms() + FOLLOW_MS);
		err = read_console(fd, &st, &position, NULL, true);
	}
	if (err != 0) {
		fflush(stdout);
		fprintf(stderr, "Failed to read the console of %s: %s.\n", st.name, strerror(err));
		return err == EPERM ? EXIT_NOT_ROOT : EXIT_FAILED;
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

static int cmd_status(int fd, const char *name, const struct options *o)
{
	static const char *const kinds[] = {
		[BH_INTEG_KIND_SDK] = "SDK program", [BH_INTEG_KIND_LINUX] = "Linux"};
	struct bh_mgmt_status st;
	char cpus[64], mem[24], beat[32];
	find(fd, "get the status of", name, &st);
	mgmt_format_cpus(st.cpu_mask, cpus, sizeof(cpus));
	mgmt_format_bytes(st.memory, mem, sizeof(mem));
	heartbeat_text(&st, beat, sizeof(beat));
	printf("%s (partition %u): %s\n", st.name, st.id, mgmt_state_name(st.state));
	printf("      State: %s, started %u time%s\n", mgmt_state_name(st.state), st.starts,
	       st.starts == 1 ? "" : "s");
	printf("       CPUs: %s (%u vCPU%s)\n", cpus, st.vcpus, st.vcpus == 1 ? "" : "s");
	printf("     Memory: %s\n", mem);
	if (st.integration == BH_MGMT_INTEG_NONE) {
		printf("  Heartbeat: %s (no integration channel)\n", beat);
	} else {
		printf("  Heartbeat: %s, asked every %u ms (%llu in this session, %u session%s)\n",
		       beat, st.heartbeat_ms, (unsigned long long)st.heartbeats, st.sessions,
		       st.sessions == 1 ? "" : "s");
	}
	if (st.kind != 0) {
		printf("     System: %s: %s\n",
		       st.kind < sizeof(kinds) / sizeof(kinds[0]) && kinds[st.kind] ? kinds[st.kind]
										    : "?",
		       st.system);
	}
	printf("  Last stop: %s\n", st.stop_reason[0] ? st.stop_reason : "-");
	printf("       Note: %s\n", st.note[0] ? st.note : "-");
	printf("     Denied: %u management call%s\n", st.denied, st.denied == 1 ? "" : "s");
	if (st.id != 0) {
		uint64_t position = 0;
		printf("\nRecent console:\n");
		int err = print_last_lines(fd, &st, o->lines_given ? o->lines : STATUS_LINES,
					   &position);
		if (err != 0) {
			printf("(%s)\n", strerror(err));
		}
	}
	if (fflush(stdout) != 0) {
		return EXIT_FAILED;
	}
	return st.state == BH_PARTITION_RUNNING ? EXIT_OK : EXIT_NOT_RUNNING;
}

enum verb { START, STOP, RESTART };

static const char *const verb_names[] = {[START] = "start", [STOP] = "stop", [RESTART] = "restart"};

/* Whether the partition is as `verb` leaves it. */
static bool reached(enum verb verb, uint32_t state)
{
	return verb == STOP ? is_down(state) : mgmt_is_up(state);
}

/* One start, stop or restart; returns an exit code after its message. */
static int lifecycle(int fd, enum verb verb, const struct bh_mgmt_status *st)
{
	if (st->id == 0) {
		fprintf(stderr, "Failed to %s %s: the root is not managed from itself.\n",
			verb_names[verb], st->name);
		return EXIT_FAILED;
	}
	unsigned long request = verb == STOP ? BH_MGMT_IOC_STOP : BH_MGMT_IOC_START;
	if (verb == RESTART && st->state == BH_PARTITION_RUNNING) {
		request = BH_MGMT_IOC_RESTART;
	} else if (reached(verb, st->state)) {
		return EXIT_OK; /* as asked already: systemctl start of an active unit */
	}
	int err = mgmt_call(fd, request, st->id);
	if (err == EBUSY) {
		/* It changed under us (bhmgrd, another bhctl): fine if it is as asked. */
		struct bh_mgmt_status now;
		int again = mgmt_status(fd, st->id, &now);
		if (again != 0) {
			return device_error(again);
		}
		if (reached(verb, now.state)) {
			return EXIT_OK;
		}
		fprintf(stderr, "Failed to %s %s: it is %s (%s).\n", verb_names[verb], st->name,
			mgmt_state_name(now.state), strerror(err));
		return EXIT_FAILED;
	}
	if (err != 0) {
		fprintf(stderr, "Failed to %s %s: %s.\n", verb_names[verb], st->name,
			strerror(err));
		return err == EPERM ? EXIT_NOT_ROOT : EXIT_FAILED;
	}
	return EXIT_OK;
}

/* What --wait knows of a child from just before its start or restart. */
struct wait_mark {
	uint64_t since_ns; /* CLOCK_MONOTONIC */
	uint32_t sessions, starts;
	bool fresh; /* a new session is awaited; false: `start` of a running child */
};

static void mark_before(const struct bh_mgmt_status *st, enum verb verb, struct wait_mark *mark)
{
	mark->since_ns = mgmt_now_ns();
	mark->sessions = st->sessions;
	mark->starts = st->starts;
	mark->fresh = !(verb == START && st->state == BH_PARTITION_RUNNING);
}

/*
 * --wait: polls the child's status until its integration channel is ready in
 * a session that began after the mark, then prints the time from the mark to
 * the HELLO (the module's timestamp, so the poll period does not count).
 */
static int wait_ready(int fd, enum verb verb, const struct bh_mgmt_status *st,
		      const struct wait_mark *mark, uint32_t timeout_ms)
{
	uint64_t deadline = mark->since_ns + (uint64_t)timeout_ms * 1000000U;
	bool started = false; /* seen up, or started since the mark */
	uint32_t poll_ms = WAIT_POLL_FIRST_MS;
	for (;;) {
		struct bh_mgmt_status now;
		int err = mgmt_status(fd, st->id, &now);
		if (err != 0) {
			return device_error(err);
		}
		if (now.integration == BH_MGMT_INTEG_READY && !mark->fresh) {
			printf("%s: ready (already running; HELLO: %s)\n", now.name, now.system);
			return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
		}
		if (now.integration == BH_MGMT_INTEG_READY && now.sessions != mark->sessions &&
		    now.hello_ns >= mark->since_ns) {
			uint64_t us = (now.hello_ns - mark->since_ns) / 1000U;
			printf("%s: ready in %llu.%02llu ms (HELLO: %s)\n", now.name,
			       (unsigned long long)(us / 1000U),
			       (unsigned long long)(us % 1000U / 10U), now.system);
			return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
		}
		started = started || mgmt_is_up(now.state) || now.starts != mark->starts;
		if (started && is_down(now.state)) {
			fprintf(stderr, "Failed to %s %s: it %s before it was ready%s%s.\n",
				verb_names[verb], now.name,
				now.state == BH_PARTITION_CRASHED ? "crashed" : "stopped",
				now.stop_reason[0] ? ": " : "", now.stop_reason);
			return EXIT_FAILED;
		}
		if (mgmt_now_ns() >= deadline) {
			fprintf(stderr,
				"Failed to %s %s: not ready within %u ms (it is %s; "
				"integration: %s).\n",
				verb_names[verb], now.name, timeout_ms, mgmt_state_name(now.state),
				integration_name(now.integration));
			return EXIT_FAILED;
		}
		mgmt_sleep_until_ms(mgmt_now_ms() + poll_ms);
		poll_ms = poll_ms * 2 < WAIT_POLL_MOST_MS ? poll_ms * 2 : WAIT_POLL_MOST_MS;
	}
}

/* --wait needs a ready marker: a child without an integration channel never says HELLO. */
static int check_waitable(enum verb verb, const struct bh_mgmt_status *st)
{
	if (st->id == 0 || st->integration != BH_MGMT_INTEG_NONE) {
		return EXIT_OK; /* the root is refused by lifecycle() */
	}
	fprintf(stderr,
		"Failed to %s %s --wait: it has no integration channel, so it never says it is "
		"ready (%s it without --wait).\n",
		verb_names[verb], st->name, verb_names[verb]);
	return EXIT_FAILED;
}

static int cmd_lifecycle(int fd, enum verb verb, int argc, char **argv, const struct options *o)
{
	struct bh_mgmt_status *targets = calloc((size_t)argc, sizeof(*targets));
	struct wait_mark *marks = calloc((size_t)argc, sizeof(*marks));
	int status = EXIT_OK;
	if (targets == NULL || marks == NULL) {
		return device_error(ENOMEM);
	}
	/* Every name first: an unknown one does nothing to the others. */
	for (int i = 0; i < argc; i++) {
		int err = mgmt_find(fd, argv[i], &targets[i]);
		if (err == ENOENT) {
			fprintf(stderr, "Failed to %s %s: partition %s not found.\n",
				verb_names[verb], argv[i], argv[i]);
			status = EXIT_NO_SUCH;
		} else if (err != 0) {
			free(targets);
			free(marks);
			return device_error(err);
		} else if (o->wait && status == EXIT_OK) {
			status = check_waitable(verb, &targets[i]);
		}
	}
	for (int i = 0; i < argc && status == EXIT_OK; i++) {
		mark_before(&targets[i], verb, &marks[i]);
		status = lifecycle(fd, verb, &targets[i]);
	}
	for (int i = 0; i < argc && status == EXIT_OK && o->wait; i++) {
		status = wait_ready(fd, verb, &targets[i], &marks[i], o->timeout_ms);
	}
	free(targets);
	free(marks);
	return status;
}

/* The forced end of a shutdown: STOP, or RESTART for a reboot. */
static int force(int fd, const struct bh_mgmt_status *st, bool reboot)
{
	struct bh_mgmt_status now;
	int err = mgmt_status(fd, st->id, &now);
	if (err == 0) {
		err = lifecycle(fd, reboot ? RESTART : STOP, &now);
	}
	return err;
}

/* A shutdown that ended as asked: "rt0: shut down (acknowledged)". */
static void print_answer(const struct bh_mgmt_status *now, const char *done, bool answered)
{
	if (!answered) {
		printf("%s: %s (no answer from it)\n", now->name, done);
	} else if (now->shutdown_status == 0) {
		printf("%s: %s (acknowledged)\n", now->name, done);
	} else {
		printf("%s: %s (it refused, status %d)\n", now->name, done, now->shutdown_status);
	}
}

static int cmd_shutdown(int fd, const char *name, const struct options *o)
{
	struct bh_mgmt_status st;
	find(fd, "shut down", name, &st);
	if (st.id == 0) {
		fprintf(stderr,
			"Failed to shut down %s: the root is not managed from itself "
			"(poweroff shuts it down).\n",
			st.name);
		return EXIT_FAILED;
	}
	if (!mgmt_is_up(st.state)) {
		return o->reboot ? lifecycle(fd, START, &st) : EXIT_OK;
	}
	struct bh_mgmt_shutdown req = {
		.id = st.id,
		.action = o->reboot ? BH_INTEG_SHUTDOWN_REBOOT : BH_INTEG_SHUTDOWN_POWEROFF,
		.timeout_ms = o->timeout_ms,
	};
	snprintf(req.reason, sizeof(req.reason), "%s",
		 o->reason   ? o->reason
		 : o->reboot ? "bhctl shutdown --reboot"
			     : "bhctl shutdown");
	/*
	 * EAGAIN: the child's ring is full. A live child drains it soon, so ask again until the
	 * timeout; one that never does is not listening, and ends as if it had not answered.
	 */
	uint64_t deadline = mgmt_now_ms() + o->timeout_ms;
	int err;
	while ((err = ioctl(fd, BH_MGMT_IOC_SHUTDOWN, &req) != 0 ? errno : 0) == EINTR ||
	       (err == EAGAIN && mgmt_now_ms() < deadline)) {
		if (err == EAGAIN) {
			mgmt_sleep_until_ms(mgmt_now_ms() + SHUTDOWN_POLL_MS);
		}
	}
	if (err == EAGAIN) {
		fprintf(stderr,
			"%s did not take the request within %u ms (its ring stayed full).\n",
			st.name, o->timeout_ms);
	}
	if (err == ENOTCONN) {
		if (o->no_force) {
			fprintf(stderr,
				"Failed to shut down %s: it has no integration connection (%s); "
				"not forced (--no-force).\n",
				st.name, strerror(err));
			return EXIT_FAILED;
		}
		fprintf(stderr, "%s has no integration connection: %s it by force.\n", st.name,
			o->reboot ? "restarting" : "stopping");
		return force(fd, &st, o->reboot);
	}
	if (err != 0 && err != EAGAIN) {
		fprintf(stderr, "Failed to shut down %s: %s.\n", st.name, strerror(err));
		return err == EPERM ? EXIT_NOT_ROOT : EXIT_FAILED;
	}
	bool refusal_told = false;
	while (err == 0 && mgmt_now_ms() < deadline) {
		struct bh_mgmt_status now;
		mgmt_sleep_until_ms(mgmt_now_ms() + SHUTDOWN_POLL_MS);
		err = mgmt_status(fd, st.id, &now);
		if (err != 0) {
			return device_error(err);
		}
		/* A later request's answer (another caller's) answers this one too. */
		bool answered = now.shutdown_answered >= req.request;
		if (now.state == BH_PARTITION_CRASHED) {
			fprintf(stderr, "%s crashed while shutting down: %s\n", st.name,
				now.stop_reason);
			return EXIT_FAILED;
		}
		/* The module has read what a child left when it went: its answer is in now. */
		if (o->reboot ? now.starts != st.starts && mgmt_is_up(now.state)
			      : is_down(now.state)) {
			print_answer(&now, o->reboot ? "rebooted" : "shut down", answered);
			return EXIT_OK;
		}
		if (answered && now.shutdown_status < 0 && !refusal_told) {
			fprintf(stderr,
				"%s refused the shutdown (status %d); waiting up to %u ms.\n",
				st.name, now.shutdown_status, o->timeout_ms);
			refusal_told = true;
		}
	}
	if (o->no_force) {
		fprintf(stderr,
			"Failed to shut down %s: it did not %s within %u ms; not forced "
			"(--no-force).\n",
			st.name, o->reboot ? "restart" : "stop", o->timeout_ms);
		return EXIT_FAILED;
	}
	fprintf(stderr, "%s did not %s within %u ms: %s it by force.\n", st.name,
		o->reboot ? "restart" : "stop", o->timeout_ms,
		o->reboot ? "restarting" : "stopping");
	return force(fd, &st, o->reboot);
}

/* The partition's image names from its `images` property; returns how many (0: unknown). */
static size_t image_names(const char *partition, char *buf, size_t size, const char **names)
{
	ssize_t len = mgmt_read_property(MGMT_TREE, partition, "images", buf, size - 1);
	size_t count = 0;
	if (len <= 0) {
		return 0;
	}
	buf[len] = '\0';
	for (size_t at = 0; at < (size_t)len && count < MOST_IMAGES; at += strlen(buf + at) + 1) {
		mgmt_sanitize(buf + at, strlen(buf + at) + 1);
		names[count++] = buf + at;
	}
	return count;
}

static uint32_t choose_image(const char *partition, const char *arg)
{
	char buf[1024];
	const char *names[MOST_IMAGES];
	size_t count = image_names(partition, buf, sizeof(buf), names);
	if (arg == NULL) {
		return 0;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(names[i], arg) == 0) {
			return (uint32_t)i;
		}
	}
	if (arg[0] >= '0' && arg[0] <= '9') {
		uint64_t n = parse_number("IMAGE", arg, 0, count ? count - 1 : UINT32_MAX);
		return (uint32_t)n;
	}
	if (count == 0) {
		usage_error("%s: no image names for %s in %s: give the image's number", arg,
			    partition, MGMT_TREE);
	}
	fprintf(stderr, PROGRAM ": %s has no image %s; its images:", partition, arg);
	for (size_t i = 0; i < count; i++) {
		fprintf(stderr, " %zu %s", i, names[i]);
	}
	fprintf(stderr, "\n");
	exit(EXIT_USAGE);
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	if (f == NULL || fstat(fileno(f), &sb) != 0) {
		fprintf(stderr, "Failed to load %s: %s.\n", path, strerror(errno));
		exit(EXIT_FAILED);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 || (uint64_t)sb.st_size > MOST_IMAGE) {
		fprintf(stderr, "Failed to load %s: not a regular file of 1 byte to 1 GiB.\n",
			path);
		exit(EXIT_FAILED);
	}
	void *data = malloc((size_t)sb.st_size);
	if (data == NULL || fread(data, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		fprintf(stderr, "Failed to load %s: cannot read it.\n", path);
		exit(EXIT_FAILED);
	}
	fclose(f);
	*size = (size_t)sb.st_size;
	return data;
}

static int cmd_load(int fd, int argc, char **argv)
{
	struct bh_mgmt_status st;
	find(fd, "load an image into", argv[0], &st);
	uint32_t image = choose_image(st.name, argc > 2 ? argv[2] : NULL);
	if (st.id == 0) {
		fprintf(stderr, "Failed to load %s into %s: the root is not managed from itself.\n",
			argv[1], st.name);
		return EXIT_FAILED;
	}
	if (!is_down(st.state)) {
		fprintf(stderr,
			"Failed to load %s into %s: it is %s; stop it first (bhctl stop %s).\n",
			argv[1], st.name, mgmt_state_name(st.state), st.name);
		return EXIT_FAILED;
	}
	size_t size;
	void *data = read_file(argv[1], &size);
	struct bh_mgmt_load req = {
		.id = st.id, .image = image, .data = (uintptr_t)data, .size = size};
	int err;
	while ((err = ioctl(fd, BH_MGMT_IOC_LOAD, &req)) != 0 && errno == EINTR) {
	}
	err = err != 0 ? errno : 0;
	free(data);
	if (err == EINVAL) {
		fprintf(stderr,
			"Failed to load %s into %s: %zu bytes do not fit its image %u, or it has "
			"no image %u (%s).\n",
			argv[1], st.name, size, image, image, strerror(err));
		return EXIT_FAILED;
	}
	if (err != 0) {
		fprintf(stderr, "Failed to load %s into %s: %s.\n", argv[1], st.name,
			strerror(err));
		return err == EPERM ? EXIT_NOT_ROOT : EXIT_FAILED;
	}
	printf("%s: image %u loaded from %s (%zu bytes); bhctl start %s runs it\n", st.name, image,
	       argv[1], size, st.name);
	return EXIT_OK;
}

/* The lines for what changed from `was` to `now`; returns how many. */
static uint64_t changes(const struct bh_mgmt_status *was, const struct bh_mgmt_status *now)
{
	uint64_t lines = 0;
	if (now->state != was->state || now->starts != was->starts) {
		printf("%s: ", now->name);
		if (now->state != was->state) {
			printf("%s -> %s", mgmt_state_name(was->state),
			       mgmt_state_name(now->state));
		} else {
			printf("restarted");
		}
		if (now->starts != was->starts) {
			printf(" (start #%u)", now->starts);
		}
		if ((is_down(now->state) || now->starts != was->starts) &&
		    now->stop_reason[0] != '\0') {
			printf(": %s", now->stop_reason);
		}
		printf("\n");
		lines++;
	}
	if (now->integration != was->integration) {
		printf("%s: integration %s -> %s", now->name, integration_name(was->integration),
		       integration_name(now->integration));
		if (now->integration == BH_MGMT_INTEG_READY && now->system[0] != '\0') {
			printf(" (%s)", now->system);
		}
		printf("\n");
		lines++;
	}
	if (strcmp(now->note, was->note) != 0) {
		printf("%s: note: %s\n", now->name, now->note[0] ? now->note : "(none)");
		lines++;
	}
	return lines;
}

static int cmd_watch(int fd, const struct options *o)
{
	struct bh_mgmt_status *was, *now;
	uint32_t count = read_all(fd, &was);
	uint64_t printed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("watching %u partitions:", count);
	for (uint32_t i = 0; i < count; i++) {
		printf(" %s %s%s", was[i].name, mgmt_state_name(was[i].state),
		       i + 1 < count ? "," : "\n");
	}
	while (printed < o->count) {
		mgmt_sleep_until_ms(mgmt_now_ms() + o->interval_ms);
		uint32_t n = read_all(fd, &now);
		for (uint32_t i = 0; i < n && i < count; i++) {
			printed += changes(&was[i], &now[i]);
		}
		free(was);
		was = now;
		count = n;
	}
	free(was);
	return EXIT_OK;
}

static void need_args(const char *command, int have, int least, int most)
{
	if (have < least) {
		usage_error("%s: %s", command,
			    least == 1 ? "which partition?" : "too few arguments");
	}
	if (have > most) {
		usage_error("%s: too many arguments", command);
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"device", required_argument, NULL, 'd'},
		{"follow", no_argument, NULL, 'f'},
		{"lines", required_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"reboot", no_argument, NULL, 'r'},
		{"no-force", no_argument, NULL, 'F'},
		{"reason", required_argument, NULL, 'R'},
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{"wait", no_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	struct options o = {
		.device = MGMT_DEVICE, .interval_ms = DEFAULT_WATCH_MS, .count = UINT64_MAX};
	char seen[16] = ""; /* the options given, by their letter */
	int opt;
	while ((opt = getopt_long(argc, argv, "hfn:", options, NULL)) != -1) {
		size_t len = strlen(seen);
		if (len + 1 < sizeof(seen) && strchr(seen, opt) == NULL) {
			seen[len] = (char)opt;
			seen[len + 1] = '\0';
		}
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'd':
			o.device = optarg;
			break;
		case 'f':
			o.follow = true;
			break;
		case 'n':
			o.lines = (uint32_t)parse_number("--lines", optarg, 1, 100000);
			o.lines_given = true;
			break;
		case 't':
			o.timeout_ms =
				(uint32_t)parse_number("--timeout", optarg, 1, MOST_TIMEOUT_MS);
			break;
		case 'r':
			o.reboot = true;
			break;
		case 'F':
			o.no_force = true;
			break;
		case 'R':
			o.reason = optarg;
			break;
		case 'i':
			o.interval_ms = (uint32_t)parse_number("--interval", optarg, 1, 60000);
			break;
		case 'c':
			o.count = parse_number("--count", optarg, 1, UINT64_MAX);
			break;
		case 'w':
			o.wait = true;
			break;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_error("no command (list, status, start, stop, restart, shutdown, load, "
			    "console, watch)");
	}
	const char *command = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	static const struct {
		const char *command;
		const char *options; /* the short letters it takes, besides -h and --device */
		int least, most;
	} commands[] = {
		{"list", "", 0, 0},
		{"status", "n", 1, 1},
		{"start", "wt", 1, INT32_MAX},
		{"stop", "", 1, INT32_MAX},
		{"restart", "wt", 1, INT32_MAX},
		{"shutdown", "trFR", 1, 1},
		{"load", "", 2, 3},
		{"console", "fn", 1, 1},
		{"watch", "ic", 0, 0},
	};
	size_t which = sizeof(commands) / sizeof(commands[0]);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].command, command) == 0) {
			which = i;
		}
	}
	if (which == sizeof(commands) / sizeof(commands[0])) {
		usage_error("unknown command '%s'", command);
	}
	for (const char *g = seen; *g != '\0'; g++) {
		if (*g != 'd' && strchr(commands[which].options, *g) == NULL) {
			const char *long_name = "?";
			for (const struct option *l = options; l->name != NULL; l++) {
				long_name = l->val == *g ? l->name : long_name;
			}
			usage_error("%s takes no option --%s", command, long_name);
		}
	}
	need_args(command, nargs, commands[which].least, commands[which].most);
	bool shutdown = strcmp(command, "shutdown") == 0;
	if (strchr(seen, 't') == NULL) {
		o.timeout_ms = shutdown ? DEFAULT_SHUTDOWN_MS : DEFAULT_WAIT_MS;
	} else if (!shutdown && !o.wait) {
		usage_error("%s: --timeout bounds --wait: give both", command);
	}

	int fd = open_device(o.device);
	switch (which) {
	case 0:
		return cmd_list(fd);
	case 1:
		return cmd_status(fd, args[0], &o);
	case 2:
		return cmd_lifecycle(fd, START, nargs, args, &o);
	case 3:
		return cmd_lifecycle(fd, STOP, nargs, args, &o);
	case 4:
		return cmd_lifecycle(fd, RESTART, nargs, args, &o);
	case 5:
		return cmd_shutdown(fd, args[0], &o);
	case 6:
		return cmd_load(fd, nargs, args);
	case 7:
		return cmd_console(fd, args[0], &o);
	default:
		return cmd_watch(fd, &o);
	}
}
