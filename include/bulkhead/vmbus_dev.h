/* SPDX-License-Identifier: MIT */
/*
 * The Linux module's user interface for raw VMBus channels
 * (docs/linux-vmbus.md): /dev/vmbus/<channel-name>, one per channel whose
 * `interface` is served raw. Shared by the module and the user-space tools.
 *
 * read() returns one packet's payload; write() sends one packet (type
 * BH_VMBUS_TYPE_DATA, transaction id 0). In header mode (BH_VMBUS_IOC_SET_HEADER)
 * each read and write starts with a struct bh_vmbus_packet, so a program can
 * speak a protocol with its own types and transaction ids (an echo service
 * answers with the id of the request).
 *
 * Errors: EMSGSIZE (a write larger than max_payload, which can never fit; a
 * read buffer smaller than the next packet, which stays queued), ECONNRESET
 * (once per descriptor: the peer restarted or closed, the channel reconnects
 * by itself), EIO (once per descriptor: the peer broke the ring; the module
 * resets the channel), EAGAIN (O_NONBLOCK, nothing to read or no room).
 * poll() reports POLLIN, POLLOUT, and POLLERR while one of those errors is due.
 */
#ifndef BULKHEAD_VMBUS_DEV_H
#define BULKHEAD_VMBUS_DEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The packet type write() uses outside header mode. */
#define BH_VMBUS_TYPE_DATA 1

/* In header mode, before each packet's payload in read() and write() buffers. */
struct bh_vmbus_packet {
	__u16 type;
	__u16 flags;  /* 0 */
	__u32 length; /* the payload's bytes (read: filled in; write: must be count - 16) */
	__u64 trans_id;
};

/* BH_VMBUS_IOC_INFO: the channel as the module sees it (also in /sys/class/vmbus/<name>/). */
struct bh_vmbus_info {
	char name[16];	    /* NUL-padded; 15 characters at most */
	char interface[16]; /* NUL-padded */
	__u32 index;	    /* the channel's number in this partition's list */
	__u32 state;	    /* BH_CHANNEL_* of include/bulkhead/abi.h */
	__u64 session;	    /* which connection the rings belong to */
	__u32 peer;	    /* the other side's partition id */
	__u32 provider;	    /* 1 if this side is the provider (VSP) */
	__u32 max_payload;  /* the largest packet this side can send */
	__u32 broken;	    /* times a peer broke the ring */
	__u64 resets;	    /* times the peer went away (RESET) */
};

#define BH_VMBUS_IOC_MAGIC	0xbb
#define BH_VMBUS_IOC_INFO	_IOR(BH_VMBUS_IOC_MAGIC, 1, struct bh_vmbus_info)
/* Argument: a pointer to a __u32, 1 for header mode, 0 for plain payloads. */
#define BH_VMBUS_IOC_SET_HEADER _IOW(BH_VMBUS_IOC_MAGIC, 2, __u32)

#endif
