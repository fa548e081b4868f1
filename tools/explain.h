/* SPDX-License-Identifier: MIT */
/*
 * bhconfig explain (tools/explain.c): the binding's text for a property, generated at build time
 * from the property tables of docs/binding.md and docs/vmbus.md (scripts/gen-explain.py), so
 * that the tool and the docs say the same.
 */
#ifndef BHCONFIG_EXPLAIN_H
#define BHCONFIG_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

/* Whether the docs describe a property of that name. */
bool explain_known(const char *property);

/* Prints every description of the property (one per kind of node that has it). */
void explain_print(FILE *out, const char *property);

/* "no property 'X' in the binding; did you mean 'Y' or 'Z'?" */
void explain_suggest(FILE *out, const char *property);

/* `bhconfig explain PROPERTY`: 0, or 2 with the closest names for one the docs do not know. */
int explain_command(const char *property);

#endif
