#!/usr/bin/env python3
"""Lines of code in the EL2 trusted base (docs/design.md, "Size"), blank lines
and comments out: every .c, .h and .S file under arch/ and core/ (the Makefile
builds all of them into bulkhead.elf), and the headers of include/ that they
#include, directly or through each other (found from the sources: the guest and
tool headers there are not EL2's). Usage: scripts/loc.py [-v] [ROOT]"""
import pathlib
import re
import sys

EL2_TOPS = ("arch", "core")
# The hypervisor's include path (Makefile, HYP_CPPFLAGS), in its order.
INCLUDE_DIRS = ("include", "arch/arm64/include", "core/include", "arch/arm64/private")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def code_lines(path):
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    return sum(1 for line in text.splitlines()
               if line.strip() and not line.strip().startswith("//"))


def el2_files(root):
    files = {path.resolve() for top in EL2_TOPS for path in (root / top).rglob("*")
             if path.suffix in (".c", ".h", ".S")}
    todo = list(files)
    while todo:
        path = todo.pop()
        for name in INCLUDE.findall(path.read_text()):
            # "..." looks beside the including file first; system headers
            # (stdint.h, libfdt.h) and generated ones resolve to nothing here.
            for base in (path.parent, *(root / d for d in INCLUDE_DIRS)):
                found = base / name
                if found.is_file():
                    found = found.resolve()
                    if found not in files:
                        files.add(found)
                        todo.append(found)
                    break
    return sorted(path.resolve() for path in files)


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [arg for arg in args if arg != "-v"]
    root = pathlib.Path(args[0] if args else ".").resolve()
    total = 0
    for path in el2_files(root):
        lines = code_lines(path)
        total += lines
        if verbose:
            print(f"{lines:6} {path.relative_to(root)}")
    print(total)


if __name__ == "__main__":
    main()
