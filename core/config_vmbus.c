// SPDX-License-Identifier: MIT
/*
 * VMBus channels (docs/vmbus.md, "Declaring channels"): the children of
 * /bulkhead/vmbus, each a shared region of RAM between two partitions, read
 * once the partitions, their memory and their devices are known.
 */
#include "config_internal.h"

#define RING_MIN_SIZE KiB(8) /* a header page and a page of data */

static const char *const vmbus_props[] = {"compatible", NULL};
static const char *const channel_props[] = {
	"compatible", "interface",    "provider",     "consumer",	    "reg",
	"ring-sizes", "provider-ipa", "consumer-ipa", "provider-interrupt", "consumer-interrupt",
	NULL};
static const struct node_kind vmbus_kind = {NULL, "vmbus", "bulkhead,vmbus-v1", vmbus_props};
static const struct node_kind channel_kind = {"channel", "a channel", "bulkhead,channel-v1",
					      channel_props};
static const char *const end_name[2] = {"provider", "consumer"};

bool config_is_vmbus_node(const void *fdt, int node)
{
	const char *name = fdt_get_name(fdt, node, NULL);
	return name != NULL && strcmp(name, "vmbus") == 0;
}

/* `provider = "root"`: the partition id of a channel's end. */
static int channel_partition(struct parser *p, int node, unsigned role, unsigned *id)
{
	const char *name = "";
	size_t len = 0;
	int rc = config_get_string(p, node, end_name[role], &name, &len);
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

/* `<role>-interrupt = <SPI>`: a virtual SPI that is free in the partition. */
static int channel_irq(struct parser *p, int node, const struct config_partition *part,
		       unsigned role, unsigned *irq)
{
	char prop[24];
	uint64_t spi = 0;
	bh_snprintf(prop, sizeof(prop), "%s-interrupt", end_name[role]);
	int rc = config_get_number(p, node, prop, 1, &spi);
	if (rc == BH_ENOENT) {
		return fail(p, node, BH_EINVAL, "missing '%s' (the doorbell SPI %s receives)", prop,
			    part->name);
	}
	if (rc != BH_OK) {
		return rc;
	}
	unsigned intid;
	rc = config_check_spi(p, node, prop, spi, &intid);
	if (rc != BH_OK) {
		return rc;
	}
	if (part->has_vuart && part->vuart_irq == intid) {
		return fail(p, node, BH_EEXIST, "%s: SPI %u is %s's vuart interrupt", prop,
			    intid - 32, part->name);
	}
	for (unsigned k = 0; k < part->device_count; k++) {
		for (unsigned q = 0; q < part->devices[k].spi_count; q++) {
			if (part->devices[k].spi[q] == intid) {
				char path[96];
				dt_node_path(p->fdt, part->devices[k].node, path, sizeof(path));
				return fail(p, node, BH_EEXIST, "%s: SPI %u is %s's device %s",
					    prop, intid - 32, part->name, path);
			}
		}
	}
	for (unsigned c = 0; c < part->channel_count; c++) {
		const struct config_channel *o = &p->cfg->channels[part->channels[c]];
		if (o->end[config_channel_side(o, part->id)].irq == intid) {
			return fail(p, node, BH_EEXIST,
				    "%s: SPI %u is %s's doorbell for channel %s", prop, intid - 32,
				    part->name, o->path);
		}
	}
	*irq = intid;
	return BH_OK;
}

/* The shared region: `reg = <PA size>` and `ring-sizes = <provider's consumer's>`. */
static int channel_region(struct parser *p, int node, struct config_channel *ch)
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
	ch->pa = pa_init(dt_read_cells(v, p->ac));
	ch->size = dt_read_cells(v + p->ac, p->sc);
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
		ch->ring_size[i] = dt_read_cells(r + (size_t)i * (size_t)p->sc, p->sc);
		if (ch->ring_size[i] < RING_MIN_SIZE || ch->ring_size[i] > GiB(1) ||
		    !IS_ALIGNED(ch->ring_size[i], MEM_GRANULE)) {
			return fail(p, node, BH_EINVAL,
				    "ring-sizes[%u]: 0x%lx is not a multiple of 4 KiB from 8 KiB "
				    "to 1 GiB",
				    i, ch->ring_size[i]);
		}
	}
	uint64_t pa = pa_addr(ch->pa), size = ch->size; /* for messages */
	if (!IS_ALIGNED(pa_addr(ch->pa), MEM_GRANULE)) {
		return fail(p, node, BH_EINVAL, "reg: PA 0x%lx is not 4 KiB aligned", pa);
	}
	uint64_t rings = ch->ring_size[0] + ch->ring_size[1];
	if (ch->size != rings) {
		return fail(p, node, BH_EINVAL,
			    "reg: size 0x%lx is not the two ring-sizes together (0x%lx)", size,
			    rings);
	}
	struct pa_range region = pa_range(ch->pa, ch->size);
	int rc = config_check_ram(p, node, "reg", region);
	if (rc == BH_OK) {
		rc = config_check_claims(p, node, "reg", region, CONFIG_ALL, CONFIG_ALL,
					 p->cfg->channel_count);
	}
	return rc;
}

