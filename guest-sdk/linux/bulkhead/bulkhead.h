/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * bulkhead.ko: VMBus channels for a Linux partition (docs/linux-vmbus.md).
 *
 * main.c finds the channels (the `vmbus` node of the partition's device tree
 * for the doorbell interrupts, the channel hypercalls for the rings), maps
 * the rings, keeps each channel's connection state and hands the channel to
 * a frontend by its interface: raw.c (/dev/vmbus/<name>), net.c (bhnet<n>),
 * tty.c (ttyVMB<n>) or integ.c (the integration services). mgmt.c is the
 * root's /dev/bulkhead. The rings are vmbus/ring.c, unchanged.
 *
 * Locking: tx_lock guards the send ring, rx_lock the receive ring, each taken
 * with bottom halves off (the network frontend uses them from NAPI and
 * ndo_start_xmit). A session change takes both (tx_lock first), so a frontend
 * that holds one sees a stable state and session. state_mutex serialises the
 * state machine (work items and probe/remove).
 */
#ifndef BULKHEAD_MODULE_H
#define BULKHEAD_MODULE_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "ring.h"
#include <bulkhead/abi.h>
#include <bulkhead/integration.h>

#define BH_NAME_LEN 17 /* 16 bytes from the hypercall and a NUL */

struct bh_chan;

/* What a frontend (raw, net, tty) does with a channel. */
struct bh_frontend {
	const char *kind;
	/* Creates the frontend's device; the channel is CLOSED and not yet opened. */
	int (*probe)(struct bh_chan *ch);
	void (*remove)(struct bh_chan *ch);
	/* Hard IRQ: the doorbell rang (data, room, or a state change). */
	void (*doorbell)(struct bh_chan *ch);
	/* Process context, after the channel connected, went down, or broke. */
	void (*state_changed)(struct bh_chan *ch);
};

struct bh_chan {
	struct device *parent;
	unsigned int index; /* its number in this partition's list (the hypercalls') */
	char name[BH_NAME_LEN];
	char interface[BH_NAME_LEN];
	bool provider;
	unsigned int self; /* this partition's id */
	unsigned int peer; /* the other side's partition id */
	unsigned int intid;
	int irq;
	phys_addr_t send_ipa, recv_ipa;
	size_t send_size, recv_size;
	void *send_mem, *recv_mem;

	spinlock_t tx_lock;
	spinlock_t rx_lock;
	struct vmbus_ring tx, rx;
	unsigned int state; /* BH_CHANNEL_*, changed under both locks */
	u64 session;
	u64 resets;	     /* times the peer went away while connected */
	u32 broken;	     /* times the peer broke a ring */
	char error[64];	     /* why it last broke */
	bool broken_pending; /* a ring broke: the state work closes and reopens */
	bool left_readable;  /* RESET from a session seen connected: bh_chan_recv_left() */

	struct mutex state_mutex;
	struct work_struct state_work;
	wait_queue_head_t wait; /* woken on every doorbell and state change */

	atomic64_t doorbells_sent, doorbells_received;
	atomic64_t tx_packets, rx_packets, tx_bytes, rx_bytes;

	const struct bh_frontend *frontend;
	void *frontend_data;
	struct device *dev; /* /sys/class/vmbus/<name> (and /dev/vmbus/<name> when raw) */
	dev_t devt;
	struct cdev cdev;
	bool removing;
};

extern const struct bh_frontend bh_raw_frontend;
extern const struct bh_frontend bh_net_frontend;
extern const struct bh_frontend bh_tty_frontend;
extern const struct bh_frontend bh_integ_frontend;

/* The class of /sys/class/vmbus and the raw devices' major (main.c). */
extern struct class *bh_class;
extern dev_t bh_raw_base;

/*
 * Sends one packet, signalling the peer when the ring protocol says so.
 * VMBUS_OK, VMBUS_FULL (the peer rings when there is room), VMBUS_TOOBIG,
 * VMBUS_BROKEN (the channel is being reset; ch->error says why) or
 * -ENOTCONN. Any context; takes tx_lock.
 */
int bh_chan_send(struct bh_chan *ch, u16 type, u64 trans_id, const void *data, u32 len);

/*
 * Receives one packet into buf: VMBUS_OK, VMBUS_EMPTY, VMBUS_TOOBIG (it
 * stays queued; *len says its size), VMBUS_BROKEN or -ENOTCONN. Masks the
 * receive doorbell while the caller drains; bh_chan_rx_ready() unmasks it.
 */
