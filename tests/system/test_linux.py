"""Debian's own arm64 kernel (unmodified) with the project's busybox
initramfs, in Bulkhead partitions. Linux talks to the virtual GIC, the
virtual timer, PSCI and its emulated PL011 console."""

import pytest

from systems import LinuxPartition, Partition, build_system

LINUX_TIMEOUT = 120.0
IMAGES = 0x68000000  # kernels and initramfs above the partitions' memory


def boot(qemu, tmp_path, partitions, gic=3):
    extra = build_system(tmp_path, partitions, gic=gic, image_start=IMAGES)
    return qemu.boot(gic=gic, smp=4, extra=extra, timeout=LINUX_TIMEOUT)


@pytest.mark.parametrize("gic", [3, 2], ids=["gicv3", "gicv2"])
def test_linux_root_two_vcpus(qemu, tmp_path, gic):
    """Linux as the root partition on CPU0+CPU1 with 256 MiB: it reaches its
    initramfs marker and sees exactly its own CPUs and memory."""
    vm = boot(qemu, tmp_path, [LinuxPartition("root", [0, 1], pa=0x50000000, root=True),
                               Partition("rt0", "ticker", [2], pa=0x41000000)], gic=gic)
    m = vm.expect_regex(r"\[root\] bulkhead-linux: partition root ready \((\d+) CPUs, (\d+) kB\)")
    assert int(m.group(1)) == 2
    assert 200 * 1024 < int(m.group(2)) <= 256 * 1024
    assert "ticker rt0 boot" in vm.output
