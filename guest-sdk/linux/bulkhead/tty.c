// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Console channels: a tty /dev/ttyVMB<n> for each channel of interface
 * "console", n counting them in channel order (docs/linux-vmbus.md,
 * "Consoles: ttyVMB"). The packets are docs/vmbus.md's console interface
 * (include/bulkhead/console.h): bytes of a byte stream, no framing.
 *
 * Transmit: write() copies into the port's buffer, so that write_room is
 * exact, and pushes the buffer into the ring at once. What the ring has no
 * room for waits in the buffer: the send that found no room asked the peer
 * to ring when there is (pending_send_sz), and the doorbell pushes the rest
 * and wakes the writers. While the channel is not connected, the buffer keeps
 * what fits (sent when it connects) and the rest is dropped and counted
 * (tx_dropped): a console with nobody at the other end never blocks its
 * writers, as a serial line with no cable.
 *
 * Receive: only while the tty is open and the line discipline has not
 * throttled it. Otherwise packets wait in the ring, and a peer that keeps
 * writing waits for room: an unread console holds its peer back instead of
 * losing its output. A packet is copied out of the shared ring
 * (the peer may rewrite it) and into the flip buffer; bytes that do not fit
 * stay for the next try, none is dropped.
 */
#include <linux/circ_buf.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>

#include <bulkhead/console.h>

#include "bulkhead.h"

#define BH_TTY_LINES	16   /* as many as a partition's channels */
#define BH_TTY_TX_BUF	4096 /* the transmit buffer, a power of two */
#define BH_TTY_RX_BATCH 64   /* packets per run of the receive work */
/* A flip buffer at its memory limit frees no room by any event we see: poll. */
#define BH_TTY_RX_RETRY msecs_to_jiffies(20)

struct bh_tty {
	struct tty_port port;
	struct bh_chan *ch;
	int line;
	char channel[BH_NAME_LEN];

	bool provider;
	bool termios_set; /* the first open set the role's modes */

	spinlock_t lock; /* the fields up to rx_ignored */
	bool gone;	 /* the channel was removed: ch is stale */
	bool rx_open;	 /* the tty is open (the port is active) */
	bool rx_throttled;
	bool connected; /* as of the last state change */
	u8 *tx_buf;
	unsigned int tx_head, tx_tail;
	u64 tx_dropped; /* bytes written while not connected that did not fit */
	u64 rx_ignored; /* packets of types the console interface does not define */

	/* The receive work's own: a packet not yet all in the flip buffer. */
	u8 *rx_buf;
	u32 rx_cap, rx_len, rx_off;
	struct delayed_work rx_work;
	struct work_struct tx_work; /* pushes after a doorbell, then wakes writers */
};

static DEFINE_MUTEX(bh_tty_mutex); /* the driver, its users and the table */
static struct tty_driver *bh_tty_driver;
static unsigned int bh_tty_users;
static struct bh_tty *bh_ttys[BH_TTY_LINES];
static DEFINE_IDA(bh_tty_ida);

static unsigned int tx_count(const struct bh_tty *t)
{
	return CIRC_CNT(t->tx_head, t->tx_tail, BH_TTY_TX_BUF);
}

/* Moves buffered bytes into the ring while it has room; t->lock held. */
static bool tx_push_locked(struct bh_tty *t)
{
	u32 chunk = min_t(u32, BH_CONSOLE_MAX_PACKET, bh_chan_max_send(t->ch));
	bool moved = false;

	while (tx_count(t)) {
		u32 n = min_t(u32, CIRC_CNT_TO_END(t->tx_head, t->tx_tail, BH_TTY_TX_BUF), chunk);

		/*
		 * VMBUS_FULL: the peer rings once there is room (the doorbell
		 * pushes again). Not connected or broken: the state change does.
		 */
		if (bh_chan_send(t->ch, BH_CONSOLE_TYPE_DATA, 0, t->tx_buf + t->tx_tail, n) !=
		    VMBUS_OK)
			break;
		t->tx_tail = (t->tx_tail + n) & (BH_TTY_TX_BUF - 1);
		moved = true;
	}
	return moved;
}

/* Queues the receive work if the tty wants bytes. Any context. */
static void rx_kick(struct bh_tty *t, unsigned long delay)
{
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	if (!t->gone && t->rx_open && !t->rx_throttled)
		mod_delayed_work(system_wq, &t->rx_work, delay);
	spin_unlock_irqrestore(&t->lock, flags);
}

