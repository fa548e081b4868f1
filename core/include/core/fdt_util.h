/* SPDX-License-Identifier: MIT */
/*
 * libfdt helpers shared by the board reader (core/dt.c) and the partition
 * parser (core/config*.c): numbers in cells, strings checked against their
 * property's length, `status`, and error messages that start with the path.
 */
#ifndef CORE_FDT_UTIL_H
#define CORE_FDT_UTIL_H

#include <core/dt.h>
#include <libfdt.h>

/* Reads `cells` big-endian 32-bit cells (at most 2) as one number. */
uint64_t dt_read_cells(const fdt32_t *p, int cells);

/*
 * The node's #address-cells (size_cells false) or #size-cells, with libfdt's
 * fdt_address_cells()/fdt_size_cells() results: 2 or 1 when absent, a
 * negative libfdt error when malformed or 0 address cells. Those two live in
 * libfdt's fdt_addresses.o, which pulls in the tree-writing fdt_rw.o and
 * fdt_wip.o: 5 KB of EL2 text the hypervisor never runs.
 */
int dt_cells(const void *fdt, int node, bool size_cells);

/* The node's path into buf, or "(node at offset N)" if libfdt cannot give it. */
void dt_node_path(const void *fdt, int node, char *buf, size_t size);

/*
 * Sets err->msg to "<path of node>: <fmt...>". A negative node has the path
 * "?"; a NULL err (an optional look-up) is left alone.
 */
void dt_set_error(struct dt_error *err, const void *fdt, int node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* dt_set_error, then rc: `return dt_fail(err, fdt, node, BH_EINVAL, "...", ...);` */
#define dt_fail(err, fdt, node, rc, ...) (dt_set_error((err), (fdt), (node), __VA_ARGS__), (rc))

/*
 * Property `name` as one string: *out points at it, *len is its length
 * without the NUL. BH_ENOENT if absent; BH_EINVAL unless the property is
 * exactly one string, its NUL the last byte (libfdt does not check that).
 */
int dt_get_string(const void *fdt, int node, const char *name, const char **out, size_t *len);

/* True if property `name` of `node` is exactly the string `value`. */
bool dt_prop_is(const void *fdt, int node, const char *name, const char *value);

/*
 * The node's `compatible` list holds `value`. Unlike libfdt's
 * fdt_node_check_compatible(), a list whose last string lacks its NUL
 * matches nothing (libfdt compares one byte past the property).
 */
bool dt_compatible(const void *fdt, int node, const char *value);

/* The first node after `from` (-1: from the start) that dt_compatible() finds, or < 0. */
int dt_find_compatible(const void *fdt, int from, const char *value);

/* The node has no `status`, or "okay" or "ok". */
bool dt_node_available(const void *fdt, int node);

/* The node a phandle names; 0 and ~0 name none (libfdt would find ~0 as "any"). */
int dt_node_of_phandle(const void *fdt, uint32_t phandle);

#endif
