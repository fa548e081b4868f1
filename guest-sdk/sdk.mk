# SPDX-License-Identifier: MIT
#
# Bulkhead guest SDK: build a bare-metal program for a partition. A program's
# Makefile is three lines:
#
#   BULKHEAD_SDK := /path/to/guest-sdk
#   PROGRAM := hello
#   include $(BULKHEAD_SDK)/sdk.mk
#
# `make` compiles every .c and .S next to that Makefile and links them with the
# SDK and newlib into $(BH_BUILD_DIR)/$(PROGRAM).elf and $(PROGRAM).bin (the raw
# image to load at BH_GUEST_BASE). Settings, as make VAR=value or set before
# the include:
#
#   BH_CONSOLE         hvc: Bulkhead's console hypercall (default); pl011: the UART itself
#   BH_PSCI_CONDUIT    smc: Bulkhead (default); hvc: native QEMU -M virt without EL2
#   BH_NATIVE=1        shorthand for running on QEMU without the hypervisor: pl011,
#                      hvc, BH_GUEST_BASE=0x40080000 (where QEMU's -kernel puts it)
#   BH_PL011_BASE      UART address for BH_CONSOLE=pl011 (default 0x09000000)
#   BH_GIC_DIST_BASE, BH_GIC_REDIST_BASE, BH_GIC_CPU_BASE
#                      GICD, GICv3 GICR, GICv2 GICC (default: QEMU virt's 0x08000000,
#                      0x080a0000, 0x08010000, where Bulkhead's virtual GIC is too)
#   BH_GUEST_BASE      link and load address (default 0x40000000, a partition's RAM)
#   BH_GUEST_MEM_SIZE  memory the program owns from BH_GUEST_BASE (default 16 MiB)
#   BH_STACK_SIZE      stack of each of the 8 CPUs (default 64 KiB)
#   BH_BUILD_DIR       output directory (default: build/guests/$(PROGRAM) in the
#                      Bulkhead tree, ./build elsewhere; -native appended for BH_NATIVE=1)
#   BH_NEWLIB          newlib install prefix (default: build/sdk/newlib in the Bulkhead tree)
#   BH_VMBUS           the portable VMBus ring library (default: vmbus/ in the Bulkhead tree)
#   BH_SDK_VERSION     what the integration runtime's HELLO says after "Bulkhead SDK "
#                      (default: BULKHEAD_VERSION of the Bulkhead tree's Makefile)
#   PROGRAM_OPTIONS    names of make variables that reach C as macros when set
#   PROGRAM_SRCS       the sources (default: *.c and *.S next to the Makefile)
#   PROGRAM_CFLAGS     extra compiler flags
#   CROSS_COMPILE      default aarch64-linux-gnu-
#   V=1                show the commands
#
# Targets: all (default), clean, run-native (BH_NATIVE=1: boot it in QEMU),
# sdk-lib (just libbulkhead.a; PROGRAM may be empty).

ifeq ($(BULKHEAD_SDK),)
$(error set BULKHEAD_SDK to the guest-sdk directory before including sdk.mk)
endif
BULKHEAD_SDK := $(abspath $(BULKHEAD_SDK))
BH_REPO := $(abspath $(BULKHEAD_SDK)/..)
BH_PROGRAM_DIR := $(abspath $(dir $(firstword $(MAKEFILE_LIST))))

ifeq ($(BH_NATIVE),1)
BH_CONSOLE ?= pl011
BH_PSCI_CONDUIT ?= hvc
BH_GUEST_BASE ?= 0x40080000
BH_NATIVE_SUFFIX := -native
endif
BH_CONSOLE ?= hvc
BH_PSCI_CONDUIT ?= smc
BH_PL011_BASE ?= 0x09000000
BH_GIC_DIST_BASE ?= 0x08000000
BH_GIC_REDIST_BASE ?= 0x080a0000
BH_GIC_CPU_BASE ?= 0x08010000
BH_GUEST_BASE ?= 0x40000000
BH_GUEST_MEM_SIZE ?= 0x1000000
BH_STACK_SIZE ?= 0x10000
CROSS_COMPILE ?= aarch64-linux-gnu-

