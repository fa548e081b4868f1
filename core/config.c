// SPDX-License-Identifier: MIT
/*
 * The system configuration: partitions under /bulkhead (binding v1,
 * docs/binding.md), read into struct bh_config and checked against the board
 * (RAM, reserved memory, CPUs) and the hypervisor's own footprint.
 *
 * The hypervisor runs this at boot and the host tool bhconfig runs the very
 * same code, so it allocates nothing and uses only the freestanding string
 * functions. The first error found stops the parse; its message names the
 * node path and the property, e.g.
 *   /bulkhead/rt0: memory[1] (PA 0x48000000+0x100000) overlaps /bulkhead/root memory[0]
 */
#include <bulkhead/config.h>
#include <bulkhead/printf.h>
#include <libfdt.h>

_Static_assert(DT_MAX_CPUS <= 64, "bh_partition_config.cpu_mask has 64 bits");

#define SYSTEM_COMPATIBLE    "bulkhead,system-v1"
#define PARTITION_COMPATIBLE "bulkhead,partition-v1"
#define IMAGE_COMPATIBLE     "bulkhead,image-v1"
#define MEM_GRANULE	     KiB(4)
#define LINUX_ALIGN	     MiB(2) /* arm64 booting.rst: a 2 MiB aligned base */
#define DTB_ALIGN	     8	    /* booting.rst: the device tree is 8-byte aligned */
#define DTB_MAX_SIZE	     MiB(2) /* booting.rst: and at most 2 MiB */

/* Properties each kind of node may have, besides phandle and linux,phandle. */
static const char *const system_props[] = {"compatible", "#address-cells", "#size-cells"};
static const char *const partition_props[] = {
	"compatible",	  "root",	 "cpus",    "memory", "bootargs",
	"#address-cells", "#size-cells", "devices", "vuart",  "vuart-interrupt",
};
static const char *const image_props[] = {"compatible", "reg", "load", "format", "entry"};

struct parser {
	const void *fdt;
	const struct dt_board *board;
	uint64_t hyp_start;
	uint64_t hyp_end;
	struct bh_config *cfg;
	struct dt_error *err;
	int system;  /* offset of /bulkhead */
	int cpus;    /* offset of /cpus, or a negative libfdt error */
	int cpus_ac; /* /cpus #address-cells: the cells of a CPU's MPIDR */
	int ac;	     /* /bulkhead #address-cells: addresses in memory, reg, load, entry */
	int sc;	     /* /bulkhead #size-cells: sizes in memory and reg */
	int root;    /* index (tree order) of the root partition, -1 until found */
	int partition_node[BH_MAX_PARTITIONS];
	int image_node[BH_MAX_PARTITIONS][BH_MAX_IMAGES];
};

/* ---------------------------------------------------------------- ranges */

/* Last byte of a non-empty range, saturated at the top of the address space. */
static uint64_t range_last(uint64_t base, uint64_t size)
{
	return size - 1 > UINT64_MAX - base ? UINT64_MAX : base + (size - 1);
}

static bool range_wraps(uint64_t base, uint64_t size)
{
	return size != 0 && size - 1 > UINT64_MAX - base;
}

bool bh_range_overlaps(uint64_t a_base, uint64_t a_size, uint64_t b_base, uint64_t b_size)
{
	if (a_size == 0 || b_size == 0) {
		return false;
	}
	return a_base <= range_last(b_base, b_size) && b_base <= range_last(a_base, a_size);
}

bool bh_range_within(uint64_t base, uint64_t size, uint64_t outer_base, uint64_t outer_size)
{
	if (size == 0 || outer_size == 0) {
		return false;
	}
	return base >= outer_base && range_last(base, size) <= range_last(outer_base, outer_size);
}

bool bh_config_ipa_to_pa(const struct bh_partition_config *p, uint64_t ipa, uint64_t size,
			 uint64_t *pa)
{
	if (range_wraps(ipa, size)) {
		return false;
	}
	for (unsigned i = 0; i < p->mem_count; i++) {
		const struct bh_mem_region *r = &p->mem[i];
		if (bh_range_within(ipa, size != 0 ? size : 1, r->ipa, r->size)) {
			*pa = r->pa + (ipa - r->ipa);
			return true;
		}
	}
	return false;
}

void bh_device_irq_list(const struct bh_device *d, char *buf, size_t size)
{
	size_t used = 0;
	bh_snprintf(buf, size, "none");
	for (unsigned k = 0; k < d->spi_count && used < size; k++) {
		used += (size_t)bh_snprintf(buf + used, size - used, "%s%u", k ? "," : "",
					    d->spi[k]);
	}
}

const char *bh_image_format_name(enum bh_image_format format)
{
	switch (format) {
	case BH_IMAGE_LINUX:
		return "linux";
	case BH_IMAGE_DTB:
		return "dtb";
	default:
		return "raw";
	}
}

/* ---------------------------------------------------------------- messages */

static void node_path(const struct parser *p, int node, char *buf, size_t size)
{
	if (fdt_get_path(p->fdt, node, buf, (int)size) != 0) {
		bh_snprintf(buf, size, "(node at offset %d)", node);
	}
}

/* Sets the error message to "<path of node>: <fmt...>" and returns rc. */
static int fail(struct parser *p, int node, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, int node, int rc, const char *fmt, ...)
{
	char path[96];

	node_path(p, node, path, sizeof(path));
	int n = bh_snprintf(p->err->msg, sizeof(p->err->msg), "%s: ", path);
	if (n >= 0 && (size_t)n < sizeof(p->err->msg)) {
		va_list ap;
		va_start(ap, fmt);
		bh_vsnprintf(p->err->msg + n, sizeof(p->err->msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The board's RAM ranges as "0x40000000+0x40000000, ...", for messages. */
static void describe_ram(const struct dt_board *board, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < board->mem_count && n < size; i++) {
		if (i == 2 && board->mem_count > 3) {
			bh_snprintf(buf + n, size - n, ", ...");
			return;
		}
		int w = bh_snprintf(buf + n, size - n, "%s0x%llx+0x%llx", i != 0 ? ", " : "",
				    (unsigned long long)board->mem[i].base,
				    (unsigned long long)board->mem[i].size);
		if (w < 0) {
			return;
		}
		n += (size_t)w;
	}
}

/* ---------------------------------------------------------------- properties */

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;
	for (int i = 0; i < cells; i++) {
		v = (v << 32) | fdt32_ld(&p[i]);
	}
	return v;
}

static bool in_list(const char *name, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(name, list[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* Every property of node must be in known (or be a phandle). */
static int check_props(struct parser *p, int node, const char *const *known, size_t count,
		       const char *what)
{
	int prop;
	fdt_for_each_property_offset(prop, p->fdt, node)
	{
		const char *name = NULL;
		if (fdt_getprop_by_offset(p->fdt, prop, &name, NULL) == NULL || name == NULL) {
			return fail(p, node, BH_EINVAL, "unreadable property at offset %d", prop);
		}
		if (in_list(name, known, count) || strcmp(name, "phandle") == 0 ||
		    strcmp(name, "linux,phandle") == 0) {
			continue;
		}
		char list[96];
		size_t n = 0;
		list[0] = '\0';
		for (size_t i = 0; i < count && n < sizeof(list); i++) {
			int w = bh_snprintf(list + n, sizeof(list) - n, "%s%s", i != 0 ? ", " : "",
					    known[i]);
			n += w > 0 ? (size_t)w : 0;
		}
		return fail(p, node, BH_EINVAL, "unknown property '%s' (%s has: %s)", name, what,
			    list);
	}
	return BH_OK;
}

/*
 * A string property: *out points at it, its length without the NUL in *len.
 * BH_ENOENT if absent; BH_EINVAL (message set) unless it is one string.
 */
static int get_string(struct parser *p, int node, const char *name, const char **out, size_t *len)
{
	int plen;
	const char *s = fdt_getprop(p->fdt, node, name, &plen);
	if (s == NULL) {
		return BH_ENOENT;
	}
	if (plen < 1 || s[plen - 1] != '\0' || memchr(s, '\0', (size_t)plen - 1) != NULL) {
		return fail(p, node, BH_EINVAL, "%s: not a single string", name);
	}
	*out = s;
	*len = (size_t)plen - 1;
	return BH_OK;
}

/* A property of exactly `cells` cells (1 or 2) holding one number. */
static int get_number(struct parser *p, int node, const char *name, int cells, uint64_t *out)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, name, &len);
	if (v == NULL) {
		return BH_ENOENT;
	}
	if (len != cells * 4) {
		return fail(p, node, BH_EINVAL, "%s: %d bytes, expected %d (#address-cells = <%d>)",
			    name, len, cells * 4, cells);
	}
	*out = read_cells(v, cells);
	return BH_OK;
}

/* The first string of compatible is `want`, or any later one is. */
static int check_compatible(struct parser *p, int node, const char *want)
{
	int len;
	const char *c = fdt_getprop(p->fdt, node, "compatible", &len);
	if (c == NULL) {
		return fail(p, node, BH_EINVAL, "missing 'compatible' (\"%s\")", want);
	}
	if (fdt_node_check_compatible(p->fdt, node, want) == 0) {
		return BH_OK;
	}
	const char *nul = len > 0 ? memchr(c, '\0', (size_t)len) : NULL;
	int shown = nul != NULL ? (int)(nul - c) : 0;
	return fail(p, node, BH_EINVAL, "compatible is \"%.*s\", expected \"%s\"", shown, c, want);
}

/*
 * A partition or image name: the node name up to '@', 1 to BH_NAME_MAX - 1
 * characters from [a-z0-9_-]. The length goes to *len.
 */
static bool valid_name(const char *node_name, size_t *len)
{
	size_t n = 0;
	while (node_name[n] != '\0' && node_name[n] != '@') {
		char c = node_name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			return false;
		}
		n++;
	}
	*len = n;
	return n >= 1 && n < BH_NAME_MAX;
}

/* Copies the name into out; *unit points at the unit address ("" if none). */
static int check_name(struct parser *p, int node, char *out, const char **unit, const char *what)
{
	const char *name = fdt_get_name(p->fdt, node, NULL);
	size_t len = 0;
	if (name == NULL || !valid_name(name, &len)) {
		return fail(p, node, BH_EINVAL,
			    "bad %s name: it must be 1-%d characters from [a-z0-9_-]", what,
			    BH_NAME_MAX - 1);
	}
	memcpy(out, name, len);
	out[len] = '\0';
	*unit = name[len] == '@' ? name + len + 1 : "";
	return BH_OK;
}

/* #address-cells / #size-cells of node: 1 or 2, *cells = 0 if absent. */
static int get_cells(struct parser *p, int node, const char *name, int *cells)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, name, &len);
	*cells = 0;
	if (v == NULL) {
		return BH_OK;
	}
	uint32_t n = len == 4 ? fdt32_ld(v) : 0;
	if (n < 1 || n > 2) {
		return fail(p, node, BH_EINVAL, "%s: must be <1> or <2>", name);
	}
	*cells = (int)n;
	return BH_OK;
}

