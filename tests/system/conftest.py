"""pytest fixtures for the QEMU system tests (see harness.py).

Run with `make system-tests`, which builds the hypervisor first and sets
BH_BUILD to the build folder. Each test's console goes to
build/test-logs/<test name>.log.
"""

import os
import re

import pytest

import harness


class QemuLauncher:
    """Starts QEMU runs for one test and stops them all when the test ends."""

    def __init__(self, test_name):
        self.test_name = test_name
        safe = re.sub(r"[^A-Za-z0-9_.\-\[\]=,]", "_", test_name)
        os.makedirs(harness.LOG_DIR, exist_ok=True)
        self.log_path = os.path.join(harness.LOG_DIR, safe + ".log")
        open(self.log_path, "w", encoding="utf-8").close()
        self.runs = []

    def start(self, args, expect_panic=False, timeout=harness.BOOT_TIMEOUT):
        """Starts qemu-system-aarch64 with `args`; returns a harness.Qemu."""
        title = f"{self.test_name}, run {len(self.runs) + 1}"
        run = harness.Qemu(args, self.log_path, title, timeout=timeout,
                           expect_panic=expect_panic)
        self.runs.append(run)
        return run

    def boot(self, gic=3, smp=4, append=None, virtualization=True, kernel="default",
             bios=None, dtb=None, extra=(), expect_panic=False, timeout=harness.BOOT_TIMEOUT,
             machine_extra=""):
        """Boots Bulkhead on QEMU's virt board (-kernel bulkhead.bin by default).

        kernel=None leaves -kernel out (firmware or -device loader tests).
        """
        if kernel == "default":
            kernel = harness.bulkhead_bin()
        args = harness.qemu_args(harness.machine(gic, virtualization, machine_extra), smp=smp,
                                 kernel=kernel,
                                 bios=bios, dtb=dtb, append=append, extra=extra)
        return self.start(args, expect_panic=expect_panic, timeout=timeout)

    def close_all(self):
        """Stops every run; returns the runs that showed an unexpected crash."""
        crashed = []
        for run in self.runs:
            run.close()
            if run.unexpected_crash():
                crashed.append(run)
        return crashed


@pytest.fixture
def qemu(request):
    """Launcher for QEMU runs; every run is killed when the test ends.

    A run that printed "PANIC" or "Unexpected exception" without asking for it
    (expect_panic=True) fails the test, even if that came after its last
    expect().
    """
    launcher = QemuLauncher(request.node.name)
    request.node.bh_log_path = launcher.log_path
    yield launcher
    crashed = launcher.close_all()
    if crashed:
        pytest.fail(f"unexpected hypervisor crash on the console; see {launcher.log_path}",
                    pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Names the console log in the report of a failed test."""
    outcome = yield
    report = outcome.get_result()
    log_path = getattr(item, "bh_log_path", None)
    if report.failed and log_path:
        report.sections.append(("QEMU console", f"full console log: {log_path}"))