ifeq ($(filter $(BH_CONSOLE),hvc pl011),)
$(error BH_CONSOLE=$(BH_CONSOLE): choose hvc or pl011)
endif
ifeq ($(filter $(BH_PSCI_CONDUIT),smc hvc),)
$(error BH_PSCI_CONDUIT=$(BH_PSCI_CONDUIT): choose smc or hvc)
endif

# Builds stay out of the source tree: under the Bulkhead tree's build/.
ifneq ($(filter $(BH_REPO)/%,$(BH_PROGRAM_DIR)),)
ifeq ($(PROGRAM),)
BH_BUILD_DIR ?= $(BH_REPO)/build/sdk/lib$(BH_NATIVE_SUFFIX)
else
BH_BUILD_DIR ?= $(BH_REPO)/build/guests/$(PROGRAM)$(BH_NATIVE_SUFFIX)
endif
else
BH_BUILD_DIR ?= $(BH_PROGRAM_DIR)/build$(BH_NATIVE_SUFFIX)
endif
BH_BUILD_DIR := $(abspath $(BH_BUILD_DIR))

BH_NEWLIB ?= $(BH_REPO)/build/sdk/newlib
BH_VMBUS ?= $(BH_REPO)/vmbus
BH_VMBUS := $(abspath $(BH_VMBUS))
BH_NEWLIB_TARGET := $(BH_NEWLIB)/aarch64-none-elf
BH_NEWLIB_STAMP := $(BH_NEWLIB)/.newlib-build-id
BH_NEWLIB_SCRIPT := $(BH_REPO)/scripts/build-newlib.sh

ifeq ($(V),1)
BH_Q :=
else
BH_Q := @
endif

BH_CC := $(CROSS_COMPILE)gcc
BH_AR := $(CROSS_COMPILE)ar
BH_OBJCOPY := $(CROSS_COMPILE)objcopy
BH_GCC_INCLUDE := $(shell $(BH_CC) -print-file-name=include)
BH_LIBGCC := $(shell $(BH_CC) -print-libgcc-file-name)

# Only gcc's own headers and newlib's: nothing from the Linux sysroot.
BH_CPPFLAGS := -nostdinc -isystem $(BH_GCC_INCLUDE) -isystem $(BH_NEWLIB_TARGET)/include \
	-I$(BH_REPO)/include -I$(BULKHEAD_SDK)/include -I$(dir $(BH_VMBUS))
# -mno-outline-atomics: gcc's default calls helpers that need Linux's getauxval.
BH_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -march=armv8-a -mno-outline-atomics \
	-fno-stack-protector -fno-pie -fno-common -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -MMD -MP
# The version the integration runtime announces (HELLO): the Bulkhead tree's.
ifeq ($(BH_SDK_VERSION),)
BH_SDK_VERSION := $(or $(shell sed -n 's/^BULKHEAD_VERSION *:= *//p' $(BH_REPO)/Makefile \
	2>/dev/null),unknown)
endif
BH_SDK_CFLAGS := -DBH_SDK_VERSION='"$(BH_SDK_VERSION)"' -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wconversion -Wno-sign-conversion \
	-DBH_PSCI_CONDUIT_HVC=$(if $(filter hvc,$(BH_PSCI_CONDUIT)),1,0) \
	-DBH_PL011_BASE=$(BH_PL011_BASE) -DBH_GIC_DIST_BASE=$(BH_GIC_DIST_BASE) \
	-DBH_GIC_REDIST_BASE=$(BH_GIC_REDIST_BASE) -DBH_GIC_CPU_BASE=$(BH_GIC_CPU_BASE)
