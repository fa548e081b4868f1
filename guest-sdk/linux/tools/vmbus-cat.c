// SPDX-License-Identifier: MIT
/*
 * vmbus-cat: a raw VMBus channel from the shell (the Linux module's
 * /dev/vmbus/<name>, include/bulkhead/vmbus_dev.h).
 *
 *   vmbus-cat [-c] [-n N] [-w SECONDS] CHANNEL
 *       Copies stdin to the channel and the channel to stdout, both at once.
 *       A packet is a line of stdin without its newline; a longer line than
 *       the channel's max_payload goes as several packets. Each packet
 *       received is printed as a line (packets carry their exact length:
 *       docs/vmbus.md 2.1). -c, --chunks: a packet is what one read() of
 *       stdin returned (at most max_payload bytes), and packets are printed
 *       as they came, with no newline added. After stdin's end
 *       it keeps printing: forever (the channel is a conversation, like a
 *       tty), or until -n, --count N packets were printed in all, or until
 *       -w, --wait SECONDS passed with no packet (0: exit at stdin's end).
 *   vmbus-cat -e [-n N] CHANNEL
 *       An echo service: every packet goes back as it came (type, transaction
 *       id, bytes). "vmbus-cat: echo on CHANNEL ready" once it serves; after
 *       SIGINT/SIGTERM, or -n, --count N packets, "vmbus-cat: echoed N packets".
 *   vmbus-cat -p N [-s S] CHANNEL
 *       A client of an echo service: N packets of S bytes (default 64) of type
 *       1, one at a time, transaction id = sequence number; each reply must
 *       carry the same type, id and bytes, and no more. Waits until the channel takes a packet,
 * then prints "vmbus-cat: N round trips of S bytes in T us (R per second)". vmbus-cat -i CHANNEL
 *       Prints the channel's BH_VMBUS_IOC_INFO fields, one "name: value" a line.
 *
 * CHANNEL is a channel's name (/dev/vmbus/CHANNEL) or, with a '/', a path.
 * ECONNRESET (the peer restarted) and EIO (the peer broke the ring; the
 * module resets the channel) are reported on stderr and survived in the copy
 * and echo modes; they fail a ping. Exit status: 0 done, 1 a runtime error
 * (a message names the channel and the error), 2 a usage error.
 */
#define _GNU_SOURCE
#include <bulkhead/abi.h>
#include <bulkhead/vmbus_dev.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define HEADER	   sizeof(struct bh_vmbus_packet)
#define MOST_RECV  0x80000U /* a VMBus packet's len8 field cannot say more */
#define PING_TYPE  1U
#define PING_SIZE  64U
#define PROGRAM	   "vmbus-cat"
#define USAGE_EXIT 2

static const char usage_text[] =
	"usage: vmbus-cat [-c] [-n N] [-w SECONDS] CHANNEL   copy stdin <-> channel <-> stdout\n"
	"       vmbus-cat -e [-n N] CHANNEL                  serve an echo service\n"
	"       vmbus-cat -p N [-s S] CHANNEL                N round trips to an echo service\n"
	"       vmbus-cat -i CHANNEL                         print the channel's state\n"
	"\n"
	"CHANNEL is a channel's name (/dev/vmbus/CHANNEL) or, with a '/', a device path.\n"
	"\n"
	"  -c, --chunks        a packet is one read() of stdin (at most max_payload bytes),\n"
	"                      printed as received (no newline added); default: one\n"
	"                      packet per line, printed as a line\n"
	"  -w, --wait SECONDS  after stdin's end, exit once no packet came for SECONDS\n"
	"                      (0: at stdin's end; default: keep printing until killed)\n"
	"  -n, --count N       copy: exit after printing N packets; echo: after echoing N\n"
	"  -e, --echo          send every packet back as it came (type, id, bytes)\n"
	"  -p, --ping N        send N packets of type 1, id = sequence number, one at a\n"
	"                      time, check each reply, print the round trips per second\n"
	"  -s, --size S        ping payload bytes (default 64)\n"
	"  -i, --info          print the BH_VMBUS_IOC_INFO fields\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 done, 1 runtime error, 2 usage error.\n";

struct channel {
	const char *name; /* as given: messages name it */
	int fd;
	struct bh_vmbus_info info;
	uint8_t *rx; /* header + payload of the last packet read */
	size_t rx_size;
	size_t rx_len; /* payload bytes in rx */
};

