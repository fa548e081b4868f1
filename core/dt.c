// SPDX-License-Identifier: MIT
/*
 * Reading the board from its device tree (Devicetree Specification v0.4,
 * chapters 2 and 3: reg, ranges, #address-cells, /cpus, /memory, /chosen).
 * Every error names the node path and the property.
 */
#include <core/fdt_util.h>
#include <core/printf.h>

/* Writes "device tree structure: ..." into err and returns BH_EINVAL. */
static int struct_fail(struct dt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int struct_fail(struct dt_error *err, const char *fmt, ...)
{
	static const char prefix[] = "device tree structure: ";
	va_list ap;
	memcpy(err->msg, prefix, sizeof(prefix));
	va_start(ap, fmt);
	bh_vsnprintf(err->msg + sizeof(prefix) - 1, sizeof(err->msg) - (sizeof(prefix) - 1), fmt,
		     ap);
	va_end(ap);
	return BH_EINVAL;
}

/*
 * Walks the structure block once (Devicetree Specification v0.4, 5.4) with
 * every length in 64-bit arithmetic, before libfdt walks it. libfdt 1.6.1's
 * fdt_next_tag() adds a property's length to an int: a length of 0xfffffff4
 * wraps back to the tag itself and fdt_check_full() loops for ever (found by
 * the config fuzzer), and an unterminated root name makes fdt_check_full()
 * read it through a NULL pointer. Once each tag is known to end inside the
 * block, every libfdt walk ends. Offsets in the messages are from the
 * block's start, as dtc and fdtdump count them.
 */
static int dt_check_struct(const void *fdt, struct dt_error *err)
{
	/* Version 16 and older have no size_dt_struct, so nothing would bound a walk. */
	if (fdt_version(fdt) < 17) {
		return struct_fail(err,
				   "version %u is older than 17 (no size_dt_struct to bound the "
				   "walk)",
				   fdt_version(fdt));
	}
	const uint8_t *blk = (const uint8_t *)fdt + fdt_off_dt_struct(fdt);
	uint64_t size = fdt_size_dt_struct(fdt); /* fdt_check_header: inside totalsize */
	uint64_t at = 0;

	while (at + FDT_TAGSIZE <= size) {
		uint32_t tag = fdt32_ld((const fdt32_t *)(blk + at));
		uint64_t next = at + FDT_TAGSIZE;
		switch (tag) {
		case FDT_BEGIN_NODE: {
			const uint8_t *nul = memchr(blk + next, '\0', (size_t)(size - next));
			if (nul == NULL) {
				return struct_fail(err,
						   "the node name at 0x%lx runs past the block's "
						   "end (0x%lx)",
						   at, size);
			}
			next = (uint64_t)(nul - blk) + 1;
			break;
		}
		case FDT_PROP: {
			if (next + 8 > size) {
				return struct_fail(err,
						   "the property header at 0x%lx runs past the "
						   "block's end (0x%lx)",
						   at, size);
			}
			uint64_t len = fdt32_ld((const fdt32_t *)(blk + next));
			next += 8 + len;
			if (next > size) {
				return struct_fail(err,
						   "the property at 0x%lx has length 0x%lx, past "
						   "the block's end (0x%lx)",
						   at, len, size);
			}
			break;
		}
		case FDT_END_NODE:
		case FDT_NOP:
			break;
		case FDT_END:
			return BH_OK;
		default:
			return struct_fail(err, "unknown tag 0x%x at 0x%lx", tag, at);
		}
		at = (next + FDT_TAGSIZE - 1) & ~(uint64_t)(FDT_TAGSIZE - 1);
	}
	return struct_fail(err, "no FDT_END tag before the block's end (0x%lx)", size);
}

int dt_check_blob(const void *fdt, size_t max_size, struct dt_error *err)
{
	/* fdt_check_header reads the whole header before it looks at totalsize. */
	if (max_size < sizeof(struct fdt_header)) {
		bh_snprintf(err->msg, sizeof(err->msg),
			    "device tree header: %zu bytes allowed, a header needs %zu", max_size,
			    sizeof(struct fdt_header));
		return BH_EINVAL;
	}
	int rc = fdt_check_header(fdt);
	if (rc != 0) {
		bh_snprintf(err->msg, sizeof(err->msg), "device tree header: %s", fdt_strerror(rc));
		return BH_EINVAL;
	}
	if (fdt_totalsize(fdt) > max_size) {
		bh_snprintf(err->msg, sizeof(err->msg),
			    "device tree header: totalsize %u is larger than the %zu bytes allowed",
			    fdt_totalsize(fdt), max_size);
		return BH_EINVAL;
	}
	rc = dt_check_struct(fdt, err);
	if (rc != BH_OK) {
		return rc;
	}
	rc = fdt_check_full(fdt, fdt_totalsize(fdt));
	if (rc != 0) {
		bh_snprintf(err->msg, sizeof(err->msg), "device tree structure: %s",
			    fdt_strerror(rc));
		return BH_EINVAL;
	}
	return BH_OK;
}

static int bus_cells(const void *fdt, int bus, int *ac, int *sc, struct dt_error *err)
{
	*ac = dt_cells(fdt, bus, false);
	*sc = dt_cells(fdt, bus, true);
	if (*ac < 1 || *ac > 2 || *sc < 0 || *sc > 2) {
		return dt_fail(err, fdt, bus, BH_ENOTSUP,
			       "#address-cells/#size-cells = %d/%d not supported (1-2 / 0-2)", *ac,
			       *sc);
	}
	return BH_OK;
}

int dt_translate(const void *fdt, int node, uint64_t addr, uint64_t size, uint64_t *out,
		 struct dt_error *err)
{
	int bus = fdt_parent_offset(fdt, node);

	size = size != 0 ? size : 1;
	while (bus > 0) {
		int len;
		const fdt32_t *ranges = fdt_getprop(fdt, bus, "ranges", &len);
		if (ranges == NULL) {
			return dt_fail(err, fdt, bus, BH_EINVAL,
				       "no 'ranges': bus address 0x%lx is not visible to the CPU",
				       addr);
		}
		if (len > 0) {
			int parent = fdt_parent_offset(fdt, bus);
			int child_ac, size_c, parent_ac, unused_sc;
			if (parent < 0 || bus_cells(fdt, bus, &child_ac, &size_c, err) != BH_OK ||
			    bus_cells(fdt, parent, &parent_ac, &unused_sc, err) != BH_OK) {
				return BH_EINVAL;
			}
			int entry = child_ac + parent_ac + size_c;
			if (size_c == 0 || len % (entry * 4) != 0) {
				return dt_fail(err, fdt, bus, BH_EINVAL,
					       "'ranges' length %d is not a multiple of %d cells",
					       len, entry);
			}
			bool found = false;
			for (int i = 0; i < len / 4; i += entry) {
				uint64_t child = dt_read_cells(&ranges[i], child_ac);
				uint64_t parent_base =
					dt_read_cells(&ranges[i + child_ac], parent_ac);
				uint64_t window =
					dt_read_cells(&ranges[i + child_ac + parent_ac], size_c);
				/* The whole range in one window, which does not wrap either side.
				 */
				if (range_within(addr, size, child, window) &&
				    !range_wraps(child, window) &&
				    !range_wraps(parent_base, window)) {
					addr = parent_base + (addr - child);
					found = true;
					break;
				}
			}
			if (!found) {
				return dt_fail(err, fdt, bus, BH_ERANGE,
					       "'ranges' does not cover bus range 0x%lx+0x%lx",
					       addr, size);
			}
		}
		bus = fdt_parent_offset(fdt, bus);
	}
	*out = addr;
	return BH_OK;
}

int dt_node_reg(const void *fdt, int node, int index, struct dt_range *out, struct dt_error *err)
{
	int parent = fdt_parent_offset(fdt, node);
	int ac, sc, len;

	if (parent < 0) {
		return dt_fail(err, fdt, node, BH_EINVAL, "'reg' on the root node");
	}
	if (bus_cells(fdt, parent, &ac, &sc, err) != BH_OK) {
		return BH_ENOTSUP;
	}
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	if (reg == NULL) {
		return dt_fail(err, fdt, node, BH_ENOENT, "missing 'reg'");
	}
	int entry = ac + sc;
	if (len % (entry * 4) != 0) {
		return dt_fail(err, fdt, node, BH_EINVAL,
			       "'reg' length %d is not a multiple of %d cells", len, entry);
	}
	if (index < 0 || index >= len / (entry * 4)) {
		return dt_fail(err, fdt, node, BH_ENOENT, "'reg' has no entry %d", index);
	}
	size_t at = (size_t)index * (size_t)entry;
	uint64_t addr = dt_read_cells(&reg[at], ac);
	struct dt_range r = {.size = dt_read_cells(&reg[at + (size_t)ac], sc)};
	if (range_wraps(addr, r.size)) {
		return dt_fail(err, fdt, node, BH_ERANGE,
			       "'reg' entry %d wraps around the address space", index);
	}
	int rc = dt_translate(fdt, node, addr, r.size, &r.base, err);
	if (rc == BH_OK) {
		*out = r; /* only a whole, translated entry: never a size without its base */
	}
	return rc;
}

int dt_stdout_node(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen < 0) {
		return -FDT_ERR_NOTFOUND;
	}
	const char *path;
	size_t len;
	if (dt_get_string(fdt, chosen, "stdout-path", &path, &len) != BH_OK &&
	    dt_get_string(fdt, chosen, "linux,stdout-path", &path, &len) != BH_OK) {
		return -FDT_ERR_NOTFOUND;
	}
	int namelen = 0;
	while (path[namelen] != '\0' && path[namelen] != ':') {
		namelen++;
	}
	/* fdt_path_offset_namelen resolves an alias when the path does not start with '/'. */
	return fdt_path_offset_namelen(fdt, path, namelen);
}

