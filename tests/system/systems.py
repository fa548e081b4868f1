"""Partitioned systems for the QEMU system tests.

A test describes its partitions in Python (`Partition`); `build_system()`
writes the system device tree (the QEMU board .dtsi from boards/ plus a
/bulkhead node, binding v1, docs/binding.md), compiles it with the host tool
bhconfig, which runs the hypervisor's own checks, and returns the QEMU
arguments that boot it: -dtb and one -device loader per image.

Memory plan on QEMU virt with 1 GiB (RAM 0x40000000-0x7fffffff):
  0x40200000  Bulkhead (QEMU -kernel)
  0x41000000  partition memory, handed out in declaration order (or `pa=`)
  0x48000000  the device tree (QEMU puts the -dtb blob there)
  0x4b000000  VMBus channels' shared regions, 64 KiB apart (or `pa=`)
  0x4c000000  the images, each in its own 1 MiB-aligned slot
Every partition sees its memory at IPA 0x40000000 unless `ipa=` says otherwise.
"""

import os
import subprocess

import pytest

import harness

MEM_START = 0x41000000
DTB_ADDR = 0x48000000
DTB_RESERVE = 0x200000
IMAGE_START = 0x4C000000
CHANNEL_START = 0x4B000000
MiB = 1 << 20
GUEST_IPA = 0x40000000


def guest_bin(name):
    """build/guests/<name>/<program>.bin; `name` may be a variant dir (misbehave-idmap)."""
    folder = os.path.join(harness.BUILD, "guests", name)
    program = name.split("-")[0]
    path = os.path.join(folder, program + ".bin")
    if not os.path.isfile(path):
        pytest.fail(f"{path} does not exist: run the tests with `make system-tests`")
    return path


def bhconfig():
    path = os.path.join(harness.BUILD, "host", "bhconfig")
    if not os.path.isfile(path):
        pytest.fail(f"{path} does not exist: run the tests with `make system-tests`")
    return path


# A child's crash policy (docs/binding.md, "Crash policy"): the keyword arguments of
# Partition that give these properties, in the order bhconfig layout copies them.
POLICY_PROPS = (("on_crash", "on-crash"), ("watchdog_ms", "watchdog-ms"),
                ("max_restarts", "max-restarts"), ("restart_delay_ms", "restart-delay-ms"))


def _dts_value(value):
    """A property value as .dts text: a string quoted, a number as one cell."""
    return f'"{value}"' if isinstance(value, str) else f"<{value}>"


class Partition:
    """One partition of a test system: a guest program on some CPUs."""

    def __init__(self, name, guest, cpus, root=False, mem=16 * MiB, pa=None, ipa=GUEST_IPA,
                 bootargs=None, dtb=None, devices=None, vuart=None, trusted_devices=None,
                 on_crash=None, watchdog_ms=None, max_restarts=None, restart_delay_ms=None):
        """`dtb`: a file loaded as the partition's device tree (format "dtb") in
        its last MiB; the guest finds its IPA in x0. `devices`: labels of board
        nodes to give it (`devices = <&rtc>`); a root without them takes the other
        safe devices (`other-devices`). `trusted_devices`: labels for
        `trusted-devices` (DMA masters, GPIO...). `vuart`: IPA of an emulated PL011.
        `on_crash`, `watchdog_ms`, `max_restarts`, `restart_delay_ms`: a child's
        crash policy, written as given (a string quoted, a number as one cell);
        a watchdog needs a Channel with interface "integration" from the root."""
        self.name = name
        self.guest = guest
        self.cpus = list(cpus)
        self.root = root
        self.mem = mem
        self.pa = pa
        self.ipa = ipa
        self.bootargs = bootargs
        self.dtb = dtb
        self.devices = devices
        self.trusted_devices = trusted_devices
        self.vuart = vuart
        given = {"on_crash": on_crash, "watchdog_ms": watchdog_ms,
                 "max_restarts": max_restarts, "restart_delay_ms": restart_delay_ms}
        self.policy = [(prop, given[arg]) for arg, prop in POLICY_PROPS
                       if given[arg] is not None]

    def policy_dts(self):
        """The crash-policy properties, one .dts line each (no indentation)."""
        return [f"{prop} = {_dts_value(value)};" for prop, value in self.policy]

    def images(self):
        """(node name, host file, load IPA, format) of each image."""
        out = [("app", guest_bin(self.guest), self.ipa, "raw")]
        if self.dtb is not None:
            out.append(("dtb", self.dtb, self.ipa + self.mem - MiB, "dtb"))
        return out


