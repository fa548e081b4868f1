"""The Raspberry Pi 4 from one command, checked on the host (QEMU 7.2 has no raspi4b).

`make sdcard-rpi4` (a prerequisite of `make system-tests`) runs `make sdcard BOARD=rpi4` for
partitions/rpi4-demo.dts into build/test-sdcard/: sdcard/ (the folder) and sdcard.img. These tests read the image back with
mtools, the boot script with mkimage and its own bytes, and run the script's commands the way
U-Boot would on Debian's bcm2711-rpi-4-b.dtb as the firmware and TF-A pass it: `fdt move`,
`fdt apply` (fdtoverlay), `fdt get value`/`fdt set` (fdtget/fdtput), `load` from the image.
The merged tree is then checked by bhconfig, the hypervisor's own parser, with the RPi4's
limits (GIC-400: 256 lines; Cortex-A72: 44-bit physical addresses), for each shipped RPi4
system.
"""

import os
import re
import shlex
import shutil
import struct
import subprocess

import pytest

import harness

SDCARD_DIR = os.path.join(harness.BUILD, "test-sdcard", "sdcard")
SDCARD_IMG = os.path.join(harness.BUILD, "test-sdcard", "sdcard.img")
BHCONFIG = os.path.join(harness.BUILD, "host", "bhconfig")
TARGET = os.path.join(harness.BUILD, "target")
DEBIAN_DTB = os.path.join(TARGET, "linux", "dtbs", "broadcom", "bcm2711-rpi-4-b.dtb")
UBOOT = os.path.join(TARGET, "u-boot-rpi", "usr", "lib", "u-boot", "rpi_arm64", "u-boot.bin")
BL31 = os.path.join(TARGET, "arm-trusted-firmware", "usr", "lib", "arm-trusted-firmware", "rpi4",
                    "bl31.bin")
PART = SDCARD_IMG + "@@1M"  # the FAT partition, 1 MiB into the card
SYSTEMS = ["partitions/rpi4-demo.dts", "partitions/rpi4-linux-child.dts"]
LAYOUT = ["--hyp", "0x200000:4M", "--images", "0x03000000", "--board-dtb", DEBIAN_DTB]
# Where the firmware left its tree in a board's U-Boot log (anywhere does: boot.scr moves it).
FIRMWARE_FDT_ADDR = "2eff2e00"
FIRMWARE_MAC = "dc:a6:32:01:02:03"  # U-Boot's ${ethaddr}, which it has from the firmware
MERGED_TREE = 0x2800000


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=harness.REPO,
                          **kwargs)


def layout(system, out_dir, extra=()):
    """bhconfig layout for the RPi4 as make sdcard runs it; the CompletedProcess."""
    return subprocess.run([BHCONFIG, *LAYOUT, *extra, "layout", system, "-o", str(out_dir)],
                          capture_output=True, text=True, cwd=harness.REPO)


def script_text(scr_path):
    """The script inside a U-Boot script image (uImage type script): header, sizes, text."""
    with open(scr_path, "rb") as f:
        data = f.read()
    assert struct.unpack(">I", data[:4])[0] == 0x27051956, "not a uImage"
    sizes, off = [], 64
    while True:
        (size,) = struct.unpack(">I", data[off:off + 4])
        off += 4
        if size == 0:
            break
        sizes.append(size)
    return data[off:off + sizes[0]].decode()


def uboot_env(binary):
    """Debian's U-Boot default environment, as `strings` shows it."""
    out = run(["strings", binary]).stdout
    return dict(line.split("=", 1) for line in out.splitlines()
                if re.match(r"^[a-z_]+=\S", line))


# ---------------------------------------------------------------- the SD card image

