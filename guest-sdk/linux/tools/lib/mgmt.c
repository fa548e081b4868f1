// SPDX-License-Identifier: MIT
/* What bhctl and bhmgrd share (mgmt.h). */
#define _GNU_SOURCE
#include "mgmt.h"

#include <bulkhead/abi.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

int mgmt_open(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

static int do_ioctl(int fd, unsigned long request, void *arg)
{
	while (ioctl(fd, request, arg) != 0) {
		if (errno != EINTR) {
			return errno;
		}
	}
	return 0;
}

int mgmt_count(int fd, uint32_t *count)
{
	__u32 n = 0;
	int err = do_ioctl(fd, BH_MGMT_IOC_COUNT, &n);
	*count = n;
	return err;
}

void mgmt_sanitize(char *s, size_t size)
{
	s[size - 1] = '\0';
	for (char *c = s; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
			*c = '?';
		}
	}
}

int mgmt_status(int fd, uint32_t id, struct bh_mgmt_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	int err = do_ioctl(fd, BH_MGMT_IOC_STATUS, st);
	if (err == 0) {
		mgmt_sanitize(st->name, sizeof(st->name));
		mgmt_sanitize(st->stop_reason, sizeof(st->stop_reason));
		mgmt_sanitize(st->system, sizeof(st->system));
		mgmt_sanitize(st->note, sizeof(st->note));
	}
	return err;
}

int mgmt_call(int fd, unsigned long request, uint32_t id)
{
	__u32 arg = id;
	return do_ioctl(fd, request, &arg);
}

int mgmt_set_note(int fd, uint32_t id, const char *note)
{
	struct bh_mgmt_note n = {.id = id};
	snprintf(n.note, sizeof(n.note), "%s", note);
	return do_ioctl(fd, BH_MGMT_IOC_SET_NOTE, &n);
}

int mgmt_set_heartbeat(int fd, uint32_t id, uint32_t period_ms)
{
	struct bh_mgmt_heartbeat h = {.id = id, .period_ms = period_ms};
	return do_ioctl(fd, BH_MGMT_IOC_SET_HEARTBEAT, &h);
}

int mgmt_find(int fd, const char *arg, struct bh_mgmt_status *st)
{
	uint32_t count;
	int err = mgmt_count(fd, &count);
	if (err != 0) {
		return err;
	}
	for (uint32_t id = 0; id < count; id++) {
		err = mgmt_status(fd, id, st);
		if (err != 0) {
			return err;
		}
		if (strcmp(st->name, arg) == 0) {
			return 0;
		}
	}
	char *end;
	errno = 0;
	unsigned long id = strtoul(arg, &end, 10);
	if (arg[0] >= '0' && arg[0] <= '9' && *end == '\0' && errno == 0 && id < count) {
		return mgmt_status(fd, (uint32_t)id, st);
	}
	return ENOENT;
}

const char *mgmt_state_name(uint32_t state)
{
	static const char *const names[] = {
		[BH_PARTITION_STOPPED] = "stopped",	  [BH_PARTITION_RUNNING] = "running",
		[BH_PARTITION_RESTARTING] = "restarting", [BH_PARTITION_STARTING] = "starting",
		[BH_PARTITION_STOPPING] = "stopping",	  [BH_PARTITION_LOADING] = "loading",
		[BH_PARTITION_CRASHED] = "crashed",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

int mgmt_is_up(uint32_t state)
{
	return state == BH_PARTITION_RUNNING || state == BH_PARTITION_STARTING ||
	       state == BH_PARTITION_RESTARTING;
}

ssize_t mgmt_read_property(const char *tree, const char *node, const char *property, void *buf,
			   size_t size)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", tree, node, property) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, (char *)buf + got, size - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0 || got + (size_t)n == size) {
			got += (size_t)n;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

void mgmt_format_cpus(uint64_t mask, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (unsigned cpu = 0; cpu < 64 && n < size; cpu++) {
		if ((mask >> cpu & 1U) == 0) {
			continue;
		}
		unsigned last = cpu;
		while (last + 1 < 64 && (mask >> (last + 1) & 1U) != 0) {
			last++;
		}
		int w = last == cpu
				? snprintf(out + n, size - n, "%s%u", n ? "," : "", cpu)
				: snprintf(out + n, size - n, "%s%u-%u", n ? "," : "", cpu, last);
		n += w > 0 ? (size_t)w : 0;
		cpu = last;
	}
	if (mask == 0) {
		snprintf(out, size, "-");
	}
}

void mgmt_format_bytes(uint64_t bytes, char *out, size_t size)
{
	static const char units[] = "BKMGTPE";
	unsigned u = 0;
	while (u + 1 < sizeof(units) - 1 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, size, "%llu%c", (unsigned long long)bytes, units[u]);
}

uint64_t mgmt_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000U + (uint64_t)t.tv_nsec;
}

uint64_t mgmt_now_ms(void)
{
	return mgmt_now_ns() / 1000000U;
}

int mgmt_sleep_until_ms(uint64_t when)
{
	struct timespec t = {.tv_sec = (time_t)(when / 1000U),
			     .tv_nsec = (long)(when % 1000U) * 1000000L};
	int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
	return err == EINTR ? EINTR : 0;
}