/* What a packet operation came to; errors other than these end the program. */
enum io { IO_DONE, IO_AGAIN, IO_PEER_RESET, IO_BROKEN };

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROGRAM ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	exit(USAGE_EXIT);
}

static _Noreturn void fail(const struct channel *c, const char *what, int err)
{
	fprintf(stderr, PROGRAM ": %s: %s: %s\n", c->name, what, strerror(err));
	exit(1);
}

static uint64_t parse_number(const char *option, const char *text, uint64_t most)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > most) {
		fprintf(stderr, PROGRAM ": %s: '%s' is not a number from 0 to %" PRIu64 "\n",
			option, text, most);
		exit(USAGE_EXIT);
	}
	return v;
}

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000U + (uint64_t)t.tv_nsec / 1000U;
}

static void *allocate(const struct channel *c, size_t bytes)
{
	void *p = malloc(bytes);
	if (p == NULL) {
		fail(c, "buffer", ENOMEM);
	}
	return p;
}

static void open_channel(struct channel *c, const char *arg)
{
	static char path[PATH_MAX];
	c->name = arg;
	if (strchr(arg, '/') != NULL) {
		snprintf(path, sizeof(path), "%s", arg);
	} else if ((size_t)snprintf(path, sizeof(path), "/dev/vmbus/%s", arg) >= sizeof(path)) {
		usage_error("channel name too long: %s", arg);
	}
	c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		fail(c, path, errno);
	}
	if (ioctl(c->fd, BH_VMBUS_IOC_INFO, &c->info) != 0) {
		fail(c, "BH_VMBUS_IOC_INFO", errno);
	}
	if (c->info.max_payload > MOST_RECV) {
		fprintf(stderr,
			PROGRAM ": %s: the module says max_payload %u, more than VMBus allows\n",
			c->name, c->info.max_payload);
		exit(1);
	}
	/* The peer's ring may be larger than ours: recv_packet() grows this. */
	c->rx_size = HEADER + c->info.max_payload;
	c->rx = allocate(c, c->rx_size);
}

static void set_header_mode(const struct channel *c)
{
	__u32 on = 1;
	if (ioctl(c->fd, BH_VMBUS_IOC_SET_HEADER, &on) != 0) {
		fail(c, "BH_VMBUS_IOC_SET_HEADER", errno);
	}
}

/* The errors the channel survives; anything else ends the program. */
static enum io peer_event(const struct channel *c, const char *what, int err)
{
	switch (err) {
	case EAGAIN:
	case EINTR:
		return IO_AGAIN;
	case ECONNRESET:
		return IO_PEER_RESET;
	case EIO:
		return IO_BROKEN;
	default:
		fail(c, what, err);
	}
}

/* Says what a surviving mode does about IO_PEER_RESET and IO_BROKEN. */
static void report(const struct channel *c, enum io result)
{
	if (result == IO_PEER_RESET) {
		fprintf(stderr, PROGRAM ": %s: peer reset, waiting for it\n", c->name);
	} else if (result == IO_BROKEN) {
		fprintf(stderr,
			PROGRAM ": %s: the peer broke the ring (%s); the channel is reset\n",
			c->name, strerror(EIO));
	}
}

/* One packet into c->rx (header mode). */
static enum io recv_packet(struct channel *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->rx, c->rx_size);
		if (n < 0 && errno == EMSGSIZE && c->rx_size < HEADER + MOST_RECV) {
			/* A packet larger than our own max_payload: the peer's ring is larger. */
			size_t size = c->rx_size * 2 < HEADER + MOST_RECV ? c->rx_size * 2
									  : HEADER + MOST_RECV;
			free(c->rx);
			c->rx = allocate(c, size);
			c->rx_size = size;
			continue;
		}
		if (n < 0) {
			return peer_event(c, "read", errno);
		}
		struct bh_vmbus_packet h;
		memcpy(&h, c->rx, sizeof(h));
		if ((size_t)n < HEADER || h.length != (size_t)n - HEADER) {
			fprintf(stderr,
				PROGRAM
				": %s: read %zd bytes, whose header says %u payload bytes\n",
				c->name, n, (unsigned)h.length);
			exit(1);
		}
		c->rx_len = h.length;
		return IO_DONE;
	}
}

