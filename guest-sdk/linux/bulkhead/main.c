// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * bulkhead.ko: the channels of a Linux partition (docs/linux-vmbus.md).
 *
 * The driver binds to the `vmbus` node that `bhconfig layout` writes into a
 * Linux partition's device tree. The hypervisor is the authority on the
 * channels (the hypercalls give each ring's IPA and size, the doorbell, the
 * role, the peer, the names); the tree gives what Linux needs to map the
 * doorbell interrupt, and the two must agree, or the channel is refused.
 *
 * The state machine follows docs/vmbus.md, "Connection states": a channel is
 * opened at probe; a doorbell makes the driver ask for the state; a new
 * session re-initialises the rings (the hypervisor zeroed them); RESET (the
 * peer went away) is reported to the frontend and the channel opened again,
 * so it reconnects by itself when the peer comes back. A ring the peer broke
 * is reported once, closed (the peer sees RESET) and opened again.
 */
#include <linux/arm-smccc.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/of_irq.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "bulkhead.h"

#define BH_MAX_CHANNELS 16 /* the hypervisor's limit (docs/vmbus.md) */

struct bh_vmbus {
	unsigned int count;
	struct bh_chan *chans[BH_MAX_CHANNELS];
};

struct class *bh_class;
dev_t bh_raw_base;

/* ------------------------------------------------------------------ hypercalls */

static struct arm_smccc_res bh_hvc(u32 fn, unsigned long arg)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(fn, arg, &res);
	return res;
}

/*
 * Calls that return more than x0-x3 (channel INFO and NAME, PARTITION_INFO):
 * SMCCC 1.2's register set. A 1.1 call would not expect x4 to change.
 */
static struct arm_smccc_1_2_regs bh_hvc_wide(u32 fn, unsigned long arg)
{
	struct arm_smccc_1_2_regs args = {.a0 = fn, .a1 = arg}, res;

	arm_smccc_1_2_hvc(&args, &res);
	return res;
}

void bh_name_from_regs(u64 lo, u64 hi, char out[BH_NAME_LEN])
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		out[i] = (char)((i < 8 ? lo >> (8 * i) : hi >> (8 * (i - 8))) & 0xff);
	out[16] = '\0';
}

static void ring_peer(struct bh_chan *ch)
{
	atomic64_inc(&ch->doorbells_sent);
	bh_hvc(BH_HVC_CHANNEL_SIGNAL, ch->index);
}

