"""Interrupts in partitions: the virtual GIC (v2 and v3), the virtual timer,
SGIs between a partition's vCPUs, and isolation of other partitions'
interrupts. The guests are tests/guests/irqtest and ticker."""

import os
import re
import time

import pytest

import harness
from systems import Partition, build_system

GICS = pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])


def boot_system(qemu, tmp_path, partitions, gic=3):
    return qemu.boot(gic=gic, smp=4, extra=build_system(tmp_path, partitions, gic=gic))


@GICS
def test_virtual_timer_rate(qemu, tmp_path, gic):
    """A bare-metal guest takes virtual timer interrupts at 100 Hz for 2 s,
    re-arming the timer from its handler: it counts exactly 200, none taken
    before its deadline, and the interrupts keep coming afterwards."""
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "ticker", [0], root=True),
        Partition("rt0", "irqtest", [1], bootargs="test=timer hz=100 seconds=2")], gic=gic)
    m = vm.expect_regex(r"\[rt0\] irqtest: timer (\d+) interrupts in 2 s at 100 Hz, "
                        r"(\d+) spurious")
    # Counted with interrupts masked once the 200th deadline passed: exact, however
    # late a loaded host delivered them; none may arrive before its deadline.
    assert int(m.group(1)) == 200 and int(m.group(2)) == 0, m.group(0)
    tick = vm.expect_regex(r"\[rt0\] irqtest: tick 2 \((\d+) interrupts\)")
    assert int(tick.group(1)) == 400, tick.group(0)
    assert "[hv] error:" not in vm.output


@GICS
def test_sgi_between_own_vcpus(qemu, tmp_path, gic):
    """vCPU 0 and vCPU 1 of one partition bounce 1000 SGIs (GICv3: trapped
    ICC_SGI1R_EL1 writes; GICv2: the emulated GICD_SGIR); none is lost."""
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "ticker", [0], root=True),
        Partition("rt0", "irqtest", [1, 2], bootargs="test=sgi rounds=1000")], gic=gic)
    vm.expect("[rt0] irqtest: sgi 1000 round trips (1000 pings seen by vCPU 1)")
    assert "[hv] error:" not in vm.output


@GICS
def test_more_pending_than_list_registers(qemu, tmp_path, gic):
    """14 SGIs pending at once on one vCPU, more than its list registers (4,
    3 on GICv2): the underflow maintenance interrupt refills them as the
    guest takes them, and every one arrives."""
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "irqtest", [0], root=True, bootargs="test=burst")], gic=gic)
    vm.expect("[root] irqtest: burst 14 of 14 SGIs")


@GICS
def test_foreign_interrupts_untouchable(qemu, tmp_path, gic):
    """A partition clears every enable and pending bit it can name: all SPIs
    and (GICv3) the redistributor frames of CPUs beyond its own. Bulkhead
    ignores what it does not own and says so once; the other partition's
    timer interrupts keep arriving, and the offender's own timer works."""
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "irqtest", [0], root=True, bootargs="test=timer hz=100 seconds=1"),
        Partition("bad", "irqtest", [1], bootargs="test=foreign")], gic=gic)
    vm.expect("[bad] irqtest: foreign writes done; ISENABLER1 reads 0x00000000")
    m = vm.expect_regex(r"\[root\] irqtest: tick 3 \((\d+) interrupts\)")
    assert int(m.group(1)) == 400, m.group(0)  # counted exactly (irqtest's wait_until)
    assert re.search(r"\[bad\] irqtest: timer (\d+) interrupts in 1 s at 100 Hz", vm.output)
    assert "[hv] error:" not in vm.output