class Channel:
    """A VMBus channel between two partitions (docs/vmbus.md): 32 KiB rings
    by default, its region at CHANNEL_START + 64 KiB * n unless `pa=`, seen at
    the same IPA unless `provider_ipa`/`consumer_ipa`; doorbells are SPIs."""

    def __init__(self, name, provider, consumer, irq=10, consumer_irq=None, interface=None,
                 rings=(0x8000, 0x8000), pa=None, provider_ipa=None, consumer_ipa=None):
        self.name = name
        self.provider = provider
        self.consumer = consumer
        self.provider_irq = irq
        self.consumer_irq = irq if consumer_irq is None else consumer_irq
        self.interface = interface
        self.rings = rings
        self.pa = pa
        self.provider_ipa = provider_ipa
        self.consumer_ipa = consumer_ipa

    def dts(self):
        lines = [f"\t\t\t{self.name} {{", '\t\t\t\tcompatible = "bulkhead,channel-v1";',
                 f'\t\t\t\tprovider = "{self.provider}";',
                 f'\t\t\t\tconsumer = "{self.consumer}";',
                 f"\t\t\t\treg = <{_cells(self.pa)} {_cells(sum(self.rings))}>;",
                 f"\t\t\t\tring-sizes = <{_cells(self.rings[0])} {_cells(self.rings[1])}>;",
                 f"\t\t\t\tprovider-interrupt = <{self.provider_irq}>;",
                 f"\t\t\t\tconsumer-interrupt = <{self.consumer_irq}>;"]
        if self.interface:
            lines.append(f'\t\t\t\tinterface = "{self.interface}";')
        for side, ipa in (("provider", self.provider_ipa), ("consumer", self.consumer_ipa)):
            if ipa is not None:
                lines.append(f"\t\t\t\t{side}-ipa = <{_cells(ipa)}>;")
        return lines + ["\t\t\t};"]

    def side(self, partition):
        """How `partition` (a name) takes part: (role, IPA of the region, doorbell
        SPI, peer's name), or None if it is not an end of this channel."""
        if partition == self.provider:
            ipa = self.provider_ipa
            return "provider", self.pa if ipa is None else ipa, self.provider_irq, self.consumer
        if partition == self.consumer:
            ipa = self.consumer_ipa
            return "consumer", self.pa if ipa is None else ipa, self.consumer_irq, self.provider
        return None


def vmbus_node(partition, channels):
    """The `vmbus` node of a partition's own device tree: what `bhconfig layout`
    writes (tools/layout.c, vmbus_node(); docs/vmbus.md, "In the partition's
    device tree"), property for property, for the channels `partition` (a
    name) is an end of; `index` counts them in the system tree's order."""
    mine = [(ch, side) for ch in channels if (side := ch.side(partition)) is not None]
    if not mine:
        return ""
    out = ["\tvmbus {", '\t\tcompatible = "bulkhead,vmbus-v1";',
           "\t\t#address-cells = <2>; #size-cells = <2>;", "\t\tranges;"]
    for index, (ch, (role, ipa, spi, peer)) in enumerate(mine):
        out += [f"\t\t{ch.name}@{ipa:x} {{", '\t\t\tcompatible = "bulkhead,channel-v1";',
                f"\t\t\treg = <{_cells(ipa)} {_cells(sum(ch.rings))}>;",
                f"\t\t\tring-sizes = <{_cells(ch.rings[0])} {_cells(ch.rings[1])}>;",
                f"\t\t\tinterrupts = <0 {spi} 1>;",  # an edge-triggered SPI
                f"\t\t\tindex = <{index}>;",
                f'\t\t\tinterface = "{ch.interface or ch.name}";',
                f'\t\t\trole = "{role}";', f'\t\t\tpeer = "{peer}";', "\t\t};"]
    return "\n".join(out + ["\t};", ""])