const char *bh_chan_state_name(unsigned int state)
{
	static const char *const names[] = {"closed", "waiting", "connected", "reset"};

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

/* ------------------------------------------------------------------ data path */

/* Called with a ring's lock held: remember why, and let the state work reset. */
static void chan_broke(struct bh_chan *ch, const struct vmbus_ring *ring, const char *which)
{
	if (ch->broken_pending)
		return;
	ch->broken_pending = true;
	snprintf(ch->error, sizeof(ch->error), "%s ring: %s", which,
		 ring->error ? ring->error : "broken");
	schedule_work(&ch->state_work);
}

/* The rings belong to a live session: connected, and not being reset. Under a ring lock. */
static bool rings_live(const struct bh_chan *ch)
{
	return ch->state == BH_CHANNEL_CONNECTED && !ch->broken_pending;
}

int bh_chan_send(struct bh_chan *ch, u16 type, u64 trans_id, const void *data, u32 len)
{
	unsigned long flags;
	bool signal = false;
	int rc;

	spin_lock_irqsave(&ch->tx_lock, flags);
	if (!rings_live(ch)) {
		rc = ch->broken_pending ? VMBUS_BROKEN : -ENOTCONN;
	} else {
		rc = vmbus_ring_send(&ch->tx, type, trans_id, data, len, &signal);
		if (rc == VMBUS_BROKEN)
			chan_broke(ch, &ch->tx, "send");
	}
	spin_unlock_irqrestore(&ch->tx_lock, flags);
	if (rc == VMBUS_OK) {
		atomic64_inc(&ch->tx_packets);
		atomic64_add(len, &ch->tx_bytes);
	}
	if (signal)
		ring_peer(ch);
	return rc;
}

/* One packet to `take`, from a live ring, or (`left`) from what a peer that went away left. */
static int recv_one(struct bh_chan *ch, bh_chan_take_fn take, void *ctx, bool left)
{
	struct vmbus_packet_view view;
	unsigned long flags;
	bool signal = false;
	int rc;

	spin_lock_irqsave(&ch->rx_lock, flags);
	if (left ? !ch->left_readable : !rings_live(ch)) {
		rc = ch->broken_pending ? VMBUS_BROKEN : -ENOTCONN;
	} else {
		vmbus_ring_mask(&ch->rx);
		rc = vmbus_ring_peek(&ch->rx, &view);
		if (rc == VMBUS_OK) {
			rc = take(ctx, &view);
			if (rc == VMBUS_OK)
				rc = vmbus_ring_consume(&ch->rx, &view, &signal);
		}
		if (rc == VMBUS_BROKEN)
			chan_broke(ch, &ch->rx, "receive");
	}
	spin_unlock_irqrestore(&ch->rx_lock, flags);
	if (rc == VMBUS_OK) {
		atomic64_inc(&ch->rx_packets);
		atomic64_add(view.len, &ch->rx_bytes);
	}
	if (signal && !left)
		ring_peer(ch); /* the peer waits for this much room */
	return rc;
}

int bh_chan_recv_with(struct bh_chan *ch, bh_chan_take_fn take, void *ctx)
{
	return recv_one(ch, take, ctx, false);
}

int bh_chan_recv_left(struct bh_chan *ch, bh_chan_take_fn take, void *ctx)
{
	return recv_one(ch, take, ctx, true);
}

u32 bh_chan_max_recv_packets(const struct bh_chan *ch)
{
	return ch->rx.size / (VMBUS_DESC_SIZE + VMBUS_TRAILER_SIZE);
}

struct recv_buf {
	struct vmbus_desc *desc;
	void *buf;
	u32 size;
	u32 *len;
};

/* bh_chan_recv's copy: the payload into the caller's buffer, or VMBUS_TOOBIG and it stays. */
static int take_copy(void *ctx, const struct vmbus_packet_view *view)
{
	struct recv_buf *b = ctx;

	*b->len = view->len;
	if (view->len > b->size)
		return VMBUS_TOOBIG;
	memcpy(b->buf, view->span[0].p, view->span[0].n);
	memcpy((u8 *)b->buf + view->span[0].n, view->span[1].p, view->span[1].n);
	*b->desc = view->desc;
	return VMBUS_OK;
}

int bh_chan_recv(struct bh_chan *ch, struct vmbus_desc *desc, void *buf, u32 size, u32 *len)
{
	struct recv_buf b = {.desc = desc, .buf = buf, .size = size, .len = len};

	return bh_chan_recv_with(ch, take_copy, &b);
}

bool bh_chan_rx_ready(struct bh_chan *ch)
{
	unsigned long flags;
	bool ready = true;

	spin_lock_irqsave(&ch->rx_lock, flags);
	if (rings_live(ch) && !ch->rx.broken)
		ready = vmbus_ring_unmask(&ch->rx);
	spin_unlock_irqrestore(&ch->rx_lock, flags);
	return ready;
}

bool bh_chan_rx_pending(struct bh_chan *ch)
{
	unsigned long flags;
	bool pending = false;

	spin_lock_irqsave(&ch->rx_lock, flags);
	if (rings_live(ch))
		pending = !vmbus_ring_empty(&ch->rx);
	spin_unlock_irqrestore(&ch->rx_lock, flags);
	return pending;
}

bool bh_chan_tx_room(struct bh_chan *ch, u32 len)
{
	unsigned long flags;
	bool room = false;

	spin_lock_irqsave(&ch->tx_lock, flags);
	if (rings_live(ch))
		room = vmbus_ring_has_room(&ch->tx, len);
	spin_unlock_irqrestore(&ch->tx_lock, flags);
	return room;
}

u32 bh_chan_max_send(const struct bh_chan *ch)
{
	return vmbus_ring_max_payload(&ch->tx);
}

u32 bh_chan_max_recv(const struct bh_chan *ch)
{
	return vmbus_ring_max_payload(&ch->rx);
}

/* ------------------------------------------------------------------ states */

/*
 * Applies the hypervisor's answer (x1 = state, x2 = session) under both
 * locks. Returns true if anything changed that the frontend must hear of.
 */
static bool apply_state(struct bh_chan *ch, struct arm_smccc_res r)
{
	unsigned int state = (unsigned int)r.a1;
	bool changed;
	unsigned long flags;

	if ((long)r.a0 != BH_HVC_OK || state > BH_CHANNEL_RESET) {
		dev_err_ratelimited(ch->parent,
				    "channel %s: the hypervisor answered %ld, state %u\n", ch->name,
				    (long)r.a0, state);
		return false;
	}
	spin_lock_irqsave(&ch->tx_lock, flags);
	spin_lock(&ch->rx_lock);
	changed = state != ch->state || (state == BH_CHANNEL_CONNECTED && r.a2 != ch->session);
	if (state == BH_CHANNEL_CONNECTED && changed) {
		/* A new session: the hypervisor zeroed the region, both rings are empty. */
		vmbus_ring_init(&ch->tx, ch->send_mem, ch->send_size, false);
		vmbus_ring_init(&ch->rx, ch->recv_mem, ch->recv_size, false);
		vmbus_ring_mask(&ch->rx); /* unmasked when a reader finds it empty */
	}
	/*
	 * What the peer wrote before it went away stays readable until this side
	 * opens again (the hypervisor zeroes the region only then): for the
	 * frontend's state_changed, if the rings are this session's.
	 */
	ch->left_readable = state == BH_CHANNEL_RESET && ch->state == BH_CHANNEL_CONNECTED &&
			    r.a2 == ch->session && !ch->broken_pending;
	if (state == BH_CHANNEL_RESET && ch->state == BH_CHANNEL_CONNECTED)
		ch->resets++;
	ch->state = state;
	ch->session = r.a2;
	spin_unlock(&ch->rx_lock);
	spin_unlock_irqrestore(&ch->tx_lock, flags);
	return changed;
}

static void notify(struct bh_chan *ch)
{
	if (ch->frontend->state_changed)
		ch->frontend->state_changed(ch);
	wake_up_interruptible_all(&ch->wait);
}

static void state_work(struct work_struct *work)
{
	struct bh_chan *ch = container_of(work, struct bh_chan, state_work);
	bool changed;

	mutex_lock(&ch->state_mutex);
	if (ch->removing)
		goto out;
	if (READ_ONCE(ch->broken_pending)) {
		unsigned long flags;

		dev_err_ratelimited(
			ch->parent,
			"channel %s: the peer (partition %u) broke the %s; resetting the channel\n",
			ch->name, ch->peer, ch->error);
		/* Close: the peer sees RESET and must open again, which gives clean rings. */
		apply_state(ch, bh_hvc(BH_HVC_CHANNEL_CLOSE, ch->index));
		spin_lock_irqsave(&ch->tx_lock, flags);
		spin_lock(&ch->rx_lock);
		ch->broken++;
		ch->broken_pending = false;
		spin_unlock(&ch->rx_lock);
		spin_unlock_irqrestore(&ch->tx_lock, flags);
		notify(ch);
	}
	changed = apply_state(ch, bh_hvc(BH_HVC_CHANNEL_STATE, ch->index));
	if (changed) {
		if (ch->state == BH_CHANNEL_CONNECTED)
			dev_info(ch->parent,
				 "channel %s: connected to partition %u (session %llu)\n", ch->name,
				 ch->peer, ch->session);
		else if (ch->state == BH_CHANNEL_RESET)
			dev_info_ratelimited(ch->parent,
					     "channel %s: partition %u went away; waiting for it\n",
					     ch->name, ch->peer);
		notify(ch);
	}
	if (ch->state == BH_CHANNEL_RESET || ch->state == BH_CHANNEL_CLOSED) {
		/* Reconnect by ourselves: open again, and wait for the peer. */
		if (apply_state(ch, bh_hvc(BH_HVC_CHANNEL_OPEN, ch->index))) {
			if (ch->state == BH_CHANNEL_CONNECTED)
				dev_info(ch->parent,
					 "channel %s: connected to partition %u (session %llu)\n",
					 ch->name, ch->peer, ch->session);
			notify(ch);
		}
	}
out:
	mutex_unlock(&ch->state_mutex);
}

/* The hypervisor's state of the channel is not the one the state work last applied. */
static bool state_stale(struct bh_chan *ch)
{
	struct arm_smccc_res r = bh_hvc(BH_HVC_CHANNEL_STATE, ch->index);

	return (long)r.a0 != BH_HVC_OK || r.a1 != READ_ONCE(ch->state) ||
	       (r.a1 == BH_CHANNEL_CONNECTED && r.a2 != READ_ONCE(ch->session));
}

void bh_chan_sync_state(struct bh_chan *ch)
{
	if (state_stale(ch))
		schedule_work(&ch->state_work);
	flush_work(&ch->state_work);
}

static irqreturn_t doorbell_irq(int irq, void *data)
{
	struct bh_chan *ch = data;

	atomic64_inc(&ch->doorbells_received);
	/*
	 * Doorbells also ring on state changes: one hypercall tells whether
	 * this one is data (nothing changed) or work for the state machine.
	 */
	if (state_stale(ch))
		schedule_work(&ch->state_work);
	if (ch->frontend->doorbell)
		ch->frontend->doorbell(ch);
	wake_up_interruptible_all(&ch->wait);
	return IRQ_HANDLED;
}

/* ------------------------------------------------------------------ sysfs */

static ssize_t state_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct bh_chan *ch = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", bh_chan_state_name(bh_chan_state(ch)));
}
static DEVICE_ATTR_RO(state);

