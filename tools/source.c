// SPDX-License-Identifier: MIT
/*
 * Source positions from dtc's annotated output (tools/source.h). dtc 1.6 writes one node or
 * property per line, each ending in its position:
 *
 *	bulkhead { / * partitions/x.dtsi:29:11-70:4 * /
 *		#size-cells = <0x02>; / * partitions/x.dtsi:32:3-32:21 * /
 *	}; / * partitions/x.dtsi:29:11-70:4 * /
 *
 * A node written in several places (a board .dtsi, then `&label { ... }` in the system) lists
 * them all; the last is the one that can be edited without touching the board. Reading dtc's
 * positions rather than the source itself makes /include/, labels and #line markers dtc's
 * business.
 */
#define _POSIX_C_SOURCE 200809L
#include "source.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_PATH  256

bool source_subject(const char *msg, char *path, size_t path_size, char *prop, size_t prop_size)
{
	const char *colon = strstr(msg, ": ");
	if (msg[0] != '/' || colon == NULL || (size_t)(colon - msg) >= path_size) {
		return false;
	}
	snprintf(path, path_size, "%.*s", (int)(colon - msg), msg);
	const char *rest = colon + 2, *end;
	static const char unknown[] = "unknown property '";
	if (strncmp(rest, unknown, sizeof(unknown) - 1) == 0) {
		rest += sizeof(unknown) - 1;
		end = strchr(rest, '\'');
	} else {
		end = rest;
		while (*end != '\0' && (isalnum((unsigned char)*end) || strchr(",._+#-", *end))) {
			end++;
		}
		/* A property name is followed by its index, its value or the rest of the sentence.
		 */
		if (*end != '[' && *end != ':' && *end != ' ') {
			end = rest;
		}
	}
	if (end == NULL || (size_t)(end - rest) >= prop_size) {
		end = rest;
	}
	snprintf(prop, prop_size, "%.*s", (int)(end - rest), rest);
	return true;
}

/* The last character c in s[0, len), or NULL. */
static const char *last_of(const char *s, size_t len, char c)
{
	while (len > 0 && s[len - 1] != c) {
		len--;
	}
	return len > 0 ? s + len - 1 : NULL;
}

/* "file:line" from the last "file:L:C-L:C" of a position comment. */
static bool position(const char *comment, size_t len, char *out, size_t size)
{
	const char *comma = last_of(comment, len, ',');
	const char *start = comma != NULL ? comma + 2 : comment;
	const char *dash =
		start < comment + len ? last_of(start, (size_t)(comment + len - start), '-') : NULL;
	const char *col = dash != NULL ? last_of(start, (size_t)(dash - start), ':') : NULL;
	const char *line = col != NULL ? last_of(start, (size_t)(col - start), ':') : NULL;
	if (line == NULL || line == start) {
		return false;
	}
	snprintf(out, size, "%.*s:%.*s", (int)(line - start), start, (int)(col - line - 1),
		 line + 1);
	return true;
}

bool source_locate(const char *dts, const char *path, const char *prop, char *out, size_t size)
{
	char cur[MAX_PATH];	 /* the path of the open node */
	size_t saved[MAX_DEPTH]; /* cur's length before each open node's name was added */
	int depth = -1;
	unsigned too_deep = 0; /* nodes opened past MAX_DEPTH, not followed */
	bool found = false;

	for (const char *line = dts; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		const char *next = nl != NULL ? nl + 1 : NULL;
		while (len > 0 && isspace((unsigned char)*line)) {
			line++;
			len--;
		}
		const char *comment = NULL;
		for (size_t i = len; i >= 3; i--) {
			if (strncmp(line + i - 3, " /*", 3) == 0) {
				comment = line + i;
				break;
			}
		}
		size_t code = comment != NULL ? (size_t)(comment - 3 - line) : len;
		size_t clen = comment != NULL ? (size_t)(line + len - comment) : 0;
		while (clen > 0 && comment[0] == ' ') {
			comment++;
			clen--;
		}
		while (clen > 0 && strchr(" */", comment[clen - 1]) != NULL) {
			clen--;
		}
		if (code >= 1 && line[code - 1] == '{' && (depth + 1 >= MAX_DEPTH || too_deep)) {
			too_deep++;
		} else if (code >= 1 && line[code - 1] == '{') {
			/* "label: other: name {": the name is the last word before the brace. */
			size_t e = code - 1;
			while (e > 0 && line[e - 1] == ' ') {
				e--;
			}
			size_t b = e;
			while (b > 0 && line[b - 1] != ' ') {
				b--;
			}
			size_t used = depth < 0 ? 0 : strlen(cur);
			saved[++depth] = used;
			if (depth == 0) {
				snprintf(cur, sizeof(cur), "/");
			} else {
				snprintf(cur + used, sizeof(cur) - used, "%s%.*s",
					 depth == 1 ? "" : "/", (int)(e - b), line + b);
			}
			if (strcmp(cur, path) == 0 && comment != NULL) {
				found = position(comment, clen, out, size) || found;
			}
		} else if (code >= 2 && strncmp(line, "};", 2) == 0 && too_deep > 0) {
			too_deep--;
		} else if (code >= 2 && strncmp(line, "};", 2) == 0 && depth >= 0) {
			cur[saved[depth--]] = '\0';
		} else if (depth >= 0 && !too_deep && prop[0] != '\0' && comment != NULL &&
			   strcmp(cur, path) == 0) {
			size_t n = strcspn(line, " ;=");
			if (n == strlen(prop) && strncmp(line, prop, n) == 0) {
				return position(comment, clen, out, size);
			}
		}
		line = next;
	}
	return found;
}