def partitions_node(partitions):
    """The `bulkhead-partitions` node of the root's own device tree: what
    `bhconfig layout` writes (tools/policy.c, policy_partitions_node();
    docs/binding.md, "Crash policy"), property for property: one node per
    child with its image names in binding order and its policy as declared."""
    out = ["\tbulkhead-partitions {", '\t\tcompatible = "bulkhead,partitions-v1";']
    for p in partitions:
        if p.root:
            continue
        names = ", ".join(f'"{node}"' for node, *_ in p.images())
        out += [f"\t\t{p.name} {{", f"\t\t\timages = {names};"]
        # A test may show the root another policy than the system's (`root_policy`).
        policy = getattr(p, "root_policy", p.policy)
        out += [f"\t\t\t{prop} = {_dts_value(value)};" for prop, value in policy]
        out += ["\t\t};"]
    return "\n".join(out + ["\t};", ""])


LINUX_DIR = "linux"  # build/linux/: the initramfs


def linux_kernel():
    """Debian's arm64 kernel Image, as downloaded by the build."""
    boot = os.path.join(harness.BUILD, "target", "linux-image", "boot")
    names = sorted(n for n in os.listdir(boot) if n.startswith("vmlinuz-")) \
        if os.path.isdir(boot) else []
    if not names:
        pytest.fail(f"no kernel in {boot}: run the tests with `make system-tests`")
    return os.path.join(boot, names[-1])


def linux_initramfs():
    path = os.path.join(harness.BUILD, LINUX_DIR, "initramfs.cpio")
    if not os.path.isfile(path):
        pytest.fail(f"{path} does not exist: run the tests with `make system-tests`")
    return path


GUEST_GIC = {
    3: ('compatible = "arm,gic-v3"; reg = <0x0 0x8000000 0x0 0x10000>, '
        '<0x0 0x80a0000 0x0 {redist:#x}>;'),
    2: ('compatible = "arm,cortex-a15-gic"; reg = <0x0 0x8000000 0x0 0x1000>, '
        '<0x0 0x8010000 0x0 0x2000>;'),
}


# QEMU virt's PL031, at its physical address: for a Linux root that has the
# board's other devices, so that its clock starts at the real time.
RTC_NODE = """	pl031@9010000 { compatible = "arm,pl031", "arm,primecell";
		reg = <0x0 0x09010000 0x0 0x1000>; interrupts = <0 2 4>;
		clocks = <&apb_pclk>; clock-names = "apb_pclk"; };
"""


def linux_guest_dts(p, gic, initrd_ipa, initrd_size, channels=(), partitions=()):
    """The device tree a Linux partition boots with: its memory, its vCPUs,
    PSCI over SMC, the GIC, the timer, its vuart as the console, the RTC if
    it has one, its VMBus channels among `channels` (the system's), and in
    the root the children among `partitions` (the system's) with their crash
    policies."""
    cpus = "".join(f'cpu@{i} {{ device_type = "cpu"; compatible = "arm,cortex-a72"; '
                   f'reg = <{i}>; enable-method = "psci"; }}; ' for i in range(len(p.cpus)))
    gic_props = GUEST_GIC[gic].format(redist=0x20000 * len(p.cpus))
    args = f"console=ttyAMA0 earlycon=pl011,0x{p.vuart:x} bulkhead.partition={p.name}"
    if p.bootargs:
        args += " " + p.bootargs
    return f"""/dts-v1/;
/ {{
	#address-cells = <2>; #size-cells = <2>;
	compatible = "linux,dummy-virt"; model = "Bulkhead partition {p.name}";
	interrupt-parent = <&gic>;
	chosen {{
		bootargs = "{args}";
		stdout-path = "/pl011@{p.vuart:x}";
		linux,initrd-start = <{_cells(initrd_ipa)}>;
		linux,initrd-end = <{_cells(initrd_ipa + initrd_size)}>;
	}};
	memory@{p.ipa:x} {{ device_type = "memory"; reg = <{_cells(p.ipa)} {_cells(p.mem)}>; }};
	cpus {{ #address-cells = <1>; #size-cells = <0>; {cpus}}};
	psci {{ compatible = "arm,psci-1.0", "arm,psci-0.2"; method = "smc"; }};
	gic: intc@8000000 {{ {gic_props} #interrupt-cells = <3>; interrupt-controller; }};
	timer {{ compatible = "arm,armv8-timer", "arm,armv7-timer"; always-on;
		interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>; }};
	apb_pclk: apb-pclk {{ compatible = "fixed-clock"; #clock-cells = <0>;
		clock-frequency = <24000000>; clock-output-names = "clk24mhz"; }};
	pl011@{p.vuart:x} {{ compatible = "arm,pl011", "arm,primecell";
		reg = <{_cells(p.vuart)} 0x0 0x1000>; interrupts = <0 1 4>;
		clocks = <&apb_pclk>, <&apb_pclk>; clock-names = "uartclk", "apb_pclk"; }};
{RTC_NODE if p.rtc else ""}{vmbus_node(p.name, channels)}\
{partitions_node(partitions) if p.root else ""}}};
"""


