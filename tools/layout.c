// SPDX-License-Identifier: MIT
/*
 * bhconfig layout: turns a system device tree whose images name host files
 * (`file = "path"`) into one a boot loader can run:
 *   - every image gets `reg = <PA size>`: the files are laid out one after
 *     the other from --images BASE, each 2 MiB aligned;
 *   - every `format = "dtb"` image without a file gets a generated device
 *     tree for its partition (docs/linux.md): memory, vCPUs, PSCI, the GIC
 *     where the hypervisor emulates it, the timer, the vuart as the console,
 *     the passthrough devices, /chosen with bootargs and the initramfs, its
 *     VMBus channels, and in the root's the children with their crash policy
 *     (/bulkhead-partitions, tools/policy.c);
 *   - the result is checked with the hypervisor's parser (and the crash
 *     policy with bhconfig's own checks) and written to
 *     OUTDIR/system.dtb, with OUTDIR/qemu.args (one -device loader per image)
 *     and OUTDIR/boot.cmd (the same files loaded by U-Boot).
 * Generating the partition trees here, not at EL2, keeps libfdt's write side
 * and all this policy out of the hypervisor, which only checks a tree's header.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <core/config.h>
#include <core/fdt_util.h>

#include "layout.h"
#include "policy.h"

#define GUEST_DTB_SIZE 0x10000 /* what a generated tree may take: its `reg` size */
#define IMAGE_ALIGN    MiB(2)

int layout_say(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bhconfig layout: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void set_reg(void *fdt, int node, int ac, int sc, paddr_t pa, uint64_t size)
{
	fdt32_t cells[4];
	int n = 0;
	if (ac == 2) {
		cells[n++] = cpu_to_fdt32((uint32_t)(pa_addr(pa) >> 32));
	}
	cells[n++] = cpu_to_fdt32((uint32_t)pa_addr(pa));
	if (sc == 2) {
		cells[n++] = cpu_to_fdt32((uint32_t)(size >> 32));
	}
	cells[n++] = cpu_to_fdt32((uint32_t)size);
	fdt_setprop(fdt, node, "reg", cells, n * 4);
}

/* /bulkhead's #address-cells or #size-cells: 1 or 2 (absent: 2), 0 if neither. */
static int cells_of(const void *fdt, int node, const char *name)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
	uint32_t cells = v != NULL && len == 4 ? fdt32_ld(v) : v != NULL ? 0 : 2;
	return cells == 1 || cells == 2 ? (int)cells : 0;
}

/* Copies a node's properties (not its children) into the tree being written. */
void layout_copy_props(void *out, const void *fdt, int node, const char *const *skip)
{
	int prop;
	fdt_for_each_property_offset(prop, fdt, node)
	{
		const char *name;
		int len;
		const void *val = fdt_getprop_by_offset(fdt, prop, &name, &len);
		bool skipped = false;
		for (unsigned i = 0; skip != NULL && skip[i] != NULL; i++) {
			skipped |= strcmp(name, skip[i]) == 0;
		}
		if (!skipped) {
			fdt_property(out, name, val, len);
		}
	}
}

/* libfdt's fdt_property_string() trips -Wconversion (strlen to int). */
static void prop_string(void *out, const char *name, const char *value)
{
	fdt_property(out, name, value, (int)strlen(value) + 1);
}

static void prop_cells(void *out, const char *name, const uint64_t *values, int count)
{
	fdt32_t cells[16];
	for (int i = 0; i < count && i < 8; i++) {
		cells[2 * i] = cpu_to_fdt32((uint32_t)(values[i] >> 32));
		cells[2 * i + 1] = cpu_to_fdt32((uint32_t)values[i]);
	}
	fdt_property(out, name, cells, count * 8);
}

