"""QEMU system-test harness for Bulkhead.

`Qemu` starts qemu-system-aarch64 under pexpect, logs the whole console to a
file, and lets a test wait for exact strings on the console. It fails the test
as soon as an unexpected "PANIC" or "Unexpected exception" appears, and it
always stops QEMU again (`close()`, called by the `qemu` fixture).

The other helpers build what some tests boot: QEMU's own device tree (compact,
optionally corrupted) and a FAT disk image with an MBR partition table.
Everything generated lives in the test's tmp_path; nothing is committed.
"""

import atexit
import os
import re
import shutil
import signal
import struct
import subprocess
import time

import pexpect
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("BH_BUILD") or os.path.join(REPO, "build"))
LOG_DIR = os.path.join(BUILD, "test-logs")

QEMU = "qemu-system-aarch64"
UBOOT_QEMU_ARM64 = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"

# Generous: CI has 2 cores and runs other jobs next to the tests. A boot that
# works takes well under a second, so this only bounds how long a hang lasts.
BOOT_TIMEOUT = 60.0

# Console text that means the hypervisor crashed; a test that wants a crash
# says so with expect_panic=True.
CRASH_MARKERS = ("PANIC", "Unexpected exception")

# Where QEMU's -kernel puts an Image (RAM base + 2 MiB), see docs/boot.md.
KERNEL_LOAD_ADDR = 0x40200000

_live = set()


