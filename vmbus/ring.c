// SPDX-License-Identifier: MIT
/*
 * VMBus ring buffers (ring.h). Ordering: the writer copies the packets (one,
 * or a batch), then publishes write_index with release semantics; the reader
 * loads it with acquire, reads the packets (recv is peek, copy, consume), then
 * publishes read_index with release.
 * The signalling decisions need a store-load order between publishing one's
 * own index and reading the peer's state (interrupt_mask, pending_send_sz), or
 * a wakeup can be lost: those stores and loads are seq_cst, with a full fence
 * between them (store_load_fence). The reader publishes once per batch it
 * drains; the writer once per send call (vmbus_ring_send_batch amortises it).
 */
#include "ring.h"

#include <string.h>

/*
 * Orders this side's store before its load of the peer's field. On ARMv8
 * hardware a seq_cst store then load (STLR, LDAR) would be enough, but QEMU's
 * TCG translates STLR as barrier + store and LDAR as load + barrier, with
 * nothing between them: on an x86 host the load passes the store in the store
 * buffer, both sides miss each other's update and the doorbell is never rung
 * (a channel stalled with unread data and interrupt_mask 0, seen under load).
 * (target/arm's trans_STLR and trans_LDAR.) A DMB ISH costs little next to
 * the doorbell it saves. On x86 (the host tests and benchmark) the seq_cst
 * store is already a full barrier (XCHG), and an MFENCE more cost the host
 * benchmark a tenth of its rate. ThreadSanitizer has no fences: its build (the
 * host stress test) keeps the seq_cst store and load, which it models.
 */
static inline void store_load_fence(void)
{
#if !defined(__SANITIZE_THREAD__) && !defined(__x86_64__)
	atomic_thread_fence(memory_order_seq_cst);
#endif
}

/* The header and descriptors are little-endian (docs/vmbus.md), written here as native words. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vmbus/ring.c assumes a little-endian CPU"
#endif

/* Ring header 2 (docs/vmbus.md): the writer's line, feature_bits, the reader's line. */
_Static_assert(offsetof(struct vmbus_ring_header, pending_send_sz) == 4, "ring header 2");
_Static_assert(offsetof(struct vmbus_ring_header, feature_bits) == 64, "ring header 2");
_Static_assert(offsetof(struct vmbus_ring_header, read_index) == 128, "ring header 2");
_Static_assert(offsetof(struct vmbus_ring_header, interrupt_mask) == 132, "ring header 2");
_Static_assert(sizeof(struct vmbus_ring_header) <= VMBUS_RING_HEADER_SIZE, "ring header 2");

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

/* at < size and n <= size, which every caller has checked: no division on the data path. */
static uint32_t advance(const struct vmbus_ring *r, uint32_t at, uint32_t n)
{
	uint64_t next = (uint64_t)at + n;
	return (uint32_t)(next >= r->size ? next - r->size : next);
}

/*
 * How far ahead the writer claims lines and the reader fetches them: the
 * writer's full barrier then waits for no line still in the reader's cache,
 * and the reader's descriptor loads (each depends on the previous packet's
 * length) do not wait one by one. Hints only: no fault, no effect on results.
 */
#define AHEAD 1024U
#if defined(__GNUC__)
#define prefetch(p, write) __builtin_prefetch((p), (write), 3)
#else
#define prefetch(p, write) ((void)(p))
#endif
/*
 * The writer's hint only where it claims the line (ARMv8's PRFM PSTL1KEEP,
 * x86's PREFETCHW): a read prefetch of a line the reader holds would fetch it
 * shared, and the store would still have to take it from the reader.
 */
#if defined(__aarch64__) || defined(__PRFCHW__)
#define prefetch_write(p) prefetch((p), 1)
#else
#define prefetch_write(p) ((void)(p))
#endif

/* An aligned 8-byte store into the data area (indices are multiples of 8). */
static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
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
		atomic_store(&r->hdr->feature_bits,
			     VMBUS_FEATURE_PENDING_SEND_SZ | VMBUS_FEATURE_SPLIT_HEADER);
	}
	r->own_write = atomic_load(&r->hdr->write_index);
	r->own_read = atomic_load(&r->hdr->read_index);
	r->published = r->own_read;
	/*
	 * The peer's index is not trusted yet: the reader's cache says empty and
	 * the writer's says full (or nonsense), so both load it before first use.
	 */
	r->peer = r->own_read;
	r->masked = atomic_load(&r->hdr->interrupt_mask) != 0;
	/* A quarter of the ring: the writer sees room in steps, not per packet. */
	r->step = r->size / 4 - r->size / 4 % VMBUS_PACKET_ALIGN;
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

