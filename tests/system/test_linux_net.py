"""bhnet, the network device of bulkhead.ko (docs/linux-vmbus.md, "Network:
bhnet"), between a Linux root and a Linux child, with a hostile bare-metal
child on a second network channel of the root. One boot, GICv3: Linux boots
are slow, and every check here shares them.

The Linux partitions boot `quiet`: three partitions share the console's
budget (docs/consoles.md), and two kernels' boot logs would overrun it and
lose lines. Kernel events are read where they are kept instead: sysfs, and
the log through dmesg, each once a shell loop has seen the state it leads to.

Memory plan (QEMU -m 1G): the bare-metal child at 0x41000000, the device
tree at 0x48000000, the channels' regions at 0x4b000000 (net0: 2 x 256 KiB
rings) and 0x4b080000 (bad: 2 x 32 KiB), the root's Linux at 0x50000000
(256 MiB), the child's at 0x60000000 (128 MiB), the images from 0x68000000.
The Linux partitions see the regions at 0x70000000 and up, outside their
memory; partition ids: root 0, lx 1, bad 2."""

import re

from systems import Channel, LinuxPartition, Partition, build_system

LINUX_TIMEOUT = 900.0
IMAGES = 0x68000000
ESCAPE = "\x1d"  # Ctrl-]
MIB = 64
# 256 KiB rings: a frame may take a quarter of the 252 KiB data area, less
# the packet's 24 bytes and a VLAN Ethernet header: 64,512 - 24 - 18.
NET0_MTU = 64470
BAD_MTU = 7126  # 32 KiB rings: 7,168 - 24 - 18
OOPS = "Unable to handle kernel|Oops|BUG:|WARNING:|Call trace:"


def command(vm, name, line):
    """Gives the console input to partition `name` and types a command line."""
    vm.send(ESCAPE + {"root": "0", "lx": "1"}[name])
    vm.expect(f"[hv] console input goes to {name}")
    vm.send(line + "\r")


def wait_line(vm, name, text, n=1):
    """Waits until partition `name` has printed a line containing `text` `n`
    times in all: a line may come before a marker the test waited for."""
    pattern = rf"\[{name}\] [^\n]*{re.escape(text)}"
    while len(re.findall(pattern, vm.output)) < n:
        vm.expect_regex(pattern)


def wait_for(vm, name, condition, word):
    """A shell loop in partition `name` until `condition` (shell) holds; it
    prints "`word` holds" (typed quoted, so the typed line never matches)."""
    command(vm, name, f"until {condition}; do usleep 10000; done; echo {word}' 'holds")
    vm.expect(f"[{name}] {word} holds")


def carrier(value, dev="bhnet0"):
    return f'[ "$(cat /sys/class/net/{dev}/carrier)" = {value} ]'


def logged(text):
    """The number of kernel log lines containing `text`, in shell."""
    return f"$(dmesg | grep -c '{text}')"


def ping(vm, name, address, count=3):
    command(vm, name, f"ping -c {count} {address}")
    vm.expect_regex(rf"\[{name}\] {count} packets transmitted, {count} packets received")


def sha256(vm, name, what):
    """The checksum `sha256sum` printed for `what` (a file, or - for stdin)."""
    return vm.expect_regex(rf"\[{name}\] ([0-9a-f]{{64}})  {re.escape(what)}\r").group(1)


def transfer(vm, sender, receiver, address, port, mib):
    """`mib` MiB of random data over TCP with busybox nc: the sender serves a
    file (once its socket listens, /proc/net/tcp says), the receiver connects
    and checksums what it reads. Both SHA-256 must agree."""
    command(vm, sender, f"dd if=/dev/urandom of=/tmp/data bs=1M count={mib} 2>/dev/null && "
            f"sha256sum /tmp/data && (nc -l -p {port} </tmp/data &) && "
            f"until grep -qE ':{port:04X} 0+:0000 0A' /proc/net/tcp /proc/net/tcp6; "
            f"do usleep 10000; done && echo {sender}' 'listens")
    sent = sha256(vm, sender, "/tmp/data")
    vm.expect(f"[{sender}] {sender} listens")
    command(vm, receiver, f"nc {address} {port} | sha256sum")
    assert sha256(vm, receiver, "-") == sent, f"{mib} MiB from {sender} arrived changed"


