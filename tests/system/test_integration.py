"""The integration channel, bare metal (docs/management.md).

A bare-metal root (tests/guests/integ_root) serves the provider's side of
include/bulkhead/integration.h for bare-metal children (tests/guests/
integ_child), whose side is the SDK's integration runtime: HELLO, WELCOME,
heartbeats on the physical timer next to the program's virtual timer, time
sync, SHUTDOWN answered by the program's handler or by the runtime itself,
a child that hangs with interrupts masked (its heartbeats stop) or faults,
malformed packets and a flood from the root. Every step waits for what a
partition prints; the root waits for packets, states and console history.
"""

import re

import pytest

import harness
from systems import Channel, Partition, build_system
from test_partitions import expect_keeps_ticking

RINGS = (0x2000, 0x2000)  # 8 KiB each: a 4 KiB header, 4 KiB of data
GICS = pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])


def integration_channels(root, children):
    """One integration channel from `root` to each child, doorbell SPIs 10, 11..."""
    return [Channel(f"integ-{name}", root, name, irq=10 + i, interface="integration",
                    rings=RINGS) for i, name in enumerate(children)]


def wait_line(vm, line):
    """Waits until `line` is a whole line of the console, anywhere in it: a wait
    for another partition's line may have read past it already."""
    while f"\n{line}\n" not in "\n" + vm.output:
        vm.expect_any(["\n"])


def wait_count(vm, text, n):
    """Waits until `text` has been printed `n` times."""
    while vm.count(text) < n:
        vm.expect_any(["\n"])


def root_line(vm, text):
    """Waits for the root's line `integ_root: text` (exact, whole line)."""
    wait_line(vm, f"[root] integ_root: {text}")


def console_match(vm, pattern):
    """Waits for a whole console line that matches `pattern` (anywhere, as wait_line)."""
    while True:
        m = re.search(f"^{pattern}\n", vm.output, re.MULTILINE)
        if m:
            return m
        vm.expect_any(["\n"])


