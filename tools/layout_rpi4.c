// SPDX-License-Identifier: MIT
/*
 * bhconfig layout for the Raspberry Pi 4 (docs/boot.md). The chain is firmware (start4.elf)
 * -> TF-A bl31 -> U-Boot -> boot.scr -> Bulkhead, and the tree that knows the board (RAM
 * size, MAC address, board revision) is the one the firmware passes. So the system does not
 * replace it: boot.scr moves that tree where the layout keeps room, applies the system's
 * /bulkhead node as an overlay, points its phandle lists at the firmware's nodes by path,
 * loads every image and boots Bulkhead with the merged tree.
 *
 * Overlays name nodes of the base tree by label (__symbols__), which Debian's
 * bcm2711-rpi-4-b.dtb does not have, and several nodes a system names (the eMMC2 and GENET
 * nodes) have no phandle there. So system.dtbo carries /bulkhead without `cpus`, `devices`
 * and `trusted-devices`, and boot.scr sets those with `fdt set` from each node's phandle,
 * giving one to a node that has none.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <core/config.h>
#include <core/fdt_util.h>

#include "layout.h"
#include "policy.h"

#define MAX_REFS       64
#define NEW_PHANDLE    0xb4000000u /* boot.scr's phandles for nodes without one: far above dtc's */
#define MERGED_ROOM    0x100000	   /* the merged tree's room: fdt move's length */
#define OVERLAY_SLOT   0x100000	   /* system.dtbo's: fdt_addr_r up to ramdisk_addr_r */
#define MERGED_EXTRA   0x10000
#define MAX_TREE_SIZE  (1u << 20)
#define BOARD_ETHERNET "brcm,bcm2711-genet-v5" /* GENET: the MAC the firmware knows */

/*
 * Where the RPi4's boot chain puts things while it loads. U-Boot's addresses are the default
 * environment of Debian's u-boot-rpi 2023.01 (rpi_arm64 and rpi_4 alike, read with `strings`
 * from u-boot.bin; tests/system/test_rpi4_sdcard.py checks them against the binary): each
 * reaches to the next one. TF-A 2.8's bl31 for the RPi4 reserves its first 512 KiB
 * (/reserved-memory/atf@0). The firmware puts its device tree where it likes; boot.scr
 * moves it at once to the last zone, which Bulkhead then keeps as the tree it was given.
 */
static const struct loader_zone rpi4_zones[] = {
	{"TF-A bl31", 0x0, 0x80000, "the armstub, resident at EL3 (/reserved-memory/atf@0)"},
	{"U-Boot's kernel_addr_r", 0x80000, 0x180000,
	 "where the firmware loads u-boot.bin, up to where booti puts an Image"},
	{"U-Boot's scriptaddr", 0x2400000, 0x100000, "boot.scr, running while images load"},
	{"U-Boot's pxefile_addr_r", 0x2500000, 0x100000, "PXE boot files"},
	{"U-Boot's fdt_addr_r", 0x2600000, 0x100000, "system.dtbo, loaded by boot.scr"},
	{"U-Boot's ramdisk_addr_r", 0x2700000, 0x100000, "an initrd's default place"},
	{"the merged device tree", 0x2800000, MERGED_ROOM,
	 "where boot.scr moves the firmware's tree and merges the system into it"},
};

static const struct layout_board rpi4 = {
	.compatible = "brcm,bcm2711",
	.hyp_base = 0x200000, /* booti would move an Image from kernel_addr_r here anyway */
	.dtb_base = 0x2800000,
	.dtb_size = MERGED_ROOM,
	.overlay_base = 0x2600000,
	.zones = rpi4_zones,
	.zone_count = ARRAY_SIZE(rpi4_zones),
};

static const char *const ref_props[] = {"cpus", "devices", "trusted-devices"};

/* What make sdcard puts on the card besides the images (Makefile, docs/boot.md). */
static const char *const card_files[] = {
	"config.txt",  "bl31.bin",     "u-boot.bin", "bcm2711-rpi-4-b.dtb", "boot.scr", "boot.cmd",
	"system.dtbo", "bulkhead.bin", "start4.elf", "fixup4.dat",	    "overlays",
};
#define SAFE_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-"

const struct layout_board *layout_board_of(const void *fdt)
{
	return dt_compatible(fdt, 0, rpi4.compatible) ? &rpi4 : NULL;
}

void layout_board_zones(const void *fdt, struct dt_board *board)
{
	const struct layout_board *b = layout_board_of(fdt);
	for (unsigned i = 0; b != NULL && i < b->zone_count; i++) {
		if (board->reserved_count < DT_MAX_RESERVED) {
			board->reserved[board->reserved_count++] =
				(struct dt_range){b->zones[i].base, b->zones[i].size};
		}
	}
}

static int prop_cells_of(const void *fdt, int node, const char *name)
{
	const fdt32_t *v = fdt_getprop(fdt, node, name, NULL);
	return v != NULL ? (int)fdt32_ld(v) : 2;
}

