/* SPDX-License-Identifier: MIT */
/* bhconfig layout (tools/layout.c, the Raspberry Pi 4's boot chain in tools/layout_rpi4.c). */
#ifndef BHCONFIG_LAYOUT_H
#define BHCONFIG_LAYOUT_H

#include <core/config.h>

#define LAYOUT_AUTO_BASE 0 /* --images not given: the lowest free RAM that takes them all */

struct layout_args {
	uint64_t image_base; /* where the first image goes, or LAYOUT_AUTO_BASE */
	const char *outdir;
	struct pa_range hyp;
	const struct dt_range *reserve;
	unsigned reserve_count;
	uint64_t dtb_addr;  /* set: where boot.cmd loads the tree (the first reserved range) */
	unsigned pa_bits;   /* --pa-bits, 0: the board's */
	unsigned gic_lines; /* --gic-lines, 0: the board's */
	/* layout: a tree for every "dtb" image without a file, over its reg if it has one;
	   check and show: only for those without a reg (one with a reg is a tree the user made) */
	bool generate_all;
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

/* An image whose `reg` the layout writes: one that names a file, or a "dtb" to generate. */
struct layout_image {
	char path[128]; /* the image node */
	char file[512]; /* the host file; for a generated tree, where it is written */
	paddr_t pa;
	uint64_t size;
	bool generate;
};

#define LAYOUT_MAX_IMAGES (BH_MAX_PARTITIONS * BH_MAX_IMAGES)
#define LAYOUT_ROOM	  0x10000 /* what placing the images may add to a tree */

/*
 * Places the images that name a file (which must exist and fit the room its `load` has in the
 * partition) and the "dtb" images without one (see generate_all), as `layout` does: sets their
 * `reg` in fdt (opened with room to spare), deletes `file`, lists them in list[*count].
 * board->reserved must hold the
 * --reserve ranges. BH_OK, or an error in err naming the node ("/bulkhead/rt0/app: file ...").
 */
int layout_place(void *fdt, const struct dt_board *board, const struct layout_args *args,
		 struct layout_image *list, unsigned *count, struct dt_error *err);

/* Lays out the system in fdt (size bytes); returns 0 or 1 with a message printed. */
int layout_system(char *fdt, size_t size, struct layout_args *args);

/* Shared by layout.c and layout_rpi4.c. */
int layout_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void layout_copy_props(void *out, const void *fdt, int node, const char *const *skip);
void layout_vmbus_node(void *buf, const struct config *cfg, const struct config_partition *p);

/* layout_rpi4.c: the board of the tree if it is one of those, else NULL. */
const struct layout_board *layout_board_of(const void *fdt);

/* Adds such a board's loader zones to board->reserved (as far as there is room). */
void layout_board_zones(const void *fdt, struct dt_board *board);

/* Refuses a partition's memory or an image over a loader zone, naming both: 0 or 1. */
int layout_check_zones(const void *fdt, const struct layout_board *b);

/*
 * Writes OUTDIR/sdcard.files (the image files, one a line), OUTDIR/system.dtbo (the
 * /bulkhead node as an overlay, without its phandle lists) and the U-Boot script
 * OUTDIR/boot.cmd that moves the firmware's tree, applies the overlay, gives the nodes the
 * system names their phandles, loads each of the count images and boots Bulkhead. 0 or 1.
 */
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