/*
 * Appends every non-empty entry of node's 'reg' to list[*count], which holds
 * at most max entries. Zero sizes are skipped (RPi4's /memory before the
 * firmware fills it in).
 */
static int append_regs(const void *fdt, int node, struct dt_range *list, unsigned *count,
		       unsigned max, const char *what, struct dt_error *err)
{
	for (int i = 0;; i++) {
		struct dt_range r;
		int rc = dt_node_reg(fdt, node, i, &r, err);
		if (rc == BH_ENOENT && i > 0) {
			return BH_OK;
		}
		if (rc != BH_OK) {
			return rc;
		}
		if (r.size == 0) {
			continue;
		}
		if (*count == max) {
			return dt_fail(err, fdt, node, BH_ENOMEM, "more than %u %s ranges", max,
				       what);
		}
		list[(*count)++] = r;
	}
}

static int parse_memory(const void *fdt, struct dt_board *board, struct dt_error *err)
{
	for (int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
	     node >= 0;
	     node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "memory", 7)) {
		if (!dt_node_available(fdt, node)) {
			continue;
		}
		int rc = append_regs(fdt, node, board->mem, &board->mem_count, DT_MAX_MEM, "RAM",
				     err);
		if (rc != BH_OK) {
			return rc;
		}
	}
	if (board->mem_count == 0) {
		bh_snprintf(err->msg, sizeof(err->msg),
			    "/memory: no RAM (no node with device_type = \"memory\" and a "
			    "non-empty 'reg')");
		return BH_ENOENT;
	}
	return BH_OK;
}

static int parse_reserved(const void *fdt, struct dt_board *board, struct dt_error *err)
{
	int count = fdt_num_mem_rsv(fdt);
	for (int i = 0; i < count; i++) {
		uint64_t base, size;
		if (fdt_get_mem_rsv(fdt, i, &base, &size) != 0 || size == 0) {
			continue;
		}
		if (board->reserved_count == DT_MAX_RESERVED) {
			return dt_fail(err, fdt, 0, BH_ENOMEM,
				       "more than %d reserved memory ranges", DT_MAX_RESERVED);
		}
		board->reserved[board->reserved_count++] = (struct dt_range){base, size};
	}
	int parent = fdt_path_offset(fdt, "/reserved-memory");
	if (parent < 0) {
		return BH_OK;
	}
	int child;
	fdt_for_each_subnode(child, fdt, parent)
	{
		/* Dynamic regions (size/alloc-ranges only) have no fixed place yet. */
		if (!dt_node_available(fdt, child) ||
		    fdt_getprop(fdt, child, "reg", NULL) == NULL) {
			continue;
		}
		int rc = append_regs(fdt, child, board->reserved, &board->reserved_count,
				     DT_MAX_RESERVED, "reserved memory", err);
		if (rc != BH_OK) {
			return rc;
		}
	}
	return BH_OK;
}

static int parse_cpus(const void *fdt, struct dt_board *board, struct dt_error *err)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	if (cpus < 0) {
		bh_snprintf(err->msg, sizeof(err->msg), "/cpus: missing node");
		return BH_ENOENT;
	}
	int ac = dt_cells(fdt, cpus, false);
	if (ac < 1 || ac > 2) {
		return dt_fail(err, fdt, cpus, BH_EINVAL, "#address-cells = %d, expected 1 or 2",
			       ac);
	}
	int node;
	fdt_for_each_subnode(node, fdt, cpus)
	{
		int len;
		if (!dt_prop_is(fdt, node, "device_type", "cpu")) {
			continue; /* cpu-map and friends */
		}
		const char *status = fdt_getprop(fdt, node, "status", &len);
		if (status != NULL && len >= 5 && memcmp(status, "fail", 4) == 0) {
			continue; /* "fail": firmware says the core is broken */
		}
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		if (reg == NULL || len != ac * 4) {
			return dt_fail(err, fdt, node, BH_EINVAL,
				       "'reg' must be %d cell(s) holding the MPIDR", ac);
		}
		if (board->cpu_count == DT_MAX_CPUS) {
			board->cpus_skipped++;
			continue;
		}
		struct dt_cpu *cpu = &board->cpus[board->cpu_count];
		cpu->mpidr = dt_read_cells(reg, ac);
		if (dt_cpu_index(board, cpu->mpidr) >= 0) {
			return dt_fail(err, fdt, node, BH_EEXIST, "MPIDR 0x%lx listed twice",
				       cpu->mpidr);
		}
		cpu->enable = DT_CPU_ENABLE_NONE;
		cpu->release_addr = 0;
		if (dt_prop_is(fdt, node, "enable-method", "psci")) {
			cpu->enable = DT_CPU_ENABLE_PSCI;
		} else if (dt_prop_is(fdt, node, "enable-method", "spin-table")) {
			const fdt32_t *rel = fdt_getprop(fdt, node, "cpu-release-addr", &len);
			if (rel == NULL || (len != 8 && len != 4)) {
				return dt_fail(
					err, fdt, node, BH_EINVAL,
					"enable-method \"spin-table\" without a 1- or 2-cell "
					"'cpu-release-addr'");
			}
			cpu->enable = DT_CPU_ENABLE_SPIN_TABLE;
			cpu->release_addr = dt_read_cells(rel, len / 4);
		}
		board->cpu_count++;
	}
	if (board->cpu_count == 0) {
		return dt_fail(err, fdt, cpus, BH_ENOENT, "no CPU nodes (device_type = \"cpu\")");
	}
	return BH_OK;
}

static int parse_psci(const void *fdt, struct dt_board *board, struct dt_error *err)
{
	(void)err; /* nothing to report: without a usable node there is no PSCI */
	static const char *const compatibles[] = {"arm,psci-1.0", "arm,psci-0.2", "arm,psci"};
	board->psci = DT_PSCI_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(compatibles); i++) {
		int node = dt_find_compatible(fdt, -1, compatibles[i]);
		if (node < 0 || !dt_node_available(fdt, node)) {
			continue;
		}
		if (dt_prop_is(fdt, node, "method", "smc")) {
			board->psci = DT_PSCI_SMC;
		} else if (dt_prop_is(fdt, node, "method", "hvc")) {
			board->psci = DT_PSCI_HVC;
		}
		break;
	}
	return BH_OK;
}

static int parse_uart(const void *fdt, struct dt_board *board, struct dt_error *err)
{
	int node = dt_stdout_node(fdt);
	board->uart.from_stdout_path = true;
	if (node < 0 || !dt_compatible(fdt, node, "arm,pl011") || !dt_node_available(fdt, node)) {
		/* stdout-path missing or a UART we do not drive (RPi4: the mini UART). */
		board->uart.from_stdout_path = false;
		node = dt_find_compatible(fdt, -1, "arm,pl011");
		while (node >= 0 && !dt_node_available(fdt, node)) {
			node = dt_find_compatible(fdt, node, "arm,pl011");
		}
	}
	if (node < 0) {
		board->uart.kind = DT_UART_NONE;
		return BH_OK; /* the hypervisor runs silently on the early console, if any */
	}
	int rc = dt_node_reg(fdt, node, 0, &board->uart.reg, err);
	if (rc != BH_OK) {
		return rc;
	}
	board->uart.kind = DT_UART_PL011;
	if (fdt_get_path(fdt, node, board->uart.path, (int)sizeof(board->uart.path)) != 0) {
		board->uart.path[0] = '\0';
	}
	/* GIC binding: <type number flags>, type 0 = SPI (INTID 32 + number, below 1020). */
	int len;
	const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
	uint64_t spi =
		irq != NULL && len >= 12 && fdt32_ld(&irq[0]) == 0 ? fdt32_ld(&irq[1]) : ~0ULL;
	board->uart.irq = spi < 1020 - 32 ? (unsigned)spi + 32 : 0;
	return BH_OK;
}