/* base+size against a zone, in 64 bits without wrapping. */
static const struct loader_zone *zone_hit(const struct layout_board *b, uint64_t base,
					  uint64_t size)
{
	uint64_t end = size > UINT64_MAX - base ? UINT64_MAX : base + size;
	for (unsigned i = 0; i < b->zone_count; i++) {
		const struct loader_zone *z = &b->zones[i];
		if (base < z->base + z->size && z->base < end) {
			return z;
		}
	}
	return NULL;
}

static int zone_error(const char *node, const char *what, uint64_t base, uint64_t size,
		      const struct loader_zone *z)
{
	return layout_say("%s: %s (PA 0x%llx+0x%llx) overlaps %s (PA 0x%llx+0x%llx: %s); "
			  "docs/boot.md shows the RPi4's memory map",
			  node, what, (unsigned long long)base, (unsigned long long)size, z->name,
			  (unsigned long long)z->base, (unsigned long long)z->size, z->use);
}

int layout_check_zones(const void *fdt, const struct layout_board *b)
{
	int system = fdt_path_offset(fdt, "/bulkhead");
	int ac = prop_cells_of(fdt, system, "#address-cells");
	int sc = prop_cells_of(fdt, system, "#size-cells");
	int part, img, len;
	char path[128], what[32];

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
		return 0; /* config_parse says what is wrong */
	}
	fdt_for_each_subnode(part, fdt, system)
	{
		const fdt32_t *m = fdt_getprop(fdt, part, "memory", &len);
		int triple = 2 * ac + sc;
		fdt_get_path(fdt, part, path, sizeof(path));
		for (int i = 0; m != NULL && (i + 1) * triple * 4 <= len; i++) {
			const fdt32_t *t = m + i * triple;
			uint64_t pa = dt_read_cells(t + ac, ac),
				 size = dt_read_cells(t + 2 * ac, sc);
			const struct loader_zone *z = zone_hit(b, pa, size);
			snprintf(what, sizeof(what), "memory[%d]", i);
			if (z != NULL) {
				return zone_error(path, what, pa, size, z);
			}
		}
		fdt_for_each_subnode(img, fdt, part)
		{
			const fdt32_t *r = fdt_getprop(fdt, img, "reg", &len);
			if (r == NULL || len != (ac + sc) * 4) {
				continue;
			}
			uint64_t pa = dt_read_cells(r, ac), size = dt_read_cells(r + ac, sc);
			const struct loader_zone *z = zone_hit(b, pa, size);
			fdt_get_path(fdt, img, path, sizeof(path));
			if (z != NULL) {
				return zone_error(path, "reg", pa, size, z);
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- the overlay */

/* A subtree into a tree being written with the sequential calls, without the skipped props. */
static void copy_subtree(void *out, const void *fdt, int node, const char *const *skip)
{
	int child;
	fdt_begin_node(out, fdt_get_name(fdt, node, NULL));
	layout_copy_props(out, fdt, node, skip);
	fdt_for_each_subnode(child, fdt, node)
	{
		copy_subtree(out, fdt, child, skip);
	}
	fdt_end_node(out);
}

static int write_blob(const char *path, const void *blob, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(blob, 1, size, f) != size || fclose(f) != 0) {
		return layout_say("%s: %s", path, strerror(errno));
	}
	return 0;
}

static int write_overlay(const void *fdt, const char *path, size_t *size)
{
	static const char *const skip[] = {"cpus",    "devices",       "trusted-devices",
					   "phandle", "linux,phandle", NULL};
	size_t room = fdt_totalsize(fdt) + 0x1000;
	char *buf = malloc(room);
	int rc;

	if (buf == NULL) {
		return layout_say("out of memory");
	}
	fdt_create(buf, (int)room);
	fdt_finish_reservemap(buf);
	fdt_begin_node(buf, "");
	fdt_begin_node(buf, "fragment@0");
	fdt_property(buf, "target-path", "/", 2);
	fdt_begin_node(buf, "__overlay__");
	copy_subtree(buf, fdt, fdt_path_offset(fdt, "/bulkhead"), skip);
	fdt_end_node(buf);
	fdt_end_node(buf);
	fdt_end_node(buf);
	if (fdt_finish(buf) != 0) {
		free(buf);
		return layout_say("%s: the overlay does not fit", path);
	}
	*size = fdt_totalsize(buf);
	rc = write_blob(path, buf, *size);
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------- boot.scr */

/* The nodes the system's phandle lists name, by path: boot.scr's bh_ph<N>. */
struct refs {
	char path[MAX_REFS][128];
	unsigned count;
};

static int ref_index(struct refs *r, const void *fdt, uint32_t phandle, const char *where)
{
	char path[128];
	int node = dt_node_of_phandle(fdt, phandle);
	if (node < 0 || fdt_get_path(fdt, node, path, sizeof(path)) != 0) {
		return -layout_say("%s: phandle 0x%x matches no node", where, phandle);
	}
	for (unsigned i = 0; i < r->count; i++) {
		if (strcmp(r->path[i], path) == 0) {
			return (int)i;
		}
	}
	if (r->count == MAX_REFS) {
		return -layout_say("%s: more than %d nodes named", where, MAX_REFS);
	}
	snprintf(r->path[r->count], sizeof(r->path[0]), "%s", path);
	return (int)r->count++;
}

/* U-Boot stops at nothing by itself: every step runs only while bh_fail is empty. */
/*
 * Each step of boot.scr runs only while bh_fail is empty. Its strings have no apostrophe: U-Boot's
 * hush takes one inside double quotes as the start of a quoted string, which then swallows the
 * lines after it (test_rpi4_sdcard runs the script on the real U-Boot and checks).
 */
#define STEP "test -n \"${bh_fail}\" || "

static void say_step(FILE *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say_step(FILE *u, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(u, STEP "echo \"Bulkhead: %s\"\n", line);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash != NULL ? slash + 1 : path;
}

#define LOAD "load ${devtype} ${devnum}:${distro_bootpart}"

static void mac_lines(FILE *u, const char *file, uint64_t pa);

static void load_file(FILE *u, uint64_t pa, const char *file, const char *why)
{
	fprintf(u,
		STEP LOAD " 0x%llx %s || setenv bh_fail \"cannot read %s from the SD card (%s)\"\n",
		(unsigned long long)pa, file, file, why);
}

static int phandle_lists(FILE *u, const void *fdt, struct refs *refs, bool emit)
{
	int system = fdt_path_offset(fdt, "/bulkhead"), part, len;
	char where[160], list[MAX_REFS * 16];

	fdt_for_each_subnode(part, fdt, system)
	{
		for (size_t k = 0; k < ARRAY_SIZE(ref_props); k++) {
			const fdt32_t *v = fdt_getprop(fdt, part, ref_props[k], &len);
			size_t n = 0;
			char path[128];
			if (v == NULL) {
				continue;
			}
			fdt_get_path(fdt, part, path, sizeof(path));
			if (len % 4 != 0 || len / 4 > MAX_REFS) {
				return layout_say("%s: %s: not a list of at most %d phandles", path,
						  ref_props[k], MAX_REFS);
			}
			list[0] = '\0';
			for (int i = 0; i < len / 4; i++) {
				snprintf(where, sizeof(where), "%s: %s[%d]", path, ref_props[k], i);
				int index = ref_index(refs, fdt, fdt32_ld(&v[i]), where);
				if (index < 0) {
					return 1;
				}
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s${bh_ph%d}",
						      i != 0 ? " " : "", index);
			}
			if (emit) {
				fprintf(u,
					STEP "fdt set %s %s <%s> || setenv bh_fail \"fdt set %s %s "
					     "failed\"\n",
					path, ref_props[k], list, path, ref_props[k]);
			}
		}
	}
	return 0;
}

int layout_rpi4_boot(const void *fdt, const struct layout_board *b, const struct layout_args *a,
		     const struct layout_image *images, unsigned count)
{
	static struct refs refs;
	char path[600];
	size_t overlay_size = 0;
	int rc;

	refs.count = 0;
	for (unsigned i = 0; i < count; i++) {
		const char *name = base_name(images[i].file);
		/* The script names it unquoted; the card's own files keep their names. */
		if (name[0] == '\0' || strspn(name, SAFE_NAME_CHARS) != strlen(name)) {
			return layout_say("%s: %s: a file on the SD card is named with letters, "
					  "digits and . _ + - only",
					  images[i].path, images[i].file);
		}
		for (size_t k = 0; k < ARRAY_SIZE(card_files); k++) {
			if (strcmp(name, card_files[k]) == 0) {
				return layout_say("%s: %s: the SD card's own %s has that name",
						  images[i].path, images[i].file, card_files[k]);
			}
		}
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(base_name(images[i].file), base_name(images[j].file)) == 0 &&
			    strcmp(images[i].file, images[j].file) != 0) {
				return layout_say("%s and %s: two files named %s on the SD card",
						  images[j].file, images[i].file,
						  base_name(images[i].file));
			}
		}
	}
	/* What make sdcard copies: each file once. */
	snprintf(path, sizeof(path), "%s/sdcard.files", a->outdir);
	FILE *list = fopen(path, "w");
	for (unsigned i = 0; list != NULL && i < count; i++) {
		bool again = false;
		for (unsigned j = 0; j < i; j++) {
			again |= strcmp(images[i].file, images[j].file) == 0;
		}
		if (!again) {
			fprintf(list, "%s\n", images[i].file);
		}
	}
	if (list == NULL || fclose(list) != 0) {
		return layout_say("%s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/system.dtbo", a->outdir);
	if ((rc = write_overlay(fdt, path, &overlay_size)) != 0) {
		return rc;
	}
	if (phandle_lists(NULL, fdt, &refs, false) != 0) {
		return 1;
	}
	snprintf(path, sizeof(path), "%s/boot.cmd", a->outdir);
	FILE *u = fopen(path, "w");
	if (u == NULL) {
		return layout_say("%s: %s", path, strerror(errno));
	}
	fprintf(u,
		"# Bulkhead on the Raspberry Pi 4: U-Boot script, generated by `bhconfig layout` "
		"from %s.\n# U-Boot's distro boot runs it as boot.scr from the SD card "
		"(docs/boot.md). Each step runs\n# only while bh_fail is empty; the last "
		"lines say why it stopped.\n#\n# Where things are while it loads (PA):\n",
		a->system != NULL ? a->system : "the system");
	for (unsigned i = 0; i < b->zone_count; i++) {
		fprintf(u, "# zone 0x%08llx+0x%llx %s: %s\n", (unsigned long long)b->zones[i].base,
			(unsigned long long)b->zones[i].size, b->zones[i].name, b->zones[i].use);
	}
	fprintf(u, "# hypervisor 0x%08llx+0x%llx bulkhead.bin\n",
		(unsigned long long)pa_addr(a->hyp.base), (unsigned long long)a->hyp.size);
	for (unsigned i = 0; i < count; i++) {
		fprintf(u, "# image 0x%08llx+0x%llx %s (%s)\n",
			(unsigned long long)pa_addr(images[i].pa),
			(unsigned long long)images[i].size, base_name(images[i].file),
			images[i].path);
	}
	fprintf(u, "setenv bh_fail\n");
	fprintf(u,
		"echo \"Bulkhead: boot.scr for %s, from ${devtype} "
		"${devnum}:${distro_bootpart}\"\n",
		a->system != NULL ? base_name(a->system) : "the system");
	fprintf(u, "test -n \"${fdt_addr}\" || setenv bh_fail \"the firmware passed no device tree "
		   "(fdt_addr is empty): check config.txt and that bcm2711-rpi-4-b.dtb is on the "
		   "card\"\n");
	say_step(u, "moving the firmware device tree from 0x${fdt_addr} to 0x%llx (%u KiB of room)",
		 (unsigned long long)b->dtb_base, (unsigned)(b->dtb_size >> 10));
	fprintf(u, STEP "fdt addr ${fdt_addr} || setenv bh_fail \"no device tree at fdt_addr "
			"0x${fdt_addr}\"\n");
	fprintf(u,
		STEP "fdt move ${fdt_addr} 0x%llx 0x%llx || setenv bh_fail \"fdt move failed: "
		     "is the firmware tree bigger than %u KiB?\"\n",
		(unsigned long long)b->dtb_base, (unsigned long long)b->dtb_size,
		(unsigned)(b->dtb_size >> 10));
	say_step(u, "merging the system (system.dtbo) into it");
	load_file(u, b->overlay_base, "system.dtbo", "the /bulkhead node of the system");
	fprintf(u,
		STEP "fdt apply 0x%llx || setenv bh_fail \"fdt apply failed: the firmware "
		     "tree and system.dtbo do not merge (see the libfdt error above)\"\n",
		(unsigned long long)b->overlay_base);
	say_step(u, "naming the CPUs and devices of the partitions (a node without a phandle "
		    "prints FDT_ERR_NOTFOUND once, then gets one)");
	for (unsigned i = 0; i < refs.count; i++) {
		fprintf(u, "setenv bh_ph%u 0x%08x\n", i, NEW_PHANDLE + i + 1);
		fprintf(u,
			STEP "fdt get value bh_ph%u %s phandle || fdt set %s phandle <${bh_ph%u}> "
			     "|| setenv bh_fail \"the firmware tree has no %s (the system names "
			     "it): is bcm2711-rpi-4-b.dtb on the card the one make sdcard put "
			     "there?\"\n",
			i, refs.path[i], refs.path[i], i, refs.path[i]);
	}
	phandle_lists(u, fdt, &refs, true);
	for (unsigned i = 0; i < count; i++) {
		say_step(u, "loading %s for %s at 0x%llx", base_name(images[i].file),
			 images[i].path, (unsigned long long)pa_addr(images[i].pa));
		load_file(u, pa_addr(images[i].pa), base_name(images[i].file), images[i].path);
		fprintf(u,
			STEP
			"test \"${filesize}\" = \"%llx\" || setenv bh_fail \"%s is 0x${filesize} "
			"bytes on the card, the layout made room for 0x%llx: copy the files of "
			"make sdcard again\"\n",
			(unsigned long long)images[i].size, base_name(images[i].file),
			(unsigned long long)images[i].size);
		if (images[i].generate) {
			mac_lines(u, images[i].file, pa_addr(images[i].pa));
		}
	}
	say_step(u, "loading bulkhead.bin at 0x%llx", (unsigned long long)pa_addr(a->hyp.base));
	load_file(u, pa_addr(a->hyp.base), "bulkhead.bin", "the hypervisor");
	fprintf(u, "setenv bootargs \"${bulkhead_bootargs}\"\n");
	say_step(u,
		 "starting Bulkhead with the merged tree; its console is the PL011 on GPIO 14/15");
	fprintf(u,
		STEP "booti 0x%llx - 0x%llx || setenv bh_fail \"booti refused bulkhead.bin (see "
		     "above)\"\n",
		(unsigned long long)pa_addr(a->hyp.base), (unsigned long long)b->dtb_base);
	fprintf(u, "echo \"Bulkhead: STOPPED: ${bh_fail}\"\n");
	fprintf(u, "echo \"Bulkhead: docs/boot.md lists each message with its cause and fix\"\n");
	if (fclose(u) != 0) {
		return layout_say("%s: %s", path, strerror(errno));
	}
	if (overlay_size > OVERLAY_SLOT) {
		return layout_say("system.dtbo: %zu bytes, more than the 1 MiB at 0x%llx",
				  overlay_size, (unsigned long long)b->overlay_base);
	}
	return 0;
}

/* ---------------------------------------------------------------- a partition's tree */

static char *read_file(const char *path, size_t extra, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n = 0;
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > MAX_TREE_SIZE ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + extra)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		layout_say("%s: %s", path,
			   n > MAX_TREE_SIZE ? "larger than 1 MiB, not a device tree"
					     : strerror(errno));
		free(buf);
		if (f != NULL) {
			fclose(f);
		}
		return NULL;
	}
	fclose(f);
	*size = (size_t)n + extra;
	return buf;
}

