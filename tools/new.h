/* SPDX-License-Identifier: MIT */
/* bhconfig new (tools/new.c): a commented starting system for a board. */
#ifndef BHCONFIG_NEW_H
#define BHCONFIG_NEW_H

/* Writes the system for `board` ("qemu-virt" or "rpi4") to `output` (NULL: stdout), never over
   an existing file. 0, 1 (could not write) or 2 (no such board). */
int new_system(const char *board, const char *output);

#endif
