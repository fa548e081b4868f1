"""Raw VMBus channels in Linux (bulkhead.ko, docs/linux-vmbus.md): the Linux
root serves bare-metal clients through /dev/vmbus/<name> with vmbus-cat, a
restarted client reconnects by itself, and a client that corrupts its ring
breaks only its own channel.

Memory plan (QEMU -m 1G): bare-metal children from 0x41000000, the root's
Linux at 0x50000000 (256 MiB, IPA 0x40000000-0x4fffffff), the channels'
regions from 0x4b000000 (PA) seen by the root at 0x70000000 and up, the
images from 0x68000000."""

import os
import re

import pytest

import harness
from systems import Channel, LinuxPartition, Partition, build_system

LINUX_TIMEOUT = 240.0
IMAGES = 0x68000000
ESCAPE = "\x1d"  # Ctrl-]
ROOT_READY = "[root] bulkhead-linux: partition root ready"
ECHO_RUN = re.compile(r"\[rt0\] echo: 10000 packets echoed intact in \d+ us")

def expect_count(vm, regex, count):
    """Waits until `regex` has matched `count` times in the whole console
    output, wherever the earlier waits left off."""
    while len(regex.findall(vm.output)) < count:
        vm.expect_regex(regex)


GICS = pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])


def root_command(vm, line):
    """Gives the console input to the root and types a command line."""
    vm.send(ESCAPE + "0")
    vm.expect("[hv] console input goes to root")
    vm.send(line + "\r")