def test_sdcard_partition_table():
    """One bootable FAT32 (LBA) partition from 1 MiB to the end of the image."""
    with open(SDCARD_IMG, "rb") as f:
        mbr = f.read(512)
    size = os.path.getsize(SDCARD_IMG)
    boot, ptype, lba, count = struct.unpack("<B3xB3xII", mbr[446:462])
    assert mbr[510:] == b"\x55\xaa"
    assert (boot, ptype, lba) == (0x80, 0x0C, 2048)
    assert (lba + count) * 512 == size
    assert mbr[462:510] == bytes(48), "one partition only"
    info = run(["minfo", "-i", PART, "::"]).stdout
    assert "fat type" not in info.lower() or "FAT32" in info
    assert re.search(r"big size: \d+ sectors", info)


def test_sdcard_files_and_contents(tmp_path):
    """The card holds exactly the boot chain, the system and its images, byte for byte
    what make sdcard put in the folder and what Debian and the build provide."""
    listing = run(["mdir", "-b", "-i", PART, "::/"]).stdout.split()
    names = sorted(os.path.basename(p) for p in listing)
    expected = sorted(["config.txt", "u-boot.bin", "bl31.bin", "bcm2711-rpi-4-b.dtb",
                       "bulkhead.bin", "boot.scr", "boot.cmd", "system.dtbo", "Image",
                       "initramfs.cpio", "root.dtb", "console.bin"])
    assert names == expected
    assert sorted(os.listdir(SDCARD_DIR)) == expected
    sources = {
        "config.txt": os.path.join(harness.REPO, "boards", "rpi4", "config.txt"),
        "u-boot.bin": UBOOT,
        "bl31.bin": BL31,
        "bcm2711-rpi-4-b.dtb": DEBIAN_DTB,
        "bulkhead.bin": harness.bulkhead_bin("rpi4"),
        "Image": os.path.join(harness.BUILD, "linux", "Image"),
        "initramfs.cpio": os.path.join(harness.BUILD, "linux", "initramfs.cpio"),
        "console.bin": os.path.join(harness.BUILD, "guests", "console", "console.bin"),
    }
    for name in expected:
        out = tmp_path / name
        run(["mcopy", "-n", "-i", PART, "::/" + name, str(out)])
        with open(out, "rb") as a, open(os.path.join(SDCARD_DIR, name), "rb") as b:
            assert a.read() == b.read(), f"{name} on the card differs from the folder's"
        if name in sources:
            with open(out, "rb") as a, open(sources[name], "rb") as b:
                assert a.read() == b.read(), f"{name} is not {sources[name]}"


def test_config_txt_starts_the_chain():
    """The firmware starts bl31 as the armstub and U-Boot as the 64-bit kernel, with the
    GIC-400 on and the PL011 on the header pins."""
    with open(os.path.join(SDCARD_DIR, "config.txt")) as f:
        lines = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    for want in ["arm_64bit=1", "enable_gic=1", "armstub=bl31.bin", "kernel=u-boot.bin",
                 "enable_uart=1"]:
        assert want in lines


def test_mksdcard_copies_folders(tmp_path):
    """RPI_FIRMWARE's overlays/ folder goes onto the card as a folder."""
    folder = tmp_path / "card"
    (folder / "overlays").mkdir(parents=True)
    (folder / "start4.elf").write_bytes(b"firmware")
    (folder / "overlays" / "disable-bt.dtbo").write_bytes(b"overlay")
    img = str(tmp_path / "card.img")
    run(["/usr/bin/python3", "scripts/mksdcard.py", str(folder), img])
    out = tmp_path / "dtbo"
    run(["mcopy", "-n", "-i", img + "@@1M", "::/overlays/disable-bt.dtbo", str(out)])
    assert out.read_bytes() == b"overlay"


# ---------------------------------------------------------------- boot.scr

def test_boot_scr_is_the_layouts_script():
    """boot.scr is a U-Boot script image (mkimage -l) of the layout's boot.cmd."""
    listing = run(["mkimage", "-l", os.path.join(SDCARD_DIR, "boot.scr")]).stdout
    assert "Script" in listing and "AArch64" in listing
    assert "Bulkhead rpi4-demo.dts" in listing
    with open(os.path.join(SDCARD_DIR, "boot.cmd")) as f:
        assert script_text(os.path.join(SDCARD_DIR, "boot.scr")) == f.read()