static bool item_fits(const struct vmbus_send_item *item, uint32_t max)
{
	return item->len <= max && (item->len == 0 || item->payload != NULL);
}

static bool item_ok(const struct vmbus_ring *r, const struct vmbus_send_item *item)
{
	return item_fits(item, vmbus_ring_max_payload(r));
}

/* Writes a packet at `at`, where the caller found room for it; returns the index after it. */
static uint32_t write_packet(struct vmbus_ring *r, uint32_t at, const struct vmbus_send_item *item)
{
	static const uint8_t zeros[VMBUS_PACKET_ALIGN];
	uint32_t len = item->len;
	uint32_t body = padded(len);
	uint64_t head = (uint64_t)item->type | (uint64_t)(VMBUS_DESC_SIZE / 8) << 16 |
			(uint64_t)((VMBUS_DESC_SIZE + body) / 8) << 32 | /* len <= max payload */
			(uint64_t)(body - len) << 48; /* flags: the padding (spec 2.1) */
	uint64_t trailer = (uint64_t)at << 32;
	if ((uint64_t)at + packet_size(len) <= r->size) {
		/* No wrap, the common case: 8-byte stores and one copy of the payload. */
		uint8_t *p = r->data + at;
		if (r->size > AHEAD) {
			prefetch_write(r->data + advance(r, at, AHEAD));
		}
		put64(p, head);
		put64(p + 8, item->trans_id);
		if (body != len) {
			put64(p + VMBUS_DESC_SIZE + body - 8,
			      0); /* the padding; the payload goes over it */
		}
		if (len != 0) {
			memcpy(p + VMBUS_DESC_SIZE, item->payload, len);
		}
		put64(p + VMBUS_DESC_SIZE + body, trailer);
		return advance(r, at, packet_size(len));
	}
	struct vmbus_desc d = {
		.type = item->type,
		.offset8 = VMBUS_DESC_SIZE / 8,
		.len8 = (uint16_t)((VMBUS_DESC_SIZE + body) / 8),
		.flags = (uint16_t)(body - len),
		.trans_id = item->trans_id,
	};
	copy_in(r, at, &d, VMBUS_DESC_SIZE);
	at = advance(r, at, VMBUS_DESC_SIZE);
	copy_in(r, at, len != 0 ? item->payload : zeros, len);
	at = advance(r, at, len);
	copy_in(r, at, zeros, body - len);
	at = advance(r, at, body - len);
	copy_in(r, at, &trailer, VMBUS_TRAILER_SIZE);
	return advance(r, at, VMBUS_TRAILER_SIZE);
}

