"""Console channels in Linux (bulkhead.ko's ttyVMB<n>, docs/linux-vmbus.md,
"Consoles: ttyVMB"): a Linux root prints a bare-metal child's console
(the SDK's vmconsole) and runs commands in a Linux child's shell, bulk bytes
go both ways through a small ring with nothing lost, and a child that
corrupts its console's ring breaks only that channel. One boot: Linux boots
are slow. Both Linux partitions boot `quiet`: five consoles share the UART,
and a kernel's boot messages would spend the root's share of it
(docs/consoles.md) on the lines the test waits for.

Memory plan (QEMU -m 1G): bare-metal children from 0x41000000, the root's
Linux at 0x50000000 (256 MiB), the child's Linux at 0x60000000 (128 MiB),
the channels' regions from 0x4b000000 (PA), seen by both Linux partitions at
0x70000000 and up, the images from 0x68000000."""

import hashlib
import re

from systems import Channel, LinuxPartition, Partition, build_system

LINUX_TIMEOUT = 240.0
IMAGES = 0x68000000
ESCAPE = "\x1d"  # Ctrl-]
LINES = 15
# Through lx-data, each way: a ring of 4 KiB of data, so the writer waits
# for the reader over and over.
BULK = "".join(f"{i}\n" for i in range(1, 20001)).encode()
BULK_MD5 = hashlib.md5(BULK).hexdigest()


def command(vm, partition_id, name, line):
    """Gives the console input to a partition and types a command line."""
    vm.send(ESCAPE + str(partition_id))
    vm.expect(f"[hv] console input goes to {name}")
    vm.send(line + "\r")


def test_linux_console_channels(qemu, tmp_path):
    """The root provides four console channels. Its ttys are numbered in
    channel order (ttyVMB0-3); /init prints rt0-console, lx-console and
    rt1-bad (bulkhead.vmconsole=<names>), and the child lx runs a shell on
    its end of lx-console (bulkhead.vmconsole=lx-console).

    (a) rt0, bare metal with no UART, prints through the root's tty: all its
    lines, in order. (b) The root writes a command into /dev/ttyVMB1; lx's
    shell runs it and the root reads its output there. The root's end does
    not echo lx's output back (lx would run its own prompt: "not found").
    Bulk: `seq 1 20000` each way through lx-data (8 KiB rings), checked by
    md5sum at the other end, one way through a reader that lags (throttled). Hostile: rt1 (vmbus_bad) writes a write index
    outside its ring: the root's module names the channel and resets it,
    no oops, and lx-console still works after it."""
    extra = build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True,
                        bootargs="quiet bulkhead.vmconsole=rt0-console,lx-console,rt1-bad"),
         LinuxPartition("lx", [1], pa=0x60000000, mem=128 << 20,
                        bootargs="quiet bulkhead.vmconsole=lx-console"),
         Partition("rt0", "vmconsole", [2], pa=0x41000000, bootargs=f"lines={LINES}"),
         Partition("rt1", "vmbus_bad", [3], pa=0x42000000, bootargs="bad=scribble")],
        gic=3, image_start=IMAGES,
        channels=[Channel("rt0-console", "root", "rt0", irq=10, interface="console",
                          provider_ipa=0x70000000),
                  Channel("lx-console", "root", "lx", irq=11, interface="console",
                          provider_ipa=0x70010000, consumer_ipa=0x70010000),
                  Channel("lx-data", "root", "lx", irq=12, interface="console",
                          rings=(0x2000, 0x2000), provider_ipa=0x70020000,
                          consumer_ipa=0x70020000),
                  Channel("rt1-bad", "root", "rt1", irq=13, consumer_irq=10,
                          interface="console", provider_ipa=0x70030000)])
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all([
        "[root] bulkhead-linux: printing console channel rt0-console (/dev/ttyVMB0)",
        "[root] bulkhead-linux: printing console channel lx-console (/dev/ttyVMB1)",
        "[root] bulkhead-linux: printing console channel rt1-bad (/dev/ttyVMB3)",
        "[lx] bulkhead-linux: shell on /dev/ttyVMB0 (console channel lx-console)"])
    assert "printing console channel lx-data" not in vm.output
    assert "shell on /dev/ttyVMB1" not in vm.output

    # (a) The bare-metal child's lines on the root's console.
    # (The printer's lines carry no "[root] " of their own when they follow
    # a shell prompt on the root's console.)
    vm.expect_all(["rt0-console: hello from rt0, printing through the root over VMBus",
                   "rt0-console: done"])
    printed = [int(n) for n in re.findall(rf"rt0-console: line (\d+) of {LINES}\n", vm.output)]
    assert printed == list(range(1, LINES + 1))

    # (b) A command in lx's shell, from the root's tty; its output read there.
    command(vm, 0, "root", "echo 'echo lx has $(nproc) CPU, $((6*7))' > /dev/ttyVMB1")
    vm.expect("lx-console: lx has 1 CPU, 42\r")

    # Bulk, root -> lx: lx's end goes raw first (stty's own open would take
    # bytes that came meanwhile), then holds the tty open unread for a while:
    # its line discipline throttles, the ring fills, the root's writer
    # waits; reading unthrottles, and every byte comes through.
    command(vm, 1, "lx", "stty -F /dev/ttyVMB1 raw -echo && echo lx-data raw && "
                         "{ sleep 2; head -c %d | md5sum; } </dev/ttyVMB1" % len(BULK))
    vm.expect("[lx] lx-data raw\r")
    command(vm, 0, "root", "seq 1 20000 > /dev/ttyVMB2 && echo root sent")
    vm.expect_all([f"[lx] {BULK_MD5}  -", "[root] root sent"])
    # lx -> root: the root's end is raw by default.
    command(vm, 0, "root", "head -c %d /dev/ttyVMB2 | md5sum" % len(BULK))
    command(vm, 1, "lx", "seq 1 20000 > /dev/ttyVMB1 && echo lx sent")
    vm.expect_all([f"[root] {BULK_MD5}  -", "[lx] lx sent"])

    # Hostile: rt1 waits for a reply to its one good packet, then scribbles.
    command(vm, 0, "root", "echo ok > /dev/ttyVMB3")
    vm.expect_all([
        "[rt1] vmbus_bad: one good round trip: ok",
        # (the console wraps the rest of this line: "; resetting the channel")
        "channel rt1-bad: the peer (partition 3) broke the receive ring: write or read index "
        "outside the ring",
        "[rt1] vmbus_bad: the provider dropped the channel: reset"])
    command(vm, 0, "root", "echo 'echo still $((7*6))' > /dev/ttyVMB1; "
                           "echo dropped $(cat /sys/class/tty/ttyVMB*/tx_dropped)")
    m = vm.expect_regex(r"\[root\] dropped (\d+) (\d+) (\d+) (\d+)\r")
    assert m.groups() == ("0", "0", "0", "0"), "a tty dropped bytes while connected"
    vm.expect_all(["lx-console: still 42"])
    assert "not found" not in vm.output, "the root's tty echoed lx's output back to it"
    assert "Unable to handle kernel" not in vm.output and "Oops" not in vm.output