static ssize_t interface_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct bh_chan *ch = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", ch->interface);
}
static DEVICE_ATTR_RO(interface);

static ssize_t role_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct bh_chan *ch = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", ch->provider ? "provider" : "consumer");
}
static DEVICE_ATTR_RO(role);

static ssize_t frontend_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct bh_chan *ch = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", ch->frontend->kind);
}
static DEVICE_ATTR_RO(frontend);

static ssize_t error_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct bh_chan *ch = dev_get_drvdata(dev);
	char error[sizeof(ch->error)];
	unsigned long flags;

	spin_lock_irqsave(&ch->tx_lock, flags);
	memcpy(error, ch->error, sizeof(error));
	spin_unlock_irqrestore(&ch->tx_lock, flags);
	return sysfs_emit(buf, "%s\n", error[0] ? error : "none");
}
static DEVICE_ATTR_RO(error);

/*
 * The shared ring headers as the peer and we left them (as Hyper-V's in_* and
 * out_* channel attributes): what a stalled channel waits for.
 */
static int ring_line(char *buf, int at, const char *name, const struct vmbus_ring_header *h)
{
	return at +
	       sysfs_emit_at(buf, at, "%s: write %u read %u interrupt_mask %u pending_send_sz %u\n",
			     name, atomic_load(&h->write_index), atomic_load(&h->read_index),
			     atomic_load(&h->interrupt_mask), atomic_load(&h->pending_send_sz));
}

