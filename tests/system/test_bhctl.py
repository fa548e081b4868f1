"""The root's user space for managing its children (docs/management.md):
bhctl and bhmgrd in a Linux root, over bulkhead.ko's /dev/bulkhead.

Memory plan (QEMU -m 1G): the bare-metal children at 0x41000000 and
0x42000000, the device tree at 0x48000000, the integration channel's region
at 0x4b000000 (8 KiB rings), the root's Linux at 0x50000000 (256 MiB), the
Linux child's at 0x60000000 (128 MiB), the images from 0x68000000.

The Linux partitions boot `quiet` (test_linux_net.py says why). Every step
waits for what the step before it printed; the root's shell loops wait for
states (`until ...; do usleep ...; done`), never for a time.

bhctl load needs a program in the root's file system: the test gives the
root's initramfs an extra file (systems.LinuxPartition `files`: a small cpio
archive of it appended to a copy of build/linux/initramfs.cpio; Linux
unpacks both), so the build's initramfs stays as it is.
"""

import re

import systems
from systems import Channel, LinuxPartition, Partition, build_system
from test_linux_net import IMAGES, LINUX_TIMEOUT, OOPS
from test_partitions import expect_keeps_ticking

ESCAPE = "\x1d"  # Ctrl-]
RINGS = (0x2000, 0x2000)
ROOT_READY = "[root] bulkhead-linux: partition root ready"
LX_READY = "[lx] bulkhead-linux: partition lx ready"
HELLO = "/images/hello.bin"


def sh(vm, line):
    """Gives the console input to the root and types a command line."""
    vm.send(ESCAPE + "0")
    vm.expect("[hv] console input goes to root")
    vm.send(line + "\r")


def run(vm, line, tag):
    """Runs `line` in the root; returns its exit status (echoed as "tag rc=N
    end") and what it printed (no carriage returns)."""
    sh(vm, f"{line}; echo {tag}' 'rc=$?' 'end")
    out = vm.expect(f"[root] {tag} rc=")
    return int(vm.expect(" end")), out


def seen(vm, text, n=1):
    """Waits until `text` has appeared `n` times in all: a partition's line may
    come before the marker of the command that caused it."""
    while vm.count(text) < n:
        vm.expect(text)


def seen_regex(vm, pattern, n=1):
    """seen() for a regular expression."""
    while len(re.findall(pattern, vm.output)) < n:
        vm.expect_regex(pattern)


def until(vm, condition, word):
    """A shell loop in the root until `condition` holds; prints "`word` holds"."""
    sh(vm, f"until {condition}; do usleep 20000; done; echo {word}' 'holds")
    vm.expect(f"[root] {word} holds")


def beating(name):
    return f"bhctl status {name} | grep -q 'Heartbeat: ok'"


def listed(vm):
    """Runs bhctl list; returns {name: the row's words} and the summary."""
    sh(vm, "bhctl list; echo list' 'done")
    out = vm.expect("[root] list done")
    rows = {}
    summary = None
    for line in out.splitlines():
        m = re.match(r"\[root\] (\d+) +(\S+) +(.*?)\r*$", line)
        if m:
            rows[m.group(2)] = (m.group(1) + " " + m.group(3)).split()
        m = re.match(r"\[root\] (\d+ partitions listed: .*)\r*$", line)
        if m:
            summary = m.group(1)
    return rows, summary, out


def lifecycle_system(tmp_path):
    return build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True, bootargs="quiet",
                        files={HELLO: systems.guest_bin("hello")}),
         Partition("rt0", "ticker", [1], pa=0x41000000),
         Partition("rt1", "ticker", [2], pa=0x42000000),
         LinuxPartition("lx", [3], pa=0x60000000, mem=128 << 20, bootargs="quiet")],
        image_start=IMAGES,
        channels=[Channel("lx-integ", "root", "lx", irq=10, interface="integration",
                          rings=RINGS, pa=0x4B000000, provider_ipa=0x70000000,
                          consumer_ipa=0x70000000)])


