"""Partitions on QEMU virt: stage-2 isolation, guest PSCI, fault containment.

Each test boots Bulkhead with a system device tree (systems.py builds it, or
a shipped example from partitions/) and guest SDK programs from
tests/guests/ loaded with -device loader. "ticker" partitions print a
numbered line every 100 ms; a test that says the others keep running waits
for their counters to move on after the event.
"""

import os
import re
import struct

import pytest

import harness
import systems
from systems import Channel, Partition, build_system

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
        assert (f"[{part}] hello: hypercall ABI 1.5, partition id {pid}, {vcpus} vCPUs"
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
                    bootargs="do=write addr=0x41000000 on_cpu=1 after_alive=2")
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


HOSTILE_TEXT = "?[31mred???? crash 0123456789abc"  # misbehave's 32 bytes, as printed


def test_crash_report_stops_only_the_caller(qemu, tmp_path):
    """vCPU 1 of a two-vCPU child reports its crash (BH_HVC_CRASH) with a text of 32
    bytes and no NUL (an escape sequence, DEL, UTF-8) while vCPU 0 keeps printing: the
    partition stops as crashed, the text shown printable, vCPU 0 pulled out too; the root
    and the other child keep running."""
    bad = Partition("bad", "misbehave", [1, 3], bootargs="do=crash on_cpu=1 after_alive=2")
    vm = boot_system(qemu, tmp_path, [Partition("root", "ticker", [0], root=True), bad,
                                      Partition("rt1", "ticker", [2])])
    vm.expect("[bad] misbehave: alive 2")
    vm.expect(f"[hv] error: partition bad: vCPU 1 (CPU3): guest crash report: {HOSTILE_TEXT} "
              "(code 0xdead0bad)")
    vm.expect_regex(r"\[hv\] error: partition bad:   PC 0x[0-9a-f]+  ESR 0x5a000000 "
                    r"\(EC 0x16 HVC\)")
    vm.expect("[hv] partition bad stopped: fault in vCPU 1; other partitions keep running")
    alive = vm.count("[bad] misbehave: alive")
    expect_keeps_ticking(vm, "root", ticks=5)
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("[bad] misbehave: alive") <= alive + 1  # one line may be in flight
    assert "crash report returned" not in vm.output and "\x1b" not in vm.output


def test_root_crash_report(qemu, tmp_path):
    """The root reports its own crash: it stops as crashed, as for a fault of its own, and
    the children, unmanaged now, keep running."""
    root = Partition("root", "misbehave", [0], root=True, bootargs="do=crash delay_ms=100")
    vm = boot_system(qemu, tmp_path, [root, Partition("rt0", "ticker", [1]),
                                      Partition("rt1", "ticker", [2, 3])])
    vm.expect(f"[hv] error: partition root: vCPU 0 (CPU0): guest crash report: {HOSTILE_TEXT} "
              "(code 0xdead0bad)")
    vm.expect("[hv] partition root stopped: fault in vCPU 0; other partitions keep running")
    expect_keeps_ticking(vm, "rt0")
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker rt0 boot") == 1 and vm.count("ticker rt1 boot") == 1
    assert "crash report returned" not in vm.output


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


def wrapped_property_dtb(tmp_path):
    """A real device tree whose first property's length is 0xfffffff4: libfdt
    1.6.1 adds it to an int, wraps back to the same tag and walks for ever."""
    dts = tmp_path / "wrapped.dts"
    dts.write_text('/dts-v1/;\n/ { model = "bulkhead test child"; };\n')
    dtb = tmp_path / "wrapped.dtb"
    harness.run([harness.find_tool("dtc"), "-q", "-I", "dts", "-O", "dtb", "-o", str(dtb),
                 str(dts)])
    blob = bytearray(dtb.read_bytes())
    off_struct = struct.unpack(">I", blob[8:12])[0]
    # The root node's FDT_BEGIN_NODE and its empty name, then the FDT_PROP.
    assert struct.unpack(">II", blob[off_struct:off_struct + 8]) == (1, 0)
    assert struct.unpack(">I", blob[off_struct + 8:off_struct + 12])[0] == 3
    blob[off_struct + 12:off_struct + 16] = struct.pack(">I", 0xfffffff4)
    dtb.write_bytes(blob)
    size_dt_struct = struct.unpack(">I", blob[36:40])[0]
    return dtb, len(blob), size_dt_struct