@GICS
def test_passthrough_rtc(qemu, tmp_path, gic):
    """A child given the PL031 RTC (devices = <&rtc>) maps it at its physical
    address and takes its interrupt (SPI 34) through the HW list register
    path: three one-second match alarms. The root, which takes the other safe
    devices (`other-devices`), gets the GPIO controller it lists in
    `trusted-devices` (it controls pins) but not the RTC; a second child
    that reads the RTC is stopped by a stage-2 fault."""
    bad = Partition("bad", "misbehave-idmap", [2], pa=0x47000000, ipa=0x47000000,
                    bootargs="do=read addr=0x9010000 delay_ms=200")
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "ticker", [0], root=True, trusted_devices=["gpio"]),
        Partition("rt0", "irqtest", [1], bootargs="test=rtc alarms=3", devices=["rtc"]),
        bad], gic=gic)
    vm.expect_all(["[hv]   device /pl031@9010000: PA 0x9010000+0x1000, interrupts 34",
                   "[hv]   device /pl061@9030000: PA 0x9030000+0x1000, interrupts 39"])
    lines = vm.lines()
    assert lines.index("[hv]   device /pl031@9010000: PA 0x9010000+0x1000, interrupts 34") > \
        lines.index("[hv] partition 1: rt0, 1 vCPU(s) on CPU1")
    vm.expect("[hv] error: partition bad: vCPU 0 (CPU2): stage-2 data abort: read of IPA "
              "0x9010000, which is not mapped for this partition")
    vm.expect("[rt0] irqtest: rtc 3 alarms", timeout=30)
    assert "misbehave: survived" not in vm.output


@GICS
def test_gic_where_the_partition_tree_says(qemu, tmp_path, gic):
    """A partition whose own device tree (a "dtb" image) puts the GIC at
    0x2f000000 finds its virtual GIC there: distributor, and redistributors
    (GICv3) or the CPU interface (GICv2); its timer interrupts arrive."""
    if gic == 3:
        node = ('intc@2f000000 { compatible = "arm,gic-v3"; interrupt-controller; '
                '#interrupt-cells = <3>; reg = <0x0 0x2f000000 0x0 0x10000>, '
                '<0x0 0x2f100000 0x0 0x20000>; };')
    else:
        node = ('intc@2f000000 { compatible = "arm,cortex-a15-gic"; interrupt-controller; '
                '#interrupt-cells = <3>; reg = <0x0 0x2f000000 0x0 0x1000>, '
                '<0x0 0x2f010000 0x0 0x2000>; };')
    dts = tmp_path / "child.dts"
    dts.write_text("/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; " + node + " };\n")
    dtb = str(tmp_path / "child.dtb")
    harness.run([harness.find_tool("dtc"), "-q", "-I", "dts", "-O", "dtb", "-o", dtb, str(dts)])
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "ticker", [0], root=True),
        Partition("rt0", "irqtest-gicmoved", [1], dtb=dtb,
                  bootargs="test=timer hz=100 seconds=1")], gic=gic)
    second = "0x2f100000" if gic == 3 else "0x2f010000"
    vm.expect(f"[hv] partition rt0: GIC at IPA 0x2f000000 / {second}, as its device tree says")
    m = vm.expect_regex(r"\[rt0\] irqtest: timer (\d+) interrupts in 1 s at 100 Hz, "
                        r"(\d+) spurious")
    assert int(m.group(1)) == 100 and int(m.group(2)) == 0, m.group(0)


@GICS
def test_forwarded_timer_is_level(qemu, tmp_path, gic):
    """The virtual timer's PPI follows its line, as on a GIC: a timer that
    fired while the PPI was disabled and was then stopped is not taken when
    the PPI is enabled (no stale interrupt); one still firing is; and ICPENDR
    clears a forwarded interrupt's pending state (held while the groups
    were off)."""
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "irqtest", [0], root=True, bootargs="test=level")], gic=gic)
    vm.expect("[root] irqtest: level: stale 0, live 1, after ICPENDR 0")


def qemu_cpu_seconds(vm):
    """Host CPU time (user + system) QEMU has used so far."""
    with open(f"/proc/{vm.child.pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@GICS
def test_idle_cpus_sleep(qemu, tmp_path, gic):
    """Three of four CPUs have no vCPU and the partition's own waits in WFI:
    QEMU uses a small part of one host core. (Idle CPUs that wait with WFE,
    which QEMU runs as a spin, used about two host cores, whatever the
    host's speed.)"""
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "irqtest", [0], root=True, bootargs="test=timer hz=10 seconds=1")],
        gic=gic)
    vm.expect("[root] irqtest: tick 1 (")
    cpu, wall = qemu_cpu_seconds(vm), time.monotonic()
    vm.expect("[root] irqtest: tick 3 (")
    used = qemu_cpu_seconds(vm) - cpu
    assert used < 0.5 * (time.monotonic() - wall), used