/* ---------------------------------------------------------------- /bulkhead */

static int parse_system_node(struct parser *p)
{
	int rc = check_compatible(p, p->system, SYSTEM_COMPATIBLE);
	if (rc == BH_OK) {
		rc = check_props(p, p->system, system_props, ARRAY_SIZE(system_props), "/bulkhead");
	}
	if (rc == BH_OK) {
		rc = get_cells(p, p->system, "#address-cells", &p->ac);
	}
	if (rc == BH_OK) {
		rc = get_cells(p, p->system, "#size-cells", &p->sc);
	}
	if (rc != BH_OK) {
		return rc;
	}
	if (p->ac == 0 || p->sc == 0) {
		return fail(p, p->system, BH_EINVAL, "missing '%s' (<1> or <2>; usually <2>)",
			    p->ac == 0 ? "#address-cells" : "#size-cells");
	}
	p->cpus = fdt_path_offset(p->fdt, "/cpus");
	p->cpus_ac = p->cpus >= 0 ? fdt_address_cells(p->fdt, p->cpus) : 1;
	if (p->cpus_ac < 1 || p->cpus_ac > 2) {
		p->cpus_ac = 1; /* dt_parse_board has refused such a tree already */
	}
	return BH_OK;
}

/* ---------------------------------------------------------------- partitions */

/* The node a phandle names; 0 and ~0 name none (libfdt would find ~0 as "any"). */
static int node_of_phandle(const void *fdt, uint32_t phandle)
{
	return phandle == 0 || phandle == ~0U ? -FDT_ERR_NOTFOUND
					      : fdt_node_offset_by_phandle(fdt, phandle);
}

static int parse_cpus(struct parser *p, int node, unsigned index)
{
	struct bh_partition_config *part = &p->cfg->partitions[index];
	int len;
	const fdt32_t *phandles = fdt_getprop(p->fdt, node, "cpus", &len);

	if (phandles == NULL) {
		return fail(p, node, BH_EINVAL, "missing 'cpus' (phandles of /cpus nodes)");
	}
	if (len == 0) {
		return fail(p, node, BH_EINVAL, "cpus: empty (a partition needs a CPU)");
	}
	if (len % 4 != 0) {
		return fail(p, node, BH_EINVAL, "cpus: %d bytes is not a list of phandles", len);
	}
	for (int i = 0; i < len / 4; i++) {
		uint32_t phandle = fdt32_ld(&phandles[i]);
		int cpu = node_of_phandle(p->fdt, phandle);
		if (cpu < 0) {
			return fail(p, node, BH_EINVAL, "cpus[%d]: phandle 0x%x matches no node", i,
				    phandle);
		}
		char path[64];
		node_path(p, cpu, path, sizeof(path));
		int type_len, reg_len;
		const char *type = fdt_getprop(p->fdt, cpu, "device_type", &type_len);
		const fdt32_t *reg = fdt_getprop(p->fdt, cpu, "reg", &reg_len);
		if (p->cpus < 0 || fdt_parent_offset(p->fdt, cpu) != p->cpus || type == NULL ||
		    type_len != 4 || memcmp(type, "cpu", 4) != 0 || reg == NULL ||
		    reg_len != p->cpus_ac * 4) {
			return fail(p, node, BH_EINVAL,
				    "cpus[%d]: %s is not a CPU (a /cpus node with device_type "
				    "\"cpu\" and its MPIDR in 'reg')",
				    i, path);
		}
		uint64_t mpidr = read_cells(reg, p->cpus_ac);
		/* By MPIDR: the hypervisor has moved the boot CPU to index 0. */
		int logical = dt_cpu_index(p->board, mpidr);
		if (logical < 0) {
			return fail(p, node, BH_EINVAL,
				    "cpus[%d]: %s (MPIDR 0x%llx) is not a CPU the hypervisor runs "
				    "(status \"fail\", or beyond CONFIG_MAX_CPUS)",
				    i, path, (unsigned long long)mpidr);
		}
		uint64_t bit = 1ULL << (unsigned)logical;
		if ((part->cpu_mask & bit) != 0) {
			return fail(p, node, BH_EEXIST, "cpus[%d]: %s is listed twice", i, path);
		}
		for (unsigned j = 0; j < index; j++) {
			if ((p->cfg->partitions[j].cpu_mask & bit) != 0) {
				return fail(p, node, BH_EEXIST,
					    "cpus[%d]: %s (MPIDR 0x%llx) is already in %s", i, path,
					    (unsigned long long)mpidr, p->cfg->partitions[j].path);
			}
		}
		part->cpu_mask |= bit;
		part->cpu_count++;
	}
	return BH_OK;
}

/* [base, base+size) lies inside one RAM range of the board. */
static bool in_ram(const struct dt_board *board, uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < board->mem_count; i++) {
		if (bh_range_within(base, size, board->mem[i].base, board->mem[i].size)) {
			return true;
		}
	}
	return false;
}