static ssize_t rings_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct bh_chan *ch = dev_get_drvdata(dev);

	return ring_line(buf, ring_line(buf, 0, "send", ch->send_mem), "receive", ch->recv_mem);
}
static DEVICE_ATTR_RO(rings);

#define BH_ATTR_VALUE(field, fmt, expr)                                                           \
	static ssize_t field##_show(struct device *dev, struct device_attribute *attr, char *buf) \
	{                                                                                         \
		struct bh_chan *ch = dev_get_drvdata(dev);                                        \
		return sysfs_emit(buf, fmt "\n", expr);                                           \
	}                                                                                         \
	static DEVICE_ATTR_RO(field)

BH_ATTR_VALUE(index, "%u", ch->index);
BH_ATTR_VALUE(peer, "%u", ch->peer);
BH_ATTR_VALUE(session, "%llu", READ_ONCE(ch->session));
BH_ATTR_VALUE(resets, "%llu", READ_ONCE(ch->resets));
BH_ATTR_VALUE(broken, "%u", READ_ONCE(ch->broken));
BH_ATTR_VALUE(max_payload, "%u", bh_chan_max_send(ch));
BH_ATTR_VALUE(doorbells_sent, "%lld", (long long)atomic64_read(&ch->doorbells_sent));
BH_ATTR_VALUE(doorbells_received, "%lld", (long long)atomic64_read(&ch->doorbells_received));
BH_ATTR_VALUE(tx_packets, "%lld", (long long)atomic64_read(&ch->tx_packets));
BH_ATTR_VALUE(rx_packets, "%lld", (long long)atomic64_read(&ch->rx_packets));
BH_ATTR_VALUE(tx_bytes, "%lld", (long long)atomic64_read(&ch->tx_bytes));
BH_ATTR_VALUE(rx_bytes, "%lld", (long long)atomic64_read(&ch->rx_bytes));