/* Copies a subtree in with the read-write calls, children in their order. */
static int graft(void *dst, int parent, const void *src, int node)
{
	int children[64], count = 0, child, prop;
	const char *name = fdt_get_name(src, node, NULL);
	int out = fdt_subnode_offset(dst, parent, name);

	if (out == -FDT_ERR_NOTFOUND) {
		out = fdt_add_subnode(dst, parent, name);
	}
	if (out < 0) {
		return out;
	}
	fdt_for_each_property_offset(prop, src, node)
	{
		const char *pname;
		int len;
		const void *val = fdt_getprop_by_offset(src, prop, &pname, &len);
		int rc = fdt_setprop(dst, out, pname, val, len);
		if (rc != 0) {
			return rc;
		}
	}
	fdt_for_each_subnode(child, src, node)
	{
		if (count == (int)ARRAY_SIZE(children)) {
			return -FDT_ERR_NOSPACE;
		}
		children[count++] = child;
	}
	/* fdt_add_subnode() puts a node first among its siblings: add the last one first. */
	while (count-- > 0) {
		int rc = graft(dst, out, src, children[count]);
		if (rc < 0) {
			return rc;
		}
	}
	return out;
}

/*
 * The board's full tree with what the firmware and TF-A add as the system's board file says
 * it (/memory, /psci, PSCI as the CPUs' enable-method, TF-A's reserved memory), and the
 * system's /bulkhead with its phandle lists pointed at the same paths: what boot.scr makes.
 */
