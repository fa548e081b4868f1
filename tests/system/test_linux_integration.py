"""Integration channels in bulkhead.ko (docs/linux-vmbus.md, "Management:
/dev/bulkhead and the integration channel"): a Linux root provides one to a
Linux child and one to each of two hostile bare-metal children. One boot,
GICv3.

The root has QEMU's PL031, so its clock starts at the real time; the child
has no RTC, so its clock says 1970 until the root tells it the time. The
Linux partitions boot `quiet` (see test_linux_net.py): kernel events are read
through sysfs and dmesg once a shell loop has seen the state they lead to.

Memory plan (QEMU -m 1G): the bare-metal children at 0x41000000 and
0x42000000, the device tree at 0x48000000, the channels' regions at
0x4b000000 (lx-integ), 0x4b010000 (bad-integ) and 0x4b020000
(scribble-integ), 8 KiB rings each, the root's Linux at 0x50000000
(256 MiB), the child's at 0x60000000 (128 MiB), the images from 0x68000000.
Partition ids: root 0, lx 1, bad 2, scribbler 3."""

from systems import Channel, LinuxPartition, Partition, build_system
from test_linux_net import IMAGES, LINUX_TIMEOUT, OOPS, command, logged, wait_for

RINGS = (0x2000, 0x2000)
LX = "/sys/class/vmbus/lx-integ/integration"
BAD = "/sys/class/vmbus/bad-integ/integration"


