/* SPDX-License-Identifier: MIT */
/*
 * What bhctl and bhmgrd share: the management device /dev/bulkhead
 * (include/bulkhead/manage_dev.h), the partitions' node in the root's device
 * tree (/proc/device-tree/bulkhead-partitions, docs/management.md) and a
 * monotonic clock in milliseconds.
 */
#ifndef BH_TOOLS_MGMT_H
#define BH_TOOLS_MGMT_H

#include <bulkhead/manage_dev.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MGMT_DEVICE "/dev/bulkhead"
#define MGMT_TREE   "/proc/device-tree/bulkhead-partitions"

/* Opens the device read-write; -1 with errno. */
int mgmt_open(const char *path);

/* The ioctls; each returns 0 or an errno value (EINTR retried). */
int mgmt_count(int fd, uint32_t *count);
int mgmt_status(int fd, uint32_t id, struct bh_mgmt_status *st); /* strings made safe to print */
int mgmt_call(int fd, unsigned long request, uint32_t id);	 /* START, STOP, RESTART */
int mgmt_set_note(int fd, uint32_t id, const char *note);
int mgmt_set_heartbeat(int fd, uint32_t id, uint32_t period_ms);

/*
 * A partition by name, or by id if `arg` is a number and no partition has
 * that name: 0 with *st filled, ENOENT if there is none, or another errno.
 */
int mgmt_find(int fd, const char *arg, struct bh_mgmt_status *st);

const char *mgmt_state_name(uint32_t state); /* "running", "crashed"...; "?" if unknown */
int mgmt_is_up(uint32_t state);		     /* running, or on its way there */

/* Reads <tree>/<node>/<property>: its length, or -1 with errno (ENOENT: absent). */
ssize_t mgmt_read_property(const char *tree, const char *node, const char *property, void *buf,
			   size_t size);

/* Makes a fixed-size string safe to print: NUL-terminated, non-printable bytes as '?'. */
void mgmt_sanitize(char *s, size_t size);

/* "0-1,3" */
void mgmt_format_cpus(uint64_t mask, char *out, size_t size);
/* "16M", "1G", "512K", "100B" */
void mgmt_format_bytes(uint64_t bytes, char *out, size_t size);

uint64_t mgmt_now_ms(void); /* CLOCK_MONOTONIC */
uint64_t mgmt_now_ns(void); /* the same in ns: the clock of bh_mgmt_status.hello_ns */
/* Sleeps until `when` on CLOCK_MONOTONIC: 0, or EINTR if a signal came first. */
int mgmt_sleep_until_ms(uint64_t when);

#endif
