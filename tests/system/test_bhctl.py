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
    watch, the Linux child's reboot and power-off (both acknowledged) and the
    exit codes."""
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

    # An orderly reboot: acknowledged, and it comes back in a new session.
    rc, out = run(vm, "bhctl shutdown --reboot --timeout 60000 lx", "reboot-lx")
    assert rc == 0 and "[root] lx: rebooted (acknowledged)\n" in out, out
    assert "[hv] partition lx restarting: PSCI SYSTEM_RESET from vCPU 0" in vm.output
    seen(vm, LX_READY, 4)
    until(vm, "bhctl status lx | grep -q 'Heartbeat: ok.*4 sessions'", "lx-rebooted")

    # shutdown: the Linux child powers off as asked; rt1 has no integration
    # channel: --no-force refuses (1) and leaves it running.
    rc, out = run(vm, "bhctl shutdown --timeout 60000 lx", "shutdown-lx")
    assert rc == 0 and "[root] lx: shut down (acknowledged)\n" in out, out
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


def watched_system(tmp_path, lx_bootargs, others=(), channels=()):
    """A Linux root and a Linux child lx with on-crash restart, a 3 s watchdog and
    an integration channel; `others` and their `channels` besides."""
    return build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True, bootargs="quiet"),
         LinuxPartition("lx", [1], pa=0x60000000, mem=128 << 20, bootargs=lx_bootargs,
                        on_crash="restart", watchdog_ms=3000), *others],
        image_start=IMAGES,
        channels=[Channel("lx-integ", "root", "lx", irq=10, interface="integration",
                          rings=RINGS, pa=0x4B000000, provider_ipa=0x70000000,
                          consumer_ipa=0x70000000), *channels])


def test_bhmgrd_watchdog(qemu, tmp_path):
    """A Linux child with watchdog-ms = <3000> is asked for a heartbeat every
    750 ms; when its kernel hangs (a panic its module does not report,
    bulkhead.crash_report=0: no more heartbeats, its channel still connected)
    bhmgrd stops it as a crash and restarts it by policy, and its integration
    channel comes back. Then, in the same boot, bhctl restart --wait and
    start --wait: the time to a new HELLO from the Linux child and from a
    bare-metal one (integ_child, with its own integration channel), and the
    refusal for a child without one (rt1)."""
    extra = watched_system(
        tmp_path, "quiet bulkhead.crash_report=0",
        [Partition("rt0", "integ_child", [2], pa=0x41000000),
         Partition("rt1", "ticker", [3], pa=0x42000000)],
        [Channel("rt0-integ", "root", "rt0", irq=11, interface="integration", rings=RINGS,
                 pa=0x4B010000, provider_ipa=0x70010000)])
    vm = qemu.boot(gic=3, smp=4, extra=extra, timeout=LINUX_TIMEOUT)
    vm.expect_all([ROOT_READY, LX_READY,
                   "bhmgrd: lx: on-crash restart, restart-delay-ms 100, watchdog-ms 3000 "
                   "(heartbeat 750 ms)", "bhmgrd: managing 3 children, polling every 100 ms"])
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

    # --wait: from the call to the child's HELLO in a new session.
    rc, out = run(vm, "bhctl restart --wait lx", "wait-lx")
    assert rc == 0 and re.search(r"\[root\] lx: ready in \d+\.\d\d ms \(HELLO: Linux ", out), out
    seen(vm, LX_READY, 3)
    seen(vm, "[rt0] integ_child rt0: wall clock")  # its first session is over
    rc, out = run(vm, "bhctl restart --wait --timeout 10000 rt0", "wait-rt0")
    assert rc == 0 and re.search(r"\[root\] rt0: ready in \d+\.\d\d ms \(HELLO: Bulkhead SDK ",
                                 out), out
    assert vm.count("[rt0] integ_child rt0: boot") == 2
    rc, out = run(vm, "bhctl start --wait rt0", "wait-running")
    assert rc == 0 and "[root] rt0: ready (already running; HELLO: Bulkhead SDK " in out, out
    # Too short a bound: status 1, and the restart stands.
    rc, out = run(vm, "bhctl restart --wait --timeout 1 lx", "wait-short")
    assert rc == 1 and "[root] Failed to restart lx: not ready within 1 ms (it is " in out, out
    seen(vm, LX_READY, 4)
    # No integration channel, no ready marker: refused before anything is done.
    rc, out = run(vm, "bhctl restart --wait rt1", "wait-rt1")
    assert rc == 1 and "[root] Failed to restart rt1 --wait: it has no integration channel, " \
        "so it never says it is ready (restart it without --wait).\n" in out, out
    assert run(vm, "bhctl restart --timeout 5 rt0", "timeout-alone")[0] == 2
    expect_keeps_ticking(vm, "rt1")
    assert vm.count("ticker rt1 boot") == 1
    assert vm.count("[rt0] integ_child rt0: boot") == 2


def managed_system(tmp_path):
    """A Linux root with three bare-metal integ_child children, each with an
    integration channel: c0 handles SHUTDOWN itself (and powers off or
    reboots at once after its answer), wd stops its heartbeats after 3 in
    each session (watchdog-ms 1000, one policy restart), off runs with the
    SDK's runtime turned off (its channel never connects)."""
    children = [Partition("c0", "integ_child", [1], pa=0x41000000, bootargs="callback"),
                Partition("wd", "integ_child", [2], pa=0x42000000, bootargs="hang_after=3",
                          on_crash="restart", max_restarts=1, watchdog_ms=1000),
                Partition("off", "integ_child", [3], pa=0x43000000,
                          bootargs="bulkhead.integration=off")]
    return build_system(
        tmp_path,
        [LinuxPartition("root", [0], pa=0x50000000, root=True, bootargs="quiet")] + children,
        image_start=IMAGES,
        channels=[Channel(f"integ-{p.name}", "root", p.name, irq=10 + i, consumer_irq=10,
                          interface="integration", rings=RINGS, pa=0x4B000000 + i * 0x10000,
                          provider_ipa=0x70000000 + i * 0x10000)
                  for i, p in enumerate(children)])


