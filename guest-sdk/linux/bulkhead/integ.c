// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Integration channels (include/bulkhead/integration.h; docs/linux-vmbus.md,
 * "Management"): the channel of interface "integration" between the root
 * (provider) and a child (consumer), in either role.
 *
 * The provider (the root) keeps what the child said (HELLO), counts its
 * heartbeats, asks for its period (WELCOME), tells it the time (TIME) and
 * asks it to shut down (SHUTDOWN, for /dev/bulkhead or sysfs). The consumer
 * (a Linux child) introduces itself at each connection, sends heartbeats
 * from a delayed work at the period it was asked, sets the clock from the
 * root's answer and powers off or reboots when asked.
 *
 * One work item per channel does everything a packet or a state change
 * asks for, so packets and sessions are handled in order; a mutex guards the
 * channel's fields against the heartbeat work, sysfs and /dev/bulkhead.
 * Every packet is checked (type, exact length, the request it answers): a
 * bad one is counted, logged (rate-limited) and otherwise ignored.
 *
 * When a child goes away (RESET), the provider reads what it left in the
 * receive ring before the channel is opened again: a child that powers off
 * right after its SHUTDOWN_ACK still has it seen. /dev/bulkhead's status
 * first brings the channel up to the hypervisor's state, so a child seen
 * stopped has had its last packets read.
 */
#include <asm/arch_timer.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include <bulkhead/manage_dev.h>

#include "bulkhead.h"

static unsigned int heartbeat_ms = 1000;
module_param(heartbeat_ms, uint, 0644);
MODULE_PARM_DESC(heartbeat_ms, "heartbeat period the root asks of its children, in ms (0: none)");

#define INTEG_MAX_PACKET sizeof(struct bh_integ_shutdown) /* the largest packet type */
#define INTEG_BATCH	 64  /* packets per work run before it yields */
#define MAX_PEERS	 256 /* partition ids are 8 bits */

struct integ {
	struct bh_chan *ch;
	struct list_head node; /* in integ_list */
	struct work_struct work;
	struct delayed_work heartbeat; /* the consumer's */
	struct mutex mutex;	       /* everything below */

	bool connected; /* the fields below describe session `session` */
	u64 session;
	u32 sessions;	   /* connections since the module loaded */
	u64 bad_packets;   /* ignored: unknown type, wrong length, no request of ours */
	u32 period_ms;	   /* the heartbeat period asked (provider) or asked of us (consumer) */
	u64 heartbeats;	   /* received (provider) or sent (consumer) in this session */
	ktime_t last_beat; /* of the last one, or of the session's start */
	u64 time_synced;   /* TIME answers sent (provider) or clock settings (consumer) */

	/* The provider's: the child as its HELLO said, our last SHUTDOWN and its answer. */
	bool hello;
	ktime_t hello_at; /* of this session's first HELLO */
	u32 kind;
	char system[sizeof(((struct bh_integ_hello *)0)->system)];
	u64 shutdown_id;       /* never reused while the module is loaded */
	u64 shutdown_answered; /* the SHUTDOWN the last SHUTDOWN_ACK answered (0: none) */
	s32 shutdown_status;   /* that SHUTDOWN_ACK's */

	/* The consumer's: the TIME_REQUEST outstanding (0: none), and a SHUTDOWN under way. */
	u64 time_counter;
	u64 time_trans;
	bool shutting_down;
};

/* The channels, for /dev/bulkhead's lookups by peer. Taken before any integ's mutex. */
static LIST_HEAD(integ_list);
static DEFINE_MUTEX(integ_list_mutex);

/* BH_MGMT_IOC_SET_HEARTBEAT's periods by partition id, plus one (0: not set). */
static u32 heartbeat_override[MAX_PEERS];

static struct integ *integ_of(struct bh_chan *ch)
{
	return ch->frontend_data;
}

