// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Raw channels: /dev/vmbus/<name>, one packet per read() or write()
 * (include/bulkhead/vmbus_dev.h has the interface and the errors).
 *
 * Packets go through a bounce buffer per direction, each under its own
 * mutex: the ring is shared memory the peer may rewrite, so it is copied
 * under the ring's spinlock into private memory, and only that copy goes to
 * or comes from user space (which may fault and sleep).
 *
 * Each open file keeps the channel's reset and broken counts as it last saw
 * them, so every descriptor hears of a peer restart (ECONNRESET) or a broken
 * ring (EIO) exactly once, and then goes on with the new session.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <bulkhead/vmbus_dev.h>

#include "bulkhead.h"

struct raw_chan {
	struct bh_chan *ch;
	struct mutex read_mutex, write_mutex;
	void *rx_buf, *tx_buf;
	u32 rx_cap, tx_cap;
	struct delayed_work room_check;
};

struct raw_file {
	struct bh_chan *ch;
	bool header;
	u64 seen_resets;
	u32 seen_broken;
	u32 want; /* the size of the last write that found no room, for poll */
};

#define HDR sizeof(struct bh_vmbus_packet)

/*
 * A blocking read polls the ring this long before it sleeps: a reply from a
 * peer that answers at once comes within it, and the doorbell, interrupt and
 * wakeup it saves are most of a round trip's cost. The partition owns its
 * CPUs, so the poll takes time from no other partition.
 */
static unsigned int poll_us = 20;
module_param(poll_us, uint, 0644);
MODULE_PARM_DESC(poll_us, "microseconds a blocking read of a raw channel polls before it sleeps");

static void poll_for_data(struct bh_chan *ch)
{
	ktime_t end = ktime_add_us(ktime_get(), READ_ONCE(poll_us));

	while (!bh_chan_rx_pending(ch) && ktime_before(ktime_get(), end) &&
	       !signal_pending(current) && !need_resched())
		cpu_relax();
}

static struct raw_chan *raw_of(struct bh_chan *ch)
{
	return ch->frontend_data;
}

static bool error_due(const struct raw_file *f)
{
	return READ_ONCE(f->ch->broken) != f->seen_broken ||
	       READ_ONCE(f->ch->resets) != f->seen_resets;
}

/* EIO or ECONNRESET once per descriptor, then the descriptor is current again. */
static int take_error(struct raw_file *f)
{
	u32 broken = READ_ONCE(f->ch->broken);
	u64 resets = READ_ONCE(f->ch->resets);
	int rc = 0;

	if (broken != f->seen_broken)
		rc = -EIO;
	else if (resets != f->seen_resets)
		rc = -ECONNRESET;
	f->seen_broken = broken;
	f->seen_resets = resets;
	return rc;
}

static bool can_read(struct raw_file *f)
{
	struct bh_chan *ch = f->ch;

	if (error_due(f) || READ_ONCE(ch->removing) || READ_ONCE(ch->broken_pending))
		return true;
	return bh_chan_connected(ch) && bh_chan_rx_ready(ch);
}

static bool can_write(struct raw_file *f, u32 len)
{
	struct bh_chan *ch = f->ch;

	if (error_due(f) || READ_ONCE(ch->removing) || READ_ONCE(ch->broken_pending))
		return true;
	return bh_chan_tx_room(ch, len);
}

/* Sleeps until `cond`, or -EAGAIN / -ERESTARTSYS. */
#define raw_wait(file, f, cond) \
	((file)->f_flags & O_NONBLOCK ? -EAGAIN : wait_event_interruptible((f)->ch->wait, (cond)))