/* The partition's VMBus channels (docs/vmbus.md, "In the partition's device tree"). */
void layout_vmbus_node(void *buf, const struct config *cfg, const struct config_partition *p)
{
	char name[64];
	if (p->channel_count == 0) {
		return;
	}
	fdt_begin_node(buf, "vmbus");
	prop_string(buf, "compatible", "bulkhead,vmbus-v1");
	fdt_property_u32(buf, "#address-cells", 2);
	fdt_property_u32(buf, "#size-cells", 2);
	fdt_property(buf, "ranges", NULL, 0);
	for (unsigned i = 0; i < p->channel_count; i++) {
		const struct config_channel *ch = &cfg->channels[p->channels[i]];
		unsigned side = config_channel_side(ch, p->id);
		const struct config_channel_end *e = &ch->end[side];
		uint64_t reg[2] = {ipa_addr(e->ipa), ch->size};
		fdt32_t irq[3] = {cpu_to_fdt32(0), cpu_to_fdt32(e->irq - 32), cpu_to_fdt32(1)};
		snprintf(name, sizeof(name), "%s@%llx", ch->name, (unsigned long long)reg[0]);
		fdt_begin_node(buf, name);
		prop_string(buf, "compatible", "bulkhead,channel-v1");
		prop_cells(buf, "reg", reg, 2);
		prop_cells(buf, "ring-sizes", ch->ring_size, 2);
		/* Edge-triggered: a doorbell is an event. `index` is its number in the hypercalls.
		 */
		fdt_property(buf, "interrupts", irq, sizeof(irq));
		fdt_property_u32(buf, "index", i);
		prop_string(buf, "interface", ch->interface);
		prop_string(buf, "role", side == SIDE_PROVIDER ? "provider" : "consumer");
		prop_string(buf, "peer", cfg->partitions[ch->end[1 - side].partition].name);
		fdt_end_node(buf);
	}
	fdt_end_node(buf);
}

/*
 * The vuart's node copies the board's PL011, whose clocks are fixed clocks at the top (copied
 * too) on QEMU, but the clock controller and pins on the RPi4 (none at all in its board
 * file), which a partition's own tree does not have. Then it gets a fixed clock of its own
 * (Linux's driver needs one; the vuart ignores the rate): its phandle, or 0 when the board's
 * clocks do.
 */
static uint32_t vuart_clock(void *buf, const void *fdt, int uart)
{
	int len, ok = 1;
	const fdt32_t *clocks = fdt_getprop(fdt, uart, "clocks", &len);
	for (int i = 0; clocks != NULL && i < len / 4; i++) {
		int clk = dt_node_of_phandle(fdt, fdt32_ld(&clocks[i]));
		ok &= clk >= 0 && fdt_parent_offset(fdt, clk) == 0 &&
		      dt_compatible(fdt, clk, "fixed-clock");
	}
	if (clocks != NULL && ok && fdt_getprop(fdt, uart, "pinctrl-0", NULL) == NULL) {
		return 0;
	}
	uint32_t phandle = fdt_get_max_phandle(fdt) + 1;
	fdt_begin_node(buf, "vuart-clock");
	prop_string(buf, "compatible", "fixed-clock");
	fdt_property_u32(buf, "#clock-cells", 0);
	fdt_property_u32(buf, "clock-frequency", 48000000);
	fdt_property_u32(buf, "phandle", phandle);
	fdt_end_node(buf);
	return phandle;
}