BH_ASFLAGS := -march=armv8-a -MMD -MP
BH_PROGRAM_DEFINES := $(foreach option,$(PROGRAM_OPTIONS),$(if $($(option)),-D$(option)=$($(option))))
# The --defsym options come before -T: the script keeps its defaults only for
# symbols not defined by then.
BH_LDFLAGS := -nostdlib -nostartfiles -static -no-pie \
	-Wl,--defsym=BH_GUEST_BASE=$(BH_GUEST_BASE) \
	-Wl,--defsym=BH_GUEST_MEM_SIZE=$(BH_GUEST_MEM_SIZE) \
	-Wl,--defsym=BH_STACK_SIZE=$(BH_STACK_SIZE) -Wl,-T,$(BULKHEAD_SDK)/guest.ld \
	-Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--fatal-warnings
BH_LDLIBS := -Wl,--start-group $(BH_NEWLIB_TARGET)/lib/libc.a $(BH_NEWLIB_TARGET)/lib/libm.a \
	$(BH_LIBGCC) -Wl,--end-group

# ---------------------------------------------------------------- the SDK library
BH_SDK_SRCS := $(BULKHEAD_SDK)/crt0.S $(addprefix $(BULKHEAD_SDK)/lib/,start.c hypercall.c \
	psci.c cpu.c console.c console_$(BH_CONSOLE).c time.c syscalls.c exception.c irq.c \
	channel.c integration.c integration_core.c)
# A program keeps its copy of the library (built with its settings) in sdk/.
BH_SDK_OUT := $(BH_BUILD_DIR)$(if $(PROGRAM),/sdk)
BH_SDK_OBJS := $(patsubst $(BULKHEAD_SDK)/%,$(BH_SDK_OUT)/%.o,$(BH_SDK_SRCS)) \
	$(BH_SDK_OUT)/vmbus/ring.c.o
BH_SDK_LIB := $(BH_SDK_OUT)/libbulkhead.a

# Every object depends on the flags it was built with, so changing a setting rebuilds.
BH_FLAGS_FILE := $(BH_BUILD_DIR)/flags
BH_FLAGS := $(BH_CC) $(BH_CPPFLAGS) $(BH_CFLAGS) $(BH_SDK_CFLAGS) $(BH_PROGRAM_DEFINES) \
	$(PROGRAM_CFLAGS) $(BH_LDFLAGS) $(notdir $(BH_SDK_SRCS))

ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif
.PHONY: all clean sdk-lib run-native bh-force

$(BH_FLAGS_FILE): bh-force
	@mkdir -p $(@D)
	@echo '$(BH_FLAGS)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(BH_NEWLIB_STAMP):
	$(BH_Q)if [ -x "$(BH_NEWLIB_SCRIPT)" ]; then "$(BH_NEWLIB_SCRIPT)" "$(BH_NEWLIB)"; else \
		echo "sdk.mk: no newlib in $(BH_NEWLIB): run scripts/build-newlib.sh in the Bulkhead"; \
		echo "sdk.mk: tree (or 'make sdk' there), or point BH_NEWLIB at a newlib prefix"; \
		exit 1; fi

$(BH_SDK_OUT)/%.c.o: $(BULKHEAD_SDK)/%.c $(BH_FLAGS_FILE) | $(BH_NEWLIB_STAMP)
	@mkdir -p $(@D)
	@$(if $(BH_Q),echo "  CC      sdk/$*.c")
	$(BH_Q)$(BH_CC) $(BH_CPPFLAGS) $(BH_CFLAGS) $(BH_SDK_CFLAGS) -c $< -o $@

$(BH_SDK_OUT)/vmbus/ring.c.o: $(BH_VMBUS)/ring.c $(BH_FLAGS_FILE) | $(BH_NEWLIB_STAMP)
	@mkdir -p $(@D)
	@$(if $(BH_Q),echo "  CC      vmbus/ring.c")
	$(BH_Q)$(BH_CC) $(BH_CPPFLAGS) $(BH_CFLAGS) $(BH_SDK_CFLAGS) -c $< -o $@

