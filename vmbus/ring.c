// SPDX-License-Identifier: MIT
/*
 * VMBus ring buffers (ring.h). Ordering: the writer copies the packets (one,
 * or a batch), then publishes write_index with release semantics; the reader
 * loads it with acquire, reads the packet (recv is peek, copy, consume), then
 * publishes read_index with release.
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
	r->wakeup = 0;
	r->pending_set = false;
	r->broken = false;
	r->error = NULL;
	if (reset) {
		atomic_store(&r->hdr->write_index, 0);
		atomic_store(&r->hdr->read_index, 0);
		atomic_store(&r->hdr->interrupt_mask, 0);
		atomic_store(&r->hdr->pending_send_sz, 0);
		atomic_store(&r->hdr->feature_bits, 1);
	}
	r->own_write = atomic_load(&r->hdr->write_index);
	r->own_read = atomic_load(&r->hdr->read_index);
	return VMBUS_OK;
}

uint32_t vmbus_ring_max_payload(const struct vmbus_ring *r)
{
	/* Bounded by the area (8 bytes stay free) and by len8, a 16-bit count of 8-byte units. */
	uint32_t fits_area = r->size - VMBUS_PACKET_ALIGN - VMBUS_DESC_SIZE - VMBUS_TRAILER_SIZE;
	uint32_t fits_len8 = UINT16_MAX * VMBUS_PACKET_ALIGN - VMBUS_DESC_SIZE;
	return fits_area < fits_len8 ? fits_area : fits_len8;
}

static uint32_t padded(uint32_t len)
{
	return (len + VMBUS_PACKET_ALIGN - 1) & ~(VMBUS_PACKET_ALIGN - 1);
}

/* Bytes a packet takes in the ring, descriptor and trailer included. */
static uint32_t packet_size(uint32_t len)
{
	return VMBUS_DESC_SIZE + padded(len) + VMBUS_TRAILER_SIZE;
}

static bool item_ok(const struct vmbus_ring *r, const struct vmbus_send_item *item)
{
	return item->len <= vmbus_ring_max_payload(r) && (item->len == 0 || item->payload != NULL);
}

/* Writes a packet at `at`, where the caller found room for it; returns the index after it. */
static uint32_t write_packet(struct vmbus_ring *r, uint32_t at, const struct vmbus_send_item *item)
{
	static const uint8_t zeros[VMBUS_PACKET_ALIGN];
	uint32_t len = item->len;
	uint32_t pad = padded(len) - len;
	struct vmbus_desc d = {
		.type = item->type,
		.offset8 = VMBUS_DESC_SIZE / 8,
		.len8 = (uint16_t)((VMBUS_DESC_SIZE + len + pad) / 8), /* len <= max payload */
		.flags = 0,
		.trans_id = item->trans_id,
	};
	uint64_t trailer = (uint64_t)at << 32;
	copy_in(r, at, &d, VMBUS_DESC_SIZE);
	at = advance(r, at, VMBUS_DESC_SIZE);
	copy_in(r, at, len != 0 ? item->payload : zeros, len);
	at = advance(r, at, len);
	copy_in(r, at, zeros, pad);
	at = advance(r, at, pad);
	copy_in(r, at, &trailer, VMBUS_TRAILER_SIZE);
	return advance(r, at, VMBUS_TRAILER_SIZE);
}

int vmbus_ring_send_batch(struct vmbus_ring *r, const struct vmbus_send_item *items, uint32_t count,
			  uint32_t *sent, bool *signal)
{
	*sent = 0;
	*signal = false;
	if (r->broken) {
		return VMBUS_BROKEN;
	}
	if (items == NULL || count == 0) {
		return VMBUS_INVALID;
	}
	if (!item_ok(r, &items[0])) {
		return VMBUS_TOOBIG;
	}
	uint32_t w = r->own_write;
	uint32_t rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
	if (!index_ok(r, w) || !index_ok(r, rd)) {
		return broken(r, "write or read index outside the ring");
	}
	uint32_t first = packet_size(items[0].len);
	uint32_t space = room(r, w, rd);
	if (space < first) {
		atomic_store(&r->hdr->pending_send_sz, first > r->wakeup ? first : r->wakeup);
		r->pending_set = true;
		atomic_thread_fence(memory_order_seq_cst);
		/* The reader may have made room in between: look again. */
		rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
		if (!index_ok(r, rd)) {
			return broken(r, "write or read index outside the ring");
		}
		space = room(r, w, rd);
		if (space < first) {
			return VMBUS_FULL;
		}
	}
	if (r->pending_set) {
		/* Only then: the field shares the reader's cache line, a store per send costs. */
		atomic_store_explicit(&r->hdr->pending_send_sz, 0, memory_order_relaxed);
		r->pending_set = false;
	}

	uint32_t at = w;
	uint32_t n = 0;
	while (n < count && item_ok(r, &items[n]) && packet_size(items[n].len) <= space) {
		space -= packet_size(items[n].len);
		at = write_packet(r, at, &items[n]);
		n++;
	}

	atomic_store_explicit(&r->hdr->write_index, at, memory_order_release);
	r->own_write = at;
	atomic_thread_fence(memory_order_seq_cst);
	/* Empty before this batch, and the reader listens: it needs the doorbell. */
	rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
	*signal = rd == w && atomic_load(&r->hdr->interrupt_mask) == 0;
	*sent = n;
	return VMBUS_OK;
}

