/* SPDX-License-Identifier: MIT */
/*
 * Source positions for bhconfig's errors (tools/source.c): where in the .dts (or a file it
 * includes) a node or property of the compiled tree was written, from dtc's annotated output
 * (`dtc -O dts -T -T`: every node and property followed by a comment with its file:line:col).
 */
#ifndef BHCONFIG_SOURCE_H
#define BHCONFIG_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The node and the property an error message is about: messages start with the node's path
 * ("/bulkhead/rt0: memory[1] (...) overlaps ...", "/bulkhead/rt0: unknown property 'x' (...)").
 * prop is the leading word of the rest ("memory"), or the quoted name after "unknown property",
 * "" if there is none. False if the message names no node.
 */
bool source_subject(const char *msg, char *path, size_t path_size, char *prop, size_t prop_size);

/*
 * "file:line" of property `prop` of the node at `path` (the node's own line if prop is "" or
 * the node has no such property) in dtc's annotated output `dts`. False if it is not there.
 */
bool source_locate(const char *dts, const char *path, const char *prop, char *out, size_t size);

#endif