static struct attribute *bh_chan_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_interface.attr,
	&dev_attr_role.attr,
	&dev_attr_frontend.attr,
	&dev_attr_error.attr,
	&dev_attr_index.attr,
	&dev_attr_peer.attr,
	&dev_attr_session.attr,
	&dev_attr_resets.attr,
	&dev_attr_broken.attr,
	&dev_attr_max_payload.attr,
	&dev_attr_doorbells_sent.attr,
	&dev_attr_doorbells_received.attr,
	&dev_attr_tx_packets.attr,
	&dev_attr_rx_packets.attr,
	&dev_attr_tx_bytes.attr,
	&dev_attr_rx_bytes.attr,
	&dev_attr_rings.attr,
	NULL,
};
ATTRIBUTE_GROUPS(bh_chan);

static char *bh_devnode(struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "vmbus/%s", dev_name(dev));
}

/* ------------------------------------------------------------------ discovery */

/* The interfaces with a frontend of their own; every other one is raw. */
static const struct {
	const char *interface;
	const struct bh_frontend *frontend;
} bh_frontends[] = {
	{"net", &bh_net_frontend},
	{"console", &bh_tty_frontend},
	{BH_INTEG_INTERFACE, &bh_integ_frontend},
};

static const struct bh_frontend *frontend_for(const char *interface)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bh_frontends); i++)
		if (strcmp(interface, bh_frontends[i].interface) == 0)
			return bh_frontends[i].frontend;
	return &bh_raw_frontend;
}

/* The tree's node for channel `index`, checked against what the hypervisor said. */
static struct device_node *chan_node(struct device *dev, struct bh_chan *ch)
{
	struct device_node *np;
	u64 region = ch->provider ? ch->send_ipa : ch->recv_ipa;
	u64 other = ch->provider ? ch->recv_ipa : ch->send_ipa;
	u32 index;

	for_each_child_of_node(dev->of_node, np)
	{
		struct resource res;

		if (!of_device_is_compatible(np, "bulkhead,channel-v1") ||
		    of_property_read_u32(np, "index", &index) || index != ch->index)
			continue;
		if (of_address_to_resource(np, 0, &res) || res.start != region ||
		    resource_size(&res) != (u64)ch->send_size + ch->recv_size ||
		    other != region + (ch->provider ? ch->send_size : ch->recv_size)) {
			dev_err(dev,
				"channel %s: %pOF: reg is not the region the hypervisor gives (IPA "
				"%#llx, %zu + %zu bytes); channel skipped\n",
				ch->name, np, region, ch->send_size, ch->recv_size);
			of_node_put(np);
			return ERR_PTR(-EINVAL);
		}
		return np;
	}
	dev_err(dev, "channel %u (%s): no node with index = <%u> under %pOF; channel skipped\n",
		ch->index, ch->name, ch->index, dev->of_node);
	return ERR_PTR(-ENOENT);
}

static int chan_map(struct device *dev, struct bh_chan *ch)
{
	u64 region = ch->provider ? ch->send_ipa : ch->recv_ipa;
	size_t total = ch->send_size + ch->recv_size;

	if (!devm_request_mem_region(dev, region, total, ch->name)) {
		dev_err(dev, "channel %s: region %#llx+%#zx is in use\n", ch->name, region, total);
		return -EBUSY;
	}
	/* Normal write-back memory, as both partitions' stage 2 maps it (docs/vmbus.md). */
	ch->send_mem = devm_memremap(dev, ch->send_ipa, ch->send_size, MEMREMAP_WB);
	ch->recv_mem = devm_memremap(dev, ch->recv_ipa, ch->recv_size, MEMREMAP_WB);
	if (IS_ERR(ch->send_mem) || IS_ERR(ch->recv_mem)) {
		dev_err(dev, "channel %s: cannot map its rings\n", ch->name);
		return -ENOMEM;
	}
	if (vmbus_ring_init(&ch->tx, ch->send_mem, ch->send_size, false) != VMBUS_OK ||
	    vmbus_ring_init(&ch->rx, ch->recv_mem, ch->recv_size, false) != VMBUS_OK) {
		dev_err(dev, "channel %s: ring sizes %zu and %zu are not rings\n", ch->name,
			ch->send_size, ch->recv_size);
		return -EINVAL;
	}
	return 0;
}

