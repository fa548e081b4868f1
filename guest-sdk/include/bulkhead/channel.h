/* SPDX-License-Identifier: MIT */
/*
 * VMBus channels for SDK programs (docs/vmbus.md): find a channel the system
 * device tree gave this partition, open it, send and receive packets over
 * its two rings, sleep until its doorbell rings. One CPU uses a channel at a
 * time (the SDK takes no lock here).
 *
 * A VSP (provider) and a VSC (consumer) use the same calls; the provider
 * usually serves many channels from one loop:
 *
 *   for (;;) {
 *       for each channel: bh_channel_update(), then drain bh_channel_recv()
 *       bh_channel_wait(channels, n);   // sleeps until a doorbell
 *   }
 */
#ifndef BULKHEAD_CHANNEL_H
#define BULKHEAD_CHANNEL_H

#include <bulkhead/abi.h>
#include <bulkhead/sdk.h>
#include <stdatomic.h>
#include <vmbus/ring.h>

/* Status codes besides the ring's VMBUS_* (vmbus/ring.h). */
#define BH_CHANNEL_NOT_CONNECTED (-10) /* the state is not CONNECTED (see ch->state) */
#define BH_CHANNEL_NO_SUCH	 (-11) /* no channel of that number or name */

struct bh_channel {
	unsigned index; /* its number in this partition's list */
	char name[17];	/* the channel's node name */
	char interface[17];
	bool provider; /* this side is the provider (VSP) */
	unsigned peer; /* the other side's partition id */
	unsigned irq;  /* this side's doorbell (INTID) */
	uintptr_t send_ring, receive_ring;
	size_t send_size, receive_size;
	unsigned state;	  /* BH_CHANNEL_*, as of the last update */
	uint64_t session; /* which connection the rings belong to */
	struct vmbus_ring tx, rx;
	atomic_bool doorbell; /* set by the doorbell interrupt, cleared by bh_channel_wait */
	unsigned long doorbells_sent;
	unsigned long doorbells_received;
};

/* The number of channels this partition has. */
unsigned bh_channel_count(void);

/*
 * Fills *ch with channel `index` of this partition and enables its doorbell
 * interrupt (bh_irq_init must have run). BH_CHANNEL_NO_SUCH if there is none.
 */
int bh_channel_get(unsigned index, struct bh_channel *ch);

/* The same for the first channel whose name, or else interface, is `name`. */
int bh_channel_find(const char *name, struct bh_channel *ch);

/* Opens this side. Returns the new state: BH_CHANNEL_WAITING or BH_CHANNEL_CONNECTED. */
int bh_channel_open(struct bh_channel *ch);

/* Closes this side: a connected peer sees BH_CHANNEL_RESET. */
void bh_channel_close(struct bh_channel *ch);

/*
 * Asks the hypervisor for the state (one hypercall) and, when a new session
 * has connected, sets up the rings for it. Returns the state.
 */
unsigned bh_channel_update(struct bh_channel *ch);

/*
 * Sleeps (WFI) until a doorbell of one of these channels rings, or has rung
 * since the last call returned, or one of them has data waiting. Call it
 * after a receive found nothing or a send found no room: no wakeup is lost.
 * It may return with nothing to do (a doorbell for a packet already read):
 * callers loop.
 *
 * Before it sleeps it polls the receive rings, still masked, for up to
 * BH_CHANNEL_POLL_US microseconds: while the peer streams, data comes within
 * that, and the peer rings no doorbell for it (the send waits likewise poll
 * for room before they ask to be rung). A partition owns its CPU, so the
 * poll costs nobody else; under QEMU's round-robin TCG each poll's YIELD
 * lets the peer's vCPU run.
 */
#define BH_CHANNEL_POLL_US 50U
void bh_channel_wait(struct bh_channel *const *channels, unsigned n);

/*
 * One packet, without blocking: VMBUS_OK, VMBUS_FULL (no room now: the peer
 * will ring when there is), VMBUS_TOOBIG, VMBUS_BROKEN (ch->tx.error says
 * why) or BH_CHANNEL_NOT_CONNECTED. Rings the peer's doorbell when needed.
 */
int bh_channel_send(struct bh_channel *ch, uint16_t type, uint64_t trans_id, const void *data,
		    uint32_t length);

/*
 * Receives one packet without blocking: VMBUS_OK (payload in buf, its
 * length in *length), VMBUS_EMPTY, VMBUS_TOOBIG, VMBUS_BROKEN (ch->rx.error)
 * or BH_CHANNEL_NOT_CONNECTED.
 */
int bh_channel_recv(struct bh_channel *ch, struct vmbus_desc *desc, void *buf, uint32_t size,
		    uint32_t *length);

/*
 * Rings the peer's doorbell, with no packet: the calls above ring it when the
 * ring protocol needs it, so a program rarely does. BH_HVC_OK, or
 * BH_HVC_DENIED unless the channel is connected.
 */
int bh_channel_signal(struct bh_channel *ch);

/* The blocking versions: they sleep until done, or until the state changes. */
int bh_channel_send_wait(struct bh_channel *ch, uint16_t type, uint64_t trans_id, const void *data,
			 uint32_t length);
int bh_channel_recv_wait(struct bh_channel *ch, struct vmbus_desc *desc, void *buf, uint32_t size,
			 uint32_t *length);

/* Sleeps until the channel is CONNECTED; returns the state reached otherwise (RESET). */
unsigned bh_channel_wait_connected(struct bh_channel *ch);

/* A readable name for a state or a status code, for messages. */
const char *bh_channel_state_name(unsigned state);
const char *bh_channel_status_name(int status);

#endif
