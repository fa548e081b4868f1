// SPDX-License-Identifier: MIT
/*
 * VMBus ring buffers (ring.h). Ordering: the writer copies the packet, then
 * publishes write_index with release semantics; the reader loads it with
 * acquire, copies the packet out, then publishes read_index with release.
 * The signalling decisions need a full barrier between publishing one's own
 * index and reading the peer's state (interrupt_mask, pending_send_sz), or a
 * wakeup can be lost: seq_cst fences provide it (DMB ISH on ARMv8).
 */
#include "ring.h"

#include <string.h>

static uint32_t used(const struct vmbus_ring *r, uint32_t w, uint32_t rd)
{
	return w >= rd ? w - rd : r->size - rd + w;
}

static uint32_t room(const struct vmbus_ring *r, uint32_t w, uint32_t rd)
{
	return r->size - used(r, w, rd) - VMBUS_PACKET_ALIGN; /* 8 bytes stay free */
}

static int broken(struct vmbus_ring *r, const char *why)
{
	r->broken = true;
	r->error = why;
	return VMBUS_BROKEN;
}

/* An index from shared memory, checked: inside the area and 8-byte aligned. */
static bool index_ok(const struct vmbus_ring *r, uint32_t i)
{
	return i < r->size && i % VMBUS_PACKET_ALIGN == 0;
}

static void copy_in(struct vmbus_ring *r, uint32_t at, const void *src, uint32_t n)
{
	uint32_t first = n < r->size - at ? n : r->size - at;
	memcpy(r->data + at, src, first);
	memcpy(r->data, (const uint8_t *)src + first, n - first);
}

static void copy_out(const struct vmbus_ring *r, uint32_t at, void *dst, uint32_t n)
{
	uint32_t first = n < r->size - at ? n : r->size - at;
	memcpy(dst, r->data + at, first);
	memcpy((uint8_t *)dst + first, r->data, n - first);
}

static uint32_t advance(const struct vmbus_ring *r, uint32_t at, uint32_t n)
{
	return (uint32_t)(((uint64_t)at + n) % r->size);
}

int vmbus_ring_init(struct vmbus_ring *r, void *mem, size_t total, bool reset)
{
	if (mem == NULL || total < VMBUS_RING_HEADER_SIZE + 64 ||
	    total - VMBUS_RING_HEADER_SIZE > UINT32_MAX ||
	    (total - VMBUS_RING_HEADER_SIZE) % VMBUS_PACKET_ALIGN != 0) {
		return VMBUS_INVALID;
	}
	r->hdr = mem;
	r->data = (uint8_t *)mem + VMBUS_RING_HEADER_SIZE;
	r->size = (uint32_t)(total - VMBUS_RING_HEADER_SIZE);
	r->broken = false;
	r->error = NULL;
	if (reset) {
		atomic_store(&r->hdr->write_index, 0);
		atomic_store(&r->hdr->read_index, 0);
		atomic_store(&r->hdr->interrupt_mask, 0);
		atomic_store(&r->hdr->pending_send_sz, 0);
		atomic_store(&r->hdr->feature_bits, 1);
	}
	return VMBUS_OK;
}

uint32_t vmbus_ring_max_payload(const struct vmbus_ring *r)
{
	return r->size - VMBUS_PACKET_ALIGN - VMBUS_DESC_SIZE - VMBUS_TRAILER_SIZE;
}