@pytest.mark.parametrize("kind", ["text", "wrapped-length"])
def test_bad_device_tree_image_not_started(qemu, tmp_path, kind):
    """A "dtb" image that is no device tree, or one whose structure would
    send libfdt round in a loop (checked once it is in memory), keeps that
    partition from starting, with the reason; the others run."""
    if kind == "text":
        bogus = tmp_path / "bogus.dtb"
        bogus.write_bytes(b"not a device tree\n" * 4)
        size = 72
        reason = "device tree header: FDT_ERR_BADMAGIC"
    else:
        bogus, size, block = wrapped_property_dtb(tmp_path)
        reason = ("device tree structure: the property at 0x8 has length 0xfffffff4, past "
                  f"the block's end ({block:#x})")
    vm = boot_system(qemu, tmp_path, [Partition("root", "ticker", [0], root=True),
                                      Partition("rt0", "ticker", [1], dtb=str(bogus))])
    vm.expect(f'[hv] error: partition rt0: image dtb (format "dtb", {size} bytes): {reason}')
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


def with_fault_inject(monkeypatch, *names):
    """Gives partitions `names` on-fault = "inject" (docs/binding.md) in the
    system tree systems.py writes."""
    plain = systems.system_dts

    def system_dts(partitions, *args, **kwargs):
        text = plain(partitions, *args, **kwargs)
        for name in names:
            node = f'\t\t{name} {{\n\t\t\tcompatible = "bulkhead,partition-v1";\n'
            assert node in text
            text = text.replace(node, node + '\t\t\ton-fault = "inject";\n')
        return text

    monkeypatch.setattr(systems, "system_dts", system_dts)


def boot_bad(qemu, tmp_path, bootargs, cpus=(1,)):
    """root and rt1 tick; "bad" (IPA = PA 0x47000000) runs misbehave with `bootargs`."""
    root, rt1 = ticker_partitions()
    bad = Partition("bad", "misbehave-idmap", cpus, pa=0x47000000, ipa=0x47000000,
                    bootargs=bootargs)
    return boot_system(qemu, tmp_path, [root, bad, rt1])


def expect_bad_survives(vm):
    vm.expect("[bad] misbehave: survived")
    expect_keeps_ticking(vm, "root")
    expect_keeps_ticking(vm, "rt1")
    assert "partition bad stopped: fault" not in vm.output
    assert "[hv] error:" not in vm.output


SURVIVABLE = [
    # bootargs, the hypervisor's line, what the guest sees
    ("do=impdef", r"\[hv\] warning: partition bad: vCPU 0 \(CPU1\): MSR/MRS/system instruction "
     r"at PC 0x470[0-9a-f]+ \(ESR 0x62[0-9a-f]+\): UNDEF injected",
     r"\[bad\] misbehave: caught 1: ESR 0x2000000 FAR 0x[0-9a-f]+ ELR 0x470[0-9a-f]+"),
    ("do=el0", r"\[hv\] warning: partition bad: vCPU 0 \(CPU1\): MSR/MRS/system instruction "
     r"at PC 0x470[0-9a-f]+ \(ESR 0x62[0-9a-f]+\): UNDEF injected",
     r"\[bad\] misbehave: caught 1: ESR 0x2000000 FAR 0x[0-9a-f]+ ELR 0x470[0-9a-f]+"),
    ("do=hvc", r"\[hv\] partition bad: vCPU 0 \(CPU1\): unknown hypercall 0xc6000bad: "
     r"NOT_SUPPORTED", r"\[bad\] misbehave: hvc 0xc6000bad -> -1"),
]


@pytest.mark.parametrize("bootargs,report,seen", SURVIVABLE, ids=[s[0] for s in SURVIVABLE])
def test_undefined_for_the_guest_is_survivable(qemu, tmp_path, bootargs, report, seen):
    """An implementation-defined register (ACTLR_EL1, trapped by HCR_EL2.TACR),
    or a trap from EL0 that only EL2's controls cause (MDCCSR_EL0 under
    MDCR_EL2.TDA), is UNDEFINED for the guest: it takes an Undefined
    Instruction exception (ESR_EL1.EC 0, IL) at the instruction, as on
    hardware, and handles it (Linux: SIGILL for the process). An
    unknown hypercall returns NOT_SUPPORTED (SMCCC). One report line each; the
    partition lives on."""
    vm = boot_bad(qemu, tmp_path, bootargs)
    vm.expect_regex(report)
    vm.expect_regex(seen)
    expect_bad_survives(vm)