static int parse_memory(struct parser *p, int node, struct bh_partition_config *part)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, "memory", &len);
	int entry = 2 * p->ac + p->sc;

	if (v == NULL) {
		return fail(p, node, BH_EINVAL, "missing 'memory' (<IPA PA size> triples)");
	}
	if (len == 0) {
		return fail(p, node, BH_EINVAL, "memory: empty (a partition needs memory)");
	}
	if (len % (entry * 4) != 0) {
		return fail(p, node, BH_EINVAL,
			    "memory: %d bytes is not a list of <IPA PA size> triples (%d cells "
			    "each)",
			    len, entry);
	}
	int count = len / (entry * 4);
	if (count > BH_MAX_MEM_REGIONS) {
		return fail(p, node, BH_ENOMEM, "memory: %d regions, at most %d", count,
			    BH_MAX_MEM_REGIONS);
	}
	for (int i = 0; i < count; i++) {
		const fdt32_t *t = &v[(size_t)i * (size_t)entry];
		uint64_t ipa = read_cells(t, p->ac);
		uint64_t pa = read_cells(t + p->ac, p->ac);
		uint64_t size = read_cells(t + (size_t)p->ac * 2, p->sc);

		if (size == 0) {
			return fail(p, node, BH_EINVAL, "memory[%d]: size is 0", i);
		}
		if (!IS_ALIGNED(ipa, MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL,
				    "memory[%d]: IPA 0x%llx is not 4 KiB aligned", i,
				    (unsigned long long)ipa);
		}
		if (!IS_ALIGNED(pa, MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL,
				    "memory[%d]: PA 0x%llx is not 4 KiB aligned", i,
				    (unsigned long long)pa);
		}
		if (!IS_ALIGNED(size, MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL,
				    "memory[%d]: size 0x%llx is not a multiple of 4 KiB", i,
				    (unsigned long long)size);
		}
		if (range_wraps(ipa, size) || range_wraps(pa, size)) {
			return fail(
				p, node, BH_ERANGE,
				"memory[%d] (IPA 0x%llx, PA 0x%llx, size 0x%llx) wraps around the "
				"address space",
				i, (unsigned long long)ipa, (unsigned long long)pa,
				(unsigned long long)size);
		}
		if (!in_ram(p->board, pa, size)) {
			char ram[80];
			describe_ram(p->board, ram, sizeof(ram));
			return fail(p, node, BH_ERANGE,
				    "memory[%d] (PA 0x%llx+0x%llx) is not inside one RAM range "
				    "(RAM: %s)",
				    i, (unsigned long long)pa, (unsigned long long)size, ram);
		}
		for (int j = 0; j < i; j++) {
			const struct bh_mem_region *o = &part->mem[j];
			if (bh_range_overlaps(ipa, size, o->ipa, o->size)) {
				return fail(
					p, node, BH_ERANGE,
					"memory[%d] (IPA 0x%llx+0x%llx) overlaps memory[%d] (IPA "
					"0x%llx+0x%llx)",
					i, (unsigned long long)ipa, (unsigned long long)size, j,
					(unsigned long long)o->ipa, (unsigned long long)o->size);
			}
		}
		part->mem[i] = (struct bh_mem_region){ipa, pa, size};
	}
	part->mem_count = (unsigned)count;
	return BH_OK;
}

static int parse_image(struct parser *p, int node, unsigned index, unsigned k)
{
	struct bh_partition_config *part = &p->cfg->partitions[index];
	struct bh_image *img = &part->images[k];
	const char *unit = "";
	int rc = check_name(p, node, img->name, &unit, "image");

	if (rc == BH_OK) {
		rc = check_compatible(p, node, IMAGE_COMPATIBLE);
	}
	if (rc == BH_OK) {
		rc = check_props(p, node, image_props, ARRAY_SIZE(image_props), "an image");
	}
	if (rc != BH_OK) {
		return rc;
	}
	for (unsigned j = 0; j < k; j++) {
		if (strcmp(part->images[j].name, img->name) == 0) {
			return fail(p, node, BH_EEXIST, "image name '%s' is used twice in %s",
				    img->name, part->path);
		}
	}

	/* reg: where the boot loader put it. */
	int len;
	const fdt32_t *reg = fdt_getprop(p->fdt, node, "reg", &len);
	if (reg == NULL) {
		return fail(p, node, BH_EINVAL,
			    "missing 'reg' (<PA size>: where the boot loader put the image)");
	}
	if (len != (p->ac + p->sc) * 4) {
		return fail(p, node, BH_EINVAL, "reg: %d bytes, expected %d (one <PA size> pair)",
			    len, (p->ac + p->sc) * 4);
	}
	img->src_pa = read_cells(reg, p->ac);
	img->size = read_cells(reg + p->ac, p->sc);
	if (img->size == 0) {
		return fail(p, node, BH_EINVAL, "reg: size is 0");
	}
	if (range_wraps(img->src_pa, img->size)) {
		return fail(p, node, BH_ERANGE,
			    "reg (PA 0x%llx+0x%llx) wraps around the address space",
			    (unsigned long long)img->src_pa, (unsigned long long)img->size);
	}
	if (unit[0] != '\0') {
		char want[20];
		bh_snprintf(want, sizeof(want), "%llx", (unsigned long long)img->src_pa);
		if (strcmp(unit, want) != 0) {
			return fail(p, node, BH_EINVAL,
				    "unit address @%s does not match reg (PA 0x%llx: @%s)", unit,
				    (unsigned long long)img->src_pa, want);
		}
	}
	if (!in_ram(p->board, img->src_pa, img->size)) {
		char ram[80];
		describe_ram(p->board, ram, sizeof(ram));
		return fail(p, node, BH_ERANGE,
			    "reg (PA 0x%llx+0x%llx) is not inside one RAM range (RAM: %s)",
			    (unsigned long long)img->src_pa, (unsigned long long)img->size, ram);
	}

	/* format */
	const char *format = "raw";
	size_t format_len = 3;
	rc = get_string(p, node, "format", &format, &format_len);
	if (rc == BH_EINVAL) {
		return rc;
	}
	if (strcmp(format, "raw") == 0) {
		img->format = BH_IMAGE_RAW;
	} else if (strcmp(format, "linux") == 0) {
		img->format = BH_IMAGE_LINUX;
	} else if (strcmp(format, "dtb") == 0) {
		img->format = BH_IMAGE_DTB;
		if (part->has_dtb) {
			char other[96];
			node_path(p, p->image_node[index][part->dtb_image], other, sizeof(other));
			return fail(p, node, BH_EEXIST,
				    "format: %s is the partition's device tree already (at most "
				    "one \"dtb\" image)",
				    other);
		}
		if (img->size > DTB_MAX_SIZE) {
			return fail(p, node, BH_EINVAL,
				    "reg: size 0x%llx is over 2 MiB, too big for a device tree "
				    "(format \"dtb\")",
				    (unsigned long long)img->size);
		}
		part->has_dtb = true;
		part->dtb_image = k;
	} else {
		return fail(p, node, BH_EINVAL,
			    "format: \"%s\" is not \"raw\", \"linux\" or \"dtb\"", format);
	}

	/* load: where it goes in the partition. */
	rc = get_number(p, node, "load", p->ac, &img->load_ipa);
	if (rc == BH_ENOENT) {
		return fail(p, node, BH_EINVAL,
			    "missing 'load' (the IPA the image is copied to in the partition)");
	}
	if (rc != BH_OK) {
		return rc;
	}
	uint64_t unused_pa;
	if (!bh_config_ipa_to_pa(part, img->load_ipa, img->size, &unused_pa)) {
		return fail(p, node, BH_ERANGE,
			    "load (IPA 0x%llx+0x%llx) is not inside one memory region of %s",
			    (unsigned long long)img->load_ipa, (unsigned long long)img->size,
			    part->path);
	}
	if (img->format == BH_IMAGE_LINUX && !IS_ALIGNED(img->load_ipa, LINUX_ALIGN)) {
		return fail(p, node, BH_EINVAL,
			    "load: IPA 0x%llx is not 2 MiB aligned (format \"linux\" needs it)",
			    (unsigned long long)img->load_ipa);
	}
	if (img->format == BH_IMAGE_DTB && !IS_ALIGNED(img->load_ipa, DTB_ALIGN)) {
		return fail(p, node, BH_EINVAL,
			    "load: IPA 0x%llx is not 8-byte aligned (format \"dtb\" needs it)",
			    (unsigned long long)img->load_ipa);
	}
	for (unsigned j = 0; j < k; j++) {
		const struct bh_image *o = &part->images[j];
		if (bh_range_overlaps(img->load_ipa, img->size, o->load_ipa, o->size)) {
			char other[96];
			node_path(p, p->image_node[index][j], other, sizeof(other));
			return fail(p, node, BH_ERANGE,
				    "load (IPA 0x%llx+0x%llx) overlaps %s load (IPA 0x%llx+0x%llx)",
				    (unsigned long long)img->load_ipa,
				    (unsigned long long)img->size, other,
				    (unsigned long long)o->load_ipa, (unsigned long long)o->size);
		}
	}

	/* entry */
	img->entry_ipa = img->load_ipa;
	rc = get_number(p, node, "entry", p->ac, &img->entry_ipa);
	if (rc == BH_ENOENT) {
		return BH_OK;
	}
	if (rc != BH_OK) {
		return rc;
	}
	img->has_entry = true;
	if (img->format == BH_IMAGE_LINUX) {
		return fail(p, node, BH_EINVAL,
			    "entry: only raw images have one (a \"linux\" image is entered per "
			    "its header)");
	}
	if (img->format == BH_IMAGE_DTB) {
		return fail(p, node, BH_EINVAL,
			    "entry: only raw images have one (a \"dtb\" image is data)");
	}
	if (!bh_range_within(img->entry_ipa, 1, img->load_ipa, img->size)) {
		return fail(p, node, BH_ERANGE,
			    "entry 0x%llx is outside the image (IPA 0x%llx+0x%llx)",
			    (unsigned long long)img->entry_ipa, (unsigned long long)img->load_ipa,
			    (unsigned long long)img->size);
	}
	if (!IS_ALIGNED(img->entry_ipa, 4)) {
		return fail(p, node, BH_EINVAL, "entry 0x%llx is not 4-byte aligned",
			    (unsigned long long)img->entry_ipa);
	}
	return BH_OK;
}

