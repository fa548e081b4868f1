/* SPDX-License-Identifier: MIT */
/*
 * VMBus channels (bulkhead/channel.h) over the channel hypercalls
 * (docs/hypercalls.md) and the portable ring library (vmbus/ring.c).
 *
 * Waiting without lost wakeups: the doorbell handler only sets ch->doorbell;
 * bh_channel_wait clears the flags when it returns, not when it starts, so a
 * doorbell that rang after the caller last looked at the rings is still
 * there. The receive ring is masked while the program drains it (no
 * doorbell per packet) and unmasked, then re-checked, before it sleeps.
 */
#include "internal.h"

#include <bulkhead/channel.h>
#include <string.h>

static void doorbell_handler(unsigned intid, void *arg)
{
	struct bh_channel *ch = arg;
	(void)intid;
	ch->doorbells_received++;
	atomic_store(&ch->doorbell, true);
}

unsigned bh_channel_count(void)
{
	unsigned n = 0;
	while ((int64_t)bh_hvc_call(BH_HVC_CHANNEL_INFO, n, 0, 0, 0, 0).x0 == BH_HVC_OK) {
		n++;
	}
	return n;
}

int bh_channel_get(unsigned index, struct bh_channel *ch)
{
	struct bh_smccc_result info = bh_hvc_call(BH_HVC_CHANNEL_INFO, index, 0, 0, 0, 0);
	if ((int64_t)info.x0 != BH_HVC_OK) {
		return BH_CHANNEL_NO_SUCH;
	}
	struct bh_smccc_result name = bh_hvc_call(BH_HVC_CHANNEL_NAME, index, 0, 0, 0, 0);
	memset(ch, 0, sizeof(*ch));
	ch->index = index;
	ch->send_ring = (uintptr_t)info.x1;
	ch->send_size = (size_t)info.x2;
	ch->receive_ring = (uintptr_t)info.x3;
	ch->receive_size = (size_t)info.x4;
	ch->irq = (unsigned)(info.x5 & 0xffffU);
	ch->provider = (info.x5 & BH_CHANNEL_PROVIDER) != 0;
	ch->peer = (unsigned)((info.x5 >> 32) & 0xffU);
	bh_name_from_regs(name.x1, name.x2, ch->name);
	bh_name_from_regs(name.x3, name.x4, ch->interface);
	ch->state = BH_CHANNEL_CLOSED;
	bh_irq_register(ch->irq, doorbell_handler, ch);
	bh_irq_enable(ch->irq);
	return BH_HVC_OK;
}

int bh_channel_find(const char *name, struct bh_channel *ch)
{
	int by_interface = -1; /* a name match anywhere wins over an interface match */
	for (unsigned i = 0;; i++) {
		struct bh_smccc_result r = bh_hvc_call(BH_HVC_CHANNEL_NAME, i, 0, 0, 0, 0);
		char found[17];
		if ((int64_t)r.x0 != BH_HVC_OK) {
			break;
		}
		bh_name_from_regs(r.x1, r.x2, found);
		if (strcmp(found, name) == 0) {
			return bh_channel_get(i, ch);
		}
		bh_name_from_regs(r.x3, r.x4, found);
		if (by_interface < 0 && strcmp(found, name) == 0) {
			by_interface = (int)i;
		}
	}
	return by_interface >= 0 ? bh_channel_get((unsigned)by_interface, ch) : BH_CHANNEL_NO_SUCH;
}

/* The hypervisor's answer (state, session) to OPEN, CLOSE or STATE. */
static unsigned apply_state(struct bh_channel *ch, struct bh_smccc_result r)
{
	unsigned state = (unsigned)r.x1;
	if (state == BH_CHANNEL_CONNECTED &&
	    (ch->state != BH_CHANNEL_CONNECTED || ch->session != r.x2)) {
		/* A new session: the hypervisor zeroed the region, i.e. both rings are empty. */
		vmbus_ring_init(&ch->tx, (void *)ch->send_ring, ch->send_size, false);
		vmbus_ring_init(&ch->rx, (void *)ch->receive_ring, ch->receive_size, false);
		vmbus_ring_mask(&ch->rx); /* unmasked again when we sleep */
	}
	ch->state = state;
	ch->session = r.x2;
	return state;
}