def test_boot_scr_commands_in_order():
    """Move the firmware's tree, merge the system, name the nodes, load each image where
    the layout put it, then bulkhead.bin, then booti with the merged tree; each step says
    what it does, and the script ends saying why it stopped."""
    text = script_text(os.path.join(SDCARD_DIR, "boot.scr"))
    commands = [line.split(" || ")[1] if line.startswith("test -n \"${bh_fail}\" || ")
                else line for line in text.splitlines() if line and not line.startswith("#")]
    order = [i for i, c in enumerate(commands) if re.match(
        r"(fdt move|fdt apply|fdt set /bulkhead|load .* (Image|initramfs.cpio|root.dtb|"
        r"console.bin|bulkhead.bin)$|booti)", c)]
    kinds = [commands[i].split()[1] if commands[i].startswith("fdt") else commands[i].split()[0]
             for i in order]
    assert kinds[0] == "move" and kinds[1] == "apply" and kinds[-1] == "booti"
    assert kinds.count("load") == 5
    images = dict(re.findall(r"^# image (0x[0-9a-f]+)\+0x[0-9a-f]+ (\S+)", text, re.M))
    loads = {m.group(2): m.group(1) for m in re.finditer(
        r"load \$\{devtype\} \$\{devnum\}:\$\{distro_bootpart\} (0x[0-9a-f]+) (\S+) \|\|", text)}
    for addr, name in images.items():
        assert int(loads[name], 16) == int(addr, 16)
    assert loads["bulkhead.bin"] == "0x200000" and loads["system.dtbo"] == "0x2600000"
    assert "fdt move ${fdt_addr} 0x2800000 0x100000" in text
    # U-Boot's hush would open a quoted string at an apostrophe, even inside double quotes.
    assert not [c for c in commands if "'" in c], [c for c in commands if "'" in c]
    assert "booti 0x200000 - 0x2800000" in text
    assert sum(1 for c in commands if c.startswith("echo \"Bulkhead: ")) >= 8
    assert commands[-2] == 'echo "Bulkhead: STOPPED: ${bh_fail}"'


def test_zones_are_u_boots_own_addresses():
    """The loader zones the layout keeps free are Debian's U-Boot's default environment."""
    env = uboot_env(UBOOT)
    with open(os.path.join(SDCARD_DIR, "boot.cmd")) as f:
        zones = dict((m.group(2), int(m.group(1), 16)) for m in re.finditer(
            r"^# zone (0x[0-9a-f]+)\+0x[0-9a-f]+ U-Boot's (\w+):", f.read(), re.M))
    assert set(zones) == {"kernel_addr_r", "scriptaddr", "pxefile_addr_r", "fdt_addr_r",
                          "ramdisk_addr_r"}
    for name, addr in zones.items():
        assert int(env[name], 16) == addr, name
    assert env["fdt_high"] == "ffffffffffffffff", "booti would move the tree"


# ---------------------------------------------------------------- U-Boot, played on the host

def firmware_tree(path):
    """Debian's tree as the firmware and TF-A pass it: the firmware fills /memory (a 4 GiB
    board), the MAC address and the board revision, bl31 adds /psci, PSCI as each CPU's
    enable-method and its reserved memory."""
    shutil.copy(DEBIAN_DTB, path)

    def put(*args):
        run(["fdtput", str(path), *args])

    put("-tx", "/memory@0", "reg", "0", "0", "3b400000", "0", "40000000", "bc000000")
    put("-tbx", "/scb/ethernet@7d580000", "local-mac-address",
        *[f"{int(b, 16):x}" for b in FIRMWARE_MAC.split(":")])
    put("-c", "/system")
    put("-tx", "/system", "linux,revision", "c03111")
    put("-c", "/psci")
    put("-ts", "/psci", "compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci")
    put("-ts", "/psci", "method", "smc")
    for cpu in range(4):
        put("-ts", f"/cpus/cpu@{cpu}", "enable-method", "psci")
        run(["fdtput", "-d", str(path), f"/cpus/cpu@{cpu}", "cpu-release-addr"])
    put("-c", "/reserved-memory/atf@0")
    put("-tx", "/reserved-memory/atf@0", "reg", "0", "0", "80000")