static ssize_t raw_read(struct file *file, char __user *ubuf, size_t count, loff_t *pos)
{
	struct raw_file *f = file->private_data;
	struct bh_chan *ch = f->ch;
	struct raw_chan *raw = raw_of(ch);
	size_t hdr = f->header ? HDR : 0;
	struct bh_vmbus_packet head = {0};
	struct vmbus_desc desc;
	u32 len = 0, room;
	bool polled = false;
	ssize_t rc;

	if (count < hdr)
		return -EINVAL;
	room = (u32)min_t(size_t, count - hdr, raw->rx_cap);
	if (mutex_lock_interruptible(&raw->read_mutex))
		return -ERESTARTSYS;
	for (;;) {
		rc = READ_ONCE(ch->removing) ? -ENODEV : take_error(f);
		if (rc)
			goto out;
		rc = bh_chan_recv(ch, &desc, raw->rx_buf, room, &len);
		if (rc == VMBUS_OK)
			break;
		if (rc == VMBUS_TOOBIG) {
			rc = -EMSGSIZE; /* it stays queued: read it with a bigger buffer */
			goto out;
		}
		if (rc == VMBUS_EMPTY && !(file->f_flags & O_NONBLOCK) && !polled) {
			polled = true;
			poll_for_data(ch);
			continue;
		}
		if (rc == VMBUS_BROKEN)
			rc = wait_event_interruptible(ch->wait, !READ_ONCE(ch->broken_pending));
		else
			rc = raw_wait(file, f, can_read(f));
		if (rc)
			goto out;
	}
	if (hdr) {
		head.type = desc.type;
		head.length = len;
		head.trans_id = desc.trans_id;
		if (copy_to_user(ubuf, &head, HDR)) {
			rc = -EFAULT;
			goto out;
		}
	}
	rc = copy_to_user(ubuf + hdr, raw->rx_buf, len) ? -EFAULT : (ssize_t)(hdr + len);
out:
	mutex_unlock(&raw->read_mutex);
	return rc;
}

static ssize_t raw_write(struct file *file, const char __user *ubuf, size_t count, loff_t *pos)
{
	struct raw_file *f = file->private_data;
	struct bh_chan *ch = f->ch;
	struct raw_chan *raw = raw_of(ch);
	size_t hdr = f->header ? HDR : 0;
	struct bh_vmbus_packet head = {.type = BH_VMBUS_TYPE_DATA};
	u32 len;
	ssize_t rc;

	if (count < hdr)
		return -EINVAL;
	if (count - hdr > bh_chan_max_send(ch) || count - hdr > raw->tx_cap)
		return -EMSGSIZE; /* it can never fit in this ring */
	len = (u32)(count - hdr);
	if (hdr && copy_from_user(&head, ubuf, HDR))
		return -EFAULT;
	if (hdr && (head.length != len || head.flags != 0))
		return -EINVAL;
	if (mutex_lock_interruptible(&raw->write_mutex))
		return -ERESTARTSYS;
	if (copy_from_user(raw->tx_buf, ubuf + hdr, len)) {
		rc = -EFAULT;
		goto out;
	}
	for (;;) {
		rc = READ_ONCE(ch->removing) ? -ENODEV : take_error(f);
		if (rc)
			goto out;
		rc = bh_chan_send(ch, head.type, head.trans_id, raw->tx_buf, len);
		if (rc == VMBUS_OK)
			break;
		if (rc == VMBUS_TOOBIG) {
			rc = -EMSGSIZE;
			goto out;
		}
		if (rc == VMBUS_FULL)
			WRITE_ONCE(f->want, len); /* the ring rings us when it has room */
		if (rc == VMBUS_BROKEN)
			rc = wait_event_interruptible(ch->wait, !READ_ONCE(ch->broken_pending));
		else
			rc = raw_wait(file, f, can_write(f, len));
		if (rc)
			goto out;
	}
	WRITE_ONCE(f->want, 0);
	rc = (ssize_t)count;
out:
	mutex_unlock(&raw->write_mutex);
	return rc;
}

static __poll_t raw_poll(struct file *file, poll_table *wait)
{
	struct raw_file *f = file->private_data;
	struct bh_chan *ch = f->ch;
	__poll_t mask = 0;
	u32 want = READ_ONCE(f->want);

	poll_wait(file, &ch->wait, wait);
	if (error_due(f) || READ_ONCE(ch->removing))
		return EPOLLERR | EPOLLIN | EPOLLOUT;
	if (!bh_chan_connected(ch))
		return 0; /* the state change wakes us */
	if (bh_chan_rx_ready(ch))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (bh_chan_tx_room(ch, want))
		mask |= EPOLLOUT | EPOLLWRNORM;
	else if (!want)
		/*
		 * Full without a write that asked the peer to ring (pending_send_sz
		 * is set only by a send that found no room): look again shortly.
		 */
		schedule_delayed_work(&raw_of(ch)->room_check, 1);
	return mask;
}