class LinuxPartition(Partition):
    """A partition running Debian's kernel with the project's initramfs.

    Its memory (default 256 MiB) is seen at IPA 0x40000000; the kernel loads
    at +2 MiB, the initramfs at +64 MiB, its device tree in the last 2 MiB
    (generated by write_dtb(), which build_system() calls).
    """

    def __init__(self, name, cpus, pa, root=False, mem=256 * MiB, bootargs=None,
                 vuart=0x09000000, rtc=False, files=None, **policy):
        """`rtc`: the board's PL031 in its tree (a root takes it with the other
        devices), so its clock starts at the real time. `files`: {path: host
        file} put into its initramfs for a test (write_dtb() appends a cpio
        archive of them to a copy of the initramfs: Linux unpacks both).
        `policy`: a child's crash policy, as Partition's keyword arguments."""
        super().__init__(name, "linux", cpus, root=root, mem=mem, pa=pa, bootargs=bootargs,
                         vuart=vuart, **policy)
        self.rtc = rtc
        self.files = files or {}
        self.initrd = None  # the initramfs it boots, set by write_dtb()

    def images(self):
        initrd = self.initrd or linux_initramfs()
        out = [("kernel", linux_kernel(), self.ipa + 2 * MiB, "linux"),
               ("initrd", initrd, self.ipa + 64 * MiB, "raw")]
        if self.dtb is not None:
            out.append(("dtb", self.dtb, self.ipa + self.mem - 2 * MiB, "dtb"))
        return out

    def _write_initrd(self, tmp_path):
        self.initrd = linux_initramfs()
        if not self.files:
            return
        dirs = sorted({os.path.dirname(path) for path in self.files} - {"/"})
        extra = os.path.join(str(tmp_path), self.name + "-files.cpio")
        harness.run([os.path.join(harness.BUILD, "host", "mkinitramfs"), "-o", extra]
                    + [f"dir:{d}:0755" for d in dirs]
                    + [f"file:{path}:0644:{host}" for path, host in self.files.items()])
        self.initrd = os.path.join(str(tmp_path), self.name + "-initramfs.cpio")
        with open(self.initrd, "wb") as out:
            for part in (linux_initramfs(), extra):
                with open(part, "rb") as f:
                    out.write(f.read())

    def write_dtb(self, tmp_path, gic, channels=(), partitions=()):
        """`channels`: all of the system's, in its tree's order (their PAs
        assigned); `partitions`: all of them, for the root's list of children
        (their own trees written first: the list names their "dtb" images)."""
        self._write_initrd(tmp_path)
        dts = os.path.join(str(tmp_path), self.name + "-linux.dts")
        self.dtb = dts[:-4] + ".dtb"
        with open(dts, "w", encoding="utf-8") as f:
            f.write(linux_guest_dts(self, gic, self.ipa + 64 * MiB, os.path.getsize(self.initrd),
                                    channels, partitions))
        harness.run([harness.find_tool("dtc"), "-q", "-I", "dts", "-O", "dtb", "-o", self.dtb,
                     dts])


def _cells(value):
    return f"0x{value >> 32:x} 0x{value & 0xffffffff:x}"