/* The device tree partition `p` boots with (docs/linux.md says what is in it). */
static int guest_tree(const void *fdt, const struct dt_board *board, const struct config *cfg,
		      const struct config_partition *p, const char *path)
{
	static char buf[GUEST_DTB_SIZE];
	char name[64], args[BH_BOOTARGS_MAX + 64];
	int gic = dt_find_compatible(fdt, -1, board->gic.compatible);
	int timer = dt_find_compatible(fdt, -1, "arm,armv8-timer");
	int cpu0 = fdt_path_offset(fdt, "/cpus");
	uint32_t gic_phandle = gic >= 0 ? fdt_get_phandle(fdt, gic) : 0;

	cpu0 = cpu0 >= 0 ? fdt_first_subnode(fdt, cpu0) : cpu0;
	if (gic < 0 || gic_phandle == 0) {
		return layout_say("the board's GIC node (%s) is missing or has no phandle",
				  board->gic.compatible);
	}
	fdt_create(buf, sizeof(buf));
	fdt_finish_reservemap(buf);
	fdt_begin_node(buf, "");
	fdt_property_u32(buf, "#address-cells", 2);
	fdt_property_u32(buf, "#size-cells", 2);
	prop_string(buf, "compatible", "linux,dummy-virt");
	snprintf(name, sizeof(name), "Bulkhead partition %s", p->name);
	prop_string(buf, "model", name);
	fdt_property_u32(buf, "interrupt-parent", gic_phandle);

	fdt_begin_node(buf, "chosen");
	/* Linux's init learns its partition's name from its command line (docs/linux.md); a
	   bare-metal program gets its bootargs as written. */
	bool linux = p->images[p->entry_image].format == IMAGE_LINUX;
	snprintf(args, sizeof(args), "%s%s%s%s", p->bootargs,
		 linux && p->bootargs[0] != '\0' ? " " : "", linux ? "bulkhead.partition=" : "",
		 linux ? p->name : "");
	prop_string(buf, "bootargs", args);
	if (p->has_vuart) {
		snprintf(name, sizeof(name), "/pl011@%llx",
			 (unsigned long long)ipa_addr(p->vuart_ipa));
		prop_string(buf, "stdout-path", name);
	}
	for (unsigned k = 0; k < p->image_count; k++) {
		if (strcmp(p->images[k].name, "initrd") == 0) {
			uint64_t start = ipa_addr(p->images[k].load_ipa);
			uint64_t end = start + p->images[k].size;
			prop_cells(buf, "linux,initrd-start", &start, 1);
			prop_cells(buf, "linux,initrd-end", &end, 1);
		}
	}
	fdt_end_node(buf);

	for (unsigned m = 0; m < p->mem_count; m++) {
		uint64_t reg[2] = {ipa_addr(p->mem[m].ipa), p->mem[m].size};
		snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)reg[0]);
		fdt_begin_node(buf, name);
		prop_string(buf, "device_type", "memory");
		prop_cells(buf, "reg", reg, 2);
		fdt_end_node(buf);
	}

	fdt_begin_node(buf, "cpus");
	fdt_property_u32(buf, "#address-cells", 1);
	fdt_property_u32(buf, "#size-cells", 0);
	for (unsigned i = 0; i < p->cpu_count; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		fdt_begin_node(buf, name);
		prop_string(buf, "device_type", "cpu");
		const char *compat =
			cpu0 >= 0 ? fdt_stringlist_get(fdt, cpu0, "compatible", 0, NULL) : NULL;
		prop_string(buf, "compatible", compat != NULL ? compat : "arm,armv8");
		fdt_property_u32(buf, "reg", i); /* vCPU i is MPIDR Aff0 = i */
		prop_string(buf, "enable-method", "psci");
		fdt_end_node(buf);
	}
	fdt_end_node(buf);

	fdt_begin_node(buf, "psci");
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
	fdt_property(buf, "compatible", psci_compat, sizeof(psci_compat));
	prop_string(buf, "method", "smc");
	fdt_end_node(buf);

	/* The GIC where the hypervisor emulates it: the board's addresses. */
	fdt_begin_node(buf, fdt_get_name(fdt, gic, NULL));
	static const char *const gic_skip[] = {
		"reg", "interrupts", "ranges", "#address-cells", "#size-cells", NULL};
	layout_copy_props(buf, fdt, gic, gic_skip);
	uint64_t gic_reg[4] = {board->gic.dist.base, GIC_DIST_SIZE, 0, 0};
	if (board->gic.version == 3) {
		gic_reg[2] = board->gic.redist.base;
		gic_reg[3] = (uint64_t)p->cpu_count * 0x20000;
	} else {
		gic_reg[1] = 0x1000;
		gic_reg[2] = board->gic.cpu.base;
		gic_reg[3] = GICV2_CPUIF_SIZE;
	}
	prop_cells(buf, "reg", gic_reg, 4);
	fdt_end_node(buf);

	if (timer >= 0) {
		fdt_begin_node(buf, "timer");
		layout_copy_props(buf, fdt, timer, NULL);
		fdt_end_node(buf);
	}
	/* Fixed clocks at the top level: the PL011 and PrimeCell devices name them. */
	int node;
	fdt_for_each_subnode(node, fdt, 0)
	{
		if (dt_compatible(fdt, node, "fixed-clock")) {
			fdt_begin_node(buf, fdt_get_name(fdt, node, NULL));
			layout_copy_props(buf, fdt, node, NULL);
			fdt_end_node(buf);
		}
	}
	int uart = board->uart.path[0] != '\0' ? fdt_path_offset(fdt, board->uart.path) : -1;
	uint32_t own_clock = p->has_vuart && uart >= 0 ? vuart_clock(buf, fdt, uart) : 0;
	if (p->has_vuart && uart >= 0) {
		uint64_t reg[2] = {ipa_addr(p->vuart_ipa), 0x1000};
		fdt32_t irq[3] = {cpu_to_fdt32(0), cpu_to_fdt32(p->vuart_irq - 32),
				  cpu_to_fdt32(4)};
		snprintf(name, sizeof(name), "pl011@%llx", (unsigned long long)reg[0]);
		fdt_begin_node(buf, name);
		static const char *const uart_skip[] = {"reg", "interrupts", "phandle", NULL};
		static const char *const uart_skip_clocks[] = {
			"reg",		 "interrupts", "phandle",   "clocks",	     "clock-names",
			"pinctrl-names", "pinctrl-0",  "pinctrl-1", "power-domains", NULL};
		layout_copy_props(buf, fdt, uart, own_clock != 0 ? uart_skip_clocks : uart_skip);
		if (own_clock != 0) {
			static const char clock_names[] = "uartclk\0apb_pclk";
			fdt32_t clocks[2] = {cpu_to_fdt32(own_clock), cpu_to_fdt32(own_clock)};
			fdt_property(buf, "clocks", clocks, sizeof(clocks));
			fdt_property(buf, "clock-names", clock_names, sizeof(clock_names));
		}
		prop_cells(buf, "reg", reg, 2);
		fdt_property(buf, "interrupts", irq, sizeof(irq));
		fdt_end_node(buf);
	}
	for (unsigned d = 0; d < p->device_count; d++) {
		int dev = p->devices[d].node;
		fdt_begin_node(buf, fdt_get_name(fdt, dev, NULL));
		layout_copy_props(buf, fdt, dev, NULL); /* as the board has it: IPA = PA */
		fdt_end_node(buf);
	}
	layout_vmbus_node(buf, cfg, p);
	if (p->is_root) {
		policy_partitions_node(buf, fdt, cfg); /* what the management service manages */
	}
	fdt_end_node(buf);
	if (fdt_finish(buf) != 0) {
		return layout_say("%s: the partition's device tree does not fit in 64 KiB", path);
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, sizeof(buf), f) != sizeof(buf) || fclose(f) != 0) {
		return layout_say("%s: %s", path, strerror(errno));
	}
	return 0;
}

