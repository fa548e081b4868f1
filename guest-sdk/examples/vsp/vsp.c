/* SPDX-License-Identifier: MIT */
/*
 * vsp: service providers for the root partition (docs/vmbus.md). It serves
 * every channel this partition provides, by the channel's interface:
 *   echo     every packet goes back as it came (type, transaction id, bytes);
 *   console  the peer's output, a byte stream (include/bulkhead/console.h),
 *            printed here a line at a time ("vsp: rt1: ..."): a child without
 *            a UART prints through the root;
 *   sink     packets of type 1 are counted and dropped, type 2 is echoed, type
 *            3 is answered with the bytes counted (examples/throughput).
 * One loop serves all channels and never blocks on one of them: a reply
 * that finds the peer's ring full waits in that channel's slot. A ring that
 * breaks (a buggy or hostile peer) is reported, closed and offered again;
 * the other channels never notice.
 */
#include <bulkhead/channel.h>
#include <bulkhead/console.h>
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <string.h>

#define MAX_CHANNELS 16
#define MAX_PACKET   BH_CONSOLE_MAX_PACKET /* the largest the services take */
#define MAX_LINE     256		   /* a console line longer than this is cut */

struct service {
	struct bh_channel ch;
	enum { ECHO, CONSOLE, SINK } kind;
	unsigned long packets;
	uint64_t bytes;	    /* sink: payload bytes counted */
	uint64_t announced; /* the session last reported as connected */
	bool reply_waiting; /* an echo that found no room */
	uint32_t line_len;  /* console: the line so far, not yet printed */
	char line[MAX_LINE];
	struct vmbus_desc reply_desc;
	uint32_t reply_len;
	uint8_t reply[MAX_PACKET];
};

static struct service services[MAX_CHANNELS];
static struct bh_channel *waitlist[MAX_CHANNELS];
static unsigned service_count;

static void print_line(struct service *s)
{
	uint32_t len = s->line_len;
	if (len > 0 && s->line[len - 1] == '\r') {
		len--; /* a peer with CR LF line ends */
	}
	printf("vsp: %s: %.*s\n", s->ch.name, (int)len, s->line);
	s->line_len = 0;
}

/* Console bytes: whole lines are printed, a partial one waits for the rest. */
static void console_bytes(struct service *s, const uint8_t *bytes, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (bytes[i] == '\n') {
			print_line(s);
			continue;
		}
		if (s->line_len == sizeof(s->line)) {
			print_line(s);
		}
		s->line[s->line_len++] = (char)bytes[i];
	}
}

static void offer(struct service *s)
{
	if (s->line_len > 0) {
		print_line(s); /* the last session's last words, without their newline */
	}
	s->reply_waiting = false;
	bh_channel_open(&s->ch);
}

/* Closes a channel whose peer broke the protocol, and offers it again. */
static void drop(struct service *s, const char *why)
{
	printf("vsp: %s: %s; closing it and offering it again\n", s->ch.name, why);
	bh_channel_close(&s->ch);
	offer(s);
}

/* Sends the waiting echo; false if there is still no room. */
static bool flush_reply(struct service *s)
{
	if (!s->reply_waiting) {
		return true;
	}
	int rc = bh_channel_send(&s->ch, s->reply_desc.type, s->reply_desc.trans_id, s->reply,
				 s->reply_len);
	if (rc == VMBUS_FULL) {
		return false;
	}
	s->reply_waiting = false;
	if (rc != VMBUS_OK) {
		drop(s, s->ch.tx.broken ? s->ch.tx.error : bh_channel_status_name(rc));
		return false;
	}
	return true;
}

static void serve(struct service *s)
{
	unsigned state = bh_channel_update(&s->ch);

	if (state == BH_CHANNEL_CONNECTED && s->ch.session != s->announced) {
		printf("vsp: %s: connected to partition %u (session %llu)\n", s->ch.name,
		       s->ch.peer, (unsigned long long)s->ch.session);
		s->announced = s->ch.session;
	}
	if (state == BH_CHANNEL_RESET) {
		printf("vsp: %s: partition %u went away after %lu packets; offering it again\n",
		       s->ch.name, s->ch.peer, s->packets);
		s->packets = 0;
		s->bytes = 0;
		offer(s);
		return;
	}
	if (state != BH_CHANNEL_CONNECTED) {
		return;
	}
	/* A bounded batch per wakeup, so that one busy peer cannot starve the others. */
	for (unsigned n = 0; n < 64; n++) {
		if (!flush_reply(s)) {
			return; /* no room for the echo: the peer rings once there is */
		}
		int rc = bh_channel_recv(&s->ch, &s->reply_desc, s->reply, sizeof(s->reply),
					 &s->reply_len);
		if (rc == VMBUS_EMPTY) {
			return;
		}
		if (rc != VMBUS_OK) {
			drop(s, rc == VMBUS_BROKEN ? s->ch.rx.error
						   : "a packet larger than the service takes");
			return;
		}
		s->packets++;
		if (s->kind == SINK && s->reply_desc.type == 1) {
			s->bytes += s->reply_len;
		} else if (s->kind == SINK && s->reply_desc.type == 3) {
			memcpy(s->reply, &s->bytes, sizeof(s->bytes));
			s->reply_len = sizeof(s->bytes);
			s->reply_waiting = true;
		} else if (s->kind != CONSOLE) {
			s->reply_waiting = true;
		} else if (s->reply_desc.type == BH_CONSOLE_TYPE_DATA) {
			console_bytes(s, s->reply, s->reply_len);
		} /* other console types are reserved: skipped */
	}
	/* The batch ended, not the packets: look again without sleeping. */
	atomic_store(&s->ch.doorbell, true);
}

int main(void)
{
	bh_irq_init();
	unsigned n = bh_channel_count();
	for (unsigned i = 0; i < n && service_count < MAX_CHANNELS; i++) {
		struct service *s = &services[service_count];
		if (bh_channel_get(i, &s->ch) != BH_HVC_OK || !s->ch.provider) {
			continue;
		}
		if (strcmp(s->ch.interface, "echo") == 0) {
			s->kind = ECHO;
		} else if (strcmp(s->ch.interface, "sink") == 0) {
			s->kind = SINK;
		} else if (strcmp(s->ch.interface, "console") == 0) {
			s->kind = CONSOLE;
		} else {
			printf("vsp: %s: no service for interface '%s'\n", s->ch.name,
			       s->ch.interface);
			continue;
		}
		printf("vsp: offering %s (%s) to partition %u\n", s->ch.name, s->ch.interface,
		       s->ch.peer);
		offer(s);
		waitlist[service_count++] = &s->ch;
	}
	if (service_count == 0) {
		printf("vsp: no channel to serve\n");
		return 0;
	}
	bh_irq_local_enable();
	for (;;) {
		for (unsigned i = 0; i < service_count; i++) {
			serve(&services[i]);
		}
		bh_channel_wait(waitlist, service_count);
	}
}