/* One packet (header + `len` payload bytes at buf, which starts with the header). */
static enum io send_packet(const struct channel *c, const void *buf, size_t len)
{
	ssize_t n = write(c->fd, buf, HEADER + len);
	if (n < 0) {
		return peer_event(c, "write", errno);
	}
	if ((size_t)n != HEADER + len) {
		fprintf(stderr, PROGRAM ": %s: write took %zd of %zu bytes\n", c->name, n,
			HEADER + len);
		exit(1);
	}
	return IO_DONE;
}

/* Blocks until the channel is ready for `events` (or reports an error). */
static void wait_channel(const struct channel *c, short events)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	while (poll(&p, 1, -1) < 0) {
		if (errno != EINTR) {
			fail(c, "poll", errno);
		}
	}
}

static void write_all(const struct channel *c, int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			fail(c, fd == STDOUT_FILENO ? "stdout" : "write", errno);
		}
		p += n;
		len -= (size_t)n;
	}
}

static int info_mode(const struct channel *c)
{
	static const char *const states[] = {
		[BH_CHANNEL_CLOSED] = "closed",
		[BH_CHANNEL_WAITING] = "waiting",
		[BH_CHANNEL_CONNECTED] = "connected",
		[BH_CHANNEL_RESET] = "reset",
	};
	const struct bh_vmbus_info *i = &c->info;
	unsigned state = i->state & 0xffffU;
	printf("name: %.*s\n", (int)sizeof(i->name), i->name);
	printf("interface: %.*s\n", (int)sizeof(i->interface), i->interface);
	printf("index: %u\n", i->index);
	if (state < sizeof(states) / sizeof(states[0])) {
		printf("state: %s\n", states[state]);
	} else {
		printf("state: %u\n", state);
	}
	printf("session: %llu\n", (unsigned long long)i->session);
	printf("peer: %u\n", i->peer);
	printf("provider: %u\n", i->provider);
	printf("max_payload: %u\n", i->max_payload);
	printf("broken: %u\n", i->broken);
	printf("resets: %llu\n", (unsigned long long)i->resets);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int echo_mode(struct channel *c, uint64_t count)
{
	/* The stop signals are taken only inside ppoll(), so none is lost between checks. */
	sigset_t stops, waiting;
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &waiting);
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	set_header_mode(c);
	fprintf(stderr, PROGRAM ": echo on %s ready\n", c->name);
	uint64_t echoed = 0;
	bool reply = false; /* c->rx holds a packet to send back */
	while (stop_signal == 0 && echoed < count) {
		struct pollfd p = {.fd = c->fd, .events = reply ? POLLOUT : POLLIN};
		if (ppoll(&p, 1, NULL, &waiting) < 0) {
			if (errno == EINTR) {
				continue;
			}
			fail(c, "poll", errno);
		}
		enum io r = reply ? send_packet(c, c->rx, c->rx_len) : recv_packet(c);
		if (r == IO_DONE && !reply && c->rx_len > c->info.max_payload) {
			fprintf(stderr,
				PROGRAM
				": %s: a packet of %zu bytes is more than this side can send "
				"(max_payload %u): not echoed\n",
				c->name, c->rx_len, c->info.max_payload);
		} else if (r == IO_DONE) {
			echoed += reply;
			reply = !reply;
		} else if (r != IO_AGAIN) {
			report(c, r);
			reply = false; /* a reply to the session that ended is not wanted */
		}
	}
	fprintf(stderr, PROGRAM ": echoed %llu packets\n", (unsigned long long)echoed);
	return 0;
}

static void fill(uint8_t *payload, uint64_t seq, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		payload[i] = (uint8_t)(seq + i * 7U);
	}
}

static _Noreturn void ping_failed(const struct channel *c, uint64_t seq, enum io r)
{
	fprintf(stderr, PROGRAM ": %s: round trip %llu: %s (%s)\n", c->name,
		(unsigned long long)seq,
		r == IO_PEER_RESET ? "the peer reset the channel" : "the peer broke the ring",
		strerror(r == IO_PEER_RESET ? ECONNRESET : EIO));
	exit(1);
}