/* Entry `index` of a property of `width`-cell tuples, the i-th number `cells[i]` cells wide. */
static bool read_tuple(const void *fdt, int node, const char *name, const int *cells, int width,
		       int index, uint64_t *out)
{
	int len, stride = 0;
	const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
	for (int i = 0; i < width; i++) {
		stride += cells[i];
	}
	if (v == NULL || len % (stride * 4) != 0 || index >= len / (stride * 4)) {
		return false; /* absent or malformed: config_parse() says what is wrong */
	}
	v += index * stride;
	for (int i = 0; i < width; i++) {
		out[i] = dt_read_cells(v, cells[i]);
		v += cells[i];
	}
	return true;
}

/*
 * The room a file has in its partition: from `load` to the end of the memory region holding it,
 * or to the next image's `load` in the same partition, whichever comes first. A file that does
 * not fit is named with both sizes; a `load` in no region is config_parse()'s to report.
 */
static int check_slot(const void *fdt, int part, int img, const struct layout_image *p, int ac,
		      int sc, struct dt_error *err)
{
	const int load_cells[1] = {ac}, mem_cells[3] = {ac, ac, sc};
	uint64_t load, m[3], other, end = 0;
	const char *limit = "";
	char what[160];
	int sibling;

	if (!read_tuple(fdt, img, "load", load_cells, 1, 0, &load)) {
		return BH_OK;
	}
	for (int i = 0; read_tuple(fdt, part, "memory", mem_cells, 3, i, m); i++) {
		if (load >= m[0] && load - m[0] < m[2]) {
			end = m[0] + m[2];
			snprintf(what, sizeof(what), "the end of memory[%d]", i);
		}
	}
	if (end == 0) {
		return BH_OK;
	}
	fdt_for_each_subnode(sibling, fdt, part)
	{
		if (sibling != img && read_tuple(fdt, sibling, "load", load_cells, 1, 0, &other) &&
		    other > load && other < end) {
			end = other;
			snprintf(what, sizeof(what), "%s's load", fdt_get_name(fdt, sibling, NULL));
		}
	}
	limit = what;
	if (p->size <= end - load) {
		return BH_OK;
	}
	return dt_fail(err, fdt, img, BH_ERANGE,
		       "file '%s' is 0x%llx bytes, but load IPA 0x%llx has 0x%llx up to %s (IPA "
		       "0x%llx)",
		       p->file, (unsigned long long)p->size, (unsigned long long)load,
		       (unsigned long long)(end - load), limit, (unsigned long long)end);
}