/*
 * The entry image: the one with format "linux" or an `entry` (at most one
 * image has either), else the one named "kernel", else the first; never the
 * device tree.
 */
static int choose_entry_image(struct parser *p, unsigned index)
{
	struct bh_partition_config *part = &p->cfg->partitions[index];
	int chosen = -1;

	for (unsigned k = 0; k < part->image_count; k++) {
		const struct bh_image *img = &part->images[k];
		if (img->format != BH_IMAGE_LINUX && !img->has_entry) {
			continue;
		}
		if (chosen >= 0) {
			char other[96];
			node_path(p, p->image_node[index][chosen], other, sizeof(other));
			return fail(p, p->image_node[index][k], BH_EEXIST,
				    "%s: %s is the entry image already (only one image per "
				    "partition may be \"linux\" or have 'entry')",
				    img->format == BH_IMAGE_LINUX ? "format" : "entry", other);
		}
		chosen = (int)k;
	}
	for (unsigned k = 0; chosen < 0 && k < part->image_count; k++) {
		if (strcmp(part->images[k].name, "kernel") == 0 &&
		    part->images[k].format != BH_IMAGE_DTB) {
			chosen = (int)k;
		}
	}
	for (unsigned k = 0; chosen < 0 && k < part->image_count; k++) {
		if (part->images[k].format != BH_IMAGE_DTB) {
			chosen = (int)k;
		}
	}
	if (chosen < 0) {
		return fail(p, p->partition_node[index], BH_EINVAL,
			    "no image to run (the only image is the device tree)");
	}
	part->entry_image = (unsigned)chosen;
	return BH_OK;
}

/* ---------------------------------------------------------------- devices */

static uint64_t page_base(const struct dt_range *r)
{
	return r->base & ~(uint64_t)(MEM_GRANULE - 1);
}

/* The pages a register range touches: stage 2 maps whole pages. */
static uint64_t page_span(const struct dt_range *r)
{
	uint64_t end = (r->base + r->size + MEM_GRANULE - 1) & ~(uint64_t)(MEM_GRANULE - 1);
	return end - page_base(r);
}

static bool ranges_touch(const struct dt_range *a, const struct dt_range *b)
{
	return bh_range_overlaps(page_base(a), page_span(a), page_base(b), page_span(b));
}

/* The interrupt parent of a node (its own or inherited), or a negative libfdt error. */
static int interrupt_parent(const void *fdt, int node)
{
	for (int n = node; n >= 0; n = fdt_parent_offset(fdt, n)) {
		int len;
		const fdt32_t *ip = fdt_getprop(fdt, n, "interrupt-parent", &len);
		if (ip != NULL && len == 4) {
			return fdt_node_offset_by_phandle(fdt, fdt32_ld(ip));
		}
	}
	return -FDT_ERR_NOTFOUND;
}

/* The board's GIC, or a node below it (GICv3 ITS): never a partition's. */
static bool in_gic(const struct parser *p, int node)
{
	for (int n = node; n >= 0; n = fdt_parent_offset(p->fdt, n)) {
		struct dt_range r;
		struct dt_error e;
		if (fdt_getprop(p->fdt, n, "interrupt-controller", NULL) != NULL &&
		    dt_node_reg(p->fdt, n, 0, &r, &e) == BH_OK &&
		    r.base == p->board->gic.dist.base) {
			return true;
		}
	}
	return false;
}