def test_bhctl_shutdown_paths(qemu, tmp_path):
    """bhctl shutdown of bare-metal children in every way it can end: a
    reboot that comes back in a new session, a refusal stopped by force after
    the caller's timeout, power-offs acknowledged by a child that stops at
    once after its answer (the module reads it from the ring the child left),
    and a child whose channel never connected, stopped by force at once. And
    bhmgrd's watchdog on a bare-metal child: stopped as a crash within
    watchdog-ms and a period, restarted by policy, then left stopped, and
    bhctl list says why."""
    vm = qemu.boot(gic=3, smp=4, extra=managed_system(tmp_path), timeout=LINUX_TIMEOUT)
    vm.expect_all([ROOT_READY, "[off] integ_child off: boot (integration off)",
                   "bhmgrd: wd: on-crash restart, max-restarts 1, restart-delay-ms 100, "
                   "watchdog-ms 1000 (heartbeat 250 ms)",
                   "bhmgrd: managing 3 children, polling every 100 ms"])
    until(vm, beating("c0"), "c0-beats")

    # A reboot: acknowledged, and the child comes back in a new session.
    rc, out = run(vm, "bhctl shutdown --reboot c0", "reboot-c0")
    assert rc == 0 and "[root] c0: rebooted (acknowledged)\n" in out, out
    seen(vm, "[hv] partition c0 restarting: PSCI SYSTEM_RESET from vCPU 0")
    seen(vm, "[c0] integ_child c0: boot (integration integ-c0)", 2)
    until(vm, "bhctl status c0 | grep -q 'Heartbeat: ok.*2 sessions'", "c0-back")

    # A refusal: bhctl says so, waits for the timeout it was given, then
    # stops the child by force; still status 0 (it is stopped, as asked).
    rc, out = run(vm, "bhctl shutdown --timeout 1000 --reason refuse-now c0", "refused")
    assert rc == 0, out
    assert "[root] c0 refused the shutdown (status -1); waiting up to 1000 ms.\n" in out, out
    assert "[root] c0 did not stop within 1000 ms: stopping it by force.\n" in out, out
    seen(vm, "[hv] partition c0 stopped: asked by the root")

    # Power-offs: the child answers and makes the SYSTEM_OFF call at once,
    # without waiting for the root to read its answer; bhctl reports it
    # every time.
    for i in range(3):
        assert run(vm, "bhctl start c0", f"start-c0-{i}")[0] == 0
        until(vm, beating("c0"), f"c0-up-{i}")
        rc, out = run(vm, "bhctl shutdown c0", f"off-c0-{i}")
        assert rc == 0 and "[root] c0: shut down (acknowledged)\n" in out, out
        seen(vm, "[hv] partition c0 stopped: PSCI SYSTEM_OFF from vCPU 0", i + 1)
    assert vm.count("[c0] integ_child c0: shutdown") == 4, vm.output  # not the refused one

    # Two callers in turn: the first is refused and waits; the second is
    # acknowledged and c0 powers off. That answer answers the first call too.
    assert run(vm, "bhctl start c0", "start-c0-overlap")[0] == 0
    until(vm, beating("c0"), "c0-up-overlap")
    rc, out = run(vm, "bhctl shutdown --timeout 30000 --reason refuse-first c0 >/tmp/first 2>&1 "
                  "& until grep -qs refused /tmp/first; do usleep 20000; done; "
                  "bhctl shutdown c0; wait $!; echo first rc=$?; cat /tmp/first", "overlap")
    assert "[root] first rc=0\n" in out, out
    assert out.count("[root] c0: shut down (acknowledged)\n") == 2, out
    assert "[root] c0 refused the shutdown (status -1); waiting up to 30000 ms.\n" in out, out
    seen(vm, "[hv] partition c0 stopped: PSCI SYSTEM_OFF from vCPU 0", 4)
    assert vm.count("[c0] integ_child c0: shutdown") == 5, vm.output

    # No integration connection (its runtime is off): stopped by force at once.
    rows, _summary, _out = listed(vm)
    assert rows["off"][:6] == ["3", "running", "3", "16M", "1", "waiting"], rows
    rc, out = run(vm, "bhctl shutdown off", "off-enotconn")
    assert rc == 0 and "[root] off has no integration connection: stopping it by force.\n" \
        in out, out
    seen(vm, "[hv] partition off stopped: asked by the root")

    # The watchdog: wd hangs after 3 heartbeats in each session.
    watchdog = r"watchdog: no heartbeat for (\d+) ms"
    seen_regex(vm, rf"bhmgrd: wd crashed: restart 1 of 1 in 100 ms \({watchdog}\)")
    seen(vm, "bhmgrd: wd started: policy restart 1 of 1")
    seen_regex(vm, rf"bhmgrd: wd crashed: 2 times, max-restarts 1: left stopped \({watchdog}\)")
    for silent in map(int, re.findall(watchdog, vm.output)):
        # Within watchdog-ms and a period (250 ms), and a poll and a busy machine's delay.
        assert 1000 < silent < 1000 + 250 + 1000, silent
    assert vm.count("[hv] partition wd stopped: asked by the root") == 2
    assert vm.count("[wd] integ_child wd: hanging after") == 2
    rows, summary, out = listed(vm)
    assert rows["wd"][:6] == ["2", "stopped", "2", "16M", "2", "waiting"], rows
    assert " ".join(rows["wd"][6:]) == \
        "stopped: crashed 2 times, max-restarts 1 (last: watchdog)", rows
    assert summary == "4 partitions listed: 1 running, 3 stopped.", summary

    # A child that stops reading its ring while the root keeps asking. With
    # bhmgrd gone, wd hangs in its new session and stays up; each shutdown
    # with --no-force leaves its request in wd's ring, until the ring is full.
    # Then bhctl retries until its timeout, says the ring stayed full, and
    # stops wd by force; the next start gets fresh rings.
    assert run(vm, "killall bhmgrd; while pidof bhmgrd >/dev/null; do usleep 20000; done",
               "bhmgrd-gone")[0] == 0
    assert run(vm, "bhctl start wd", "start-wd")[0] == 0
    seen(vm, "[wd] integ_child wd: hanging after", 3)
    sh(vm, "i=0; while [ $i -lt 500 ]; do i=$((i+1)); "
           "bhctl shutdown --no-force --timeout 1 --reason fill wd 2>/tmp/e; "
           "grep -q 'ring stayed full' /tmp/e && break; done; echo filled after $i")
    filled = int(vm.expect_regex(r"\[root\] filled after (\d+)").group(1))
    # A request takes 88 bytes (16 of descriptor, 64 of request, 8 of
    # trailer) of the ring's 4,096 data bytes: 46 fit, the 47th finds it full.
    assert filled == 4096 // 88 + 1, filled
    rc, out = run(vm, "cat /tmp/e", "full-e")
    assert "[root] wd did not take the request within 1 ms (its ring stayed full).\n" in out
    assert "[root] Failed to shut down wd: it did not stop within 1 ms; not forced " \
        "(--no-force).\n" in out, out
    rc, out = run(vm, "bhctl shutdown --timeout 300 --reason fill wd", "full-forced")
    assert rc == 0, out
    assert "[root] wd did not take the request within 300 ms (its ring stayed full).\n" in out
    assert "[root] wd did not stop within 300 ms: stopping it by force.\n" in out, out
    seen(vm, "[hv] partition wd stopped: asked by the root", 3)
    assert run(vm, "bhctl start wd", "restart-wd")[0] == 0
    seen(vm, "[wd] integ_child wd: hanging after", 4)  # 3 heartbeats through fresh rings
    sh(vm, f"dmesg | grep -cE '{OOPS}'")
    vm.expect("[root] 0\r")


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