static bool rx_wanted(struct bh_tty *t)
{
	unsigned long flags;
	bool wanted;

	spin_lock_irqsave(&t->lock, flags);
	wanted = !t->gone && t->rx_open && !t->rx_throttled;
	spin_unlock_irqrestore(&t->lock, flags);
	return wanted;
}

/* Hands the held packet to the flip buffer; false if some of it is still held. */
static bool rx_deliver(struct bh_tty *t)
{
	int n = tty_insert_flip_string(&t->port, t->rx_buf + t->rx_off, t->rx_len - t->rx_off);

	t->rx_off += n;
	if (n)
		tty_flip_buffer_push(&t->port);
	return t->rx_off == t->rx_len;
}

static void rx_work(struct work_struct *work)
{
	struct bh_tty *t = container_of(to_delayed_work(work), struct bh_tty, rx_work);
	struct bh_chan *ch = t->ch;
	unsigned int packets = 0;
	struct vmbus_desc desc;
	unsigned long flags;
	u32 len;
	int rc;

	while (rx_wanted(t)) {
		if (t->rx_off < t->rx_len) {
			if (!rx_deliver(t)) {
				rx_kick(t, BH_TTY_RX_RETRY); /* the flip buffer is full */
				return;
			}
			continue;
		}
		if (++packets > BH_TTY_RX_BATCH) {
			rx_kick(t, 0); /* a busy peer does not keep this worker */
			return;
		}
		rc = bh_chan_recv(ch, &desc, t->rx_buf, t->rx_cap, &len);
		if (rc == VMBUS_OK && desc.type == BH_CONSOLE_TYPE_DATA) {
			t->rx_len = len;
			t->rx_off = 0;
		} else if (rc == VMBUS_OK) {
			spin_lock_irqsave(&t->lock, flags);
			t->rx_ignored++;
			spin_unlock_irqrestore(&t->lock, flags);
			dev_warn_ratelimited(ch->parent,
					     "channel %s: skipped a packet of type %u, which the "
					     "console interface does not define\n",
					     ch->name, desc.type);
		} else if (rc == VMBUS_EMPTY) {
			if (!bh_chan_rx_ready(ch))
				return; /* the doorbell kicks us */
		} else {
			/*
			 * Not connected or broken: the state change kicks us.
			 * VMBUS_TOOBIG cannot be (the buffer takes the ring's
			 * largest packet), but it would stay queued: say so.
			 */
			if (rc == VMBUS_TOOBIG)
				dev_err_ratelimited(ch->parent,
						    "channel %s: a %u-byte packet does not fit "
						    "the tty's %u-byte buffer\n",
						    ch->name, len, t->rx_cap);
			return;
		}
	}
}

static void tx_work(struct work_struct *work)
{
	struct bh_tty *t = container_of(work, struct bh_tty, tx_work);
	unsigned long flags;
	bool moved = false;

	spin_lock_irqsave(&t->lock, flags);
	if (!t->gone)
		moved = tx_push_locked(t);
	spin_unlock_irqrestore(&t->lock, flags);
	if (moved)
		tty_port_tty_wakeup(&t->port);
}

/* ------------------------------------------------------------------ the channel's hooks */

static void bh_tty_doorbell(struct bh_chan *ch)
{
	struct bh_tty *t = READ_ONCE(ch->frontend_data);
	unsigned long flags;
	bool waiting;

	if (!t)
		return; /* a doorbell left pending from before the probe */
	rx_kick(t, 0);
	spin_lock_irqsave(&t->lock, flags);
	waiting = !t->gone && tx_count(t);
	spin_unlock_irqrestore(&t->lock, flags);
	if (waiting)
		schedule_work(&t->tx_work);
}

static void bh_tty_state_changed(struct bh_chan *ch)
{
	struct bh_tty *t = ch->frontend_data;
	bool connected = bh_chan_connected(ch);
	unsigned long flags;
	bool lost;

	spin_lock_irqsave(&t->lock, flags);
	lost = t->connected && !connected;
	t->connected = connected;
	if (connected)
		tx_push_locked(t); /* what was written while waiting for the peer */
	spin_unlock_irqrestore(&t->lock, flags);
	rx_kick(t, 0);
	if (connected)
		wake_up_interruptible(&t->port.open_wait); /* the carrier came */
	if (lost)
		tty_port_tty_hangup(&t->port, true); /* as a modem line: only without CLOCAL */
	tty_port_tty_wakeup(&t->port);		     /* write_room changed either way */
}