int bh_channel_open(struct bh_channel *ch)
{
	return (int)apply_state(ch, bh_hvc_call(BH_HVC_CHANNEL_OPEN, ch->index, 0, 0, 0, 0));
}

void bh_channel_close(struct bh_channel *ch)
{
	apply_state(ch, bh_hvc_call(BH_HVC_CHANNEL_CLOSE, ch->index, 0, 0, 0, 0));
}

unsigned bh_channel_update(struct bh_channel *ch)
{
	return apply_state(ch, bh_hvc_call(BH_HVC_CHANNEL_STATE, ch->index, 0, 0, 0, 0));
}

int bh_channel_signal(struct bh_channel *ch)
{
	ch->doorbells_sent++;
	return (int)(int64_t)bh_hvc_call(BH_HVC_CHANNEL_SIGNAL, ch->index, 0, 0, 0, 0).x0;
}

static void ring_peer(struct bh_channel *ch)
{
	bh_channel_signal(ch);
}

int bh_channel_send(struct bh_channel *ch, uint16_t type, uint64_t trans_id, const void *data,
		    uint32_t length)
{
	bool signal = false;
	if (ch->state != BH_CHANNEL_CONNECTED) {
		return BH_CHANNEL_NOT_CONNECTED;
	}
	int rc = vmbus_ring_send(&ch->tx, type, trans_id, data, length, &signal);
	if (signal) {
		ring_peer(ch);
	}
	return rc;
}

int bh_channel_recv(struct bh_channel *ch, struct vmbus_desc *desc, void *buf, uint32_t size,
		    uint32_t *length)
{
	bool signal = false;
	if (ch->state != BH_CHANNEL_CONNECTED) {
		return BH_CHANNEL_NOT_CONNECTED;
	}
	vmbus_ring_mask(&ch->rx);
	int rc = vmbus_ring_recv(&ch->rx, desc, buf, size, length, &signal);
	if (signal) {
		ring_peer(ch); /* the peer was waiting for this much room */
	}
	return rc;
}

int bh_channel_recv_or_drop(struct bh_channel *ch, struct vmbus_desc *desc, void *buf,
			    uint32_t size, uint32_t *length)
{
	int rc = bh_channel_recv(ch, desc, buf, size, length);
	struct vmbus_packet_view view;
	bool signal = false;

	if (rc != VMBUS_TOOBIG || vmbus_ring_peek(&ch->rx, &view) != VMBUS_OK) {
		return rc;
	}
	*desc = view.desc;
	*length = view.len;
	vmbus_ring_consume(&ch->rx, &view, &signal);
	if (signal) {
		ring_peer(ch);
	}
	return VMBUS_TOOBIG;
}

/* The end of a poll of BH_CHANNEL_POLL_US from now, in counter ticks. */
static uint64_t poll_end(void)
{
	return bh_counter() + bh_counter_frequency() * BH_CHANNEL_POLL_US / 1000000U;
}

/* Data or a doorbell, without unmasking: while it polls, the writer need not ring. */
static bool has_data(const struct bh_channel *ch)
{
	return atomic_load(&ch->doorbell) ||
	       (ch->state == BH_CHANNEL_CONNECTED && !ch->rx.broken && !vmbus_ring_empty(&ch->rx));
}

/* Polls the channels for data, for up to BH_CHANNEL_POLL_US. */
static bool poll_data(struct bh_channel *const *channels, unsigned n)
{
	uint64_t end = poll_end();
	do {
		for (unsigned i = 0; i < n; i++) {
			if (has_data(channels[i])) {
				return true;
			}
		}
		vmbus_cpu_relax();
	} while (bh_counter() < end);
	return false;
}

/* Polls the send ring for room for `length` bytes, for up to BH_CHANNEL_POLL_US. */
static void poll_room(const struct bh_channel *ch, uint32_t length)
{
	uint64_t end = poll_end();
	if (ch->state != BH_CHANNEL_CONNECTED) {
		return; /* no rings yet: the send says so */
	}
	while (!vmbus_ring_has_room(&ch->tx, length) && bh_counter() < end) {
		vmbus_cpu_relax();
	}
}