/*
 * What the hypervisor checks once a file is in memory (check_image()), checked
 * now: an arm64 Image's magic for format "linux", a whole device tree walk for
 * format "dtb". A wrong file is then named at `check`, not by a partition that
 * does not start. A kernel is read only as far as its magic.
 */
static int check_file_format(const void *fdt, int img, const char *file, const char *format,
			     uint64_t size, struct dt_error *err)
{
	const size_t head = LINUX_IMAGE_MAGIC_OFFSET + sizeof(uint32_t);
	bool linux = strcmp(format, "linux") == 0, dtb = strcmp(format, "dtb") == 0;
	if (!linux && !dtb) {
		return BH_OK;
	}
	size_t want = linux ? (size < head ? (size_t)size : head) : (size_t)size;
	FILE *f = fopen(file, "rb");
	void *buf = malloc(want);
	size_t got = f != NULL && buf != NULL ? fread(buf, 1, want, f) : 0;
	if (f != NULL) {
		fclose(f);
	}
	uint32_t magic = 0;
	if (linux && got == head) {
		memcpy(&magic, (char *)buf + LINUX_IMAGE_MAGIC_OFFSET, sizeof(magic));
	}
	int rc = BH_OK;
	if (got != want) {
		rc = dt_fail(err, fdt, img, BH_EIO, "file '%s': cannot read it", file);
	} else if (linux && magic != LINUX_IMAGE_MAGIC) {
		rc = dt_fail(err, fdt, img, BH_EINVAL,
			     "file '%s' is not an arm64 Linux Image (no \"ARM\\x64\" at byte 56), "
			     "but format is \"linux\"",
			     file);
	} else if (dtb) {
		struct dt_error blob_err;
		if (dt_check_blob(buf, want, &blob_err) != BH_OK) {
			rc = dt_fail(err, fdt, img, BH_EINVAL, "file '%s' (format \"dtb\"): %s",
				     file, blob_err.msg);
		}
	}
	free(buf);
	return rc;
}

