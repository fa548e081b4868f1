/* SPDX-License-Identifier: MIT */
/* bhconfig show --svg (tools/svg.c): the system as a picture. */
#ifndef BHCONFIG_SVG_H
#define BHCONFIG_SVG_H

#include <core/config.h>

/*
 * Writes an SVG of the system: the physical memory map (the hypervisor, reserved ranges, each
 * partition's memory, the images' boot-loader copies, the channels, the devices, free RAM), each
 * partition's IPA view (memory with the images loaded in it, devices, channel windows, vuart),
 * and which partition has which CPU and device. Colours are per partition. 0, or 1 with the
 * reason printed.
 */
int svg_write(const char *path, const char *title, const void *fdt, const struct dt_board *board,
	      const struct config *cfg, struct pa_range hyp);

#endif
