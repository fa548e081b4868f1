/* SPDX-License-Identifier: MIT */
/*
 * The system configuration: partitions declared under /bulkhead in the
 * system device tree (binding: docs/binding.md), parsed and validated into
 * plain structs. The same code runs in the hypervisor and in the host tool
 * `bhconfig`, so a configuration the tool accepts is one the hypervisor boots.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <core/dt.h>

#ifndef CONFIG_MAX_PARTITIONS
#define CONFIG_MAX_PARTITIONS 8
#endif

#define BH_MAX_PARTITIONS  CONFIG_MAX_PARTITIONS
#define BH_MAX_MEM_REGIONS 8 /* per partition */
#define BH_MAX_IMAGES	   4 /* per partition */
#define BH_NAME_MAX	   16
#define BH_BOOTARGS_MAX	   256
#define BH_MAX_DEVICES	   64 /* per partition */
#define BH_MAX_DEVICE_REGS 2
#define BH_MAX_DEVICE_SPIS 8
#define BH_MAX_CHANNELS	   16 /* VMBus channels in the system */

enum config_image_format {
	IMAGE_RAW,   /* flat binary, entered at `entry` (default: its load IPA) */
	IMAGE_LINUX, /* arm64 Image: placed per its header, x0 = partition DTB */
	IMAGE_DTB,   /* the partition's device tree: its load IPA is x0 at entry */
};

/* An arm64 Linux Image's header (Documentation/arch/arm64/booting.rst): "ARM\x64" at byte 56. */
#define LINUX_IMAGE_MAGIC_OFFSET 56
#define LINUX_IMAGE_MAGIC	 0x644d5241U /* little endian */

struct config_mem {
	ipaddr_t ipa;
	paddr_t pa;
	uint64_t size;
};

struct config_image {
	char name[BH_NAME_MAX]; /* node name without unit address, e.g. "kernel" */
	enum config_image_format format;
	paddr_t src_pa; /* where the boot loader put it: the pristine copy */
	uint64_t size;
	ipaddr_t load_ipa;  /* where it is copied in the partition */
	ipaddr_t entry_ipa; /* raw: `entry`, or load_ipa without one; linux: load_ipa */
	bool has_entry;	    /* the node has an `entry` property */
};

#define VUART_SIZE 0x1000 /* the emulated PL011 (`vuart`): one 4 KiB page */

/* A board device given to a partition: its MMIO pages and SPIs (docs/binding.md). */
struct config_device {
	int node;				 /* offset of the board's node in the system tree */
	struct pa_range reg[BH_MAX_DEVICE_REGS]; /* mapped at IPA = PA */
	unsigned reg_count;
	uint16_t spi[BH_MAX_DEVICE_SPIS]; /* GIC INTIDs */
	unsigned spi_count;
};

struct config_partition {
	char name[BH_NAME_MAX];
	unsigned id; /* index in config.partitions, 0 is the root */
	bool is_root;
	uint64_t cpu_mask; /* bit i: logical CPU i (board->cpus[i]) */
	unsigned cpu_count;
	struct config_mem mem[BH_MAX_MEM_REGIONS];
	unsigned mem_count;
	struct config_image images[BH_MAX_IMAGES];
	unsigned image_count; /* at least 1 */
	/*
	 * Index in images[] of the image the partition boots (docs/binding.md):
	 * the one with format "linux" or an `entry` (at most one has either),
	 * else the one named "kernel", else images[0].
	 */
	unsigned entry_image;
	bool has_dtb;	    /* an image has format "dtb" (at most one does) */
	unsigned dtb_image; /* its index in images[], if has_dtb */
	char bootargs[BH_BOOTARGS_MAX];
	bool fault_inject;  /* on-fault = "inject": a stage-2 abort becomes an external abort */
	char path[64];	    /* node path, for messages */
	bool has_vuart;	    /* an emulated PL011 (`vuart`) */
	ipaddr_t vuart_ipa; /* its 4 KiB page */
	unsigned vuart_irq; /* its interrupt: a virtual SPI (INTID) */
	struct config_device devices[BH_MAX_DEVICES];
	unsigned device_count;
	bool other_devices; /* the root's `other-devices`: it takes the safe rest too */
	uint8_t channels[BH_MAX_CHANNELS]; /* its VMBus channels (config.channels indices) */
	unsigned channel_count;
};