static char *merged_tree(const void *fdt, const char *board_dtb)
{
	size_t size;
	char *raw = read_file(board_dtb, 0, &size);
	char *buf = raw != NULL ? malloc(size + fdt_totalsize(fdt) + MERGED_EXTRA) : NULL;
	int rc = raw == NULL ? -1 : buf == NULL ? -FDT_ERR_NOSPACE : 0, err;
	char path[160];

	size += fdt_totalsize(fdt) + MERGED_EXTRA;
	if (rc == 0 && (rc = fdt_open_into(raw, buf, (int)size)) != 0) {
		layout_say("%s: %s", board_dtb, fdt_strerror(rc));
		rc = -1;
	}
	free(raw);
	static const char *const from_board_file[] = {"/memory@0", "/psci",
						      "/reserved-memory/atf@0"};
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(from_board_file); i++) {
		const char *p = from_board_file[i];
		const char *slash = strrchr(p, '/');
		int src = fdt_path_offset(fdt, p);
		snprintf(path, sizeof(path), "%.*s", (int)(slash - p), p);
		int parent = fdt_path_offset(buf, path[0] != '\0' ? path : "/");
		if (src >= 0 && parent >= 0 && (err = graft(buf, parent, fdt, src)) < 0) {
			layout_say("%s: cannot add the board file's %s: %s", board_dtb, p,
				   fdt_strerror(err));
			rc = -1;
		}
	}
	int cpus = rc == 0 ? fdt_path_offset(buf, "/cpus") : -1, cpu;
	if (cpus >= 0 && fdt_path_offset(fdt, "/psci") >= 0) {
		fdt_for_each_subnode(cpu, buf, cpus)
		{
			fdt_setprop_string(buf, cpu, "enable-method", "psci");
			fdt_delprop(buf, cpu, "cpu-release-addr");
		}
	}
	if (rc == 0 && (err = graft(buf, 0, fdt, fdt_path_offset(fdt, "/bulkhead"))) < 0) {
		layout_say("%s: cannot add /bulkhead: %s", board_dtb, fdt_strerror(err));
		rc = -1;
	}
	int system = fdt_path_offset(fdt, "/bulkhead"), part, len;
	fdt_for_each_subnode(part, fdt, system)
	{
		char part_path[128];
		fdt_get_path(fdt, part, part_path, sizeof(part_path));
		for (size_t k = 0; rc == 0 && k < ARRAY_SIZE(ref_props); k++) {
			const fdt32_t *v = fdt_getprop(fdt, part, ref_props[k], &len);
			fdt32_t out[MAX_REFS];
			if (v != NULL && (len % 4 != 0 || len / 4 > MAX_REFS)) {
				layout_say("%s: %s: not a list of at most %d phandles", part_path,
					   ref_props[k], MAX_REFS);
				rc = -1;
			}
			for (int i = 0; rc == 0 && v != NULL && i < len / 4; i++) {
				int node = dt_node_of_phandle(fdt, fdt32_ld(&v[i]));
				if (node < 0 || fdt_get_path(fdt, node, path, sizeof(path)) != 0) {
					snprintf(path, sizeof(path), "phandle 0x%x (no node)",
						 fdt32_ld(&v[i]));
				}
				int target = node >= 0 ? fdt_path_offset(buf, path) : -1;
				uint32_t ph = target >= 0 ? fdt_get_phandle(buf, target) : 0;
				if (target < 0) {
					layout_say("%s: %s[%d] names %s, which %s does not have",
						   part_path, ref_props[k], i, path, board_dtb);
					rc = -1;
					break;
				}
				if (ph == 0 && (fdt_generate_phandle(buf, &ph) != 0 ||
						fdt_setprop_u32(buf, target, "phandle", ph) != 0)) {
					layout_say("%s: cannot give %s a phandle", board_dtb, path);
					rc = -1;
					break;
				}
				out[i] = cpu_to_fdt32(ph);
			}
			if (rc == 0 && v != NULL) {
				rc = fdt_setprop(buf, fdt_path_offset(buf, part_path), ref_props[k],
						 out, len);
			}
		}
	}
	if (rc != 0) {
		if (rc != -1) {
			layout_say("%s with the system: %s", board_dtb, fdt_strerror(rc));
		}
		free(buf);
		return NULL;
	}
	return buf;
}

