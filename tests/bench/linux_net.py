#!/usr/bin/python3
"""make bench: bhnet, the network device of bulkhead.ko, between two Linux
partitions, next to loopback inside one of them, in the same run. On QEMU
under -icount shift=0 (one instruction = 1 ns of virtual time), so the figures
count work done and barely move between hosts or runs.

The root (CPU0+1) and lx (CPU2+3) share a channel with 256 KiB rings (MTU
64,470). TCP: tcpbench (guest-sdk/linux/tools) sends MIB MiB from the root,
in 128 KiB writes, to a tcpbench that reads and drops them, over bhnet0 to
lx and over lo to the root itself; the time runs from the connect to the
server's close (it has read everything); then again over bhnet0 with
checksum offload off on both sides (csum_offload=0, a new session), as a
peer that needs complete checksums sees it. Ping: the median round trip of
PINGS 56-byte echoes, 50 ms apart, to lx over bhnet0 and to 127.0.0.1, after
one that resolves the address. The
rows are tests/bench/report.py's.

    linux_net.py [--mib N] [--pings N]
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import report  # noqa: E402
import systems  # noqa: E402

ICOUNT = ["-icount", "shift=0,sleep=off"]
RINGS = (0x40000, 0x40000)
PORT = 5000
ESCAPE = "\x1d"  # Ctrl-]
CARRIER_UP = 'until [ "$(cat /sys/class/net/bhnet0/carrier)" = 1 ]; do usleep 10000; done'


def command(vm, partition_id, line):
    """Gives the console input to a partition and types a command line."""
    vm.send(ESCAPE + str(partition_id))
    vm.expect("[hv] console input goes to ")
    vm.send(line + "\r")


def listen(vm, partition_id, name):
    """tcpbench's sink on PORT, in the background: it serves one connection."""
    command(vm, partition_id, f"tcpbench -l {PORT} &")
    vm.expect_regex(rf"\[{name}\] [^\n]*tcpbench: listening on {PORT}")  # after the prompt


def send(vm, address, mib):
    """Seconds the root's tcpbench takes to send `mib` MiB to address:PORT."""
    command(vm, 0, f"tcpbench {address} {PORT} {mib}")
    m = vm.expect_regex(rf"\[root\] tcpbench: sent {mib << 20} bytes in (\d+) us")
    return int(m.group(1)) / 1e6


def ping(vm, label, address, count):
    """The median round trip in microseconds (a rare one takes a timer tick
    longer), after one echo that resolves the address (ARP). The guest sorts
    the times and prints how many and the middle one."""
    command(vm, 0, f"ping -c 1 {address} >/dev/null; ping -c {count} -i 0.05 {address} | "
            "sed -n 's/.*time=\\([0-9.]*\\) ms/\\1/p' | sort -n | "
            f"awk '{{t[NR] = $1}} END {{print \"{label}:\", NR, t[int((NR + 1) / 2)]}}'")
    m = vm.expect_regex(rf"\[root\] {label}: (\d+) ([\d.]+)\r")
    if int(m.group(1)) != count:
        raise SystemExit(f"{label}: {m.group(1)} replies of {count}")
    return float(m.group(2)) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--pings", type=int, default=50)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        extra = systems.build_system(
            tmp,
            [systems.LinuxPartition("root", [0, 1], pa=0x50000000, root=True,
                                    bootargs="quiet bulkhead.ip=bhnet0:10.0.0.1/24"),
             systems.LinuxPartition("lx", [2, 3], pa=0x60000000, mem=128 << 20,
                                    bootargs="quiet bulkhead.ip=bhnet0:10.0.0.2/24")],
            gic=3, image_start=0x68000000,
            channels=[systems.Channel("net0", "root", "lx", interface="net", rings=RINGS,
                                      provider_ipa=0x70000000, consumer_ipa=0x70000000)])
        args = harness.qemu_args(harness.machine(3), smp=4, kernel=harness.bulkhead_bin(),
                                 extra=extra) + ICOUNT
        log = os.path.join(harness.LOG_DIR, "bench-linux-net.log")
        os.makedirs(harness.LOG_DIR, exist_ok=True)
        vm = harness.Qemu(args, log, "bench: bhnet between two Linux partitions", timeout=1800)
        try:
            vm.expect_all(["[root] bulkhead-linux: partition root ready",
                           "[lx] bulkhead-linux: partition lx ready"])
            command(vm, 0, f"{CARRIER_UP}; echo bhnet0 carrier' 'up")
            vm.expect("[root] bhnet0 carrier up")
            ping_lo = ping(vm, "ping-lo", "127.0.0.1", opts.pings)
            ping_net = ping(vm, "ping-bhnet", "10.0.0.2", opts.pings)
            listen(vm, 0, "root")
            tcp_lo = send(vm, "127.0.0.1", opts.mib)
            listen(vm, 1, "lx")
            tcp_net = send(vm, "10.0.0.2", opts.mib)
            # As a peer that checksums everything (a bare-metal stack) sees it:
            # neither side takes partial checksums from the next session on.
            command(vm, 0, "echo 0 >/sys/module/bulkhead/parameters/csum_offload")
            # The hellos are the new session's first packets: once lx has its
            # carrier, both sides know.
            command(vm, 1, "rmmod bulkhead && insmod /lib/modules/bulkhead.ko csum_offload=0 "
                    "&& ip addr add 10.0.0.2/24 dev bhnet0 && ip link set bhnet0 up && "
                    f"{CARRIER_UP} && dmesg | grep -c 'needs complete checksums'")
            vm.expect("[lx] 1\r")
            listen(vm, 1, "lx")
            tcp_full = send(vm, "10.0.0.2", opts.mib)
        finally:
            vm.close()
    net_mbs, lo_mbs, full_mbs = opts.mib / tcp_net, opts.mib / tcp_lo, opts.mib / tcp_full
    report.header("bhnet between two Linux partitions (2 CPUs each), next to loopback in one, "
                  "QEMU virtual time (-icount shift=0)")
    report.row(f"TCP, MiB/s ({opts.mib} MiB, tcpbench)", f"{net_mbs:.1f}", f"{lo_mbs:.1f}",
               f"{net_mbs / lo_mbs:.2f}x", "-", None)
    report.row("  the same, every checksum complete", f"{full_mbs:.1f}", f"{lo_mbs:.1f}",
               f"{full_mbs / lo_mbs:.2f}x", "-", None)
    report.row(f"ping round trip, us (median of {opts.pings})", f"{ping_net:.0f}",
               f"{ping_lo:.0f}", f"{ping_net / ping_lo:.2f}x", "-", None)
    print("  (reference: the same over lo inside the root. bhnet copies each frame into the "
          "ring and out again;\n  between two Linux partitions the checksums are left to the "
          "receiver, which trusts them, as lo does)")


if __name__ == "__main__":
    main()
