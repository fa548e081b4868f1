"""Partitions on QEMU virt: stage-2 isolation, guest PSCI, fault containment.

Each test boots Bulkhead with a system device tree (systems.py builds it, or
a shipped example from partitions/) and guest SDK programs from
tests/guests/ loaded with -device loader. "ticker" partitions print a
numbered line every 100 ms; a test that says the others keep running waits
for their counters to move on after the event.
"""

import os
import re

import pytest

import harness
from systems import Partition, build_system

GICS = pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])


def boot_system(qemu, tmp_path, partitions, gic=3, **kwargs):
    extra = build_system(tmp_path, partitions, gic=gic)
    return qemu.boot(gic=gic, smp=4, extra=extra, **kwargs)


def last_tick(vm, name):
    """The highest "ticker <name> N" count on the console so far (0 if none)."""
    counts = [int(m) for m in re.findall(rf"\[{name}\] ticker {name} (\d+)\n", vm.output)]
    return max(counts, default=0)


def expect_keeps_ticking(vm, name, ticks=3):
    """Waits until partition `name` has printed `ticks` more ticks than now."""
    target = last_tick(vm, name) + ticks
    vm.expect(f"[{name}] ticker {name} {target}\r")


def ticker_partitions():
    """root on CPU0 and rt1 on CPU2+CPU3, both tickers: the bystanders."""
    return (Partition("root", "ticker", [0], root=True),
            Partition("rt1", "ticker", [2, 3]))


@GICS
def test_hello_example(qemu, gic):
    """partitions/qemu-virt-hello(-gicv2).dts, as shipped: root on CPU0, rt0 on
    CPU1, rt1 on CPU2+3, each running hello, which prints its name, its CPUs
    and newlib output, then powers off its own partition only."""
    name = "qemu-virt-hello" + ("-gicv2" if gic == 2 else "")
    dtb = os.path.join(harness.BUILD, "host", "partitions", name + ".dtb")
    hello = os.path.join(harness.BUILD, "guests", "hello", "hello.bin")
    extra = []
    for addr in (0x4C000000, 0x4C100000, 0x4C200000):
        extra += ["-device", f"loader,file={hello},addr=0x{addr:x},force-raw=on"]
    vm = qemu.boot(gic=gic, dtb=dtb, extra=extra)
    vm.expect("[hv] 3 partition(s)")
    vm.expect_all([f"[hv] partition {part} stopped: PSCI SYSTEM_OFF from vCPU 0"
                   for part in ("root", "rt0", "rt1")])
    for part, pid, vcpus, cpus in (("root", 0, 1, "0"), ("rt0", 1, 1, "1"),
                                   ("rt1", 2, 2, "2,3")):
        assert f"[{part}] hello: done" in vm.lines()
        assert (f"[{part}] hello: hypercall ABI 1.1, partition id {pid}, {vcpus} vCPUs"
                in vm.lines())
        assert f"[{part}] hello from partition {part}, vCPU 0, CPUs {cpus}" in vm.lines()
        assert (f"[{part}] hello: newlib printf: pi is about 3.141593, 6.022e+23, 100%"
                in vm.lines())
        assert f"[{part}] hello: malloc(64 MiB) fails, as it should" in vm.lines()
    assert "[hv] error:" not in vm.output


@GICS
def test_smp_bringup(qemu, tmp_path, gic):
    """A child with three vCPUs (CPU1-3) starts its secondaries with PSCI
    CPU_ON; each reports its vCPU index (its MPIDR) and the boot vCPU sees all
    three online. CPU_ON of a vCPU that is already on is refused."""
    vm = boot_system(qemu, tmp_path, [Partition("root", "ticker", [0], root=True),
                                      Partition("smp", "smp_bringup", [1, 2, 3])], gic=gic)
    vm.expect("[smp] smp_bringup: all 3 vCPUs online")
    for i in range(3):
        assert f"[smp] smp_bringup: vCPU {i} online" in vm.lines()
    vm.expect("[hv] partition smp stopped: PSCI SYSTEM_OFF from vCPU 0")
    expect_keeps_ticking(vm, "root")


def test_psci_foreign_cpus_refused(qemu, tmp_path):
    """A one-vCPU child asks PSCI to start, and to report on, MPIDRs 1-7: the
    other partitions' CPUs and CPUs that do not exist. Every call is refused
    with INVALID_PARAMETERS, nothing starts, and the partitions that own
    those CPUs never notice."""
    root, rt1 = ticker_partitions()
    vm = boot_system(qemu, tmp_path, [root, Partition("rt0", "psci_foreign", [1]), rt1])
    vm.expect("[rt0] psci_foreign: 1 vCPU(s) of our own")
    vm.expect("[rt0] psci_foreign: done")
    for mpidr in range(1, 8):
        assert (f"[rt0] psci_foreign: CPU_ON mpidr=0x{mpidr:x} -> -2 (INVALID_PARAMETERS)"
                in vm.lines())
        assert (f"[rt0] psci_foreign: AFFINITY_INFO mpidr=0x{mpidr:x} -> -2 "
                "(INVALID_PARAMETERS)" in vm.lines())
    assert "it is not ours" not in vm.output
    expect_keeps_ticking(vm, "root")
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker root boot") == 1
    assert vm.count("ticker rt1 boot") == 1


