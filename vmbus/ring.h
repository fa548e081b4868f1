/* SPDX-License-Identifier: MIT */
/*
 * VMBus ring buffers (docs/vmbus.md, draft): one direction of a channel, in
 * memory shared by two partitions. Plain C11 with no OS or hypervisor
 * dependency: the guest SDK, the Linux driver, the hypervisor and the host
 * tests compile this same file.
 *
 * Layout (docs/vmbus.md, ring header 2): a 4 KiB header page, then the data
 * area. Indices are byte offsets into the data area, always multiples of 8;
 * the writer owns write_index, the reader read_index. 8 bytes always stay
 * free, so write == read means empty. A packet is a 16-byte descriptor, the
 * payload padded to 8 bytes, and an 8-byte trailer (the writer's index
 * before it). Unlike Hyper-V's header, each side's fields have a cache line
 * of their own (128 bytes apart, against adjacent-line prefetch): a side
 * polling its peer's index does not steal the line the peer writes.
 *
 * Each side caches the peer's index and reloads it only when its cached view
 * says empty (reader) or full (writer). The reader publishes read_index when
 * it has consumed all it knew of, or a quarter of the ring, not per packet.
 *
 * Signalling, which keeps doorbells rare: the writer signals only when its
 * packet made the ring non-empty and the reader has not masked interrupts;
 * a writer that found no room sets pending_send_sz, and the reader signals
 * it only when the published free space crosses that size.
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

/* feature_bits */
#define VMBUS_FEATURE_PENDING_SEND_SZ 0x1U /* pending_send_sz is honoured */
#define VMBUS_FEATURE_SPLIT_HEADER    0x2U /* ring header 2: this layout */

struct vmbus_ring_header {
	/* Offset 0: the writer's line. */
	_Atomic uint32_t write_index;
	_Atomic uint32_t pending_send_sz; /* the writer: signal me when this much is free */
	uint32_t reserved0[14];
	/* Offset 64: written once, when the ring is reset. */
	_Atomic uint32_t feature_bits;
	uint32_t reserved1[15];
	/* Offset 128: the reader's line. */
	_Atomic uint32_t read_index;
	_Atomic uint32_t interrupt_mask; /* the reader: do not signal me */
	uint32_t reserved2[30];
};

/*
 * The packet descriptor (lengths in 8-byte units, as Hyper-V's). Spec 2.1:
 * flags bits 2:0 count the padding bytes at the end of the payload, so the
 * reader gets the exact length the writer sent; the other bits are 0.
 */
#define VMBUS_DESC_FLAG_PAD 0x7U
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
	/*
	 * This side's own index, kept privately (as Linux's priv_read_index):
	 * the shared copy is only published, never read back, so a hostile peer
	 * that rewrites it cannot make the reader replay packets or the writer
	 * overwrite unread ones. The writer uses own_write, the reader own_read.
	 */
	uint32_t own_write;
	uint32_t own_read;
	/*
	 * The peer's index as last loaded, checked (the writer's: read_index;
	 * the reader's: write_index): reloaded only when it says full or empty.
	 */
	uint32_t peer;
	uint32_t published; /* the reader's: read_index as last stored */
	uint32_t step;	    /* the reader's: publish after consuming this much */
	bool masked;	    /* the reader's: interrupt_mask as last stored */
	uint32_t wakeup;    /* the writer's: room to ask for when full (vmbus_ring_set_wakeup) */
	bool pending_set;   /* the writer's: it stored pending_send_sz, and clears it once */
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

/* One packet of a batch: the arguments of vmbus_ring_send. */
struct vmbus_send_item {
	uint16_t type;
	uint64_t trans_id;
	const void *payload;
	uint32_t len;
};

/*
 * Writes as many of the `count` packets as fit, in order, and publishes them
 * together: the reader sees the whole batch or none of it, and there is one
 * signal decision (the ring was empty before the batch and the reader
 * listens). VMBUS_OK with *sent >= 1; the caller sends the rest later (a
 * packet that can never fit stops the batch there, and returns VMBUS_TOOBIG
 * when it comes first). If not even the first fits: VMBUS_FULL, *sent = 0,
 * and pending_send_sz asks for the first one's size, as vmbus_ring_send does.
 */
