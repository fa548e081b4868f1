/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the configuration parser share: core/config.c (the
 * system node, partitions, images, whole-system checks), config_devices.c
 * (devices, the vuart, a partition's IPA map) and config_vmbus.c (channels).
 */
#ifndef CORE_CONFIG_INTERNAL_H
#define CORE_CONFIG_INTERNAL_H

#include <core/config.h>
#include <core/fdt_util.h>
#include <core/printf.h>

#define MEM_GRANULE KiB(4)

struct parser {
	const void *fdt;
	const struct dt_board *board;
	struct config_limits lim;
	struct config *cfg;
	struct dt_error *err;
	int system;  /* offset of /bulkhead */
	int gic;     /* offset of the board's GIC node, or a negative libfdt error */
	int cpus;    /* offset of /cpus, or a negative libfdt error */
	int cpus_ac; /* /cpus #address-cells: the cells of a CPU's MPIDR */
	int ac;	     /* /bulkhead #address-cells: addresses in memory, reg, load, entry */
	int sc;	     /* /bulkhead #size-cells: sizes in memory and reg */
	int root;    /* index (tree order) of the root partition, -1 until found */
	int partition_node[BH_MAX_PARTITIONS];
	int image_node[BH_MAX_PARTITIONS][BH_MAX_IMAGES];
};

/* Sets the error message to "<path of node>: <fmt...>" and returns rc. */
#define fail(p, node, rc, ...) dt_fail((p)->err, (p)->fdt, (node), (rc), __VA_ARGS__)

/* A kind of node in /bulkhead, for config_check_node(). */
struct node_kind {
	const char *name; /* "partition": in the message about a bad name; NULL: any name */
	const char *has;  /* "a partition": in the message about an unknown property */
	const char *compatible;
	const char *const *props; /* NULL-terminated; phandle and linux,phandle go without saying */
};

/*
 * Checks the node's name (1 to BH_NAME_MAX - 1 characters from [a-z0-9_-],
 * copied into name, *unit pointing at the unit address or ""), its
 * compatible and that it has no property the kind does not know.
 */
int config_check_node(struct parser *p, int node, const struct node_kind *kind, char *name,
		      const char **unit);

/* A name up to '@' or the end, 1 to BH_NAME_MAX - 1 characters from [a-z0-9_-]: its length. */
bool config_valid_name(const char *name, size_t *len);

/* A string property (see dt_get_string); BH_EINVAL sets the message. */
int config_get_string(struct parser *p, int node, const char *name, const char **out, size_t *len);

/* A property of exactly `cells` cells (1 or 2) holding one number; BH_ENOENT if absent. */
int config_get_number(struct parser *p, int node, const char *name, int cells, uint64_t *out);

/* An IPA: a number of /bulkhead's #address-cells. *out is only set on BH_OK. */
int config_get_ipa(struct parser *p, int node, const char *name, ipaddr_t *out);

/* `what` (PA range r) lies in one RAM range of the board. */
int config_check_ram(struct parser *p, int node, const char *what, struct pa_range r);

/* `what` (PA range r) touches neither the hypervisor nor reserved memory. */
int config_check_fixed(struct parser *p, int node, const char *what, struct pa_range r);

/* Every one of them, for config_check_claims(). */
#define CONFIG_ALL (~0U)

/*
 * `what` (PA range r) touches neither the hypervisor nor reserved memory
 * (config_check_fixed), nor any of the first `mems` memory regions of the
 * partitions, the first `images` images' boot-loader copies or the first
 * `channels` channels' regions (in their order in struct config).
 */
int config_check_claims(struct parser *p, int node, const char *what, struct pa_range r,
			unsigned mems, unsigned images, unsigned channels);

/* `what` (IPA range r) lies in the IPA space stage 2 translates (lim.ipa_bits). */
int config_check_ipa(struct parser *p, int node, const char *what, struct ipa_range r);

/* SPI `spi` of `what` exists in the GIC (lim.gic_lines): its INTID in *intid. */
int config_check_spi(struct parser *p, int node, const char *what, uint64_t spi, unsigned *intid);

/*
 * What in `part`'s guest-physical map r lands on: its memory, the virtual
 * GIC, its vuart, a device's pages or a channel. Writes the phrase for the
 * error ("is in memory[0]", "is where device /pl031@9010000 is") into `what`,
 * naming the partition when `whose` (a channel's message is about one of its
 * two sides); false if the range is free.
 */
bool config_ipa_in_use(const struct parser *p, const struct config_partition *part,
		       struct ipa_range r, bool whose, char *what, size_t n);

/* `devices`, `vuart` and `vuart-interrupt` of the partition being read. */
int config_parse_devices(struct parser *p, int node, unsigned index);
int config_parse_vuart(struct parser *p, int node, unsigned index);

/* The root partition with `other-devices` takes every safe device no partition has. */
int config_claim_the_rest(struct parser *p, unsigned root);

/* `/bulkhead/vmbus`: the channels, read once the partitions are known. */
int config_parse_channels(struct parser *p, int vmbus);

#endif