/* Data waiting, a doorbell rung, or nothing: unmasks the receive ring as it looks. */
static bool has_work(struct bh_channel *ch)
{
	bool work = atomic_load(&ch->doorbell);
	if (ch->state == BH_CHANNEL_CONNECTED && !ch->rx.broken && vmbus_ring_unmask(&ch->rx)) {
		work = true;
	}
	return work;
}

void bh_channel_wait(struct bh_channel *const *channels, unsigned n)
{
	bool work = poll_data(channels, n);
	/*
	 * IRQs masked from the first look to the WFI: a doorbell handled in
	 * between would leave its flag set behind the look and nothing pending
	 * to wake the WFI (a lost wakeup, seen as a rare hang). Masked, it stays
	 * pending, and WFI still wakes for it.
	 */
	bh_irq_local_disable();
	for (unsigned i = 0; i < n && !work; i++) {
		work |= has_work(channels[i]);
	}
	while (!work) {
		__asm__ volatile("wfi" ::: "memory");
		bh_irq_local_enable();
		__asm__ volatile("isb" ::: "memory"); /* the handler runs here */
		bh_irq_local_disable();
		for (unsigned i = 0; i < n && !work; i++) {
			work = atomic_load(&channels[i]->doorbell);
		}
	}
	bh_irq_local_enable();
	for (unsigned i = 0; i < n; i++) {
		atomic_store(&channels[i]->doorbell, false);
	}
}

/* After a wakeup: the state may have changed (that rings the doorbell too). */
static bool still_connected(struct bh_channel *ch)
{
	return bh_channel_update(ch) == BH_CHANNEL_CONNECTED;
}

int bh_channel_send_wait(struct bh_channel *ch, uint16_t type, uint64_t trans_id, const void *data,
			 uint32_t length)
{
	struct bh_channel *const list[1] = {ch};
	for (;;) {
		/* Room first: a send that finds none asks the reader to ring (pending_send_sz). */
		poll_room(ch, length);
		int rc = bh_channel_send(ch, type, trans_id, data, length);
		if (rc != VMBUS_FULL) {
			return rc;
		}
		bh_channel_wait(list, 1);
		if (!still_connected(ch)) {
			return BH_CHANNEL_NOT_CONNECTED;
		}
	}
}

int bh_channel_recv_wait(struct bh_channel *ch, struct vmbus_desc *desc, void *buf, uint32_t size,
			 uint32_t *length)
{
	struct bh_channel *const list[1] = {ch};
	for (;;) {
		int rc = bh_channel_recv(ch, desc, buf, size, length);
		if (rc != VMBUS_EMPTY) {
			return rc;
		}
		bh_channel_wait(list, 1);
		if (!still_connected(ch)) {
			return BH_CHANNEL_NOT_CONNECTED;
		}
	}
}

unsigned bh_channel_wait_connected(struct bh_channel *ch)
{
	struct bh_channel *const list[1] = {ch};
	unsigned state = bh_channel_update(ch);
	while (state == BH_CHANNEL_WAITING) {
		bh_channel_wait(list, 1);
		state = bh_channel_update(ch);
	}
	return state;
}

const char *bh_channel_state_name(unsigned state)
{
	static const char *const names[] = {"closed", "waiting", "connected", "reset"};
	return state < 4 ? names[state] : "?";
}

const char *bh_channel_status_name(int status)
{
	switch (status) {
	case VMBUS_OK:
		return "ok";
	case VMBUS_EMPTY:
		return "empty";
	case VMBUS_FULL:
		return "full";
	case VMBUS_TOOBIG:
		return "too big";
	case VMBUS_BROKEN:
		return "ring broken";
	case VMBUS_INVALID:
		return "invalid argument";
	case BH_CHANNEL_NOT_CONNECTED:
		return "not connected";
	case BH_CHANNEL_NO_SUCH:
		return "no such channel";
	default:
		return "?";
	}
}