def test_smccc_on_both_conduits(qemu, tmp_path):
    """PSCI and SMCCC answer the same over SMC and HVC: PSCI 1.1, SMCCC 1.1,
    ARCH_FEATURES about the Spectre workarounds as this CPU and firmware
    make them true (QEMU's Cortex-A72, whose PSCI has no SMCCC workarounds:
    not mitigated for v2, so WORKAROUND_1 and _3 are NOT_SUPPORTED; no SSB
    mitigation: WORKAROUND_2 NOT_SUPPORTED), and NOT_SUPPORTED for an unknown
    ID (the vendor hypervisor UID query Linux makes, a Bulkhead ID that does
    not exist) with a report instead of a stop."""
    vm = boot_bad(qemu, tmp_path, "do=smccc")
    for via in ("smc", "hvc"):
        vm.expect(f"[bad] misbehave: {via} PSCI_VERSION 0x10001 SMCCC_VERSION 0x10001")
        vm.expect(f"[bad] misbehave: {via} ARCH_FEATURES WA1 -1 WA2 -1 WA3 -1")
        vm.expect(f"[bad] misbehave: {via} unknown 0x8600ff01 -1, 0xc6000bad -1")
    expect_bad_survives(vm)
    # Over HVC, the vendor hypervisor service owner's IDs are Bulkhead's.
    assert vm.count("unknown PSCI/SMCCC call 0x8600ff01: NOT_SUPPORTED") == 1
    assert vm.count("unknown hypercall 0x8600ff01: NOT_SUPPORTED") == 1
    assert vm.count("unknown hypercall 0xc6000bad: NOT_SUPPORTED") == 1
    assert vm.count("unknown PSCI/SMCCC call 0xc6000bad: NOT_SUPPORTED") == 1


def test_pmu_and_debug_hidden(qemu, tmp_path):
    """The PMU and the debug registers trap (MDCR_EL2.TPM/TPMCR/TDA/TDOSA) and
    read as zero: a guest cannot enable a counter (nor count EL2 events) or
    keep a breakpoint, and its writes leave nothing behind."""
    vm = boot_bad(qemu, tmp_path, "do=pmu")
    vm.expect("[bad] misbehave: pmcr 0x0 dbgbcr0 0x0 mdscr 0x0")
    expect_bad_survives(vm)


def test_restart_resets_el1_state(qemu, tmp_path):
    """A partition that dirties its FP and EL1 registers (FPCR, q31, ELR, SPSR,
    ESR, FAR, PAR, AFSR0, the timers' compare values) and resets itself with
    PSCI SYSTEM_RESET finds them all zero again in its next life."""
    vm = boot_bad(qemu, tmp_path, "do=dirty")
    whole_state_line = r"\[bad\] misbehave: state [^\r\n]*\r*\n"  # not just its start
    for start in (1, 2):
        vm.expect_regex(whole_state_line)
        vm.expect("[bad] misbehave: dirtied, resetting")
        vm.expect("[hv] partition bad restarting: PSCI SYSTEM_RESET from vCPU 0")
    vm.expect_regex(whole_state_line)
    assert "stale" not in vm.output
    assert vm.count("[bad] misbehave: state fresh") == 3


@pytest.mark.parametrize("action,line", [
    ("impdef", "UNDEF injected"),
    ("cpu_on", "PSCI CPU_ON(MPIDR 0x7) refused"),
], ids=["undef", "cpu_on"])
def test_guest_triggered_lines_rate_limited(qemu, tmp_path, action, line):
    """A guest that makes 300 calls the hypervisor refuses, or takes 300 UNDEFs,
    gets at most 10 report lines per 5 s; the rest are counted and the count
    is printed ("N more line(s) suppressed") before the next line, here the
    fatal report of its final stage-2 abort, which is never suppressed."""
    vm = boot_bad(qemu, tmp_path, f"do={action} repeat=300 then=read")
    vm.expect("[hv] error: partition bad: vCPU 0 (CPU1): stage-2 data abort: read of IPA "
              "0x80000000")
    vm.expect("[hv] partition bad stopped: fault in vCPU 0")
    printed = vm.count(line)
    suppressed = sum(int(n) for n in re.findall(
        r"\[hv\] partition bad: (\d+) more line\(s\) suppressed \(rate limit\)", vm.output))
    assert printed + suppressed == 300
    assert 10 <= printed <= 50, printed
    expect_keeps_ticking(vm, "root")