FAULTS = [
    # bootargs, the report line, what it tells
    ("do=read addr=0x80000000",
     "stage-2 data abort: read of IPA 0x80000000, which is not mapped", "beyond RAM"),
    ("do=write addr=0x41000000",
     "stage-2 data abort: write to IPA 0x41000000, which is not mapped", "root's memory"),
    ("do=write addr=0x40200000",
     "stage-2 data abort: write to IPA 0x40200000, which is not mapped", "the hypervisor"),
    ("do=read addr=0x4c000000",
     "stage-2 data abort: read of IPA 0x4c000000, which is not mapped", "a pristine image"),
    ("do=exec addr=0x42000000",
     "stage-2 instruction abort: fetch from IPA 0x42000000, which is not mapped",
     "root's memory"),
    ("do=hvc", "unknown hypercall 0xc6000bad", "undefined hypercall"),
    ("do=impdef", "fatal exception: MSR/MRS/system instruction", "ACTLR_EL1 (TACR)"),
]


@pytest.mark.parametrize("bootargs,report,_what", FAULTS,
                         ids=[f[0].replace(" ", ",") for f in FAULTS])
def test_fault_stops_only_that_partition(qemu, tmp_path, bootargs, report, _what):
    """A child whose IPAs equal its PAs (0x47000000) reaches for what is not its
    own: an address past RAM, the root's memory, the hypervisor, an image's
    boot-loader copy, or makes an undefined hypercall or a trapped system
    register access. It is stopped with a report (partition, vCPU, ESR, FAR,
    PC); the root and the other child keep running."""
    root, rt1 = ticker_partitions()
    bad = Partition("bad", "misbehave-idmap", [1], pa=0x47000000, ipa=0x47000000,
                    bootargs=bootargs + " delay_ms=300")
    vm = boot_system(qemu, tmp_path, [root, bad, rt1])
    vm.expect(f"[hv] error: partition bad: vCPU 0 (CPU1): {report}")
    report_line = vm.expect_regex(
        r"\[hv\] error: partition bad:   PC 0x([0-9a-f]+)  ESR 0x[0-9a-f]+ \(EC 0x[0-9a-f]{2} "
        r"[^)]*\)  FAR 0x[0-9a-f]+")
    pc = int(report_line.group(1), 16)
    assert 0x47000000 <= pc < 0x48000000 or pc == int(bootargs.split("0x")[-1], 16)
    vm.expect("[hv] partition bad stopped: fault in vCPU 0; other partitions keep running")
    expect_keeps_ticking(vm, "root")
    expect_keeps_ticking(vm, "rt1")
    assert "misbehave: survived" not in vm.output
    assert "ticker root boot (fresh)" in vm.output and vm.count("ticker root boot") == 1


def test_fault_in_smp_partition_stops_all_its_vcpus(qemu, tmp_path):
    """A two-vCPU child (CPU1, CPU3) starts vCPU 1, which writes into the root's
    memory while vCPU 0 keeps printing. The fault on vCPU 1 stops the whole
    partition: vCPU 0 is pulled out of its loop too and prints no more, while
    the root and the child on CPU2 keep running."""
    bad = Partition("bad", "misbehave-idmap", [1, 3], pa=0x47000000, ipa=0x47000000,
                    bootargs="do=write addr=0x41000000 on_cpu=1 delay_ms=300")
    vm = boot_system(qemu, tmp_path, [Partition("root", "ticker", [0], root=True), bad,
                                      Partition("rt1", "ticker", [2])])
    vm.expect("[bad] misbehave: alive 2")
    vm.expect("[hv] error: partition bad: vCPU 1 (CPU3): stage-2 data abort: write to IPA "
              "0x41000000, which is not mapped for this partition")
    vm.expect("[hv] partition bad stopped: fault in vCPU 1; other partitions keep running")
    alive = vm.count("[bad] misbehave: alive")
    expect_keeps_ticking(vm, "root", ticks=5)
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("[bad] misbehave: alive") <= alive + 1  # one line may be in flight
    assert "misbehave: survived" not in vm.output