class UBoot:
    """Runs a boot.cmd's commands on files: the subset of U-Boot's hush and fdt the
    generated scripts use. Memory is a map from addresses to files."""

    def __init__(self, card_dir, fdt_file, work):
        self.card, self.work = card_dir, work
        self.env = {"devtype": "mmc", "devnum": "0", "distro_bootpart": "1",
                    "fdt_addr": FIRMWARE_FDT_ADDR, "ethaddr": FIRMWARE_MAC}
        self.mem = {int(FIRMWARE_FDT_ADDR, 16): str(fdt_file)}
        self.fdt = None
        self.echoes, self.booted = [], None

    def expand(self, text):
        return re.sub(r"\$\{(\w+)\}", lambda m: self.env.get(m.group(1), ""), text)

    def tree_file(self, addr):
        return self.mem[int(addr, 16)]

    def command(self, words):
        name, args = words[0], words[1:]
        if name == "setenv":
            if len(args) == 1:
                self.env.pop(args[0], None)
            else:
                self.env[args[0]] = " ".join(args[1:])
            return True
        if name == "echo":
            self.echoes.append(" ".join(args))
            return True
        if name == "test":
            if args[0] in ("-n", "-z"):
                return (args[1] != "") == (args[0] == "-n")
            assert args[1] == "="
            return args[0] == args[2]
        if name == "load":
            src = os.path.join(self.card, args[3])
            if not os.path.exists(src):
                return False
            dst = os.path.join(self.work, f"{int(args[2], 16):x}-{args[3]}")
            shutil.copy(src, dst)
            self.mem[int(args[2], 16)] = dst
            self.env["filesize"] = f"{os.path.getsize(dst):x}"
            return True
        if name == "setexpr":
            assert args[1] == "gsub", words
            self.env[args[0]] = re.sub(args[2], args[3], args[4])
            return True
        if name == "booti":
            self.booted = (int(args[0], 16), self.tree_file(args[2]))
            return True
        assert name == "fdt", words
        return self.fdt_command(args)

    def fdt_command(self, args):
        sub = args[0]
        if sub == "addr":
            self.fdt = self.tree_file(args[1])
            return True
        if sub == "move":
            dst = os.path.join(self.work, f"{int(args[2], 16):x}-merged.dtb")
            shutil.copy(self.tree_file(args[1]), dst)
            self.mem[int(args[2], 16)] = dst
            self.fdt = dst
            return True
        if sub == "apply":
            r = subprocess.run(["fdtoverlay", "-i", self.fdt, "-o", self.fdt,
                                self.tree_file(args[1])], capture_output=True)
            return r.returncode == 0
        if sub == "get":
            assert args[1] == "value"
            r = subprocess.run(["fdtget", "-tx", self.fdt, args[3], args[4]],
                               capture_output=True, text=True)
            if r.returncode != 0:
                return False
            self.env[args[2]] = f"0x{int(r.stdout.split()[0], 16):08X}"
            return True
        if sub == "set":
            value = " ".join(args[3:])
            kind = "-tbx" if value.startswith("[") else "-tx"  # [bytes] or <cells>
            r = subprocess.run(["fdtput", kind, self.fdt, args[1], args[2],
                                *value.strip("<>[]").split()], capture_output=True)
            return r.returncode == 0
        raise AssertionError(f"fdt {sub}: not a command the script should use")

    def run_script(self, text):
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            for part in line.split(" || "):
                words = [self.expand(w) for w in shlex.split(part)]
                # <a b c> after expansion is one value
                if self.command(words):
                    break


