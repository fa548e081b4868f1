/* SPDX-License-Identifier: MIT */
/*
 * Console backend for Bulkhead partitions: BH_HVC_CONSOLE_WRITE carries up to
 * 32 bytes per call in x2-x5; the hypervisor line-buffers the output and tags
 * it with the partition's name.
 */
#include "internal.h"

#include <string.h>

void bh_console_backend_write(const char *text, size_t length)
{
	while (length > 0) {
		size_t chunk =
			length < BH_HVC_CONSOLE_WRITE_MAX ? length : BH_HVC_CONSOLE_WRITE_MAX;
		/* Little endian: the first byte lands in x2[7:0], as the ABI wants. */
		uint64_t words[BH_HVC_CONSOLE_WRITE_MAX / sizeof(uint64_t)] = {0};

		memcpy(words, text, chunk);
		bh_hvc_call(BH_HVC_CONSOLE_WRITE, chunk, words[0], words[1], words[2], words[3]);
		text += chunk;
		length -= chunk;
	}
}

size_t bh_console_backend_read(char *buffer, size_t length)
{
	struct bh_smccc_result result = bh_hvc_call(BH_HVC_CONSOLE_READ, 0, 0, 0, 0, 0);
	uint64_t words[4] = {result.x1, result.x2, result.x3, result.x4};
	size_t n = result.x0 < length ? (size_t)result.x0 : length;

	/* Bytes past `length` are lost: read with a buffer of 32 or more (stdio does). */
	memcpy(buffer, words, n);
	return n;
}
