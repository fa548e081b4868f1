#!/usr/bin/python3
"""make bench: the size of the EL2 trusted base. The .text of each board's
bulkhead.elf, libfdt included (its share shown: the archive members the link
pulled in), against 64 KiB; Bao's 65,288 B (issue 13) is a build with no
device-tree parser at all, not measured here. And the EL2 lines of code
(scripts/loc.py) against 8,000."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BUILD = os.environ.get("BH_BUILD", os.path.join(ROOT, "build"))
LIBFDT = os.path.join(BUILD, "target", "libfdt-dev", "usr", "lib", "aarch64-linux-gnu",
                      "libfdt.a")
CROSS = os.environ.get("CROSS_COMPILE", "aarch64-linux-gnu-")
GOAL_TEXT = 64 * 1024
GOAL_LOC = 8000

sys.path.insert(0, HERE)
from report import header, row  # noqa: E402


def tool(name, *args):
    return subprocess.run([CROSS + name, *args], check=True, capture_output=True,
                          text=True).stdout


def text_size(path):
    """Bytes of the .text section(s) of an ELF file or of each member of an archive."""
    sizes, member = {}, path
    for line in tool("size", "-A", path).splitlines():
        if " (ex " in line:
            member = line.split()[0]
        fields = line.split()
        if fields and fields[0].startswith(".text"):
            sizes[member] = sizes.get(member, 0) + int(fields[1])
    return sizes


def libfdt_share(elf):
    """.text of the libfdt members linked into elf: those defining a function it has."""
    linked = {line.split()[-1] for line in tool("nm", elf).splitlines()
              if len(line.split()) == 3 and line.split()[1] in "tT"}
    members = set()
    for line in tool("nm", "-A", "--defined-only", LIBFDT).splitlines():
        fields = line.split()  # archive:member:address, type, name
        if len(fields) == 3 and fields[1] in "tT" and fields[2] in linked:
            members.add(fields[0].split(":")[-2])
    return sum(size for member, size in text_size(LIBFDT).items() if member in members)


def main():
    header("EL2 size (Bao's .text: 65,288 B, with no device-tree parser)")
    for board in sorted(os.listdir(os.path.join(ROOT, "boards"))):
        elf = os.path.join(BUILD, board, "bulkhead.elf")
        if not os.path.isfile(elf):
            continue
        text = sum(text_size(elf).values())
        row(f"EL2 .text B, {board} (libfdt {libfdt_share(elf):,} B of it)", f"{text:,}", "-",
            f"{text / 1024:.1f} KiB", "<= 64 KiB", text <= GOAL_TEXT)
    loc = int(subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "loc.py"), ROOT],
                             check=True, capture_output=True, text=True).stdout)
    row("EL2 lines of code (scripts/loc.py)", f"{loc:,}", "-", f"{loc:,}", f"< {GOAL_LOC:,}",
        loc < GOAL_LOC)


if __name__ == "__main__":
    main()
