// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Network channels: bhnet<n>, an Ethernet device over each channel whose
 * interface is "net" (docs/linux-vmbus.md, "Network: bhnet").
 *
 * On the wire (docs/linux-vmbus.md, "Network: bhnet"), a packet of type
 * BH_NET_FRAME carries one Ethernet frame, destination address first,
 * without preamble, padding or FCS. Its trans_id is 0, or, to a peer that
 * announced BH_NET_F_CSUM, BH_NET_CSUM_PARTIAL with the checksum's start and
 * offset: the frame's checksum field holds only the pseudo-header's sum and
 * the receiver completes it or, like Linux, takes it as CHECKSUM_PARTIAL. A
 * packet of type BH_NET_HELLO, which each side sends once a session connects,
 * announces its features (a little-endian u32). Other types are reserved: a
 * receiver drops them. So a peer that knows only frames (a bare-metal stack)
 * gets complete checksums, and two Linux partitions checksum nothing.
 *
 * Receive is NAPI: the doorbell schedules the poll, which drains the ring
 * (still masked, bh_chan_recv_with) into skbs sized by each frame, then
 * unmasks it and looks again (bh_chan_rx_ready). Transmit copies the frame
 * into the ring; a full ring stops the queue, and the doorbell the peer rings
 * when it has made the room (the ring's pending_send_sz) wakes it.
 *
 * The peer is not trusted: a frame longer than the MTU, shorter than an
 * Ethernet header, or of another type is dropped and counted; a broken ring
 * makes main.c reset the channel, and the carrier is off until it connects
 * again.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/slab.h>

#include "bulkhead.h"

#define BH_NET_FRAME 1 /* the packet type of a frame */
#define BH_NET_HELLO 2 /* the packet type of a side's features */

/* Features in a hello. */
#define BH_NET_F_CSUM 0x1U /* I take BH_NET_CSUM_PARTIAL frames */

/* A frame's trans_id: its checksum is for the receiver to complete. */
#define BH_NET_CSUM_PARTIAL   (1ULL << 32)
#define BH_NET_CSUM_START(t)  ((u32)(t)&0xffff)		  /* from the frame's start */
#define BH_NET_CSUM_OFFSET(t) ((u32)((t) >> 16) & 0xffff) /* of the field, from the start */

/* IPv4's largest packet; a larger MTU only helps IPv6 jumbograms. */
#define NET_MTU_CAP   65535U
/*
 * Frames up to this size are received into one linear skb; a larger one gets
 * its first RX_HEAD bytes (every header the stack reads) linear and the rest
 * in pages, so a 64 KiB frame costs no high-order allocation.
 */
#define RX_LINEAR_MAX 2048U
#define RX_HEAD	      256U

static bool csum_offload = true;
module_param(csum_offload, bool, 0644);
MODULE_PARM_DESC(csum_offload, "bhnet devices take frames whose checksums the peer left to them "
			       "(announced to each new session)");

struct bh_net {
	struct bh_chan *ch;
	struct net_device *dev;
	struct napi_struct napi;
	u32 frame_max; /* max_mtu + a VLAN Ethernet header */
	u32 tx_want;   /* the frame that found the ring full: the room that wakes the queue */
	u64 peer_csum_session; /* the session whose peer said BH_NET_F_CSUM (U64_MAX: none) */
	u64 hello_session;     /* the last session whose hello was logged (the poll's) */
	void *tx_bounce; /* a paged skb, gathered for the ring (ndo_start_xmit is serialised) */
};

/* What one received packet turned out to be (net_take, under the ring's lock). */
enum rx_verdict { RX_FRAME, RX_HELLO, RX_OTHER_TYPE, RX_BAD_LENGTH, RX_NO_MEMORY };

struct net_rx {
	struct bh_net *net;
	u32 limit; /* the longest frame accepted: MTU + VLAN Ethernet header */
	enum rx_verdict verdict;
	struct sk_buff *skb;
	u64 trans_id; /* a frame's */
	u32 features; /* a hello's */
	u64 session;  /* a hello's: the session it came in */
};

/*
 * The largest frame for these rings: a packet of at most a quarter of the
 * smaller ring's data area (the reader hands room back in quarters, so a
 * full-size frame never waits for the whole ring to drain), and no more
 * pages than an skb has fragments.
 */
static u32 frame_limit(const struct bh_chan *ch)
{
	size_t data = min(ch->send_size, ch->recv_size) - VMBUS_RING_HEADER_SIZE;
	u32 quarter = (u32)(data / 4) - VMBUS_DESC_SIZE - VMBUS_TRAILER_SIZE;

	quarter &= ~(VMBUS_PACKET_ALIGN - 1);
	return min_t(u32, quarter, RX_HEAD + MAX_SKB_FRAGS * PAGE_SIZE);
}

/* An skb for a frame of `len` bytes, its length set, its data not yet there. */
static struct sk_buff *rx_alloc(struct bh_net *net, u32 len)
{
	struct sk_buff *skb;
	u32 off;
	int i;

	if (len <= RX_LINEAR_MAX) {
		skb = napi_alloc_skb(&net->napi, len);
		if (skb)
			skb_put(skb, len);
		return skb;
	}
	skb = napi_alloc_skb(&net->napi, RX_HEAD);
	if (!skb)
		return NULL;
	skb_put(skb, RX_HEAD);
	for (off = RX_HEAD, i = 0; off < len; i++) {
		u32 chunk = min_t(u32, len - off, PAGE_SIZE);
		struct page *page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);

		if (!page) {
			dev_kfree_skb_any(skb);
			return NULL;
		}
		skb_add_rx_frag(skb, i, page, 0, chunk, PAGE_SIZE);
		off += chunk;
	}
	return skb;
}

