/* SPDX-License-Identifier: MIT */
/*
 * The integration services (docs/management.md): one VMBus channel of
 * interface "integration" per managed child, the root its provider, the child
 * its consumer, as Hyper-V's heartbeat, shutdown and time synchronization
 * services. Shared by the SDK runtime, the Linux module and host tests.
 *
 * The conversation, at each connection (a new session):
 *   child -> HELLO                       who it is
 *   root  -> WELCOME                     the heartbeat period it wants
 *   child -> HEARTBEAT every period      (0: none)
 *   child -> TIME_REQUEST, root -> TIME  at connection and whenever the child asks
 *   root  -> SHUTDOWN, child -> SHUTDOWN_ACK, then the child powers off
 * WELCOME may come again at any time with a new period. Every packet is the
 * struct below for its type, little endian, exactly that long; a receiver
 * ignores (and counts) packets of other types or lengths: a peer is never
 * trusted to be well formed. The transaction id is 0 except where noted.
 */
#ifndef BULKHEAD_INTEGRATION_H
#define BULKHEAD_INTEGRATION_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef __u32 bh_integ_u32;
typedef __u64 bh_integ_u64;
typedef __s32 bh_integ_s32;
typedef __s64 bh_integ_s64;
#else
#include <stdint.h>
typedef uint32_t bh_integ_u32;
typedef uint64_t bh_integ_u64;
typedef int32_t bh_integ_s32;
typedef int64_t bh_integ_s64;
#endif

#define BH_INTEG_INTERFACE "integration"
#define BH_INTEG_VERSION   1

/* Packet types. */
#define BH_INTEG_HELLO	      1 /* child -> root: struct bh_integ_hello */
#define BH_INTEG_WELCOME      2 /* root -> child: struct bh_integ_welcome */
#define BH_INTEG_HEARTBEAT    3 /* child -> root: struct bh_integ_heartbeat */
#define BH_INTEG_SHUTDOWN     4 /* root -> child: struct bh_integ_shutdown; trans_id: request id */
#define BH_INTEG_SHUTDOWN_ACK 5 /* child -> root: struct bh_integ_shutdown_ack; trans_id: ditto */
#define BH_INTEG_TIME_REQUEST 6 /* child -> root: struct bh_integ_time_request; trans_id: any */
#define BH_INTEG_TIME	      7 /* root -> child: struct bh_integ_time; the request's trans_id */

/* What runs in the child (HELLO). */
#define BH_INTEG_KIND_SDK   1 /* a program built with the guest SDK */
#define BH_INTEG_KIND_LINUX 2 /* Linux with bulkhead.ko */

struct bh_integ_hello {
	bh_integ_u32 version;  /* BH_INTEG_VERSION */
	bh_integ_u32 kind;     /* BH_INTEG_KIND_* */
	bh_integ_u64 features; /* 0: none defined yet */
	char system[32];       /* e.g. "Linux 6.1.0-56-arm64", NUL-padded */
};

struct bh_integ_welcome {
	bh_integ_u32 version;	   /* BH_INTEG_VERSION */
	bh_integ_u32 heartbeat_ms; /* send a HEARTBEAT this often; 0: none */
};

struct bh_integ_heartbeat {
	bh_integ_u64 sequence;	/* 1, 2, ... in this session */
	bh_integ_u64 uptime_ms; /* since the child started */
};

#define BH_INTEG_SHUTDOWN_POWEROFF 0
#define BH_INTEG_SHUTDOWN_REBOOT   1

struct bh_integ_shutdown {
	bh_integ_u32 action;	 /* BH_INTEG_SHUTDOWN_* */
	bh_integ_u32 timeout_ms; /* after this the root stops the child by force (information) */
	char reason[56];	 /* for the child's log, NUL-padded */
};

struct bh_integ_shutdown_ack {
	bh_integ_s32 status; /* 0: shutting down now; negative: refused (the root may force) */
	bh_integ_u32 reserved;
};

/*
 * Time: every partition's virtual counter starts at 0 when the partition
 * starts, so counters cannot be compared across partitions. The child sends
 * its counter, the root answers with it and its wall clock; the child takes
 * the clock as of the middle of the round trip (error at most half of it).
 */
struct bh_integ_time_request {
	bh_integ_u64 counter; /* the child's virtual counter when it sent this */
};

struct bh_integ_time {
	bh_integ_u64 counter; /* the request's, echoed */
	bh_integ_s64 unix_ns; /* the root's CLOCK_REALTIME when it answered: ns since 1970, UTC */
};

#endif