static int ping_mode(struct channel *c, uint64_t count, uint64_t size)
{
	if (size > c->info.max_payload) {
		fprintf(stderr,
			PROGRAM ": %s: --size %llu is more than the channel's max_payload %u\n",
			c->name, (unsigned long long)size, c->info.max_payload);
		return 1;
	}
	uint8_t *out = allocate(c, HEADER + size);
	set_header_mode(c);
	wait_channel(c, POLLOUT); /* connected: not timed */
	/*
	 * Blocking from here: a blocking read polls the ring briefly before it
	 * sleeps (the module's poll_us), which a poll() system call cannot.
	 */
	int flags = fcntl(c->fd, F_GETFL);
	if (flags < 0 || fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		fail(c, "fcntl", errno);
	}
	uint64_t start = now_us();
	for (uint64_t seq = 0; seq < count; seq++) {
		struct bh_vmbus_packet h = {
			.type = PING_TYPE, .length = (__u32)size, .trans_id = seq};
		memcpy(out, &h, sizeof(h));
		fill(out + HEADER, seq, size);
		enum io r;
		while ((r = send_packet(c, out, size)) == IO_AGAIN) {
			wait_channel(c, POLLOUT);
		}
		if (r != IO_DONE) {
			ping_failed(c, seq, r);
		}
		while ((r = recv_packet(c)) == IO_AGAIN) {
			wait_channel(c, POLLIN);
		}
		if (r != IO_DONE) {
			ping_failed(c, seq, r);
		}
		memcpy(&h, c->rx, sizeof(h));
		if (h.type != PING_TYPE || h.trans_id != seq || c->rx_len != size ||
		    memcmp(c->rx + HEADER, out + HEADER, size) != 0) {
			fprintf(stderr,
				PROGRAM
				": %s: round trip %llu: the reply differs (type %u, id %llu, "
				"%zu bytes; sent type %u, id %llu, %llu bytes)\n",
				c->name, (unsigned long long)seq, (unsigned)h.type,
				(unsigned long long)h.trans_id, c->rx_len, PING_TYPE,
				(unsigned long long)seq, (unsigned long long)size);
			free(out);
			return 1;
		}
	}
	uint64_t us = now_us() - start;
	printf(PROGRAM ": %llu round trips of %llu bytes in %llu us (%llu per second)\n",
	       (unsigned long long)count, (unsigned long long)size, (unsigned long long)us,
	       (unsigned long long)(us != 0 ? count * 1000000U / us : 0));
	free(out);
	return 0;
}

/* The copy mode's stdin side: bytes read, and the packet being sent. */
struct copy {
	bool chunks;
	uint8_t *in; /* stdin bytes not yet sent */
	size_t in_len, in_size;
	bool in_end;
	uint8_t *out; /* header + payload of the packet being sent */
	size_t out_len;
	bool sending;
};

/* Takes the next packet out of the stdin bytes, if they hold one. */
static bool next_packet(struct copy *k, size_t most)
{
	size_t len = k->in_len, skip = 0;
	const uint8_t *nl = k->chunks ? NULL : memchr(k->in, '\n', k->in_len);
	if (nl != NULL) {
		len = (size_t)(nl - k->in);
		skip = 1;
	} else if (k->in_len > most) {
		len = most; /* a line longer than a packet: the rest follows */
	} else if (k->in_len == 0 || (!k->chunks && !k->in_end)) {
		return false;
	}
	struct bh_vmbus_packet h = {.type = BH_VMBUS_TYPE_DATA, .length = (__u32)len};
	memcpy(k->out, &h, sizeof(h));
	memcpy(k->out + HEADER, k->in, len);
	k->out_len = len;
	k->in_len -= len + skip;
	memmove(k->in, k->in + len + skip, k->in_len);
	k->sending = true;
	return true;
}

static void print_packet(const struct channel *c, bool chunks)
{
	size_t len = c->rx_len;
	const uint8_t *payload = c->rx + HEADER;
	write_all(c, STDOUT_FILENO, payload, len);
	if (!chunks) {
		write_all(c, STDOUT_FILENO, "\n", 1);
	}
}