int bh_chan_recv(struct bh_chan *ch, struct vmbus_desc *desc, void *buf, u32 size, u32 *len);

/*
 * Receives one packet in place: `take` sees it in the ring (view->span, the
 * peer's shared memory: copy what you use, read each byte once) under
 * rx_lock with interrupts off, so it must not sleep. If take returns
 * VMBUS_OK the packet is consumed, whatever take did with it (a frontend
 * drops an unwanted packet by not copying it); any other value leaves it
 * queued and is returned. Otherwise as bh_chan_recv: for frontends that
 * size their buffer by the packet (net.c's skbs).
 */
typedef int (*bh_chan_take_fn)(void *ctx, const struct vmbus_packet_view *view);
int bh_chan_recv_with(struct bh_chan *ch, bh_chan_take_fn take, void *ctx);

/*
 * What the peer left in the receive ring when it went away, one packet a
 * call, as bh_chan_recv_with (VMBUS_EMPTY once all is read). Only from the
 * frontend's state_changed for RESET, and only if this side saw that
 * session connected: nobody writes the ring any more, and the state work
 * opens the channel again (which lets the hypervisor zero it) only after
 * state_changed returns. -ENOTCONN otherwise. The peer may have left
 * anything there: check every packet as ever, and read at most
 * bh_chan_max_recv_packets().
 */
int bh_chan_recv_left(struct bh_chan *ch, bh_chan_take_fn take, void *ctx);

/* The most packets the receive ring can hold (each at least a descriptor and a trailer). */
u32 bh_chan_max_recv_packets(const struct bh_chan *ch);

/*
 * Brings the channel up to the hypervisor's state now: if it changed and
 * the state work has not applied it yet, runs the work and waits for it
 * (and so for the frontend's state_changed). Process context; never from
 * state_changed, nor holding a lock that state_changed takes.
 */
void bh_chan_sync_state(struct bh_chan *ch);

/*
 * Before sleeping on an empty receive ring: unmasks the doorbell and returns
 * true if data came meanwhile (or the channel is not connected: the caller
 * looks at the state instead of the ring).
 */
bool bh_chan_rx_ready(struct bh_chan *ch);

/*
 * Data to receive now, without unmasking the doorbell: for a bounded poll
 * before sleeping (docs/vmbus.md, "Polling is allowed around the rules").
 */
bool bh_chan_rx_pending(struct bh_chan *ch);

/* Room for a packet of `len` bytes now (false while not connected). */
bool bh_chan_tx_room(struct bh_chan *ch, u32 len);

/* The largest payload this side can send / receive in the current rings. */
u32 bh_chan_max_send(const struct bh_chan *ch);
u32 bh_chan_max_recv(const struct bh_chan *ch);

/* The state as of the last change (BH_CHANNEL_*), and the session. */
static inline unsigned int bh_chan_state(const struct bh_chan *ch)
{
	return READ_ONCE(ch->state);
}

static inline bool bh_chan_connected(const struct bh_chan *ch)
{
	return bh_chan_state(ch) == BH_CHANNEL_CONNECTED;
}

const char *bh_chan_state_name(unsigned int state);

/* A name of 16 bytes NUL-padded in two registers, little endian, as the hypercalls give it. */
void bh_name_from_regs(u64 lo, u64 hi, char out[BH_NAME_LEN]);

/* /dev/bulkhead (mgmt.c), in the root only: registered at load, removed at unload. */
int bh_mgmt_init(void);
void bh_mgmt_exit(void);

/* The panic notifier that reports a crash to the hypervisor (crash.c). */
void bh_crash_init(void);
void bh_crash_exit(void);

/*
 * The root's side of the integration channels (integ.c), by the child's
 * partition id, for /dev/bulkhead. A heartbeat period is at most an hour.
 */
#define BH_INTEG_HEARTBEAT_MAX_MS 3600000U
struct bh_mgmt_status;
/*
 * Fills the integration fields of `st` (all 0 without a channel to `peer`),
 * as of the hypervisor's channel state now. Process context.
 */
void bh_integ_status(unsigned int peer, struct bh_mgmt_status *st);
/*
 * Sends SHUTDOWN: 0 (*request: its id), -ENOTCONN (no connected channel to
 * `peer`) or -EAGAIN (its ring is full).
 */
int bh_integ_shutdown(unsigned int peer, u32 action, u32 timeout_ms, const char *reason,
		      u64 *request);
/* The period to ask of `peer` from now on, sent at once if it is connected. */
int bh_integ_set_heartbeat(unsigned int peer, u32 period_ms);

#endif