int vmbus_ring_send(struct vmbus_ring *r, uint16_t type, uint64_t trans_id, const void *payload,
		    uint32_t len, bool *signal)
{
	struct vmbus_send_item item = {
		.type = type, .trans_id = trans_id, .payload = payload, .len = len};
	uint32_t sent;
	return vmbus_ring_send_batch(r, &item, 1, &sent, signal);
}

int vmbus_ring_peek(struct vmbus_ring *r, struct vmbus_packet_view *v)
{
	if (r->broken) {
		return VMBUS_BROKEN;
	}
	uint32_t rd = r->own_read;
	uint32_t w = atomic_load_explicit(&r->hdr->write_index, memory_order_acquire);
	if (!index_ok(r, w) || !index_ok(r, rd)) {
		return broken(r, "write or read index outside the ring");
	}
	uint32_t avail = used(r, w, rd);
	if (avail == 0) {
		return VMBUS_EMPTY;
	}
	if (avail < VMBUS_DESC_SIZE + VMBUS_TRAILER_SIZE) {
		return broken(r, "data shorter than a packet");
	}
	/* Checked and used from this private copy only: the peer may rewrite the ring meanwhile. */
	copy_out(r, rd, &v->desc, VMBUS_DESC_SIZE);
	uint32_t bytes = (uint32_t)v->desc.len8 * 8;
	uint32_t offset = (uint32_t)v->desc.offset8 * 8;
	if (offset < VMBUS_DESC_SIZE || offset > bytes || bytes + VMBUS_TRAILER_SIZE > avail) {
		return broken(r, "packet descriptor with impossible lengths");
	}
	uint32_t at = advance(r, rd, offset);
	uint32_t len = bytes - offset;
	uint32_t to_end = r->size - at;
	uint32_t first = len < to_end ? len : to_end;
	v->span[0] = (struct vmbus_span){.p = r->data + at, .n = first};
	v->span[1] = (struct vmbus_span){.p = r->data, .n = len - first};
	v->len = len;
	v->index = rd;
	v->next_index = advance(r, rd, bytes + VMBUS_TRAILER_SIZE);
	return VMBUS_OK;
}

int vmbus_ring_consume(struct vmbus_ring *r, const struct vmbus_packet_view *v, bool *signal)
{
	*signal = false;
	if (r->broken) {
		return VMBUS_BROKEN;
	}
	uint32_t rd = v->index;
	uint32_t next = v->next_index;
	if (!index_ok(r, rd) || !index_ok(r, next) || rd == next) {
		return VMBUS_INVALID;
	}
	/* A view from an earlier peek, whose packet is consumed already: it would move back. */
	if (r->own_read != rd) {
		return VMBUS_INVALID;
	}
	uint32_t freed = used(r, next, rd); /* the whole packet, trailer included */
	atomic_store_explicit(&r->hdr->read_index, next, memory_order_release);
	r->own_read = next;
	atomic_thread_fence(memory_order_seq_cst);
	uint32_t pending = atomic_load(&r->hdr->pending_send_sz);
	uint32_t w = atomic_load_explicit(&r->hdr->write_index, memory_order_acquire);
	if (pending != 0 && index_ok(r, w) && used(r, w, rd) >= freed) {
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

int vmbus_ring_recv(struct vmbus_ring *r, struct vmbus_desc *desc, void *buf, uint32_t size,
		    uint32_t *len, bool *signal)
{
	*signal = false;
	struct vmbus_packet_view v;
	int rc = vmbus_ring_peek(r, &v);
	if (rc != VMBUS_OK) {
		return rc;
	}
	if (v.len > size) {
		*len = v.len;
		return VMBUS_TOOBIG; /* the packet stays: read it with a bigger buffer */
	}
	if (v.len != 0) {
		memcpy(buf, v.span[0].p, v.span[0].n);
		memcpy((uint8_t *)buf + v.span[0].n, v.span[1].p, v.span[1].n);
	}
	*desc = v.desc;
	*len = v.len;
	return vmbus_ring_consume(r, &v, signal);
}

bool vmbus_ring_empty(const struct vmbus_ring *r)
{
	return !r->broken && atomic_load(&r->hdr->write_index) == r->own_read;
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
	return !vmbus_ring_empty(r);
}

void vmbus_ring_set_wakeup(struct vmbus_ring *r, uint32_t bytes)
{
	uint32_t most = r->size / 2 - r->size / 2 % VMBUS_PACKET_ALIGN;
	r->wakeup = bytes < most ? padded(bytes) : most;
}

bool vmbus_ring_has_room(const struct vmbus_ring *r, uint32_t len)
{
	uint32_t rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
	if (r->broken || !index_ok(r, r->own_write) || !index_ok(r, rd) ||
	    len > vmbus_ring_max_payload(r)) {
		return true; /* no reason to wait: the send says what is wrong */
	}
	return room(r, r->own_write, rd) >= packet_size(len);
}
