/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz target in tests/fuzz/ shares: the invariant check that
 * aborts (libFuzzer reports the input), and the entry point. A target defines
 * `static void run(const uint8_t *data, size_t size)` and ends with
 * FUZZ_ENTRY("name"): libFuzzer's LLVMFuzzerTestOneInput, or, built with
 * -DFUZZ_REPLAY (gcc, no libFuzzer), a main() that runs the files named on
 * its command line, so a crash file reproduces anywhere.
 */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* The input as a stream of bytes; past its end it reads as zeros. */
struct fuzz_input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline uint8_t fuzz_byte(struct fuzz_input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

#ifdef FUZZ_REPLAY
static inline int fuzz_replay(int argc, char **argv, void (*run)(const uint8_t *, size_t),
			      const char *name)
{
	static uint8_t input[1 << 20];
	for (int i = 1; i < argc; i++) {
		FILE *file = fopen(argv[i], "rb");
		if (file == NULL) {
			perror(argv[i]);
			return 1;
		}
		size_t n = fread(input, 1, sizeof(input), file);
		fclose(file);
		run(input, n);
	}
	printf("%s: %d inputs replayed, no crash\n", name, argc - 1);
	return 0;
}
#define FUZZ_ENTRY(name)                                   \
	int main(int argc, char **argv)                    \
	{                                                  \
		return fuzz_replay(argc, argv, run, name); \
	}
#else
#define FUZZ_ENTRY(name)                                              \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)  \
	{                                                             \
		run(data, size);                                      \
		return 0;                                             \
	}
#endif

#endif
