/* SPDX-License-Identifier: MIT */
/* bhconfig layout (tools/layout.c). */
#ifndef BHCONFIG_LAYOUT_H
#define BHCONFIG_LAYOUT_H

#include <core/config.h>

struct layout_args {
	uint64_t image_base; /* where the first image goes */
	const char *outdir;
	struct pa_range hyp;
	const struct dt_range *reserve;
	unsigned reserve_count;
	uint64_t dtb_addr;  /* set: where boot.cmd loads the tree (the first reserved range) */
	unsigned pa_bits;   /* --pa-bits, 0: the board's */
	unsigned gic_lines; /* --gic-lines, 0: the board's */
};

/* The limits config_parse() checks against, from the options or the board (bhconfig.c). */
struct config_limits board_limits(const void *fdt, const struct dt_board *board,
				  struct pa_range hyp, unsigned pa_bits, unsigned gic_lines);

/* Lays out the system in fdt (size bytes); returns 0 or 1 with a message printed. */
int layout_system(char *fdt, size_t size, struct layout_args *args);

#endif