int vmbus_ring_send(struct vmbus_ring *r, uint16_t type, uint64_t trans_id, const void *payload,
		    uint32_t len, bool *signal)
{
	*signal = false;
	if (r->broken) {
		return VMBUS_BROKEN;
	}
	if (len > vmbus_ring_max_payload(r) || (len != 0 && payload == NULL)) {
		return VMBUS_TOOBIG;
	}
	uint32_t padded = (len + VMBUS_PACKET_ALIGN - 1) & ~(VMBUS_PACKET_ALIGN - 1);
	uint32_t total = VMBUS_DESC_SIZE + padded + VMBUS_TRAILER_SIZE;
	if ((VMBUS_DESC_SIZE + padded) / 8 > UINT16_MAX) {
		return VMBUS_TOOBIG;
	}
	uint32_t w = atomic_load_explicit(&r->hdr->write_index, memory_order_relaxed);
	uint32_t rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
	if (!index_ok(r, w) || !index_ok(r, rd)) {
		return broken(r, "write or read index outside the ring");
	}
	if (room(r, w, rd) < total) {
		atomic_store(&r->hdr->pending_send_sz, total);
		atomic_thread_fence(memory_order_seq_cst);
		/* The reader may have made room in between: look again. */
		rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
		if (!index_ok(r, rd) || room(r, w, rd) < total) {
			return VMBUS_FULL;
		}
	}
	atomic_store_explicit(&r->hdr->pending_send_sz, 0, memory_order_relaxed);

	struct vmbus_desc d = {
		.type = type,
		.offset8 = VMBUS_DESC_SIZE / 8,
		.len8 = (uint16_t)((VMBUS_DESC_SIZE + padded) / 8),
		.flags = 0,
		.trans_id = trans_id,
	};
	static const uint8_t zeros[VMBUS_PACKET_ALIGN];
	uint64_t trailer = (uint64_t)w << 32;
	uint32_t at = w;
	copy_in(r, at, &d, VMBUS_DESC_SIZE);
	at = advance(r, at, VMBUS_DESC_SIZE);
	copy_in(r, at, payload != NULL ? payload : zeros, len);
	at = advance(r, at, len);
	copy_in(r, at, zeros, padded - len);
	at = advance(r, at, padded - len);
	copy_in(r, at, &trailer, VMBUS_TRAILER_SIZE);
	at = advance(r, at, VMBUS_TRAILER_SIZE);

	atomic_store_explicit(&r->hdr->write_index, at, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	/* Empty before this packet, and the reader listens: it needs the doorbell. */
	rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
	*signal = rd == w && atomic_load(&r->hdr->interrupt_mask) == 0;
	return VMBUS_OK;
}

int vmbus_ring_recv(struct vmbus_ring *r, struct vmbus_desc *desc, void *buf, uint32_t size,
		    uint32_t *len, bool *signal)
{
	*signal = false;
	if (r->broken) {
		return VMBUS_BROKEN;
	}
	uint32_t rd = atomic_load_explicit(&r->hdr->read_index, memory_order_relaxed);
	uint32_t w = atomic_load_explicit(&r->hdr->write_index, memory_order_acquire);
	if (!index_ok(r, w) || !index_ok(r, rd)) {
		return broken(r, "write or read index outside the ring");
	}
	uint32_t avail = used(r, w, rd);
	if (avail == 0) {
		return VMBUS_EMPTY;
	}
	struct vmbus_desc d;
	if (avail < VMBUS_DESC_SIZE + VMBUS_TRAILER_SIZE) {
		return broken(r, "data shorter than a packet");
	}
	copy_out(r, rd, &d, VMBUS_DESC_SIZE);
	uint32_t bytes = (uint32_t)d.len8 * 8;
	uint32_t offset = (uint32_t)d.offset8 * 8;
	if (offset < VMBUS_DESC_SIZE || offset > bytes || bytes + VMBUS_TRAILER_SIZE > avail) {
		return broken(r, "packet descriptor with impossible lengths");
	}
	uint32_t payload = bytes - offset;
	if (payload > size) {
		return VMBUS_TOOBIG; /* the packet stays: read it with a bigger buffer */
	}
	copy_out(r, advance(r, rd, offset), buf, payload);
	*desc = d;
	*len = payload;

	uint32_t next = advance(r, rd, bytes + VMBUS_TRAILER_SIZE);
	atomic_store_explicit(&r->hdr->read_index, next, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	uint32_t pending = atomic_load(&r->hdr->pending_send_sz);
	w = atomic_load_explicit(&r->hdr->write_index, memory_order_acquire);
	if (pending != 0 && index_ok(r, w) && used(r, w, rd) >= bytes + VMBUS_TRAILER_SIZE) {
		/*
		 * Only on the crossing: the writer asked for `pending` bytes. Both
		 * sides of it are measured against the writer's current index: one
		 * read before this packet would count space the writer has filled
		 * since, and the crossing could be missed (a lost wakeup).
		 */
		*signal = room(r, w, rd) < pending && room(r, w, next) >= pending;
	}
	return VMBUS_OK;
}

void vmbus_ring_mask(struct vmbus_ring *r)
{
	atomic_store(&r->hdr->interrupt_mask, 1);
}

bool vmbus_ring_unmask(struct vmbus_ring *r)
{
	atomic_store(&r->hdr->interrupt_mask, 0);
	atomic_thread_fence(memory_order_seq_cst);
	/* Data that came while masked raised no doorbell: the reader must look again. */
	return atomic_load(&r->hdr->write_index) != atomic_load(&r->hdr->read_index);
}