/* Why a node cannot be given to a partition at all, or NULL. */
static const char *not_a_device(const struct parser *p, int node, const char *path)
{
	static const char *const system_nodes[] = {"/cpus",   "/memory",   "/reserved-memory",
						   "/chosen", "/bulkhead", "/psci"};
	for (size_t i = 0; i < ARRAY_SIZE(system_nodes); i++) {
		size_t n = strlen(system_nodes[i]);
		if (strncmp(path, system_nodes[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/' || path[n] == '@')) {
			return "is not a device (it describes the system)";
		}
	}
	if (in_gic(p, node)) {
		return "is the interrupt controller, which the hypervisor virtualizes";
	}
	if (p->board->uart.kind != DT_UART_NONE && strcmp(path, p->board->uart.path) == 0) {
		return "is the hypervisor's console UART";
	}
	return NULL;
}

/* Reads a device's registers and SPIs into *d; a message names `what` on error. */
static int read_device(struct parser *p, int owner, int dev, const char *what, const char *path,
		       struct bh_device *d)
{
	struct dt_error e;
	d->node = dev;
	d->reg_count = 0;
	d->spi_count = 0;
	for (int i = 0;; i++) {
		struct dt_range r;
		int rc = dt_node_reg(p->fdt, dev, i, &r, &e);
		if (rc == BH_ENOENT && i > 0) {
			break;
		}
		if (rc == BH_ENOENT) {
			return fail(p, owner, BH_EINVAL, "%s: %s has no 'reg' (nothing to map)",
				    what, path);
		}
		if (rc != BH_OK) {
			return fail(p, owner, rc, "%s: %s", what, e.msg);
		}
		if (i == BH_MAX_DEVICE_REGS) {
			return fail(p, owner, BH_ENOMEM, "%s: %s has more than %d 'reg' entries",
				    what, path, BH_MAX_DEVICE_REGS);
		}
		if (r.size == 0) {
			continue;
		}
		for (unsigned m = 0; m < p->board->mem_count; m++) {
			if (bh_range_overlaps(r.base, r.size, p->board->mem[m].base,
					      p->board->mem[m].size)) {
				return fail(p, owner, BH_ERANGE,
					    "%s: %s (PA 0x%llx+0x%llx) is RAM, not a device "
					    "(give RAM with 'memory')",
					    what, path, (unsigned long long)r.base,
					    (unsigned long long)r.size);
			}
		}
		d->reg[d->reg_count++] = r;
	}

	int len;
	const fdt32_t *irqs = fdt_getprop(p->fdt, dev, "interrupts", &len);
	if (irqs == NULL) {
		return BH_OK;
	}
	int parent = interrupt_parent(p->fdt, dev);
	if (parent < 0 || !in_gic(p, parent)) {
		return fail(p, owner, BH_EINVAL,
			    "%s: %s has interrupts, but not from the GIC (only GIC SPIs can be "
			    "given to a partition)",
			    what, path);
	}
	if (len % 12 != 0) {
		return fail(p, owner, BH_EINVAL,
			    "%s: %s interrupts: %d bytes is not a list of <type number flags>",
			    what, path, len);
	}
	for (int i = 0; i < len / 12; i++) {
		uint32_t type = fdt32_ld(&irqs[(size_t)3 * (size_t)i]);
		uint32_t number = fdt32_ld(&irqs[(size_t)3 * (size_t)i + 1]);
		if (type != 0) {
			return fail(p, owner, BH_EINVAL,
				    "%s: %s interrupts[%d] is a PPI (only SPIs can be given to a "
				    "partition)",
				    what, path, i);
		}
		if (number + 32 >= 1020) {
			return fail(p, owner, BH_ERANGE,
				    "%s: %s interrupts[%d]: SPI %u does not exist", what, path, i,
				    number);
		}
		if (d->spi_count == BH_MAX_DEVICE_SPIS) {
			return fail(p, owner, BH_ENOMEM, "%s: %s has more than %d interrupts", what,
				    path, BH_MAX_DEVICE_SPIS);
		}
		d->spi[d->spi_count++] = (uint16_t)(number + 32);
	}
	return BH_OK;
}

/*
 * Whether d conflicts with what partitions 0..count-1 (and `self`, up to
 * its device_count) already have: the same node, a shared page or an SPI.
 * Fills `why` with the message tail.
 */
static bool device_conflict(const struct parser *p, const struct bh_device *d, unsigned count,
			    const struct bh_partition_config *self, char *why, size_t size)
{
	char other[96];
	/* Devices sit at IPA = PA: not where the partition has its memory. */
	for (unsigned a = 0; a < d->reg_count; a++) {
		for (unsigned m = 0; m < self->mem_count; m++) {
			if (bh_range_overlaps(page_base(&d->reg[a]), page_span(&d->reg[a]),
					      self->mem[m].ipa, self->mem[m].size)) {
				bh_snprintf(
					why, size,
					"(PA 0x%llx, mapped at the same IPA) overlaps memory[%u] "
					"of %s",
					(unsigned long long)d->reg[a].base, m, self->path);
				return true;
			}
		}
	}
	for (unsigned a = 0; a < d->reg_count && self->has_vuart; a++) {
		if (bh_range_overlaps(page_base(&d->reg[a]), page_span(&d->reg[a]), self->vuart_ipa,
				      MEM_GRANULE)) {
			bh_snprintf(why, size, "is where the vuart of %s is", self->path);
			return true;
		}
	}
	for (unsigned j = 0; j <= count; j++) {
		const struct bh_partition_config *o = j < count ? &p->cfg->partitions[j] : self;
		if (j < count && o == self) {
			continue;
		}
		for (unsigned k = 0; k < o->device_count; k++) {
			const struct bh_device *e = &o->devices[k];
			node_path(p, e->node, other, sizeof(other));
			if (e->node == d->node) {
				bh_snprintf(why, size, "is already in %s", o->path);
				return true;
			}
			for (unsigned a = 0; a < d->reg_count; a++) {
				for (unsigned b = 0; b < e->reg_count; b++) {
					if (ranges_touch(&d->reg[a], &e->reg[b])) {
						bh_snprintf(
							why, size,
							"shares the page at PA 0x%llx with %s of "
							"%s",
							(unsigned long long)page_base(&d->reg[a]),
							other, o->path);
						return true;
					}
				}
			}
			for (unsigned a = 0; a < d->spi_count; a++) {
				for (unsigned b = 0; b < e->spi_count; b++) {
					if (d->spi[a] == e->spi[b]) {
						bh_snprintf(
							why, size,
							"has interrupt %u, which %s of %s has too",
							d->spi[a], other, o->path);
						return true;
					}
				}
			}
		}
	}
	return false;
}

/* `devices = <&node ...>`: board devices given to this partition. */
static int parse_devices(struct parser *p, int node, unsigned index)
{
	struct bh_partition_config *part = &p->cfg->partitions[index];
	int len;
	const fdt32_t *phandles = fdt_getprop(p->fdt, node, "devices", &len);

	if (phandles == NULL) {
		return BH_OK;
	}
	part->devices_listed = true;
	if (len % 4 != 0) {
		return fail(p, node, BH_EINVAL, "devices: %d bytes is not a list of phandles", len);
	}
	for (int i = 0; i < len / 4; i++) {
		char what[24];
		char path[96];
		char why[160];
		uint32_t phandle = fdt32_ld(&phandles[i]);
		int dev = node_of_phandle(p->fdt, phandle);
		bh_snprintf(what, sizeof(what), "devices[%d]", i);
		if (dev < 0) {
			return fail(p, node, BH_EINVAL, "%s: phandle 0x%x matches no node", what,
				    phandle);
		}
		node_path(p, dev, path, sizeof(path));
		const char *bad = not_a_device(p, dev, path);
		if (bad != NULL) {
			return fail(p, node, BH_EINVAL, "%s: %s %s", what, path, bad);
		}
		if (part->device_count == BH_MAX_DEVICES) {
			return fail(p, node, BH_ENOMEM, "devices: more than %d", BH_MAX_DEVICES);
		}
		struct bh_device *d = &part->devices[part->device_count];
		int rc = read_device(p, node, dev, what, path, d);
		if (rc != BH_OK) {
			return rc;
		}
		if (device_conflict(p, d, index, part, why, sizeof(why))) {
			return fail(p, node, BH_EEXIST, "%s: %s %s", what, path, why);
		}
		part->device_count++;
	}
	return BH_OK;
}

#define VUART_SIZE MEM_GRANULE
#define VUART_SPI  1 /* SPI 1 (INTID 33): the PL011's on QEMU virt */

static bool overlaps_vgic(const struct dt_gic *gic, uint64_t ipa, uint64_t size)
{
	return bh_range_overlaps(ipa, size, gic->dist.base, 0x10000) ||
	       (gic->version == 3 &&
		bh_range_overlaps(ipa, size, gic->redist.base, gic->redist.size)) ||
	       (gic->version == 2 && bh_range_overlaps(ipa, size, gic->cpu.base, 0x2000));
}

/*
 * What in `part`'s guest-physical map [ipa, ipa + size) lands on: its memory,
 * the virtual GIC, its vuart, a device's pages or a channel. Writes the
 * phrase for the error ("is in memory[0]", "is where device /pl031@9010000
 * is") into `what`, naming the partition when `whose` (a channel's message
 * is about one of its two sides); false if the range is free.
 */
static bool ipa_in_use(const struct parser *p, const struct bh_partition_config *part, uint64_t ipa,
		       uint64_t size, bool whose, char *what, size_t n)
{
	char own[BH_NAME_MAX + 4] = ""; /* "rt0's ", or nothing */
	if (whose) {
		bh_snprintf(own, sizeof(own), "%s's ", part->name);
	}
	for (unsigned m = 0; m < part->mem_count; m++) {
		if (bh_range_overlaps(ipa, size, part->mem[m].ipa, part->mem[m].size)) {
			bh_snprintf(what, n, "is in %s%smemory[%u]", whose ? part->path : "",
				    whose ? " " : "", m);
			return true;
		}
	}
	if (overlaps_vgic(&p->board->gic, ipa, size)) {
		bh_snprintf(what, n, "is where %svirtual GIC is", whose ? own : "the ");
		return true;
	}
	if (part->has_vuart && bh_range_overlaps(ipa, size, part->vuart_ipa, VUART_SIZE)) {
		bh_snprintf(what, n, "is where %svuart is", whose ? own : "the ");
		return true;
	}
	for (unsigned k = 0; k < part->device_count; k++) {
		const struct bh_device *d = &part->devices[k];
		for (unsigned r = 0; r < d->reg_count; r++) {
			if (bh_range_overlaps(ipa, size, page_base(&d->reg[r]),
					      page_span(&d->reg[r]))) {
				char path[96];
				node_path(p, d->node, path, sizeof(path));
				bh_snprintf(what, n, "is where %sdevice %s is", own, path);
				return true;
			}
		}
	}
	for (unsigned c = 0; c < part->channel_count; c++) {
		const struct bh_channel *o = &p->cfg->channels[part->channels[c]];
		if (bh_range_overlaps(ipa, size, o->end[bh_channel_side(o, part->id)].ipa,
				      o->size)) {
			bh_snprintf(what, n, "is where %s has channel %s", part->name, o->path);
			return true;
		}
	}
	return false;
}

/* `vuart = <IPA>` and `vuart-interrupt = <SPI>`: an emulated PL011 for the partition. */
static int parse_vuart(struct parser *p, int node, struct bh_partition_config *part)
{
	uint64_t ipa = 0;
	int len;
	const fdt32_t *irq = fdt_getprop(p->fdt, node, "vuart-interrupt", &len);
	int rc = get_number(p, node, "vuart", p->ac, &ipa);

	if (rc == BH_ENOENT) {
		return irq == NULL ? BH_OK
				   : fail(p, node, BH_EINVAL, "vuart-interrupt: without 'vuart'");
	}
	if (rc != BH_OK) {
		return rc;
	}
	if (!IS_ALIGNED(ipa, MEM_GRANULE)) {
		return fail(p, node, BH_EINVAL, "vuart: IPA 0x%llx is not 4 KiB aligned",
			    (unsigned long long)ipa);
	}
	char what[128];
	if (ipa_in_use(p, part, ipa, VUART_SIZE, false, what, sizeof(what))) {
		return fail(p, node, BH_ERANGE, "vuart (IPA 0x%llx) %s", (unsigned long long)ipa,
			    what);
	}
	uint32_t spi = VUART_SPI;
	if (irq != NULL) {
		if (len != 4) {
			return fail(p, node, BH_EINVAL,
				    "vuart-interrupt: %d bytes, expected one cell (an SPI number)",
				    len);
		}
		spi = fdt32_ld(irq);
		if (spi + 32 >= 1020) {
			return fail(p, node, BH_ERANGE, "vuart-interrupt: SPI %u does not exist",
				    spi);
		}
	}
	for (unsigned k = 0; k < part->device_count; k++) {
		const struct bh_device *d = &part->devices[k];
		char path[96];
		node_path(p, d->node, path, sizeof(path));
		for (unsigned q = 0; q < d->spi_count; q++) {
			if (d->spi[q] == spi + 32) {
				return fail(p, node, BH_EEXIST,
					    "vuart-interrupt: SPI %u is device %s's", spi, path);
			}
		}
	}
	part->has_vuart = true;
	part->vuart_ipa = ipa;
	part->vuart_irq = spi + 32;
	return BH_OK;
}

/*
 * A root partition without `devices` gets every board device no child has:
 * each available node with `reg` on the root bus or a simple-bus, outside
 * RAM, except the system nodes, the GIC and the hypervisor's console.
 */
static int claim_the_rest(struct parser *p, unsigned root)
{
	struct bh_partition_config *part = &p->cfg->partitions[root];
	int node = 0; /* the root node: its children are at depth 1 */
	int depth = 0;

	while ((node = fdt_next_node(p->fdt, node, &depth)) >= 0 && depth > 0) {
		char path[96];
		char why[160];
		int parent = fdt_parent_offset(p->fdt, node);
		if (fdt_getprop(p->fdt, node, "reg", NULL) == NULL ||
		    (depth > 1 && fdt_node_check_compatible(p->fdt, parent, "simple-bus") != 0)) {
			continue;
		}
		const char *status = fdt_getprop(p->fdt, node, "status", NULL);
		node_path(p, node, path, sizeof(path));
		if ((status != NULL && strcmp(status, "okay") != 0 && strcmp(status, "ok") != 0) ||
		    not_a_device(p, node, path) != NULL) {
			continue;
		}
		struct bh_device d;
		if (read_device(p, p->partition_node[root], node, "devices", path, &d) != BH_OK) {
			/* Not something we can map (RAM, odd interrupts...): not a device to take.
			 */
			p->err->msg[0] = '\0';
			continue;
		}
		if (device_conflict(p, &d, p->cfg->partition_count, part, why, sizeof(why))) {
			continue; /* a child's, or sharing its pages */
		}
		if (part->device_count == BH_MAX_DEVICES) {
			return fail(p, p->partition_node[root], BH_ENOMEM,
				    "takes every device no child has, more than %d (from %s on): "
				    "list its devices with 'devices'",
				    BH_MAX_DEVICES, path);
		}
		part->devices[part->device_count++] = d;
	}
	return BH_OK;
}

static int parse_partition_props(struct parser *p, int node, unsigned index)
{
	struct bh_partition_config *part = &p->cfg->partitions[index];
	const char *unit = "";
	int rc = check_name(p, node, part->name, &unit, "partition");

	if (rc == BH_OK) {
		rc = check_compatible(p, node, PARTITION_COMPATIBLE);
	}
	if (rc == BH_OK) {
		rc = check_props(p, node, partition_props, ARRAY_SIZE(partition_props),
				 "a partition");
	}
	if (rc != BH_OK) {
		return rc;
	}
	if (unit[0] != '\0') {
		return fail(p, node, BH_EINVAL, "a partition node has no unit address (@%s)", unit);
	}
	for (unsigned j = 0; j < index; j++) {
		if (strcmp(p->cfg->partitions[j].name, part->name) == 0) {
			return fail(p, node, BH_EEXIST, "partition name '%s' is used twice",
				    part->name);
		}
	}
	node_path(p, node, part->path, sizeof(part->path));

	int ac, sc;
	rc = get_cells(p, node, "#address-cells", &ac);
	if (rc == BH_OK) {
		rc = get_cells(p, node, "#size-cells", &sc);
	}
	if (rc != BH_OK) {
		return rc;
	}
	if (ac != 0 && ac != p->ac) {
		return fail(p, node, BH_EINVAL,
			    "#address-cells = <%d> differs from /bulkhead's <%d> (it may only "
			    "repeat it)",
			    ac, p->ac);
	}
	if (sc != 0 && sc != p->sc) {
		return fail(
			p, node, BH_EINVAL,
			"#size-cells = <%d> differs from /bulkhead's <%d> (it may only repeat it)",
			sc, p->sc);
	}

	int len;
	if (fdt_getprop(p->fdt, node, "root", &len) != NULL) {
		if (len != 0) {
			return fail(p, node, BH_EINVAL, "root: a boolean property takes no value");
		}
		if (p->root >= 0) {
			return fail(p, node, BH_EEXIST,
				    "root: %s is the root partition already (there is exactly one)",
				    p->cfg->partitions[p->root].path);
		}
		p->root = (int)index;
		part->is_root = true;
	}

	rc = parse_cpus(p, node, index);
	if (rc == BH_OK) {
		rc = parse_memory(p, node, part);
	}
	if (rc == BH_OK) {
		rc = parse_devices(p, node, index);
	}
	if (rc == BH_OK) {
		rc = parse_vuart(p, node, part);
	}
	if (rc != BH_OK) {
		return rc;
	}

	const char *args = NULL;
	size_t args_len = 0;
	rc = get_string(p, node, "bootargs", &args, &args_len);
	if (rc == BH_EINVAL) {
		return rc;
	}
	if (rc == BH_OK && args != NULL) {
		if (args_len >= BH_BOOTARGS_MAX) {
			return fail(p, node, BH_EINVAL, "bootargs: %zu characters, at most %d",
				    args_len, BH_BOOTARGS_MAX - 1);
		}
		memcpy(part->bootargs, args, args_len + 1);
	}
	return BH_OK;
}

static int parse_partition(struct parser *p, int node, unsigned index)
{
	struct bh_partition_config *part = &p->cfg->partitions[index];
	int rc = parse_partition_props(p, node, index);
	if (rc != BH_OK) {
		return rc;
	}
	int child;
	fdt_for_each_subnode(child, p->fdt, node)
	{
		if (part->image_count == BH_MAX_IMAGES) {
			return fail(p, node, BH_ENOMEM,
				    "more than %d images (at most %d per partition)", BH_MAX_IMAGES,
				    BH_MAX_IMAGES);
		}
		p->image_node[index][part->image_count] = child;
		rc = parse_image(p, child, index, part->image_count);
		if (rc != BH_OK) {
			return rc;
		}
		part->image_count++;
	}
	if (part->image_count == 0) {
		return fail(p, node, BH_EINVAL,
			    "no image (a partition needs at least one image node to run)");
	}
	return choose_entry_image(p, index);
}

/* ---------------------------------------------------------------- the whole system */

/* The hypervisor and reserved memory: no partition memory or image may touch them. */
static int check_fixed(struct parser *p, int node, const char *what, uint64_t pa, uint64_t size)
{
	if (p->hyp_end > p->hyp_start &&
	    bh_range_overlaps(pa, size, p->hyp_start, p->hyp_end - p->hyp_start)) {
		return fail(p, node, BH_ERANGE,
			    "%s (PA 0x%llx+0x%llx) overlaps the hypervisor (PA 0x%llx+0x%llx)",
			    what, (unsigned long long)pa, (unsigned long long)size,
			    (unsigned long long)p->hyp_start,
			    (unsigned long long)(p->hyp_end - p->hyp_start));
	}
	for (unsigned i = 0; i < p->board->reserved_count; i++) {
		const struct dt_range *r = &p->board->reserved[i];
		if (bh_range_overlaps(pa, size, r->base, r->size)) {
			return fail(p, node, BH_ERANGE,
				    "%s (PA 0x%llx+0x%llx) overlaps reserved memory (PA "
				    "0x%llx+0x%llx)",
				    what, (unsigned long long)pa, (unsigned long long)size,
				    (unsigned long long)r->base, (unsigned long long)r->size);
		}
	}
	return BH_OK;
}

static int check_memory_pa(struct parser *p, unsigned j, unsigned r)
{
	const struct bh_config *cfg = p->cfg;
	const struct bh_mem_region *m = &cfg->partitions[j].mem[r];
	int node = p->partition_node[j];
	char what[24];

	bh_snprintf(what, sizeof(what), "memory[%u]", r);
	int rc = check_fixed(p, node, what, m->pa, m->size);
	if (rc != BH_OK) {
		return rc;
	}
	/* Every earlier region, in tree order. */
	for (unsigned i = 0; i <= j; i++) {
		const struct bh_partition_config *o = &cfg->partitions[i];
		for (unsigned s = 0; s < (i == j ? r : o->mem_count); s++) {
			if (bh_range_overlaps(m->pa, m->size, o->mem[s].pa, o->mem[s].size)) {
				return fail(p, node, BH_ERANGE,
					    "%s (PA 0x%llx+0x%llx) overlaps %s memory[%u]", what,
					    (unsigned long long)m->pa, (unsigned long long)m->size,
					    o->path, s);
			}
		}
	}
	/* Every image's boot-loader copy: it must survive for partition restarts. */
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct bh_partition_config *o = &cfg->partitions[i];
		for (unsigned k = 0; k < o->image_count; k++) {
			if (bh_range_overlaps(m->pa, m->size, o->images[k].src_pa,
					      o->images[k].size)) {
				char other[96];
				node_path(p, p->image_node[i][k], other, sizeof(other));
				return fail(p, node, BH_ERANGE,
					    "%s (PA 0x%llx+0x%llx) overlaps the image %s (reg)",
					    what, (unsigned long long)m->pa,
					    (unsigned long long)m->size, other);
			}
		}
	}
	return BH_OK;
}

static int check_image_pa(struct parser *p, unsigned j, unsigned k)
{
	const struct bh_image *img = &p->cfg->partitions[j].images[k];
	int node = p->image_node[j][k];
	int rc = check_fixed(p, node, "reg", img->src_pa, img->size);
	if (rc != BH_OK) {
		return rc;
	}
	for (unsigned i = 0; i <= j; i++) {
		const struct bh_partition_config *o = &p->cfg->partitions[i];
		for (unsigned s = 0; s < (i == j ? k : o->image_count); s++) {
			if (bh_range_overlaps(img->src_pa, img->size, o->images[s].src_pa,
					      o->images[s].size)) {
				char other[96];
				node_path(p, p->image_node[i][s], other, sizeof(other));
				return fail(p, node, BH_ERANGE,
					    "reg (PA 0x%llx+0x%llx) overlaps %s reg",
					    (unsigned long long)img->src_pa,
					    (unsigned long long)img->size, other);
			}
		}
	}
	return BH_OK;
}

/* Physical memory: partitions' memory and images' copies, all disjoint. */
static int check_physical(struct parser *p)
{
	const struct bh_config *cfg = p->cfg;
	for (unsigned j = 0; j < cfg->partition_count; j++) {
		for (unsigned r = 0; r < cfg->partitions[j].mem_count; r++) {
			int rc = check_memory_pa(p, j, r);
			if (rc != BH_OK) {
				return rc;
			}
		}
	}
	for (unsigned j = 0; j < cfg->partition_count; j++) {
		for (unsigned k = 0; k < cfg->partitions[j].image_count; k++) {
			int rc = check_image_pa(p, j, k);
			if (rc != BH_OK) {
				return rc;
			}
		}
	}
	return BH_OK;
}

/* ---------------------------------------------------------------- VMBus channels */

#define VMBUS_COMPATIBLE   "bulkhead,vmbus-v1"
#define CHANNEL_COMPATIBLE "bulkhead,channel-v1"
#define RING_MIN_SIZE	   KiB(8) /* a header page and a page of data */

static const char *const vmbus_props[] = {"compatible"};
static const char *const channel_props[] = {
	"compatible", "interface",    "provider",     "consumer",	    "reg",
	"ring-sizes", "provider-ipa", "consumer-ipa", "provider-interrupt", "consumer-interrupt",
};
static const char *const end_name[2] = {"provider", "consumer"};

/* `provider = "root"`: the partition id of a channel's end. */
static int channel_partition(struct parser *p, int node, unsigned role, unsigned *id)
{
	const char *name = "";
	size_t len = 0;
	int rc = get_string(p, node, end_name[role], &name, &len);
	if (rc == BH_ENOENT) {
		return fail(p, node, BH_EINVAL, "missing '%s' (a partition name)", end_name[role]);
	}
	if (rc != BH_OK) {
		return rc;
	}
	for (unsigned i = 0; i < p->cfg->partition_count; i++) {
		if (strcmp(p->cfg->partitions[i].name, name) == 0) {
			*id = i;
			return BH_OK;
		}
	}
	return fail(p, node, BH_EINVAL, "%s: no partition named '%s'", end_name[role], name);
}

/* Is [ipa, ipa+size) free in partition part: no memory, GIC, device, vuart or channel there? */
static int check_channel_ipa(struct parser *p, int node, const char *prop,
			     const struct bh_partition_config *part, uint64_t ipa, uint64_t size)
{
	char what[160];
	if (ipa_in_use(p, part, ipa, size, true, what, sizeof(what))) {
		return fail(p, node, BH_ERANGE, "%s (IPA 0x%llx+0x%llx) %s", prop,
			    (unsigned long long)ipa, (unsigned long long)size, what);
	}
	return BH_OK;
}

/* `<role>-interrupt = <SPI>`: a virtual SPI that is free in the partition. */
static int channel_irq(struct parser *p, int node, const struct bh_partition_config *part,
		       unsigned role, unsigned *irq)
{
	char prop[24];
	uint64_t spi = 0;
	bh_snprintf(prop, sizeof(prop), "%s-interrupt", end_name[role]);
	int rc = get_number(p, node, prop, 1, &spi);
	if (rc == BH_ENOENT) {
		return fail(p, node, BH_EINVAL, "missing '%s' (the doorbell SPI %s receives)", prop,
			    part->name);
	}
	if (rc != BH_OK) {
		return rc;
	}
	if (spi + 32 >= 1020) {
		return fail(p, node, BH_ERANGE, "%s: SPI %llu does not exist", prop,
			    (unsigned long long)spi);
	}
	unsigned intid = (unsigned)spi + 32;
	if (part->has_vuart && part->vuart_irq == intid) {
		return fail(p, node, BH_EEXIST, "%s: SPI %u is %s's vuart interrupt", prop,
			    intid - 32, part->name);
	}
	for (unsigned k = 0; k < part->device_count; k++) {
		for (unsigned q = 0; q < part->devices[k].spi_count; q++) {
			if (part->devices[k].spi[q] == intid) {
				char path[96];
				node_path(p, part->devices[k].node, path, sizeof(path));
				return fail(p, node, BH_EEXIST, "%s: SPI %u is %s's device %s",
					    prop, intid - 32, part->name, path);
			}
		}
	}
	for (unsigned c = 0; c < part->channel_count; c++) {
		const struct bh_channel *o = &p->cfg->channels[part->channels[c]];
		if (o->end[bh_channel_side(o, part->id)].irq == intid) {
			return fail(p, node, BH_EEXIST,
				    "%s: SPI %u is %s's doorbell for channel %s", prop, intid - 32,
				    part->name, o->path);
		}
	}
	*irq = intid;
	return BH_OK;
}

/* The shared region: `reg = <PA size>` and `ring-sizes = <provider's consumer's>`. */
static int channel_region(struct parser *p, int node, struct bh_channel *ch)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, "reg", &len);
	if (v == NULL) {
		return fail(p, node, BH_EINVAL, "missing 'reg' (<PA size> of the shared region)");
	}
	if (len != (p->ac + p->sc) * 4) {
		return fail(p, node, BH_EINVAL, "reg: %d bytes, expected one <PA size> (%d cells)",
			    len, p->ac + p->sc);
	}
	ch->pa = read_cells(v, p->ac);
	ch->size = read_cells(v + p->ac, p->sc);
	const fdt32_t *r = fdt_getprop(p->fdt, node, "ring-sizes", &len);
	if (r == NULL) {
		return fail(p, node, BH_EINVAL,
			    "missing 'ring-sizes' (<provider's consumer's>: bytes of each ring, "
			    "its 4 KiB header included)");
	}
	if (len != 2 * p->sc * 4) {
		return fail(p, node, BH_EINVAL,
			    "ring-sizes: %d bytes, expected two sizes (%d cells)", len, 2 * p->sc);
	}
	for (unsigned i = 0; i < 2; i++) {
		ch->ring_size[i] = read_cells(r + (size_t)i * (size_t)p->sc, p->sc);
		if (ch->ring_size[i] < RING_MIN_SIZE || ch->ring_size[i] > GiB(1) ||
		    !IS_ALIGNED(ch->ring_size[i], MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL,
				    "ring-sizes[%u]: 0x%llx is not a multiple of 4 KiB from 8 KiB "
				    "to 1 GiB",
				    i, (unsigned long long)ch->ring_size[i]);
		}
	}
	if (!IS_ALIGNED(ch->pa, MEM_GRANULE)) {
		return fail(p, node, BH_EINVAL, "reg: PA 0x%llx is not 4 KiB aligned",
			    (unsigned long long)ch->pa);
	}
	uint64_t rings = ch->ring_size[0] + ch->ring_size[1];
	if (ch->size != rings) {
		return fail(p, node, BH_EINVAL,
			    "reg: size 0x%llx is not the two ring-sizes together (0x%llx)",
			    (unsigned long long)ch->size, (unsigned long long)rings);
	}
	if (range_wraps(ch->pa, ch->size) || !in_ram(p->board, ch->pa, ch->size)) {
		char ram[80];
		describe_ram(p->board, ram, sizeof(ram));
		return fail(p, node, BH_ERANGE,
			    "reg (PA 0x%llx+0x%llx) is not inside one RAM range (RAM: %s)",
			    (unsigned long long)ch->pa, (unsigned long long)ch->size, ram);
	}
	int rc = check_fixed(p, node, "reg", ch->pa, ch->size);
	for (unsigned i = 0; rc == BH_OK && i < p->cfg->partition_count; i++) {
		const struct bh_partition_config *o = &p->cfg->partitions[i];
		for (unsigned m = 0; m < o->mem_count; m++) {
			if (bh_range_overlaps(ch->pa, ch->size, o->mem[m].pa, o->mem[m].size)) {
				return fail(p, node, BH_ERANGE,
					    "reg (PA 0x%llx+0x%llx) overlaps %s memory[%u]",
					    (unsigned long long)ch->pa,
					    (unsigned long long)ch->size, o->path, m);
			}
		}
		for (unsigned k = 0; k < o->image_count; k++) {
			if (bh_range_overlaps(ch->pa, ch->size, o->images[k].src_pa,
					      o->images[k].size)) {
				return fail(p, node, BH_ERANGE,
					    "reg (PA 0x%llx+0x%llx) overlaps the image %s/%s (reg)",
					    (unsigned long long)ch->pa,
					    (unsigned long long)ch->size, o->path,
					    o->images[k].name);
			}
		}
	}
	for (unsigned c = 0; rc == BH_OK && c < p->cfg->channel_count; c++) {
		const struct bh_channel *o = &p->cfg->channels[c];
		if (bh_range_overlaps(ch->pa, ch->size, o->pa, o->size)) {
			return fail(p, node, BH_ERANGE, "reg (PA 0x%llx+0x%llx) overlaps %s reg",
				    (unsigned long long)ch->pa, (unsigned long long)ch->size,
				    o->path);
		}
	}
	return rc;
}