def boot_on_firmware_tree(card_dir, tmp_path):
    fw = tmp_path / "firmware.dtb"
    firmware_tree(fw)
    work = tmp_path / "mem"
    work.mkdir()
    uboot = UBoot(card_dir, fw, str(work))
    with open(os.path.join(card_dir, "boot.cmd")) as f:
        uboot.run_script(f.read())
    return uboot


def check_merged(tree, *extra):
    """bhconfig check on the merged tree, with the tree reserved as Bulkhead reserves it."""
    size = os.path.getsize(tree)
    return subprocess.run([BHCONFIG, "--hyp", "0x200000:4M", "--reserve",
                           f"{MERGED_TREE:#x}:{size:#x}", *extra, "check", tree],
                          capture_output=True, text=True, cwd=harness.REPO)


def card_for(system, tmp_path):
    """The folder make sdcard would make for `system` (what boot.cmd reads)."""
    out = tmp_path / "layout"
    out.mkdir()
    r = layout(system, out)
    assert r.returncode == 0, r.stderr
    card = tmp_path / "card"
    card.mkdir()
    for f in ["boot.cmd", "system.dtbo"]:
        shutil.copy(out / f, card / f)
    with open(out / "sdcard.files") as f:
        for line in f.read().split():
            shutil.copy(os.path.join(harness.REPO, line), card / os.path.basename(line))
    shutil.copy(harness.bulkhead_bin("rpi4"), card / "bulkhead.bin")
    return str(card), out


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: os.path.basename(s)[:-4])
def test_merged_tree_parses_on_debian_dtb(system, tmp_path):
    """Each shipped RPi4 system, merged by its boot.scr into Debian's tree as the firmware
    passes it, is accepted by the hypervisor's parser with the RPi4's real limits; the
    firmware's facts (memory size, MAC address, board revision) stay."""
    card, _ = card_for(system, tmp_path)
    uboot = boot_on_firmware_tree(card, tmp_path)
    assert "Bulkhead: STOPPED: " in uboot.echoes[-2] and uboot.booted is not None, uboot.echoes
    assert uboot.booted[0] == 0x200000
    merged = uboot.booted[1]
    r = check_merged(merged)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: 2 partitions")
    show = subprocess.run([BHCONFIG, "--hyp", "0x200000:4M", "show", merged],
                          capture_output=True, text=True, cwd=harness.REPO).stdout
    assert "44-bit IPA space, 256 GIC interrupt lines" in show
    for node in ["/emmc2bus/mmc@7e340000", "/scb/ethernet@7d580000", "/scb/pcie@7d500000"]:
        assert re.search(r"^root\s+" + re.escape(node), show, re.M) or \
            re.search(r"^\s+" + re.escape(node), show, re.M), node
    assert run(["fdtget", "-tx", merged, "/memory@0", "reg"]).stdout.split() == \
        ["0", "0", "3b400000", "0", "40000000", "bc000000"]
    assert run(["fdtget", "-tbx", merged, "/scb/ethernet@7d580000",
                "local-mac-address"]).stdout.split() == ["dc", "a6", "32", "1", "2", "3"]
    assert run(["fdtget", "-tx", merged, "/system", "linux,revision"]).stdout.strip() == "c03111"
    # A Linux partition given the Ethernet gets the board's MAC address (U-Boot's ${ethaddr},
    # from the firmware) in its own tree, where Debian's tree has none.
    def status(tree):
        return subprocess.run(["fdtget", "-ts", tree, "/scb/ethernet@7d580000", "status"],
                              capture_output=True, text=True).stdout.strip()

    trees = [f for f in uboot.mem.values() if f.endswith(".dtb") and f != merged and status(f)]
    assert trees, uboot.mem
    for tree in trees:
        mac = subprocess.run(["fdtget", "-tbx", tree, "/scb/ethernet@7d580000",
                              "local-mac-address"], capture_output=True, text=True).stdout.split()
        assert mac == (["dc", "a6", "32", "1", "2", "3"] if status(tree) == "okay" else []), tree
    assert any("giving /scb/ethernet@7d580000 the MAC address of the board" in e
               for e in uboot.echoes), uboot.echoes


