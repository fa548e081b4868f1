// SPDX-License-Identifier: MIT
/*
 * Board devices given to partitions (`devices`, or all the rest for the
 * root), the emulated PL011 (`vuart`), and what a partition's IPA map holds.
 * Devices are mapped at IPA = PA, in whole pages (docs/binding.md, "Devices").
 */
#include "config_internal.h"

#define VUART_SPI 1 /* SPI 1 (INTID 33): the PL011's on QEMU virt */

/* A device's pages where the partition sees them: at IPA = PA. */
static struct ipa_range ipa_pages(struct pa_range r)
{
	struct pa_range pg = config_device_pages(r);
	return ipa_range(ipa_init(pa_addr(pg.base)), pg.size);
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
	for (int n = node; n >= 0 && p->gic >= 0; n = fdt_parent_offset(p->fdt, n)) {
		if (n == p->gic) {
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

/* Fails unless the device's pages (reg) stay off the pages of `whose` `node` (PA r). */
static int keep_off(struct parser *p, int owner, const char *dev, struct pa_range reg,
		    const char *whose, const char *node, struct dt_range r)
{
	if (!pa_range_overlaps(config_device_pages(reg), config_device_pages(dt_pa_range(r)))) {
		return BH_OK;
	}
	return fail(p, owner, BH_ERANGE,
		    "%s (PA 0x%lx+0x%lx) shares a page with %s %s (PA 0x%lx+0x%lx)", dev,
		    pa_addr(reg.base), reg.size, whose, node, r.base, r.size);
}

/*
 * What a device page may not touch, by address, whatever its node is called:
 * the partition's IPA space ends, RAM, the hypervisor, reserved memory,
 * every frame of the GIC (all `reg`s of its node and the nodes below it:
 * GICD, GICR, GICC, GICH, GICV, ITS) and the console UART's page.
 */
static int check_device_reg(struct parser *p, int owner, const char *dev, struct pa_range r)
{
	struct ipa_range ipa = ipa_range(ipa_init(pa_addr(r.base)), r.size);
	int rc = config_check_ipa(p, owner, dev, ipa);
	for (unsigned m = 0; rc == BH_OK && m < p->board->mem_count; m++) {
		if (pa_range_overlaps(config_device_pages(r), dt_pa_range(p->board->mem[m]))) {
			return fail(p, owner, BH_ERANGE,
				    "%s (PA 0x%lx+0x%lx) is RAM, not a device (give RAM with "
				    "'memory')",
				    dev, pa_addr(r.base), r.size);
		}
	}
	if (rc == BH_OK) {
		rc = config_check_fixed(p, owner, dev, config_device_pages(r));
	}
	char path[96];
	int depth = 0;
	for (int n = p->gic; rc == BH_OK && n >= 0 && (n == p->gic || depth > 0);
	     n = fdt_next_node(p->fdt, n, &depth)) {
		struct dt_range frame;
		dt_node_path(p->fdt, n, path, sizeof(path));
		for (int i = 0; rc == BH_OK && dt_node_reg(p->fdt, n, i, &frame, NULL) == BH_OK;
		     i++) {
			rc = keep_off(p, owner, dev, r, "the GIC", path, frame);
		}
	}
	if (rc == BH_OK && p->board->uart.kind != DT_UART_NONE) {
		rc = keep_off(p, owner, dev, r, "the console UART", p->board->uart.path,
			      p->board->uart.reg);
	}
	return rc;
}

/* Reads a device's registers and SPIs into *d; a message names `what` on error. */
static int read_device(struct parser *p, int owner, int dev, const char *what, const char *path,
		       struct config_device *d)
{
	static const char *const kinds[] = {"an SPI", "a PPI", "an extended SPI (GICv3.1)"};
	struct dt_error e;
	char name[128]; /* "devices[0]: /pl031@9010000" */
	bh_snprintf(name, sizeof(name), "%s: %s", what, path);
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
			return fail(p, owner, BH_EINVAL, "%s has no 'reg' (nothing to map)", name);
		}
		if (rc != BH_OK) {
			return fail(p, owner, rc, "%s: %s", what, e.msg);
		}
		if (i == BH_MAX_DEVICE_REGS) {
			return fail(p, owner, BH_ENOMEM, "%s has more than %d 'reg' entries", name,
				    BH_MAX_DEVICE_REGS);
		}
		if (r.size == 0) {
			continue;
		}
		rc = check_device_reg(p, owner, name, dt_pa_range(r));
		if (rc != BH_OK) {
			return rc;
		}
		d->reg[d->reg_count++] = dt_pa_range(r);
	}

	int len;
	const fdt32_t *irqs = fdt_getprop(p->fdt, dev, "interrupts", &len);
	if (irqs == NULL) {
		return BH_OK;
	}
	int parent = interrupt_parent(p->fdt, dev);
	if (parent < 0 || !in_gic(p, parent)) {
		return fail(p, owner, BH_EINVAL,
			    "%s has interrupts, but not from the GIC (only GIC SPIs can be "
			    "given to a partition)",
			    name);
	}
	if (len % 12 != 0) {
		return fail(p, owner, BH_EINVAL,
			    "%s interrupts: %d bytes is not a list of <type number flags>", name,
			    len);
	}
	for (int i = 0; i < len / 12; i++) {
		uint32_t type = fdt32_ld(&irqs[(size_t)3 * (size_t)i]);
		char spi[160];
		unsigned intid;
		if (type != 0) {
			return fail(
				p, owner, BH_EINVAL,
				"%s interrupts[%d] is %s (only SPIs can be given to a partition)",
				name, i, type < 3 ? kinds[type] : "of no GIC type (0 SPI, 1 PPI)");
		}
		bh_snprintf(spi, sizeof(spi), "%s interrupts[%d]", name, i);
		int rc = config_check_spi(p, owner, spi, fdt32_ld(&irqs[(size_t)3 * (size_t)i + 1]),
					  &intid);
		if (rc != BH_OK) {
			return rc;
		}
		if (intid == p->board->uart.irq) {
			return fail(p, owner, BH_EEXIST, "%s: SPI %u is the console UART %s's", spi,
				    intid - 32, p->board->uart.path);
		}
		if (d->spi_count == BH_MAX_DEVICE_SPIS) {
			return fail(p, owner, BH_ENOMEM, "%s has more than %d interrupts", name,
				    BH_MAX_DEVICE_SPIS);
		}
		d->spi[d->spi_count++] = (uint16_t)intid;
	}
	return BH_OK;
}

/*
 * Whether d conflicts with what partitions 0..count-1 (and `self`, up to
 * its device_count) already have: the same node, a shared page or an SPI.
 * Fills `why` with the message tail.
 */
static bool device_conflict(const struct parser *p, const struct config_device *d, unsigned count,
			    const struct config_partition *self, char *why, size_t size)
{
	char other[96];
	for (unsigned j = 0; j <= count; j++) {
		const struct config_partition *o = j < count ? &p->cfg->partitions[j] : self;
		if (j < count && o == self) {
			continue;
		}
		for (unsigned k = 0; k < o->device_count; k++) {
			const struct config_device *e = &o->devices[k];
			dt_node_path(p->fdt, e->node, other, sizeof(other));
			if (e->node == d->node) {
				bh_snprintf(why, size, "is already in %s", o->path);
				return true;
			}
			for (unsigned a = 0; a < d->reg_count; a++) {
				for (unsigned b = 0; b < e->reg_count; b++) {
					if (pa_range_overlaps(config_device_pages(d->reg[a]),
							      config_device_pages(e->reg[b]))) {
						bh_snprintf(
							why, size,
							"shares the page at PA 0x%lx with %s of "
							"%s",
							pa_addr(config_device_pages(d->reg[a])
									.base),
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
	/* Devices sit at IPA = PA: not where the partition has its memory or vuart. */
	for (unsigned a = 0; a < d->reg_count; a++) {
		char what[128];
		if (config_ipa_in_use(p, self, ipa_pages(d->reg[a]), false, what, sizeof(what))) {
			bh_snprintf(why, size, "(PA 0x%lx, mapped at the same IPA) %s",
				    pa_addr(d->reg[a].base), what);
			return true;
		}
	}
	return false;
}

/*
 * A node config_device_risk() names (enabled or not: its registers are live)
 * that shares a page with d, whose mapping would hand it over too; or -1.
 */
static int risky_neighbour(const struct parser *p, const struct config_device *d)
{
	for (int n = fdt_next_node(p->fdt, 0, NULL); n >= 0; n = fdt_next_node(p->fdt, n, NULL)) {
		struct dt_range r;
		for (int i = 0; n != d->node && config_device_risk(p->fdt, n) != NULL &&
				dt_node_reg(p->fdt, n, i, &r, NULL) == BH_OK;
		     i++) {
			for (unsigned a = 0; a < d->reg_count; a++) {
				if (pa_range_overlaps(config_device_pages(d->reg[a]),
						      config_device_pages(dt_pa_range(r)))) {
					return n;
				}
			}
		}
	}
	return -1;
}

/* Entry i of `devices` (or `trusted-devices`, which may hold the risky kinds). */
static int parse_device(struct parser *p, int node, unsigned index, const char *prop, int i,
			uint32_t phandle, bool trusted)
{
	struct config_partition *part = &p->cfg->partitions[index];
	char what[32];
	char path[96];
	char why[160];
	int dev = dt_node_of_phandle(p->fdt, phandle);
	bh_snprintf(what, sizeof(what), "%s[%d]", prop, i);
	if (dev < 0) {
		return fail(p, node, BH_EINVAL, "%s: phandle 0x%x matches no node", what, phandle);
	}
	dt_node_path(p->fdt, dev, path, sizeof(path));
	const char *bad = not_a_device(p, dev, path);
	if (bad != NULL) {
		return fail(p, node, BH_EINVAL, "%s: %s %s", what, path, bad);
	}
	if (part->device_count == BH_MAX_DEVICES) {
		return fail(p, node, BH_ENOMEM, "devices: more than %d", BH_MAX_DEVICES);
	}
	struct config_device *d = &part->devices[part->device_count];
	int rc = read_device(p, node, dev, what, path, d);
	if (rc != BH_OK) {
		return rc;
	}
	const char *risk = trusted ? NULL : config_device_risk(p->fdt, dev);
	int near = trusted || risk != NULL ? -1 : risky_neighbour(p, d);
	if (near >= 0) {
		char other[96];
		dt_node_path(p->fdt, near, other, sizeof(other));
		return fail(p, node, BH_EINVAL,
			    "%s: %s shares a page with %s, which %s (only 'trusted-devices' may "
			    "give it)",
			    what, path, other, config_device_risk(p->fdt, near));
	}
	if (risk != NULL) {
		return fail(p, node, BH_EINVAL, "%s: %s %s (only 'trusted-devices' may give it)",
			    what, path, risk);
	}
	if (device_conflict(p, d, index, part, why, sizeof(why))) {
		return fail(p, node, BH_EEXIST, "%s: %s %s", what, path, why);
	}
	part->device_count++;
	return BH_OK;
}

const char *config_device_risk(const void *fdt, int node)
{
	/* A property, a generic node name (Devicetree Specification 2.2.2) or a compatible. */
	static const char *const marks[2][17] = {
		{"#dma-cells", "dma-coherent", "iommus", "dma-controller", "dma", "ethernet", "usb",
		 "mmc", "sata", "pci", "pcie", "gpu", "virtio,mmio", "brcm,bcm2835-vchiq",
		 "brcm,bcm2711-hvs", "brcm,bcm2835-txp", NULL},
		{"#clock-cells", "#reset-cells", "#power-domain-cells", "#mbox-cells",
		 "gpio-controller", "interrupt-controller", "pinctrl", "mailbox", "syscon",
		 "brcm,bcm2836-l1-intc", NULL},
	};
	static const char *const why[2] = {
		"can master DMA, which reaches all memory with no SMMU",
		"controls what other devices share (clocks, resets, power, pins, interrupts)"};
	const char *name = fdt_get_name(fdt, node, NULL);
	const char *at = name != NULL ? strchr(name, '@') : NULL;
	size_t len = name == NULL ? 0 : at != NULL ? (size_t)(at - name) : strlen(name);
	for (unsigned k = 0; k < 2; k++) {
		for (const char *const *m = marks[k]; *m != NULL; m++) {
			if (fdt_getprop(fdt, node, *m, NULL) != NULL ||
			    dt_compatible(fdt, node, *m) ||
			    (strlen(*m) == len && strncmp(name, *m, len) == 0)) {
				return why[k];
			}
		}
	}
	return NULL;
}

/* `devices` and `trusted-devices = <&node ...>`: board devices given to this partition. */
int config_parse_devices(struct parser *p, int node, unsigned index)
{
	for (unsigned trusted = 0; trusted < 2; trusted++) {
		const char *prop = trusted ? "trusted-devices" : "devices";
		int len;
		const fdt32_t *phandles = fdt_getprop(p->fdt, node, prop, &len);
		if (phandles != NULL && len % 4 != 0) {
			return fail(p, node, BH_EINVAL, "%s: %d bytes is not a list of phandles",
				    prop, len);
		}
		for (int i = 0; phandles != NULL && i < len / 4; i++) {
			int rc = parse_device(p, node, index, prop, i, fdt32_ld(&phandles[i]),
					      trusted);
			if (rc != BH_OK) {
				return rc;
			}
		}
	}
	return BH_OK;
}

/* The virtual GIC: at the board's GIC addresses, in every partition. */
static bool overlaps_vgic(const struct dt_gic *gic, struct ipa_range r)
{
	uint64_t base = ipa_addr(r.base);
	return range_overlaps(base, r.size, gic->dist.base, GIC_DIST_SIZE) ||
	       (gic->version == 3 &&
		range_overlaps(base, r.size, gic->redist.base, gic->redist.size)) ||
	       (gic->version == 2 && range_overlaps(base, r.size, gic->cpu.base, GICV2_CPUIF_SIZE));
}

bool config_ipa_in_use(const struct parser *p, const struct config_partition *part,
		       struct ipa_range r, bool whose, char *what, size_t n)
{
	char own[BH_NAME_MAX + 4] = ""; /* "rt0's ", or nothing */
	if (whose) {
		bh_snprintf(own, sizeof(own), "%s's ", part->name);
	}
	for (unsigned m = 0; m < part->mem_count; m++) {
		if (ipa_range_overlaps(r, ipa_range(part->mem[m].ipa, part->mem[m].size))) {
			bh_snprintf(what, n, "is in %s%smemory[%u]", whose ? part->path : "",
				    whose ? " " : "", m);
			return true;
		}
	}
	if (overlaps_vgic(&p->board->gic, r)) {
		bh_snprintf(what, n, "is where %svirtual GIC is", whose ? own : "the ");
		return true;
	}
	if (part->has_vuart && ipa_range_overlaps(r, ipa_range(part->vuart_ipa, VUART_SIZE))) {
		bh_snprintf(what, n, "is where %svuart is", whose ? own : "the ");
		return true;
	}
	for (unsigned k = 0; k < part->device_count; k++) {
		const struct config_device *d = &part->devices[k];
		for (unsigned q = 0; q < d->reg_count; q++) {
			if (ipa_range_overlaps(r, ipa_pages(d->reg[q]))) {
				char path[96];
				dt_node_path(p->fdt, d->node, path, sizeof(path));
				bh_snprintf(what, n, "is where %sdevice %s is", own, path);
				return true;
			}
		}
	}
	for (unsigned c = 0; c < part->channel_count; c++) {
		const struct config_channel *o = &p->cfg->channels[part->channels[c]];
		if (ipa_range_overlaps(
			    r, ipa_range(o->end[config_channel_side(o, part->id)].ipa, o->size))) {
			bh_snprintf(what, n, "is where %s has channel %s", part->name, o->path);
			return true;
		}
	}
	return false;
}

/* `vuart = <IPA>` and `vuart-interrupt = <SPI>`: an emulated PL011 for the partition. */
int config_parse_vuart(struct parser *p, int node, unsigned index)
{
	struct config_partition *part = &p->cfg->partitions[index];
	ipaddr_t ipa = ipa_init(0);
	int len;
	const fdt32_t *irq = fdt_getprop(p->fdt, node, "vuart-interrupt", &len);
	int rc = config_get_ipa(p, node, "vuart", &ipa);

	if (rc == BH_ENOENT) {
		return irq == NULL ? BH_OK
				   : fail(p, node, BH_EINVAL, "vuart-interrupt: without 'vuart'");
	}
	if (rc != BH_OK) {
		return rc;
	}
	if (!IS_ALIGNED(ipa_addr(ipa), MEM_GRANULE)) {
		return fail(p, node, BH_EINVAL, "vuart: IPA 0x%lx is not 4 KiB aligned",
			    ipa_addr(ipa));
	}
	rc = config_check_ipa(p, node, "vuart", ipa_range(ipa, VUART_SIZE));
	if (rc != BH_OK) {
		return rc;
	}
	char what[128];
	if (config_ipa_in_use(p, part, ipa_range(ipa, VUART_SIZE), false, what, sizeof(what))) {
		return fail(p, node, BH_ERANGE, "vuart (IPA 0x%lx) %s", ipa_addr(ipa), what);
	}
	uint64_t spi = VUART_SPI;
	unsigned intid;
	if (irq != NULL && len != 4) {
		return fail(p, node, BH_EINVAL,
			    "vuart-interrupt: %d bytes, expected one cell (an SPI number)", len);
	}
	spi = irq != NULL ? fdt32_ld(irq) : spi;
	rc = config_check_spi(p, node, "vuart-interrupt", spi, &intid);
	if (rc != BH_OK) {
		return rc;
	}
	for (unsigned k = 0; k < part->device_count; k++) {
		const struct config_device *d = &part->devices[k];
		char path[96];
		dt_node_path(p->fdt, d->node, path, sizeof(path));
		for (unsigned q = 0; q < d->spi_count; q++) {
			if (d->spi[q] == intid) {
				return fail(p, node, BH_EEXIST,
					    "vuart-interrupt: SPI %u is device %s's", intid - 32,
					    path);
			}
		}
	}
	part->has_vuart = true;
	part->vuart_ipa = ipa;
	part->vuart_irq = intid;
	return BH_OK;
}

/*
 * A root partition with `other-devices` also gets every board device no
 * partition has: each available node with `reg` on the root bus or a
 * simple-bus, except the system nodes, the GIC, the hypervisor's console,
 * devices that can master DMA or control what others share, and any whose
 * pages or interrupts the hypervisor keeps (read_device refuses those).
 */
int config_claim_the_rest(struct parser *p, unsigned root)
{
	struct config_partition *part = &p->cfg->partitions[root];
	int node = 0; /* the root node: its children are at depth 1 */
	int depth = 0;

	while ((node = fdt_next_node(p->fdt, node, &depth)) >= 0 && depth > 0) {
		char path[96];
		char why[160];
		int parent = fdt_parent_offset(p->fdt, node);
		if (fdt_getprop(p->fdt, node, "reg", NULL) == NULL ||
		    (depth > 1 && !dt_compatible(p->fdt, parent, "simple-bus"))) {
			continue;
		}
		dt_node_path(p->fdt, node, path, sizeof(path));
		if (!dt_node_available(p->fdt, node) || not_a_device(p, node, path) != NULL ||
		    config_device_risk(p->fdt, node) != NULL) {
			continue; /* never taken implicitly: list it in 'trusted-devices' */
		}
		struct config_device d;
		if (read_device(p, p->partition_node[root], node, "devices", path, &d) != BH_OK) {
			/* Not something we can map (RAM, odd interrupts...): not a device to take.
			 */
			p->err->msg[0] = '\0';
			continue;
		}
		if (device_conflict(p, &d, p->cfg->partition_count, part, why, sizeof(why)) ||
		    risky_neighbour(p, &d) >= 0) {
			continue; /* a child's, or sharing a page with one or with a risky device */
		}
		if (part->device_count == BH_MAX_DEVICES) {
			return fail(p, p->partition_node[root], BH_ENOMEM,
				    "other-devices: more than %d devices (from %s on): list them "
				    "with 'devices'",
				    BH_MAX_DEVICES, path);
		}
		part->devices[part->device_count++] = d;
	}
	return BH_OK;
}