static u32 period_for(unsigned int peer)
{
	u32 set = peer < MAX_PEERS ? READ_ONCE(heartbeat_override[peer]) : 0;

	return set ? set - 1 : min(READ_ONCE(heartbeat_ms), BH_INTEG_HEARTBEAT_MAX_MS);
}

static const char *type_name(u16 type)
{
	static const char *const names[] = {
		[BH_INTEG_HELLO] = "HELLO",
		[BH_INTEG_WELCOME] = "WELCOME",
		[BH_INTEG_HEARTBEAT] = "HEARTBEAT",
		[BH_INTEG_SHUTDOWN] = "SHUTDOWN",
		[BH_INTEG_SHUTDOWN_ACK] = "SHUTDOWN_ACK",
		[BH_INTEG_TIME_REQUEST] = "TIME_REQUEST",
		[BH_INTEG_TIME] = "TIME",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type] : "unknown";
}

static const char *kind_name(u32 kind)
{
	return kind == BH_INTEG_KIND_SDK     ? "sdk"
	       : kind == BH_INTEG_KIND_LINUX ? "linux"
					     : "unknown";
}

/* A peer's string for our logs and sysfs: NUL-terminated, printable ASCII only. */
static void copy_text(char *out, const char *in, size_t size)
{
	size_t i;

	for (i = 0; i < size - 1 && in[i]; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

static void bad_packet(struct integ *ig, u16 type, u32 len, const char *why)
{
	ig->bad_packets++;
	dev_warn_ratelimited(
		ig->ch->parent,
		"channel %s: integration packet type %u (%s), %u bytes, from partition "
		"%u: %s; ignored\n",
		ig->ch->name, type, type_name(type), len, ig->ch->peer, why);
}

/*
 * Sends a packet; a failure is logged (the peer is not reading, or the
 * channel broke), but not a channel that is down: what a child left behind
 * is read after it went away, and its requests get no answer then.
 */
static int send(struct integ *ig, u16 type, u64 trans_id, const void *data, u32 len)
{
	int rc = bh_chan_send(ig->ch, type, trans_id, data, len);

	if (rc != VMBUS_OK && rc != -ENOTCONN)
		dev_warn_ratelimited(ig->ch->parent, "channel %s: cannot send %s: %d\n",
				     ig->ch->name, type_name(type), rc);
	return rc;
}

/* ------------------------------------------------------------------ the provider (root) */

static void send_welcome(struct integ *ig, u32 period)
{
	struct bh_integ_welcome w = {.version = BH_INTEG_VERSION, .heartbeat_ms = period};

	ig->period_ms = period;
	send(ig, BH_INTEG_WELCOME, 0, &w, sizeof(w));
}

static void provider_packet(struct integ *ig, const struct vmbus_desc *d, const void *p, u32 len)
{
	const struct bh_integ_hello *hello = p;
	const struct bh_integ_time_request *req = p;
	const struct bh_integ_shutdown_ack *ack = p;
	struct bh_integ_time time;

	switch (d->type) {
	case BH_INTEG_HELLO:
		if (len != sizeof(*hello) || hello->version < 1)
			break;
		ig->kind = hello->kind;
		copy_text(ig->system, hello->system, sizeof(ig->system));
		if (!ig->hello) {
			ig->hello_at = ktime_get();
			dev_info(ig->ch->parent,
				 "channel %s: partition %u says hello: %s (%s, integration "
				 "version %u)\n",
				 ig->ch->name, ig->ch->peer, ig->system, kind_name(ig->kind),
				 hello->version);
		}
		ig->hello = true;
		send_welcome(ig, period_for(ig->ch->peer));
		return;
	case BH_INTEG_HEARTBEAT:
		if (len != sizeof(struct bh_integ_heartbeat))
			break;
		ig->heartbeats++;
		ig->last_beat = ktime_get();
		return;
	case BH_INTEG_TIME_REQUEST:
		if (len != sizeof(*req))
			break;
		time.counter = req->counter;
		time.unix_ns = ktime_get_real_ns();
		if (send(ig, BH_INTEG_TIME, d->trans_id, &time, sizeof(time)) == VMBUS_OK)
			ig->time_synced++;
		return;
	case BH_INTEG_SHUTDOWN_ACK:
		/*
		 * Any request sent may be answered, the latest or one before it (two
		 * callers asked in turn); an answer to one older than the last answered
		 * changes nothing.
		 */
		if (len != sizeof(*ack) || !d->trans_id || d->trans_id > ig->shutdown_id)
			break;
		if (d->trans_id <= ig->shutdown_answered)
			return;
		ig->shutdown_answered = d->trans_id;
		ig->shutdown_status = ack->status;
		dev_info(ig->ch->parent, "channel %s: partition %u %s the shutdown (status %d)\n",
			 ig->ch->name, ig->ch->peer, ack->status == 0 ? "acknowledged" : "refused",
			 ack->status);
		return;
	}
	bad_packet(ig, d->type, len, "not a packet the root takes, or not its size");
}

/* The provider of the connected integration channel to `peer`, with its mutex held; or NULL. */
static struct integ *find_provider(unsigned int peer)
{
	struct integ *ig;

	list_for_each_entry(ig, &integ_list,
			    node) if (ig->ch->provider && ig->ch->peer == peer) return ig;
	return NULL;
}

static void follow_session(struct integ *ig);

void bh_integ_status(unsigned int peer, struct bh_mgmt_status *st)
{
	struct integ *ig;

	mutex_lock(&integ_list_mutex);
	ig = find_provider(peer);
	if (ig) {
		/*
		 * As of the hypervisor's state now: a child seen stopped has had
		 * what it left read (integ_state_changed), and the fields below
		 * describe the session as the channel has it, not as the work
		 * last did. (The list's mutex keeps ig; the state work takes
		 * neither it nor, while we wait, ig's mutex.)
		 */
		bh_chan_sync_state(ig->ch);
		mutex_lock(&ig->mutex);
		follow_session(ig);
		st->integration = !ig->connected ? BH_MGMT_INTEG_WAITING
				  : ig->hello	 ? BH_MGMT_INTEG_READY
						 : BH_MGMT_INTEG_CONNECTED;
		st->kind = ig->hello ? ig->kind : 0;
		memcpy(st->system, ig->system, sizeof(st->system));
		st->heartbeats = ig->heartbeats;
		st->heartbeat_age_ms = ktime_ms_delta(ktime_get(), ig->last_beat);
		st->heartbeat_ms = ig->hello ? ig->period_ms : period_for(peer);
		st->sessions = ig->sessions;
		st->hello_ns = ig->hello ? ktime_to_ns(ig->hello_at) : 0;
		st->shutdown_request = ig->shutdown_id;
		st->shutdown_answered = ig->shutdown_answered;
		st->shutdown_status = ig->shutdown_status;
		mutex_unlock(&ig->mutex);
	}
	mutex_unlock(&integ_list_mutex);
}

static int shutdown_locked(struct integ *ig, u32 action, u32 timeout_ms, const char *reason,
			   u64 *request)
{
	struct bh_integ_shutdown req = {.action = action, .timeout_ms = timeout_ms};
	int rc;

	if (!ig->connected || !bh_chan_connected(ig->ch))
		return -ENOTCONN;
	strscpy_pad(req.reason, reason, sizeof(req.reason));
	rc = send(ig, BH_INTEG_SHUTDOWN, ig->shutdown_id + 1, &req, sizeof(req));
	if (rc == VMBUS_FULL)
		return -EAGAIN;
	if (rc != VMBUS_OK)
		return -ENOTCONN;
	ig->shutdown_id++;
	*request = ig->shutdown_id;
	dev_info(ig->ch->parent, "channel %s: asked partition %u to %s: %s\n", ig->ch->name,
		 ig->ch->peer, action == BH_INTEG_SHUTDOWN_REBOOT ? "reboot" : "power off",
		 req.reason[0] ? req.reason : "(no reason given)");
	return 0;
}

int bh_integ_shutdown(unsigned int peer, u32 action, u32 timeout_ms, const char *reason,
		      u64 *request)
{
	struct integ *ig;
	int rc = -ENOTCONN;

	mutex_lock(&integ_list_mutex);
	ig = find_provider(peer);
	if (ig) {
		mutex_lock(&ig->mutex);
		rc = shutdown_locked(ig, action, timeout_ms, reason, request);
		mutex_unlock(&ig->mutex);
	}
	mutex_unlock(&integ_list_mutex);
	return rc;
}

int bh_integ_set_heartbeat(unsigned int peer, u32 period_ms)
{
	struct integ *ig;

	if (peer >= MAX_PEERS || period_ms > BH_INTEG_HEARTBEAT_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(heartbeat_override[peer], period_ms + 1);
	mutex_lock(&integ_list_mutex);
	ig = find_provider(peer);
	if (ig) {
		mutex_lock(&ig->mutex);
		if (ig->connected && ig->hello)
			send_welcome(ig, period_ms);
		mutex_unlock(&ig->mutex);
	}
	mutex_unlock(&integ_list_mutex);
	return 0;
}

/* ------------------------------------------------------------------ the consumer (a child) */

static void send_time_request(struct integ *ig)
{
	struct bh_integ_time_request req = {.counter = __arch_counter_get_cntvct()};

	if (send(ig, BH_INTEG_TIME_REQUEST, ig->session, &req, sizeof(req)) == VMBUS_OK) {
		ig->time_counter = req.counter;
		ig->time_trans = ig->session;
	}
}

static void consumer_hello(struct integ *ig)
{
	struct bh_integ_hello hello = {.version = BH_INTEG_VERSION, .kind = BH_INTEG_KIND_LINUX};

	snprintf(hello.system, sizeof(hello.system), "Linux %s", init_utsname()->release);
	copy_text(ig->system, hello.system, sizeof(ig->system));
	if (send(ig, BH_INTEG_HELLO, 0, &hello, sizeof(hello)) == VMBUS_OK)
		send_time_request(ig);
}

/* The clock from the root's answer, as of the middle of the round trip. */
static bool set_clock(struct integ *ig, const struct bh_integ_time *t)
{
	u64 now = __arch_counter_get_cntvct();
	u32 freq = arch_timer_get_cntfrq();
	struct timespec64 ts;
	struct tm tm;
	u64 rtt_ns;
	s64 unix_ns;
	int rc;

	if (now < t->counter || freq == 0 || t->unix_ns <= 0)
		return false;
	rtt_ns = mul_u64_u32_div(now - t->counter, NSEC_PER_SEC, freq);
	if (rtt_ns > (u64)(S64_MAX - t->unix_ns))
		return false;
	unix_ns = t->unix_ns + (s64)(rtt_ns / 2);
	ts = ns_to_timespec64(unix_ns);
	if (!timespec64_valid_settod(&ts))
		return false;
	rc = do_settimeofday64(&ts);
	if (rc) {
		dev_warn(ig->ch->parent, "channel %s: cannot set the clock: %d\n", ig->ch->name,
			 rc);
		return true; /* a good packet; the kernel said no */
	}
	ig->time_synced++;
	time64_to_tm(ts.tv_sec, 0, &tm);
	dev_info(ig->ch->parent,
		 "channel %s: clock set from partition %u: %04ld-%02d-%02d %02d:%02d:%02d UTC "
		 "(round trip %llu us)\n",
		 ig->ch->name, ig->ch->peer, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, rtt_ns / NSEC_PER_USEC);
	return true;
}

static void consumer_shutdown(struct integ *ig, const struct vmbus_desc *d,
			      const struct bh_integ_shutdown *req)
{
	struct bh_integ_shutdown_ack ack = {.status = 0};
	bool reboot = req->action == BH_INTEG_SHUTDOWN_REBOOT;
	char reason[sizeof(req->reason)];

	copy_text(reason, req->reason, sizeof(reason));
	send(ig, BH_INTEG_SHUTDOWN_ACK, d->trans_id, &ack, sizeof(ack));
	dev_info(ig->ch->parent, "channel %s: partition %u asks for a %s: %s\n", ig->ch->name,
		 ig->ch->peer, reboot ? "reboot" : "power-off", reason[0] ? reason : "(no reason)");
	if (ig->shutting_down)
		return; /* already under way */
	ig->shutting_down = true;
	if (reboot)
		orderly_reboot();
	else
		orderly_poweroff(true);
}

static void consumer_packet(struct integ *ig, const struct vmbus_desc *d, const void *p, u32 len)
{
	const struct bh_integ_welcome *w = p;
	const struct bh_integ_time *t = p;
	const struct bh_integ_shutdown *req = p;

	switch (d->type) {
	case BH_INTEG_WELCOME:
		if (len != sizeof(*w) || w->version < 1 ||
		    w->heartbeat_ms > BH_INTEG_HEARTBEAT_MAX_MS)
			break;
		ig->period_ms = w->heartbeat_ms;
		if (ig->period_ms)
			mod_delayed_work(system_wq, &ig->heartbeat, 0);
		else
			cancel_delayed_work(&ig->heartbeat);
		return;
	case BH_INTEG_TIME:
		if (len != sizeof(*t) || !ig->time_counter || t->counter != ig->time_counter ||
		    d->trans_id != ig->time_trans || !set_clock(ig, t))
			break;
		ig->time_counter = 0;
		return;
	case BH_INTEG_SHUTDOWN:
		if (len != sizeof(*req) || req->action > BH_INTEG_SHUTDOWN_REBOOT)
			break;
		consumer_shutdown(ig, d, req);
		return;
	}
	bad_packet(ig, d->type, len, "not a packet a child takes, or not its size, or no request");
}

static void heartbeat_work(struct work_struct *work)
{
	struct integ *ig = container_of(to_delayed_work(work), struct integ, heartbeat);
	struct bh_integ_heartbeat beat;

	mutex_lock(&ig->mutex);
	if (ig->connected && ig->period_ms && bh_chan_connected(ig->ch)) {
		beat.sequence = ig->heartbeats + 1;
		beat.uptime_ms = ktime_to_ms(ktime_get_boottime());
		if (send(ig, BH_INTEG_HEARTBEAT, 0, &beat, sizeof(beat)) == VMBUS_OK) {
			ig->heartbeats++;
			ig->last_beat = ktime_get();
		}
		schedule_delayed_work(&ig->heartbeat, msecs_to_jiffies(ig->period_ms));
	}
	mutex_unlock(&ig->mutex);
}

/* ------------------------------------------------------------------ both */

/* The fields describe session `session` from now on; the consumer introduces itself. */
static void begin_session(struct integ *ig, u64 session)
{
	ig->connected = true;
	ig->session = session;
	ig->sessions++;
	ig->hello = false;
	ig->kind = 0;
	ig->heartbeats = 0;
	ig->last_beat = ktime_get();
	ig->time_counter = 0;
	if (!ig->ch->provider) {
		ig->period_ms = 0; /* until WELCOME says */
		consumer_hello(ig);
	} else {
		ig->system[0] = '\0';
	}
}

/* A new session resets what the fields say about the last one. */
static void follow_session(struct integ *ig)
{
	bool connected = bh_chan_connected(ig->ch);
	u64 session = READ_ONCE(ig->ch->session);

	if (connected && (!ig->connected || session != ig->session)) {
		begin_session(ig, session);
	} else if (!connected && ig->connected) {
		ig->connected = false;
		cancel_delayed_work(
			&ig->heartbeat); /* it looks at `connected` if already running */
	}
}

struct integ_packet {
	struct vmbus_desc desc;
	u32 len;
	u8 data[INTEG_MAX_PACKET];
};

/* Copies the packet if it can be one of ours; a longer one is consumed, uncopied, and refused. */
static int take_packet(void *ctx, const struct vmbus_packet_view *view)
{
	struct integ_packet *pkt = ctx;
	size_t first = min_t(size_t, view->span[0].n, sizeof(pkt->data));

	pkt->desc = view->desc;
	pkt->len = view->len;
	if (view->len <= sizeof(pkt->data)) {
		memcpy(pkt->data, view->span[0].p, first);
		memcpy(pkt->data + first, view->span[1].p, view->len - first);
	}
	return VMBUS_OK;
}

static void handle_packet(struct integ *ig, const struct integ_packet *pkt)
{
	if (pkt->len > sizeof(pkt->data))
		bad_packet(ig, pkt->desc.type, pkt->len, "longer than any integration packet");
	else if (ig->ch->provider)
		provider_packet(ig, &pkt->desc, pkt->data, pkt->len);
	else
		consumer_packet(ig, &pkt->desc, pkt->data, pkt->len);
}

static void integ_work(struct work_struct *work)
{
	struct integ *ig = container_of(work, struct integ, work);
	struct integ_packet pkt;
	unsigned int n;

	mutex_lock(&ig->mutex);
	follow_session(ig);
	for (n = 0; ig->connected && n < INTEG_BATCH; n++) {
		int rc = bh_chan_recv_with(ig->ch, take_packet, &pkt);

		if (rc == VMBUS_EMPTY && bh_chan_rx_ready(ig->ch))
			continue; /* more came while the doorbell was masked */
		if (rc != VMBUS_OK)
			break;
		handle_packet(ig, &pkt);
	}
	if (n == INTEG_BATCH)
		schedule_work(&ig->work); /* a flood: let others run, then go on */
	mutex_unlock(&ig->mutex);
}

/*
 * The child went away (RESET): what it sent last (a SHUTDOWN_ACK, a last
 * heartbeat) may still be in the receive ring, which is cleared when the
 * channel opens again, right after this. Read it now, each packet checked
 * as ever, at most as many as the ring can hold. A session the work never
 * saw begins here if it left anything, so the fields describe that one.
 */
static void read_what_is_left(struct integ *ig)
{
	u64 session = READ_ONCE(ig->ch->session);
	u32 n, most = bh_chan_max_recv_packets(ig->ch);
	struct integ_packet pkt;

	for (n = 0; n < most; n++) {
		if (bh_chan_recv_left(ig->ch, take_packet, &pkt) != VMBUS_OK)
			break;
		if (ig->session != session)
			begin_session(ig, session);
		handle_packet(ig, &pkt);
		if (n % INTEG_BATCH == INTEG_BATCH - 1)
			cond_resched(); /* a large ring full of small packets */
	}
	ig->connected = false;
}

static void integ_doorbell(struct bh_chan *ch)
{
	schedule_work(&integ_of(ch)->work);
}

static void integ_state_changed(struct bh_chan *ch)
{
	struct integ *ig = integ_of(ch);

	if (ch->provider && bh_chan_state(ch) == BH_CHANNEL_RESET) {
		mutex_lock(&ig->mutex);
		read_what_is_left(ig);
		mutex_unlock(&ig->mutex);
	}
	schedule_work(&ig->work);
}

/* ------------------------------------------------------------------ sysfs */

#define INTEG_ATTR(field, fmt, expr)                                                              \
	static ssize_t field##_show(struct device *dev, struct device_attribute *attr, char *buf) \
	{                                                                                         \
		struct integ *ig = integ_of(dev_get_drvdata(dev));                                \
		ssize_t n;                                                                        \
		mutex_lock(&ig->mutex);                                                           \
		n = sysfs_emit(buf, fmt "\n", expr);                                              \
		mutex_unlock(&ig->mutex);                                                         \
		return n;                                                                         \
	}                                                                                         \
	static DEVICE_ATTR_RO(field)

INTEG_ATTR(kind, "%s", ig->ch->provider ? (ig->hello ? kind_name(ig->kind) : "none") : "linux");
INTEG_ATTR(system, "%s", ig->system);
INTEG_ATTR(heartbeats, "%llu", ig->heartbeats);
INTEG_ATTR(heartbeat_age_ms, "%lld", ktime_ms_delta(ktime_get(), ig->last_beat));
INTEG_ATTR(heartbeat_ms, "%u", ig->period_ms);
INTEG_ATTR(sessions, "%u", ig->sessions);
INTEG_ATTR(time_synced, "%llu", ig->time_synced);
INTEG_ATTR(bad_packets, "%llu", ig->bad_packets);

/* The provider's: "poweroff [REASON]" or "reboot [REASON]" asks the child (as
 * BH_MGMT_IOC_SHUTDOWN). */
static ssize_t shutdown_store(struct device *dev, struct device_attribute *attr, const char *buf,
			      size_t count)
{
	struct integ *ig = integ_of(dev_get_drvdata(dev));
	char line[8 + sizeof(((struct bh_integ_shutdown *)0)->reason)];
	char *reason;
	u64 request;
	u32 action;
	int rc;

	if (!ig->ch->provider)
		return -EPERM;
	strscpy(line, buf, sizeof(line));
	strim(line);
	reason = line;
	strsep(&reason, " ");
	if (strcmp(line, "poweroff") == 0)
		action = BH_INTEG_SHUTDOWN_POWEROFF;
	else if (strcmp(line, "reboot") == 0)
		action = BH_INTEG_SHUTDOWN_REBOOT;
	else
		return -EINVAL;
	mutex_lock(&ig->mutex);
	rc = shutdown_locked(ig, action, 0, reason ? reason : "", &request);
	mutex_unlock(&ig->mutex);
	return rc ? rc : (ssize_t)count;
}
static DEVICE_ATTR_WO(shutdown);

static struct attribute *integ_attrs[] = {
	&dev_attr_kind.attr,	     &dev_attr_system.attr,
	&dev_attr_heartbeats.attr,   &dev_attr_heartbeat_age_ms.attr,
	&dev_attr_heartbeat_ms.attr, &dev_attr_sessions.attr,
	&dev_attr_time_synced.attr,  &dev_attr_bad_packets.attr,
	&dev_attr_shutdown.attr,     NULL,
};

static const struct attribute_group integ_group = {
	.name = "integration",
	.attrs = integ_attrs,
};

/* ------------------------------------------------------------------ probe and remove */

static int integ_probe(struct bh_chan *ch)
{
	struct integ *ig = kzalloc(sizeof(*ig), GFP_KERNEL);
	int rc;

	if (!ig)
		return -ENOMEM;
	ig->ch = ch;
	mutex_init(&ig->mutex);
	INIT_WORK(&ig->work, integ_work);
	INIT_DELAYED_WORK(&ig->heartbeat, heartbeat_work);
	ig->last_beat = ktime_get();
	ch->frontend_data = ig;
	rc = device_add_group(ch->dev, &integ_group);
	if (rc) {
		ch->frontend_data = NULL;
		kfree(ig);
		return rc;
	}
	mutex_lock(&integ_list_mutex);
	list_add_tail(&ig->node, &integ_list);
	mutex_unlock(&integ_list_mutex);
	return 0;
}

static void integ_remove(struct bh_chan *ch)
{
	struct integ *ig = integ_of(ch);

	mutex_lock(&integ_list_mutex);
	list_del(&ig->node);
	mutex_unlock(&integ_list_mutex);
	device_remove_group(ch->dev, &integ_group);
	/* The channel is closed: the work finds it so and does not queue itself again. */
	cancel_work_sync(&ig->work);
	cancel_delayed_work_sync(&ig->heartbeat);
	ch->frontend_data = NULL;
	kfree(ig);
}

const struct bh_frontend bh_integ_frontend = {
	.kind = "integration",
	.probe = integ_probe,
	.remove = integ_remove,
	.doorbell = integ_doorbell,
	.state_changed = integ_state_changed,
};
