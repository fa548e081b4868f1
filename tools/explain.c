// SPDX-License-Identifier: MIT
/* bhconfig explain: see explain.h. */
#include "explain.h"

#include <string.h>

struct explain_entry {
	const char *name;
	const char *text;
};

#include "explain_text.h" /* explain_entries[], from scripts/gen-explain.py */

#define ARRAY_LEN(a)  (sizeof(a) / sizeof((a)[0]))
#define MAX_NAME      64
#define MAX_SUGGESTED 5

bool explain_known(const char *property)
{
	for (size_t i = 0; i < ARRAY_LEN(explain_entries); i++) {
		if (strcmp(explain_entries[i].name, property) == 0) {
			return true;
		}
	}
	return false;
}

void explain_print(FILE *out, const char *property)
{
	bool first = true;
	for (size_t i = 0; i < ARRAY_LEN(explain_entries); i++) {
		if (strcmp(explain_entries[i].name, property) == 0) {
			fprintf(out, "%s%s", first ? "" : "\n", explain_entries[i].text);
			first = false;
		}
	}
}

/* Levenshtein distance, for names of at most MAX_NAME characters (longer: far). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[MAX_NAME + 1];
	if (la > MAX_NAME || lb > MAX_NAME) {
		return MAX_NAME;
	}
	for (size_t j = 0; j <= lb; j++) {
		row[j] = j;
	}
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

void explain_suggest(FILE *out, const char *property)
{
	/* Close names: a third of the name may be wrong, or one contains the other. */
	const char *close[MAX_SUGGESTED];
	size_t n = 0, limit = strlen(property) / 3 + 1;
	for (size_t d = 0; d <= limit; d++) {
		for (size_t i = 0; i < ARRAY_LEN(explain_entries) && n < MAX_SUGGESTED; i++) {
			const char *name = explain_entries[i].name;
			bool near = distance(property, name) == d ||
				    (d == limit && property[0] != '\0' &&
				     (strstr(name, property) != NULL || strstr(property, name)));
			for (size_t k = 0; near && k < n; k++) {
				near = strcmp(close[k], name) != 0;
			}
			if (near) {
				close[n++] = name;
			}
		}
	}
	fprintf(out, "no property '%s' in the binding (docs/binding.md, docs/vmbus.md)", property);
	for (size_t k = 0; k < n; k++) {
		const char *sep = k == 0 ? "; did you mean " : k + 1 == n ? " or " : ", ";
		fprintf(out, "%s'%s'", sep, close[k]);
	}
	fprintf(out, "%s\n", n != 0 ? "?" : "");
}

int explain_command(const char *property)
{
	if (explain_known(property)) {
		explain_print(stdout, property);
		return 0;
	}
	fputs("error: ", stderr);
	explain_suggest(stderr, property);
	return 2;
}
