// SPDX-License-Identifier: MIT
/*
 * VMBus channels at run time (docs/vmbus.md, "Connection states").
 *
 * Each side of a channel is CLOSED, WAITING (opened, the peer has not),
 * CONNECTED, or RESET (it was connected and the peer went away). A session
 * starts when the second side opens: only then, with neither side using the
 * rings, is the region zeroed (a zeroed ring is an empty ring, and nothing of
 * the last session leaks into the next). A side that was RESET must open
 * again before a new session can start, which is its promise that it has
 * stopped touching the rings: so the zeroing never races a writer.
 *
 * The zeroing (up to 2 GiB) runs outside the channel's lock, so the peer's
 * calls never wait for it: both sides stay WAITING until it is done, and the
 * session starts then only if both still are.
 *
 * Lock order: a channel's lock, then the peer's vGIC lock (vgic_raise).
 */
#include <bulkhead/abi.h>
#include <core/channel.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/string.h>

struct channel {
	const struct config_channel *cfg;
	spinlock_t lock;
	unsigned state[2]; /* [SIDE_PROVIDER], [SIDE_CONSUMER]: BH_CHANNEL_* */
	uint64_t session;  /* connections so far */
	bool zeroing;	   /* an open is zeroing the region for a new session */
};

static struct channel channels[BH_MAX_CHANNELS];
static struct partition *partition_of_id;

static const char *const state_name[] = {"closed", "waiting", "connected", "reset"};

void channels_init(const struct config *cfg, struct partition *partitions)
{
	partition_of_id = partitions;
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		channels[i].cfg = &cfg->channels[i];
	}
}

/* Rings side's doorbell: a virtual SPI of its partition, delivered on whichever CPU runs it. */
static void ring_doorbell(const struct channel *ch, unsigned side)
{
	const struct config_channel_end *e = &ch->cfg->end[side];
	vgic_raise(&partition_of_id[e->partition].vgic, 0, e->irq);
}

/* Side `side` closes (lock held). */
static void close_side(struct channel *ch, unsigned side)
{
	unsigned peer = 1 - side;
	if (ch->state[side] == BH_CHANNEL_CLOSED) {
		return;
	}
	if (ch->state[side] == BH_CHANNEL_CONNECTED) {
		ch->state[peer] = BH_CHANNEL_RESET;
		ring_doorbell(ch, peer);
	}
	ch->state[side] = BH_CHANNEL_CLOSED;
}

/* Side `side` opens (lock held); true if the caller must zero the region, then connect(). */
static bool open_side(struct channel *ch, unsigned side)
{
	unsigned peer = 1 - side;
	if (ch->state[side] == BH_CHANNEL_WAITING || ch->state[side] == BH_CHANNEL_CONNECTED) {
		return false;
	}
	ch->state[side] = BH_CHANNEL_WAITING;
	if (ch->state[peer] != BH_CHANNEL_WAITING || ch->zeroing) {
		return false;
	}
	ch->zeroing = true;
	return true;
}

/* The region is zeroed (lock held): a fresh session if both sides still wait for it. */
static bool connect(struct channel *ch, unsigned side)
{
	unsigned peer = 1 - side;
	BUG_ON(!ch->zeroing);
	ch->zeroing = false;
	if (ch->state[side] != BH_CHANNEL_WAITING || ch->state[peer] != BH_CHANNEL_WAITING) {
		return false;
	}
	ch->session++;
	ch->state[side] = BH_CHANNEL_CONNECTED;
	ch->state[peer] = BH_CHANNEL_CONNECTED;
	ring_doorbell(ch, peer);
	return true;
}

static void channel_info(const struct channel *ch, unsigned side, uint64_t *x)
{
	const struct config_channel *c = ch->cfg;
	uint64_t ring0 = ipa_addr(c->end[side].ipa); /* the provider's ring, then the consumer's */
	uint64_t ring1 = ring0 + c->ring_size[0];
	x[1] = side == SIDE_PROVIDER ? ring0 : ring1; /* the ring it sends on */
	x[2] = c->ring_size[side];
	x[3] = side == SIDE_PROVIDER ? ring1 : ring0;
	x[4] = c->ring_size[1 - side];
	x[5] = c->end[side].irq | (side == SIDE_PROVIDER ? BH_CHANNEL_PROVIDER : 0) |
	       (uint64_t)c->end[1 - side].partition << 32;
}