@GICS
def test_integration_services(qemu, tmp_path, gic):
    """Heartbeat, time, both kinds of shutdown, a hung child, bad packets, a flood, a broken
    ring."""
    parts = [Partition("root", "integ_root", [0], root=True,
                       bootargs="period=50 hang=hang callback=kid default=plain"),
             Partition("kid", "integ_child", [1], bootargs="callback"),
             Partition("plain", "integ_child", [2]),
             Partition("hang", "integ_child", [3], bootargs="hang_after=3")]
    channels = integration_channels("root", ["kid", "plain", "hang"])
    vm = qemu.boot(gic=gic, smp=4, extra=build_system(tmp_path, parts, gic=gic,
                                                      channels=channels))
    version = harness.bulkhead_version()

    # Each child connects, says who it is, gets the time and heartbeats.
    for name in ("kid", "plain", "hang"):
        vm.expect_all([f"[{name}] integ_child {name}: boot (integration integ-{name})",
                       f"[root] integ_root: {name}: hello: version 1, kind 1, "
                       f"system 'Bulkhead SDK {version}'",
                       f"[{name}] bulkhead-sdk: integration: partition 0 welcomes this child "
                       f"on integ-{name} (session ",
                       f"[root] integ_root: {name}: hello, time and heartbeats"])
        m = console_match(vm, rf"\[{name}\] integ_child {name}: wall clock (\d+) s "
                              r"\(session 1\), time\(\) (\d+)")
        # The root's clock is 2023-11-14 22:13:20 UTC plus its uptime: seconds here.
        assert 1700000000 <= int(m.group(1)) < 1700000000 + 60
        assert int(m.group(1)) <= int(m.group(2)) <= int(m.group(1)) + 1  # newlib's too
        vm.expect_all([f"[{name}] bulkhead-sdk: integration: wall clock set: 1700000"])

    # A child hung with interrupts masked sends no more heartbeats; the root stops it.
    m = console_match(vm, r"\[hang\] integ_child hang: hanging after (\d+) heartbeats")
    hung_after = int(m.group(1))
    assert hung_after >= 3
    root_line(vm, f"hang: hung after heartbeat {hung_after}; 20 periods later: "
                  f"heartbeat {hung_after}, running")
    root_line(vm, "hang: stop -> 0")
    root_line(vm, "hang: stopped after 1 starts: asked by the root")

    # The program's shutdown handler refuses, then the runtime refuses an unknown action.
    root_line(vm, "kid: asking for a power-off (refuse this one), request 11")
    root_line(vm, "kid: shutdown 11 answered: status -1")
    root_line(vm, "kid: sent 8 malformed packets")
    root_line(vm, "kid: shutdown 12 answered: status -22")
    vm.expect_all([f"[kid] bulkhead-sdk: integration: ignored a packet {why}" for why in (
        "(type 2, 7 bytes): the wrong length for its type",
        "(type 2, 9 bytes): the wrong length for its type",
        "(type 99, 8 bytes): an unknown packet type",
        "(type 3, 16 bytes): a packet only a child sends",
        "(type 7, 16 bytes): a TIME that answers no request",
        "(type 4, 63 bytes): the wrong length for its type",
        "(type 2, 1000 bytes): larger than any packet of the protocol",
        "(type 2, 8 bytes): a WELCOME of another protocol version")] +
        ["[kid] bulkhead-sdk: integration: refused a SHUTDOWN with an unknown action"])

    # A flood: slowed down, counted, never printed line by line; heartbeats go on.
    root_line(vm, "kid: flooded it with 2000 packets")
    root_line(vm, "kid: heartbeats go on after the flood")
    vm.expect_all(["[kid] bulkhead-sdk: integration: the root sends faster than this child "
                   "takes; slowing it down",
                   "[kid] bulkhead-sdk: integration: partition 0 welcomes this child on integ-kid "
                   "(session 1): a heartbeat every 20 ms"])

    # A ring the root breaks: the child closes the channel and opens it again.
    root_line(vm, "kid: scribbled over its ring (signal: 0)")
    wait_line(vm, "[kid] bulkhead-sdk: integration: the ring broke (write or read index outside "
                  "the ring); closing the channel and opening it again")
    root_line(vm, "kid: back in a new session")

    # The handler accepts; the program reports and powers off.
    root_line(vm, "kid: asking for a power-off (test over), request 13")
    root_line(vm, "kid: shutdown 13 answered: status 0")
    m = console_match(vm, r"\[kid\] integ_child kid: shutdown 13 asked \(test over\): ticks (\d+), "
                      r"heartbeats (\d+), shutdowns 3, ignored 2008, throttled yes, sessions 2")
    assert int(m.group(1)) > 0 and int(m.group(2)) >= 5  # both timers ran
    root_line(vm, "kid: stopped after 1 starts: PSCI SYSTEM_OFF from vCPU 0")
    kid_lines = [line for line in vm.lines() if line.startswith("[kid] bulkhead-sdk:")]
    assert len(kid_lines) <= 2 * (10 + 60)  # per kind: a burst, then one a second at most

    # The runtime's own answer: power off at once; started again, a new session.
    vm.expect_all(["[root] integ_root: plain: shutdown 21 answered: status 0",
                   "[plain] bulkhead-sdk: integration: the root asks for a power-off "
                   "(maintenance): powering off"])
    root_line(vm, "plain: stopped after 1 starts: PSCI SYSTEM_OFF from vCPU 0")
    root_line(vm, "plain: start -> 0")
    root_line(vm, "plain: back in a new session, heartbeating")
    vm.expect_all(["[root] integ_root: plain: shutdown 22 answered: status 0",
                   "[plain] bulkhead-sdk: integration: the root asks for a reboot (update): "
                   "restarting"])
    root_line(vm, "plain: rebooted into a new session, heartbeating; running, 3 starts")
    root_line(vm, "done")
    # Three sessions (the program itself may not have printed before the root's next step).
    wait_count(vm, "[plain] bulkhead-sdk: integration: partition 0 welcomes this child on "
                   "integ-plain (session ", 3)

    out = vm.output
    assert not re.search(r"integ_root: \w+: heartbeat \d+ after \d+", out)  # none lost
    assert ": bad packet:" not in out and "closing and offering" not in out  # the root's
    assert "[hv] error" not in out