/* The images to place, with their sizes: files that exist, and the trees to generate. */
static int collect(const void *fdt, const struct layout_args *a, struct layout_image *list,
		   unsigned *count, struct dt_error *err)
{
	int system = fdt_path_offset(fdt, "/bulkhead");
	int ac = cells_of(fdt, system, "#address-cells");
	int sc = cells_of(fdt, system, "#size-cells");
	int part, img;

	fdt_for_each_subnode(part, fdt, system)
	{
		if (config_is_vmbus_node(fdt, part)) {
			continue; /* channels, not a partition */
		}
		fdt_for_each_subnode(img, fdt, part)
		{
			struct layout_image *p = &list[*count];
			const char *file = NULL, *format = "";
			size_t len;
			struct stat st;
			if (*count == LAYOUT_MAX_IMAGES) {
				return dt_fail(err, fdt, img, BH_ENOMEM, "more than %d images",
					       LAYOUT_MAX_IMAGES);
			}
			memset(p, 0, sizeof(*p));
			errno = 0;
			fdt_get_path(fdt, img, p->path, sizeof(p->path));
			if (dt_get_string(fdt, img, "file", &file, &len) == BH_EINVAL) {
				return dt_fail(err, fdt, img, BH_EINVAL,
					       "file: not a single string");
			}
			dt_get_string(fdt, img, "format", &format,
				      &len); /* config_parse checks it */
			bool has_reg = fdt_getprop(fdt, img, "reg", NULL) != NULL;
			if (file == NULL && strcmp(format, "dtb") == 0 &&
			    (a->generate_all || !has_reg)) {
				p->generate = true;
				p->size = GUEST_DTB_SIZE;
			} else if (file == NULL) {
				continue; /* placed by hand: reg is already there */
			} else if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
				const char *why =
					errno != 0 ? strerror(errno) : "not a regular file";
				return dt_fail(
					err, fdt, img, BH_ENOENT,
					"file '%s': %s (paths are from the current directory)",
					file, why);
			} else if (st.st_size == 0) {
				return dt_fail(err, fdt, img, BH_EINVAL, "file '%s' is empty",
					       file);
			} else {
				snprintf(p->file, sizeof(p->file), "%s", file);
				p->size = (uint64_t)st.st_size;
				int rc = check_slot(fdt, part, img, p, ac, sc, err);
				if (rc == BH_OK) {
					rc = check_file_format(fdt, img, file, format, p->size,
							       err);
				}
				if (rc != BH_OK) {
					return rc;
				}
			}
			(*count)++;
		}
	}
	return BH_OK;
}

/* PA ranges the images must keep clear of, as far as the raw tree tells. */
static unsigned taken_ranges(const void *fdt, const struct dt_board *board,
			     const struct layout_args *a, const struct layout_image *list,
			     unsigned count, struct dt_range *out, unsigned max)
{
	int system = fdt_path_offset(fdt, "/bulkhead");
	const int ac = cells_of(fdt, system, "#address-cells");
	const int mem_cells[3] = {ac, ac, cells_of(fdt, system, "#size-cells")};
	unsigned n = 0;
	uint64_t v[3];
	int node, sub;

	out[n++] = (struct dt_range){pa_addr(a->hyp.base), a->hyp.size};
	for (unsigned i = 0; i < board->reserved_count && n < max; i++) {
		out[n++] = board->reserved[i];
	}
	fdt_for_each_subnode(node, fdt, system)
	{
		for (int i = 0; n < max && read_tuple(fdt, node, "memory", mem_cells, 3, i, v);
		     i++) {
			out[n++] = (struct dt_range){v[1], v[2]};
		}
		fdt_for_each_subnode(sub, fdt, node)
		{
			char path[128];
			bool placed = false;
			fdt_get_path(fdt, sub, path, sizeof(path));
			for (unsigned i = 0; i < count; i++) {
				placed |= strcmp(list[i].path, path) == 0;
			}
			/* Hand-placed images and channels (vmbus's children) have a reg. */
			if (!placed && n < max &&
			    read_tuple(fdt, sub, "reg", mem_cells + 1, 2, 0, v)) {
				out[n++] = (struct dt_range){v[0], v[1]};
			}
		}
	}
	return n;
}

/* The lowest 2 MiB aligned base in RAM from which `span` bytes touch nothing taken. */
static bool auto_base(const struct dt_board *board, const struct dt_range *taken, unsigned n,
		      uint64_t span, uint64_t *base)
{
	bool found = false;
	for (unsigned r = 0; r < board->mem_count; r++) {
		uint64_t ram_end = board->mem[r].base + board->mem[r].size;
		/* Candidates: the start of RAM and the end of everything taken. */
		for (unsigned c = 0; c <= n; c++) {
			uint64_t at = ALIGN_UP(c == n ? board->mem[r].base
						      : taken[c].base + taken[c].size,
					       IMAGE_ALIGN);
			bool clear = at >= board->mem[r].base && at < ram_end &&
				     span <= ram_end - at && (!found || at < *base);
			for (unsigned t = 0; clear && t < n; t++) {
				clear = taken[t].base >= at + span ||
					taken[t].base + taken[t].size <= at;
			}
			if (clear) {
				*base = at;
				found = true;
			}
		}
	}
	return found;
}