int vmbus_ring_send_batch(struct vmbus_ring *ring, const struct vmbus_send_item *items,
			  uint32_t count, uint32_t *sent, bool *signal);

/*
 * Reads one packet: its descriptor into *desc, its payload into buf, the
 * payload's exact length (as sent) into *len. *signal is set when
 * the writer must be signalled (its pending_send_sz is now free). A packet
 * bigger than `size` stays in the ring (VMBUS_TOOBIG, *len = the size it
 * needs): read it with a bigger buffer.
 */
int vmbus_ring_recv(struct vmbus_ring *ring, struct vmbus_desc *desc, void *buf, uint32_t size,
		    uint32_t *len, bool *signal);

/* A run of payload bytes in the data area. */
struct vmbus_span {
	const uint8_t *p;
	uint32_t n;
};

/*
 * The next packet, left in the ring (vmbus_ring_peek). desc is a private copy,
 * already validated. The payload is span[0] then span[1]: two spans when it
 * wraps around the end of the data area, else span[1].n == 0; len is their sum.
 *
 * The spans point into shared memory, which the peer can rewrite at any time,
 * even a hostile peer that produced a valid packet: copy out whatever you check
 * and use the copy (check once, use once), never read a field twice. The
 * library itself reads every length once, into desc, before it checks it.
 */
struct vmbus_packet_view {
	struct vmbus_desc desc;
	struct vmbus_span span[2];
	uint32_t len;
	uint32_t index;	     /* the library's: where the packet starts */
	uint32_t next_index; /* the library's: read_index once it is consumed */
};

/*
 * Zero-copy receive: a view of the next packet, which stays in the ring (and
 * the spans valid) until vmbus_ring_consume. Returns VMBUS_OK, VMBUS_EMPTY or
 * VMBUS_BROKEN with the checks of vmbus_ring_recv. Peeking again without
 * consuming gives the same packet.
 */
int vmbus_ring_peek(struct vmbus_ring *ring, struct vmbus_packet_view *view);

/*
 * Releases the packet of the latest peek, once: the spans are no longer the
 * reader's, and its space goes back to the writer when read_index is next
 * published (once the reader has consumed every packet it knew of, or a
 * quarter of the ring). *signal as for vmbus_ring_recv. VMBUS_INVALID for a
 * view that is not one.
 */
int vmbus_ring_consume(struct vmbus_ring *ring, const struct vmbus_packet_view *view, bool *signal);

/*
 * Nothing to receive, as of now: the writer may add a packet right after. A
 * broken ring is not empty, so a reader does not sleep on it: the next
 * receive says what is wrong.
 */
bool vmbus_ring_empty(const struct vmbus_ring *ring);

/*
 * The reader masks its interrupt while draining; unmask returns true if data
 * came meanwhile. Both store only when the mask changes (the reader's line
 * stays in the writer's cache while the reader drains).
 */
void vmbus_ring_mask(struct vmbus_ring *ring);
bool vmbus_ring_unmask(struct vmbus_ring *ring);

/*
 * The writer's wakeup size: a send that finds no room asks (pending_send_sz)
 * to be signalled once `bytes` are free, or once its packet fits if that is
 * more. 0, the default, asks for just the packet. A streaming writer that
 * asks for a quarter of the ring is woken once per quarter instead of once
 * per packet the reader frees. Rounded up to 8 bytes and capped at half the
 * data area (an empty ring must always satisfy it).
 */
void vmbus_ring_set_wakeup(struct vmbus_ring *ring, uint32_t bytes);

/*
 * A packet of `len` payload bytes fits now. Loads only, no side effect: for
 * a writer's bounded spin before it sends and, if still full, sleeps.
 */
bool vmbus_ring_has_room(const struct vmbus_ring *ring, uint32_t len);

/*
 * Spinning before sleeping: a reader that finds the ring empty, or a writer
 * that finds it full, may poll vmbus_ring_empty / vmbus_ring_has_room a
 * bounded number of times first, with this hint in the loop. While the peer
 * is streaming, the ring turns within a few hundred nanoseconds and no
 * doorbell is needed at all; the protocol is unchanged (a poller that gives
 * up unmasks, or sends, and re-checks as always).
 */
static inline void vmbus_cpu_relax(void)
{
#if defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#elif defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif
