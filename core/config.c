// SPDX-License-Identifier: MIT
/*
 * The system configuration: partitions under /bulkhead (binding v1,
 * docs/binding.md), read into struct config and checked against the board
 * (RAM, reserved memory, CPUs) and the hypervisor's own footprint. This part
 * reads the system node, the partitions and their images, and checks the
 * physical memory of the whole system; config_devices.c reads devices and
 * vuarts, config_vmbus.c the channels.
 *
 * The hypervisor runs this at boot and the host tool bhconfig runs the very
 * same code, so it allocates nothing and uses only the freestanding string
 * functions. The first error found stops the parse; its message names the
 * node path and the property, e.g.
 *   /bulkhead/rt0: memory[1] (PA 0x48000000+0x100000) overlaps /bulkhead/root memory[0]
 */
#include "config_internal.h"

_Static_assert(DT_MAX_CPUS <= 64, "config_partition.cpu_mask has 64 bits");

#define LINUX_ALIGN MiB(2) /* arm64 booting.rst: a 2 MiB aligned base */
#define DTB_ALIGN   8	   /* booting.rst: the device tree is 8-byte aligned */

static const char *const system_props[] = {"compatible", "#address-cells", "#size-cells", NULL};
/* The last four are the crash policy of the root's management service (docs/management.md):
   known names here, read and checked by bhconfig and that service, never by the hypervisor. */
// clang-format off
static const char *const partition_props[] = {
	"compatible", "root", "cpus", "memory", "bootargs", "#address-cells", "#size-cells",
	"devices", "vuart", "vuart-interrupt", "on-fault", "trusted-devices", "other-devices",
	"on-crash", "watchdog-ms", "max-restarts", "restart-delay-ms", NULL};
// clang-format on
static const char *const image_props[] = {"compatible", "reg", "load", "format", "entry", NULL};

static const struct node_kind system_kind = {NULL, "/bulkhead", "bulkhead,system-v1", system_props};
static const struct node_kind partition_kind = {"partition", "a partition", "bulkhead,partition-v1",
						partition_props};
static const struct node_kind image_kind = {"image", "an image", "bulkhead,image-v1", image_props};

/* ---------------------------------------------------------------- ranges */

bool config_ipa_to_pa(const struct config_partition *p, ipaddr_t ipa, uint64_t size, paddr_t *pa)
{
	if (range_wraps(ipa_addr(ipa), size)) {
		return false;
	}
	for (unsigned i = 0; i < p->mem_count; i++) {
		const struct config_mem *r = &p->mem[i];
		if (ipa_range_within(ipa_range(ipa, size != 0 ? size : 1),
				     ipa_range(r->ipa, r->size))) {
			*pa = pa_add(r->pa, ipa_addr(ipa) - ipa_addr(r->ipa));
			return true;
		}
	}
	return false;
}

void config_device_irq_list(const struct config_device *d, char *buf, size_t size)
{
	size_t used = 0;
	bh_snprintf(buf, size, "none");
	for (unsigned k = 0; k < d->spi_count && used < size; k++) {
		used += (size_t)bh_snprintf(buf + used, size - used, "%s%u", k ? "," : "",
					    d->spi[k]);
	}
}

const char *config_image_format_name(enum config_image_format format)
{
	static const char *const names[] = {
		[IMAGE_RAW] = "raw", [IMAGE_LINUX] = "linux", [IMAGE_DTB] = "dtb"};
	return (unsigned)format < ARRAY_SIZE(names) ? names[format] : "raw";
}

int config_check_ram(struct parser *p, int node, const char *what, struct pa_range r)
{
	const struct dt_board *board = p->board;
	for (unsigned i = 0; i < board->mem_count; i++) {
		if (!range_wraps(pa_addr(r.base), r.size) &&
		    pa_range_within(r, dt_pa_range(board->mem[i]))) {
			return BH_OK;
		}
	}
	/* The board's RAM ranges as "0x40000000+0x40000000, ...". */
	char ram[80];
	size_t n = 0;
	ram[0] = '\0';
	for (unsigned i = 0; i < board->mem_count && n < sizeof(ram); i++) {
		if (i == 2 && board->mem_count > 3) {
			bh_snprintf(ram + n, sizeof(ram) - n, ", ...");
			break;
		}
		int w = bh_snprintf(ram + n, sizeof(ram) - n, "%s0x%lx+0x%lx", i != 0 ? ", " : "",
				    board->mem[i].base, board->mem[i].size);
		if (w < 0) {
			break;
		}
		n += (size_t)w;
	}
	return fail(p, node, BH_ERANGE, "%s (PA 0x%lx+0x%lx) is not inside one RAM range (RAM: %s)",
		    what, pa_addr(r.base), r.size, ram);
}

/* ---------------------------------------------------------------- properties */

/* Every property of node must be the kind's (or be a phandle). */
static int check_props(struct parser *p, int node, const struct node_kind *kind)
{
	int prop;
	fdt_for_each_property_offset(prop, p->fdt, node)
	{
		const char *name = NULL;
		if (fdt_getprop_by_offset(p->fdt, prop, &name, NULL) == NULL || name == NULL) {
			return fail(p, node, BH_EINVAL, "unreadable property at offset %d", prop);
		}
		bool known = strcmp(name, "phandle") == 0 || strcmp(name, "linux,phandle") == 0;
		for (size_t i = 0; kind->props[i] != NULL; i++) {
			known = known || strcmp(name, kind->props[i]) == 0;
		}
		if (known) {
			continue;
		}
		char list[224];
		size_t n = 0;
		list[0] = '\0';
		for (size_t i = 0; kind->props[i] != NULL && n < sizeof(list); i++) {
			int w = bh_snprintf(list + n, sizeof(list) - n, "%s%s", i != 0 ? ", " : "",
					    kind->props[i]);
			n += w > 0 ? (size_t)w : 0;
		}
		return fail(p, node, BH_EINVAL, "unknown property '%s' (%s has: %s)", name,
			    kind->has, list);
	}
	return BH_OK;
}

int config_get_string(struct parser *p, int node, const char *name, const char **out, size_t *len)
{
	int rc = dt_get_string(p->fdt, node, name, out, len);
	return rc == BH_EINVAL ? fail(p, node, rc, "%s: not a single string", name) : rc;
}

int config_get_number(struct parser *p, int node, const char *name, int cells, uint64_t *out)
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
	*out = dt_read_cells(v, cells);
	return BH_OK;
}

int config_get_ipa(struct parser *p, int node, const char *name, ipaddr_t *out)
{
	uint64_t v = 0;
	int rc = config_get_number(p, node, name, p->ac, &v);
	if (rc == BH_OK) {
		*out = ipa_init(v);
	}
	return rc;
}

bool config_valid_name(const char *name, size_t *len)
{
	size_t n = 0;
	while (name[n] != '\0' && name[n] != '@') {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			return false;
		}
		n++;
	}
	*len = n;
	return n >= 1 && n < BH_NAME_MAX;
}

int config_check_node(struct parser *p, int node, const struct node_kind *kind, char *name,
		      const char **unit)
{
	if (kind->name != NULL) {
		const char *node_name = fdt_get_name(p->fdt, node, NULL);
		size_t len = 0;
		if (node_name == NULL || !config_valid_name(node_name, &len)) {
			return fail(p, node, BH_EINVAL,
				    "bad %s name: it must be 1-%d characters from [a-z0-9_-]",
				    kind->name, BH_NAME_MAX - 1);
		}
		memcpy(name, node_name, len);
		name[len] = '\0';
		*unit = node_name[len] == '@' ? node_name + len + 1 : "";
	}
	/* The first string of compatible is the kind's, or any later one is. */
	int len;
	const char *c = fdt_getprop(p->fdt, node, "compatible", &len);
	if (c == NULL) {
		return fail(p, node, BH_EINVAL, "missing 'compatible' (\"%s\")", kind->compatible);
	}
	if (len < 1 || c[len - 1] != '\0') {
		return fail(p, node, BH_EINVAL, "compatible: not a list of NUL-terminated strings");
	}
	if (!dt_compatible(p->fdt, node, kind->compatible)) {
		return fail(p, node, BH_EINVAL, "compatible is \"%s\", expected \"%s\"", c,
			    kind->compatible);
	}
	return check_props(p, node, kind);
}

static const char *const cells_name[2] = {"#address-cells", "#size-cells"};

/* cells[0], cells[1]: #address-cells, #size-cells of node: 1 or 2, 0 if absent. */
static int get_cells(struct parser *p, int node, int cells[2])
{
	for (unsigned i = 0; i < 2; i++) {
		int len;
		const fdt32_t *v = fdt_getprop(p->fdt, node, cells_name[i], &len);
		uint32_t n = v != NULL && len == 4 ? fdt32_ld(v) : 0;
		if (v != NULL && (n < 1 || n > 2)) {
			return fail(p, node, BH_EINVAL, "%s: must be <1> or <2>", cells_name[i]);
		}
		cells[i] = (int)n;
	}
	return BH_OK;
}

/* ---------------------------------------------------------------- /bulkhead */

static int parse_system_node(struct parser *p)
{
	int cells[2];
	int rc = config_check_node(p, p->system, &system_kind, NULL, NULL);
	if (rc == BH_OK) {
		rc = get_cells(p, p->system, cells);
	}
	if (rc != BH_OK) {
		return rc;
	}
	p->ac = cells[0];
	p->sc = cells[1];
	if (p->ac == 0 || p->sc == 0) {
		return fail(p, p->system, BH_EINVAL, "missing '%s' (<1> or <2>; usually <2>)",
			    cells_name[p->ac == 0 ? 0 : 1]);
	}
	p->cpus = fdt_path_offset(p->fdt, "/cpus");
	p->cpus_ac = p->cpus >= 0 ? dt_cells(p->fdt, p->cpus, false) : 1;
	if (p->cpus_ac < 1 || p->cpus_ac > 2) {
		p->cpus_ac = 1; /* dt_parse_board has refused such a tree already */
	}
	return BH_OK;
}

/* ---------------------------------------------------------------- partitions */

static int parse_cpus(struct parser *p, int node, unsigned index)
{
	struct config_partition *part = &p->cfg->partitions[index];
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
		int cpu = dt_node_of_phandle(p->fdt, phandle);
		if (cpu < 0) {
			return fail(p, node, BH_EINVAL, "cpus[%d]: phandle 0x%x matches no node", i,
				    phandle);
		}
		char path[64];
		dt_node_path(p->fdt, cpu, path, sizeof(path));
		int reg_len;
		const fdt32_t *reg = fdt_getprop(p->fdt, cpu, "reg", &reg_len);
		if (p->cpus < 0 || fdt_parent_offset(p->fdt, cpu) != p->cpus ||
		    !dt_prop_is(p->fdt, cpu, "device_type", "cpu") || reg == NULL ||
		    reg_len != p->cpus_ac * 4) {
			return fail(p, node, BH_EINVAL,
				    "cpus[%d]: %s is not a CPU (a /cpus node with device_type "
				    "\"cpu\" and its MPIDR in 'reg')",
				    i, path);
		}
		uint64_t mpidr = dt_read_cells(reg, p->cpus_ac);
		/* By MPIDR: the hypervisor has moved the boot CPU to index 0. */
		int logical = dt_cpu_index(p->board, mpidr);
		if (logical < 0) {
			return fail(p, node, BH_EINVAL,
				    "cpus[%d]: %s (MPIDR 0x%lx) is not a CPU the hypervisor runs "
				    "(status \"fail\", or beyond CONFIG_MAX_CPUS)",
				    i, path, mpidr);
		}
		uint64_t bit = 1ULL << (unsigned)logical;
		if ((part->cpu_mask & bit) != 0) {
			return fail(p, node, BH_EEXIST, "cpus[%d]: %s is listed twice", i, path);
		}
		for (unsigned j = 0; j < index; j++) {
			if ((p->cfg->partitions[j].cpu_mask & bit) != 0) {
				return fail(p, node, BH_EEXIST,
					    "cpus[%d]: %s (MPIDR 0x%lx) is already in %s", i, path,
					    mpidr, p->cfg->partitions[j].path);
			}
		}
		part->cpu_mask |= bit;
		part->cpu_count++;
	}
	return BH_OK;
}

static int parse_memory(struct parser *p, int node, unsigned index)
{
	struct config_partition *part = &p->cfg->partitions[index];
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
		struct config_mem m = {
			.ipa = ipa_init(dt_read_cells(t, p->ac)),
			.pa = pa_init(dt_read_cells(t + p->ac, p->ac)),
			.size = dt_read_cells(t + (size_t)p->ac * 2, p->sc),
		};

		if (m.size == 0) {
			return fail(p, node, BH_EINVAL, "memory[%d]: size is 0", i);
		}
		if (!IS_ALIGNED(ipa_addr(m.ipa), MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL,
				    "memory[%d]: IPA 0x%lx is not 4 KiB aligned", i,
				    ipa_addr(m.ipa));
		}
		if (!IS_ALIGNED(pa_addr(m.pa), MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL, "memory[%d]: PA 0x%lx is not 4 KiB aligned",
				    i, pa_addr(m.pa));
		}
		if (!IS_ALIGNED(m.size, MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL,
				    "memory[%d]: size 0x%lx is not a multiple of 4 KiB", i, m.size);
		}
		if (range_wraps(ipa_addr(m.ipa), m.size) || range_wraps(pa_addr(m.pa), m.size)) {
			return fail(p, node, BH_ERANGE,
				    "memory[%d] (IPA 0x%lx, PA 0x%lx, size 0x%lx) wraps around the "
				    "address space",
				    i, ipa_addr(m.ipa), pa_addr(m.pa), m.size);
		}
		char what[24];
		bh_snprintf(what, sizeof(what), "memory[%d]", i);
		int rc = config_check_ipa(p, node, what, ipa_range(m.ipa, m.size));
		if (rc == BH_OK) {
			rc = config_check_ram(p, node, what, pa_range(m.pa, m.size));
		}
		if (rc != BH_OK) {
			return rc;
		}
		for (int j = 0; j < i; j++) {
			const struct config_mem *o = &part->mem[j];
			if (ipa_range_overlaps(ipa_range(m.ipa, m.size),
					       ipa_range(o->ipa, o->size))) {
				return fail(p, node, BH_ERANGE,
					    "memory[%d] (IPA 0x%lx+0x%lx) overlaps memory[%d] (IPA "
					    "0x%lx+0x%lx)",
					    i, ipa_addr(m.ipa), m.size, j, ipa_addr(o->ipa),
					    o->size);
			}
		}
		part->mem[i] = m;
	}
	part->mem_count = (unsigned)count;
	return BH_OK;
}

/* ---------------------------------------------------------------- images */

static int parse_image(struct parser *p, int node, unsigned index, unsigned k)
{
	struct config_partition *part = &p->cfg->partitions[index];
	struct config_image *img = &part->images[k];
	const char *unit = "";
	int rc = config_check_node(p, node, &image_kind, img->name, &unit);
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
	img->src_pa = pa_init(dt_read_cells(reg, p->ac));
	img->size = dt_read_cells(reg + p->ac, p->sc);
	uint64_t src = pa_addr(img->src_pa), size = img->size; /* for messages */
	if (img->size == 0) {
		return fail(p, node, BH_EINVAL, "reg: size is 0");
	}
	if (range_wraps(pa_addr(img->src_pa), img->size)) {
		return fail(p, node, BH_ERANGE,
			    "reg (PA 0x%lx+0x%lx) wraps around the address space", src, size);
	}
	if (unit[0] != '\0') {
		char want[20];
		bh_snprintf(want, sizeof(want), "%lx", src);
		if (strcmp(unit, want) != 0) {
			return fail(p, node, BH_EINVAL,
				    "unit address @%s does not match reg (PA 0x%lx: @%s)", unit,
				    src, want);
		}
	}
	rc = config_check_ram(p, node, "reg", pa_range(img->src_pa, img->size));
	if (rc != BH_OK) {
		return rc;
	}

	/* format */
	const char *format = "raw";
	size_t format_len = 3;
	rc = config_get_string(p, node, "format", &format, &format_len);
	if (rc == BH_EINVAL) {
		return rc;
	}
	if (strcmp(format, "raw") == 0) {
		img->format = IMAGE_RAW;
	} else if (strcmp(format, "linux") == 0) {
		img->format = IMAGE_LINUX;
	} else if (strcmp(format, "dtb") == 0) {
		img->format = IMAGE_DTB;
		if (part->has_dtb) {
			char other[96];
			dt_node_path(p->fdt, p->image_node[index][part->dtb_image], other,
				     sizeof(other));
			return fail(p, node, BH_EEXIST,
				    "format: %s is the partition's device tree already (at most "
				    "one \"dtb\" image)",
				    other);
		}
		if (img->size > DTB_MAX_SIZE) {
			return fail(p, node, BH_EINVAL,
				    "reg: size 0x%lx is over 2 MiB, too big for a device tree "
				    "(format \"dtb\")",
				    size);
		}
		part->has_dtb = true;
		part->dtb_image = k;
	} else {
		return fail(p, node, BH_EINVAL,
			    "format: \"%s\" is not \"raw\", \"linux\" or \"dtb\"", format);
	}

	/* load: where it goes in the partition. */
	rc = config_get_ipa(p, node, "load", &img->load_ipa);
	if (rc == BH_ENOENT) {
		return fail(p, node, BH_EINVAL,
			    "missing 'load' (the IPA the image is copied to in the partition)");
	}
	if (rc != BH_OK) {
		return rc;
	}
	uint64_t load = ipa_addr(img->load_ipa); /* for messages */
	paddr_t unused;
	if (!config_ipa_to_pa(part, img->load_ipa, img->size, &unused)) {
		return fail(p, node, BH_ERANGE,
			    "load (IPA 0x%lx+0x%lx) is not inside one memory region of %s", load,
			    size, part->path);
	}
	if (img->format == IMAGE_LINUX && !IS_ALIGNED(ipa_addr(img->load_ipa), LINUX_ALIGN)) {
		return fail(p, node, BH_EINVAL,
			    "load: IPA 0x%lx is not 2 MiB aligned (format \"linux\" needs it)",
			    load);
	}
	if (img->format == IMAGE_DTB && !IS_ALIGNED(ipa_addr(img->load_ipa), DTB_ALIGN)) {
		return fail(p, node, BH_EINVAL,
			    "load: IPA 0x%lx is not 8-byte aligned (format \"dtb\" needs it)",
			    load);
	}
	for (unsigned j = 0; j < k; j++) {
		const struct config_image *o = &part->images[j];
		if (ipa_range_overlaps(ipa_range(img->load_ipa, img->size),
				       ipa_range(o->load_ipa, o->size))) {
			char other[96];
			dt_node_path(p->fdt, p->image_node[index][j], other, sizeof(other));
			return fail(p, node, BH_ERANGE,
				    "load (IPA 0x%lx+0x%lx) overlaps %s load (IPA 0x%lx+0x%lx)",
				    load, size, other, ipa_addr(o->load_ipa), o->size);
		}
	}

	/* entry */
	img->entry_ipa = img->load_ipa;
	rc = config_get_ipa(p, node, "entry", &img->entry_ipa);
	if (rc == BH_ENOENT) {
		return BH_OK;
	}
	if (rc != BH_OK) {
		return rc;
	}
	img->has_entry = true;
	if (img->format == IMAGE_LINUX) {
		return fail(p, node, BH_EINVAL,
			    "entry: only raw images have one (a \"linux\" image is entered per "
			    "its header)");
	}
	if (img->format == IMAGE_DTB) {
		return fail(p, node, BH_EINVAL,
			    "entry: only raw images have one (a \"dtb\" image is data)");
	}
	uint64_t entry = ipa_addr(img->entry_ipa);
	if (!ipa_range_within(ipa_range(img->entry_ipa, 1), ipa_range(img->load_ipa, img->size))) {
		return fail(p, node, BH_ERANGE,
			    "entry 0x%lx is outside the image (IPA 0x%lx+0x%lx)", entry, load,
			    size);
	}
	if (!IS_ALIGNED(ipa_addr(img->entry_ipa), 4)) {
		return fail(p, node, BH_EINVAL, "entry 0x%lx is not 4-byte aligned", entry);
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
	struct config_partition *part = &p->cfg->partitions[index];
	int chosen = -1;

	for (unsigned k = 0; k < part->image_count; k++) {
		const struct config_image *img = &part->images[k];
		if (img->format != IMAGE_LINUX && !img->has_entry) {
			continue;
		}
		if (chosen >= 0) {
			char other[96];
			dt_node_path(p->fdt, p->image_node[index][chosen], other, sizeof(other));
			return fail(p, p->image_node[index][k], BH_EEXIST,
				    "%s: %s is the entry image already (only one image per "
				    "partition may be \"linux\" or have 'entry')",
				    img->format == IMAGE_LINUX ? "format" : "entry", other);
		}
		chosen = (int)k;
	}
	for (unsigned k = 0; chosen < 0 && k < part->image_count; k++) {
		if (strcmp(part->images[k].name, "kernel") == 0 &&
		    part->images[k].format != IMAGE_DTB) {
			chosen = (int)k;
		}
	}
	for (unsigned k = 0; chosen < 0 && k < part->image_count; k++) {
		if (part->images[k].format != IMAGE_DTB) {
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

/* ---------------------------------------------------------------- a partition */

static int parse_partition_props(struct parser *p, int node, unsigned index)
{
	struct config_partition *part = &p->cfg->partitions[index];
	const char *unit = "";
	int rc = config_check_node(p, node, &partition_kind, part->name, &unit);
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
	dt_node_path(p->fdt, node, part->path, sizeof(part->path));

	int cells[2];
	const int system_cells[2] = {p->ac, p->sc};
	rc = get_cells(p, node, cells);
	for (unsigned i = 0; rc == BH_OK && i < 2; i++) {
		if (cells[i] != 0 && cells[i] != system_cells[i]) {
			return fail(
				p, node, BH_EINVAL,
				"%s = <%d> differs from /bulkhead's <%d> (it may only repeat it)",
				cells_name[i], cells[i], system_cells[i]);
		}
	}
	if (rc != BH_OK) {
		return rc;
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
	if (fdt_getprop(p->fdt, node, "other-devices", &len) != NULL) {
		if (len != 0 || !part->is_root) {
			return fail(p, node, BH_EINVAL, "other-devices: %s",
				    len != 0 ? "a boolean property takes no value"
					     : "only the root partition takes the other devices");
		}
		part->other_devices = true;
	}

	static int (*const parts[])(struct parser *, int, unsigned) = {
		parse_cpus, parse_memory, config_parse_devices, config_parse_vuart};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		rc = parts[i](p, node, index);
		if (rc != BH_OK) {
			return rc;
		}
	}

	const char *args = NULL;
	size_t args_len = 0;
	rc = config_get_string(p, node, "bootargs", &args, &args_len);
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
	/* What an unemulated stage-2 abort does (docs/binding.md): stop (default) or inject. */
	const char *policy = NULL;
	size_t policy_len = 0;
	rc = config_get_string(p, node, "on-fault", &policy, &policy_len);
	if (rc == BH_EINVAL) {
		return rc;
	}
	if (rc == BH_OK && policy != NULL) {
		part->fault_inject = strcmp(policy, "inject") == 0;
		if (!part->fault_inject && strcmp(policy, "stop") != 0) {
			return fail(p, node, BH_EINVAL,
				    "on-fault: \"%s\", expected \"stop\" or \"inject\"", policy);
		}
	}
	return BH_OK;
}

static int parse_partition(struct parser *p, int node, unsigned index)
{
	struct config_partition *part = &p->cfg->partitions[index];
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

int config_check_ipa(struct parser *p, int node, const char *what, struct ipa_range r)
{
	if (p->lim.ipa_bits >= 64 || range_last(ipa_addr(r.base), r.size) >> p->lim.ipa_bits == 0) {
		return BH_OK;
	}
	return fail(p, node, BH_ERANGE,
		    "%s (IPA 0x%lx+0x%lx) is beyond the %u-bit IPA space of stage 2", what,
		    ipa_addr(r.base), r.size, p->lim.ipa_bits);
}

int config_check_spi(struct parser *p, int node, const char *what, uint64_t spi, unsigned *intid)
{
	unsigned lines = p->lim.gic_lines; /* INTIDs 1020-1023 are special: at most SPI 987 */
	uint64_t spis = lines > 1020 ? 988 : lines > 32 ? lines - 32 : 0;
	if (spi >= spis) {
		return fail(p, node, BH_ERANGE,
			    "%s: SPI %lu does not exist (the GIC has %u interrupt lines, SPIs "
			    "0-%ld)",
			    what, spi, lines, (int64_t)spis - 1);
	}
	*intid = (unsigned)spi + 32;
	return BH_OK;
}

int config_check_fixed(struct parser *p, int node, const char *what, struct pa_range r)
{
	if (pa_range_overlaps(r, p->lim.hyp)) {
		return fail(p, node, BH_ERANGE,
			    "%s (PA 0x%lx+0x%lx) overlaps the hypervisor (PA 0x%lx+0x%lx)", what,
			    pa_addr(r.base), r.size, pa_addr(p->lim.hyp.base), p->lim.hyp.size);
	}
	for (unsigned i = 0; i < p->board->reserved_count; i++) {
		const struct dt_range *res = &p->board->reserved[i];
		if (pa_range_overlaps(r, dt_pa_range(*res))) {
			return fail(p, node, BH_ERANGE,
				    "%s (PA 0x%lx+0x%lx) overlaps reserved memory (PA "
				    "0x%lx+0x%lx)",
				    what, pa_addr(r.base), r.size, res->base, res->size);
		}
	}
	return BH_OK;
}

int config_check_claims(struct parser *p, int node, const char *what, struct pa_range r,
			unsigned mems, unsigned images, unsigned channels)
{
	const struct config *cfg = p->cfg;
	char other[128] = "";
	int rc = config_check_fixed(p, node, what, r);
	for (unsigned i = 0; i < cfg->partition_count && other[0] == '\0'; i++) {
		const struct config_partition *o = &cfg->partitions[i];
		for (unsigned s = 0; s < o->mem_count && mems > 0 && other[0] == '\0';
		     s++, mems--) {
			if (pa_range_overlaps(r, pa_range(o->mem[s].pa, o->mem[s].size))) {
				bh_snprintf(other, sizeof(other), "%s memory[%u]", o->path, s);
			}
		}
	}
	for (unsigned i = 0; i < cfg->partition_count && other[0] == '\0'; i++) {
		const struct config_partition *o = &cfg->partitions[i];
		for (unsigned k = 0; k < o->image_count && images > 0 && other[0] == '\0';
		     k++, images--) {
			if (pa_range_overlaps(r,
					      pa_range(o->images[k].src_pa, o->images[k].size))) {
				char path[96];
				dt_node_path(p->fdt, p->image_node[i][k], path, sizeof(path));
				bh_snprintf(other, sizeof(other), "the image %s (reg)", path);
			}
		}
	}
	for (unsigned c = 0; c < channels && other[0] == '\0'; c++) {
		const struct config_channel *o = &cfg->channels[c];
		if (pa_range_overlaps(r, pa_range(o->pa, o->size))) {
			bh_snprintf(other, sizeof(other), "%s reg", o->path);
		}
	}
	if (rc != BH_OK || other[0] == '\0') {
		return rc;
	}
	return fail(p, node, BH_ERANGE, "%s (PA 0x%lx+0x%lx) overlaps %s", what, pa_addr(r.base),
		    r.size, other);
}

/*
 * Physical memory: partitions' memory and images' copies, all disjoint.
 * Memory is checked against every image (the boot loader's copy stays for
 * partition restarts), so an image only against the images before it.
 */
static int check_physical(struct parser *p)
{
	const struct config *cfg = p->cfg;
	unsigned before = 0;
	int rc = BH_OK;
	for (unsigned j = 0; j < cfg->partition_count; j++) {
		const struct config_partition *part = &cfg->partitions[j];
		for (unsigned r = 0; rc == BH_OK && r < part->mem_count; r++) {
			char what[24];
			bh_snprintf(what, sizeof(what), "memory[%u]", r);
			rc = config_check_claims(p, p->partition_node[j], what,
						 pa_range(part->mem[r].pa, part->mem[r].size),
						 before++, CONFIG_ALL, 0);
		}
	}
	before = 0;
	for (unsigned j = 0; j < cfg->partition_count; j++) {
		const struct config_partition *part = &cfg->partitions[j];
		for (unsigned k = 0; rc == BH_OK && k < part->image_count; k++) {
			rc = config_check_claims(
				p, p->image_node[j][k], "reg",
				pa_range(part->images[k].src_pa, part->images[k].size), 0, before++,
				0);
		}
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

/* The root moves to index 0, its nodes' offsets with it; the others keep tree order. */
static void put_root_first(struct parser *p, unsigned root)
{
	struct config *cfg = p->cfg;
	for (unsigned i = root; i > 0; i--) {
		swap_bytes(&cfg->partitions[i], &cfg->partitions[i - 1],
			   sizeof(cfg->partitions[i]));
		swap_bytes(&p->partition_node[i], &p->partition_node[i - 1],
			   sizeof(p->partition_node[i]));
		swap_bytes(p->image_node[i], p->image_node[i - 1], sizeof(p->image_node[i]));
	}
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		cfg->partitions[i].id = i;
	}
}

int config_parse(const void *fdt, const struct dt_board *board, struct config_limits lim,
		 struct config *cfg, struct dt_error *err)
{
	struct parser p = {
		.fdt = fdt,
		.board = board,
		.lim = lim,
		.gic = board->gic.version != 0 ? dt_find_compatible(fdt, -1, board->gic.compatible)
					       : -FDT_ERR_NOTFOUND,
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
		if (config_is_vmbus_node(fdt, node)) {
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
	if (cfg->partitions[p.root].other_devices) {
		rc = config_claim_the_rest(&p, (unsigned)p.root);
		if (rc != BH_OK) {
			return rc;
		}
	}
	rc = check_physical(&p);
	if (rc != BH_OK) {
		return rc;
	}
	put_root_first(&p, (unsigned)p.root);
	return vmbus >= 0 ? config_parse_channels(&p, vmbus) : BH_OK;
}