static int parse_channel(struct parser *p, int node)
{
	struct bh_config *cfg = p->cfg;
	struct bh_channel *ch = &cfg->channels[cfg->channel_count];
	const char *unit = "";
	int rc = check_name(p, node, ch->name, &unit, "channel");
	if (rc == BH_OK) {
		rc = check_compatible(p, node, CHANNEL_COMPATIBLE);
	}
	if (rc == BH_OK) {
		rc = check_props(p, node, channel_props, ARRAY_SIZE(channel_props), "a channel");
	}
	if (rc != BH_OK) {
		return rc;
	}
	node_path(p, node, ch->path, sizeof(ch->path));
	for (unsigned c = 0; c < cfg->channel_count; c++) {
		if (strcmp(cfg->channels[c].name, ch->name) == 0) {
			return fail(p, node, BH_EEXIST, "channel name '%s' is used twice",
				    ch->name);
		}
	}
	const char *iface = ch->name; /* by default, the channel's name */
	size_t iface_len = 0;
	rc = get_string(p, node, "interface", &iface, &iface_len);
	if (rc == BH_EINVAL) {
		return rc;
	}
	if (!valid_name(iface, &iface_len) || iface[iface_len] != '\0') {
		return fail(p, node, BH_EINVAL,
			    "interface: \"%s\" is not 1-%d characters from [a-z0-9_-]", iface,
			    BH_NAME_MAX - 1);
	}
	memcpy(ch->interface, iface, iface_len + 1);

	rc = channel_region(p, node, ch);
	for (unsigned side = 0; rc == BH_OK && side < 2; side++) {
		rc = channel_partition(p, node, side, &ch->end[side].partition);
	}
	if (rc != BH_OK) {
		return rc;
	}
	if (ch->end[0].partition == ch->end[1].partition) {
		return fail(p, node, BH_EINVAL, "provider and consumer are both '%s'",
			    cfg->partitions[ch->end[0].partition].name);
	}
	for (unsigned side = 0; side < 2; side++) {
		struct bh_channel_end *e = &ch->end[side];
		struct bh_partition_config *part = &cfg->partitions[e->partition];
		char prop[24];
		bh_snprintf(prop, sizeof(prop), "%s-ipa", end_name[side]);
		rc = get_number(p, node, prop, p->ac, &e->ipa);
		if (rc == BH_ENOENT) {
			e->ipa = ch->pa; /* by default the partition sees it where it is */
		} else if (rc != BH_OK) {
			return rc;
		} else if (!IS_ALIGNED(e->ipa, MEM_GRANULE) || range_wraps(e->ipa, ch->size)) {
			return fail(p, node, BH_EINVAL, "%s: IPA 0x%llx is not 4 KiB aligned", prop,
				    (unsigned long long)e->ipa);
		}
		rc = check_channel_ipa(p, node, prop, part, e->ipa, ch->size);
		if (rc == BH_OK) {
			rc = channel_irq(p, node, part, side, &e->irq);
		}
		if (rc != BH_OK) {
			return rc;
		}
	}
	for (unsigned side = 0; side < 2; side++) {
		struct bh_partition_config *part = &cfg->partitions[ch->end[side].partition];
		ch->end[side].index = part->channel_count;
		part->channels[part->channel_count++] = (uint8_t)cfg->channel_count;
	}
	cfg->channel_count++;
	return BH_OK;
}

