"""A broken or missing device tree gives a clear error and a halt, never a hang.

The trees are made at test time from the one QEMU generates for the same
machine (-M ...,dumpdtb=), then handed back to QEMU with -dtb. QEMU only
rewrites /chosen and /memory of a -dtb tree, so the damage reaches Bulkhead.
"""

import harness

MACHINE = harness.machine(gic=3)


def qemu_tree(tmp_path):
    """QEMU's own tree for MACHINE with 4 CPUs, compacted; returns its path."""
    return harness.dump_qemu_dtb(str(tmp_path / "qemu-virt.dtb"), MACHINE, smp=4)


def test_valid_dumped_tree_boots(qemu, tmp_path):
    """Control for the tests below: QEMU's tree passed back with -dtb boots
    normally, so their failures come from the damage alone."""
    vm = qemu.boot(dtb=qemu_tree(tmp_path), append="bulkhead.exit=poweroff")
    vm.expect("[hv] 4 of 4 CPUs online")
    assert vm.expect_exit() == 0


def test_corrupt_structure_block(qemu, tmp_path):
    """A property name offset pointing past the strings block, in a node
    Bulkhead does not use (the PL031 RTC): the whole-tree check rejects the
    tree before anything is read from it, names the problem and halts."""
    with open(qemu_tree(tmp_path), "rb") as f:
        blob = harness.corrupt_nameoff(f.read(), "/pl031@9010000")
    bad = tmp_path / "bad-nameoff.dtb"
    bad.write_bytes(blob)

    vm = qemu.boot(dtb=str(bad))
    vm.expect("[hv] error: device tree")
    before = vm.expect("Halted.")
    assert "device tree structure" in before
    assert "[hv] error: Bulkhead cannot continue with this device tree. Halted." in vm.lines()
    assert "[hv] board:" not in vm.output  # stopped before reading the board


def test_tree_without_cpus(qemu, tmp_path):
    """A well-formed tree without /cpus: the error names /cpus."""
    tree = qemu_tree(tmp_path)
    # dtc round trip: to source, drop the /cpus node, back to a blob.
    source = harness.run([harness.find_tool("dtc"), "-q", "-I", "dtb", "-O", "dts", tree])
    start = source.index("\n\tcpus {")
    end = source.index("\n\t};", start) + len("\n\t};")
    assert "\tcpus {" not in source[end:]
    src = tmp_path / "no-cpus.dts"
    src.write_text(source[:start] + source[end:])
    bad = str(tmp_path / "no-cpus.dtb")
    harness.run([harness.find_tool("dtc"), "-q", "-I", "dts", "-O", "dtb", "-o", bad, str(src)])

    vm = qemu.boot(dtb=bad)
    vm.expect("[hv] error: device tree: /cpus: missing node")
    vm.expect("[hv] error: Bulkhead cannot continue with this device tree. Halted.")
    assert "CPUs online" not in vm.output


def test_no_device_tree(qemu):
    """Started without a boot loader (QEMU's generic loader only sets the PC,
    so x0 = 0): Bulkhead reports that it got no device tree and halts."""
    image = harness.bulkhead_bin()
    loader = f"loader,file={image},addr={harness.KERNEL_LOAD_ADDR:#x},cpu-num=0"
    vm = qemu.boot(kernel=None, extra=["-device", loader])
    vm.expect("[hv] error: no device tree: the boot loader passed x0 = 0x0")
    vm.expect("Halted.")
    assert "[hv] Bulkhead " not in vm.output