def test_bhctl(qemu, tmp_path):
    """bhctl list shows the system as declared; a bare-metal and a Linux
    child are stopped, started and restarted while rt1 keeps ticking; bhctl
    load puts hello into the stopped rt0, whose banner then appears; console,
    watch, shutdown and the exit codes."""
    vm = qemu.boot(gic=3, smp=4, extra=lifecycle_system(tmp_path), timeout=LINUX_TIMEOUT)
    vm.expect_all([ROOT_READY, LX_READY, "[root] bhmgrd: managing 3 children"])
    until(vm, beating("lx"), "lx-beats")

    rows, summary, out = listed(vm)
    assert re.search(r"\[root\] ID +NAME +STATE +CPUS +MEMORY +STARTS +HEARTBEAT +NOTE", out)
    assert rows["root"] == ["0", "running", "0", "256M", "1", "-"], rows
    assert rows["rt0"] == ["1", "running", "1", "16M", "1", "none"], rows
    assert rows["rt1"] == ["2", "running", "2", "16M", "1", "none"], rows
    assert rows["lx"][:6] == ["3", "running", "3", "128M", "1", "ok"], rows
    assert summary == "4 partitions listed: 4 running.", summary

    # The usage and the codes: -h answers 0, an unknown partition 5 and names it.
    assert run(vm, "bhctl -h >/dev/null", "help")[0] == 0
    rc, out = run(vm, "bhctl stop rt0 nosuch", "unknown")
    assert rc == 5 and "[root] Failed to stop nosuch: partition nosuch not found.\n" in out, out
    assert run(vm, "bhctl frobnicate", "usage")[0] == 2
    assert "[hv] partition rt0 stopped" not in vm.output  # every name is checked first

    # A bare-metal child: stop (forced), start, restart; stop again does nothing.
    assert run(vm, "bhctl stop rt0", "stop-rt0")[0] == 0
    assert "[hv] partition rt0 stopped: asked by the root" in vm.output
    assert run(vm, "bhctl stop rt0", "stop-again")[0] == 0
    assert run(vm, "bhctl status rt0 >/dev/null", "status-stopped")[0] == 3
    rows, summary, out = listed(vm)
    assert rows["rt0"] == ["1", "stopped", "1", "16M", "1", "none"], rows
    assert re.search(r"\[root\] +last stop: asked by the root\n", out), out
    assert summary == "4 partitions listed: 3 running, 1 stopped.", summary
    assert run(vm, "bhctl start rt0", "start-rt0")[0] == 0
    seen(vm, "[rt0] ticker rt0 boot (fresh)", 2)
    assert run(vm, "bhctl status rt0 >/dev/null", "status-running")[0] == 0
    assert run(vm, "bhctl restart 1", "restart-rt0")[0] == 0  # by id
    seen(vm, "[rt0] ticker rt0 boot (fresh)", 3)
    assert vm.count("ticker rt0 boot") == 3

    # Its console history, then -f: a restart's banner comes as it is printed.
    sh(vm, "bhctl console rt0 | grep -c 'ticker rt0 boot'")
    assert int(vm.expect_regex(r"\[root\] (\d+)\r").group(1)) >= 1
    sh(vm, "bhctl console -f -n 1 rt0 >/tmp/follow & "
           "until [ -s /tmp/follow ]; do usleep 20000; done; bhctl restart rt0; "
           "until grep -q 'boot (fresh)' /tmp/follow; do usleep 20000; done; kill $!; "
           "echo follow' 'seen")
    vm.expect("[root] follow seen")
    seen(vm, "[rt0] ticker rt0 boot (fresh)", 4)

    # watch: one line per change, as it happens (each change waited for).
    sh(vm, "bhctl watch --count 2 >/tmp/watch & "
           "until grep -q watching /tmp/watch; do usleep 20000; done; bhctl stop rt0; "
           "until grep -q 'rt0: running -> stopped' /tmp/watch; do usleep 20000; done; "
           "bhctl start rt0; wait; cat /tmp/watch; echo watch' 'done")
    out = vm.expect("[root] watch done")
    assert "[root] watching 4 partitions: root running, rt0 running, rt1 running, " \
           "lx running\n" in out, out
    assert "[root] rt0: running -> stopped: asked by the root\n" in out, out
    assert "[root] rt0: stopped -> running (start #5)" in out, out

    # load: refused while it runs (1), an unknown image named (2), then hello's banner.
    rc, out = run(vm, f"bhctl load rt0 {HELLO}", "load-running")
    assert rc == 1 and "[root] Failed to load /images/hello.bin into rt0: it is running; " \
        "stop it first (bhctl stop rt0).\n" in out, out
    assert run(vm, "bhctl stop rt0", "stop-for-load")[0] == 0
    rc, out = run(vm, f"bhctl load rt0 {HELLO} nope", "load-nope")
    assert rc == 2 and "[root] bhctl: rt0 has no image nope; its images: 0 app\n" in out, out
    rc, out = run(vm, f"bhctl load rt0 {HELLO} app && bhctl start rt0", "load")
    assert rc == 0 and "[root] rt0: image 0 loaded from /images/hello.bin (" in out, out
    seen(vm, "[rt0] hello from partition rt0, vCPU 0, CPUs 1")
    seen(vm, "[hv] partition rt0 stopped: PSCI SYSTEM_OFF from vCPU 0")

    # A Linux child: stop, start, restart; its integration channel comes back each time.
    assert run(vm, "bhctl stop lx", "stop-lx")[0] == 0
    assert "[hv] partition lx stopped: asked by the root" in vm.output
    assert run(vm, "bhctl start lx", "start-lx")[0] == 0
    seen(vm, LX_READY, 2)
    until(vm, beating("lx"), "lx-back")
    assert run(vm, "bhctl restart lx", "restart-lx")[0] == 0
    seen(vm, LX_READY, 3)
    until(vm, beating("lx"), "lx-again")
    sh(vm, "bhctl status lx; echo status' 'done")
    out = vm.expect("[root] status done")
    assert "[root] lx (partition 3): running\n" in out, out
    assert re.search(r"Heartbeat: ok \d+\.\ds ago, asked every 1000 ms \(\d+ in this session, "
                     r"3 sessions\)", out), out
    assert "System: Linux: Linux 6.1" in out or "System: Linux: Linux " in out, out

    # shutdown: the Linux child powers off as asked; rt1 has no integration
    # channel: --no-force refuses (1) and leaves it running.
    assert run(vm, "bhctl shutdown --timeout 60000 lx", "shutdown-lx")[0] == 0
    assert "[hv] partition lx stopped: PSCI SYSTEM_OFF from vCPU 0" in vm.output
    rc, out = run(vm, "bhctl shutdown --no-force rt1", "shutdown-rt1")
    assert rc == 1 and "[root] Failed to shut down rt1: it has no integration connection" in out
    rows, summary, out = listed(vm)
    assert rows["lx"][:2] == ["3", "stopped"] and rows["rt1"][:2] == ["2", "running"], rows
    assert "last stop: PSCI SYSTEM_OFF from vCPU 0" in out

    # rt1 never noticed; nothing broke.
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker rt1 boot") == 1
    assert "stale" not in vm.output
    sh(vm, f"dmesg | grep -cE '{OOPS}'")
    vm.expect("[root] 0\r")


