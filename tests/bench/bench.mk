# SPDX-License-Identifier: MIT
#
# Host benchmark of the VMBus ring (tests/bench/ring_bench.c), from the
# top-level Makefile (make bench). Two threads on two CPUs: 64 B messages
# against DPDK's rte_ring, 4 KiB packets against memcpy, and the doorbells a
# message costs. Numbers, not pass/fail; it fails only if a message is lost,
# reordered or damaged.
#
#   make ring-bench                        build build/host/bench/ring_bench, run it
#   make ring-bench RING_BENCH_SCALE=0.1   a tenth of the messages (default 1: 5-30 s)
#
# Needs DPDK's development files, for this benchmark only (not make check):
# `scripts/deps.sh bench` installs them (Debian: dpdk-dev, pkg-config) on first
# use. The binary links DPDK's shared libraries through pkg-config; DPDK's EAL
# runs without hugepages, so no setup is needed. If the EAL fails anyway, the
# DPDK row says why and the rest still runs.

ifeq ($(HOST_B),)
$(error tests/bench/bench.mk: include it from the top-level Makefile, after HOST_B is set)
endif

.PHONY: ring-bench

RING_BENCH := $(HOST_B)/bench/ring_bench
RING_BENCH_SCALE ?= 1
DEPS_BENCH_STAMP := $(O)/.deps-bench-ok

$(DEPS_BENCH_STAMP): scripts/deps.sh
	$(Q)mkdir -p $(O)
	$(Q)scripts/deps.sh bench
	$(Q)touch $@

# pkg-config runs in the recipe: after deps.sh has installed it. The libraries
# come after the sources, or --as-needed (in DPDK's flags) drops them.
$(RING_BENCH): tests/bench/ring_bench.c vmbus/ring.c vmbus/ring.h tests/unit/ring_wait.h tests/bench/bench.mk \
		| $(DEPS_BENCH_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) -std=c11 -O2 -g -Wall -Wextra -Werror -pthread \
		$$(pkg-config --cflags libdpdk) -o $@ tests/bench/ring_bench.c vmbus/ring.c \
		$$(pkg-config --libs libdpdk)

ring-bench: $(RING_BENCH)
	$(Q)$(RING_BENCH) $(RING_BENCH_SCALE)
