"""Debian's own arm64 kernel (unmodified) with the project's busybox
initramfs, in Bulkhead partitions. Linux talks to the virtual GIC, the
virtual timer, PSCI and its emulated PL011 console. Every test runs on
GICv3 and GICv2.

Memory plan (QEMU -m 1G): bare-metal children from 0x41000000, the device
tree at 0x48000000, the root's Linux at 0x50000000 (256 MiB), a child's
Linux at 0x60000000 (128 MiB), the images from 0x68000000."""

import os
import re

import pytest

import harness
import systems
from systems import Channel, LinuxPartition, Partition, build_system

LINUX_TIMEOUT = 180.0
IMAGES = 0x68000000
ESCAPE = "\x1d"  # Ctrl-]
READY = r"\[{0}\] bulkhead-linux: partition {0} ready \((\d+) CPUs, (\d+) kB\)"

GICS = pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])


def boot(qemu, tmp_path, partitions, gic):
    extra = build_system(tmp_path, partitions, gic=gic, image_start=IMAGES)
    return qemu.boot(gic=gic, smp=4, extra=extra, timeout=LINUX_TIMEOUT)


def expect_ready(vm, name):
    m = vm.expect_regex(READY.format(name))
    return int(m.group(1)), int(m.group(2))


def command(vm, partition_id, line):
    """Gives the console input to a partition and types a command line."""
    vm.send(ESCAPE + str(partition_id))
    vm.expect("[hv] console input goes to ")
    vm.send(line + "\r")


@GICS
def test_linux_root_two_vcpus(qemu, tmp_path, gic):
    """Linux as the root partition on CPU0+CPU1 with 256 MiB: it reaches its
    initramfs marker and sees exactly its own CPUs and memory, next to a
    bare-metal child."""
    vm = boot(qemu, tmp_path, [LinuxPartition("root", [0, 1], pa=0x50000000, root=True),
                               Partition("rt0", "ticker", [2], pa=0x41000000)], gic)
    cpus, kb = expect_ready(vm, "root")
    assert cpus == 2
    assert 200 * 1024 < kb <= 256 * 1024
    assert "ticker rt0 boot" in vm.output


@GICS
def test_linux_child_two_vcpus(qemu, tmp_path, gic):
    """Linux as a child on CPU1+CPU2 with 128 MiB, the root bare metal."""
    vm = boot(qemu, tmp_path, [Partition("root", "ticker", [0], root=True, pa=0x41000000),
                               LinuxPartition("lx", [1, 2], pa=0x60000000, mem=128 << 20)],
              gic)
    cpus, kb = expect_ready(vm, "lx")
    assert cpus == 2
    assert 90 * 1024 < kb <= 128 * 1024