bool channel_hypercall(struct partition *p, uint32_t fn, uint64_t *x)
{
	if (fn < BH_HVC_CHANNEL_INFO || fn > BH_HVC_CHANNEL_SIGNAL) {
		return false;
	}
	const struct config_partition *cfg = p->cfg;
	if (x[1] >= cfg->channel_count) {
		x[0] = (uint64_t)(int64_t)BH_HVC_INVALID;
		return true;
	}
	struct channel *ch = &channels[cfg->channels[x[1]]];
	unsigned side = config_channel_side(ch->cfg, p->id);

	spin_lock(&ch->lock);
	unsigned before = ch->state[side];
	bool zero = false;
	/*
	 * A vCPU still in flight while its partition stops must not reopen (or
	 * signal) what channels_partition_down() closes: the stop changes the
	 * state before it takes this lock, so looking under the lock orders them.
	 */
	bool running = atomic_load(&p->state) == PARTITION_RUNNING;
	x[0] = BH_HVC_OK;
	switch (fn) {
	case BH_HVC_CHANNEL_INFO:
		channel_info(ch, side, x);
		break;
	case BH_HVC_CHANNEL_NAME:
		hypercall_put_name(ch->cfg->name, &x[1]);
		hypercall_put_name(ch->cfg->interface, &x[3]);
		break;
	case BH_HVC_CHANNEL_SIGNAL:
		if (running && ch->state[side] == BH_CHANNEL_CONNECTED) {
			ring_doorbell(ch, 1 - side);
		} else {
			x[0] = (uint64_t)(int64_t)BH_HVC_DENIED;
		}
		break;
	default: /* OPEN, CLOSE, STATE */
		if (fn == BH_HVC_CHANNEL_OPEN && !running) {
			x[0] = (uint64_t)(int64_t)BH_HVC_DENIED;
		} else if (fn == BH_HVC_CHANNEL_OPEN) {
			zero = open_side(ch, side);
		} else if (fn == BH_HVC_CHANNEL_CLOSE) {
			close_side(ch, side);
		}
		x[1] = ch->state[side];
		x[2] = ch->session;
		break;
	}
	unsigned after = ch->state[side];
	spin_unlock(&ch->lock);
	if (zero) {
		/* Neither side touches the rings now (see the top). */
		memset(pa_to_ptr(ch->cfg->pa), 0, ch->cfg->size);
		spin_lock(&ch->lock);
		bool connected = connect(ch, side);
		after = ch->state[side];
		x[1] = after;
		x[2] = ch->session;
		spin_unlock(&ch->lock);
		if (connected) {
			log_info("vmbus: channel %s connected (%s <-> %s, session %lu)",
				 ch->cfg->name,
				 partition_of_id[ch->cfg->end[SIDE_PROVIDER].partition].cfg->name,
				 partition_of_id[ch->cfg->end[SIDE_CONSUMER].partition].cfg->name,
				 x[2]);
		}
	}
	if (before != after) {
		log_debug("vmbus: %s: channel %s %s -> %s", cfg->name, ch->cfg->name,
			  state_name[before], state_name[after]);
	}
	return true;
}

void channels_partition_down(const struct partition *p)
{
	for (unsigned i = 0; i < p->cfg->channel_count; i++) {
		struct channel *ch = &channels[p->cfg->channels[i]];
		unsigned side = config_channel_side(ch->cfg, p->id);
		spin_lock(&ch->lock);
		bool was_connected = ch->state[side] == BH_CHANNEL_CONNECTED;
		close_side(ch, side);
		spin_unlock(&ch->lock);
		if (was_connected) {
			log_info("vmbus: channel %s: %s went away, %s is reset", ch->cfg->name,
				 p->cfg->name,
				 partition_of_id[ch->cfg->end[1 - side].partition].cfg->name);
		}
	}
}
