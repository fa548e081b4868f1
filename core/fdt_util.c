// SPDX-License-Identifier: MIT
#include <core/fdt_util.h>
#include <core/printf.h>

uint64_t dt_read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;
	for (int i = 0; i < cells; i++) {
		v = (v << 32) | fdt32_ld(&p[i]);
	}
	return v;
}

int dt_cells(const void *fdt, int node, bool size_cells)
{
	int len;
	const fdt32_t *v =
		fdt_getprop(fdt, node, size_cells ? "#size-cells" : "#address-cells", &len);
	if (v == NULL) {
		return len != -FDT_ERR_NOTFOUND ? len : size_cells ? 1 : 2;
	}
	uint32_t n = len == 4 ? fdt32_ld(v) : ~0U;
	return n <= FDT_MAX_NCELLS && (n != 0 || size_cells) ? (int)n : -FDT_ERR_BADNCELLS;
}

void dt_node_path(const void *fdt, int node, char *buf, size_t size)
{
	if (fdt_get_path(fdt, node, buf, (int)size) != 0) {
		bh_snprintf(buf, size, "(node at offset %d)", node);
	}
}

void dt_set_error(struct dt_error *err, const void *fdt, int node, const char *fmt, ...)
{
	char path[96] = "?";

	if (err == NULL) {
		return;
	}
	if (node >= 0) {
		dt_node_path(fdt, node, path, sizeof(path));
	}
	int n = bh_snprintf(err->msg, sizeof(err->msg), "%s: ", path);
	if (n >= 0 && (size_t)n < sizeof(err->msg)) {
		va_list ap;
		va_start(ap, fmt);
		bh_vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

int dt_get_string(const void *fdt, int node, const char *name, const char **out, size_t *len)
{
	int plen;
	const char *s = fdt_getprop(fdt, node, name, &plen);
	if (s == NULL) {
		return BH_ENOENT;
	}
	if (plen < 1 || s[plen - 1] != '\0' || memchr(s, '\0', (size_t)plen - 1) != NULL) {
		return BH_EINVAL;
	}
	*out = s;
	*len = (size_t)plen - 1;
	return BH_OK;
}

bool dt_prop_is(const void *fdt, int node, const char *name, const char *value)
{
	const char *s;
	size_t len;
	return dt_get_string(fdt, node, name, &s, &len) == BH_OK && strcmp(s, value) == 0;
}

bool dt_compatible(const void *fdt, int node, const char *value)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "compatible", &len);
	if (s == NULL || len < 1 || s[len - 1] != '\0') {
		return false; /* libfdt would compare one byte past an unterminated list */
	}
	for (const char *end = s + len; s < end; s += strlen(s) + 1) {
		if (strcmp(s, value) == 0) {
			return true;
		}
	}
	return false;
}

int dt_find_compatible(const void *fdt, int from, const char *value)
{
	int node = from;
	while ((node = fdt_next_node(fdt, node, NULL)) >= 0 && !dt_compatible(fdt, node, value)) {
	}
	return node;
}

bool dt_node_available(const void *fdt, int node)
{
	return fdt_getprop(fdt, node, "status", NULL) == NULL ||
	       dt_prop_is(fdt, node, "status", "okay") || dt_prop_is(fdt, node, "status", "ok");
}

int dt_node_of_phandle(const void *fdt, uint32_t phandle)
{
	return phandle == 0 || phandle == ~0U ? -FDT_ERR_NOTFOUND
					      : fdt_node_offset_by_phandle(fdt, phandle);
}