/* Nodes with reg directly under / or a simple-bus: the board's devices. */
static bool is_device(const void *fdt, int node)
{
	int parent = fdt_parent_offset(fdt, node);
	const char *type = fdt_getprop(fdt, node, "device_type", NULL);
	return fdt_getprop(fdt, node, "reg", NULL) != NULL && parent >= 0 &&
	       (parent == 0 || dt_compatible(fdt, parent, "simple-bus")) &&
	       (type == NULL || strcmp(type, "memory") != 0);
}

/* Sets the partition's memory, vCPUs and /chosen in the board's tree. */
static int tree_basics(char *t, const struct config_partition *p)
{
	int mem = fdt_path_offset(t, "/memory@0"), cpus = fdt_path_offset(t, "/cpus");
	int ac = prop_cells_of(t, 0, "#address-cells"), sc = prop_cells_of(t, 0, "#size-cells");
	fdt32_t reg[BH_MAX_MEM_REGIONS * 4];
	int n = 0, rc = 0;

	for (unsigned m = 0; m < p->mem_count; m++) {
		uint64_t ipa = ipa_addr(p->mem[m].ipa), size = p->mem[m].size;
		if (sc == 1 && size > UINT32_MAX) {
			return layout_say(
				"%s: memory[%u] is larger than the board's one-cell sizes", p->path,
				m);
		}
		if (ac == 2) {
			reg[n++] = cpu_to_fdt32((uint32_t)(ipa >> 32));
		}
		reg[n++] = cpu_to_fdt32((uint32_t)ipa);
		if (sc == 2) {
			reg[n++] = cpu_to_fdt32((uint32_t)(size >> 32));
		}
		reg[n++] = cpu_to_fdt32((uint32_t)size);
	}
	if (mem < 0 || cpus < 0) {
		return layout_say("the board's tree has no /memory@0 or /cpus");
	}
	rc |= fdt_setprop(t, mem, "reg", reg, n * 4);
	/* vCPU i is MPIDR Aff0 = i: keep the first cpu_count CPU nodes, renumbered. */
	for (unsigned i = 0;; i++) {
		int cpu = fdt_first_subnode(t, fdt_path_offset(t, "/cpus"));
		for (unsigned k = 0; k < i && cpu >= 0; k++) {
			cpu = fdt_next_subnode(t, cpu);
		}
		if (cpu < 0) {
			break;
		}
		if (i >= p->cpu_count) {
			rc |= fdt_del_node(t, cpu);
			i--;
			continue;
		}
		rc |= fdt_setprop_u32(t, cpu, "reg", i);
		rc |= fdt_setprop_string(t, cpu, "enable-method", "psci");
	}
	return rc != 0 ? layout_say("%s: cannot edit the board's tree", p->path) : 0;
}

