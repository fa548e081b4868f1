// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpus of fuzz_ring.c into the directory given: valid rings
 * built with the library itself (empty, one packet, several, a payload and a
 * descriptor wrapping around the end, a full ring with a writer waiting, a
 * script of sends), in the input format described in fuzz_ring.c.
 * Usage: make_seeds DIR
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../vmbus/ring.h"

#define MAX_DATA 4096U

/* fuzz_ring.c's script operations: the low 3 bits, an argument above them. */
enum { RECV_SMALL, RECV_MAX, RECV_HALF, RECV_ZERO, SEND, BATCH, MASK, EMPTY };
#define OP(op, arg) (uint8_t)((op) | (arg) << 3)

static _Alignas(8) uint8_t mem[VMBUS_RING_HEADER_SIZE + MAX_DATA];
static struct vmbus_ring ring;
static const char *dir;

static void new_ring(uint32_t size)
{
	memset(mem, 0, sizeof(mem));
	vmbus_ring_init(&ring, mem, VMBUS_RING_HEADER_SIZE + size, true);
}

static void send(uint32_t len, uint32_t count)
{
	static const uint8_t payload[MAX_DATA];
	bool signal;
	for (uint32_t i = 0; i < count; i++) {
		if (vmbus_ring_send(&ring, 1, i, payload, len, &signal) != VMBUS_OK) {
			fprintf(stderr, "make_seeds: send %u failed\n", len);
		}
	}
}

static void consume(uint32_t count)
{
	static uint8_t buf[MAX_DATA];
	struct vmbus_desc desc;
	uint32_t len;
	bool signal;
	for (uint32_t i = 0; i < count; i++) {
		vmbus_ring_recv(&ring, &desc, buf, sizeof(buf), &len, &signal);
	}
}

static void put(FILE *file, uint32_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		fputc((int)(v >> (8 * i) & 0xff), file);
	}
}

static int write_seed(const char *name, const uint8_t *script, uint32_t script_len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *file = fopen(path, "wb");
	if (file == NULL) {
		perror(path);
		return 1;
	}
	put(file, (ring.size - 64) / 8, 2);
	put(file, atomic_load(&ring.hdr->write_index), 4);
	put(file, atomic_load(&ring.hdr->read_index), 4);
	put(file, atomic_load(&ring.hdr->interrupt_mask), 4);
	put(file, atomic_load(&ring.hdr->pending_send_sz), 4);
	put(file, 0, 1); /* indices as they are */
	put(file, script_len - 1, 1);
	fwrite(script, 1, script_len, file);
	/* The fuzzer reads missing bytes as zeros: trailing ones need not be stored. */
	uint32_t data_len = ring.size;
	while (data_len > 0 && ring.data[data_len - 1] == 0) {
		data_len--;
	}
	fwrite(ring.data, 1, data_len, file);
	return fclose(file) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	int failed = 0;

	new_ring(256);
	const uint8_t empty[] = {OP(RECV_MAX, 0), OP(MASK, 0), OP(EMPTY, 0), OP(RECV_SMALL, 0)};
	failed |= write_seed("empty", empty, sizeof(empty));

	new_ring(256);
	send(40, 1);
	const uint8_t one[] = {OP(RECV_SMALL, 2), OP(RECV_MAX, 0)}; /* 16 bytes: too small */
	failed |= write_seed("one-packet", one, sizeof(one));

	new_ring(512);
	send(0, 1);
	send(1, 1);
	send(8, 1);
	send(17, 1);
	send(100, 2);
	const uint8_t several[] = {OP(RECV_ZERO, 0), OP(RECV_SMALL, 1), OP(RECV_HALF, 0),
				   OP(RECV_SMALL, 31), OP(RECV_MAX, 0)};
	failed |= write_seed("several", several, sizeof(several));

	/* A 200-byte packet read leaves read_index at 200: a 61-byte payload wraps. */
	new_ring(256);
	send(176, 1);
	consume(1);
	send(61, 1);
	const uint8_t wrapped[] = {OP(RECV_HALF, 0)};
	failed |= write_seed("wrapped-payload", wrapped, sizeof(wrapped));

	/* read_index at 248: the descriptor itself wraps. */
	new_ring(256);
	send(200, 1);
	send(0, 1);
	consume(2);
	send(24, 1);
	const uint8_t desc_wrapped[] = {OP(RECV_MAX, 0), OP(SEND, 3)};
	failed |= write_seed("wrapped-descriptor", desc_wrapped, sizeof(desc_wrapped));

	/* Full, and the writer waits for 24 bytes: the read owes it a doorbell. */
	new_ring(256);
	send(vmbus_ring_max_payload(&ring), 1);
	bool signal;
	vmbus_ring_send(&ring, 1, 0, NULL, 0, &signal);
	const uint8_t full[] = {OP(RECV_MAX, 0), OP(SEND, 1), OP(BATCH, 7), OP(RECV_SMALL, 0)};
	failed |= write_seed("full-pending", full, sizeof(full));

	new_ring(4096);
	const uint8_t sends[] = {OP(MASK, 1),	   OP(SEND, 5),	      OP(BATCH, 3),
				 OP(MASK, 0),	   OP(RECV_MAX, 0),   OP(BATCH, 30),
				 OP(SEND, 31),	   OP(RECV_SMALL, 4), OP(EMPTY, 0),
				 OP(RECV_ZERO, 0), OP(BATCH, 17),     OP(RECV_HALF, 0)};
	failed |= write_seed("sends", sends, sizeof(sends));
	return failed;
}