/* One end of a channel: where the region is in the partition, and its doorbell. */
static int channel_end(struct parser *p, int node, struct config_channel *ch, unsigned side)
{
	struct config_channel_end *e = &ch->end[side];
	const struct config_partition *part = &p->cfg->partitions[e->partition];
	char prop[24];
	bh_snprintf(prop, sizeof(prop), "%s-ipa", end_name[side]);
	int rc = config_get_ipa(p, node, prop, &e->ipa);
	if (rc == BH_ENOENT) {
		e->ipa = ipa_init(
			pa_addr(ch->pa)); /* by default the partition sees it where it is */
	} else if (rc != BH_OK) {
		return rc;
	} else if (!IS_ALIGNED(ipa_addr(e->ipa), MEM_GRANULE) ||
		   range_wraps(ipa_addr(e->ipa), ch->size)) {
		return fail(p, node, BH_EINVAL, "%s: IPA 0x%lx is not 4 KiB aligned", prop,
			    ipa_addr(e->ipa));
	}
	rc = config_check_ipa(p, node, prop, ipa_range(e->ipa, ch->size));
	if (rc != BH_OK) {
		return rc;
	}
	/* Free in the partition: no memory, GIC, device, vuart or channel there. */
	char what[160];
	if (config_ipa_in_use(p, part, ipa_range(e->ipa, ch->size), true, what, sizeof(what))) {
		return fail(p, node, BH_ERANGE, "%s (IPA 0x%lx+0x%lx) %s", prop, ipa_addr(e->ipa),
			    ch->size, what);
	}
	return channel_irq(p, node, part, side, &e->irq);
}

static int parse_channel(struct parser *p, int node)
{
	struct config *cfg = p->cfg;
	struct config_channel *ch = &cfg->channels[cfg->channel_count];
	const char *unit = "";
	int rc = config_check_node(p, node, &channel_kind, ch->name, &unit);
	if (rc != BH_OK) {
		return rc;
	}
	dt_node_path(p->fdt, node, ch->path, sizeof(ch->path));
	for (unsigned c = 0; c < cfg->channel_count; c++) {
		if (strcmp(cfg->channels[c].name, ch->name) == 0) {
			return fail(p, node, BH_EEXIST, "channel name '%s' is used twice",
				    ch->name);
		}
	}
	const char *iface = ch->name; /* by default, the channel's name */
	size_t iface_len = 0;
	rc = config_get_string(p, node, "interface", &iface, &iface_len);
	if (rc == BH_EINVAL) {
		return rc;
	}
	if (!config_valid_name(iface, &iface_len) || iface[iface_len] != '\0') {
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
	for (unsigned side = 0; rc == BH_OK && side < 2; side++) {
		rc = channel_end(p, node, ch, side);
	}
	if (rc != BH_OK) {
		return rc;
	}
	for (unsigned side = 0; side < 2; side++) {
		struct config_partition *part = &cfg->partitions[ch->end[side].partition];
		ch->end[side].index = part->channel_count;
		part->channels[part->channel_count++] = (uint8_t)cfg->channel_count;
	}
	cfg->channel_count++;
	return BH_OK;
}

int config_parse_channels(struct parser *p, int vmbus)
{
	int rc = config_check_node(p, vmbus, &vmbus_kind, NULL, NULL);
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