/*
 * A VMBus channel (docs/vmbus.md): two rings in one shared region of RAM,
 * mapped into exactly two partitions. The ring the provider sends on comes
 * first, at the region's start; the consumer's follows it.
 */
enum config_channel_side {
	SIDE_PROVIDER = 0, /* the VSP's side */
	SIDE_CONSUMER = 1, /* the VSC's side */
};

struct config_channel_end {
	unsigned partition; /* id (index in config.partitions) */
	ipaddr_t ipa;	    /* where the region is in that partition */
	unsigned irq;	    /* its doorbell: a virtual SPI (INTID) */
	unsigned index;	    /* the channel's number in that partition's list (hypercalls) */
};

struct config_channel {
	char name[BH_NAME_MAX];
	char interface[BH_NAME_MAX]; /* what it serves: `interface`, or the name */
	char path[64];		     /* node path, for messages */
	paddr_t pa;
	uint64_t size;	       /* the region: ring_size[0] + ring_size[1] */
	uint64_t ring_size[2]; /* bytes, header page included; [role] is the ring role sends on */
	struct config_channel_end end[2]; /* [SIDE_PROVIDER], [SIDE_CONSUMER] */
};

/* Is this child of /bulkhead the `vmbus` node (the channels), not a partition? */
bool config_is_vmbus_node(const void *fdt, int node);

/* Which end of ch partition `id` is (it must be one of the two). */
static inline unsigned config_channel_side(const struct config_channel *ch, unsigned id)
{
	return ch->end[SIDE_PROVIDER].partition == id ? SIDE_PROVIDER : SIDE_CONSUMER;
}

struct config {
	struct config_partition partitions[BH_MAX_PARTITIONS];
	unsigned partition_count;
	struct config_channel channels[BH_MAX_CHANNELS];
	unsigned channel_count;
};

/*
 * What the running hypervisor knows that the tree does not say; bhconfig
 * takes them from options and per-board defaults (docs/configuration.md).
 */
struct config_limits {
	struct pa_range hyp; /* the hypervisor's own footprint, size 0 if unknown */
	unsigned ipa_bits;   /* stage 2's input size (32-48): every IPA is below 2^ipa_bits */
	unsigned gic_lines;  /* INTIDs the GIC implements (GICD_TYPER): every SPI is below */
};

/*
 * Reads /bulkhead and checks it against the board (RAM, reserved ranges,
 * CPUs, GIC, console) and the limits `lim`.
 * Returns BH_OK, or BH_ENOENT when there is no /bulkhead node, or another
 * error with *err naming the node path and property.
 * The root partition is stored first (id 0); the others keep tree order.
 * On error, *cfg holds nothing usable. CPUs are found by MPIDR in board->cpus,
 * so the caller may reorder that list (boot CPU first) beforehand.
 */
int config_parse(const void *fdt, const struct dt_board *board, struct config_limits lim,
		 struct config *cfg, struct dt_error *err);

/*
 * Translates an IPA range of partition p to a PA; false if the range is not
 * inside one memory region. size 0 asks about the single address ipa.
 */
bool config_ipa_to_pa(const struct config_partition *p, ipaddr_t ipa, uint64_t size, paddr_t *pa);

/* The pages a device register range touches: stage 2 maps devices in whole pages. */
static inline struct pa_range config_device_pages(struct pa_range r)
{
	uint64_t base = ALIGN_DOWN(pa_addr(r.base), PAGE_SIZE);
	return pa_range(pa_init(base), ALIGN_UP(pa_addr(r.base) + r.size, PAGE_SIZE) - base);
}

/*
 * Why a board device may only be given with `trusted-devices`, or NULL: it
 * can master DMA (with no SMMU, all memory) or controls what other devices
 * share (clocks, resets, power, pins, interrupts, firmware mailboxes). The
 * tree has no "bus master" flag: this goes by DMA and IOMMU properties,
 * provider properties and generic node names (docs/binding.md, "Devices").
 */
const char *config_device_risk(const void *fdt, int node);

/* A device's interrupts as "34,35" ("none" without any), for messages and tables. */
void config_device_irq_list(const struct config_device *d, char *buf, size_t size);

/* "raw", "linux" or "dtb": the binding's name of a format. */
const char *config_image_format_name(enum config_image_format format);

#endif