@GICS
def test_linux_root_child_and_bare_metal(qemu, tmp_path, gic):
    """The demo system: Linux root on 2 CPUs, a Linux child on 1, a bare-metal
    child on the last; both Linux reach their markers, each with its own CPU
    count and memory, and a shell command runs in each."""
    vm = boot(qemu, tmp_path, [LinuxPartition("root", [0, 1], pa=0x50000000, root=True),
                               LinuxPartition("lx", [2], pa=0x60000000, mem=128 << 20),
                               Partition("rt0", "ticker", [3], pa=0x41000000)], gic)
    ready = {}
    for _ in range(2):
        m = vm.expect_regex(r"\[(root|lx)\] bulkhead-linux: partition \w+ ready "
                            r"\((\d+) CPUs, (\d+) kB\)")
        ready[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    assert ready["root"][0] == 2 and ready["lx"][0] == 1
    assert ready["lx"][1] < 128 * 1024 < ready["root"][1]
    command(vm, 1, "echo lx has $(nproc) CPU")
    vm.expect("[lx] lx has 1 CPU")
    command(vm, 0, "echo root has $(nproc) CPUs")
    vm.expect("[root] root has 2 CPUs")
    assert "ticker rt0 boot" in vm.output


@GICS
def test_linux_child_poweroff_and_reboot(qemu, tmp_path, gic):
    """`reboot -f` in a child Linux restarts only that partition, which boots
    to its marker again; `poweroff -f` then stops only it. The root keeps
    ticking throughout."""
    vm = boot(qemu, tmp_path, [Partition("root", "ticker", [0], root=True, pa=0x41000000),
                               LinuxPartition("lx", [1, 2], pa=0x60000000, mem=128 << 20)],
              gic)
    expect_ready(vm, "lx")
    command(vm, 1, "reboot -f")
    vm.expect("[hv] partition lx restarting: PSCI SYSTEM_RESET from vCPU")
    vm.expect("(start #2)")
    expect_ready(vm, "lx")
    command(vm, 1, "poweroff -f")
    vm.expect("[hv] partition lx stopped: PSCI SYSTEM_OFF from vCPU")
    ticks = [int(t) for t in re.findall(r"\[root\] ticker root (\d+)\n", vm.output)]
    vm.expect(f"[root] ticker root {max(ticks) + 5}\r")
    assert vm.count("ticker root boot") == 1


@GICS
def test_linux_devmem_outside_partition(qemu, tmp_path, gic):
    """A child Linux reading a physical address outside its partition with
    devmem (0x7f000000, real RAM of the board but not RAM to this kernel, so
    STRICT_DEVMEM lets it through): the stage-2 fault stops the child with a
    report; the root keeps running."""
    vm = boot(qemu, tmp_path, [Partition("root", "ticker", [0], root=True, pa=0x41000000),
                               LinuxPartition("lx", [1], pa=0x60000000, mem=128 << 20)], gic)
    expect_ready(vm, "lx")
    command(vm, 1, "devmem 0x7f000000")
    vm.expect("[hv] error: partition lx: vCPU 0 (CPU1): stage-2 data abort: read of IPA "
              "0x7f000000, which is not mapped for this partition")
    vm.expect("[hv] partition lx stopped: fault in vCPU 0; other partitions keep running")
    ticks = [int(t) for t in re.findall(r"\[root\] ticker root (\d+)\n", vm.output)]
    vm.expect(f"[root] ticker root {max(ticks) + 5}\r")


def partitions_node(dtb):
    """The /bulkhead-partitions node of a device tree, as dtc prints it."""
    dts = harness.run([harness.find_tool("dtc"), "-q", "-I", "dtb", "-O", "dts", dtb])
    m = re.search(r"\n\tbulkhead-partitions \{\n.*?\n\t\};\n", dts, re.S)
    assert m, f"{dtb} has no /bulkhead-partitions"
    return m.group(0)


def test_root_tree_lists_the_children(tmp_path):
    """The root's device tree lists the children with their images and crash
    policies (docs/binding.md, "Crash policy"): the tree the tests write for
    a Linux root (systems.py) has the very node `bhconfig layout` writes for
    the same system. No QEMU: the trees are compared on the host."""
    parts = [LinuxPartition("root", [0, 1], pa=0x50000000, root=True),
             LinuxPartition("lx", [2], pa=0x60000000, mem=128 << 20, on_crash="restart",
                            watchdog_ms=500, max_restarts=2),
             Partition("rt0", "ticker", [3], pa=0x41000000, on_crash="stop",
                       restart_delay_ms=0)]
    build_system(tmp_path, parts, image_start=IMAGES,
                 channels=[Channel("lx-integ", "root", "lx", interface="integration",
                                   rings=(0x2000, 0x2000), provider_ipa=0x70000000,
                                   consumer_ipa=0x70000000)])
    ours = partitions_node(parts[0].dtb)
    assert '\t\tlx {\n\t\t\timages = "kernel\\0initrd\\0dtb";\n' \
           '\t\t\ton-crash = "restart";\n\t\t\twatchdog-ms = <0x1f4>;\n' \
           '\t\t\tmax-restarts = <0x02>;\n\t\t};' in ours, ours
    assert '\t\trt0 {\n\t\t\timages = "app";\n\t\t\ton-crash = "stop";\n' \
           '\t\t\trestart-delay-ms = <0x00>;\n\t\t};' in ours, ours
    assert "\t\troot {" not in ours  # nothing manages the root
    assert "bulkhead-partitions" not in harness.run(
        [harness.find_tool("dtc"), "-q", "-I", "dtb", "-O", "dts", parts[1].dtb])
    # bhconfig layout on the same system generates every "dtb" image that
    # names no file (over the `reg` systems.py gave it), at --images.
    (tmp_path / "layout").mkdir()
    harness.run([systems.bhconfig(), "--reserve", "0x48000000:2M", "--images", "0x7f000000",
                 "layout", str(tmp_path / "system.dts"), "-o", str(tmp_path / "layout")])
    assert partitions_node(str(tmp_path / "layout" / "root.dtb")) == ours


def test_make_run_demo(qemu):
    """The system `make run` boots (partitions/qemu-virt-demo.dts, laid out by
    `bhconfig layout` into build/demo): the Linux root, the Linux child and
    the bare-metal child all reach their ready markers; input switches to
    the bare-metal child, which echoes it. How long the boot takes is `make
    bench`'s to measure (tests/bench/linux_boot.py): on a busy machine a
    wall-clock bound here would fail a correct build."""
    demo = os.path.join(harness.BUILD, "demo")
    with open(os.path.join(demo, "qemu.args"), encoding="utf-8") as f:
        extra = f.read().split()
    vm = qemu.boot(gic=3, smp=4, dtb=os.path.join(demo, "system.dtb"), extra=extra,
                   timeout=LINUX_TIMEOUT)
    vm.expect_all(["[root] bulkhead-linux: partition root ready (2 CPUs",
                   "[lx] bulkhead-linux: partition lx ready (1 CPUs",
                   "[rt0] console rt0 ready"])
    vm.send(ESCAPE + "2")
    vm.expect("[hv] console input goes to rt0")
    vm.send("hi there\r")
    vm.expect("[rt0] console rt0 got 'hi there'")



def test_demo_through_uboot(qemu, tmp_path):
    """The real boot chain for the demo: Debian's U-Boot runs the boot.scr
    `bhconfig layout` wrote (compiled with mkimage) from a FAT disk holding
    the files; it loads every image, the system tree and Bulkhead, and booti
    starts them: all three partitions come up. (acpi=off: with firmware and
    ACPI, QEMU 7.2 replaces the PL061 GPIO the board tree describes by an
    ACPI GED, and the root's Linux would find no device there.)"""
    demo = os.path.join(harness.BUILD, "demo")
    with open(os.path.join(demo, "boot.cmd"), encoding="utf-8") as f:
        commands = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    files = {"bulkhead.bin": harness.bulkhead_bin(),
             "system.dtb": os.path.join(demo, "system.dtb")}
    with open(os.path.join(demo, "qemu.args"), encoding="utf-8") as f:
        for word in f.read().split():
            if word.startswith("loader,file="):
                path = word.split("file=")[1].split(",")[0]
                files[os.path.basename(path)] = os.path.realpath(path)
    script = harness.make_uboot_script(str(tmp_path / "boot.scr"), commands, str(tmp_path))
    files["boot.scr"] = script
    disk = harness.make_fat_disk(str(tmp_path / "disk.img"), files, str(tmp_path), fs_mib=96)
    vm = qemu.boot(kernel=None, bios=harness.UBOOT_QEMU_ARM64, timeout=LINUX_TIMEOUT,
                   machine_extra="acpi=off", extra=[
                       "-drive", f"if=none,file={disk},format=raw,id=boot",
                       "-device", "virtio-blk-device,drive=boot"])
    vm.expect("Found U-Boot script /boot.scr")
    vm.expect("Starting kernel ...")
    vm.expect("[hv] 3 partition(s)")
    vm.expect_all(["[root] bulkhead-linux: partition root ready (2 CPUs",
                   "[lx] bulkhead-linux: partition lx ready (1 CPUs",
                   "[rt0] console rt0 ready"])
