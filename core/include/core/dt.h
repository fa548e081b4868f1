/* SPDX-License-Identifier: MIT */
/*
 * What the hypervisor learns about the board from its device tree: RAM,
 * reserved memory, CPUs and how to start them, the console UART, the GIC.
 * Built on libfdt; no hardware access, so host unit tests run it on real
 * device trees (QEMU's generated ones, Debian's bcm2711-rpi-4-b.dtb).
 */
#ifndef CORE_DT_H
#define CORE_DT_H

#include <core/types.h>

#ifndef DT_MAX_CPUS
#define DT_MAX_CPUS CONFIG_MAX_CPUS
#endif
#define DT_MAX_MEM	8
#define DT_MAX_RESERVED 16

/* arm64 booting.rst: a device tree is at most 2 MiB (the hypervisor's and a partition's). */
#define DTB_MAX_SIZE (2UL << 20)

/* A range in the address space the tree describes: the board's are physical. */
struct dt_range {
	uint64_t base;
	uint64_t size;
};

/* A range of the board's own tree, as the physical range it is. */
static inline struct pa_range dt_pa_range(struct dt_range r)
{
	return pa_range(pa_init(r.base), r.size);
}

enum dt_cpu_enable {
	DT_CPU_ENABLE_NONE,	  /* no method we know: the CPU stays off */
	DT_CPU_ENABLE_PSCI,	  /* PSCI CPU_ON */
	DT_CPU_ENABLE_SPIN_TABLE, /* write the entry to cpu-release-addr, sev */
};

struct dt_cpu {
	uint64_t mpidr;
	enum dt_cpu_enable enable;
	uint64_t release_addr; /* spin-table only */
};

enum dt_psci_conduit {
	DT_PSCI_NONE,
	DT_PSCI_SMC,
	DT_PSCI_HVC,
};

enum dt_uart_kind {
	DT_UART_NONE,
	DT_UART_PL011,
};

struct dt_uart {
	enum dt_uart_kind kind;
	struct dt_range reg;
	char path[96];
	bool from_stdout_path; /* false: picked as the first PL011 */
	unsigned irq;	       /* GIC INTID of its interrupt (an SPI), 0 if none */
};

/* GIC frames whose size the architecture fixes (the tree may say less). */
#define GIC_DIST_SIZE	 0x10000 /* GICD: 64 KiB (IHI 0069 12.1.2; the vGIC traps as much on v2) */
#define GICV2_CPUIF_SIZE 0x2000	 /* GICC and GICV: two 4 KiB pages (IHI 0048B 4.3, 5.5) */

struct dt_gic {
	unsigned version;	/* 0 (none found), 2 or 3 */
	struct dt_range dist;	/* GICD */
	struct dt_range redist; /* GICv3: first GICR region */
	struct dt_range cpu;	/* GICv2: GICC */
	struct dt_range hyp;	/* GICv2: GICH */
	struct dt_range vcpu;	/* GICv2: GICV */
	uint32_t maint_irq;	/* PPI number of the maintenance interrupt, 0 if unknown */
	char compatible[32];
};

struct dt_board {
	char model[64];
	struct dt_range mem[DT_MAX_MEM];
	unsigned mem_count;
	struct dt_range reserved[DT_MAX_RESERVED];
	unsigned reserved_count;
	struct dt_cpu cpus[DT_MAX_CPUS];
	unsigned cpu_count;
	unsigned cpus_skipped; /* listed beyond DT_MAX_CPUS */
	enum dt_psci_conduit psci;
	struct dt_uart uart;
	struct dt_gic gic;
	char bootargs[256];
};

/* What went wrong and where: node path and property, ready to print. */
struct dt_error {
	char msg[320];
};

/* Checks the blob's structure (header, tags, strings) before anything reads it. */
int dt_check_blob(const void *fdt, size_t max_size, struct dt_error *err);

/* Fills *board from a checked blob. Returns BH_OK or an error described in *err. */
int dt_parse_board(const void *fdt, struct dt_board *board, struct dt_error *err);

/*
 * Entry `index` of a node's reg property, translated through every parent
 * bus's `ranges` to a CPU physical address.
 */
int dt_node_reg(const void *fdt, int node, int index, struct dt_range *out, struct dt_error *err);

/*
 * Translates a range of `node`'s parent bus (size 0: the address alone) to
 * a CPU physical address; the whole range must lie in one `ranges` window.
 */
int dt_translate(const void *fdt, int node, uint64_t addr, uint64_t size, uint64_t *out,
		 struct dt_error *err);

/* The node `stdout-path` in /chosen names (alias or path, options cut off). */
int dt_stdout_node(const void *fdt);

/* Index in board->cpus of the CPU with this MPIDR, or -1. */
int dt_cpu_index(const struct dt_board *board, uint64_t mpidr);

/* Value of "key=value" in a bootargs string, copied into out; false if absent. */
bool dt_bootarg(const char *bootargs, const char *key, char *out, size_t out_size);

#endif