/* Channel `index` from the hypervisor, or NULL when there is none (or it is unusable). */
static struct bh_chan *chan_probe(struct device *dev, unsigned int index, int *error)
{
	struct arm_smccc_1_2_regs info = bh_hvc_wide(BH_HVC_CHANNEL_INFO, index);
	struct arm_smccc_1_2_regs name;
	struct device_node *np;
	struct bh_chan *ch;
	int rc;

	*error = 0;
	if ((long)info.a0 != BH_HVC_OK)
		return NULL; /* past the list */
	name = bh_hvc_wide(BH_HVC_CHANNEL_NAME, index);
	ch = devm_kzalloc(dev, sizeof(*ch), GFP_KERNEL);
	if (!ch) {
		*error = -ENOMEM;
		return NULL;
	}
	ch->parent = dev;
	ch->index = index;
	ch->send_ipa = info.a1;
	ch->send_size = info.a2;
	ch->recv_ipa = info.a3;
	ch->recv_size = info.a4;
	ch->intid = info.a5 & 0xffff;
	ch->provider = (info.a5 & BH_CHANNEL_PROVIDER) != 0;
	ch->peer = (info.a5 >> 32) & 0xff;
	ch->self = (unsigned int)bh_hvc_wide(BH_HVC_PARTITION_INFO, 0).a1; /* it sets x4 */
	bh_name_from_regs(name.a1, name.a2, ch->name);
	bh_name_from_regs(name.a3, name.a4, ch->interface);
	ch->state = BH_CHANNEL_CLOSED;
	spin_lock_init(&ch->tx_lock);
	spin_lock_init(&ch->rx_lock);
	mutex_init(&ch->state_mutex);
	INIT_WORK(&ch->state_work, state_work);
	init_waitqueue_head(&ch->wait);
	ch->frontend = frontend_for(ch->interface);

	np = chan_node(dev, ch);
	if (IS_ERR(np))
		return NULL; /* said why; the other channels go on */
	ch->irq = of_irq_get(np, 0);
	of_node_put(np);
	if (ch->irq <= 0) {
		dev_err(dev, "channel %s: no doorbell interrupt in its node; channel skipped\n",
			ch->name);
		return NULL;
	}
	if (chan_map(dev, ch))
		return NULL;
	rc = devm_request_irq(dev, ch->irq, doorbell_irq, 0, ch->name, ch);
	if (rc) {
		dev_err(dev, "channel %s: doorbell IRQ %d: %d\n", ch->name, ch->irq, rc);
		return NULL;
	}
	return ch;
}

static int chan_start(struct bh_chan *ch, struct bh_vmbus *bus)
{
	int rc;

	if (ch->frontend == &bh_raw_frontend)
		ch->devt = MKDEV(MAJOR(bh_raw_base), MINOR(bh_raw_base) + ch->index);
	ch->dev = device_create_with_groups(bh_class, ch->parent, ch->devt, ch, bh_chan_groups,
					    "%s", ch->name);
	if (IS_ERR(ch->dev)) {
		rc = PTR_ERR(ch->dev);
		ch->dev = NULL;
		return rc;
	}
	rc = ch->frontend->probe(ch);
	if (rc) {
		dev_err(ch->parent, "channel %s: %s frontend: %d\n", ch->name, ch->frontend->kind,
			rc);
		device_unregister(ch->dev); /* not by devt: every channel but a raw one has 0 */
		ch->dev = NULL;
		return rc;
	}
	dev_info(ch->parent, "channel %s: %s of %s, peer partition %u, doorbell %u, %s\n", ch->name,
		 ch->provider ? "provider" : "consumer", ch->interface, ch->peer, ch->intid,
		 ch->frontend->kind);
	bus->chans[bus->count++] = ch;
	schedule_work(&ch->state_work); /* opens it */
	return 0;
}

