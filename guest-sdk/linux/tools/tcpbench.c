// SPDX-License-Identifier: MIT
/*
 * tcpbench: TCP throughput between two Linux partitions (bhnet, make bench),
 * without the pipes and 8 KiB reads of `dd | nc` in the way.
 *
 *   tcpbench -l PORT
 *       Accepts one connection on PORT (IPv4, any address), reads until the
 *       client's end of stream, closes, and exits. Prints "tcpbench:
 *       listening on PORT" once it listens, and "tcpbench: received N bytes"
 *       at the end.
 *   tcpbench ADDRESS PORT MIB
 *       Connects, writes MIB MiB (in 128 KiB writes), ends its stream and
 *       waits until the server has closed, so the time covers every byte
 *       received: "tcpbench: sent N bytes in T us (R MB/s)".
 *
 * Exit status: 0 done, 1 a runtime error (a message says which call failed),
 * 2 a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	   (128U * 1024U)
#define USAGE_EXIT 2

static char buf[CHUNK];

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "tcpbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static const char usage_text[] =
	"usage: tcpbench -l PORT              serve one connection, read it all\n"
	"       tcpbench ADDRESS PORT MIB     send MIB MiB, time it\n"
	"       tcpbench -h                   this text\n";

static _Noreturn void usage(void)
{
	fputs(usage_text, stderr);
	exit(USAGE_EXIT);
}

static unsigned long number(const char *s, unsigned long most)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > most) {
		fprintf(stderr, "tcpbench: not a number from 1 to %lu: %s\n", most, s);
		usage();
	}
	return v;
}

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000U + (uint64_t)t.tv_nsec / 1000U;
}

static int serve(uint16_t port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int c;
	uint64_t total = 0;
	ssize_t n;

	if (s < 0)
		die("socket");
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		die("SO_REUSEADDR");
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("bind");
	if (listen(s, 1) != 0)
		die("listen");
	printf("tcpbench: listening on %u\n", port);
	fflush(stdout);
	c = accept(s, NULL, NULL);
	if (c < 0)
		die("accept");
	while ((n = read(c, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			die("read");
		if (n > 0)
			total += (uint64_t)n;
	}
	close(c);
	close(s);
	printf("tcpbench: received %llu bytes\n", (unsigned long long)total);
	return 0;
}

static int send_stream(const char *address, uint16_t port, unsigned long mib)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
	uint64_t total = (uint64_t)mib << 20, sent = 0, start, us;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	if (inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
		fprintf(stderr, "tcpbench: not an IPv4 address: %s\n", address);
		usage();
	}
	if (s < 0)
		die("socket");
	memset(buf, 0x5a, sizeof(buf));
	start = now_us();
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("connect");
	while (sent < total) {
		size_t want = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;

		n = write(s, buf, want);
		if (n < 0 && errno != EINTR)
			die("write");
		if (n > 0)
			sent += (uint64_t)n;
	}
	if (shutdown(s, SHUT_WR) != 0)
		die("shutdown");
	/* The server closes once it has read everything: then the time is complete. */
	while ((n = read(s, buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR)
			die("read");
	us = now_us() - start;
	close(s);
	printf("tcpbench: sent %llu bytes in %llu us (%.1f MB/s)\n", (unsigned long long)sent,
	       (unsigned long long)us, us ? (double)sent / (double)us : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "-l") == 0)
		return serve((uint16_t)number(argv[2], 65535));
	if (argc == 4)
		return send_stream(argv[1], (uint16_t)number(argv[2], 65535),
				   number(argv[3], 1UL << 20));
	usage();
	return USAGE_EXIT;
}
