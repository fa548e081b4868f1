"""The root manages its children (docs/hypercalls.md, management calls).

A bare-metal root (tests/guests/manager) lists the system, stops, starts and
restarts a bare-metal child, loads a different program into it and starts
that, and reads the children's console history, while a third partition
keeps ticking; a fourth, a child running the same program, makes every
management call itself: each is DENIED, counted and reported, and changes
nothing. The root waits for its children by reading their console history,
the test for the root's lines: no step depends on the clock.
"""

import os

import systems
from systems import Partition, build_system
from test_partitions import expect_keeps_ticking

MiB = 1 << 20
UPDATE_IPA = systems.GUEST_IPA + 12 * MiB  # in the root's memory, above its program and heap use
SLOT = 256 * 1024  # rt0's image slot (`reg` size): the ticker, padded


class WithImages(Partition):
    """A partition whose images are given: (node name, host file, load IPA, format)."""

    def __init__(self, name, images, cpus, **kwargs):
        super().__init__(name, None, cpus, **kwargs)
        self._images = images

    def images(self):
        return self._images


def management_system(tmp_path):
    hello = systems.guest_bin("hello")
    ticker = tmp_path / "ticker-slot.bin"  # the slot the binding declares: 256 KiB
    data = open(systems.guest_bin("ticker"), "rb").read()
    assert len(data) < SLOT and os.path.getsize(hello) < SLOT
    ticker.write_bytes(data + bytes(SLOT - len(data)))
    root = WithImages("root", [("app", systems.guest_bin("manager"), systems.GUEST_IPA, "raw"),
                               ("update", hello, UPDATE_IPA, "raw")], [0], root=True,
                      bootargs=f"target=rt0 kid=kid update=0x{UPDATE_IPA:x} "
                               f"size={os.path.getsize(hello)} slot={SLOT}")
    rt0 = WithImages("rt0", [("app", str(ticker), systems.GUEST_IPA, "raw")], [1])
    return [root, rt0, Partition("rt1", "ticker", [2]),
            Partition("kid", "manager", [3], bootargs="child")], os.path.getsize(hello)


def test_root_manages_children(qemu, tmp_path):
    """The whole management plane from a bare-metal root, in order."""
    parts, hello_size = management_system(tmp_path)
    vm = qemu.boot(gic=3, smp=4, extra=build_system(tmp_path, parts))

    # A child's management calls: DENIED (-3), one report line each, nothing changes.
    for call in ("status", "stop reason", "start", "stop", "restart", "load", "console"):
        vm.expect(f"[kid] manager kid: {call} -> -3")
    vm.expect("[kid] manager kid: denied done")
    for fn in range(13, 20):
        assert (f"[hv] warning: partition kid: vCPU 0 (CPU3): management call 0xc60000{fn:02x}: "
                "DENIED (the root's only)") in vm.output

    # The list: the system as the tree declares it; the kid's calls counted, its crash explained.
    # (The root waits for the crash; the stop's last line and its echo of the kid race.)
    vm.expect_all(["[hv] partition kid stopped: fault in vCPU 0; other partitions keep running",
                   "[root] manager: kid said: manager kid: denied done"])
    for line in ("list 0 root running vcpus=1 cpus=0x1 mem=0x1000000 starts=1 denied=0",
                 "list 1 rt0 running vcpus=1 cpus=0x2 mem=0x1000000 starts=1 denied=0",
                 "list 2 rt1 running vcpus=1 cpus=0x4 mem=0x1000000 starts=1 denied=0",
                 "list 3 kid crashed vcpus=1 cpus=0x8 mem=0x1000000 starts=1 denied=7",
                 "list 3 stop reason: vCPU 0 (CPU3): stage-2 data abort: read of IPA "
                 "0x80000000, which is not mapped for this partition",
                 "list end: 4 partitions, then -2"):
        vm.expect(f"[root] manager: {line}\r")
    assert "manager kid: survived" not in vm.output

    # What must be refused is, with INVALID (-2).
    vm.expect("[root] manager: start root -> -2, stop root -> -2, restart root -> -2")
    vm.expect("[root] manager: start running rt0 -> -2, load running rt0 -> -2, "
              "status 99 -> -2")

    # Stop (forced), start, restart from the root's CPU.
    vm.expect("[hv] partition rt0 stopped: asked by the root (")
    stopped = vm.expect("[root] manager: stop rt0 again -> -2")
    assert "[root] manager: stop rt0 -> 0 (stopped)" in stopped
    assert "[rt0]" not in stopped  # nothing of it ran while stopped
    vm.expect("[hv] partition rt0: starting vCPU 0 on CPU1 at IPA 0x40000000 (start #2)")
    vm.expect("[root] manager: start rt0 -> 0")
    vm.expect("[root] manager: rt0 said: ticker rt0 boot (fresh)")
    vm.expect("[root] manager: restart rt0 -> 0")
    assert "[hv] partition rt0 restarting: asked by the root (" in vm.output
    assert "(start #3)" in vm.output
    vm.expect("[root] manager: rt0 said: ticker rt0 boot (fresh)")

    # A new program into the stopped child: what does not fit is refused, then it runs.
    vm.expect("[root] manager: stop rt0 -> 0")
    vm.expect("[root] manager: load over the slot -> -2, outside my memory -> -2, "
              "image 1 -> -2")
    vm.expect(f"[hv] partition rt0: image app replaced from the root ({hello_size} bytes first)")
    vm.expect("[root] manager: load rt0 -> 0")
    # A line is in the history before it is on the console: the root's echo may come first.
    vm.expect_all(["[root] manager: start rt0 -> 0",
                   "[rt0] hello from partition rt0, vCPU 0, CPUs 1",
                   "[root] manager: rt0 said: hello from partition rt0, vCPU 0, CPUs 1"])
    vm.expect("[root] manager: rt0 said: hello: done")
    vm.expect("[root] manager: list 1 rt0 stopped vcpus=1 cpus=0x2 mem=0x1000000 starts=4 "
              "denied=0")
    vm.expect("[root] manager: list 1 stop reason: PSCI SYSTEM_OFF from vCPU 0")
    vm.expect("[root] manager: list 2 rt1 running vcpus=1 cpus=0x4 mem=0x1000000 starts=1 "
              "denied=0")
    vm.expect("[root] manager: list 3 kid crashed vcpus=1 cpus=0x8 mem=0x1000000 starts=1 "
              "denied=7")
    vm.expect("[root] manager: done")

    # The bystander never noticed: one boot, still ticking after the root itself is gone.
    vm.expect("[hv] partition root stopped: PSCI SYSTEM_OFF from vCPU 0")
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker rt1 boot") == 1
    assert "stale" not in vm.output
    assert "[hv] error: partition rt0" not in vm.output
