"""Booting Bulkhead directly with QEMU's -kernel on the virt board.

QEMU loads bulkhead.bin as an arm64 Image at 0x40200000, puts its generated
device tree at 0x48000000 and enters CPU0 at EL2 (virtualization=on) with x0
pointing to the tree; the other CPUs wait for PSCI CPU_ON.
"""

import re

import pytest

import harness

GIC_LINES = {
    3: "[hv] GIC: v3 (arm,gic-v3) GICD 0x8000000 GICR 0x80a0000, 256 interrupt lines",
    2: "[hv] GIC: v2 (arm,cortex-a15-gic) GICD 0x8000000 GICC 0x8010000 GICH 0x8030000 "
       "GICV 0x8040000, 288 interrupt lines",
}


def banner_regex():
    """The first line Bulkhead prints: version, git revision, board."""
    return (r"\[hv\] Bulkhead " + re.escape(harness.bulkhead_version())
            + r" \([0-9A-Za-z.\-]+\) for qemu-virt\r")


def expect_banner(vm, smp, gic):
    """Waits for the boot banner Bulkhead prints on a `smp`-CPU virt board."""
    vm.expect_regex(banner_regex())
    vm.expect("[hv] board: linux,dummy-virt")
    vm.expect("[hv] CPU: Cortex-A72 r0p3 at EL2, 44-bit physical addresses, "
              "counter 62500000 Hz")
    mpidrs = " ".join(f"0x{i:x}" for i in range(smp))
    vm.expect(f"[hv] CPUs found: {smp} (MPIDR {mpidrs})")
    vm.expect("[hv] memory found: 1024 MiB in 1 range(s)")
    vm.expect("[hv]   RAM      0x0040000000-0x007fffffff (1024 MiB)")
    vm.expect_regex(r"\[hv\]   reserved 0x[0-9a-f]{10}-0x[0-9a-f]{10} \(this device tree\)")
    vm.expect_regex(r"\[hv\]   Bulkhead 0x0040200000-0x[0-9a-f]{10} \(\d+ KiB\)")
    vm.expect(GIC_LINES[gic])
    vm.expect("[hv] console: PL011 at 0x9000000")
    # Everything found is out before the one call that can hang without EL3 firmware.
    vm.expect("[hv] probing PSCI over SMC (TF-A bl31): if nothing follows, bl31 was not "
              "loaded (docs/boot.md)")
    vm.expect("[hv] PSCI: 1.1 via SMC")


def expect_all_cpus_online(vm, smp):
    """Waits for "N of N CPUs online" and checks each secondary CPU reported in."""
    vm.expect(f"[hv] {smp} of {smp} CPUs online")
    lines = vm.lines()
    for cpu in range(1, smp):
        assert f"[hv] CPU{cpu} online (MPIDR 0x{cpu:x})" in lines, f"no CPU{cpu} online line"
    assert f"[hv] CPU{smp} online (MPIDR 0x{smp:x})" not in lines


@pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])
def test_boot_four_cpus(qemu, gic):
    """A plain boot on 4 CPUs, GICv3 and GICv2: full banner, the right GIC
    line, CPU1..CPU3 brought up through PSCI, and "boot complete"."""
    vm = qemu.boot(gic=gic, smp=4)
    expect_banner(vm, smp=4, gic=gic)
    expect_all_cpus_online(vm, smp=4)
    vm.expect("[hv] boot complete")
    assert "[hv] error:" not in vm.output


@pytest.mark.parametrize("smp,gic", [(1, 3), (2, 2)], ids=["smp1-gicv3", "smp2-gicv2"])
def test_boot_fewer_cpus(qemu, smp, gic):
    """With -smp 1 and -smp 2 Bulkhead finds and starts exactly that many CPUs."""
    vm = qemu.boot(gic=gic, smp=smp)
    expect_banner(vm, smp=smp, gic=gic)
    expect_all_cpus_online(vm, smp=smp)
    vm.expect("[hv] boot complete")
    assert "[hv] error:" not in vm.output


def test_exit_poweroff(qemu):
    """bulkhead.exit=poweroff: PSCI SYSTEM_OFF ends QEMU by itself, with status 0."""
    vm = qemu.boot(append="bulkhead.exit=poweroff")
    vm.expect("[hv] 4 of 4 CPUs online")
    vm.expect("[hv] bulkhead.exit=poweroff: powering off")
    assert vm.expect_exit() == 0


def test_exit_reboot(qemu):
    """bulkhead.exit=reboot: PSCI SYSTEM_RESET restarts the machine, and the
    second boot is complete again (all 4 CPUs come back online)."""
    vm = qemu.boot(append="bulkhead.exit=reboot")
    for _ in range(2):
        vm.expect_regex(banner_regex())
        vm.expect("[hv] 4 of 4 CPUs online")
        vm.expect("[hv] bulkhead.exit=reboot: rebooting")
    banners = [line for line in vm.lines()
               if line.startswith("[hv] Bulkhead ") and line.endswith(" for qemu-virt")]
    assert len(banners) >= 2


def test_refuses_el1(qemu):
    """Entered at EL1 (QEMU without virtualization=on) Bulkhead says why it
    cannot run, leaves the device tree alone and halts; it never starts."""
    vm = qemu.boot(virtualization=False)
    vm.expect("[hv] error: Bulkhead must be started at EL2 (hypervisor mode), "
              "but it was started at EL1.")
    vm.expect("Halted.")
    assert "[hv] Bulkhead " not in vm.output
    assert "CPUs online" not in vm.output


REGISTERS = ["ESR_EL2", "FAR_EL2", "ELR_EL2", "SPSR_EL2", "SP"] + [f"x{i}" for i in range(31)]


@pytest.mark.parametrize("kind,esr_class,far", [
    ("data-abort", "EC 0x25", "FAR_EL2  0x0000fff000000000"),
    ("undef", "EC 0x00", None),
], ids=["data-abort", "undef"])
def test_crash_register_dump(qemu, kind, esr_class, far):
    """bulkhead.crash=<kind>: an EL2 exception on CPU0 is reported with its
    syndrome (data abort: EC 0x25 at the faulting address; undefined
    instruction: EC 0x00) and every register, then the panic stops the other
    3 CPUs and halts the system."""
    vm = qemu.boot(append=f"bulkhead.crash={kind}", expect_panic=True)
    vm.expect("[hv] 4 of 4 CPUs online")
    vm.expect("[hv] error: Unexpected exception on CPU0: synchronous (EL2)")
    esr = vm.expect_regex(r"\[hv\] error:   ESR_EL2  0x[0-9a-f]{16}  (EC 0x[0-9a-f]{2})")
    assert esr.group(1) == esr_class
    if far is not None:
        vm.expect(far)
    vm.expect("[hv] error: PANIC on CPU0: ")
    vm.expect("[hv] error: PANIC: 3 other CPU(s) stopped; system halted")

    dump = vm.output.split("Unexpected exception on CPU0")[1].split("PANIC on CPU0")[0]
    for reg in REGISTERS:
        assert re.search(rf"\b{reg} +0x[0-9a-f]{{16}}\b", dump), f"{reg} missing from the dump"
    assert vm.count("Unexpected exception") == 1
