"""The real boot chain: U-Boot as firmware boots Bulkhead from a disk.

Debian's u-boot-qemu runs as -bios at EL2 and uses the device tree QEMU
generates. The disk holds what a board's boot partition holds: bulkhead.bin
and a boot.scr. U-Boot's standard boot command (distro boot) scans the disks,
finds /boot.scr on the bootable partition and runs it, so nothing is typed on
the console - exactly how the Raspberry Pi 4 boots (docs/boot.md).
"""

import os

import pytest

import harness

BOOT_SCRIPT = [
    "echo bulkhead-test: boot.scr on ${devtype} ${devnum}:${distro_bootpart}",
    "setenv bootargs bulkhead.exit=poweroff",
    "load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} ${prefix}bulkhead.bin",
    "booti ${kernel_addr_r} - ${fdtcontroladdr}",
]


def test_uboot_boot_script(qemu, tmp_path):
    """U-Boot's distro boot finds boot.scr on a virtio disk, the script loads
    bulkhead.bin and starts it with booti and U-Boot's device tree: Bulkhead
    runs at EL2, brings up all 4 CPUs and powers the machine off."""
    if not os.path.isfile(harness.UBOOT_QEMU_ARM64):
        pytest.fail(f"{harness.UBOOT_QEMU_ARM64} missing (Debian package u-boot-qemu)")
    script = harness.make_uboot_script(str(tmp_path / "boot.scr"), BOOT_SCRIPT, str(tmp_path))
    disk = harness.make_fat_disk(str(tmp_path / "disk.img"),
                                 {"bulkhead.bin": harness.bulkhead_bin(), "boot.scr": script},
                                 str(tmp_path))

    vm = qemu.boot(kernel=None, bios=harness.UBOOT_QEMU_ARM64, extra=[
        "-drive", f"if=none,file={disk},format=raw,id=boot",
        "-device", "virtio-blk-device,drive=boot",
    ])
    vm.expect("U-Boot 20")
    vm.expect("Found U-Boot script /boot.scr")
    vm.expect("bulkhead-test: boot.scr on virtio 0:1")
    vm.expect("Starting kernel ...")
    vm.expect_regex(r"\[hv\] Bulkhead \S+ \(\S+\) for qemu-virt")
    vm.expect("[hv] board: linux,dummy-virt")
    vm.expect(" at EL2, ")
    vm.expect("[hv] PSCI: 1.1 via SMC")
    vm.expect("[hv] 4 of 4 CPUs online")
    vm.expect("[hv] bulkhead.exit=poweroff: powering off")
    assert vm.expect_exit() == 0
    assert "[hv] error:" not in vm.output