def test_root_tree_is_the_boards_cut_down(tmp_path):
    """The demo root's tree is Debian's, with its memory, its three vCPUs, its devices
    enabled and every other board device disabled, its console on the vuart."""
    _, out = card_for(SYSTEMS[0], tmp_path)
    tree = str(out / "root.dtb")

    def get(node, prop, kind="s"):
        return subprocess.run(["fdtget", "-t" + kind, tree, node, prop], capture_output=True,
                              text=True).stdout.strip()

    assert get("/memory@0", "reg", "x").split() == ["0", "10000000", "20000000"]
    assert run(["fdtget", "-l", tree, "/cpus"]).stdout.split() == ["cpu@0", "cpu@1", "cpu@2"]
    assert get("/cpus/cpu@2", "enable-method") == "psci"
    assert get("/chosen", "stdout-path") == "/soc/serial@7e201000"
    assert get("/chosen", "bootargs").endswith("bulkhead.partition=root")
    for node in ["/emmc2bus/mmc@7e340000", "/scb/ethernet@7d580000", "/soc/serial@7e201000"]:
        assert get(node, "status") == "okay", node
    for node in ["/scb/pcie@7d500000", "/soc/mailbox@7e00b880", "/soc/gpio@7e200000"]:
        assert get(node, "status") in ("", "okay"), node
    for node in ["/soc/mmc@7e300000", "/soc/usb@7e980000", "/scb/gpu@7ec00000",
                 "/soc/local_intc@40000000"]:
        assert get(node, "status") == "disabled", node
    assert get("/bulkhead-partitions/rt0", "images") == "app"
    # The placeholder boot.scr writes the board's MAC address over.
    assert get("/scb/ethernet@7d580000", "local-mac-address", "bx").split() == ["0"] * 6
    assert os.path.getsize(tree) == 0x10000


def test_linux_child_tree_has_its_own_uart_clock(tmp_path):
    """A Linux child without board devices gets a generated tree whose vuart names a clock
    of its own (the board's PL011 clocks come from the clock controller it does not have)."""
    _, out = card_for(SYSTEMS[1], tmp_path)
    tree = str(out / "lx.dtb")
    nodes = run(["fdtget", "-l", tree, "/"]).stdout.split()
    assert "vuart-clock" in nodes and "pl011@fe201000" in nodes
    clock = run(["fdtget", tree, "/vuart-clock", "phandle"]).stdout.strip()
    assert run(["fdtget", tree, "/pl011@fe201000", "clocks"]).stdout.split() == [clock, clock]
    assert run(["fdtget", "-d", "", tree, "/pl011@fe201000", "pinctrl-0"]).stdout.strip() == ""


# ---------------------------------------------------------------- what the layout refuses

def edited(system, tmp_path, old, new):
    with open(os.path.join(harness.REPO, system)) as f:
        text = f.read()
    assert old in text
    path = tmp_path / os.path.basename(system)
    path.write_text(text.replace(old, new).replace('"build/', f'"{harness.REPO}/build/'))
    return str(path)


def test_layout_refuses_a_partition_over_a_loader_zone(tmp_path):
    """rt0's memory moved onto U-Boot's fdt_addr_r: refused, naming both."""
    bad = edited(SYSTEMS[0], tmp_path, "0x0 0x40000000 0x0 0x0f000000 0x0 0x01000000",
                 "0x0 0x40000000 0x0 0x02600000 0x0 0x00100000")
    r = layout(bad, tmp_path)
    assert r.returncode == 1
    assert "/bulkhead/rt0: memory[0] (PA 0x2600000+0x100000) overlaps U-Boot's fdt_addr_r " \
        "(PA 0x2600000+0x100000" in r.stderr