def bulkhead_version():
    """BULKHEAD_VERSION from the top-level Makefile (the banner prints it)."""
    with open(os.path.join(REPO, "Makefile"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"BULKHEAD_VERSION\s*:?=\s*(\S+)", line)
            if m:
                return m.group(1)
    raise RuntimeError("BULKHEAD_VERSION not found in Makefile")


def bulkhead_bin(board="qemu-virt"):
    """Path of the built hypervisor image; fails the test if it is missing."""
    path = os.path.join(BUILD, board, "bulkhead.bin")
    if not os.path.isfile(path):
        pytest.fail(f"{path} does not exist: run the tests with `make system-tests`")
    return path


def find_tool(name):
    """A host tool from PATH or the sbin folders (mkfs.vfat lives in /usr/sbin)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"host tool {name} not found (scripts/deps.sh installs it)")
    return path


def machine(gic=3, virtualization=True, extra=""):
    """The -M value of QEMU's virt board as Bulkhead expects it."""
    opts = ["virt"]
    if virtualization:
        opts.append("virtualization=on")
    opts.append(f"gic-version={gic}")
    if extra:
        opts.append(extra)
    return ",".join(opts)


def qemu_args(machine_opts, smp=4, mem="1G", kernel=None, bios=None, dtb=None, append=None,
              extra=()):
    """The qemu-system-aarch64 argument list the tests use."""
    args = ["-M", machine_opts, "-cpu", "cortex-a72", "-smp", str(smp), "-m", mem,
            "-nographic", "-nic", "none", "-no-user-config"]
    if bios is not None:
        args += ["-bios", bios]
    if kernel is not None:
        args += ["-kernel", kernel]
    if dtb is not None:
        args += ["-dtb", dtb]
    if append is not None:
        args += ["-append", append]
    return args + list(extra)


class _Tee:
    """pexpect logfile_read target: console text goes to the log and to memory."""

    def __init__(self, log):
        self.log = log
        self.chunks = []

    def write(self, text):
        self.chunks.append(text)
        self.log.write(text)

    def flush(self):
        self.log.flush()


class Qemu:
    """One QEMU run, its console and its log.

    expect() matches exact strings (expect_regex() is there for the few
    places that need a pattern). Every wait is bounded by the boot deadline
    (`timeout` seconds from the start), so a hang fails the test instead of
    blocking the suite.
    """

    def __init__(self, args, log_path, title, timeout=BOOT_TIMEOUT, expect_panic=False):
        self.args = [QEMU] + list(args)
        self.log_path = log_path
        self.expect_panic = expect_panic
        self.deadline = time.monotonic() + timeout
        self.exit_status = None
        self._log = open(log_path, "a", encoding="utf-8", errors="replace")
        self._log.write(f"==== {title}\n$ {' '.join(self.args)}\n")
        self._log.flush()
        self._tee = _Tee(self._log)
        self.child = pexpect.spawn(self.args[0], self.args[1:], encoding="utf-8",
                                   codec_errors="replace", echo=False, timeout=timeout,
                                   dimensions=(50, 200))
        self.child.logfile_read = self._tee
        _live.add(self)

    # ------------------------------------------------------------ console
    @property
    def output(self):
        """Everything QEMU printed so far, without carriage returns.

        Lines arrive as "\\r\\r\\n": the guest sends "\\r\\n" and the pty QEMU
        writes to turns "\\n" into "\\r\\n" again (QEMU keeps OPOST on).
        """
        return "".join(self._tee.chunks).replace("\r", "")

    def lines(self):
        """The console so far as a list of lines."""
        return self.output.split("\n")

    def count(self, text):
        """How many times `text` occurs in the console so far."""
        return self.output.count(text)

    def _remaining(self, timeout):
        left = self.deadline - time.monotonic()
        if timeout is not None:
            left = min(left, timeout)
        return max(left, 0.0)

    def _tail(self, n=25):
        return "\n".join(self.lines()[-n:])

    def fail(self, why):
        """Fails the test with `why`, the last console lines and the log path."""
        pytest.fail(f"{why}\n--- last console lines ---\n{self._tail()}\n"
                    f"--- full console: {self.log_path}", pytrace=False)

    def _crash_seen(self):
        """Reads the rest of a crash report for the log, then fails the test."""
        try:
            self.child.expect_exact(["system halted", pexpect.EOF], timeout=self._remaining(3))
        except pexpect.TIMEOUT:
            pass
        self.fail("unexpected hypervisor crash on the console")

    def _wait(self, patterns, what, timeout, exact):
        """Waits for one of `patterns`; returns its index. Watches for crashes."""
        watch = [] if self.expect_panic else list(CRASH_MARKERS)
        if exact:
            allp = list(patterns) + watch
        else:
            allp = list(patterns) + [re.escape(w) for w in watch]
        allp += [pexpect.EOF, pexpect.TIMEOUT]
        left = self._remaining(timeout)
        if exact:
            i = self.child.expect_exact(allp, timeout=left)
        else:
            i = self.child.expect(allp, timeout=left)
        n = len(patterns)
        if i < n:
            return i
        if i < n + len(watch):
            self._crash_seen()
        if allp[i] is pexpect.EOF:
            self._reap()
            self.fail(f"QEMU exited (status {self.exit_status}) before {what} appeared")
        self.fail(f"{what} did not appear within {left:.0f} s (hung?)")
        return -1  # not reached

    def expect(self, marker, timeout=None):
        """Waits for the exact string `marker`; returns the console text between
        the previous match and this one (without carriage returns)."""
        self._wait([marker], repr(marker), timeout, exact=True)
        return self.child.before.replace("\r", "")

    def expect_any(self, markers, timeout=None):
        """Waits for the first of several exact strings; returns its index."""
        return self._wait(list(markers), " or ".join(map(repr, markers)), timeout, exact=True)

    def expect_all(self, markers, timeout=None):
        """Waits until every exact string in `markers` has appeared, in any order
        (partitions print side by side). Markers seen before the call count."""
        while True:
            missing = [m for m in markers if m not in self.output]
            if not missing:
                return
            self.expect_any(missing, timeout)

    def expect_regex(self, pattern, timeout=None):
        """Waits for the regular expression `pattern`; returns the match object."""
        self._wait([pattern], f"/{pattern}/", timeout, exact=False)
        return self.child.match

    def send(self, text):
        """Types `text` on the serial console (no newline added)."""
        self.child.send(text)

    def send_command(self, command):
        """Types a command line followed by Enter."""
        self.child.send(command + "\r")

    # ------------------------------------------------------------ lifetime
    def expect_exit(self, timeout=None):
        """Waits until QEMU exits on its own; returns its exit status."""
        watch = [] if self.expect_panic else list(CRASH_MARKERS)
        left = self._remaining(timeout)
        i = self.child.expect_exact(watch + [pexpect.EOF, pexpect.TIMEOUT], timeout=left)
        if i < len(watch):
            self._crash_seen()
        if i == len(watch) + 1:
            self.fail(f"QEMU did not exit within {left:.0f} s")
        self._reap()
        return self.exit_status

    def _reap(self):
        if self.exit_status is not None:
            return
        self.child.close(force=True)
        if self.child.signalstatus is not None:
            self.exit_status = -self.child.signalstatus
        else:
            self.exit_status = self.child.exitstatus

    def _drain(self):
        """Collects output already waiting in the pty (for the log and the final
        crash check), for at most half a second: a reboot loop never goes quiet."""
        end = time.monotonic() + 0.5
        try:
            while time.monotonic() < end:
                self.child.read_nonblocking(65536, timeout=0.05)
        except (pexpect.TIMEOUT, pexpect.EOF, OSError, ValueError):
            pass

    def close(self):
        """Stops QEMU (SIGTERM, then SIGKILL) and closes the log. Idempotent."""
        if self not in _live:
            return
        _live.discard(self)
        try:
            if self.child.isalive():
                self._drain()
                self.child.kill(signal.SIGTERM)
                end = time.monotonic() + 5
                while self.child.isalive() and time.monotonic() < end:
                    time.sleep(0.02)
                if self.child.isalive():
                    self.child.kill(signal.SIGKILL)
            self._reap()
        finally:
            self._log.write("\n")
            self._log.close()

    def unexpected_crash(self):
        """True if the console shows a crash the test did not ask for."""
        return not self.expect_panic and any(m in self.output for m in CRASH_MARKERS)


@atexit.register
def _kill_leftovers():
    """Last resort (e.g. Ctrl-C): no QEMU outlives the test run."""
    for q in list(_live):
        try:
            q.child.kill(signal.SIGKILL)
            q.child.close(force=True)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


# ---------------------------------------------------------------- device trees
FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9


def dump_qemu_dtb(out_path, machine_opts, smp=4, mem="1G"):
    """Writes the device tree QEMU generates for this machine, compacted.

    QEMU dumps its tree with 1 MiB of free space, and -dtb doubles the size of
    the file it loads, which would push the tree over Bulkhead's (and Linux's)
    2 MiB limit. dtc rewrites it without the padding.
    """
    raw = out_path + ".raw"
    run([QEMU, "-M", f"{machine_opts},dumpdtb={raw}", "-cpu", "cortex-a72", "-smp", str(smp),
         "-m", mem, "-nographic", "-nic", "none", "-no-user-config"])
    run([find_tool("dtc"), "-q", "-I", "dtb", "-O", "dtb", "-o", out_path, raw])
    os.unlink(raw)
    return out_path


def qemu_lines(args, pattern, what):
    """For the benchmarks: runs QEMU with args until a console line matches
    the compiled regex `pattern`, kills it, and returns every line up to that
    one; exits naming `what` and showing the last output if none came."""
    proc = subprocess.Popen([QEMU] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace")
    out = []
    try:
        for line in proc.stdout:
            out.append(line)
            if pattern.search(line):
                return out
    finally:
        proc.kill()
        proc.wait()
    raise SystemExit(f"no {what} line; output:\n" + "".join(out[-20:]))


def qemu_numbers(args, pattern, what):
    """qemu_lines(), then the groups of the matching line as ints."""
    return [int(x) for x in pattern.search(qemu_lines(args, pattern, what)[-1]).groups()]


def run(cmd, **kwargs):
    """Runs a host command; fails the test with its output if it fails."""
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60, check=False, **kwargs)
    if res.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}", pytrace=False)
    return res.stdout