@GICS
def test_system_reset_restarts_one_child(qemu, tmp_path, gic):
    """A child calls PSCI SYSTEM_RESET after 3 ticks: Bulkhead reloads it from
    the pristine image copy ("fresh" .data again) and starts it over, again
    and again, while the root and the other child tick on undisturbed."""
    root, rt1 = ticker_partitions()
    rt0 = Partition("rt0", "ticker", [1], bootargs="reset_after=3")
    vm = boot_system(qemu, tmp_path, [root, rt0, rt1], gic=gic)
    for start in (2, 3):
        vm.expect("[rt0] ticker rt0 reset")
        vm.expect("[hv] partition rt0 restarting: PSCI SYSTEM_RESET from vCPU 0")
        vm.expect(f"[hv] partition rt0: starting vCPU 0 on CPU1 at IPA 0x40000000 "
                  f"(start #{start})")
        vm.expect("[rt0] ticker rt0 boot (fresh)")
    assert "stale" not in vm.output
    expect_keeps_ticking(vm, "root")
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker root boot") == 1
    assert vm.count("ticker rt1 boot") == 1


def test_system_off_stops_one_child(qemu, tmp_path):
    """PSCI SYSTEM_OFF from a child stops that child only; QEMU keeps running."""
    root, rt1 = ticker_partitions()
    rt0 = Partition("rt0", "ticker", [1], bootargs="off_after=2")
    vm = boot_system(qemu, tmp_path, [root, rt0, rt1])
    vm.expect("[rt0] ticker rt0 off")
    vm.expect("[hv] partition rt0 stopped: PSCI SYSTEM_OFF from vCPU 0")
    after = vm.count("[rt0] ticker rt0 ")
    expect_keeps_ticking(vm, "root")
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("[rt0] ticker rt0 ") == after


def test_partition_device_tree_in_x0(qemu, tmp_path):
    """A child given a device tree image (format "dtb") finds it in x0 at its
    load IPA, copied intact; the others, without one, get x0 = 0."""
    dts = tmp_path / "child.dts"
    dts.write_text('/dts-v1/;\n/ { model = "bulkhead test child"; #address-cells = <2>; '
                   '#size-cells = <2>; };\n')
    dtb = str(tmp_path / "child.dtb")
    harness.run([harness.find_tool("dtc"), "-q", "-I", "dts", "-O", "dtb", "-o", dtb, str(dts)])
    size = os.path.getsize(dtb)
    vm = boot_system(qemu, tmp_path, [Partition("root", "hello", [0], root=True),
                                      Partition("rt0", "hello", [1], dtb=dtb)])
    vm.expect_all([f"[rt0] hello: device tree at 0x40f00000: magic 0xd00dfeed, {size} bytes",
                   "[root] hello: done", "[rt0] hello: done"])
    assert "[root] hello: device tree" not in vm.output


def test_bad_device_tree_image_not_started(qemu, tmp_path):
    """A "dtb" image that is no device tree (checked once it is in memory)
    keeps that partition from starting, with the reason; the others run."""
    bogus = tmp_path / "bogus.dtb"
    bogus.write_bytes(b"not a device tree\n" * 4)
    vm = boot_system(qemu, tmp_path, [Partition("root", "ticker", [0], root=True),
                                      Partition("rt0", "ticker", [1], dtb=str(bogus))])
    vm.expect("[hv] error: partition rt0: image dtb is not a device tree that fits its 72 "
              "bytes (magic 0x6e6f7420, totalsize 1629512805)")
    vm.expect("[hv] error: partition rt0: not started: invalid input")
    expect_keeps_ticking(vm, "root")
    assert "ticker rt0" not in vm.output


def test_config_error_starts_no_partition(qemu, tmp_path):
    """A configuration only the running hypervisor can refuse (a partition's
    memory over the device tree QEMU placed at 0x48000000) is reported with
    the node and property, no partition starts, and the hypervisor stays up."""
    parts = [Partition("root", "ticker", [0], root=True),
             Partition("rt0", "ticker", [1], pa=0x48000000)]
    extra = build_system(tmp_path, parts, check=False)
    vm = qemu.boot(extra=extra)
    vm.expect("[hv] error: configuration: /bulkhead/rt0: memory[0] (PA 0x48000000+0x1000000) "
              "overlaps reserved memory (PA 0x48000000+")
    vm.expect("[hv] error: no partition started: fix the configuration (bhconfig check)")
    vm.expect("[hv] boot complete")
    assert "ticker" not in vm.output


def test_config_error_cpu_shared(qemu, tmp_path):
    """A tree that bhconfig would refuse, booted anyway (compiled with plain
    dtc): two partitions on CPU1. The hypervisor gives bhconfig's message."""
    parts = [Partition("root", "ticker", [0, 1], root=True),
             Partition("rt0", "ticker", [1])]
    extra = build_system(tmp_path, parts, check=False)
    vm = qemu.boot(extra=extra)
    vm.expect("[hv] error: configuration: /bulkhead/rt0: cpus[0]: /cpus/cpu@1 (MPIDR 0x1) "
              "is already in /bulkhead/root")
    vm.expect("[hv] boot complete")
    assert "ticker" not in vm.output
