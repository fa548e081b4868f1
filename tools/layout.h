/* SPDX-License-Identifier: MIT */
/* bhconfig layout (tools/layout.c). */
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

#endif
