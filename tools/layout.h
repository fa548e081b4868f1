/* SPDX-License-Identifier: MIT */
/* bhconfig layout (tools/layout.c). */
#ifndef BHCONFIG_LAYOUT_H
#define BHCONFIG_LAYOUT_H

#include <core/dt.h>

struct layout_args {
	uint64_t image_base; /* where the first image goes */
	const char *outdir;
	struct pa_range hyp;
	const struct dt_range *reserve;
	unsigned reserve_count;
	uint64_t dtb_addr; /* set: where boot.cmd loads the tree (the first reserved range) */
};

/* Lays out the system in fdt (size bytes); returns 0 or 1 with a message printed. */
int layout_system(char *fdt, size_t size, struct layout_args *args);

#endif
