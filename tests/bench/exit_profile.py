#!/usr/bin/python3
"""Where EL2's instructions go, exit by exit (docs/testing.md, "The exit path").

Runs irqtest test=costs (tests/bench/timer_latency.py's system) under QEMU
with -singlestep and `-d exec,nochain` filtered to the hypervisor's address
range, so that every EL2 instruction executed is one log line (read through a
FIFO, never written to disk). Each exit is cut from its vector to the ERET
that ends trap_return; the shortest exit of each kind is printed as runs of
functions with their instruction counts. Slow (a minute or two), so it is a
tool, not part of make bench:

    BH_BUILD=$PWD/build tests/bench/exit_profile.py [gic]
"""

import bisect
import os
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
os.environ.setdefault("BH_BUILD", os.path.join(HERE, "..", "..", "build"))

import harness  # noqa: E402
import systems  # noqa: E402

LOAD = 0x40200000  # where the test system's hypervisor runs (its banner says so)
# The functions that name an exit's kind, in order of preference.
KINDS = [("timer interrupt (fast path)", "irq_from_guest"),
         ("null hypercall", "hypercall"),
         ("MMIO read, GICD", "common_access"),
         ("MMIO read, vuart", "vuart_mmio"),
         ("SGI sent", "send_sgi"),
         ("kick, an SGI delivered", "arch_vgic_lr_write")]


def symbols(elf):
    out = subprocess.run(["aarch64-linux-gnu-nm", "-n", elf], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    syms = [(int(a, 16), n) for a, t, n in (line.split()[:3] for line in out.splitlines()
                                             if len(line.split()) >= 3)
            if t in "tT"]
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def main():
    gic = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    elf = os.path.join(harness.BUILD, "qemu-virt", "bulkhead.elf")
    addrs, names = symbols(elf)
    where = dict(zip(names, addrs))
    vectors = where["el2_vectors"]
    dis = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn", elf],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    erets = {int(line.split(":")[0], 16) for line in dis.splitlines()
             if line.endswith("\teret") or line.rstrip().endswith("eret")}

    def fn(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        return names[i] if i >= 0 else "?"

    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "trace")
        os.mkfifo(fifo)
        extra = systems.build_system(tmp, [systems.Partition(
            "root", "irqtest", [0, 1], root=True, vuart=0x09000000,
            bootargs="test=costs n=20 vuart=0x9000000")], gic=gic)
        args = harness.qemu_args(harness.machine(gic), smp=4, kernel=harness.bulkhead_bin(),
                                 extra=extra) + [
            "-icount", "shift=0,sleep=off", "-singlestep", "-d", "exec,nochain", "-D", fifo,
            "-dfilter", f"0x{LOAD:x}..0x{LOAD + 0xfffff:x}"]
        proc = subprocess.Popen([harness.QEMU] + args, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                errors="replace")

        def console():
            for line in proc.stdout:
                if "costs done" in line:
                    proc.kill()
                    return
        threading.Thread(target=console, daemon=True).start()
        best = {}
        cur = None
        fn_cache = {}
        with open(fifo, "rb") as trace:
            for line in trace:
                if not line.startswith(b"Trace"):
                    continue
                i = line.find(b"/")
                pc = int(line[i + 1:i + 17], 16) - LOAD
                if vectors + 0x400 <= pc < vectors + 0x800 and (pc - vectors) % 0x80 == 0:
                    cur = []
                if cur is None:
                    continue
                name = fn_cache.get(pc) or fn_cache.setdefault(pc, fn(pc))
                cur.append(name)
                done = pc in erets
                if done:
                    present = set(cur)
                    for kind, marker in KINDS:
                        if marker in present and (marker != "irq_from_guest" or
                                                  "trap_common" not in present):
                            if kind not in best or len(cur) < len(best[kind]):
                                best[kind] = cur
                            break
                    cur = None
        proc.wait()
    for kind, _ in KINDS:
        if kind not in best:
            print(f"\n{kind}: not seen")
            continue
        seq = best[kind]
        print(f"\n{kind}: {len(seq)} EL2 instructions")
        run, count = None, 0
        for name in seq + [None]:
            if name != run:
                if run is not None:
                    print(f"  {count:5}  {run}")
                run, count = name, 0
            count += 1


if __name__ == "__main__":
    main()