/* bh_chan_recv_with's callback: copy the frame out of the ring, or drop it there. */
static int net_take(void *ctx, const struct vmbus_packet_view *view)
{
	struct net_rx *rx = ctx;
	struct sk_buff *skb;

	rx->skb = NULL;
	if (view->desc.type == BH_NET_HELLO && view->len >= sizeof(__le32)) {
		__le32 features;

		memcpy(&features, view->span[0].p, min_t(u32, view->span[0].n, sizeof(features)));
		if (view->span[0].n < sizeof(features))
			memcpy((u8 *)&features + view->span[0].n, view->span[1].p,
			       sizeof(features) - view->span[0].n);
		rx->features = le32_to_cpu(features);
		rx->session = rx->net->ch->session; /* stable: rx_lock is held */
		rx->verdict = RX_HELLO;
		return VMBUS_OK;
	}
	if (view->desc.type != BH_NET_FRAME) {
		rx->verdict = RX_OTHER_TYPE;
		return VMBUS_OK;
	}
	if (view->len < ETH_HLEN || view->len > rx->limit) {
		rx->verdict = RX_BAD_LENGTH;
		return VMBUS_OK;
	}
	skb = rx_alloc(rx->net, view->len);
	if (!skb) {
		rx->verdict = RX_NO_MEMORY;
		return VMBUS_OK;
	}
	/* Cannot fail: the skb holds exactly view->len bytes. */
	skb_store_bits(skb, 0, view->span[0].p, (int)view->span[0].n);
	if (view->span[1].n)
		skb_store_bits(skb, (int)view->span[0].n, view->span[1].p, (int)view->span[1].n);
	rx->verdict = RX_FRAME;
	rx->skb = skb;
	rx->trans_id = view->desc.trans_id;
	return VMBUS_OK;
}

/*
 * A frame whose checksum the peer left to us: CHECKSUM_PARTIAL, as a frame
 * from this host's own stack would be, if the field is inside the frame's
 * headers (the linear part). False: drop it.
 */
static bool rx_partial_csum(struct sk_buff *skb, u64 trans_id)
{
	u32 start = BH_NET_CSUM_START(trans_id);
	u32 field = start + BH_NET_CSUM_OFFSET(trans_id);

	if (!(trans_id & BH_NET_CSUM_PARTIAL))
		return true; /* complete: the stack checks it */
	/* After eth_type_trans, skb->data is past the Ethernet header. */
	if (start < ETH_HLEN || field + sizeof(__sum16) > ETH_HLEN + skb_headlen(skb))
		return false;
	return skb_partial_csum_set(skb, (u16)(start - ETH_HLEN),
				    (u16)BH_NET_CSUM_OFFSET(trans_id));
}

/*
 * The peer made room for the frame that stopped the queue: start it again.
 * From the doorbell (hard IRQ) and the poll.
 */
static void net_wake_tx(struct bh_net *net)
{
	/* Pairs with net_xmit's barrier: its stop, then its look at the ring. */
	smp_mb();
	if (netif_running(net->dev) && netif_queue_stopped(net->dev) &&
	    bh_chan_tx_room(net->ch, READ_ONCE(net->tx_want)))
		netif_wake_queue(net->dev);
}

/* A frame to the stack, counted, or dropped if its checksum fields are wrong. */
static void rx_deliver(struct bh_net *net, struct net_rx *rx)
{
	struct net_device *dev = net->dev;
	u32 len = rx->skb->len;

	rx->skb->protocol = eth_type_trans(rx->skb, dev);
	if (!rx_partial_csum(rx->skb, rx->trans_id)) {
		dev->stats.rx_frame_errors++;
		dev->stats.rx_errors++;
		kfree_skb(rx->skb);
		return;
	}
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += len;
	napi_gro_receive(&net->napi, rx->skb);
}