def fdt_property_offset(blob, node_path, prop_index=0):
    """Byte offset in `blob` of the FDT_PROP token of a node's n-th property.

    A minimal walker over the structure block (Devicetree Specification 5.4),
    so the tests need no Python libfdt binding. `node_path` is absolute, with
    unit addresses ("/pl031@9010000").
    """
    magic, _total, off_struct = struct.unpack_from(">III", blob, 0)
    assert magic == FDT_MAGIC, "not a flattened device tree"
    want = [p for p in node_path.split("/") if p]
    path = []
    pos = off_struct
    while True:
        (tag,) = struct.unpack_from(">I", blob, pos)
        if tag == FDT_BEGIN_NODE:
            end = blob.index(b"\0", pos + 4)
            name = blob[pos + 4:end].decode()
            if pos != off_struct:  # the root node's name is empty
                path.append(name)
            pos = (end + 1 + 3) & ~3
            seen = 0
        elif tag == FDT_END_NODE:
            if path:
                path.pop()
            pos += 4
        elif tag == FDT_PROP:
            length, _nameoff = struct.unpack_from(">II", blob, pos + 4)
            if path == want:
                if seen == prop_index:
                    return pos
                seen += 1
            pos = (pos + 12 + length + 3) & ~3
        elif tag == FDT_NOP:
            pos += 4
        elif tag == FDT_END:
            raise KeyError(f"{node_path}: no property #{prop_index}")
        else:
            raise ValueError(f"bad FDT tag {tag:#x} at offset {pos:#x}")