def system_dts(partitions, gic=3, images=None, channels=()):
    """The system device tree source; `images` maps (partition, image) -> (PA, size)."""
    lines = ["/dts-v1/;", f'/include/ "qemu-virt/qemu-virt-gicv{gic}.dtsi"', "", "/ {",
             "\tbulkhead {", '\t\tcompatible = "bulkhead,system-v1";',
             "\t\t#address-cells = <2>;", "\t\t#size-cells = <2>;"]
    for p in partitions:
        lines += ["", f"\t\t{p.name} {{", '\t\t\tcompatible = "bulkhead,partition-v1";']
        if p.root:
            lines.append("\t\t\troot;")
        lines.append("\t\t\tcpus = <" + " ".join(f"&cpu{c}" for c in p.cpus) + ">;")
        lines.append(f"\t\t\tmemory = <{_cells(p.ipa)} {_cells(p.pa)} {_cells(p.mem)}>;")
        if p.bootargs is not None:
            lines.append(f'\t\t\tbootargs = "{p.bootargs}";')
        if p.vuart is not None:
            lines.append(f"\t\t\tvuart = <{_cells(p.vuart)}>;")
        if p.devices:
            lines.append("\t\t\tdevices = <" + " ".join(f"&{d}" for d in p.devices) + ">;")
        if p.trusted_devices:
            lines.append("\t\t\ttrusted-devices = <" +
                         " ".join(f"&{d}" for d in p.trusted_devices) + ">;")
        if p.root and p.devices is None:
            lines.append("\t\t\tother-devices;")
        lines += [f"\t\t\t{line}" for line in p.policy_dts()]
        for node, _path, load, fmt in p.images():
            image_pa, image_size = images[(p.name, node)]
            lines += ["", f"\t\t\t{node} {{", '\t\t\t\tcompatible = "bulkhead,image-v1";',
                      f'\t\t\t\tformat = "{fmt}";',
                      f"\t\t\t\treg = <{_cells(image_pa)} {_cells(image_size)}>;",
                      f"\t\t\t\tload = <{_cells(load)}>;", "\t\t\t};"]
        lines.append("\t\t};")
    if channels:
        lines += ["", "\t\tvmbus {", '\t\t\tcompatible = "bulkhead,vmbus-v1";']
        for ch in channels:
            lines += ch.dts()
        lines.append("\t\t};")
    lines += ["\t};", "};", ""]
    return "\n".join(lines)


def build_system(tmp_path, partitions, gic=3, check=True, name="system", image_start=IMAGE_START,
                 channels=()):
    """Writes, checks and compiles a system; returns the extra QEMU arguments.

    check=False compiles with plain dtc instead of bhconfig, for trees the
    hypervisor itself must refuse.
    """
    next_pa = MEM_START
    for p in partitions:
        if p.pa is None:
            p.pa = next_pa
            next_pa += p.mem
    for i, ch in enumerate(channels):
        if ch.pa is None:
            ch.pa = CHANNEL_START + i * 0x10000
    images = {}
    loaders = []
    slot = image_start
    # After the channels' PAs (the vmbus node); the root last (it lists the others' images).
    for p in sorted(partitions, key=lambda p: p.root):
        if isinstance(p, LinuxPartition):
            p.write_dtb(tmp_path, gic, channels, partitions)
    for p in partitions:
        for node, path, _load, _fmt in p.images():
            size = os.path.getsize(path)
            if node == "app":
                # A bare-metal program's slot has room to grow, so that bhctl
                # load can put another guest there (QEMU's RAM after the file
                # is zero).
                size = (size + 64 * 1024 - 1) // (64 * 1024) * (64 * 1024)
            images[(p.name, node)] = (slot, size)
            loaders += ["-device", f"loader,file={path},addr=0x{slot:x},force-raw=on"]
            slot += (size + MiB - 1) // MiB * MiB

    dts = os.path.join(str(tmp_path), name + ".dts")
    dtb = os.path.join(str(tmp_path), name + ".dtb")
    with open(dts, "w", encoding="utf-8") as f:
        f.write(system_dts(partitions, gic, images, channels))
    boards = os.path.join(harness.REPO, "boards")
    if check:
        harness.run([bhconfig(), "--reserve", f"0x{DTB_ADDR:x}:0x{DTB_RESERVE:x}", "dtb", dts,
                     "-o", dtb])
    else:
        harness.run([harness.find_tool("dtc"), "-q", "-i", boards, "-I", "dts", "-O", "dtb",
                     "-o", dtb, dts])
    return ["-dtb", dtb] + loaders


def bhconfig_check(path, *options):
    """Runs `bhconfig check`; returns (exit status, output)."""
    res = subprocess.run([bhconfig(), *options, "check", path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
    return res.returncode, res.stdout