def test_linux_bhnet(qemu, tmp_path):
    """Root and child Linux on bhnet0, MTU and MAC as documented: ping both
    ways; a frame longer than the receiver's MTU is dropped and counted, not
    delivered; 64 MiB of random data over TCP (busybox nc) arrive with the
    sender's SHA-256, the checksums left to the receiver (each side said it
    takes them); the child `reboot -f`s: the root's link goes down and comes
    back by itself, and ping works again; with the root's csum_offload off,
    the child completes its checksums and 16 MiB the other way arrive intact;
    `poweroff -f`: the root's bhnet0 has no carrier. Meanwhile the bare-metal
    child `bad` answers the root's first packet on its own network channel
    and scribbles over its ring: the root names the channel and the reason,
    resets only that channel (its bhnet1 stays down, the peer never opens
    again), and bhnet0 never notices. No oops anywhere."""
    extra = build_system(
        tmp_path,
        [LinuxPartition("root", [0, 1], pa=0x50000000, root=True,
                        bootargs="quiet bulkhead.ip=bhnet0:10.0.0.1/24,bhnet1:10.0.1.1/24"),
         LinuxPartition("lx", [2], pa=0x60000000, mem=128 << 20,
                        bootargs="quiet bulkhead.ip=bhnet0:10.0.0.2/24"),
         Partition("bad", "vmbus_bad", [3], pa=0x41000000, bootargs="bad=scribble")],
        image_start=IMAGES,
        channels=[Channel("net0", "root", "lx", irq=10, interface="net",
                          rings=(0x40000, 0x40000), pa=0x4B000000,
                          provider_ipa=0x70000000, consumer_ipa=0x70000000),
                  Channel("bad", "root", "bad", irq=11, consumer_irq=10, interface="net",
                          pa=0x4B080000, provider_ipa=0x70080000)])
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all([
        "[root] bulkhead-linux: partition root ready",
        "[lx] bulkhead-linux: partition lx ready",
        # The hostile child: its channel only, named, with the reason (an
        # error: on the console even when quiet).
        # Not "; resetting the channel", which ends it: with the shell's prompt
        # before the kernel's line, the console wraps that part (160 bytes a line).
        "channel bad: the peer (partition 2) broke the receive ring: write or read index "
        "outside the ring",
        "[bad] vmbus_bad: the provider dropped the channel",
    ])
    wait_for(vm, "root", carrier(1), "root-carrier")
    command(vm, "root", "cd /sys/class/net; echo devices $(cat bhnet0/address bhnet0/mtu "
            "bhnet1/address bhnet1/mtu); cd /")
    vm.expect(f"[root] devices 02:62:68:00:01:00 {NET0_MTU} 02:62:68:00:02:01 {BAD_MTU}\r")
    wait_for(vm, "lx", carrier(1), "lx-carrier")
    command(vm, "lx", "echo device $(cat /sys/class/net/bhnet0/address /sys/class/net/bhnet0/mtu)")
    vm.expect(f"[lx] device 02:62:68:01:00:00 {NET0_MTU}\r")

    ping(vm, "lx", "10.0.0.1")
    ping(vm, "root", "10.0.0.2")
    # Each side's hello, the session's first packet, was read before the pings.
    text = "bhnet0: session 1: partition {} takes frames with checksums left to it"
    command(vm, "root", f"echo hellos {logged(text.format(1))}")
    vm.expect("[root] hellos 1\r")
    command(vm, "lx", f"echo hellos {logged(text.format(0))}")
    vm.expect("[lx] hellos 1\r")

    # A frame longer than the receiver's MTU: dropped and counted.
    command(vm, "root", "ip link set bhnet0 mtu 1500")
    command(vm, "lx", "ping -c 1 -W 2 -s 4000 10.0.0.1")
    vm.expect("[lx] 1 packets transmitted, 0 packets received")
    command(vm, "root", "echo length errors $(cat /sys/class/net/bhnet0/statistics/"
            f"rx_length_errors); ip link set bhnet0 mtu {NET0_MTU}")
    errors = int(vm.expect_regex(r"\[root\] length errors (\d+)").group(1))
    assert errors >= 1, "the long frame was not counted"
    ping(vm, "lx", "-s 4000 10.0.0.1", count=1)

    # 64 MiB over TCP, root to lx, its checksums left to lx.
    transfer(vm, "root", "lx", "10.0.0.1", 5000, MIB)

    # lx restarts: the root's link goes down and comes back by itself, in the
    # channel's next session. The root stops announcing that it takes
    # partial checksums, from that session on.
    command(vm, "root", "echo 0 >/sys/module/bulkhead/parameters/csum_offload")
    command(vm, "lx", f"dmesg | grep -cE '{OOPS}'")
    vm.expect("[lx] 0\r")
    command(vm, "lx", "reboot -f")
    vm.expect("[hv] partition lx restarting: PSCI SYSTEM_RESET from vCPU")
    wait_line(vm, "lx", "bulkhead-linux: partition lx ready", 2)
    wait_for(vm, "root", f'[ "$(cat /sys/class/vmbus/net0/session)" = 2 ] && {carrier(1)}',
             "reconnected")
    command(vm, "root", "echo links "
            f"{logged('bhnet0: link down: channel net0 is reset')} "
            f"{logged('bhnet0: link up: channel net0 connected to partition 1')} "
            "resets $(cat /sys/class/vmbus/net0/resets)")
    vm.expect("[root] links 1 2 resets 1\r")
    wait_for(vm, "lx", carrier(1), "lx-carrier")
    ping(vm, "lx", "10.0.0.1")
    ping(vm, "root", "10.0.0.2")
    command(vm, "lx", "echo hellos "
            f"{logged('bhnet0: session 2: partition 0 needs complete checksums')}")
    vm.expect("[lx] hellos 1\r")

    # lx to root, with the checksums lx completes itself.
    transfer(vm, "lx", "root", "10.0.0.2", 5001, 16)

    # The hostile channel stayed down and alone; bhnet0 saw no error but the
    # long frame.
    command(vm, "root", "cd /sys/class; echo bad $(cat net/bhnet1/carrier vmbus/bad/state "
            "vmbus/bad/broken) net0 $(cat vmbus/net0/broken net/bhnet0/statistics/rx_errors); "
            "cd /")
    m = vm.expect_regex(r"\[root\] bad (\d) (\w+) (\d+) net0 (\d+) (\d+)")
    assert m.groups() == ("0", "waiting", "1", "0", str(errors))

    # lx stops for good: no carrier on the root's side.
    command(vm, "lx", f"dmesg | grep -cE '{OOPS}'; poweroff -f")
    vm.expect("[lx] 0\r")
    vm.expect("[hv] partition lx stopped: PSCI SYSTEM_OFF from vCPU")
    wait_for(vm, "root", carrier(0), "no-carrier")
    command(vm, "root", f"echo links {logged('bhnet0: link down: channel net0 is reset')} "
            f"oops $(dmesg | grep -cE '{OOPS}'); ip link show bhnet0")
    vm.expect("[root] links 2 oops 0\r")
    vm.expect_regex(r"\[root\] \d+: bhnet0: <NO-CARRIER,")
