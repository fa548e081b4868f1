# SPDX-License-Identifier: MIT
#
# libFuzzer over the code a hostile partition or a broken tree drives, from
# the top-level Makefile. Needs clang and libFuzzer's runtime (Debian: clang,
# libclang-rt-14-dev). The targets:
#
#   ring    the VMBus ring's receive path (tests/fuzz/fuzz_ring.c), seeded
#           with valid rings written by the library itself
#   vgic    the virtual GIC's register decode and list registers
#           (tests/fuzz/fuzz_vgic.c over core/vgic.c and the arch fake)
#   vuart   the emulated PL011's register decode (tests/fuzz/fuzz_vuart.c)
#   config  the partition parser on whole system trees
#           (tests/fuzz/fuzz_config.c), seeded with tests/configs/{good,bad}
#
#   make fuzz-smoke   FUZZ_SMOKE_RUNS_<target> inputs per target (about 15 s
#                     each) from fixed seeds (-seed=1): a count, not a time,
#                     and address randomisation off where the machine allows
#                     it (libFuzzer's compare tracing sees pointers), so a
#                     build runs the same inputs on any machine and a finding
#                     repeats; fails on any crash or hang
#   make fuzz         FUZZ_TIME seconds per target (default 600), growing
#                     corpora that persist in build/host/fuzz/corpus/<target>
#   make fuzz-replay  FUZZ_INPUTS (default: seeds and corpora) through gcc
#                     builds, no libFuzzer: to reproduce a crash file
#
# Pick targets with FUZZ_TARGETS="vgic config". A crash leaves its input in
# build/host/fuzz/crash-*; replay it with build/host/fuzz/fuzz_<target> FILE.

.PHONY: fuzz-smoke fuzz fuzz-replay

FUZZ_CC ?= clang
FUZZ_TIME ?= 600
# Inputs per smoke run: about 15 s each on a 2-core CI machine.
FUZZ_SMOKE_RUNS_ring ?= 800000
FUZZ_SMOKE_RUNS_vgic ?= 600000
FUZZ_SMOKE_RUNS_vuart ?= 400000
FUZZ_SMOKE_RUNS_config ?= 500000
FUZZ_TARGETS ?= ring vgic vuart config
FUZZ_B := $(HOST_B)/fuzz
FUZZ_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion
# Core code built for the host as the unit tests build it (BUG_ON live).
FUZZ_CORE_CFLAGS := -Iinclude -Icore/include -Iarch/arm64/include -DFAKE_ARCH_FUZZ \
	-DCONFIG_MAX_CPUS=8 -DCONFIG_LOG_LEVEL=3 -DCONFIG_DEBUG_CHECKS=1

