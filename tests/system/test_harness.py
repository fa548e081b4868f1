"""Self-tests of the harness: the safety nets the other tests rely on.

These use harness.Qemu directly rather than the `qemu` fixture, because they
provoke exactly the failures the fixture turns into test failures.
"""

import os

import pytest

import harness


def start(request, append):
    """Boots Bulkhead (GICv3, 4 CPUs), logging to build/test-logs/<test>.log."""
    os.makedirs(harness.LOG_DIR, exist_ok=True)
    log = os.path.join(harness.LOG_DIR, request.node.name + ".log")
    open(log, "w", encoding="utf-8").close()
    args = harness.qemu_args(harness.machine(gic=3), kernel=harness.bulkhead_bin(),
                             append=append)
    return harness.Qemu(args, log, request.node.name), log


def test_unexpected_panic_fails_at_once(request):
    """A crash the test did not declare fails the waiting expect() as soon as
    "Unexpected exception" shows, instead of after the boot timeout, and the
    log gets the whole crash report."""
    vm, log = start(request, "bulkhead.crash=undef")
    try:
        with pytest.raises(pytest.fail.Exception, match="unexpected hypervisor crash"):
            vm.expect("[hv] boot complete")
        assert vm.unexpected_crash()
    finally:
        vm.close()
    assert not vm.child.isalive()
    with open(log, encoding="utf-8") as f:
        assert "system halted" in f.read()


def test_missing_marker_fails_after_timeout(request):
    """A marker that never comes fails the test when the wait times out (a hang
    cannot block the suite), and close() leaves no QEMU behind."""
    vm, _ = start(request, None)
    try:
        vm.expect("[hv] boot complete")
        with pytest.raises(pytest.fail.Exception, match="did not appear within"):
            vm.expect("this line is never printed", timeout=0.5)
        assert vm.child.isalive()
    finally:
        vm.close()
    assert not vm.child.isalive()
    assert not vm.unexpected_crash()
