"""Partition consoles: tagged whole lines, input switching with Ctrl-],
the emulated PL011 (vuart) with its receive interrupt, flood control, pasted
input and input after the root stopped.
Guests: tests/guests/console (hypercall and PL011 builds) and ticker."""

import re

import pytest

from systems import Partition, build_system

ESCAPE = "\x1d"  # Ctrl-]


def boot_system(qemu, tmp_path, partitions, gic=3):
    return qemu.boot(gic=gic, smp=4, extra=build_system(tmp_path, partitions, gic=gic))


def type_line(vm, text):
    """Types text and Enter, a character at a time as a person would."""
    for ch in text + "\r":
        vm.send(ch)


def test_input_goes_to_one_partition(qemu, tmp_path):
    """Typed lines go to the partition with the focus (the root at first);
    Ctrl-] 1 moves it to rt0, and from then on only rt0 sees the input."""
    vm = boot_system(qemu, tmp_path, [Partition("root", "console", [0], root=True),
                                      Partition("rt0", "console", [1])])
    vm.expect_all(["[root] console root ready", "[rt0] console rt0 ready",
                   "[hv] console input goes to root (Ctrl-] then 0-1 switches, Ctrl-] ? lists)"])
    type_line(vm, "hello")
    vm.expect("[root] console root got 'hello'")
    vm.send(ESCAPE + "1")
    vm.expect("[hv] console input goes to rt0")
    type_line(vm, "world")
    vm.expect("[rt0] console rt0 got 'world'")
    vm.send(ESCAPE + "?")
    vm.expect("[hv]   Ctrl-] 1: rt0 (running), has the input")
    vm.send(ESCAPE + "0")
    vm.expect("[hv] console input goes to root")
    type_line(vm, "again")
    vm.expect("[root] console root got 'again'")
    assert "[root] console root got 'world'" not in vm.output
    assert "[rt0] console rt0 got 'hello'" not in vm.output
    assert "got 'again'" not in vm.output.split("[root] console root got 'again'")[0] \
        .split("[rt0] console rt0 got 'world'")[1]


@pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])
def test_vuart_pl011_with_receive_interrupt(qemu, tmp_path, gic):
    """A child with an emulated PL011 at 0x09000000 prints through it (tagged
    like any partition) and reads typed input through its receive
    interrupt, a virtual SPI."""
    vm = boot_system(qemu, tmp_path, [
        Partition("root", "ticker", [0], root=True),
        Partition("rt0", "console-pl011", [1], vuart=0x09000000, bootargs="rxirq")], gic=gic)
    vm.expect("[hv]   vuart (PL011) at IPA 0x9000000, interrupt 33")
    vm.expect("[rt0] console rt0 ready (receive interrupt)")
    vm.send(ESCAPE + "1")
    vm.expect("[hv] console input goes to rt0")
    type_line(vm, "abc")
    vm.expect("[rt0] console rt0 got 'abc' after an interrupt")
    assert "[hv] error:" not in vm.output


PASTE = "".join(chr(0x21 + (i * 7) % 94) for i in range(8192))


@pytest.mark.parametrize("size", [130, 4096])
def test_paste_in_one_write(qemu, tmp_path, size):
    """A line pasted in one write (130 bytes: every byte arrives; 4 KB: more
    than a partition buffers, the rest is dropped) does not wedge the
    console's input: the next line typed arrives whole, and Ctrl-] still
    switches the input to the other partition, which gets its line too."""
    vm = boot_system(qemu, tmp_path, [Partition("root", "console", [0], root=True),
                                      Partition("rt0", "console", [1])])
    vm.expect_all(["[root] console root ready", "[rt0] console rt0 ready",
                   "[hv] console input goes to root"])
    vm.send(ESCAPE + "1")
    vm.expect("[hv] console input goes to rt0")
    text = PASTE[:size]
    vm.send(text + "\r")
    if size <= 256:
        vm.expect(f"[rt0] console rt0 got {size} bytes, sum {sum(map(ord, text))}")
    else:
        vm.expect_regex(r"\[rt0\] console rt0 got \d+ bytes, sum \d+")
    type_line(vm, "after")
    vm.expect("[rt0] console rt0 got 'after'")
    vm.send(ESCAPE + "0")
    vm.expect("[hv] console input goes to root")
    type_line(vm, "root")
    vm.expect("[root] console root got 'root'")


@pytest.mark.parametrize("how", ["off", "fault"])
def test_input_survives_the_root_stopping(qemu, tmp_path, how):
    """A hostile root stops itself (SYSTEM_OFF, or a fault) while it has the
    input: Ctrl-] still switches the input to the child, which reads what is
    typed (the console's interrupt no longer depends on the root's vCPU)."""
    vm = boot_system(qemu, tmp_path, [Partition("root", "console", [0], root=True),
                                      Partition("rt0", "console", [1])])
    vm.expect_all(["[root] console root ready", "[rt0] console rt0 ready",
                   "[hv] console input goes to root"])
    type_line(vm, how)
    vm.expect("[hv] partition root stopped: ")
    vm.send(ESCAPE + "1")
    vm.expect("[hv] console input goes to rt0")
    type_line(vm, "hello")
    vm.expect("[rt0] console rt0 got 'hello'")


def test_flood_does_not_silence_others(qemu, tmp_path):
    """A partition printing as fast as it can is held to its share of the
    console: its excess lines are dropped and counted, the other partition's
    lines keep their pace, and every line on the console is whole."""
    vm = boot_system(qemu, tmp_path, [Partition("root", "ticker", [0], root=True),
                                      Partition("rt0", "console", [1], bootargs="flood")])
    vm.expect("[rt0] console rt0 flood 0: ")
    m = vm.expect_regex(r"\[hv\] warning: partition rt0: console flood: (\d+) bytes dropped")
    assert int(m.group(1)) > 0
    vm.expect("[root] ticker root 20\r")
    for line in vm.lines():
        if "flood" in line and "warning" not in line:
            assert re.fullmatch(r"\[rt0\] console rt0 flood \d+: the quick brown fox jumps "
                                r"over the lazy dog", line), line
        if "ticker" in line:
            assert re.fullmatch(r"\[root\] ticker root (boot \(fresh\)|\d+)", line), line