static int parse_gic(const void *fdt, struct dt_board *board, struct dt_error *err)
{
	static const struct {
		const char *compatible;
		unsigned version;
	} gics[] = {
		{"arm,gic-v3", 3},
		{"arm,gic-400", 2},
		{"arm,cortex-a15-gic", 2},
		{"arm,cortex-a7-gic", 2},
	};
	struct dt_gic *gic = &board->gic;
	int node = -1;

	for (size_t i = 0; i < ARRAY_SIZE(gics) && node < 0; i++) {
		node = dt_find_compatible(fdt, -1, gics[i].compatible);
		if (node >= 0) {
			gic->version = gics[i].version;
			bh_snprintf(gic->compatible, sizeof(gic->compatible), "%s",
				    gics[i].compatible);
		}
	}
	if (node < 0) {
		gic->version = 0;
		return BH_OK;
	}
	int rc = dt_node_reg(fdt, node, 0, &gic->dist, err);
	if (rc == BH_OK && gic->version == 3) {
		rc = dt_node_reg(fdt, node, 1, &gic->redist, err);
	} else if (rc == BH_OK) {
		rc = dt_node_reg(fdt, node, 1, &gic->cpu, err);
		/*
		 * GICH and GICV exist only when the GIC has the virtualization
		 * extensions: no third entry is fine, one that does not translate
		 * is a broken tree.
		 */
		int hyp = rc == BH_OK ? dt_node_reg(fdt, node, 2, &gic->hyp, err) : BH_ENOENT;
		if (hyp == BH_OK) {
			rc = dt_node_reg(fdt, node, 3, &gic->vcpu, err);
		} else if (hyp != BH_ENOENT) {
			rc = hyp;
		}
	}
	if (rc != BH_OK) {
		return rc;
	}
	int len;
	const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
	if (irq != NULL && len >= 12 && fdt32_ld(&irq[0]) == 1 && fdt32_ld(&irq[1]) < 16) {
		gic->maint_irq = fdt32_ld(&irq[1]) + 16; /* PPI n is INTID 16 + n */
	}
	return BH_OK;
}

int dt_parse_board(const void *fdt, struct dt_board *board, struct dt_error *err)
{
	int len;

	memset(board, 0, sizeof(*board));
	err->msg[0] = '\0';

	const char *model = fdt_getprop(fdt, 0, "model", &len);
	if (model == NULL) {
		model = fdt_getprop(fdt, 0, "compatible", &len);
	}
	/* A property may lack its NUL: at most len characters (-1: no limit). */
	bh_snprintf(board->model, sizeof(board->model), "%.*s", model != NULL ? len : -1,
		    model != NULL ? model : "unknown");

	int chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen >= 0) {
		const char *args = fdt_getprop(fdt, chosen, "bootargs", &len);
		if (args != NULL) {
			bh_snprintf(board->bootargs, sizeof(board->bootargs), "%.*s", len, args);
		}
	}

	static int (*const parts[])(const void *, struct dt_board *, struct dt_error *) = {
		parse_memory, parse_reserved, parse_cpus, parse_psci, parse_uart, parse_gic};
	int rc = BH_OK;
	for (size_t i = 0; rc == BH_OK && i < ARRAY_SIZE(parts); i++) {
		rc = parts[i](fdt, board, err);
	}
	if (rc == BH_OK) {
		err->msg[0] = '\0'; /* optional look-ups may have left a message */
	}
	return rc;
}

int dt_cpu_index(const struct dt_board *board, uint64_t mpidr)
{
	for (unsigned i = 0; i < board->cpu_count; i++) {
		if (board->cpus[i].mpidr == mpidr) {
			return (int)i;
		}
	}
	return -1;
}

bool dt_bootarg(const char *bootargs, const char *key, char *out, size_t out_size)
{
	size_t keylen = strlen(key);
	const char *p = bootargs;

	while (*p != '\0') {
		while (*p == ' ') {
			p++;
		}
		const char *word = p;
		while (*p != '\0' && *p != ' ') {
			p++;
		}
		size_t wordlen = (size_t)(p - word);
		if (wordlen > keylen && memcmp(word, key, keylen) == 0 && word[keylen] == '=') {
			bh_snprintf(out, out_size, "%.*s", (int)(wordlen - keylen - 1),
				    word + keylen + 1);
			return true;
		}
		if (wordlen == keylen && memcmp(word, key, keylen) == 0) {
			bh_snprintf(out, out_size, "%s", "");
			return true;
		}
	}
	return false;
}