/* libfdt's fdt_setprop_string() trips -Wconversion (strlen to int). */
static int set_string(void *t, int node, const char *name, const char *value)
{
	return fdt_setprop(t, node, name, value, (int)strlen(value) + 1);
}

static int tree_chosen(char *t, const struct config_partition *p, const char *console)
{
	char args[BH_BOOTARGS_MAX + 64];
	int chosen = fdt_path_offset(t, "/chosen"), rc = 0;
	bool linux = p->images[p->entry_image].format == IMAGE_LINUX;

	if (chosen < 0) {
		chosen = fdt_add_subnode(t, 0, "chosen");
	}
	snprintf(args, sizeof(args), "%s%s%s%s", p->bootargs,
		 linux && p->bootargs[0] != '\0' ? " " : "", linux ? "bulkhead.partition=" : "",
		 linux ? p->name : "");
	rc |= set_string(t, chosen, "bootargs", args);
	if (console != NULL) {
		rc |= set_string(t, chosen, "stdout-path", console);
	} else {
		fdt_delprop(t, chosen, "stdout-path");
	}
	for (unsigned k = 0; k < p->image_count; k++) {
		if (strcmp(p->images[k].name, "initrd") == 0) {
			uint64_t start = ipa_addr(p->images[k].load_ipa);
			rc |= fdt_setprop_u64(t, chosen, "linux,initrd-start", start);
			rc |= fdt_setprop_u64(t, chosen, "linux,initrd-end",
					      start + p->images[k].size);
		}
	}
	return rc != 0 ? layout_say("%s: cannot write /chosen", p->path) : 0;
}