def test_layout_refuses_images_over_the_merged_tree(tmp_path):
    """Images placed from 0x2800000 would land where boot.scr moves the firmware's tree."""
    out = tmp_path / "out"
    out.mkdir()
    r = subprocess.run([BHCONFIG, "--hyp", "0x200000:4M", "--images", "0x2800000",
                        "--board-dtb", DEBIAN_DTB, "layout", SYSTEMS[0], "-o", str(out)],
                       capture_output=True, text=True, cwd=harness.REPO)
    assert r.returncode == 1
    assert "/bulkhead/root/kernel: reg (PA 0x2800000+" in r.stderr
    assert "overlaps the merged device tree (PA 0x2800000+0x100000" in r.stderr


def test_layout_refuses_what_the_gic_400_lacks(tmp_path):
    """The GIC-400 has 256 lines: SPI 224 is past them."""
    bad = edited(SYSTEMS[0], tmp_path, "vuart-interrupt = <121>;", "vuart-interrupt = <224>;")
    r = layout(bad, tmp_path)
    assert r.returncode == 1 and "vuart-interrupt" in r.stderr and "256" in r.stderr, r.stderr


def test_layout_refuses_what_the_a72_cannot_address(tmp_path):
    """The Cortex-A72 has 44-bit physical addresses, so stage 2 translates 44-bit IPAs."""
    bad = edited(SYSTEMS[0], tmp_path, "0x0 0x40000000 0x0 0x0f000000",
                 "0x1000 0x00000000 0x0 0x0f000000")
    r = layout(bad, tmp_path)
    assert r.returncode == 1 and "44" in r.stderr, r.stderr


def test_layout_refuses_a_node_debians_tree_lacks(tmp_path):
    """A device the board file has but the firmware's tree does not is caught at layout."""
    dtb = tmp_path / "no-genet.dtb"
    shutil.copy(DEBIAN_DTB, dtb)
    run(["fdtput", "-r", str(dtb), "/scb/ethernet@7d580000"])
    out = tmp_path / "out"
    out.mkdir()
    r = subprocess.run([BHCONFIG, "--hyp", "0x200000:4M", "--images", "0x03000000",
                        "--board-dtb", str(dtb), "layout", SYSTEMS[0], "-o", str(out)],
                       capture_output=True, text=True, cwd=harness.REPO)
    assert r.returncode == 1
    assert "/bulkhead/root: trusted-devices[1] names /scb/ethernet@7d580000, which" in r.stderr


def test_boot_scr_stops_with_a_reason(tmp_path):
    """A card without the overlay: the script loads nothing more, never boots, and its last
    lines say what is missing."""
    card, _ = card_for(SYSTEMS[0], tmp_path)
    os.remove(os.path.join(card, "system.dtbo"))
    uboot = boot_on_firmware_tree(card, tmp_path)
    assert uboot.booted is None
    assert uboot.echoes[-2] == ("Bulkhead: STOPPED: cannot read system.dtbo from the SD card "
                                "(the /bulkhead node of the system)")


def test_layout_refuses_an_image_named_as_a_card_file(tmp_path):
    """An image file called config.txt would replace the firmware's on the card."""
    bad = edited(SYSTEMS[0], tmp_path, '"build/guests/console/console.bin"',
                 '"boards/rpi4/config.txt"')
    r = layout(bad, tmp_path)
    assert r.returncode == 1
    assert "/bulkhead/rt0/app: " in r.stderr and "the SD card's own config.txt" in r.stderr


RAM = 0x40000000  # QEMU virt's RAM starts here; the RPi4's at 0


def on_qemu_ram(line):
    """A boot.cmd line with every RPi4 address moved up into QEMU virt's RAM (`fdt move`'s
    length is a size, not an address) and booti replaced by an echo."""
    words = line.split(" ")
    for i, w in enumerate(words):
        m = re.fullmatch(r"0x([0-9a-f]+)", w)
        if m and int(m.group(1), 16) < RAM and not (i > 2 and words[i - 3] == "move"):
            words[i] = f"{int(m.group(1), 16) + RAM:#x}"
    return " ".join(words).replace("|| booti ", "|| echo would-booti ")