static int copy_mode(struct channel *c, bool chunks, int wait_ms, uint64_t count)
{
	size_t most = c->info.max_payload;
	struct copy k = {.chunks = chunks, .in_size = chunks ? most : most + 1};
	if (most == 0) {
		fprintf(stderr, PROGRAM ": %s: max_payload is 0: no byte can be sent\n", c->name);
		return 1;
	}
	k.in = allocate(c, k.in_size);
	k.out = allocate(c, HEADER + most);
	uint64_t printed = 0;

	set_header_mode(c);
	while (printed < count) {
		if (!k.sending) {
			next_packet(&k, most);
		}
		bool done_input = k.in_end && k.in_len == 0 && !k.sending;
		if (done_input && wait_ms == 0) {
			break;
		}
		struct pollfd p[2] = {
			{.fd = c->fd, .events = POLLIN | (k.sending ? POLLOUT : 0)},
			{.fd = STDIN_FILENO, .events = POLLIN},
		};
		/* Read stdin only when it can add to the buffer (chunks: only when it is empty). */
		bool want_input =
			!k.in_end && !k.sending && (chunks ? k.in_len == 0 : k.in_len < k.in_size);
		int n = poll(p, want_input ? 2 : 1, done_input ? wait_ms : -1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			fail(c, "poll", errno);
		}
		if (n == 0) {
			break; /* --wait: quiet for long enough */
		}
		if (p[0].revents != 0) {
			enum io r = IO_DONE;
			while (printed < count && (r = recv_packet(c)) == IO_DONE) {
				print_packet(c, chunks);
				printed++;
			}
			report(c, r);
		}
		if (k.sending && p[0].revents != 0) {
			/* After a reset the packet waits for the next session. */
			enum io r = send_packet(c, k.out, k.out_len);
			k.sending = r != IO_DONE;
			report(c, r);
		}
		if (want_input && p[1].revents != 0) {
			ssize_t got = read(STDIN_FILENO, k.in + k.in_len, k.in_size - k.in_len);
			if (got < 0 && errno != EINTR && errno != EAGAIN) {
				fail(c, "stdin", errno);
			}
			k.in_end = got == 0;
			k.in_len += got > 0 ? (size_t)got : 0;
		}
	}
	free(k.in);
	free(k.out);
	return 0;
}

enum mode { COPY, ECHO, PING, INFO };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"chunks", no_argument, NULL, 'c'},
		{"wait", required_argument, NULL, 'w'},
		{"count", required_argument, NULL, 'n'},
		{"echo", no_argument, NULL, 'e'},
		{"ping", required_argument, NULL, 'p'},
		{"size", required_argument, NULL, 's'},
		{"info", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum mode mode = COPY;
	bool chunks = false, waits = false, sized = false;
	uint64_t count = UINT64_MAX, pings = 0, size = PING_SIZE;
	int wait_ms = -1, opt;
	const char *wait_arg = NULL;

	while ((opt = getopt_long(argc, argv, "cw:n:ep:s:ih", options, NULL)) != -1) {
		enum mode chosen = mode;
		switch (opt) {
		case 'c':
			chunks = true;
			break;
		case 'w':
			waits = true;
			wait_arg = optarg;
			break;
		case 'n':
			count = parse_number("--count", optarg, UINT64_MAX);
			break;
		case 'e':
			chosen = ECHO;
			break;
		case 'p':
			chosen = PING;
			pings = parse_number("--ping", optarg, UINT64_MAX / 1000000U);
			break;
		case 's':
			sized = true;
			size = parse_number("--size", optarg, MOST_RECV);
			break;
		case 'i':
			chosen = INFO;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return USAGE_EXIT;
		}
		if (mode != COPY && chosen != mode) {
			usage_error("--echo, --ping and --info exclude each other");
		}
		mode = chosen;
	}
	if (optind != argc - 1) {
		usage_error(optind == argc ? "no CHANNEL" : "more than one CHANNEL");
	}
	if ((chunks || waits) && mode != COPY) {
		usage_error("--chunks and --wait are for copying stdin (no other mode)");
	}
	if (count != UINT64_MAX && mode != COPY && mode != ECHO) {
		usage_error("--count is for copying and --echo");
	}
	if (sized && mode != PING) {
		usage_error("--size is for --ping");
	}
	if (waits) {
		char *end;
		double seconds = strtod(wait_arg, &end);
		if (end == wait_arg || *end != '\0' ||
		    !(seconds >= 0 && seconds <= INT_MAX / 1000)) {
			usage_error("--wait: '%s' is not a number of seconds", wait_arg);
		}
		wait_ms = (int)(seconds * 1000);
	}

	struct channel c = {0};
	open_channel(&c, argv[optind]);
	int status;
	switch (mode) {
	case ECHO:
		status = echo_mode(&c, count);
		break;
	case PING:
		status = ping_mode(&c, pings, size);
		break;
	case INFO:
		status = info_mode(&c);
		break;
	case COPY:
	default:
		status = copy_mode(&c, chunks, wait_ms, count);
		break;
	}
	free(c.rx);
	close(c.fd);
	return status;
}
