// SPDX-License-Identifier: MIT
/*
 * Boot sequence on the boot CPU, MMU on: device tree -> board description ->
 * console, memory and GIC mappings -> banner -> secondary CPUs -> idle.
 */
#include <arch/arch.h>
#include <arch/gic.h>
#include <core/console.h>
#include <core/dt.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/printf.h>
#include <core/smp.h>
#include <core/string.h>
#include <generated/version.h>
#include <libfdt.h>

static struct dt_board board;
static struct gic_info gic_info;

static _Noreturn void refuse(const char *what, const char *detail)
{
	log_error("%s: %s", what, detail);
	log_error("Bulkhead cannot continue with this device tree. Halted.");
	arch_cpu_park();
}

/* The boot CPU becomes logical CPU 0; the others keep device-tree order. */
static void order_cpus(void)
{
	uint64_t self = arch_cpu_mpidr();
	int index = dt_cpu_index(&board, self);
	if (index < 0) {
		log_warn("/cpus: the boot CPU (MPIDR 0x%lx) is not listed; running on it alone",
			 self);
		board.cpus[0] = (struct dt_cpu){.mpidr = self, .enable = DT_CPU_ENABLE_NONE};
		board.cpu_count = 1;
		return;
	}
	struct dt_cpu boot = board.cpus[index];
	memmove(&board.cpus[1], &board.cpus[0], (size_t)index * sizeof(board.cpus[0]));
	board.cpus[0] = boot;
}

static void setup_console(void)
{
	if (board.uart.kind != DT_UART_PL011) {
		log_warn("no PL011 in the device tree: staying on the early console");
		return;
	}
	if (pa_addr(console_base()) == board.uart.reg.base) {
		return;
	}
	int rc = arch_map_device(pa_init(board.uart.reg.base), board.uart.reg.size);
	if (rc != BH_OK) {
		log_error("console %s: cannot map 0x%lx: %s", board.uart.path, board.uart.reg.base,
			  bh_strerror(rc));
		return;
	}
	log_info("console: switching to %s at 0x%lx", board.uart.path, board.uart.reg.base);
	console_use(CONSOLE_PL011, pa_init(board.uart.reg.base));
}

static void map_memory(void)
{
	for (unsigned i = 0; i < board.mem_count; i++) {
		int rc = arch_map_ram(pa_init(board.mem[i].base), board.mem[i].size);
		if (rc != BH_OK) {
			log_error("memory 0x%lx+0x%lx: cannot map: %s", board.mem[i].base,
				  board.mem[i].size, bh_strerror(rc));
		}
	}
}

static void probe_gic(char *out, size_t size)
{
	const struct dt_gic *gic = &board.gic;
	struct gic_info *info = &gic_info;

	if (gic->version == 0) {
		bh_snprintf(out, size, "none found in the device tree");
		return;
	}
	int rc = arch_map_device(pa_init(gic->dist.base), gic->dist.size);
	if (rc != BH_OK) {
		bh_snprintf(out, size, "v%u, cannot map GICD: %s", gic->version, bh_strerror(rc));
		return;
	}
	if (arch_gic_probe(gic->version, pa_init(gic->dist.base), info) != BH_OK) {
		log_warn("GIC: device tree says v%u (%s) but the distributor reports ArchRev %u",
			 gic->version, gic->compatible, info->arch_rev);
	}
	struct gic_desc desc = {
		.version = gic->version,
		.dist = pa_init(gic->dist.base),
		.redist = pa_init(gic->redist.base),
		.redist_size = gic->redist.size,
		.cpu = pa_init(gic->cpu.base),
		.hyp = pa_init(gic->hyp.base),
	};
	const struct dt_range *cpuif = gic->version == 3 ? &gic->redist : &gic->cpu;
	rc = arch_map_device(pa_init(cpuif->base), cpuif->size);
	if (rc == BH_OK && gic->version == 2) {
		rc = gic->hyp.size != 0 ? arch_map_device(desc.hyp, gic->hyp.size) : BH_ENOENT;
	}
	if (rc == BH_OK) {
		rc = arch_gic_init(&desc);
	}
	if (rc == BH_OK) {
		rc = arch_gic_init_cpu();
	}
	if (rc != BH_OK) {
		log_error("GIC: cannot set up the %s: %s; CPUs cannot be stopped remotely",
			  gic->version == 3 ? "redistributors" : "CPU interface", bh_strerror(rc));
	}
	if (gic->version == 3) {
		bh_snprintf(out, size, "v3 (%s) GICD 0x%lx GICR 0x%lx, %u interrupt lines",
			    gic->compatible, gic->dist.base, gic->redist.base, info->lines);
	} else {
		bh_snprintf(out, size,
			    "v2 (%s) GICD 0x%lx GICC 0x%lx GICH 0x%lx GICV 0x%lx, %u interrupt "
			    "lines",
			    gic->compatible, gic->dist.base, gic->cpu.base, gic->hyp.base,
			    gic->vcpu.base, info->lines);
	}
}

