# Bulkhead - static partitioning hypervisor for ARM64.
#
#   make                      build build/qemu-virt/bulkhead.{bin,elf}
#   make BOARD=rpi4           the same for the Raspberry Pi 4
#   make run                  build and boot the default system in QEMU
#   make run-hello            three bare-metal partitions (QEMU_GIC=2 for GICv2)
#   make run-bare             boot the hypervisor alone (no partitions)
#   make linux                Debian's arm64 kernel, bulkhead.ko and the initramfs (build/linux/)
#   make check                every test (host unit tests + QEMU system tests)
#   make <board>_defconfig    reset build/<board>/.config from boards/<board>/defconfig
#   make menuconfig           edit build/$(BOARD)/.config
#   make lint                 clang-format, cppcheck and clang-tidy on the hypervisor
#   make bench                benchmarks (timer latency, Linux boot, VMBus, restart; QEMU, host)
#   make help                 all targets
#
# V=1 shows full commands. Missing Debian packages are installed on first
# use (scripts/deps.sh); arm64 packages are downloaded into build/target/.

BOARD ?= qemu-virt
O := build
B := $(O)/$(BOARD)
HOST_B := $(O)/host
# Defined before any rule names it as a prerequisite (demo, ...).
BHCONFIG := $(HOST_B)/bhconfig
TARGET_PKG := $(O)/target

CROSS_COMPILE ?= aarch64-linux-gnu-
CC := $(CROSS_COMPILE)gcc
OBJCOPY := $(CROSS_COMPILE)objcopy
READELF := $(CROSS_COMPILE)readelf
HOST_CC ?= gcc
PYTHON := /usr/bin/python3
QEMU := qemu-system-aarch64

ifeq ($(V),1)
Q :=
else
Q := @
endif