/* ------------------------------------------------------------------ tty operations */

/*
 * The provider's end is the terminal side of a child's console: what comes
 * in is the child's output, data, and goes to its reader unchanged. So it is
 * raw. ECHO off above all: an echo would send the child's output back to it
 * as input (a shell there would run its own prompt); and no ISIG, IXON or
 * ICRNL: a byte of output must not signal the root's processes, stop its
 * input, or turn a CR LF into two lines. The consumer's end is the child's
 * terminal and keeps the standard modes (a getty sets its own anyway).
 */
static void make_raw(struct ktermios *k)
{
	k->c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	k->c_oflag &= ~OPOST;
	k->c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	k->c_cflag = (k->c_cflag & ~(CSIZE | PARENB)) | CS8;
	k->c_cc[VMIN] = 1;
	k->c_cc[VTIME] = 0;
}

static int bh_tty_install(struct tty_driver *driver, struct tty_struct *tty)
{
	struct bh_tty *t;
	int rc;

	mutex_lock(&bh_tty_mutex);
	t = bh_ttys[tty->index];
	if (t)
		tty_port_get(&t->port); /* the tty's reference, put by cleanup */
	mutex_unlock(&bh_tty_mutex);
	if (!t)
		return -ENODEV;
	tty->driver_data = t;
	rc = tty_port_install(&t->port, driver, tty);
	if (rc) {
		tty_port_put(&t->port);
		return rc;
	}
	/*
	 * Later opens keep what the last close left (stty sticks); the
	 * first gets the role's modes, not those of an earlier port.
	 */
	if (!t->termios_set) {
		t->termios_set = true;
		tty->termios = driver->init_termios; /* its speeds too */
		if (t->provider)
			make_raw(&tty->termios);
	}
	return 0;
}

static void bh_tty_cleanup(struct tty_struct *tty)
{
	tty_port_put(tty->port);
}

static int bh_tty_open(struct tty_struct *tty, struct file *filp)
{
	return tty_port_open(tty->port, tty, filp);
}

static void bh_tty_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(tty->port, tty, filp);
}

static void bh_tty_hangup(struct tty_struct *tty)
{
	tty_port_hangup(tty->port);
}

static int bh_tty_write(struct tty_struct *tty, const u8 *buf, int count)
{
	struct bh_tty *t = tty->driver_data;
	unsigned long flags;
	int taken = 0;

	spin_lock_irqsave(&t->lock, flags);
	if (t->gone) {
		spin_unlock_irqrestore(&t->lock, flags);
		return -ENODEV;
	}
	for (;;) {
		unsigned int space = CIRC_SPACE_TO_END(t->tx_head, t->tx_tail, BH_TTY_TX_BUF);
		unsigned int n = min_t(unsigned int, space, count - taken);

		if (n) {
			memcpy(t->tx_buf + t->tx_head, buf + taken, n);
			t->tx_head = (t->tx_head + n) & (BH_TTY_TX_BUF - 1);
			taken += n;
			continue; /* the space may go on at the start of the buffer */
		}
		/* The buffer is full or the write all in: into the ring, and go on if that made
		 * room. */
		if (!bh_chan_connected(t->ch) || !tx_push_locked(t) || taken == count)
			break;
	}
	if (!bh_chan_connected(t->ch)) {
		t->tx_dropped += count - taken;
		taken = count;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return taken;
}

/*
 * write_room (room) or chars_in_buffer (!room). Not connected, write takes
 * everything (keeps or drops it), and nothing drains the buffer, so a close
 * or tcdrain must not wait for it.
 */
static unsigned int tx_report(struct tty_struct *tty, bool room)
{
	struct bh_tty *t = tty->driver_data;
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&t->lock, flags);
	if (t->gone)
		n = 0;
	else if (!bh_chan_connected(t->ch))
		n = room ? BH_TTY_TX_BUF : 0;
	else
		n = room ? CIRC_SPACE(t->tx_head, t->tx_tail, BH_TTY_TX_BUF) : tx_count(t);
	spin_unlock_irqrestore(&t->lock, flags);
	return n;
}

static unsigned int bh_tty_write_room(struct tty_struct *tty)
{
	return tx_report(tty, true);
}

static unsigned int bh_tty_chars_in_buffer(struct tty_struct *tty)
{
	return tx_report(tty, false);
}

static void bh_tty_flush_buffer(struct tty_struct *tty)
{
	struct bh_tty *t = tty->driver_data;
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	t->tx_tail = t->tx_head;
	spin_unlock_irqrestore(&t->lock, flags);
	tty_port_tty_wakeup(&t->port);
}