bool bh_is_vmbus_node(const void *fdt, int node)
{
	const char *name = fdt_get_name(fdt, node, NULL);
	return name != NULL && strcmp(name, "vmbus") == 0;
}

/* `/bulkhead/vmbus`: the channels, read once the partitions are known. */
static int parse_channels(struct parser *p, int vmbus)
{
	int rc = check_compatible(p, vmbus, VMBUS_COMPATIBLE);
	if (rc == BH_OK) {
		rc = check_props(p, vmbus, vmbus_props, ARRAY_SIZE(vmbus_props), "vmbus");
	}
	int node;
	fdt_for_each_subnode(node, p->fdt, vmbus)
	{
		if (rc != BH_OK) {
			return rc;
		}
		if (p->cfg->channel_count == BH_MAX_CHANNELS) {
			return fail(p, vmbus, BH_ENOMEM, "more than %d channels", BH_MAX_CHANNELS);
		}
		rc = parse_channel(p, node);
	}
	return rc;
}

static void swap_bytes(void *a, void *b, size_t size)
{
	uint8_t *x = a;
	uint8_t *y = b;
	for (size_t i = 0; i < size; i++) {
		uint8_t t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

/* The root moves to index 0; the others keep tree order. */
static void put_root_first(struct bh_config *cfg, unsigned root)
{
	for (unsigned i = root; i > 0; i--) {
		swap_bytes(&cfg->partitions[i], &cfg->partitions[i - 1],
			   sizeof(cfg->partitions[i]));
	}
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		cfg->partitions[i].id = i;
	}
}

int bh_config_parse(const void *fdt, const struct dt_board *board, uint64_t hyp_start,
		    uint64_t hyp_end, struct bh_config *cfg, struct dt_error *err)
{
	struct parser p = {
		.fdt = fdt,
		.board = board,
		.hyp_start = hyp_start,
		.hyp_end = hyp_end,
		.cfg = cfg,
		.err = err,
		.root = -1,
	};

	memset(cfg, 0, sizeof(*cfg));
	err->msg[0] = '\0';
	p.system = fdt_path_offset(fdt, "/bulkhead");
	if (p.system == -FDT_ERR_NOTFOUND) {
		bh_snprintf(err->msg, sizeof(err->msg), "/bulkhead: no such node (no partitions)");
		return BH_ENOENT;
	}
	if (p.system < 0) {
		bh_snprintf(err->msg, sizeof(err->msg), "/bulkhead: %s", fdt_strerror(p.system));
		return BH_EINVAL;
	}
	int rc = parse_system_node(&p);
	if (rc != BH_OK) {
		return rc;
	}

	/* The limit first, so that it is reported whatever the partitions hold. */
	int node;
	int vmbus = -1;
	unsigned count = 0;
	fdt_for_each_subnode(node, fdt, p.system)
	{
		if (bh_is_vmbus_node(fdt, node)) {
			vmbus = node;
		} else if (count++ == BH_MAX_PARTITIONS) {
			return fail(&p, node, BH_ENOMEM,
				    "more than %d partitions (CONFIG_MAX_PARTITIONS)",
				    BH_MAX_PARTITIONS);
		}
	}
	fdt_for_each_subnode(node, fdt, p.system)
	{
		if (node == vmbus) {
			continue;
		}
		p.partition_node[cfg->partition_count] = node;
		rc = parse_partition(&p, node, cfg->partition_count);
		if (rc != BH_OK) {
			return rc;
		}
		cfg->partition_count++;
	}
	if (cfg->partition_count == 0) {
		return fail(&p, p.system, BH_EINVAL, "no partition nodes");
	}
	if (p.root < 0) {
		return fail(&p, p.system, BH_EINVAL,
			    "no root partition (exactly one partition has the 'root' property)");
	}
	if (!cfg->partitions[p.root].devices_listed) {
		rc = claim_the_rest(&p, (unsigned)p.root);
		if (rc != BH_OK) {
			return rc;
		}
	}
	rc = check_physical(&p);
	if (rc != BH_OK) {
		return rc;
	}
	put_root_first(cfg, (unsigned)p.root);
	return vmbus >= 0 ? parse_channels(&p, vmbus) : BH_OK;
}
