#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Makes an SD card image for the Raspberry Pi 4 from a folder, without root or loop devices.

    scripts/mksdcard.py FOLDER IMAGE [SIZE_MIB]

The image has an MBR with one bootable FAT32 partition (type 0x0c) from 1 MiB to the end,
which the Raspberry Pi's boot ROM/EEPROM and U-Boot (`mmc 0:1`) read; mtools formats it
(mformat) and copies the folder's files into it (mcopy), at that offset (IMAGE@@1M).
"""
import os
import struct
import subprocess
import sys

START = 1 << 20  # the partition starts at 1 MiB, as SD cards are erased in such blocks
SECTOR = 512


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    folder, image = sys.argv[1], sys.argv[2]
    files = sorted(os.listdir(folder))
    need = sum(os.path.getsize(os.path.join(top, f)) for top, _, names in os.walk(folder)
               for f in names)
    # FAT32 wants at least 65525 clusters: 260 MiB with mformat's 4 KiB clusters.
    size_mib = int(sys.argv[3]) if len(sys.argv) == 4 else max(260, (need >> 20) * 2 + 64)
    size = size_mib << 20
    if need + START + (8 << 20) > size:
        sys.exit(f"mksdcard: {need} bytes of files do not fit in {size_mib} MiB")
    with open(image, "wb") as f:
        f.truncate(size)
        lba, count = START // SECTOR, (size - START) // SECTOR
        # CHS fields 0xfe/0xff/0xff: "use the LBA fields", as for any partition past 8 GiB.
        entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x0C, b"\xfe\xff\xff", lba, count)
        f.seek(446)
        f.write(entry + bytes(48) + b"\x55\xaa")
    part = f"{image}@@{START}"
    sectors = (size - START) // SECTOR
    subprocess.run(["mformat", "-i", part, "-F", "-v", "BULKHEAD", "-T", str(sectors),
                    "-h", "64", "-s", "32", "-H", str(START // SECTOR), "::"], check=True)
    subprocess.run(["mcopy", "-i", part, "-Q", "-s"] + [os.path.join(folder, f) for f in files]
                   + ["::/"], check=True)
    print(f"mksdcard: {image}: {size_mib} MiB, FAT32 partition from 1 MiB with {len(files)} entries")


if __name__ == "__main__":
    main()