def corrupt_nameoff(blob, node_path, prop_index=0):
    """Returns `blob` with one property's name offset pointing past the strings block.

    QEMU loads such a tree with -dtb (it only rewrites /chosen and /memory and
    never reads this name), but any complete check of the structure block
    (libfdt's fdt_check_full) rejects it.
    """
    pos = fdt_property_offset(blob, node_path, prop_index)
    size_strings = struct.unpack_from(">I", blob, 32)[0]
    bad = bytearray(blob)
    struct.pack_into(">I", bad, pos + 8, size_strings + 0x100000)
    return bytes(bad)


# ---------------------------------------------------------------- disk images
SECTOR = 512
PART_START_LBA = 2048  # 1 MiB, as partitioning tools align


def make_fat_disk(out_path, files, tmp_dir, fs_mib=8):
    """Writes a disk image with an MBR and one bootable FAT partition holding `files`.

    `files` maps names in the partition's root folder to host paths. No root
    rights needed: mkfs.vfat -C makes the file system in a file, mcopy fills it
    and the MBR is written here.
    """
    fs_img = os.path.join(tmp_dir, "partition.img")
    if os.path.exists(fs_img):
        os.unlink(fs_img)
    run([find_tool("mkfs.vfat"), "-C", "-i", "b0000001", "-n", "BULKHEAD", fs_img,
         str(fs_mib * 1024)])
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for name, src in files.items():
        run([find_tool("mcopy"), "-i", fs_img, src, "::/" + name], env=env)

    fs_sectors = os.path.getsize(fs_img) // SECTOR
    entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x0E, b"\xfe\xff\xff",
                        PART_START_LBA, fs_sectors)  # bootable, FAT16 LBA, CHS unused
    mbr = bytearray(SECTOR)
    struct.pack_into("<I", mbr, 440, 0xB0B0B0B0)  # disk signature
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    with open(out_path, "wb") as disk, open(fs_img, "rb") as fs:
        disk.write(mbr)
        disk.seek(PART_START_LBA * SECTOR)
        shutil.copyfileobj(fs, disk)
    os.unlink(fs_img)
    return out_path


def make_uboot_script(out_path, commands, tmp_dir):
    """Compiles U-Boot commands into a script image (mkimage -T script), like boot.scr."""
    src = os.path.join(tmp_dir, os.path.basename(out_path) + ".cmd")
    with open(src, "w", encoding="utf-8") as f:
        f.write("\n".join(commands) + "\n")
    # A fixed timestamp keeps the image identical from run to run.
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    run([find_tool("mkimage"), "-A", "arm64", "-O", "linux", "-T", "script", "-C", "none",
         "-n", "Bulkhead system test", "-d", src, out_path], env=env)
    return out_path