def test_crashed_child_reconnects(qemu, tmp_path):
    """GICv2: a child faults, the root starts it again, it reconnects and faults again; a
    child with the runtime turned off by a bootarg, another by its program, never connect and
    keep ticking."""
    parts = [Partition("root", "integ_root", [0], root=True,
                       bootargs="period=50 fault=faulty silent=off silent2=optout"),
             Partition("faulty", "integ_child", [1], bootargs="fault_after=2"),
             Partition("off", "integ_child", [2], bootargs="bulkhead.integration=off"),
             Partition("optout", "integ_child-optout", [3])]
    channels = integration_channels("root", ["faulty", "off", "optout"])
    vm = qemu.boot(gic=2, smp=4, extra=build_system(tmp_path, parts, gic=2, channels=channels))

    vm.expect("[faulty] integ_child faulty: faulting after 2 heartbeats")
    root_line(vm, "faulty: crashed after 1 starts: vCPU 0 (CPU1): stage-2 data abort: read of "
                  "IPA 0x80000000, which is not mapped for this partition")
    root_line(vm, "faulty: start -> 0")
    root_line(vm, "faulty: back in a new session")
    root_line(vm, "faulty: crashed after 2 starts: vCPU 0 (CPU1): stage-2 data abort: read of "
                  "IPA 0x80000000, which is not mapped for this partition")
    # The runtime turned off by a bootarg, and by the program: neither opens its side.
    root_line(vm, "off: runtime off: channel waiting, 0 sessions, 0 bad packets")
    root_line(vm, "optout: runtime off: channel waiting, 0 sessions, 0 bad packets")
    root_line(vm, "done")
    assert "[off] bulkhead-sdk" not in vm.output and "[optout] bulkhead-sdk" not in vm.output
    wait_count(vm, "[faulty] integ_child faulty: faulting after 2 heartbeats", 2)
    # The bystander never noticed: one boot, its virtual timer still ticking.
    vm.expect_all(["[optout] integ_child optout: tick 200, heartbeats 0"])
    assert vm.count("[optout] integ_child optout: boot (integration off)") == 1
    assert "[hv] error: partition root" not in vm.output


CRASHES = {
    "undef": ("[faulty] bulkhead-sdk:   ESR_EL1 0x0000000002000000: undefined instruction\n"
              "[faulty] bulkhead-sdk: stopping (crash report: undefined instruction)",
              "undefined instruction (code 0x2000000)"),
    "abort": ("[faulty] bulkhead-sdk: abort() (SIGABRT): crash report",
              "abort() (SIGABRT) (code 0x6)"),
}


@pytest.mark.parametrize("fault", list(CRASHES))
def test_sdk_crash_reported(qemu, tmp_path, fault):
    """A child takes an undefined instruction, or calls abort(): the SDK prints its report and
    tells the hypervisor (BH_HVC_CRASH), so the root sees it crashed, with the SDK's words as
    the stop reason, not powered off; started again, it reconnects and crashes the same way. A
    bystander keeps ticking."""
    parts = [Partition("root", "integ_root", [0], root=True, bootargs="period=50 fault=faulty"),
             Partition("faulty", "integ_child", [1], bootargs=f"fault_after=2 fault={fault}"),
             Partition("rt1", "ticker", [2])]
    channels = integration_channels("root", ["faulty"])
    vm = qemu.boot(gic=3, smp=4, extra=build_system(tmp_path, parts, channels=channels))

    said, what = CRASHES[fault]
    vm.expect("[faulty] integ_child faulty: faulting after 2 heartbeats")
    for line in said.split("\n"):
        vm.expect(line)
    vm.expect(f"[hv] error: partition faulty: vCPU 0 (CPU1): guest crash report: {what}")
    vm.expect("[hv] partition faulty stopped: fault in vCPU 0; other partitions keep running")
    reason = f"vCPU 0 (CPU1): guest crash report: {what}"
    root_line(vm, f"faulty: crashed after 1 starts: {reason}")
    root_line(vm, "faulty: start -> 0")
    root_line(vm, "faulty: back in a new session")
    root_line(vm, f"faulty: crashed after 2 starts: {reason}")
    root_line(vm, "done")
    assert "PSCI SYSTEM_OFF" not in vm.output
    # The bystander never noticed: one boot, still ticking.
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker rt1 boot") == 1