static void bh_tty_throttle(struct tty_struct *tty)
{
	struct bh_tty *t = tty->driver_data;
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	t->rx_throttled = true; /* the ring holds the rest, and the peer waits */
	spin_unlock_irqrestore(&t->lock, flags);
}

static void bh_tty_unthrottle(struct tty_struct *tty)
{
	struct bh_tty *t = tty->driver_data;
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	t->rx_throttled = false;
	spin_unlock_irqrestore(&t->lock, flags);
	rx_kick(t, 0);
}

static const struct tty_operations bh_tty_ops = {
	.install = bh_tty_install,
	.cleanup = bh_tty_cleanup,
	.open = bh_tty_open,
	.close = bh_tty_close,
	.hangup = bh_tty_hangup,
	.write = bh_tty_write,
	.write_room = bh_tty_write_room,
	.chars_in_buffer = bh_tty_chars_in_buffer,
	.flush_buffer = bh_tty_flush_buffer,
	.throttle = bh_tty_throttle,
	.unthrottle = bh_tty_unthrottle,
};

/* ------------------------------------------------------------------ port operations */

static struct bh_tty *port_tty(struct tty_port *port)
{
	return container_of(port, struct bh_tty, port);
}

static int bh_port_carrier_raised(struct tty_port *port)
{
	struct bh_tty *t = port_tty(port);
	unsigned long flags;
	bool raised;

	spin_lock_irqsave(&t->lock, flags);
	raised = !t->gone && bh_chan_connected(t->ch);
	spin_unlock_irqrestore(&t->lock, flags);
	return raised;
}

static int bh_port_activate(struct tty_port *port, struct tty_struct *tty)
{
	struct bh_tty *t = port_tty(port);
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	t->rx_open = true;
	t->rx_throttled = false;
	spin_unlock_irqrestore(&t->lock, flags);
	rx_kick(t, 0); /* what the peer wrote while nobody read */
	return 0;
}

static void bh_port_shutdown(struct tty_port *port)
{
	struct bh_tty *t = port_tty(port);
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	t->rx_open = false;
	spin_unlock_irqrestore(&t->lock, flags);
	cancel_delayed_work_sync(&t->rx_work);
}

static void bh_tty_driver_put(void);

/* The last reference: the channel is gone and no tty uses the port. */
static void bh_port_destruct(struct tty_port *port)
{
	struct bh_tty *t = port_tty(port);

	kvfree(t->rx_buf);
	kfree(t->tx_buf);
	if (t->line >= 0)
		ida_free(&bh_tty_ida, t->line);
	kfree(t);
	bh_tty_driver_put();
}

static const struct tty_port_operations bh_port_ops = {
	.carrier_raised = bh_port_carrier_raised,
	.activate = bh_port_activate,
	.shutdown = bh_port_shutdown,
	.destruct = bh_port_destruct,
};

/* ------------------------------------------------------------------ the driver */

static ssize_t channel_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct bh_tty *t = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", t->channel);
}
static DEVICE_ATTR_RO(channel);

#define BH_TTY_COUNTER(field)                                                                     \
	static ssize_t field##_show(struct device *dev, struct device_attribute *attr, char *buf) \
	{                                                                                         \
		struct bh_tty *t = dev_get_drvdata(dev);                                          \
		unsigned long flags;                                                              \
		u64 value;                                                                        \
		spin_lock_irqsave(&t->lock, flags);                                               \
		value = t->field;                                                                 \
		spin_unlock_irqrestore(&t->lock, flags);                                          \
		return sysfs_emit(buf, "%llu\n", value);                                          \
	}                                                                                         \
	static DEVICE_ATTR_RO(field)

BH_TTY_COUNTER(tx_dropped);
BH_TTY_COUNTER(rx_ignored);

static struct attribute *bh_tty_attrs[] = {
	&dev_attr_channel.attr,
	&dev_attr_tx_dropped.attr,
	&dev_attr_rx_ignored.attr,
	NULL,
};
ATTRIBUTE_GROUPS(bh_tty);