def test_linux_integration(qemu, tmp_path):
    """The child says hello (the root sees its kernel), sends heartbeats at
    the period the root asked (1000 ms, the default), and takes the root's
    clock (its year is the root's, not 1970's). A hostile child's HELLO
    has the wrong length: counted and logged on its channel, nothing else
    changes; another scribbles over its ring: the root resets that channel
    only. The root asks the child to reboot: it acknowledges, reboots
    (PSCI SYSTEM_RESET) and comes back in a second session, clock set again.
    The root asks it to power off: it acknowledges and runs an orderly
    power-off (PSCI SYSTEM_OFF), the root stays up, and a second request
    finds the channel down (ENOTCONN). No oops anywhere."""
    extra = build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True, rtc=True, bootargs="quiet"),
         LinuxPartition("lx", [1], pa=0x60000000, mem=128 << 20, bootargs="quiet"),
         # Waits for an answer to its HELLO, which the root never gives.
         Partition("bad", "vmbus_bad", [2], pa=0x41000000, bootargs="bad=scribble"),
         Partition("scribbler", "vmbus_bad", [3], pa=0x42000000,
                   bootargs="bad=scribble bad.reply=none")],
        image_start=IMAGES,
        channels=[Channel("lx-integ", "root", "lx", irq=10, interface="integration",
                          rings=RINGS, pa=0x4B000000, provider_ipa=0x70000000,
                          consumer_ipa=0x70000000),
                  Channel("bad-integ", "root", "bad", irq=11, consumer_irq=10,
                          interface="integration", rings=RINGS, pa=0x4B010000,
                          provider_ipa=0x70010000),
                  Channel("scribble-integ", "root", "scribbler", irq=12, consumer_irq=10,
                          interface="integration", rings=RINGS, pa=0x4B020000,
                          provider_ipa=0x70020000)])
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all(["[root] bulkhead-linux: partition root ready",
                   "[lx] bulkhead-linux: partition lx ready"])

    # HELLO and heartbeats, as the root sees them.
    wait_for(vm, "root", f'[ "$(cat {LX}/kind)" = linux ] && [ "$(cat {LX}/heartbeats)" -ge 2 ]',
             "heartbeating")
    command(vm, "root", f"cd {LX}; echo hello $(cat system heartbeat_ms sessions bad_packets); "
            "cd /")
    m = vm.expect_regex(r"\[root\] hello Linux (\S+) (\d+) (\d+) (\d+)\r")
    assert m.group(1).endswith("-arm64") and m.groups()[1:] == ("1000", "1", "0"), m.groups()
    command(vm, "lx", f"cd {LX}; echo sent $(cat heartbeat_ms) $(cat heartbeats); cd /")
    beats = vm.expect_regex(r"\[lx\] sent 1000 (\d+)\r")
    assert int(beats.group(1)) >= 1

    # Time: the child's clock was set from the root's, which came from the RTC.
    wait_for(vm, "lx", f'[ "$(cat {LX}/time_synced)" -ge 1 ]', "synced")
    command(vm, "root", "echo year $(date +%Y)")
    year = int(vm.expect_regex(r"\[root\] year (\d+)\r").group(1))
    assert year >= 2024, f"the root's clock says {year}: no RTC?"
    command(vm, "lx", f"echo year $(date +%Y) {logged('clock set from partition 0: ' + str(year))}")
    vm.expect(f"[lx] year {year} 1\r")

    # The hostile child's HELLO (4 bytes): counted and logged, its channel left connected.
    wait_for(vm, "root", f'[ "$(cat {BAD}/bad_packets)" -ge 1 ]', "counted")
    line = "channel bad-integ: integration packet type 1 (HELLO), 4 bytes, from partition 2"
    command(vm, "root", f"echo bad $(cat /sys/class/vmbus/bad-integ/state {BAD}/kind) "
            f"{logged(line)}")
    vm.expect("[root] bad connected none 1\r")

    # The other breaks its ring: that channel is reset, and only that one.
    vm.expect_all(["[scribbler] vmbus_bad: one good packet: ok",
                   # (The line goes on, wrapped on the console: "...; resetting the channel".)
                   "channel scribble-integ: the peer (partition 3) broke the receive ring: "
                   "write or read index outside the ring",
                   "[scribbler] vmbus_bad: the provider dropped the channel: reset"])
    command(vm, "root", "cd /sys/class/vmbus; echo broken $(cat scribble-integ/broken "
            "lx-integ/broken bad-integ/broken lx-integ/state); cd /")
    vm.expect("[root] broken 1 0 0 connected\r")

    # An orderly reboot, asked by the root: the child comes back, says hello
    # in a new session and takes the time again.
    command(vm, "lx", f"dmesg | grep -cE '{OOPS}'")
    vm.expect("[lx] 0\r")
    command(vm, "root", f"echo reboot kernel update >{LX}/shutdown")
    vm.expect("[hv] partition lx restarting: PSCI SYSTEM_RESET from vCPU 0")
    vm.expect("[lx] bulkhead-linux: partition lx ready")
    wait_for(vm, "root", f'[ "$(cat {LX}/sessions)" = 2 ] && [ "$(cat {LX}/kind)" = linux ]',
             "back")
    wait_for(vm, "lx", f'[ "$(cat {LX}/time_synced)" -ge 1 ]', "resynced")
    command(vm, "lx", "echo year $(date +%Y)")
    vm.expect(f"[lx] year {year}\r")

    # An orderly power-off, asked by the root.
    command(vm, "lx", f"dmesg | grep -cE '{OOPS}'")
    vm.expect("[lx] 0\r")
    command(vm, "root", f"echo poweroff maintenance window >{LX}/shutdown")
    vm.expect("[hv] partition lx stopped: PSCI SYSTEM_OFF from vCPU 0")
    wait_for(vm, "root", '[ "$(cat /sys/class/vmbus/lx-integ/state)" != connected ]', "down")
    # (Short lines: a partition's console input holds 256 bytes, VCONSOLE_INPUT_MAX.)
    command(vm, "root", f"echo acks {logged('partition 1 acknowledged the shutdown (status 0)')} "
            f"oops $(dmesg | grep -cE '{OOPS}')")
    vm.expect("[root] acks 2 oops 0\r")
    command(vm, "root", f"echo asked {logged('asked partition 1 to reboot: kernel update')} "
            f"{logged('asked partition 1 to power off: maintenance window')}")
    vm.expect("[root] asked 1 1\r")
    command(vm, "root", f"echo poweroff >{LX}/shutdown || echo refused")
    vm.expect("[root] refused\r")
    assert "[hv] partition root stopped" not in vm.output