static void print_banner(const char *gic_line)
{
	char line[200];
	size_t n = 0;
	uint64_t total = 0;

	log_info("Bulkhead %s for %s", BULKHEAD_VERSION_STRING, CONFIG_BOARD_NAME);
	log_info("board: %s", board.model);
	log_info("CPU: %s at EL2, %u-bit physical addresses, counter %lu Hz", arch_cpu_model(),
		 arch_pa_bits(), arch_counter_freq());

	for (unsigned i = 0; i < board.cpu_count && n < sizeof(line); i++) {
		n += (size_t)bh_snprintf(line + n, sizeof(line) - n, " 0x%lx", board.cpus[i].mpidr);
	}
	log_info("CPUs found: %u (MPIDR%s)%s", board.cpu_count, line,
		 board.cpus_skipped > 0 ? ", more listed than CONFIG_MAX_CPUS" : "");
	for (unsigned i = 0; i < board.mem_count; i++) {
		total += board.mem[i].size;
	}
	log_info("memory found: %lu MiB in %u range(s)", (total >> 20), board.mem_count);
	for (unsigned i = 0; i < board.mem_count; i++) {
		log_info("  RAM      0x%010lx-0x%010lx (%lu MiB)", board.mem[i].base,
			 (board.mem[i].base + board.mem[i].size - 1), (board.mem[i].size >> 20));
	}
	/* The last one is the tree itself (bulkhead_main): say which is which. */
	for (unsigned i = 0; i < board.reserved_count; i++) {
		log_info("  reserved 0x%010lx-0x%010lx %s", board.reserved[i].base,
			 (board.reserved[i].base + board.reserved[i].size - 1),
			 i + 1 == board.reserved_count ? "(this device tree)" : "(firmware)");
	}
	log_info("  Bulkhead 0x%010lx-0x%010lx (%lu KiB)", pa_addr(arch_image_start()),
		 pa_addr(arch_image_end()) - 1,
		 ((pa_addr(arch_image_end()) - pa_addr(arch_image_start())) >> 10));
	log_info("GIC: %s", gic_line);
	log_info("console: PL011 at 0x%lx", pa_addr(console_base()));
}

/* Test hooks: bulkhead.crash=<kind>, bulkhead.exit=poweroff|reboot. */
static void run_boot_actions(void)
{
	char value[32];

	if (dt_bootarg(board.bootargs, "bulkhead.crash", value, sizeof(value))) {
		log_info("bulkhead.crash=%s: taking a deliberate exception", value);
		arch_crash_test(value);
	}
	if (dt_bootarg(board.bootargs, "bulkhead.exit", value, sizeof(value))) {
		if (strcmp(value, "poweroff") == 0) {
			log_info("bulkhead.exit=poweroff: powering off");
			smp_stop_others();
			arch_system_off();
		} else if (strcmp(value, "reboot") == 0) {
			log_info("bulkhead.exit=reboot: rebooting");
			smp_stop_others();
			arch_system_reset();
		}
		log_warn("bulkhead.exit=%s: unknown action (poweroff, reboot)", value);
	}
}

_Noreturn void bulkhead_main(paddr_t dtb)
{
	const void *fdt = pa_to_ptr(dtb);
	struct dt_error err = {{0}};
	char gic_line[160];
	uint32_t psci_version = 0;

	log_enable_locking();

	if (dt_check_blob(fdt, DTB_MAX_SIZE, &err) != BH_OK) {
		char where[48];
		bh_snprintf(where, sizeof(where), "device tree at 0x%lx", pa_addr(dtb));
		refuse(where, err.msg);
	}
	if (dt_parse_board(fdt, &board, &err) != BH_OK) {
		refuse("device tree", err.msg);
	}
	order_cpus();
	/* The device tree stays where it is: no partition may be given its memory. */
	if (board.reserved_count == DT_MAX_RESERVED) {
		refuse("device tree", "more reserved memory ranges than DT_MAX_RESERVED, none left "
				      "to keep the device tree itself out of the partitions");
	}
	board.reserved[board.reserved_count++] =
		(struct dt_range){pa_addr(dtb), fdt_totalsize(fdt)};
	setup_console();
	map_memory();
	probe_gic(gic_line, sizeof(gic_line));

	/* What was found goes out first: an SMC with no EL3 firmware behind it never returns. */
	print_banner(gic_line);
	if (board.psci == DT_PSCI_SMC) {
		log_info("probing PSCI over SMC (TF-A bl31): if nothing follows, bl31 was not "
			 "loaded (docs/boot.md)");
		psci_version = arch_psci_version();
		log_info("PSCI: %u.%u via SMC", psci_version >> 16, psci_version & 0xffff);
	} else if (board.psci == DT_PSCI_HVC) {
		log_warn("/psci: method \"hvc\" cannot be used from EL2 (it would call Bulkhead "
			 "itself); PSCI disabled");
	} else {
		log_info("PSCI: none in the device tree");
	}

	unsigned online = smp_boot(&board, psci_version != 0);
	log_info("%u of %u CPUs online", online, board.cpu_count);

	run_boot_actions();
	if (fdt_path_offset(fdt, "/bulkhead") < 0) {
		log_warn("no /bulkhead node: booted without the system (not by boot.scr? "
			 "docs/boot.md)");
	}
	partitions_boot(fdt, &board, gic_info.lines);
	/* The counter starts at power-on on QEMU: the boot's cost, exact under -icount. */
	uint64_t now_us = smp_counter_us(arch_counter());
	log_info("boot complete, counter at %lu.%03lu ms", (now_us / 1000), (now_us % 1000));
	smp_idle();
}