$(BH_SDK_OUT)/%.S.o: $(BULKHEAD_SDK)/%.S $(BH_FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(BH_Q),echo "  AS      sdk/$*.S")
	$(BH_Q)$(BH_CC) $(BH_ASFLAGS) -c $< -o $@

$(BH_SDK_LIB): $(BH_SDK_OBJS) $(BH_FLAGS_FILE)
	@$(if $(BH_Q),echo "  AR      $(notdir $@)")
	$(BH_Q)rm -f $@
	$(BH_Q)$(BH_AR) rcs $@ $(BH_SDK_OBJS)

sdk-lib: $(BH_SDK_LIB)

# ---------------------------------------------------------------- the program
ifneq ($(PROGRAM),)
PROGRAM_SRCS ?= $(wildcard $(BH_PROGRAM_DIR)/*.c $(BH_PROGRAM_DIR)/*.S)
ifeq ($(strip $(PROGRAM_SRCS)),)
$(error no .c or .S files in $(BH_PROGRAM_DIR))
endif
BH_PROGRAM_OBJS := $(patsubst %,$(BH_BUILD_DIR)/obj/%.o,$(notdir $(PROGRAM_SRCS)))
BH_ELF := $(BH_BUILD_DIR)/$(PROGRAM).elf
BH_BIN := $(BH_BUILD_DIR)/$(PROGRAM).bin

vpath %.c $(sort $(dir $(PROGRAM_SRCS)))
vpath %.S $(sort $(dir $(PROGRAM_SRCS)))

all: $(BH_BIN)

$(BH_BUILD_DIR)/obj/%.c.o: %.c $(BH_FLAGS_FILE) | $(BH_NEWLIB_STAMP)
	@mkdir -p $(@D)
	@$(if $(BH_Q),echo "  CC      $(PROGRAM)/$<")
	$(BH_Q)$(BH_CC) $(BH_CPPFLAGS) $(BH_CFLAGS) $(BH_PROGRAM_DEFINES) $(PROGRAM_CFLAGS) \
		-c $< -o $@

$(BH_BUILD_DIR)/obj/%.S.o: %.S $(BH_FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(BH_Q),echo "  AS      $(PROGRAM)/$<")
	$(BH_Q)$(BH_CC) $(BH_CPPFLAGS) $(BH_ASFLAGS) $(BH_PROGRAM_DEFINES) -c $< -o $@

# The whole SDK library is linked so its newlib hooks (__malloc_lock...) win
# over newlib's defaults; --gc-sections drops what the program does not use.
$(BH_ELF): $(BH_PROGRAM_OBJS) $(BH_SDK_LIB) $(BULKHEAD_SDK)/guest.ld $(BH_NEWLIB_STAMP)
	@$(if $(BH_Q),echo "  LD      $(notdir $@)")
	$(BH_Q)$(BH_CC) $(BH_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $(BH_PROGRAM_OBJS) \
		-Wl,--whole-archive $(BH_SDK_LIB) -Wl,--no-whole-archive $(BH_LDLIBS)

$(BH_BIN): $(BH_ELF)
	@$(if $(BH_Q),echo "  OBJCOPY $(notdir $@) (load at $(BH_GUEST_BASE))")
	$(BH_Q)$(BH_OBJCOPY) -O binary $< $@

BH_QEMU_SMP ?= 4
ifeq ($(BH_NATIVE),1)
run-native: $(BH_BIN)
	qemu-system-aarch64 -M virt -cpu cortex-a72 -smp $(BH_QEMU_SMP) -m 1G -nographic \
		-nic none -kernel $<
else
run-native:
	@echo "run-native boots the program on QEMU without the hypervisor: add BH_NATIVE=1"
	@exit 1
endif
else
all: sdk-lib
endif

clean:
	rm -rf $(BH_BUILD_DIR)

-include $(BH_SDK_OBJS:.o=.d) $(BH_PROGRAM_OBJS:.o=.d)