def test_real_u_boot_runs_the_card_script(qemu, tmp_path):
    """The demo card's boot.cmd run by Debian's real U-Boot 2023.01 (u-boot-qemu: the same
    hush and `fdt` commands as u-boot-rpi), not the host's stand-in: on QEMU's virt board,
    with its addresses moved into QEMU's RAM and Debian's tree as the firmware passes it,
    every step up to booti works (the tree moved, each node's phandle found or given, the
    phandle lists set, every image loaded with its size checked; the overlay itself is
    applied on the host, as this U-Boot has no `fdt apply`), and the root's tree gets
    U-Boot's ${ethaddr} as its MAC address."""
    if not os.path.isfile(harness.UBOOT_QEMU_ARM64):
        pytest.fail(f"{harness.UBOOT_QEMU_ARM64} missing (Debian package u-boot-qemu)")
    with open(os.path.join(SDCARD_DIR, "boot.cmd")) as f:
        text = f.read()
    root_dtb = re.search(r"fdt addr (0x[0-9a-f]+) \|\| setenv bh_fail \"no device tree at "
                         r"\S+ \(root\.dtb\)", text)
    assert root_dtb, "the demo's boot.cmd gives the root's tree no MAC address"
    fw = tmp_path / "firmware.dtb"
    firmware_tree(fw)
    # u-boot-qemu is built without `fdt apply` (u-boot-rpi has it): the overlay is applied
    # here, as fdtoverlay does it for the stand-in, and that line only says so.
    run(["fdtoverlay", "-i", str(fw), "-o", str(fw), os.path.join(SDCARD_DIR, "system.dtbo")])
    fw_addr = 0x6f000000
    lines = [f"load ${{devtype}} ${{devnum}}:${{distro_bootpart}} {fw_addr:#x} firmware.dtb",
             f"setenv fdt_addr {fw_addr:x}", "setenv ethaddr dc:a6:32:01:02:03"]
    lines += [re.sub(r"fdt apply \S+ \|\|", "echo fdt apply: applied on the host ||",
                     on_qemu_ram(line))
              for line in text.splitlines() if line.strip() and not line.startswith("#")]
    lines += ["echo rpi4-test: ethaddr=${ethaddr}",
              f"fdt addr {int(root_dtb.group(1), 16) + RAM:#x}",
              "fdt print /scb/ethernet@7d580000 local-mac-address",
              "echo rpi4-test: done"]
    script = harness.make_uboot_script(str(tmp_path / "boot.scr"), lines, str(tmp_path))
    files = {name: os.path.join(SDCARD_DIR, name) for name in os.listdir(SDCARD_DIR)
             if name not in ("boot.scr", "boot.cmd")}
    files.update({"boot.scr": script, "firmware.dtb": str(fw)})
    disk = harness.make_fat_disk(str(tmp_path / "disk.img"), files, str(tmp_path), fs_mib=64)

    vm = qemu.boot(kernel=None, bios=harness.UBOOT_QEMU_ARM64, extra=[
        "-drive", f"if=none,file={disk},format=raw,id=boot",
        "-device", "virtio-blk-device,drive=boot"])
    vm.expect("Found U-Boot script /boot.scr")
    out = vm.expect("rpi4-test: done")
    assert "Bulkhead: moving the firmware device tree" in out, out
    assert "fdt apply: applied on the host" in out, out
    assert "Bulkhead: STOPPED: \n" in out and "would-booti" in out, out
    assert "Bulkhead: loading bulkhead.bin" in out and "error" not in out.lower(), out
    mac = re.search(r"rpi4-test: ethaddr=([0-9a-f:]{17})", out).group(1)
    assert f"local-mac-address = [{mac.replace(':', ' ')}]" in out, out