@GICS
def test_linux_root_serves_bare_metal_clients(qemu, tmp_path, gic):
    """The Linux root is the echo service provider (vmbus-cat -e) for two
    bare-metal children. rt0's client sends 10,000 packets of random sizes
    (1-2000 bytes): every reply comes back intact and in order, then rt0
    restarts itself and its second session runs the same (the root's
    descriptor saw ECONNRESET once and went on). rt1 sends one good packet,
    then writes a write index outside the ring: the root's module names the
    channel, the partition and the reason, resets that channel only, and
    vmbus-cat sees EIO on it; rt0's channel never notices."""
    extra = build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True),
         Partition("rt0", "echo", [1], bootargs="echo.count=10000 echo.then=reset"),
         Partition("rt1", "vmbus_bad", [2], bootargs="bad=scribble")],
        gic=gic, image_start=IMAGES,
        channels=[Channel("echo", "root", "rt0", irq=10, provider_ipa=0x70000000),
                  Channel("bad", "root", "rt1", irq=11, interface="echo",
                          provider_ipa=0x70010000)])
    vm = qemu.boot(gic=gic, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all([ROOT_READY,
                   "channel echo: provider of echo, peer partition 1, doorbell 42, raw",
                   "channel bad: provider of echo, peer partition 2, doorbell 43, raw"])
    root_command(vm, "vmbus-cat -e echo & vmbus-cat -e bad &")
    vm.expect_all(["vmbus-cat: echo on echo ready", "vmbus-cat: echo on bad ready"])

    # rt1 breaks its channel; only that one is reset. The root's and rt1's
    # lines come in either order: all of them are awaited as a set.
    vm.expect_all([
        "[rt1] vmbus_bad: one good round trip: ok",
        # Not "; resetting the channel", which ends it: with the shell's prompt
        # before the kernel's line, the console wraps that part (160 bytes a line).
        "channel bad: the peer (partition 2) broke the receive ring: write or read index "
        "outside the ring",
        "vmbus-cat: bad: the peer broke the ring (Input/output error); the channel is reset",
        "[rt1] vmbus_bad: the provider dropped the channel: reset"])

    # rt0: 10,000 packets, a restart, a second session of 10,000 (counted in
    # the whole output: rt0's lines may come before or after those above).
    expect_count(vm, ECHO_RUN, 1)
    vm.expect_all(["[rt0] echo: restarting the partition",
                   "vmbus-cat: echo: peer reset, waiting for it",
                   "[rt0] echo: connected to partition 0 over echo (session 2)"])
    expect_count(vm, ECHO_RUN, 2)
    assert "differs" not in vm.output and "echo: packet" not in vm.output

    root_command(vm, "echo bad $(cat /sys/class/vmbus/bad/broken) "
                     "echo $(cat /sys/class/vmbus/echo/broken) $(cat /sys/class/vmbus/echo/resets)")
    m = vm.expect_regex(r"\[root\] bad (\d+) echo (\d+) (\d+)\r")
    assert int(m.group(1)) >= 1, "the bad channel's break was not counted"
    assert int(m.group(2)) == 0, "the echo channel was reset by the other's break"
    assert int(m.group(3)) >= 1
    assert "Unable to handle kernel" not in vm.output and "Oops" not in vm.output


def test_make_run_vmbus_demo(qemu):
    """The VMBus example system `make run-vmbus` boots
    (partitions/qemu-virt-vmbus.dts, laid out by `bhconfig layout` into
    build/vmbus-demo): the root's echo service, started from its command line
    (bulkhead.echo=echo), serves the bare-metal child's 1000 packets; the two
    Linux partitions ping each other over bhnet0, addressed from their
    command lines (bulkhead.ip=)."""
    demo = os.path.join(harness.BUILD, "vmbus-demo")
    with open(os.path.join(demo, "qemu.args"), encoding="utf-8") as f:
        extra = f.read().split()
    vm = qemu.boot(gic=3, smp=4, dtb=os.path.join(demo, "system.dtb"), extra=extra,
                   timeout=LINUX_TIMEOUT)
    vm.expect_all(["[root] vmbus-cat: echo on echo ready",
                   "[root] bulkhead-linux: partition root ready (2 CPUs",
                   "[lx] bulkhead-linux: partition lx ready (1 CPUs"])
    vm.expect_regex(r"\[rt0\] echo: 1000 packets echoed intact")
    # /init waited until every tool in /bin runs before it started the
    # service (an exec right after boot once failed with ETXTBSY).
    assert "does not run" not in vm.output and "Text file busy" not in vm.output
    root_command(vm, "ping -c 3 10.0.0.2")
    vm.expect_regex(r"\[root\] 3 packets transmitted, 3 packets received, 0% packet loss")
    vm.send(ESCAPE + "1")
    vm.expect("[hv] console input goes to lx")
    vm.send("ping -c 3 10.0.0.1\r")
    vm.expect_regex(r"\[lx\] 3 packets transmitted, 3 packets received, 0% packet loss")


def test_linux_root_uses_a_bare_metal_service(qemu, tmp_path):
    """The other way round: a bare-metal child (the SDK's vsp) provides the
    echo service and the Linux root is its client. vmbus-cat -p checks 1000
    round trips; a write larger than the ring can ever hold fails with
    EMSGSIZE and sends nothing; unloading the module closes the channel (the
    vsp offers it again) and loading it again reconnects by itself. (No
    management service: bhmgrd holds /dev/bulkhead, and so the module.)"""
    extra = build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True, bootargs="bulkhead.manage=off"),
         Partition("rt0", "vsp", [1])],
        gic=3, image_start=IMAGES,
        channels=[Channel("echo", "rt0", "root", irq=10, consumer_ipa=0x70000000)])
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all([ROOT_READY, "[rt0] vsp: echo: connected to partition 0 (session 1)"])
    root_command(vm, "vmbus-cat -i echo | grep state; vmbus-cat -p 1000 echo")
    vm.expect("[root] state: connected")
    vm.expect_regex(r"\[root\] vmbus-cat: 1000 round trips of 64 bytes in \d+ us")
    root_command(vm, "dd if=/dev/zero of=/dev/vmbus/echo bs=40000 count=1; "
                     "echo tx $(cat /sys/class/vmbus/echo/tx_packets)")
    vm.expect("[root] dd: error writing '/dev/vmbus/echo': Message too long")
    vm.expect("[root] tx 1000\r")
    root_command(vm, "rmmod bulkhead && ls /sys/class/vmbus")
    vm.expect_all(["[rt0] vsp: echo: partition 0 went away after 1000 packets; offering it again",
                   "ls: /sys/class/vmbus: No such file or directory"])
    root_command(vm, "insmod /lib/modules/bulkhead.ko && vmbus-cat -p 1000 echo")
    vm.expect_all(["[rt0] vsp: echo: connected to partition 0 (session 2)"])
    vm.expect_regex(r"\[root\] vmbus-cat: 1000 round trips of 64 bytes in \d+ us")