/* The peer's features for this session. */
static void rx_hello(struct bh_net *net, const struct net_rx *rx)
{
	bool csum = rx->features & BH_NET_F_CSUM;

	WRITE_ONCE(net->peer_csum_session, csum ? rx->session : U64_MAX);
	if (rx->session == net->hello_session)
		return; /* said once a session: a peer repeating itself floods no log */
	net->hello_session = rx->session;
	netdev_info(net->dev, "session %llu: partition %u %s\n", rx->session, net->ch->peer,
		    csum ? "takes frames with checksums left to it" : "needs complete checksums");
}

/* More to receive after the poll unmasked the ring (and the channel still up)? */
static bool rx_more(struct bh_chan *ch)
{
	return bh_chan_rx_ready(ch) && bh_chan_connected(ch) && !READ_ONCE(ch->broken_pending);
}

static int net_poll(struct napi_struct *napi, int budget)
{
	struct bh_net *net = container_of(napi, struct bh_net, napi);
	struct net_device *dev = net->dev;
	struct net_rx rx = {.net = net, .limit = READ_ONCE(dev->mtu) + VLAN_ETH_HLEN};
	int done = 0;

	while (done < budget && bh_chan_recv_with(net->ch, net_take, &rx) == VMBUS_OK) {
		done++;
		switch (rx.verdict) {
		case RX_FRAME:
			rx_deliver(net, &rx);
			break;
		case RX_HELLO:
			rx_hello(net, &rx);
			break;
		case RX_BAD_LENGTH:
			dev->stats.rx_length_errors++;
			dev->stats.rx_errors++;
			break;
		case RX_OTHER_TYPE:
		case RX_NO_MEMORY:
			dev->stats.rx_dropped++;
			break;
		}
	}
	/* Not connected or broken: the state change (main.c) schedules the next poll. */
	net_wake_tx(net);
	if (done < budget && napi_complete_done(napi, done) && rx_more(net->ch))
		napi_schedule(napi);
	return done;
}

/*
 * The trans_id that leaves a frame's checksum to the peer, or 0 if the peer
 * did not say, in this session, that it takes that (the caller checksums).
 */
static u64 tx_partial_csum(struct bh_net *net, const struct sk_buff *skb)
{
	int start = skb_checksum_start_offset(skb);

	/* csum_offset is 16 bits already. */
	if (READ_ONCE(net->peer_csum_session) != READ_ONCE(net->ch->session) || start < 0 ||
	    start > 0xffff)
		return 0;
	return BH_NET_CSUM_PARTIAL | (u64)start | (u64)skb->csum_offset << 16;
}

static netdev_tx_t net_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct bh_net *net = netdev_priv(dev);
	const void *frame = skb->data;
	u32 len = skb->len;
	u64 meta = 0;
	int rc;

	if (len > net->frame_max)
		goto drop; /* stacked VLAN headers on a full-size frame */
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		meta = tx_partial_csum(net, skb);
		if (!meta && skb_checksum_help(skb))
			goto drop;
	}
	if (skb_is_nonlinear(skb)) {
		if (skb_copy_bits(skb, 0, net->tx_bounce, (int)len))
			goto drop;
		frame = net->tx_bounce;
	}
	for (;;) {
		rc = bh_chan_send(net->ch, BH_NET_FRAME, meta, frame, len);
		if (rc != VMBUS_FULL)
			break;
		/*
		 * The send asked the peer to ring once this frame fits. Stop, then
		 * look again: room made before the stop rang a doorbell that found
		 * the queue running, and no other doorbell comes.
		 */
		WRITE_ONCE(net->tx_want, len);
		netif_stop_queue(dev);
		smp_mb__after_atomic();
		if (!bh_chan_tx_room(net->ch, len))
			return NETDEV_TX_BUSY; /* the qdisc keeps the skb for the wake */
		netif_start_queue(dev);
	}
	if (rc != VMBUS_OK)
		goto drop; /* not connected, or the ring broke: the carrier goes off */
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += len;
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
drop:
	dev->stats.tx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

/* NAPI from process context: the softirq runs at local_bh_enable(). */
static void net_schedule_poll(struct bh_net *net)
{
	local_bh_disable();
	napi_schedule(&net->napi);
	local_bh_enable();
}

static int net_open(struct net_device *dev)
{
	struct bh_net *net = netdev_priv(dev);

	napi_enable(&net->napi);
	netif_start_queue(dev);
	/* What came while the device was down, and the doorbell unmasked. */
	net_schedule_poll(net);
	return 0;
}

static int net_stop(struct net_device *dev)
{
	struct bh_net *net = netdev_priv(dev);

	netif_tx_disable(dev);
	napi_disable(&net->napi);
	return 0;
}