def test_bhmgrd_policy(qemu, tmp_path):
    """A child that faults at every start, with on-crash = "restart" and
    max-restarts = <2>, is restarted twice by bhmgrd (100 then 200 ms after
    its crashes), then left crashed, and bhctl list says why; a start by hand
    begins the count again. A child whose policy in the root's tree is out
    of range is named, not managed, and the rest go on. rt1 keeps ticking."""
    kid = Partition("kid", "misbehave", [1], pa=0x41000000,
                    on_crash="restart", max_restarts=2, restart_delay_ms=100)
    rt1 = Partition("rt1", "ticker", [2], pa=0x42000000)
    # Only in the root's tree: bhconfig checks the system's.
    rt1.root_policy = [("max-restarts", 5000)]
    extra = build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True, bootargs="quiet"), kid, rt1],
        image_start=IMAGES)
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    # bhmgrd shares the root's console with the shell: a line of its may
    # follow a prompt, so its lines are matched without the "[root] " tag.
    vm.expect_all([ROOT_READY,
                   "bhmgrd: /proc/device-tree/bulkhead-partitions/rt1: max-restarts = <5000>: "
                   "outside 0..1000; rt1 is not managed",
                   "bhmgrd: kid: on-crash restart, max-restarts 2, restart-delay-ms 100, "
                   "no watchdog"])
    crash = r"vCPU 0 \(CPU1\): stage-2 data abort: read of IPA 0x80000000, which is not"
    # The first crash comes before the root is ready: each line is looked for in all output.
    seen_regex(vm, rf"bhmgrd: kid crashed: restart 1 of 2 in 100 ms \({crash}")
    seen(vm, "bhmgrd: kid started: policy restart 1 of 2")
    seen_regex(vm, rf"bhmgrd: kid crashed: restart 2 of 2 in 200 ms \({crash}")
    seen(vm, "bhmgrd: kid started: policy restart 2 of 2")
    seen_regex(vm, rf"bhmgrd: kid crashed: 3 times, max-restarts 2: left stopped \({crash}")
    rows, summary, out = listed(vm)
    assert rows["kid"] == ["1", "crashed", "1", "16M", "3", "none", "stopped:", "crashed", "3",
                           "times,", "max-restarts", "2"], rows
    assert re.search(rf"\[root\] +last stop: {crash} mapped for this partition\n", out), out
    assert rows["rt1"][:7] == ["2", "running", "2", "16M", "1", "none", "not"], rows
    assert summary == "3 partitions listed: 2 running, 1 crashed.", summary
    assert vm.count("[hv] partition kid stopped: fault in vCPU 0") == 3

    # By hand: the count starts again.
    assert run(vm, "bhctl start kid", "start-kid")[0] == 0
    seen(vm, "bhmgrd: kid started by hand: policy restart count reset")
    seen_regex(vm, rf"bhmgrd: kid crashed: restart 1 of 2 in 100 ms \({crash}", 2)
    seen(vm, "bhmgrd: kid started: policy restart 1 of 2", 2)
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker rt1 boot") == 1