/* Disables every board device the partition was not given, except its vuart's node. */
static int tree_devices(char *t, const struct config_partition *p, const void *merged,
			const struct dt_board *board, char *console, size_t console_len)
{
	static char keep[BH_MAX_DEVICES + 1][128], off[512][128];
	char gic[128] = "";
	unsigned nkeep = 0, noff = 0;
	int node = -1, depth = 0;
	int gic_node = dt_find_compatible(t, -1, board->gic.compatible);

	if (gic_node >= 0) {
		fdt_get_path(t, gic_node, gic, sizeof(gic));
	}

	for (unsigned d = 0; d < p->device_count && nkeep < BH_MAX_DEVICES; d++) {
		fdt_get_path(merged, p->devices[d].node, keep[nkeep++], sizeof(keep[0]));
	}
	console[0] = '\0';
	while ((node = fdt_next_node(t, node, &depth)) >= 0) {
		char path[128];
		struct dt_range r;
		struct dt_error err;
		if (!is_device(t, node) || fdt_get_path(t, node, path, sizeof(path)) != 0 ||
		    strcmp(path, gic) == 0) {
			continue;
		}
		bool mine = false;
		for (unsigned k = 0; k < nkeep; k++) {
			mine |= strcmp(path, keep[k]) == 0;
		}
		/* The vuart stands where the board's PL011 is: that node is its console. */
		if (p->has_vuart && dt_node_reg(t, node, 0, &r, &err) == BH_OK &&
		    r.base == ipa_addr(p->vuart_ipa)) {
			snprintf(console, console_len, "%s", path);
			mine = true;
		}
		if (!mine && noff == ARRAY_SIZE(off)) {
			return layout_say("%s: the board has more than %zu devices to disable",
					  p->path, ARRAY_SIZE(off));
		}
		if (!mine) {
			snprintf(off[noff++], sizeof(off[0]), "%s", path);
		}
	}
	for (unsigned k = 0; k < noff; k++) {
		if (fdt_setprop_string(t, fdt_path_offset(t, off[k]), "status", "disabled") != 0) {
			return layout_say("%s: cannot disable %s", p->path, off[k]);
		}
	}
	return 0;
}

/*
 * The board's MAC address is the firmware's (U-Boot keeps it in ${ethaddr}); Debian's tree has
 * none, so Linux would make up a random one at each boot. A partition given the Ethernet gets
 * six zero bytes here, which boot.scr writes over in place (mac_lines): the same length, so
 * the packed tree need not grow. Without ${ethaddr} they stay zero and Linux picks one.
 */
static const uint8_t mac_zero[6];

static int mac_placeholder(void *t)
{
	int eth = dt_find_compatible(t, -1, BOARD_ETHERNET);
	if (eth < 0 || !dt_node_available(t, eth) ||
	    fdt_getprop(t, eth, "local-mac-address", NULL) != NULL) {
		return 0;
	}
	return fdt_setprop(t, eth, "local-mac-address", mac_zero, sizeof(mac_zero)) != 0
		       ? layout_say("cannot give %s a MAC address", BOARD_ETHERNET)
		       : 0;
}