/* The tty driver exists while a console channel does. */
static int bh_tty_driver_get(void)
{
	struct tty_driver *driver;
	int rc = 0;

	mutex_lock(&bh_tty_mutex);
	if (bh_tty_users++)
		goto out;
	driver = tty_alloc_driver(BH_TTY_LINES, TTY_DRIVER_REAL_RAW | TTY_DRIVER_DYNAMIC_DEV);
	if (IS_ERR(driver)) {
		rc = PTR_ERR(driver);
		goto fail;
	}
	driver->driver_name = "bulkhead-console";
	driver->name = "ttyVMB";
	driver->type = TTY_DRIVER_TYPE_SERIAL;
	driver->subtype = SERIAL_TYPE_NORMAL;
	/* CLOCAL: opening does not wait for the peer (make_raw for the rest). */
	driver->init_termios = tty_std_termios;
	driver->init_termios.c_cflag |= CLOCAL;
	tty_set_operations(driver, &bh_tty_ops);
	rc = tty_register_driver(driver);
	if (rc) {
		tty_driver_kref_put(driver);
		goto fail;
	}
	bh_tty_driver = driver;
	goto out;
fail:
	bh_tty_users--;
out:
	mutex_unlock(&bh_tty_mutex);
	return rc;
}

static void bh_tty_driver_put(void)
{
	mutex_lock(&bh_tty_mutex);
	if (--bh_tty_users == 0) {
		tty_unregister_driver(bh_tty_driver);
		tty_driver_kref_put(bh_tty_driver);
		bh_tty_driver = NULL;
	}
	mutex_unlock(&bh_tty_mutex);
}

static int bh_tty_probe(struct bh_chan *ch)
{
	struct bh_tty *t = kzalloc(sizeof(*t), GFP_KERNEL);
	struct device *dev;
	int rc;

	if (!t)
		return -ENOMEM;
	rc = bh_tty_driver_get();
	if (rc) {
		kfree(t);
		return rc;
	}
	/* From here on the port's destructor undoes everything. */
	tty_port_init(&t->port);
	t->port.ops = &bh_port_ops;
	t->ch = ch;
	t->provider = ch->provider;
	t->line = -1;
	strscpy(t->channel, ch->name, sizeof(t->channel));
	spin_lock_init(&t->lock);
	INIT_DELAYED_WORK(&t->rx_work, rx_work);
	INIT_WORK(&t->tx_work, tx_work);
	t->rx_cap = bh_chan_max_recv(ch);
	t->rx_buf = kvmalloc(t->rx_cap, GFP_KERNEL);
	t->tx_buf = kmalloc(BH_TTY_TX_BUF, GFP_KERNEL);
	t->line = ida_alloc_max(&bh_tty_ida, BH_TTY_LINES - 1, GFP_KERNEL);
	if (!t->rx_buf || !t->tx_buf || t->line < 0) {
		rc = t->line < 0 ? t->line : -ENOMEM;
		goto err;
	}
	ch->frontend_data = t;
	mutex_lock(&bh_tty_mutex);
	bh_ttys[t->line] = t;
	mutex_unlock(&bh_tty_mutex);
	dev = tty_port_register_device_attr(&t->port, bh_tty_driver, t->line, ch->dev, t,
					    bh_tty_groups);
	if (IS_ERR(dev)) {
		rc = PTR_ERR(dev);
		mutex_lock(&bh_tty_mutex);
		bh_ttys[t->line] = NULL;
		mutex_unlock(&bh_tty_mutex);
		ch->frontend_data = NULL;
		goto err;
	}
	dev_info(ch->parent, "channel %s: /dev/ttyVMB%d\n", ch->name, t->line);
	return 0;
err:
	tty_port_put(&t->port);
	return rc;
}

static void bh_tty_remove(struct bh_chan *ch)
{
	struct bh_tty *t = ch->frontend_data;
	unsigned long flags;

	mutex_lock(&bh_tty_mutex);
	bh_ttys[t->line] = NULL; /* no new opens */
	mutex_unlock(&bh_tty_mutex);
	spin_lock_irqsave(&t->lock, flags);
	t->gone = true; /* nothing touches ch from here on */
	spin_unlock_irqrestore(&t->lock, flags);
	cancel_delayed_work_sync(&t->rx_work);
	cancel_work_sync(&t->tx_work);
	tty_port_tty_hangup(&t->port, false);
	tty_unregister_device(bh_tty_driver, t->line);
	ch->frontend_data = NULL;
	tty_port_put(&t->port); /* the last open tty's cleanup may free it later */
}

const struct bh_frontend bh_tty_frontend = {
	.kind = "tty",
	.probe = bh_tty_probe,
	.remove = bh_tty_remove,
	.doorbell = bh_tty_doorbell,
	.state_changed = bh_tty_state_changed,
};
