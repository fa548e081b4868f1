/* SPDX-License-Identifier: MIT */
/*
 * VMBus ring buffers (docs/vmbus.md, draft): one direction of a channel, in
 * memory shared by two partitions. Plain C11 with no OS or hypervisor
 * dependency: the guest SDK, the Linux driver, the hypervisor and the host
 * tests compile this same file.
 *
 * Layout, as in Hyper-V's VMBus: a 4 KiB header page, then the data area.
 * Indices are byte offsets into the data area, always multiples of 8; the
 * writer owns write_index, the reader read_index. 8 bytes always stay free,
 * so write == read means empty. A packet is a 16-byte descriptor, the payload
 * padded to 8 bytes, and an 8-byte trailer (the writer's index before it).
 *
 * Signalling, which keeps doorbells rare: the writer signals only when its
 * packet made the ring non-empty and the reader has not masked interrupts;
 * a writer that found no room sets pending_send_sz, and the reader signals
 * it only when the free space crosses that size.
 *
 * Everything read from the shared page is checked before use: the peer may be
 * buggy or hostile. A ring whose indices or packets make no sense is marked
 * broken (error names why) and refuses all further use; it never reads or
 * writes outside its memory and never loops on garbage.
 */
#ifndef VMBUS_RING_H
#define VMBUS_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMBUS_RING_HEADER_SIZE 4096U
#define VMBUS_PACKET_ALIGN     8U
#define VMBUS_DESC_SIZE	       16U
#define VMBUS_TRAILER_SIZE     8U

struct vmbus_ring_header {
	_Atomic uint32_t write_index;
	_Atomic uint32_t read_index;
	_Atomic uint32_t interrupt_mask;  /* the reader: do not signal me */
	_Atomic uint32_t pending_send_sz; /* the writer: signal me when this much is free */
	uint32_t reserved[12];
	_Atomic uint32_t feature_bits; /* bit 0: pending_send_sz is honoured */
};

/* The packet descriptor (lengths in 8-byte units, as Hyper-V's). */
struct vmbus_desc {
	uint16_t type;
	uint16_t offset8; /* descriptor length: where the payload starts */
	uint16_t len8;	  /* descriptor + payload + padding */
	uint16_t flags;
	uint64_t trans_id;
};

struct vmbus_ring {
	struct vmbus_ring_header *hdr;
	uint8_t *data;
	uint32_t size; /* data area bytes, a multiple of 8 */
	bool broken;
	const char *error; /* why it is broken */
};

enum vmbus_status {
	VMBUS_OK = 0,
	VMBUS_EMPTY = -1,   /* nothing to receive */
	VMBUS_FULL = -2,    /* no room now: pending_send_sz is set, wait for a signal */
	VMBUS_TOOBIG = -3,  /* the packet can never fit, or the buffer is too small */
	VMBUS_BROKEN = -4,  /* the ring is corrupt (ring->error) */
	VMBUS_INVALID = -5, /* a bad argument */
};

/*
 * Sets up a ring over `total` bytes of shared memory (header page + data).
 * `reset` zeroes the header: only the side that creates the ring does it.
 */
int vmbus_ring_init(struct vmbus_ring *ring, void *mem, size_t total, bool reset);

/* Largest payload a packet may carry in this ring. */
uint32_t vmbus_ring_max_payload(const struct vmbus_ring *ring);

/*
 * Writes one packet. *signal is set when the reader must be signalled
 * (the ring went from empty to non-empty and the reader listens).
 */
int vmbus_ring_send(struct vmbus_ring *ring, uint16_t type, uint64_t trans_id, const void *payload,
		    uint32_t len, bool *signal);

/*
 * Reads one packet: its descriptor into *desc, its payload (desc->len8 * 8
 * minus the descriptor) into buf, the length into *len. *signal is set when
 * the writer must be signalled (its pending_send_sz is now free).
 */
int vmbus_ring_recv(struct vmbus_ring *ring, struct vmbus_desc *desc, void *buf, uint32_t size,
		    uint32_t *len, bool *signal);

/* The reader masks its interrupt while draining; unmask returns true if data came meanwhile. */
void vmbus_ring_mask(struct vmbus_ring *ring);
bool vmbus_ring_unmask(struct vmbus_ring *ring);

#endif
