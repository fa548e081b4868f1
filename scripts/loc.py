#!/usr/bin/env python3
"""Lines of code in the EL2 trusted base (docs/design.md, "Size"): every .c,
.h and .S file under arch/ and core/ (the shared ABI in include/ too), without
blank lines and comments. Usage: scripts/loc.py [ROOT]"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
total = 0
for top in ("arch", "core", "include"):
    for path in sorted((root / top).rglob("*")):
        if path.suffix not in (".c", ".h", ".S"):
            continue
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        lines = [line for line in text.splitlines()
                 if line.strip() and not line.strip().startswith("//")]
        total += len(lines)
print(total)