@pytest.mark.parametrize("bootargs,ec,what", [
    ("do=read addr=0x80000000", "0x96000010", "read of IPA 0x80000000"),
    ("do=write addr=0x41000000", "0x96000050", "write to IPA 0x41000000"),
    ("do=exec addr=0x42000000", "0x86000010", "fetch from IPA 0x42000000"),
], ids=["read", "write", "exec"])
def test_on_fault_inject(qemu, tmp_path, monkeypatch, bootargs, ec, what):
    """With on-fault = "inject" a stage-2 abort is not the partition's end: the
    guest takes a synchronous external abort (EC 0x25/0x21 from EL1, DFSC 0x10,
    FAR = the address) and lives on; the hypervisor prints the one-line
    report."""
    with_fault_inject(monkeypatch, "bad")
    vm = boot_bad(qemu, tmp_path, bootargs)
    vm.expect(f"[hv] warning: partition bad: vCPU 0 (CPU1): stage-2 ")
    vm.expect(f"{what}, which is not mapped for this partition; external abort injected at PC")
    addr = bootargs.split("addr=")[1]
    vm.expect(f"[bad] misbehave: caught 1: ESR {ec} FAR {addr} ")
    expect_bad_survives(vm)


def test_on_fault_default_stop_in_smp(qemu, tmp_path, monkeypatch):
    """on-fault = "inject" on another partition changes nothing for this one:
    the default stays "stop"."""
    with_fault_inject(monkeypatch, "rt1")
    vm = boot_bad(qemu, tmp_path, "do=read")
    vm.expect("[hv] partition bad stopped: fault in vCPU 0; other partitions keep running")
    assert "misbehave: survived" not in vm.output


def test_linux_devmem_on_fault_inject(qemu, tmp_path, monkeypatch):
    """A child Linux with on-fault = "inject" reads a physical address outside
    its partition with busybox devmem: the external abort reaches the process
    as SIGBUS ("Bus error"), the kernel and the partition live on, the root
    keeps ticking."""
    from systems import LinuxPartition  # pylint: disable=import-outside-toplevel
    with_fault_inject(monkeypatch, "lx")
    extra = build_system(tmp_path, [Partition("root", "ticker", [0], root=True, pa=0x41000000),
                                    LinuxPartition("lx", [1], pa=0x60000000, mem=128 << 20)],
                         image_start=0x68000000)
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=180.0)
    vm.expect_regex(r"\[lx\] bulkhead-linux: partition lx ready")
    vm.send("\x1d1")
    vm.expect("[hv] console input goes to ")
    vm.send("devmem 0x7f000000; echo devmem status $?\r")
    vm.expect("[hv] warning: partition lx: vCPU 0 (CPU1): stage-2 data abort: read of IPA "
              "0x7f000000, which is not mapped for this partition; external abort injected")
    vm.expect("[lx] Bus error")
    vm.expect("[lx] devmem status 135")
    assert "partition lx stopped" not in vm.output
    expect_keeps_ticking(vm, "root")


@pytest.mark.parametrize("gic", [2, 3], ids=["gicv2", "gicv3"])
def test_config_error_past_the_gics_lines(qemu, tmp_path, gic):
    """A doorbell SPI past the interrupt lines the running GIC has (GICD_TYPER;
    bhconfig's default for the board would refuse it too) is refused at boot
    naming the node and property, not later as a bare interrupt number."""
    parts = [Partition("root", "ticker", [0], root=True), Partition("rt0", "ticker", [1])]
    extra = build_system(tmp_path, parts, gic=gic, check=False,
                         channels=[Channel("late", "root", "rt0", irq=400)])
    vm = qemu.boot(gic=gic, extra=extra)
    vm.expect_regex(r"\[hv\] error: configuration: /bulkhead/vmbus/late: provider-interrupt: "
                    r"SPI 400 does not exist \(the GIC has \d+ interrupt lines, SPIs 0-\d+\)")
    vm.expect("[hv] error: no partition started: fix the configuration (bhconfig check)")
    vm.expect("[hv] boot complete")
    assert "ticker" not in vm.output
