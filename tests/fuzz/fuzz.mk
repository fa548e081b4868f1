# SPDX-License-Identifier: MIT
#
# libFuzzer over the VMBus ring's receive path (tests/fuzz/fuzz_ring.c), from
# the top-level Makefile. Needs clang and libFuzzer's runtime (Debian: clang,
# libclang-rt-14-dev).
#
#   make fuzz-smoke   about 20 s from fixed seeds (-seed=1), fails on any crash
#   make fuzz         FUZZ_TIME seconds (default 600), growing a corpus that
#                     persists in build/host/fuzz/corpus
#   make fuzz-replay  FUZZ_INPUTS (default: the seeds and that corpus) through a
#                     gcc build, no libFuzzer: to reproduce a crash file
#
# A crash leaves its input in build/host/fuzz/crash-*; replay it with
# build/host/fuzz/fuzz_ring FILE (or make fuzz-replay FUZZ_INPUTS=FILE).

.PHONY: fuzz-smoke fuzz fuzz-replay

FUZZ_CC ?= clang
FUZZ_TIME ?= 600
FUZZ_SMOKE_TIME ?= 20
FUZZ_B := $(HOST_B)/fuzz
FUZZ_RING := $(FUZZ_B)/fuzz_ring
FUZZ_SEEDS := $(FUZZ_B)/seeds
FUZZ_CORPUS := $(FUZZ_B)/corpus
FUZZ_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion
FUZZ_SRCS := tests/fuzz/fuzz_ring.c vmbus/ring.c
# -timeout: a single input running for seconds is a hang; the largest input
# is the header fields, a 32-byte script and a 4 KiB data area.
FUZZ_FLAGS := -timeout=5 -max_len=4200 -print_final_stats=1

$(FUZZ_RING): $(FUZZ_SRCS) vmbus/ring.h tests/fuzz/fuzz.mk | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@command -v $(FUZZ_CC) >/dev/null || \
		{ echo "fuzz: $(FUZZ_CC) not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(FUZZ_SRCS)

# The seeds are generated, not stored: valid rings written by the library itself.
$(FUZZ_SEEDS).stamp: tests/fuzz/make_seeds.c vmbus/ring.c vmbus/ring.h | $(DEPS_STAMP)
	@mkdir -p $(FUZZ_SEEDS)
	$(Q)$(HOST_CC) $(FUZZ_CFLAGS) -o $(FUZZ_B)/make_seeds tests/fuzz/make_seeds.c vmbus/ring.c
	$(Q)rm -f $(FUZZ_SEEDS)/* && $(FUZZ_B)/make_seeds $(FUZZ_SEEDS) && touch $@

# Runs the fuzzer: $(1) seconds, $(2) the corpus it grows, $(3) a label.
# libFuzzer reads the seeds first, then mutates; its summary line gives the runs.
define run_fuzzer
	@mkdir -p $(2)
	$(Q)log=$(FUZZ_B)/$(3).log; \
	if ! $(FUZZ_RING) $(FUZZ_FLAGS) -seed=1 -max_total_time=$(1) \
		-artifact_prefix=$(FUZZ_B)/ $(2) $(FUZZ_SEEDS) >$$log 2>&1; then \
		tail -n 40 $$log; \
		echo "  FUZZ    ring: CRASH, input in $$(ls -t $(FUZZ_B)/crash-* $(FUZZ_B)/leak-* \
			$(FUZZ_B)/timeout-* $(FUZZ_B)/oom-* 2>/dev/null | head -n 1), log in $$log" >&2; \
		exit 1; \
	fi; \
	sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/  FUZZ    ring: \1 runs in \2 s, no crash/p' $$log
endef

fuzz-smoke: $(FUZZ_RING) $(FUZZ_SEEDS).stamp
	$(Q)rm -rf $(FUZZ_B)/smoke-corpus
	$(call run_fuzzer,$(FUZZ_SMOKE_TIME),$(FUZZ_B)/smoke-corpus,smoke)

fuzz: $(FUZZ_RING) $(FUZZ_SEEDS).stamp
	$(call run_fuzzer,$(FUZZ_TIME),$(FUZZ_CORPUS),fuzz)

FUZZ_INPUTS ?= $(FUZZ_SEEDS) $(FUZZ_CORPUS)
$(FUZZ_B)/fuzz_ring_replay: $(FUZZ_SRCS) vmbus/ring.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(FUZZ_CFLAGS) -DFUZZ_REPLAY -fsanitize=address,undefined \
		-fno-sanitize-recover=all -o $@ $(FUZZ_SRCS)

fuzz-replay: $(FUZZ_B)/fuzz_ring_replay $(FUZZ_SEEDS).stamp
	$(Q)$(FUZZ_B)/fuzz_ring_replay $$(find $(FUZZ_INPUTS) -type f 2>/dev/null)