BOARDS := $(patsubst boards/%/defconfig,%,$(wildcard boards/*/defconfig))
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error BOARD=$(BOARD) is not a board; choose one of: $(BOARDS))
endif

BULKHEAD_VERSION := 0.1.0

.DEFAULT_GOAL := all
.PHONY: all run check help clean distclean deps menuconfig savedefconfig lint \
	unit-tests system-tests host-tools bin-all rpi4-boot FORCE

# ---------------------------------------------------------------- packages
DEPS_STAMP := $(O)/.deps-ok
$(DEPS_STAMP): scripts/deps.sh
	$(Q)mkdir -p $(O)
	$(Q)scripts/deps.sh
	$(Q)touch $@

deps: $(DEPS_STAMP)

LIBFDT_DIR := $(TARGET_PKG)/libfdt-dev
LIBFDT_A := $(LIBFDT_DIR)/usr/lib/aarch64-linux-gnu/libfdt.a
$(LIBFDT_A): scripts/target-packages scripts/fetch-target.sh | $(DEPS_STAMP)
	$(Q)scripts/fetch-target.sh libfdt-dev $(LIBFDT_DIR)
	$(Q)touch $@

# Debian's arm64 kernel, its headers and kbuild, one matched set (pinned in
# scripts/target-packages, or Debian's current one when the pin is gone). The
# paths below do not name the version: LINUX_FETCHED records it, and is what
# rules depend on.
LINUX_TARGET := $(TARGET_PKG)/linux
LINUX_FETCHED := $(LINUX_TARGET)/VERSION
LINUX_KERNEL := $(LINUX_TARGET)/vmlinuz
LINUX_KBUILD_DIR := $(LINUX_TARGET)/build
RPI4_DTB := $(LINUX_TARGET)/dtbs/broadcom/bcm2711-rpi-4-b.dtb
$(LINUX_FETCHED): scripts/target-packages scripts/fetch-linux.sh | $(DEPS_STAMP)
	$(Q)scripts/fetch-linux.sh $(TARGET_PKG)

# ---------------------------------------------------------------- Kconfig
KCONFIG_FILES := Kconfig $(wildcard */Kconfig */*/Kconfig)
KCONFIG = srctree=$(CURDIR) KCONFIG_CONFIG=$(O)/$(1)/.config $(PYTHON) -m
CONFIG_H := $(B)/include/generated/config.h
VERSION_H := $(B)/include/generated/version.h

# A board's .config is created once from its defconfig; later edits stay.
$(O)/%/.config: | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)$(call KCONFIG,$*) defconfig --kconfig Kconfig boards/$*/defconfig >/dev/null

%_defconfig: | $(DEPS_STAMP)
	$(Q)test -f boards/$*/defconfig || { echo "no board '$*' (boards: $(BOARDS))"; exit 1; }
	$(Q)mkdir -p $(O)/$*
	$(Q)$(call KCONFIG,$*) defconfig --kconfig Kconfig boards/$*/defconfig

menuconfig: $(B)/.config
	$(Q)$(call KCONFIG,$(BOARD)) menuconfig Kconfig

savedefconfig: $(B)/.config
	$(Q)$(call KCONFIG,$(BOARD)) savedefconfig --kconfig Kconfig --out $(B)/defconfig
	@echo "wrote $(B)/defconfig (copy it to boards/$(BOARD)/defconfig to keep it)"

$(CONFIG_H): $(B)/.config $(KCONFIG_FILES)
	$(Q)mkdir -p $(@D)
	$(Q)$(call KCONFIG,$(BOARD)) olddefconfig Kconfig >/dev/null
	$(Q)grep -qx 'CONFIG_BOARD_NAME="$(BOARD)"' $(B)/.config || { \
		echo "$(B)/.config is for another board than $(BOARD); run 'make $(BOARD)_defconfig'"; \
		exit 1; }
	$(Q)$(call KCONFIG,$(BOARD)) genconfig --header-path $@.tmp Kconfig
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# Rewritten only when the version string changes, so builds stay incremental.
$(VERSION_H): FORCE
	$(Q)mkdir -p $(@D)
	$(Q)rev=$$(git describe --always --dirty 2>/dev/null || echo unknown); \
	 echo "#define BULKHEAD_VERSION_STRING \"$(BULKHEAD_VERSION) ($$rev)\"" >$@.tmp; \
	 if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# ---------------------------------------------------------------- hypervisor
HYP_SRCS := $(wildcard arch/arm64/*.S arch/arm64/*.c core/*.c core/lib/*.c core/drivers/*.c)
HYP_OBJS := $(patsubst %,$(B)/obj/%.o,$(HYP_SRCS))

HYP_CPPFLAGS := -include $(CONFIG_H) -Iinclude -Iarch/arm64/include -Icore/include \
	-I$(B)/include \
	-isystem $(LIBFDT_DIR)/usr/include
# arch/arm64/private/ (system registers, per-CPU data, trap frame, assembly offsets) is on
# the path of arch/arm64 objects only, for #include "...": core/ cannot reach it.
$(B)/obj/arch/arm64/%: HYP_CPPFLAGS += -iquote arch/arm64/private
HYP_CFLAGS := -std=c11 -Os -g -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -ffreestanding -fno-common \
	-fno-stack-protector -fpie -fvisibility=hidden -march=armv8-a -mgeneral-regs-only \
	-mno-outline-atomics -mstrict-align -fomit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables -MMD -MP
# No frame pointers (1.4 KB of .text): -g with synchronous unwind tables gives gdb
# .debug_frame instead, which stays in the ELF and out of bulkhead.bin.
# Built for size (the EL2 .text goal, docs/design.md "Size"), except the exit and
# interrupt paths, built for speed: traps, vCPU switch, vGIC, exits, hypercalls,
# channels, the emulated vuart, GIC acknowledge, memcpy (all at -Os: 164 timer-interrupt
# ticks, not 109; core/vgic.c alone 152, string.c 120). Their code is not padded for
# alignment: the same instruction counts, 370 B less.
HYP_HOT_SRCS := arch/arm64/traps.c arch/arm64/vcpu.c arch/arm64/vgic.c arch/arm64/gic.c \
	arch/arm64/cpu.c core/exit.c core/vgic.c core/hypercall.c core/channel.c core/vconsole.c core/lib/string.c
$(patsubst %,$(B)/obj/%.o,$(HYP_HOT_SRCS)): HYP_CFLAGS += -O2 -falign-functions=4 \
	-falign-jumps=1 -falign-loops=1 -falign-labels=1
# The EL2 MMU is on (SCTLR_EL2.A clear, memory Normal) before C code runs, but for
# boot.c and mmu.c and what they may report an error with (log, console, printf) while
# it is off, when every access is Device and must be aligned. Device registers are
# volatile accesses the compiler never merges. So the rest may load and store
# unaligned, as libfdt does (300 B).
HYP_STRICT_ALIGN := arch/arm64/boot.c arch/arm64/mmu.c core/log.c core/console.c \
	core/drivers/pl011.c core/lib/printf.c core/lib/errors.c $(HYP_HOT_SRCS)
$(patsubst %,$(B)/obj/%.o,$(filter-out $(HYP_STRICT_ALIGN),$(filter %.c,$(HYP_SRCS)))): \
	HYP_CFLAGS += -mno-strict-align
# The tiny code model (ADR instead of ADRP+ADD: 2.x KB) needs every symbol a file
# names within 1 MiB of its code. Text, rodata, data and the small .bss are; the
# .bss of cpu.c, mmu.c and partition.c (CPU stacks, page tables: MiBs with the
# Kconfig maxima) is linked last (linker.ld), so the files that name it keep the
# small model.
HYP_SMALL_MODEL := arch/arm64/boot.c arch/arm64/cpu.c arch/arm64/gic.c arch/arm64/psci.c \
	arch/arm64/vcpu.c arch/arm64/mmu.c core/partition.c
$(patsubst %,$(B)/obj/%.o,$(filter-out $(HYP_SMALL_MODEL),$(filter %.c,$(HYP_SRCS)))): \
	HYP_CFLAGS += -mcmodel=tiny
HYP_ASFLAGS := -D__ASSEMBLER__ -march=armv8-a -MMD -MP
HYP_LDFLAGS := -nostdlib -static-pie -Wl,--no-dynamic-linker -Wl,-L,$(B) -Wl,-T,arch/arm64/linker.ld \
	-Wl,-z,norelro -Wl,-z,noexecstack -Wl,--build-id=none -Wl,--fatal-warnings \
	-Wl,--fix-cortex-a53-843419=adr

all: $(B)/bulkhead.bin

$(B)/obj/%.c.o: %.c $(CONFIG_H) $(VERSION_H) $(LIBFDT_A)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HYP_CPPFLAGS) $(HYP_CFLAGS) -c $< -o $@

$(B)/obj/%.S.o: %.S $(CONFIG_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(HYP_CPPFLAGS) $(HYP_ASFLAGS) -c $< -o $@

# Only R_AARCH64_RELATIVE relocations can be applied by head.S: check it.
# Linked twice: the first link tells scripts/text-fill.py how much padding precedes the
# 2 KiB-aligned vectors, the second fills it with code ($(B)/text-fill.ld).
$(B)/bulkhead.elf: $(HYP_OBJS) $(LIBFDT_A) arch/arm64/linker.ld scripts/text-fill.py
	@$(if $(Q),echo "  LD      $@")
	$(Q)echo >$(B)/text-fill.ld
	$(Q)$(CC) $(HYP_LDFLAGS) -o $@.tmp $(HYP_OBJS) $(LIBFDT_A)
	$(Q)CROSS_COMPILE=$(CROSS_COMPILE) $(PYTHON) scripts/text-fill.py $@.tmp $(B)/text-fill.ld \
		$(filter %.o,$(HYP_OBJS))
	$(Q)$(CC) $(HYP_LDFLAGS) -o $@.tmp $(HYP_OBJS) $(LIBFDT_A)
	$(Q)if $(READELF) -rW $@.tmp | awk 'NR > 3 && NF >= 3' | grep -v R_AARCH64_RELATIVE | grep -q .; then \
		echo "$@: relocations other than R_AARCH64_RELATIVE:"; \
		$(READELF) -rW $@.tmp | grep -v R_AARCH64_RELATIVE; rm -f $@.tmp; exit 1; fi
	$(Q)mv $@.tmp $@

$(B)/bulkhead.bin: $(B)/bulkhead.elf
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)$(OBJCOPY) -O binary $< $@

bin-all: $(DEPS_STAMP) $(LIBFDT_A)
	$(Q)for b in $(BOARDS); do $(MAKE) --no-print-directory BOARD=$$b all || exit 1; done

-include $(HYP_OBJS:.o=.d)

# ---------------------------------------------------------------- run
QEMU_GIC ?= 3
QEMU_SMP ?= 4
QEMU_MEM ?= 1G
QEMU_MACHINE := virt,virtualization=on,gic-version=$(QEMU_GIC)
QEMU_ARGS := -M $(QEMU_MACHINE) -cpu cortex-a72 -smp $(QEMU_SMP) -m $(QEMU_MEM) \
	-nographic -nic none

# The default system: partitions/qemu-virt-demo.dts (Linux root, Linux child,
# bare-metal child), laid out by bhconfig into build/demo/. `make run-hello`
# boots partitions/qemu-virt-hello.dts (three bare-metal partitions, either
# GIC); `make run-bare` the hypervisor alone, with QEMU's own device tree.
DEMO_DIR := $(O)/demo
HELLO_BIN := $(O)/guests/hello/hello.bin
RUN_DTB := $(HOST_B)/partitions/qemu-virt-hello$(if $(filter 2,$(QEMU_GIC)),-gicv2).dtb
RUN_IMAGES := $(foreach a,0x4c000000 0x4c100000 0x4c200000,-device loader,file=$(HELLO_BIN),addr=$(a),force-raw=on)

.PHONY: run-bare run-hello demo
demo: $(BHCONFIG) linux guest-console
	@mkdir -p $(DEMO_DIR)
	$(Q)$(BHCONFIG) --reserve 0x48000000:2M --images 0x68000000 layout \
		partitions/qemu-virt-demo.dts -o $(DEMO_DIR) >/dev/null

# partitions/qemu-virt-vmbus.dts: the same three partitions talking over
# VMBus (docs/linux-vmbus.md): bhnet0 between the two Linux, the root's echo
# service for the bare-metal child. `make run-vmbus` boots it.
VMBUS_DEMO_DIR := $(O)/vmbus-demo
.PHONY: vmbus-demo run-vmbus
vmbus-demo: $(BHCONFIG) linux guest-echo
	@mkdir -p $(VMBUS_DEMO_DIR)
	$(Q)$(BHCONFIG) --reserve 0x48000000:2M --images 0x68000000 layout \
		partitions/qemu-virt-vmbus.dts -o $(VMBUS_DEMO_DIR) >/dev/null

run-vmbus: $(B)/bulkhead.bin vmbus-demo
ifneq ($(BOARD)$(QEMU_SMP)$(QEMU_GIC),qemu-virt43)
	$(error the VMBus demo is for QEMU virt with 4 CPUs and GICv3)
endif
	@echo "Booting the VMBus demo: Linux root (10.0.0.1), Linux child lx (10.0.0.2), bare-metal rt0."
	@echo "Ctrl-] 0/1/2 gives the keyboard to root/lx/rt0; Ctrl-A X quits QEMU."
	$(Q)$(QEMU) $(QEMU_ARGS) -kernel $< -dtb $(VMBUS_DEMO_DIR)/system.dtb \
		$$(cat $(VMBUS_DEMO_DIR)/qemu.args)

run: $(B)/bulkhead.bin demo
ifneq ($(BOARD),qemu-virt)
	$(error make run boots QEMU's virt machine: use BOARD=qemu-virt)
endif
ifneq ($(QEMU_SMP)$(QEMU_GIC),43)
	$(error the demo system is for 4 CPUs and GICv3: make run-hello QEMU_GIC=2 for GICv2)
endif
	@echo "Booting the Bulkhead demo in QEMU: Linux root, Linux child, bare-metal child."
	@echo "Ctrl-] 0/1/2 gives the keyboard to root/lx/rt0; Ctrl-A X quits QEMU."
	$(Q)$(QEMU) $(QEMU_ARGS) -kernel $< -dtb $(DEMO_DIR)/system.dtb $$(cat $(DEMO_DIR)/qemu.args) \
		$(if $(BOOTARGS),-append "$(BOOTARGS)")

run-hello: $(B)/bulkhead.bin host-tools guest-hello
ifneq ($(QEMU_SMP),4)
	$(error the hello system uses 4 CPUs: run it with QEMU_SMP=4, or use make run-bare)
endif
	@echo "Booting Bulkhead with $(notdir $(RUN_DTB)) in QEMU (quit: Ctrl-A X)"
	$(QEMU) $(QEMU_ARGS) -kernel $< -dtb $(RUN_DTB) $(RUN_IMAGES) $(if $(BOOTARGS),-append "$(BOOTARGS)")

run-bare: $(B)/bulkhead.bin
ifneq ($(BOARD),qemu-virt)
	$(error make run-bare boots QEMU's virt machine: use BOARD=qemu-virt)
endif
	@echo "Booting Bulkhead in QEMU (quit: Ctrl-A X)"
	$(QEMU) $(QEMU_ARGS) -kernel $< $(if $(BOOTARGS),-append "$(BOOTARGS)")

# ---------------------------------------------------------------- rpi4 SD card files
# Everything Debian provides for the boot partition; the Raspberry Pi
# firmware (start4.elf, fixup4.dat, overlays/) is not in Debian main and is
# added by the user (docs/boot.md).
RPI4_BOOT := $(O)/rpi4/boot
UBOOT_RPI_DIR := $(TARGET_PKG)/u-boot-rpi
ATF_DIR := $(TARGET_PKG)/arm-trusted-firmware
$(UBOOT_RPI_DIR)/.stamp $(ATF_DIR)/.stamp: scripts/target-packages scripts/fetch-target.sh | $(DEPS_STAMP)
	$(Q)scripts/fetch-target.sh $(notdir $(@D)) $(@D)
	$(Q)touch $@

rpi4-boot: $(UBOOT_RPI_DIR)/.stamp $(ATF_DIR)/.stamp $(LINUX_FETCHED) boards/rpi4/config.txt \
		boards/rpi4/boot.cmd
	$(Q)$(MAKE) --no-print-directory BOARD=rpi4 all
	$(Q)mkdir -p $(RPI4_BOOT)
	$(Q)cp $(O)/rpi4/bulkhead.bin $(RPI4_BOOT)/
	$(Q)cp $(UBOOT_RPI_DIR)/usr/lib/u-boot/rpi_4/u-boot.bin $(RPI4_BOOT)/
	$(Q)cp $(ATF_DIR)/usr/lib/arm-trusted-firmware/rpi4/bl31.bin $(RPI4_BOOT)/
	$(Q)cp $(RPI4_DTB) boards/rpi4/config.txt $(RPI4_BOOT)/
	$(Q)mkimage -A arm64 -T script -C none -n "Bulkhead boot" -d boards/rpi4/boot.cmd \
		$(RPI4_BOOT)/boot.scr >/dev/null
	@echo "$(RPI4_BOOT): copy these to the SD card's FAT boot partition, plus the Raspberry Pi"
	@echo "firmware files start4.elf, fixup4.dat and overlays/disable-bt.dtbo (see docs/boot.md)"

# ---------------------------------------------------------------- host tools
# bhconfig (tools/bhconfig.c): checks and shows system device trees with the
# hypervisor's own parser; built with the Kconfig maxima, so --max-partitions
# can match any build. `host-tools` also checks and compiles the example
# systems into build/host/partitions/ (boot one with QEMU's -dtb).
BHCONFIG_SRCS := tools/bhconfig.c tools/layout.c tools/policy.c tools/source.c tools/explain.c \
	tools/new.c tools/svg.c \
	core/config.c \
	core/config_devices.c core/config_vmbus.c core/fdt_util.c core/dt.c core/lib/printf.c \
	core/lib/errors.c
# The demos name files instead of addresses: `bhconfig layout` handles them (make demo,
# make vmbus-demo).
PARTITION_DTBS := $(patsubst partitions/%.dts,$(HOST_B)/partitions/%.dtb,\
	$(filter-out partitions/qemu-virt-demo.dts partitions/qemu-virt-vmbus.dts,\
	$(wildcard partitions/*.dts)))

# `bhconfig explain` prints the property tables of these docs (scripts/gen-explain.py).
EXPLAIN_DOCS := docs/binding.md docs/vmbus.md docs/consoles.md
$(HOST_B)/gen/explain_text.h: scripts/gen-explain.py $(EXPLAIN_DOCS)
	@mkdir -p $(@D)
	$(Q)$(PYTHON) scripts/gen-explain.py $@ $(EXPLAIN_DOCS)

$(BHCONFIG): $(BHCONFIG_SRCS) $(wildcard tools/*.h) $(HOST_B)/gen/explain_text.h \
		$(wildcard core/include/core/*.h core/*.h include/bulkhead/*.h) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) -std=c11 -O2 -g -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion \
		-Iinclude -Icore/include -I$(HOST_B)/gen -DCONFIG_MAX_CPUS=64 -DCONFIG_MAX_PARTITIONS=16 \
		-DBH_BOARDS_DIR='"$(CURDIR)/boards"' -o $@ $(BHCONFIG_SRCS) -lfdt

# On the RPi4, U-Boot's booti puts Bulkhead at 0x200000 (boards/rpi4/rpi4.dtsi).
$(HOST_B)/partitions/rpi4-%.dtb: BHCONFIG_FLAGS = --hyp 0x200000:4M
$(HOST_B)/partitions/%.dtb: partitions/%.dts $(BHCONFIG) $(wildcard partitions/*.dtsi boards/*/*.dtsi)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  DTB     $@")
	$(Q)$(BHCONFIG) $(BHCONFIG_FLAGS) dtb $< -o $@ >/dev/null

MKINITRAMFS := $(HOST_B)/mkinitramfs
$(MKINITRAMFS): tools/mkinitramfs.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) -std=c11 -O2 -g -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion \
		-o $@ $<

host-tools: $(BHCONFIG) $(MKINITRAMFS) $(PARTITION_DTBS)

# ---------------------------------------------------------------- Linux guests
# Debian's arm64 kernel (unmodified, build/target/linux-image), the VMBus
# module built against its headers, the static user tools, and an initramfs
# with Debian's static busybox, guest-sdk/linux/init, the module and the tools.
BUSYBOX_DIR := $(TARGET_PKG)/busybox-static
BUSYBOX := $(BUSYBOX_DIR)/bin/busybox
INITRAMFS := $(O)/linux/initramfs.cpio
LINUX_CROSS_COMPILE := aarch64-linux-gnu-
$(BUSYBOX): scripts/target-packages scripts/fetch-target.sh | $(DEPS_STAMP)
	$(Q)scripts/fetch-target.sh busybox-static $(BUSYBOX_DIR)
	$(Q)touch $@

# A stable name for the kernel, for system trees to refer to. It points at
# the version-independent link, so it never needs remaking.
$(O)/linux/Image: | $(LINUX_FETCHED)
	@mkdir -p $(@D)
	$(Q)ln -sfn $(abspath $(LINUX_KERNEL)) $@

# bulkhead.ko, out of tree against the kernel's headers. Kbuild writes its
# objects next to the sources, so it builds in a copy (timestamps kept):
# guest-sdk/linux/bulkhead/ (Kbuild names the objects), vmbus/ring.c and
# ring.h unchanged, and the headers the module includes under include/.
MODULE_SRC := guest-sdk/linux/bulkhead
MODULE_DIR := $(O)/linux/module
MODULE_KO := $(MODULE_DIR)/bulkhead.ko
MODULE_OWN := $(addprefix $(MODULE_DIR)/,$(patsubst $(MODULE_SRC)/%,%,\
	$(wildcard $(MODULE_SRC)/Kbuild $(MODULE_SRC)/*.[ch] $(MODULE_SRC)/compat/*.h)))
MODULE_HEADERS := $(addprefix $(MODULE_DIR)/,$(wildcard include/bulkhead/*.h))
MODULE_FILES := $(MODULE_OWN) $(MODULE_HEADERS) $(MODULE_DIR)/ring.c $(MODULE_DIR)/ring.h \
	$(MODULE_DIR)/include/vmbus/ring.h
# W=1 warnings are errors (Kbuild: -Werror). BTF for a module needs the
# kernel's vmlinux, which Debian does not ship: skip it instead of a notice.
MODULE_KBUILD = $(MAKE) --no-print-directory -C $(LINUX_KBUILD_DIR) M=$(abspath $(MODULE_DIR)) \
	ARCH=arm64 CROSS_COMPILE=$(LINUX_CROSS_COMPILE) W=1 CONFIG_DEBUG_INFO_BTF_MODULES=
define copy-source
	@mkdir -p $(@D)
	$(Q)cp -p $< $@
endef
$(MODULE_OWN): $(MODULE_DIR)/%: $(MODULE_SRC)/%
	$(copy-source)
$(MODULE_HEADERS): $(MODULE_DIR)/%: %
	$(copy-source)
$(MODULE_DIR)/ring.c: vmbus/ring.c
	$(copy-source)
$(MODULE_DIR)/ring.h $(MODULE_DIR)/include/vmbus/ring.h: vmbus/ring.h
	$(copy-source)
# Built for another kernel (fetch-linux.sh took a new one): start clean.
$(MODULE_KO): $(MODULE_FILES) $(LINUX_FETCHED)
	$(Q)cmp -s $(LINUX_FETCHED) $(MODULE_DIR)/.kernel || $(MODULE_KBUILD) clean
	$(Q)$(MODULE_KBUILD) modules
	$(Q)cp $(LINUX_FETCHED) $(MODULE_DIR)/.kernel
	$(Q)touch $@

# User tools: each guest-sdk/linux/tools/NAME.c is a static arm64 program
# build/linux/tools/NAME, in the initramfs's /bin. Each answers -h with
# status 0: /init runs every tool so before it starts services (see there).
# What they share is guest-sdk/linux/tools/lib/*.c, an archive each tool
# links: it takes only the objects it uses.
LINUX_TOOLS := $(patsubst guest-sdk/linux/tools/%.c,$(O)/linux/tools/%,\
	$(wildcard guest-sdk/linux/tools/*.c))
LINUX_TOOLS_CFLAGS := -O2 -std=c11 -Wall -Wextra -Werror -Iinclude
LINUX_TOOLS_LIB_OBJS := $(patsubst guest-sdk/linux/tools/lib/%.c,$(O)/linux/tools/lib/%.o,\
	$(wildcard guest-sdk/linux/tools/lib/*.c))
LINUX_TOOLS_LIB := $(O)/linux/tools/lib/libbhtools.a
$(LINUX_TOOLS_LIB_OBJS): $(O)/linux/tools/lib/%.o: guest-sdk/linux/tools/lib/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(LINUX_CROSS_COMPILE)gcc $(LINUX_TOOLS_CFLAGS) -c -MMD -MP -MT $@ -MF $@.d -o $@ $<
$(LINUX_TOOLS_LIB): $(LINUX_TOOLS_LIB_OBJS)
	@rm -f $@
	$(Q)$(LINUX_CROSS_COMPILE)ar rcs $@ $^
$(LINUX_TOOLS): $(O)/linux/tools/%: guest-sdk/linux/tools/%.c $(LINUX_TOOLS_LIB) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(LINUX_CROSS_COMPILE)gcc -static $(LINUX_TOOLS_CFLAGS) -MMD -MP -MT $@ -MF $@.d \
		-o $@ $< $(LINUX_TOOLS_LIB)
-include $(LINUX_TOOLS:=.d) $(LINUX_TOOLS_LIB_OBJS:=.d)

INITRAMFS_ENTRIES := dir:/bin:0755 dir:/dev:0755 nod:/dev/console:0600:c:5:1 \
	file:/bin/busybox:0755:$(BUSYBOX) slink:/bin/sh:busybox file:/init:0755:guest-sdk/linux/init \
	dir:/lib:0755 dir:/lib/modules:0755 file:/lib/modules/bulkhead.ko:0644:$(MODULE_KO) \
	$(foreach t,$(LINUX_TOOLS),file:/bin/$(notdir $(t)):0755:$(t))
# The entries as a file that changes only when they do (a tool removed, too).
$(INITRAMFS).entries: FORCE
	@mkdir -p $(@D)
	@echo '$(INITRAMFS_ENTRIES)' | cmp -s - $@ || echo '$(INITRAMFS_ENTRIES)' >$@
$(INITRAMFS): $(MKINITRAMFS) $(BUSYBOX) guest-sdk/linux/init $(MODULE_KO) $(LINUX_TOOLS) \
		$(INITRAMFS).entries
	@$(if $(Q),echo "  CPIO    $@")
	$(Q)$(MKINITRAMFS) -o $@ $(INITRAMFS_ENTRIES)

.PHONY: linux module linux-tools
linux: $(O)/linux/Image $(INITRAMFS)
module: $(MODULE_KO)
linux-tools: $(LINUX_TOOLS)

# ---------------------------------------------------------------- host tests
HOST_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion \
	-fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude -Icore/include \
	-DCONFIG_MAX_CPUS=8 -DCONFIG_LOG_LEVEL=3 -DCONFIG_DEBUG_CHECKS=1
UNIT_TESTS := $(patsubst tests/unit/%.c,$(HOST_B)/tests/%,$(wildcard tests/unit/test_*.c))

$(HOST_B)/tests/test_printf: tests/unit/test_printf.c core/lib/printf.c | $(DEPS_STAMP)
$(HOST_B)/tests/test_dt: tests/unit/test_dt.c core/dt.c core/fdt_util.c core/lib/printf.c \
	core/lib/errors.c | $(DEPS_STAMP)
$(HOST_B)/tests/test_stage2: tests/unit/test_stage2.c arch/arm64/stage2.c | $(DEPS_STAMP)
$(HOST_B)/tests/test_config: tests/unit/test_config.c core/config.c core/config_devices.c \
	core/config_vmbus.c core/config_internal.h core/fdt_util.c core/dt.c core/lib/printf.c \
	core/lib/errors.c tools/policy.c tools/policy.h $(BHCONFIG) | $(DEPS_STAMP)
$(HOST_B)/tests/test_config: HOST_CFLAGS += -DBH_SRC_DIR='"$(CURDIR)"' \
	-DBH_BHCONFIG='"$(CURDIR)/$(BHCONFIG)"' -Itools
$(HOST_B)/tests/test_ring: tests/unit/test_ring.c vmbus/ring.c vmbus/ring.h | $(DEPS_STAMP)
# The SDK's integration protocol logic, which is portable.
$(HOST_B)/tests/test_integration: tests/unit/test_integration.c guest-sdk/lib/integration_core.c \
	guest-sdk/lib/integration_core.h guest-sdk/include/bulkhead/sdk.h \
	include/bulkhead/integration.h | $(DEPS_STAMP)
$(HOST_B)/tests/test_integration: HOST_CFLAGS += -Iguest-sdk/include
# bhmgrd's crash policy, pure C (guest-sdk/linux/tools/lib/policy.c).
$(HOST_B)/tests/test_policy: tests/unit/test_policy.c guest-sdk/linux/tools/lib/policy.c \
	guest-sdk/linux/tools/lib/policy.h include/bulkhead/manage_dev.h | $(DEPS_STAMP)
$(HOST_B)/tests/test_policy: HOST_CFLAGS += -Iguest-sdk/linux/tools/lib
# Tests of core/ over the shared arch fake (tests/unit/fake_arch.c).
FAKE_ARCH := tests/unit/fake_arch.c tests/unit/fake_arch.h
FAKE_ARCH_TESTS := $(addprefix $(HOST_B)/tests/,test_vgic test_channel test_vpsci test_hypercall \
	test_partition test_exit test_manage)
$(HOST_B)/tests/test_vgic: tests/unit/test_vgic.c core/vgic.c
$(HOST_B)/tests/test_channel: tests/unit/test_channel.c core/channel.c
$(HOST_B)/tests/test_vpsci: tests/unit/test_vpsci.c core/vpsci.c core/lib/printf.c
$(HOST_B)/tests/test_hypercall: tests/unit/test_hypercall.c core/hypercall.c core/lib/printf.c
$(HOST_B)/tests/test_exit: tests/unit/test_exit.c core/exit.c core/lib/printf.c
# The real configuration code translates the root's IPAs, the real console keeps the history.
$(HOST_B)/tests/test_manage: tests/unit/test_manage.c core/manage.c core/vconsole.c core/config.c \
	core/config_devices.c core/config_vmbus.c core/fdt_util.c core/dt.c core/lib/printf.c \
	core/lib/errors.c
$(HOST_B)/tests/test_partition: tests/unit/test_partition.c core/partition.c core/lib/printf.c \
	core/lib/errors.c
$(FAKE_ARCH_TESTS): $(FAKE_ARCH) $(wildcard core/include/core/*.h include/bulkhead/*.h \
	arch/arm64/include/arch/*.h) | $(DEPS_STAMP)
$(HOST_B)/tests/test_stage2 $(FAKE_ARCH_TESTS): HOST_CFLAGS += -Iarch/arm64/include
$(HOST_B)/tests/%:
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^) -lfdt -lcmocka

# Device trees the unit tests read: QEMU's own, for both GIC versions, and Debian's RPi4 tree.
TEST_DTBS := $(HOST_B)/dtb/qemu-virt-gicv3.dtb $(HOST_B)/dtb/qemu-virt-gicv2.dtb \
	$(HOST_B)/dtb/bcm2711-rpi-4-b.dtb
$(HOST_B)/dtb/qemu-virt-gicv%.dtb: | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(QEMU) -M virt,virtualization=on,gic-version=$*,dumpdtb=$@ -cpu cortex-a72 -smp 4 \
		-m 1G -nographic -nic none >/dev/null
$(HOST_B)/dtb/bcm2711-rpi-4-b.dtb: $(LINUX_FETCHED)
	@mkdir -p $(@D)
	$(Q)cp $(RPI4_DTB) $@

# The ring under two threads: 10 million packets, with ASan+UBSan and with TSan.
STRESS := $(HOST_B)/tests/stress_ring $(HOST_B)/tests/stress_ring_tsan
$(HOST_B)/tests/stress_ring: tests/unit/stress_ring.c vmbus/ring.c vmbus/ring.h tests/unit/ring_wait.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -std=c11 -O2 -g -Wall -Wextra -Werror -pthread -fsanitize=address,undefined \
		-o $@ tests/unit/stress_ring.c vmbus/ring.c
$(HOST_B)/tests/stress_ring_tsan: tests/unit/stress_ring.c vmbus/ring.c vmbus/ring.h tests/unit/ring_wait.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -std=c11 -O1 -g -Wall -Wextra -Werror -pthread -fsanitize=thread \
		-o $@ tests/unit/stress_ring.c vmbus/ring.c

# tests/host: the host tools as users run them (pytest).
unit-tests: $(UNIT_TESTS) $(TEST_DTBS) $(STRESS) $(BHCONFIG)
	$(Q)for t in $(UNIT_TESTS); do \
		echo "  UNIT    $$t"; BH_TEST_DTB_DIR=$(HOST_B)/dtb $$t || exit 1; done
	$(Q)echo "  PYTEST  tests/host"; BH_BHCONFIG=$(CURDIR)/$(BHCONFIG) \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/host
	$(Q)for t in $(STRESS); do echo "  STRESS  $$t"; timeout 600 $$t 10000000 || exit 1; done

# ---------------------------------------------------------------- system tests
# QEMU boots of build/qemu-virt/bulkhead.bin (tests/system, pytest + pexpect);
# each test's console is saved in build/test-logs/<test>.log.
# PYTEST_ARGS passes options, e.g. PYTEST_ARGS="-k uboot -v".
PYTEST_ARGS ?=
system-tests: bin-all guests host-tools linux demo vmbus-demo | $(DEPS_STAMP)
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) -m pytest -q -p no:cacheprovider tests/system $(PYTEST_ARGS)

# VMBus verification: the SPIN model of the signalling protocol
# (tests/models/models.mk: model-check) and the libFuzzer target over the
# ring's receive path (tests/fuzz/fuzz.mk: fuzz-smoke in make check, make fuzz).
-include tests/models/models.mk tests/fuzz/fuzz.mk

check: bin-all unit-tests model-check fuzz-smoke lint system-tests
	@echo "make check: all tests passed"

# ---------------------------------------------------------------- benchmarks
# Numbers, not pass/fail (tests/bench/). Deterministic under QEMU -icount.
# The host ring benchmark against DPDK (tests/bench/bench.mk: ring-bench, which
# installs dpdk-dev through `scripts/deps.sh bench`).
-include tests/bench/bench.mk
.PHONY: bench guest-irqtest-latency-native
guest-irqtest-latency-native: sdk
	$(Q)$(MAKE) --no-print-directory -C tests/guests/irqtest BH_NATIVE=1 IRQTEST_LATENCY=1 \
		BH_BUILD_DIR=$(CURDIR)/$(O)/guests/irqtest-latency-native

bench: bin-all guests host-tools linux guest-irqtest-latency-native | $(DEPS_STAMP)
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) tests/bench/size.py
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) tests/bench/timer_latency.py
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) tests/bench/linux_boot.py
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) tests/bench/vmbus_qemu.py
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) tests/bench/linux_vmbus.py
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) tests/bench/linux_net.py
	$(Q)BH_BUILD=$(CURDIR)/$(O) $(PYTHON) tests/bench/management.py
	$(Q)$(MAKE) --no-print-directory ring-bench

# ---------------------------------------------------------------- lint
LINT_SRCS := $(filter %.c,$(HYP_SRCS)) $(wildcard arch/arm64/include/arch/*.h arch/arm64/private/*.h \
	core/include/core/*.h core/*.h include/bulkhead/*.h)
lint: $(CONFIG_H) $(VERSION_H) $(LIBFDT_A)
	$(Q)scripts/lint.sh "$(CONFIG_H)" "$(B)/include" "$(LIBFDT_DIR)/usr/include" $(LINT_SRCS)

# ---------------------------------------------------------------- guest SDK
# Bare-metal EL1 programs for partitions (guest-sdk/README.md). `sdk` builds
# newlib once (scripts/build-newlib.sh, cached in build/sdk/newlib) and the SDK
# library; `guests` builds the examples and test guests into
# build/guests/<name>/<name>.bin, each through its own small Makefile.
GUEST_DIRS := $(patsubst %/Makefile,%,$(wildcard guest-sdk/examples/*/Makefile \
	tests/guests/*/Makefile))
GUEST_NAMES := $(notdir $(GUEST_DIRS))
GUEST_TARGETS := $(addprefix guest-,$(GUEST_NAMES))

sdk: | $(DEPS_STAMP)
	$(Q)scripts/build-newlib.sh $(O)/sdk/newlib
	$(Q)$(MAKE) --no-print-directory -f guest-sdk/sdk.mk BULKHEAD_SDK=guest-sdk \
		BH_BUILD_DIR=$(CURDIR)/$(O)/sdk/lib sdk-lib

.PHONY: sdk guests $(GUEST_TARGETS)
guests: $(GUEST_TARGETS)

# sdk.mk decides what is stale.
$(GUEST_TARGETS): guest-%: sdk
	$(Q)$(MAKE) --no-print-directory -C $(filter %/$*,$(GUEST_DIRS)) \
		BH_BUILD_DIR=$(CURDIR)/$(O)/guests/$*

# misbehave linked at 0x47000000, for a partition whose IPAs equal its PAs:
# it can then aim at the hypervisor's and other partitions' physical addresses.
.PHONY: guest-misbehave-idmap
guests: guest-misbehave-idmap guest-console-pl011 guest-irqtest-gicmoved
guest-misbehave-idmap: sdk
	$(Q)$(MAKE) --no-print-directory -C tests/guests/misbehave BH_GUEST_BASE=0x47000000 \
		BH_BUILD_DIR=$(CURDIR)/$(O)/guests/misbehave-idmap

# irqtest looking for its GIC at 0x2f000000 (GICD), 0x2f100000 (GICR), 0x2f010000
# (GICC): for a partition whose own device tree moves the GIC there.
.PHONY: guest-irqtest-gicmoved
guest-irqtest-gicmoved: sdk
	$(Q)$(MAKE) --no-print-directory -C tests/guests/irqtest BH_GIC_DIST_BASE=0x2f000000 \
		BH_GIC_REDIST_BASE=0x2f100000 BH_GIC_CPU_BASE=0x2f010000 \
		BH_BUILD_DIR=$(CURDIR)/$(O)/guests/irqtest-gicmoved

# integ_child defining bh_integration_disable: the SDK's integration runtime stays off.
.PHONY: guest-integ_child-optout
guests: guest-integ_child-optout
guest-integ_child-optout: sdk
	$(Q)$(MAKE) --no-print-directory -C tests/guests/integ_child INTEG_OPT_OUT=1 \
		BH_BUILD_DIR=$(CURDIR)/$(O)/guests/integ_child-optout

# The console test guest on a PL011 (a partition's vuart) instead of hypercalls.
.PHONY: guest-console-pl011
guest-console-pl011: sdk
	$(Q)$(MAKE) --no-print-directory -C tests/guests/console BH_CONSOLE=pl011 \
		BH_BUILD_DIR=$(CURDIR)/$(O)/guests/console-pl011

# ---------------------------------------------------------------- misc
clean:
	rm -rf $(B) $(HOST_B)

distclean:
	rm -rf $(O)

help:
	@sed -n '3,17p' Makefile | sed 's/^# \{0,1\}//'
	@echo "boards: $(BOARDS)"