int layout_place(void *fdt, const struct dt_board *board, const struct layout_args *a,
		 struct layout_image *list, unsigned *count, struct dt_error *err)
{
	int system = fdt_path_offset(fdt, "/bulkhead");
	static struct dt_range taken[DT_MAX_RESERVED + 4 * LAYOUT_MAX_IMAGES];
	uint64_t base = a->image_base, span = 0;
	int rc;

	*count = 0;
	if (system < 0 || cells_of(fdt, system, "#address-cells") == 0 ||
	    cells_of(fdt, system, "#size-cells") == 0) {
		return BH_OK; /* nothing to place, or numbers config_parse() refuses */
	}
	if ((rc = collect(fdt, a, list, count, err)) != BH_OK) {
		return rc;
	}
	for (unsigned i = 0; i < *count; i++) {
		span = ALIGN_UP(span + list[i].size, IMAGE_ALIGN);
	}
	if (*count != 0 && base == LAYOUT_AUTO_BASE) {
		unsigned n = taken_ranges(fdt, board, a, list, *count, taken, ARRAY_SIZE(taken));
		if (!auto_base(board, taken, n, span, &base)) {
			return dt_fail(
				err, fdt, system, BH_ENOMEM,
				"no free RAM takes the %u image(s) to place (0x%llx bytes, 2 MiB "
				"aligned): --images BASE places them by hand",
				*count, (unsigned long long)span);
		}
	}
	int ac = cells_of(fdt, system, "#address-cells");
	int sc = cells_of(fdt, system, "#size-cells");
	paddr_t next = pa_init(base);
	for (unsigned i = 0; i < *count; i++) {
		int node = fdt_path_offset(fdt, list[i].path);
		list[i].pa = next;
		next = pa_init(ALIGN_UP(pa_addr(next) + list[i].size, IMAGE_ALIGN));
		set_reg(fdt, node, ac, sc, list[i].pa, list[i].size);
		fdt_delprop(fdt, fdt_path_offset(fdt, list[i].path), "file");
	}
	return BH_OK;
}