def watched_system(tmp_path, lx_bootargs, others=()):
    """A Linux root and a Linux child lx with on-crash restart and a 3 s watchdog."""
    return build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True, bootargs="quiet"),
         LinuxPartition("lx", [1], pa=0x60000000, mem=128 << 20, bootargs=lx_bootargs,
                        on_crash="restart", watchdog_ms=3000), *others],
        image_start=IMAGES,
        channels=[Channel("lx-integ", "root", "lx", irq=10, interface="integration",
                          rings=RINGS, pa=0x4B000000, provider_ipa=0x70000000,
                          consumer_ipa=0x70000000)])


def test_bhmgrd_watchdog(qemu, tmp_path):
    """A Linux child with watchdog-ms = <3000> is asked for a heartbeat every
    750 ms; when its kernel hangs (a panic its module does not report,
    bulkhead.crash_report=0: no more heartbeats, its channel still connected)
    bhmgrd stops it as a crash and restarts it by policy, and its integration
    channel comes back."""
    extra = watched_system(tmp_path, "quiet bulkhead.crash_report=0")
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all([ROOT_READY, LX_READY,
                   "bhmgrd: lx: on-crash restart, restart-delay-ms 100, watchdog-ms 3000 "
                   "(heartbeat 750 ms)", "bhmgrd: managing 1 children, polling every 100 ms"])
    until(vm, "bhctl status lx | grep -q 'Heartbeat: ok.*asked every 750 ms'", "lx-750")

    vm.send(ESCAPE + "1")
    vm.expect("[hv] console input goes to lx")
    vm.send("echo c >/proc/sysrq-trigger\r")
    seen_regex(vm, r"bhmgrd: lx crashed: restart 1 in 100 ms \(watchdog: no heartbeat for "
                   r"(\d+) ms\)")
    silent = int(re.findall(r"watchdog: no heartbeat for (\d+) ms", vm.output)[0])
    assert 3000 < silent < 3000 + 750 + 1000, silent  # within watchdog-ms + a period (+ a poll)
    seen(vm, "[hv] partition lx stopped: asked by the root")
    assert "guest crash report" not in vm.output and "reporting the panic" not in vm.output
    seen(vm, "bhmgrd: lx started: policy restart 1")
    seen(vm, LX_READY, 2)
    until(vm, "bhctl status lx | grep -q 'Heartbeat: ok.*2 sessions'", "lx-back")
    rows, _summary, _out = listed(vm)
    assert rows["lx"][:7] == ["1", "running", "1", "128M", "2", "ok", rows["lx"][6]], rows
    assert " ".join(rows["lx"][8:]) == "policy restarts: 1 (last: watchdog)", rows


def test_bhmgrd_panic_reported(qemu, tmp_path):
    """A Linux child's panic is reported at once by its module's panic notifier
    (BH_HVC_CRASH): the hypervisor stops it as crashed with the panic message
    in its stop reason, bhmgrd counts the crash and restarts it by policy
    without waiting for the watchdog, bhctl list shows the message in the
    note; a bare-metal child keeps ticking through it all."""
    extra = watched_system(tmp_path, "quiet", [Partition("rt0", "ticker", [2], pa=0x41000000)])
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all([ROOT_READY, LX_READY, "bhmgrd: managing 2 children"])
    until(vm, "bhctl status lx | grep -q 'Heartbeat: ok.*asked every 750 ms'", "lx-750")

    vm.send(ESCAPE + "1")
    vm.expect("[hv] console input goes to lx")
    vm.send("echo c >/proc/sysrq-trigger\r")
    reason = "vCPU 0 (CPU1): guest crash report: sysrq triggered crash (code 0x0)"
    vm.expect("] bulkhead: reporting the panic to the hypervisor")  # after printk's time
    vm.expect(f"[hv] error: partition lx: {reason}")
    seen(vm, "[hv] partition lx stopped: fault in vCPU 0; other partitions keep running")
    seen(vm, f"bhmgrd: lx crashed: restart 1 in 100 ms ({reason})")
    seen(vm, "bhmgrd: lx started: policy restart 1")
    seen(vm, LX_READY, 2)
    until(vm, "bhctl status lx | grep -q 'Heartbeat: ok.*2 sessions'", "lx-back")
    rows, _summary, _out = listed(vm)
    assert rows["lx"][:5] == ["1", "running", "1", "128M", "2"], rows
    assert " ".join(rows["lx"][8:]) == 'policy restarts: 1 (last: reported "sysrq triggered ' \
                                      'crash")', rows
    assert "watchdog:" not in vm.output  # the report came first
    expect_keeps_ticking(vm, "rt0")
    assert vm.count("ticker rt0 boot") == 1