static void room_check(struct work_struct *work)
{
	struct raw_chan *raw = container_of(to_delayed_work(work), struct raw_chan, room_check);

	wake_up_interruptible_all(&raw->ch->wait);
}

static long raw_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct raw_file *f = file->private_data;
	struct bh_chan *ch = f->ch;
	struct bh_vmbus_info info;
	u32 on;

	switch (cmd) {
	case BH_VMBUS_IOC_INFO:
		memset(&info, 0, sizeof(info));
		memcpy(info.name, ch->name, sizeof(info.name));
		memcpy(info.interface, ch->interface, sizeof(info.interface));
		info.index = ch->index;
		info.state = bh_chan_state(ch);
		info.session = READ_ONCE(ch->session);
		info.peer = ch->peer;
		info.provider = ch->provider;
		info.max_payload = min(bh_chan_max_send(ch), raw_of(ch)->tx_cap);
		info.broken = READ_ONCE(ch->broken);
		info.resets = READ_ONCE(ch->resets);
		return copy_to_user((void __user *)arg, &info, sizeof(info)) ? -EFAULT : 0;
	case BH_VMBUS_IOC_SET_HEADER:
		if (get_user(on, (u32 __user *)arg))
			return -EFAULT;
		if (on > 1)
			return -EINVAL;
		f->header = on;
		return 0;
	default:
		return -ENOTTY;
	}
}

static int raw_open(struct inode *inode, struct file *file)
{
	struct bh_chan *ch = container_of(inode->i_cdev, struct bh_chan, cdev);
	struct raw_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->ch = ch;
	/* Resets before the open are history: only later ones are reported. */
	f->seen_resets = READ_ONCE(ch->resets);
	f->seen_broken = READ_ONCE(ch->broken);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int raw_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations raw_fops = {
	.owner = THIS_MODULE,
	.open = raw_open,
	.release = raw_release,
	.read = raw_read,
	.write = raw_write,
	.poll = raw_poll,
	.unlocked_ioctl = raw_ioctl,
	.llseek = no_llseek,
};

static int raw_probe(struct bh_chan *ch)
{
	struct raw_chan *raw = kzalloc(sizeof(*raw), GFP_KERNEL);
	int rc;

	if (!raw)
		return -ENOMEM;
	raw->ch = ch;
	mutex_init(&raw->read_mutex);
	mutex_init(&raw->write_mutex);
	INIT_DELAYED_WORK(&raw->room_check, room_check);
	raw->rx_cap = bh_chan_max_recv(ch);
	raw->tx_cap = bh_chan_max_send(ch);
	raw->rx_buf = kvmalloc(raw->rx_cap, GFP_KERNEL);
	raw->tx_buf = kvmalloc(raw->tx_cap, GFP_KERNEL);
	if (!raw->rx_buf || !raw->tx_buf) {
		rc = -ENOMEM;
		goto err;
	}
	ch->frontend_data = raw;
	cdev_init(&ch->cdev, &raw_fops);
	ch->cdev.owner = THIS_MODULE;
	rc = cdev_add(&ch->cdev, ch->devt, 1);
	if (rc)
		goto err;
	return 0;
err:
	kvfree(raw->rx_buf);
	kvfree(raw->tx_buf);
	kfree(raw);
	ch->frontend_data = NULL;
	return rc;
}

static void raw_remove(struct bh_chan *ch)
{
	struct raw_chan *raw = raw_of(ch);

	cdev_del(&ch->cdev);
	cancel_delayed_work_sync(&raw->room_check);
	kvfree(raw->rx_buf);
	kvfree(raw->tx_buf);
	kfree(raw);
	ch->frontend_data = NULL;
}

const struct bh_frontend bh_raw_frontend = {
	.kind = "raw",
	.probe = raw_probe,
	.remove = raw_remove,
};