static const struct net_device_ops net_ops = {
	.ndo_open = net_open,
	.ndo_stop = net_stop,
	.ndo_start_xmit = net_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void net_doorbell(struct bh_chan *ch)
{
	struct bh_net *net = READ_ONCE(ch->frontend_data);

	if (!net)
		return;		   /* a doorbell before the device exists */
	napi_schedule(&net->napi); /* a no-op while the device is down */
	net_wake_tx(net);
}

/* Once per session: what this side takes. The ring is new and empty, so it fits. */
static void net_hello(struct bh_net *net)
{
	__le32 features = cpu_to_le32(READ_ONCE(csum_offload) ? BH_NET_F_CSUM : 0);

	bh_chan_send(net->ch, BH_NET_HELLO, 0, &features, sizeof(features));
}

static void net_state_changed(struct bh_chan *ch)
{
	struct bh_net *net = ch->frontend_data;
	struct net_device *dev = net->dev;

	if (!bh_chan_connected(ch)) {
		if (netif_carrier_ok(dev))
			netdev_info(dev, "link down: channel %s is %s\n", ch->name,
				    bh_chan_state_name(bh_chan_state(ch)));
		netif_carrier_off(dev);
		return;
	}
	net_hello(net);
	if (!netif_carrier_ok(dev))
		netdev_info(dev, "link up: channel %s connected to partition %u\n", ch->name,
			    ch->peer);
	netif_carrier_on(dev);
	if (netif_running(dev)) {
		/* New rings: a stop for the old ones is over, and receive starts masked. */
		local_bh_disable();
		netif_wake_queue(dev);
		napi_schedule(&net->napi);
		local_bh_enable();
	}
}

static int net_probe(struct bh_chan *ch)
{
	u32 frame = frame_limit(ch);
	struct net_device *dev;
	struct bh_net *net;
	u8 addr[ETH_ALEN];
	int rc;

	if (frame < ETH_MIN_MTU + VLAN_ETH_HLEN) {
		dev_err(ch->parent,
			"channel %s: rings of %zu and %zu bytes are too small for "
			"Ethernet frames\n",
			ch->name, ch->send_size, ch->recv_size);
		return -EINVAL;
	}
	dev = alloc_netdev(sizeof(*net), "bhnet%d", NET_NAME_ENUM, ether_setup);
	if (!dev)
		return -ENOMEM;
	net = netdev_priv(dev);
	net->ch = ch;
	net->dev = dev;
	dev->netdev_ops = &net_ops;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = min_t(u32, frame - VLAN_ETH_HLEN, NET_MTU_CAP);
	dev->mtu = dev->max_mtu;
	net->frame_max = dev->max_mtu + VLAN_ETH_HLEN;
	/*
	 * Scatter-gather, so that the stack hands over paged skbs (gathered
	 * here) instead of linearising each into a new buffer. Checksums are
	 * "offloaded" to the peer when it said it takes them (a Linux peer
	 * trusts them: shared memory does not corrupt frames), else completed
	 * in net_xmit.
	 */
	dev->features = NETIF_F_SG | NETIF_F_HW_CSUM;
	net->peer_csum_session = U64_MAX;
	net->hello_session = U64_MAX;
	net->tx_bounce = kvmalloc(net->frame_max, GFP_KERNEL);
	if (!net->tx_bounce) {
		rc = -ENOMEM;
		goto err_free;
	}
	/* Locally administered, unicast, "bh", then who and which: stable across boots. */
	addr[0] = 0x02;
	addr[1] = 'b';
	addr[2] = 'h';
	addr[3] = (u8)ch->self;
	addr[4] = (u8)ch->peer;
	addr[5] = (u8)ch->index;
	eth_hw_addr_set(dev, addr);
	SET_NETDEV_DEV(dev, ch->dev);
	netif_napi_add(dev, &net->napi, net_poll);
	netif_carrier_off(dev);
	WRITE_ONCE(ch->frontend_data, net);
	rc = register_netdev(dev);
	if (rc)
		goto err_napi;
	netdev_info(dev, "channel %s to partition %u, MTU %u (%u-%u), %pM\n", ch->name, ch->peer,
		    dev->mtu, dev->min_mtu, dev->max_mtu, dev->dev_addr);
	return 0;
err_napi:
	WRITE_ONCE(ch->frontend_data, NULL);
	netif_napi_del(&net->napi);
	kvfree(net->tx_bounce);
err_free:
	free_netdev(dev);
	return rc;
}

static void net_remove(struct bh_chan *ch)
{
	struct bh_net *net = ch->frontend_data;
	struct net_device *dev = net->dev;

	unregister_netdev(dev);
	netif_napi_del(&net->napi);
	WRITE_ONCE(ch->frontend_data, NULL);
	kvfree(net->tx_bounce);
	free_netdev(dev);
}

const struct bh_frontend bh_net_frontend = {
	.kind = "net",
	.probe = net_probe,
	.remove = net_remove,
	.doorbell = net_doorbell,
	.state_changed = net_state_changed,
};