int layout_system(char *fdt, size_t size, struct layout_args *a)
{
	static struct layout_image list[LAYOUT_MAX_IMAGES];
	unsigned count = 0;
	size_t room = size + LAYOUT_ROOM;
	char *buf = malloc(room);
	struct dt_board board;
	struct dt_error err;
	static struct config cfg;
	char path[600];
	int rc;

	a->generate_all = true;
	if (buf == NULL || fdt_open_into(fdt, buf, (int)room) != 0) {
		return layout_say("cannot open the tree");
	}
	if (dt_check_blob(buf, room, &err) != BH_OK || dt_parse_board(buf, &board, &err) != BH_OK) {
		return layout_say("board: %s", err.msg);
	}
	/* The RPi4's loader zones are known (tools/layout_rpi4.c); QEMU's tree goes where told. */
	const struct layout_board *lb = layout_board_of(buf);
	if (lb == NULL && a->reserve_count == 0) {
		return layout_say(
			"--reserve BASE:SIZE is needed: where the boot loader puts the system "
			"tree (QEMU -kernel with 1 GiB: 0x48000000:2M)");
	}
	if (lb != NULL && pa_addr(a->hyp.base) != lb->hyp_base) {
		return layout_say("on %s, boot.scr loads Bulkhead at 0x%llx: use --hyp 0x%llx:4M",
				  lb->compatible, (unsigned long long)lb->hyp_base,
				  (unsigned long long)lb->hyp_base);
	}
	a->dtb_addr = lb != NULL ? lb->dtb_base : a->reserve[0].base;
	layout_board_zones(buf, &board);
	for (unsigned i = 0; i < a->reserve_count && board.reserved_count < DT_MAX_RESERVED; i++) {
		board.reserved[board.reserved_count++] = a->reserve[i];
	}
	if (fdt_path_offset(buf, "/bulkhead") < 0) {
		return layout_say("no /bulkhead node");
	}
	if (layout_place(buf, &board, a, list, &count, &err) != BH_OK) {
		return layout_say("%s", err.msg);
	}
	if (lb != NULL && (rc = layout_check_zones(buf, lb)) != 0) {
		return rc;
	}
	if (config_parse(buf, &board, board_limits(buf, &board, a->hyp, a->pa_bits, a->gic_lines),
			 &cfg, &err) != BH_OK ||
	    policy_check(buf, &cfg, &err) != BH_OK) {
		return layout_say("%s", err.msg);
	}
	if (lb != NULL && (rc = layout_check_board(buf, a)) != 0) {
		return rc;
	}
	for (unsigned i = 0; i < count; i++) {
		if (!list[i].generate) {
			continue;
		}
		const char *slash = strrchr(list[i].path, '/');
		char part_path[128];
		snprintf(part_path, sizeof(part_path), "%.*s", (int)(slash - list[i].path),
			 list[i].path);
		for (unsigned j = 0; j < cfg.partition_count; j++) {
			if (strcmp(cfg.partitions[j].path, part_path) == 0) {
				snprintf(list[i].file, sizeof(list[i].file), "%s/%s.dtb", a->outdir,
					 cfg.partitions[j].name);
				/* Board devices need the board's own tree around them. */
				rc = lb != NULL && cfg.partitions[j].device_count > 0
					     ? layout_board_tree(buf, a, cfg.partitions[j].name,
								 list[i].file, GUEST_DTB_SIZE)
					     : guest_tree(buf, &board, &cfg, &cfg.partitions[j],
							  list[i].file);
				if (rc != 0) {
					return rc;
				}
			}
		}
	}
	fdt_pack(buf);
	snprintf(path, sizeof(path), "%s/system.dtb", a->outdir);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, fdt_totalsize(buf), f) != fdt_totalsize(buf) ||
	    fclose(f) != 0) {
		return layout_say("%s: %s", path, strerror(errno));
	}
	if (lb != NULL) {
		if ((rc = layout_rpi4_boot(buf, lb, a, list, count)) != 0) {
			return rc;
		}
		printf("laid out %u image(s) for %u partition(s) in %s (system.dtbo, boot.cmd "
		       "for U-Boot on %s)\n",
		       count, cfg.partition_count, a->outdir, board.model);
		free(buf);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/qemu.args", a->outdir);
	FILE *q = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/boot.cmd", a->outdir);
	FILE *u = fopen(path, "w");
	if (q == NULL || u == NULL) {
		return layout_say("%s: %s", path, strerror(errno));
	}
	fprintf(u, "# U-Boot: load the partitions' images, the system tree, then Bulkhead.\n");
	for (unsigned i = 0; i < count; i++) {
		const char *base = strrchr(list[i].file, '/');
		fprintf(q, "-device\nloader,file=%s,addr=0x%llx,force-raw=on\n", list[i].file,
			(unsigned long long)pa_addr(list[i].pa));
		fprintf(u, "load ${devtype} ${devnum}:${distro_bootpart} 0x%llx %s\n",
			(unsigned long long)pa_addr(list[i].pa),
			base != NULL ? base + 1 : list[i].file);
	}
	/* The tree where the layout reserved room for it, Bulkhead where it was assumed. */
	fprintf(u, "load ${devtype} ${devnum}:${distro_bootpart} 0x%llx system.dtb\n",
		(unsigned long long)a->dtb_addr);
	fprintf(u, "load ${devtype} ${devnum}:${distro_bootpart} 0x%llx bulkhead.bin\n",
		(unsigned long long)pa_addr(a->hyp.base));
	fprintf(u, "booti 0x%llx - 0x%llx\n", (unsigned long long)pa_addr(a->hyp.base),
		(unsigned long long)a->dtb_addr);
	fclose(q);
	fclose(u);
	printf("laid out %u image(s) for %u partition(s) in %s\n", count, cfg.partition_count,
	       a->outdir);
	free(buf);
	return 0;
}
