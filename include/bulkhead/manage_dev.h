/* SPDX-License-Identifier: MIT */
/*
 * The Linux module's management device, /dev/bulkhead (docs/management.md):
 * the root partition's management hypercalls (include/bulkhead/abi.h,
 * "Management") and the root's side of every child's integration channel
 * (include/bulkhead/integration.h), for bhctl and the management service.
 * Shared by the module and the user-space tools.
 *
 * Errors: EPERM (this partition is not the root: the hypervisor said
 * DENIED), ENOENT (no partition with that id), EINVAL (a bad argument: the
 * root as a target, an image number or size that does not fit), EBUSY (the
 * partition is not in a state that allows it, e.g. START of a running one),
 * ENOTCONN (SHUTDOWN: the child's integration channel is not connected),
 * EFAULT, EINTR.
 */
#ifndef BULKHEAD_MANAGE_DEV_H
#define BULKHEAD_MANAGE_DEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* BH_MGMT_IOC_STATUS: one partition, by id (0 is the root; ids are dense). */
struct bh_mgmt_status {
	__u32 id;      /* in */
	__u32 state;   /* BH_PARTITION_* of include/bulkhead/abi.h */
	char name[17]; /* NUL-terminated */
	__u8 reserved0[3];
	__u32 vcpus;
	__u64 cpu_mask;	       /* physical CPUs */
	__u64 memory;	       /* bytes */
	__u32 starts;	       /* times it was started */
	__u32 denied;	       /* management calls it made that were refused */
	char stop_reason[128]; /* the last stop or restart, one line; "" if none */

	/* Its integration channel, as the module sees it (all 0 without one). */
	__u32 integration;	/* BH_MGMT_INTEG_* */
	__u32 kind;		/* BH_INTEG_KIND_* from its HELLO; 0 before one */
	char system[32];	/* from its HELLO */
	__u64 heartbeats;	/* received in this session */
	__u64 heartbeat_age_ms; /* since the last one (or since the session began, if none) */
	__u32 heartbeat_ms;	/* the period asked of it (WELCOME) */
	__u32 sessions;		/* connections since the module loaded */

	char note[96]; /* the management service's word on it (BH_MGMT_IOC_SET_NOTE); "" if none */

	/*
	 * When this session's HELLO came: the root's CLOCK_MONOTONIC in ns (what
	 * clock_gettime() gives user space), 0 before one. `bhctl restart --wait`
	 * times a restart to it, however late it polls.
	 */
	__u64 hello_ns;

	/*
	 * The last orderly shutdown asked of it (BH_MGMT_IOC_SHUTDOWN) and the
	 * child's answer, kept across sessions: a child that powered off right
	 * after its SHUTDOWN_ACK has it read too (all 0 without a channel).
	 */
	__u64 shutdown_request;	 /* its id (0: none since the module loaded) */
	__u64 shutdown_answered; /* the request the last SHUTDOWN_ACK answered (0: none) */
	__s32 shutdown_status;	 /* that answer: 0 it goes, negative it refused */
	__u32 reserved1;
};

#define BH_MGMT_INTEG_NONE	0 /* no integration channel to this partition */
#define BH_MGMT_INTEG_WAITING	1 /* channel open, the child is not connected */
#define BH_MGMT_INTEG_CONNECTED 2 /* connected, no HELLO yet */
#define BH_MGMT_INTEG_READY	3 /* HELLO received */

/* BH_MGMT_IOC_LOAD: a new image for a stopped child (copied by the hypervisor in pieces). */
struct bh_mgmt_load {
	__u32 id;
	__u32 image; /* the image's number in the binding (its node order) */
	__u64 data;  /* user pointer */
	__u64 size;  /* 1 to the image's slot size */
};

/* BH_MGMT_IOC_CONSOLE: the child's recent console output (hypervisor history). */
struct bh_mgmt_console {
	__u32 id;
	__u32 size;	/* in: the buffer's bytes; out: bytes written into it */
	__u64 data;	/* user pointer */
	__u64 position; /* in: where to read from (0: the oldest kept); out: where to go on */
	__u64 end;	/* out: the position after the last byte printed so far */
	__u64 missed;	/* out: bytes written over before they could be read */
};

/* BH_MGMT_IOC_SHUTDOWN: ask a child for an orderly shutdown over its integration channel. */
struct bh_mgmt_shutdown {
	__u32 id;
	__u32 action;	  /* BH_INTEG_SHUTDOWN_* */
	__u32 timeout_ms; /* told to the child; the caller forces the stop after it */
	__u32 reserved;
	char reason[56];
	__u64 request; /* out: this request's id (bh_mgmt_status.shutdown_request) */
};

/* BH_MGMT_IOC_SET_NOTE: the management service's one-line word on a partition. */
struct bh_mgmt_note {
	__u32 id;
	char note[96];
	__u32 reserved;
};

/* BH_MGMT_IOC_SET_HEARTBEAT: the heartbeat period to ask of a child (sent now if connected). */
struct bh_mgmt_heartbeat {
	__u32 id;
	__u32 period_ms; /* 0: no heartbeats */
};

#define BH_MGMT_IOC_MAGIC	  0xbc
#define BH_MGMT_IOC_COUNT	  _IOR(BH_MGMT_IOC_MAGIC, 1, __u32) /* number of partitions */
#define BH_MGMT_IOC_STATUS	  _IOWR(BH_MGMT_IOC_MAGIC, 2, struct bh_mgmt_status)
#define BH_MGMT_IOC_START	  _IOW(BH_MGMT_IOC_MAGIC, 3, __u32) /* argument: the id */
#define BH_MGMT_IOC_STOP	  _IOW(BH_MGMT_IOC_MAGIC, 4, __u32)
#define BH_MGMT_IOC_RESTART	  _IOW(BH_MGMT_IOC_MAGIC, 5, __u32)
#define BH_MGMT_IOC_LOAD	  _IOW(BH_MGMT_IOC_MAGIC, 6, struct bh_mgmt_load)
#define BH_MGMT_IOC_CONSOLE	  _IOWR(BH_MGMT_IOC_MAGIC, 7, struct bh_mgmt_console)
#define BH_MGMT_IOC_SHUTDOWN	  _IOWR(BH_MGMT_IOC_MAGIC, 8, struct bh_mgmt_shutdown)
#define BH_MGMT_IOC_SET_NOTE	  _IOW(BH_MGMT_IOC_MAGIC, 9, struct bh_mgmt_note)
#define BH_MGMT_IOC_SET_HEARTBEAT _IOW(BH_MGMT_IOC_MAGIC, 10, struct bh_mgmt_heartbeat)

#endif