/* The writer reloads the reader's index: false (and the ring broken) if it makes no sense. */
static bool reload_read(struct vmbus_ring *r)
{
	/* The second caller has just stored pending_send_sz and fenced: this load comes after. */
	uint32_t rd = atomic_load(&r->hdr->read_index);
	if (!index_ok(r, rd)) {
		broken(r, "write or read index outside the ring");
		return false;
	}
	r->peer = rd;
	return true;
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
	if (!index_ok(r, w) || !index_ok(r, r->peer)) {
		return broken(r, "write or read index outside the ring");
	}
	uint32_t first = packet_size(items[0].len);
	bool reloaded = false;
	if (room(r, w, r->peer) < first) {
		/* The cached read index says full: the reader may have moved since. */
		if (!reload_read(r)) {
			return VMBUS_BROKEN;
		}
		reloaded = true;
	}
	if (room(r, w, r->peer) < first) {
		atomic_store(&r->hdr->pending_send_sz, first > r->wakeup ? first : r->wakeup);
		r->pending_set = true;
		store_load_fence();
		/* The reader may have made room in between: look again. */
		if (!reload_read(r)) {
			return VMBUS_BROKEN;
		}
		if (room(r, w, r->peer) < first) {
			return VMBUS_FULL;
		}
	}
	if (r->pending_set) {
		/* Only then: a store per send would cost the line the reader polls. */
		atomic_store_explicit(&r->hdr->pending_send_sz, 0, memory_order_relaxed);
		r->pending_set = false;
	}

	uint32_t space = room(r, w, r->peer);
	uint32_t max = vmbus_ring_max_payload(r);
	uint32_t at = w;
	uint32_t n = 0;
	while (n < count && item_fits(&items[n], max)) {
		uint32_t need = packet_size(items[n].len);
		if (need > space && !reloaded) {
			/*
			 * Once per call: the rest of the batch may fit by now. A
			 * bad index ends the batch here; the load after publishing
			 * it breaks the ring.
			 */
			uint32_t rd =
				atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
			reloaded = true;
			if (index_ok(r, rd)) {
				r->peer = rd;
				space = room(r, at, rd);
			}
		}
		if (need > space) {
			break;
		}
		space -= need;
		at = write_packet(r, at, &items[n]);
		n++;
	}

	atomic_store(&r->hdr->write_index, at);
	r->own_write = at;
	store_load_fence();
	/*
	 * Empty before this batch, and the reader listens: it needs the doorbell.
	 * Both fields are on the reader's line, which stays in this CPU's cache
	 * while the reader drains (it publishes once per batch, masks once).
	 */
	bool listens = atomic_load(&r->hdr->interrupt_mask) == 0;
	uint32_t rd = atomic_load(&r->hdr->read_index);
	*signal = rd == w && listens;
	*sent = n;
	if (!index_ok(r, rd)) {
		/* This batch is out already; the next call is refused. */
		broken(r, "write or read index outside the ring");
		return VMBUS_OK;
	}
	r->peer = rd; /* a fresh view for the next send, for free */
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

/* peek and consume, inlined into vmbus_ring_recv too: one call per packet on the common path. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

static ALWAYS_INLINE int peek(struct vmbus_ring *r, struct vmbus_packet_view *v)
{
	if (r->broken) {
		return VMBUS_BROKEN;
	}
	uint32_t rd = r->own_read;
	if (!index_ok(r, rd)) {
		return broken(r, "write or read index outside the ring");
	}
	if (r->peer == rd) {
		/* The cached write index says empty: look at the writer's line. */
		uint32_t w = atomic_load_explicit(&r->hdr->write_index, memory_order_acquire);
		if (!index_ok(r, w)) {
			return broken(r, "write or read index outside the ring");
		}
		r->peer = w;
	}
	uint32_t avail = used(r, r->peer, rd);
	if (avail == 0) {
		return VMBUS_EMPTY;
	}
	if (avail < VMBUS_DESC_SIZE + VMBUS_TRAILER_SIZE) {
		return broken(r, "data shorter than a packet");
	}
	if (avail > AHEAD + 64) {
		/* Two lines: a 64-byte message takes 88 bytes of ring. */
		prefetch(r->data + advance(r, rd, AHEAD), 0);
		prefetch(r->data + advance(r, rd, AHEAD + 64), 0);
	}
	/*
	 * Checked and used from this private copy only: the peer may rewrite the
	 * ring meanwhile. Read as two words and taken apart in registers (not
	 * read back from *v: a narrow load from a wide store stalls).
	 */
	uint64_t word[2];
	if (r->size - rd >= VMBUS_DESC_SIZE) {
		memcpy(word, r->data + rd, VMBUS_DESC_SIZE);
	} else {
		copy_out(r, rd, word, VMBUS_DESC_SIZE);
	}
	uint32_t offset = (uint32_t)(word[0] >> 16 & 0xffffU) * 8; /* offset8 */
	uint32_t bytes = (uint32_t)(word[0] >> 32 & 0xffffU) * 8;  /* len8 */
	if (offset < VMBUS_DESC_SIZE || offset > bytes || bytes + VMBUS_TRAILER_SIZE > avail) {
		return broken(r, "packet descriptor with impossible lengths");
	}
	v->desc = (struct vmbus_desc){
		.type = (uint16_t)word[0],
		.offset8 = (uint16_t)(offset / 8),
		.len8 = (uint16_t)(bytes / 8),
		.flags = (uint16_t)(word[0] >> 48),
		.trans_id = word[1],
	};
	/* Spec 2.1: the payload's last bytes that are padding, not data. */
	uint32_t pad = (uint32_t)(word[0] >> 48) & VMBUS_DESC_FLAG_PAD;
	if (pad > bytes - offset) {
		return broken(r, "packet padding longer than its payload");
	}
	uint32_t at = advance(r, rd, offset);
	uint32_t len = bytes - offset - pad;
	uint32_t to_end = r->size - at;
	uint32_t first = len < to_end ? len : to_end;
	v->span[0] = (struct vmbus_span){.p = r->data + at, .n = first};
	v->span[1] = (struct vmbus_span){.p = r->data, .n = len - first};
	v->len = len;
	v->index = rd;
	v->next_index = advance(r, rd, bytes + VMBUS_TRAILER_SIZE);
	return VMBUS_OK;
}

