/* SPDX-License-Identifier: MIT */
/* bhconfig layout (tools/layout.c, the Raspberry Pi 4's boot chain in tools/layout_rpi4.c). */
#ifndef BHCONFIG_LAYOUT_H
#define BHCONFIG_LAYOUT_H

#include <stdio.h>

#include <core/config.h>

struct layout_args {
	uint64_t image_base; /* where the first image goes */
	const char *outdir;
	struct pa_range hyp;
	const struct dt_range *reserve;
	unsigned reserve_count;
	uint64_t dtb_addr;     /* set: where boot.cmd loads the tree (the first reserved range) */
	unsigned pa_bits;      /* --pa-bits, 0: the board's */
	unsigned gic_lines;    /* --gic-lines, 0: the board's */
	const char *board_dtb; /* --board-dtb: the board's full tree, as the firmware passes it */
	const char *system;    /* the system's file, for what the outputs say */
};

/* A range the boot chain uses while it loads, kept out of every partition and image. */
struct loader_zone {
	const char *name; /* "U-Boot's fdt_addr_r" */
	uint64_t base, size;
	const char *use; /* what is there */
};

/*
 * A board whose loader passes Bulkhead the firmware's own tree (the RPi4): the system goes
 * there as an overlay that boot.scr applies, into the tree it first moves to dtb_base.
 */
struct layout_board {
	const char *compatible; /* of the board's root node */
	uint64_t hyp_base;	/* where boot.scr loads bulkhead.bin */
	uint64_t dtb_base, dtb_size;
	uint64_t overlay_base; /* where boot.scr loads system.dtbo */
	const struct loader_zone *zones;
	unsigned zone_count;
};

/* The limits config_parse() checks against, from the options or the board (bhconfig.c). */
struct config_limits board_limits(const void *fdt, const struct dt_board *board,
				  struct pa_range hyp, unsigned pa_bits, unsigned gic_lines);

/* Lays out the system in fdt (size bytes); returns 0 or 1 with a message printed. */
int layout_system(char *fdt, size_t size, struct layout_args *args);

/* Shared by layout.c and layout_rpi4.c. */
int layout_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void layout_copy_props(void *out, const void *fdt, int node, const char *const *skip);
void layout_vmbus_node(void *buf, const struct config *cfg, const struct config_partition *p);

/* layout_rpi4.c: the board of the tree if it is one of those, else NULL. */
const struct layout_board *layout_board_of(const void *fdt);

/* Refuses a partition's memory or an image over a loader zone, naming both: 0 or 1. */
int layout_check_zones(const void *fdt, const struct layout_board *b);

/*
 * Writes OUTDIR/sdcard.files (the image files, one a line), OUTDIR/system.dtbo (the
 * /bulkhead node as an overlay, without its phandle lists) and
 * the U-Boot script OUTDIR/boot.cmd that moves the firmware's tree, applies the overlay, gives
 * the nodes the system names their phandles, loads each image (count of them in files, pas and
 * sizes) and boots Bulkhead. Returns 0 or 1.
 */
struct layout_image {
	const char *node; /* /bulkhead/<partition>/<image> */
	const char *file; /* the host file */
	uint64_t pa, size;
};
int layout_rpi4_boot(const void *fdt, const struct layout_board *b, const struct layout_args *a,
		     const struct layout_image *images, unsigned count);

/* With --board-dtb: the system merged into it as boot.scr will, checked as at boot. 0 or 1. */
int layout_check_board(const void *fdt, const struct layout_args *a);

/*
 * The device tree of a partition with board devices on such a board: the board's full tree
 * (a->board_dtb) with the system merged in as the boot chain would, cut down to the partition.
 * Writes `path`; 0 or 1.
 */
int layout_board_tree(const void *fdt, const struct layout_args *a, const char *partition,
		      const char *path, size_t size);

#endif