static void chan_stop(struct bh_chan *ch)
{
	mutex_lock(&ch->state_mutex);
	ch->removing = true;
	mutex_unlock(&ch->state_mutex);
	disable_irq(ch->irq);
	cancel_work_sync(&ch->state_work);
	bh_hvc(BH_HVC_CHANNEL_CLOSE, ch->index);
	WRITE_ONCE(ch->state, BH_CHANNEL_CLOSED);
	wake_up_interruptible_all(&ch->wait);
	ch->frontend->remove(ch);
	device_unregister(ch->dev);
}

static int bh_vmbus_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct arm_smccc_res version = bh_hvc(BH_HVC_VERSION, 0);
	struct bh_vmbus *bus;
	unsigned int index;
	int error;

	if ((version.a0 >> 16) != (BH_HVC_ABI_VERSION >> 16)) {
		dev_err(dev, "not running on Bulkhead ABI %u (the hypervisor answered %#lx)\n",
			BH_HVC_ABI_VERSION >> 16, version.a0);
		return -ENODEV;
	}
	bus = devm_kzalloc(dev, sizeof(*bus), GFP_KERNEL);
	if (!bus)
		return -ENOMEM;
	platform_set_drvdata(pdev, bus);
	for (index = 0; index < BH_MAX_CHANNELS; index++) {
		struct bh_chan *ch = chan_probe(dev, index, &error);

		if (error)
			return error;
		if (!ch) {
			if ((long)bh_hvc(BH_HVC_CHANNEL_INFO, index).a0 != BH_HVC_OK)
				break; /* the end of the list */
			continue;      /* refused, and said why */
		}
		if (chan_start(ch, bus))
			continue;
	}
	dev_info(dev, "%u channel(s), Bulkhead ABI %lu.%lu\n", bus->count, version.a0 >> 16,
		 version.a0 & 0xffff);
	return 0;
}

static int bh_vmbus_remove(struct platform_device *pdev)
{
	struct bh_vmbus *bus = platform_get_drvdata(pdev);
	unsigned int i;

	for (i = 0; i < bus->count; i++)
		chan_stop(bus->chans[i]);
	return 0;
}

static const struct of_device_id bh_vmbus_of_match[] = {
	{.compatible = "bulkhead,vmbus-v1"},
	{},
};
MODULE_DEVICE_TABLE(of, bh_vmbus_of_match);

static struct platform_driver bh_vmbus_driver = {
	.probe = bh_vmbus_probe,
	.remove = bh_vmbus_remove,
	.driver =
		{
			.name = "bulkhead-vmbus",
			.of_match_table = bh_vmbus_of_match,
		},
};

static int __init bh_init(void)
{
	int rc = alloc_chrdev_region(&bh_raw_base, 0, BH_MAX_CHANNELS, "vmbus");

	if (rc)
		return rc;
	bh_class = class_create(THIS_MODULE, "vmbus");
	if (IS_ERR(bh_class)) {
		rc = PTR_ERR(bh_class);
		goto err_region;
	}
	bh_class->devnode = bh_devnode;
	rc = platform_driver_register(&bh_vmbus_driver);
	if (rc)
		goto err_class;
	rc = bh_mgmt_init();
	if (rc)
		goto err_driver;
	bh_crash_init();
	return 0;
err_driver:
	platform_driver_unregister(&bh_vmbus_driver);
err_class:
	class_destroy(bh_class);
err_region:
	unregister_chrdev_region(bh_raw_base, BH_MAX_CHANNELS);
	return rc;
}

static void __exit bh_exit(void)
{
	bh_crash_exit();
	bh_mgmt_exit();
	platform_driver_unregister(&bh_vmbus_driver);
	class_destroy(bh_class);
	unregister_chrdev_region(bh_raw_base, BH_MAX_CHANNELS);
}

module_init(bh_init);
module_exit(bh_exit);
MODULE_DESCRIPTION(
	"Bulkhead VMBus channels (raw devices, network, console, integration), /dev/bulkhead "
	"and crash reports");
MODULE_AUTHOR("The Bulkhead developers");
MODULE_LICENSE("Dual MIT/GPL");