/* Stores read_index = own_read, and says whether the writer waits for the room it makes. */
static bool publish(struct vmbus_ring *r)
{
	uint32_t before = r->published;
	uint32_t rd = r->own_read;
	uint32_t freed = used(r, rd, before);
	atomic_store(&r->hdr->read_index, rd);
	r->published = rd;
	store_load_fence();
	uint32_t pending = atomic_load(&r->hdr->pending_send_sz);
	uint32_t w = atomic_load(&r->hdr->write_index);
	if (!index_ok(r, w) || used(r, w, before) < freed) {
		return false; /* nonsense: the next peek says so */
	}
	if (used(r, w, rd) > used(r, r->peer, rd)) {
		r->peer = w; /* the writer's line is here anyway: the next peek need not load it */
	}
	/*
	 * Only on the crossing: the writer asked for `pending` bytes. Both sides
	 * of it are measured against the writer's current index: one read before
	 * would count space the writer has filled since, and the crossing could
	 * be missed (a lost wakeup).
	 */
	return pending != 0 && room(r, w, before) < pending && room(r, w, rd) >= pending;
}

int vmbus_ring_peek(struct vmbus_ring *r, struct vmbus_packet_view *v)
{
	return peek(r, v);
}

static ALWAYS_INLINE int consume(struct vmbus_ring *r, const struct vmbus_packet_view *v,
				 bool *signal)
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
	r->own_read = next;
	if (next == r->peer) {
		/* All it knew of is read: has the writer published more meanwhile? */
		uint32_t w = atomic_load_explicit(&r->hdr->write_index, memory_order_acquire);
		if (index_ok(r, w)) {
			r->peer = w; /* else the next peek reloads it and says what is wrong */
		}
	}
	/*
	 * Published once the ring is empty (the writer's empty -> non-empty test
	 * and a sleeping reader need it) or a quarter of the ring is held back:
	 * not per packet while the writer keeps up.
	 */
	if (next == r->peer || used(r, next, r->published) >= r->step) {
		*signal = publish(r);
	}
	return VMBUS_OK;
}

int vmbus_ring_consume(struct vmbus_ring *r, const struct vmbus_packet_view *v, bool *signal)
{
	return consume(r, v, signal);
}

int vmbus_ring_recv(struct vmbus_ring *r, struct vmbus_desc *desc, void *buf, uint32_t size,
		    uint32_t *len, bool *signal)
{
	*signal = false;
	struct vmbus_packet_view v;
	int rc = peek(r, &v);
	if (rc != VMBUS_OK) {
		return rc;
	}
	if (v.len > size) {
		*len = v.len;
		return VMBUS_TOOBIG; /* the packet stays: read it with a bigger buffer */
	}
	if (v.span[0].n != 0) {
		memcpy(buf, v.span[0].p, v.span[0].n);
	}
	if (v.span[1].n != 0) {
		memcpy((uint8_t *)buf + v.span[0].n, v.span[1].p, v.span[1].n);
	}
	*desc = v.desc;
	*len = v.len;
	return consume(r, &v, signal);
}

bool vmbus_ring_empty(const struct vmbus_ring *r)
{
	if (r->broken || !index_ok(r, r->own_read)) {
		return false; /* the next receive says what is wrong */
	}
	return r->peer == r->own_read && atomic_load(&r->hdr->write_index) == r->own_read;
}

void vmbus_ring_mask(struct vmbus_ring *r)
{
	if (!r->masked) {
		atomic_store(&r->hdr->interrupt_mask, 1);
		r->masked = true;
	}
}

bool vmbus_ring_unmask(struct vmbus_ring *r)
{
	if (r->masked) {
		atomic_store(&r->hdr->interrupt_mask, 0);
		r->masked = false;
		store_load_fence();
	}
	/* vmbus_ring_empty's load comes after this store, and after publish()'s. */
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
	if (r->broken || !index_ok(r, r->own_write) || len > vmbus_ring_max_payload(r)) {
		return true; /* no reason to wait: the send says what is wrong */
	}
	if (index_ok(r, r->peer) && room(r, r->own_write, r->peer) >= packet_size(len)) {
		return true; /* the cached view has room: no need to look at the reader's line */
	}
	uint32_t rd = atomic_load_explicit(&r->hdr->read_index, memory_order_acquire);
	return !index_ok(r, rd) || room(r, r->own_write, rd) >= packet_size(len);
}