FUZZ_SRCS_ring := tests/fuzz/fuzz_ring.c vmbus/ring.c
FUZZ_DEPS_ring := vmbus/ring.h tests/fuzz/fuzz.h
FUZZ_MAXLEN_ring := 4200
FUZZ_SRCS_vgic := tests/fuzz/fuzz_vgic.c core/vgic.c tests/unit/fake_arch.c
FUZZ_DEPS_vgic := tests/fuzz/fuzz.h tests/unit/fake_arch.h $(wildcard core/include/core/*.h arch/arm64/include/arch/*.h)
FUZZ_FLAGS_vgic := $(FUZZ_CORE_CFLAGS)
FUZZ_MAXLEN_vgic := 4096
FUZZ_SRCS_vuart := tests/fuzz/fuzz_vuart.c core/vconsole.c core/vgic.c tests/unit/fake_arch.c
FUZZ_DEPS_vuart := $(FUZZ_DEPS_vgic)
FUZZ_FLAGS_vuart := $(FUZZ_CORE_CFLAGS)
FUZZ_MAXLEN_vuart := 4096
FUZZ_SRCS_config := tests/fuzz/fuzz_config.c core/config.c core/config_devices.c \
	core/config_vmbus.c core/fdt_util.c core/dt.c core/lib/printf.c core/lib/errors.c
FUZZ_DEPS_config := tests/fuzz/fuzz.h core/config_internal.h $(wildcard core/include/core/*.h include/bulkhead/*.h)
FUZZ_FLAGS_config := $(FUZZ_CORE_CFLAGS)
FUZZ_LIBS_config := -lfdt
FUZZ_MAXLEN_config := 16384

# $(1): target. The libFuzzer build and the gcc replay build.
define fuzz_target
$(FUZZ_B)/fuzz_$(1): $(FUZZ_SRCS_$(1)) $(FUZZ_DEPS_$(1)) tests/fuzz/fuzz.mk | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	@command -v $(FUZZ_CC) >/dev/null || \
		{ echo "fuzz: $(FUZZ_CC) not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
	@$$(if $$(Q),echo "  FUZZCC  $$@")
	$$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS_$(1)) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $$@ $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1))
$(FUZZ_B)/fuzz_$(1)_replay: $(FUZZ_SRCS_$(1)) $(FUZZ_DEPS_$(1)) | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(Q)$(HOST_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS_$(1)) -DFUZZ_REPLAY -fsanitize=address,undefined \
		-fno-sanitize-recover=all -o $$@ $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

# Seeds are generated, not stored. The ring's: valid rings written by the
# library itself; the parser's: every system tree of the bad-config corpus and
# the good ones, compiled as bhconfig compiles them; the emulated devices
# start from nothing (their input format is a script any bytes make).
$(FUZZ_B)/seeds/ring.stamp: tests/fuzz/make_seeds.c vmbus/ring.c vmbus/ring.h | $(DEPS_STAMP)
	@mkdir -p $(FUZZ_B)/seeds/ring
	$(Q)$(HOST_CC) $(FUZZ_CFLAGS) -o $(FUZZ_B)/make_seeds tests/fuzz/make_seeds.c vmbus/ring.c
	$(Q)rm -f $(FUZZ_B)/seeds/ring/* && $(FUZZ_B)/make_seeds $(FUZZ_B)/seeds/ring && touch $@
$(FUZZ_B)/seeds/config.stamp: $(wildcard tests/configs/*/*.dts tests/configs/common/*.dtsi) \
		| $(DEPS_STAMP)
	@mkdir -p $(FUZZ_B)/seeds/config
	$(Q)rm -f $(FUZZ_B)/seeds/config/* && for f in tests/configs/good/*.dts tests/configs/bad/*.dts; do \
		n=$$(basename $$(dirname $$f))-$$(basename $$f .dts); \
		dtc -q -I dts -O dtb -i boards -o $(FUZZ_B)/seeds/config/$$n.dtb $$f 2>/dev/null || \
			rm -f $(FUZZ_B)/seeds/config/$$n.dtb; done; touch $@
$(FUZZ_B)/seeds/vgic.stamp $(FUZZ_B)/seeds/vuart.stamp:
	@mkdir -p $(basename $@)
	$(Q)touch $@

FUZZ_FLAGS := -timeout=5 -print_final_stats=1
# setarch -R where personality(ADDR_NO_RANDOMIZE) is allowed (containers may refuse it).
FUZZ_NO_ASLR := $(shell setarch $$(uname -m) -R true 2>/dev/null && echo "setarch $$(uname -m) -R")

# Runs one target: $(1) target, $(2) its limit (-runs=N or -max_total_time=S),
# $(3) the corpus it grows, $(4) log label. libFuzzer reads the seeds first,
# then mutates; -reload=0 keeps a run from depending on when files appear.
define run_fuzzer
	@mkdir -p $(3)
	$(Q)log=$(FUZZ_B)/$(4)-$(1).log; \
	if ! $(FUZZ_NO_ASLR) $(FUZZ_B)/fuzz_$(1) $(FUZZ_FLAGS) -max_len=$(FUZZ_MAXLEN_$(1)) -seed=1 -reload=0 \
		$(2) -artifact_prefix=$(FUZZ_B)/ $(3) $(FUZZ_B)/seeds/$(1) \
		>$$log 2>&1; then \
		tail -n 40 $$log; \
		echo "  FUZZ    $(1): CRASH, input in $$(ls -t $(FUZZ_B)/crash-* $(FUZZ_B)/leak-* \
			$(FUZZ_B)/timeout-* $(FUZZ_B)/oom-* 2>/dev/null | head -n 1), log in $$log" >&2; \
		exit 1; \
	fi; \
	sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/  FUZZ    $(1): \1 runs in \2 s, no crash/p' $$log
endef

# Per target: fuzz-smoke-<t>, fuzz-<t>, fuzz-replay-<t>.
define fuzz_runs
.PHONY: fuzz-smoke-$(1) fuzz-$(1) fuzz-replay-$(1)
fuzz-smoke-$(1): $(FUZZ_B)/fuzz_$(1) $(FUZZ_B)/seeds/$(1).stamp
	$$(Q)rm -rf $(FUZZ_B)/smoke-corpus/$(1)
	$$(call run_fuzzer,$(1),-runs=$(FUZZ_SMOKE_RUNS_$(1)),$(FUZZ_B)/smoke-corpus/$(1),smoke)
fuzz-$(1): $(FUZZ_B)/fuzz_$(1) $(FUZZ_B)/seeds/$(1).stamp
	$$(call run_fuzzer,$(1),-max_total_time=$(FUZZ_TIME),$(FUZZ_B)/corpus/$(1),fuzz)
fuzz-replay-$(1): $(FUZZ_B)/fuzz_$(1)_replay $(FUZZ_B)/seeds/$(1).stamp
	$$(Q)$(FUZZ_B)/fuzz_$(1)_replay $$$$(find $$(or $$(FUZZ_INPUTS),$(FUZZ_B)/seeds/$(1) \
		$(FUZZ_B)/corpus/$(1)) -type f 2>/dev/null)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_runs,$(t))))

FUZZ_INPUTS ?=
fuzz-smoke: $(addprefix fuzz-smoke-,$(FUZZ_TARGETS))
fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))
fuzz-replay: $(addprefix fuzz-replay-,$(FUZZ_TARGETS))