/* boot.scr's lines that put ${ethaddr} into the tree at `pa` (file), if it has the placeholder. */
static void mac_lines(FILE *u, const char *file, uint64_t pa)
{
	size_t size = 0;
	char *t = read_file(file, 0, &size), path[128];
	int eth = t != NULL && fdt_check_header(t) == 0 ? dt_find_compatible(t, -1, BOARD_ETHERNET)
							: -1;
	int len = 0;
	const void *mac = eth >= 0 ? fdt_getprop(t, eth, "local-mac-address", &len) : NULL;

	if (mac != NULL && len == (int)sizeof(mac_zero) && memcmp(mac, mac_zero, 6) == 0 &&
	    fdt_get_path(t, eth, path, sizeof(path)) == 0) {
		say_step(u, "giving %s the MAC address of the board, ${ethaddr}", path);
		fprintf(u, STEP
			"test -z \"${ethaddr}\" || setexpr bh_mac gsub : \" \" \"${ethaddr}\"\n");
		fprintf(u,
			STEP "test -z \"${ethaddr}\" || fdt addr 0x%llx || setenv bh_fail \"no "
			     "device tree at 0x%llx (%s)\"\n",
			(unsigned long long)pa, (unsigned long long)pa, base_name(file));
		fprintf(u,
			STEP
			"test -z \"${ethaddr}\" || fdt set %s local-mac-address \"[${bh_mac}]\" "
			"|| setenv bh_fail \"cannot set the MAC address in %s\"\n",
			path, base_name(file));
	}
	free(t);
}

/* The merged tree parsed as the hypervisor will parse it; NULL with the error said. */
static char *parse_merged(const void *fdt, const struct layout_args *a, struct dt_board *board,
			  struct config *cfg)
{
	struct dt_error err;
	char *merged = merged_tree(fdt, a->board_dtb);

	if (merged != NULL &&
	    (dt_parse_board(merged, board, &err) != BH_OK ||
	     config_parse(merged, board,
			  board_limits(merged, board, a->hyp, a->pa_bits, a->gic_lines), cfg,
			  &err) != BH_OK)) {
		layout_say("%s merged with the system, as boot.scr makes it: %s", a->board_dtb,
			   err.msg);
		free(merged);
		return NULL;
	}
	return merged;
}

int layout_check_board(const void *fdt, const struct layout_args *a)
{
	static struct config cfg;
	static struct dt_board board;
	char *merged = a->board_dtb != NULL ? parse_merged(fdt, a, &board, &cfg) : NULL;

	free(merged);
	return a->board_dtb != NULL && merged == NULL;
}

int layout_board_tree(const void *fdt, const struct layout_args *a, const char *partition,
		      const char *path, size_t size)
{
	static struct config cfg;
	static struct dt_board board;
	char console[128], *t = NULL, *merged;
	int rc = 1;

	if (a->board_dtb == NULL) {
		return layout_say(
			"/bulkhead/%s has board devices: its device tree is made from the "
			"board's full tree, which --board-dtb FILE names "
			"(make sdcard passes Debian's bcm2711-rpi-4-b.dtb)",
			partition);
	}
	if ((merged = parse_merged(fdt, a, &board, &cfg)) == NULL) {
		return 1;
	}
	const struct config_partition *p = NULL;
	for (unsigned i = 0; i < cfg.partition_count; i++) {
		p = strcmp(cfg.partitions[i].name, partition) == 0 ? &cfg.partitions[i] : p;
	}
	t = malloc(size);
	fdt_pack(merged); /* node offsets stay */
	if (p == NULL || t == NULL || fdt_open_into(merged, t, (int)size) != 0) {
		layout_say("%s: %s", path,
			   p == NULL ? "no such partition in the merged tree"
				     : "the board's tree does not fit in the dtb image's slot");
		goto out;
	}
	fdt_del_node(t, fdt_path_offset(t, "/bulkhead"));
	/* The PMU's interrupts are PPIs the virtual GIC does not forward. */
	int pmu = dt_find_compatible(t, -1, "arm,cortex-a72-pmu");
	if (pmu >= 0) {
		fdt_del_node(t, pmu);
	}
	if (tree_basics(t, p) != 0 ||
	    tree_devices(t, p, merged, &board, console, sizeof(console)) ||
	    tree_chosen(t, p, console[0] != '\0' ? console : NULL) != 0 ||
	    mac_placeholder(t) != 0) {
		goto out;
	}
	/* Channels and the root's list of children: written as layout.c does, then grafted. */
	static char extra[0x4000];
	int child;
	fdt_create(extra, sizeof(extra));
	fdt_finish_reservemap(extra);
	fdt_begin_node(extra, "");
	layout_vmbus_node(extra, &cfg, p);
	if (p->is_root) {
		policy_partitions_node(extra, merged, &cfg);
	}
	fdt_end_node(extra);
	if (fdt_finish(extra) != 0) {
		layout_say("%s: the partition's channels do not fit", path);
		goto out;
	}
	fdt_for_each_subnode(child, extra, 0)
	{
		if (graft(t, 0, extra, child) < 0) {
			layout_say("%s: the partition's tree does not fit in %zu bytes", path,
				   size);
			goto out;
		}
	}
	fdt_pack(t);
	if (fdt_totalsize(t) > size) {
		layout_say("%s: the partition's tree does not fit in %zu bytes", path, size);
		goto out;
	}
	/* The file is the whole slot, zero-padded. */
	memset(t + fdt_totalsize(t), 0, size - fdt_totalsize(t));
	rc = write_blob(path, t, size);
out:
	free(t);
	free(merged);
	return rc;
}
