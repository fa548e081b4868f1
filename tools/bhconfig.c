// SPDX-License-Identifier: MIT
/*
 * bhconfig: checks and shows a Bulkhead system device tree on the host, with
 * the hypervisor's own parser (core/config.c) and board reader (core/dt.c),
 * then checks what only the root's management service reads: the children's
 * crash policy (tools/policy.c).
 *
 *   bhconfig [options] check FILE     "ok: N partitions", or the error; exit 0 or 1
 *   bhconfig [options] show FILE [--svg OUT]  the partition map as tables (and a picture,
 *                                    tools/svg.c)
 *   bhconfig [options] dtb FILE -o OUT  check, then write the compiled tree to OUT
 *   bhconfig [options] layout FILE -o DIR  place the images named by `file`, generate the
 *                                    partitions' device trees (tools/layout.c)
 *   bhconfig explain PROPERTY        the binding's text for it (tools/explain.c)
 *   bhconfig new --board B [-o OUT]  a commented starting system (tools/new.c)
 *
 * FILE is a .dtb, or device-tree source compiled with dtc (-i BOARDS_DIR, so
 * `/include/ "qemu-virt/qemu-virt-gicv3.dtsi"` works from anywhere).
 * Options:
 *   --hyp BASE:SIZE        the hypervisor's footprint (default 0x40200000:4M, QEMU -kernel)
 *   --reserve BASE:SIZE    also treat this range as reserved (repeatable; e.g. the DTB)
 *   --max-partitions N     CONFIG_MAX_PARTITIONS of the hypervisor build (default 4)
 *   --pa-bits N            the CPU's physical address size (default: known per CPU, else 48)
 *   --gic-lines N          the GIC's interrupt lines (default: known per board, else 1020)
 *   -i DIR                 another include directory for dtc (repeatable)
 *   --images BASE          where the first placed image goes (default: the lowest free RAM
 *                          that takes them all)
 *   --explain              after an error, the documentation of the property it names
 * Numbers take 0x and a K, M or G suffix. Exit status: 0 fine, 1 the file is
 * not a valid system, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <core/config.h>
#include <core/fdt_util.h>

#include "explain.h"
#include "layout.h"
#include "new.h"
#include "policy.h"
#include "source.h"
#include "svg.h"

#ifndef BH_BOARDS_DIR
#define BH_BOARDS_DIR "boards"
#endif
#define DEFAULT_HYP_BASE       0x40200000ULL
#define DEFAULT_HYP_SIZE       MiB(4)
#define DEFAULT_MAX_PARTITIONS 4 /* Kconfig's default for CONFIG_MAX_PARTITIONS */
#define MAX_INCLUDES	       16
#define MAX_FILE_SIZE	       (16u << 20)

/* dtc checks that the binding trips on purpose (docs/binding.md, "dtc"). */
static const char *const dtc_quiet[] = {
	"-W", "no-unit_address_vs_reg",	    "-W", "no-reg_format",
	"-W", "no-avoid_default_addr_size", "-W", "no-avoid_unnecessary_addr_size",
};

struct options {
	struct pa_range hyp;
	struct dt_range reserve[DT_MAX_RESERVED];
	unsigned reserve_count;
	unsigned max_partitions;
	unsigned pa_bits;   /* 0: from the board */
	unsigned gic_lines; /* 0: from the board */
	const char *includes[MAX_INCLUDES];
	unsigned include_count;
	const char *output;
	uint64_t image_base;
	bool explain;	   /* --explain: an error is followed by its property's documentation */
	const char *board; /* new --board */
	const char *svg;   /* show --svg: where the picture goes */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bhconfig [options] COMMAND ...\n"
		"commands:\n"
		"  check FILE              check a system; \"ok: ...\" or the error (exit 0 or 1)\n"
		"  show FILE [--svg OUT]   check, then print the partition map (and draw it)\n"
		"  dtb FILE -o OUT.dtb     check, then write the compiled tree\n"
		"  layout FILE -o DIR      place the images named by `file`, generate the\n"
		"                          partitions' trees, write DIR/system.dtb, qemu.args,\n"
		"                          boot.cmd (--reserve: where the loader puts the tree)\n"
		"  explain PROPERTY        the binding's text for a property, with an example\n"
		"  new --board B [-o OUT]  a commented starting system for B (qemu-virt, rpi4)\n"
		"FILE: a .dtb, or device-tree source (compiled with dtc; errors then say\n"
		"file:line). Images that name a `file` are placed as layout places them.\n"
		"options:\n"
		"  --hyp BASE:SIZE       hypervisor footprint (default 0x40200000:4M, QEMU "
		"-kernel;\n"
		"                        the hypervisor re-checks with its real one at boot)\n"
		"  --reserve BASE:SIZE   treat a range as reserved too (repeatable)\n"
		"  --max-partitions N    the hypervisor's CONFIG_MAX_PARTITIONS (default %d)\n"
		"  --pa-bits N           the CPU's physical address bits (32-52; default: known\n"
		"                        per CPU compatible, else 48)\n"
		"  --gic-lines N         the GIC's interrupt lines (GICD_TYPER; default: known "
		"per\n"
		"                        board, else 1020)\n"
		"  -i DIR                include directory for dtc (repeatable; the source tree's\n"
		"                        boards/ is always searched)\n"
		"  --images BASE         where the first placed image goes (default: the lowest\n"
		"                        free RAM that takes them all)\n"
		"  --explain             after an error, the text of the property it names\n"
		"  -o OUT                output of dtb (a file), layout (a folder), new (a file)\n"
		"  -h, --help            this text\n"
		"exit status: 0 fine, 1 the system is not valid (or a file could not be\n"
		"written), 2 usage. docs/binding.md has the details.\n",
		DEFAULT_MAX_PARTITIONS);
}

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void error(const char *fmt, ...)
{
	va_list ap;
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* "0x1000", "4M", "2G": false if not a number. */
static bool parse_number(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || s[0] == '-') {
		return false;
	}
	unsigned shift = 0;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return false;
	}
	if (shift != 0 && (end[1] != '\0' || v > (UINT64_MAX >> shift))) {
		return false;
	}
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_range(const char *s, uint64_t *base, uint64_t *size)
{
	char buf[64];
	const char *colon = strchr(s, ':');
	if (colon == NULL || (size_t)(colon - s) >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = '\0';
	return parse_number(buf, base) && parse_number(colon + 1, size) && *size != 0 &&
	       *size <= UINT64_MAX - *base; /* the end must be a number too */
}

/* ---------------------------------------------------------------- loading */

static char *read_all(int fd, size_t *size)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		if (n == cap) {
			if (cap >= MAX_FILE_SIZE) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			char *bigger = realloc(buf, cap * 2);
			if (bigger == NULL) {
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got == 0) {
			*size = n;
			return buf;
		}
		if (got < 0 && errno != EINTR) {
			break;
		}
		n += got > 0 ? (size_t)got : 0;
	}
	free(buf);
	return NULL;
}

/*
 * Compiles source with dtc: a blob, or with `annotated` the tree as source with each node's and
 * property's position (-T -T), NUL-terminated. In malloc'd memory, or NULL (dtc said why).
 */
static char *run_dtc(const char *path, const struct options *opt, bool annotated, size_t *size)
{
	const char *argv[64];
	size_t n = 0;
	const char *dtc = getenv("DTC") != NULL ? getenv("DTC") : "dtc";

	argv[n++] = dtc;
	argv[n++] = "-I";
	argv[n++] = "dts";
	argv[n++] = "-O";
	argv[n++] = annotated ? "dts" : "dtb";
	if (annotated) {
		argv[n++] = "-T";
		argv[n++] = "-T";
	}
	for (size_t i = 0; i < sizeof(dtc_quiet) / sizeof(dtc_quiet[0]); i++) {
		argv[n++] = dtc_quiet[i];
	}
	for (unsigned i = 0; i < opt->include_count; i++) {
		argv[n++] = "-i";
		argv[n++] = opt->includes[i];
	}
	argv[n++] = "-i";
	argv[n++] = BH_BOARDS_DIR;
	argv[n++] = "-o";
	argv[n++] = "-";
	argv[n++] = path;
	argv[n] = NULL;

	int fds[2];
	if (pipe(fds) != 0) {
		error("pipe: %s", strerror(errno));
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		error("fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		int quiet = annotated ? open("/dev/null", O_WRONLY) : -1;
		if (quiet >= 0) {
			dup2(quiet, STDERR_FILENO); /* its warnings were shown with the blob */
		}
		close(fds[0]);
		close(fds[1]);
		execvp(dtc, (char *const *)argv);
		fprintf(stderr, "error: cannot run %s: %s\n", dtc, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	char *blob = read_all(fds[0], size);
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			error("waitpid: %s", strerror(errno));
			free(blob);
			return NULL;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 127) {
			error("%s: dtc failed", path);
		}
		free(blob);
		return NULL;
	}
	if (blob == NULL) {
		error("%s: reading dtc's output: %s", path, strerror(errno));
	} else if (annotated) {
		char *text = realloc(blob, *size + 1);
		if (text == NULL) {
			free(blob);
			return NULL;
		}
		text[*size] = '\0';
		blob = text;
	}
	return blob;
}

/* The file as a blob: read as is if it is one, else compiled (*source set). */
static char *load(const char *path, const struct options *opt, size_t *size, bool *source)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		error("%s: %s", path, strerror(errno));
		return NULL;
	}
	char *data = read_all(fileno(f), size);
	fclose(f);
	if (data == NULL) {
		error("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (*size >= 4 && fdt_magic(data) == FDT_MAGIC) {
		return data;
	}
	free(data);
	*source = true;
	return run_dtc(path, opt, false, size);
}

/* ---------------------------------------------------------------- limits */

/*
 * What the hypervisor reads from the hardware at boot, as far as the tree
 * tells: the CPU's physical address size (ID_AA64MMFR0_EL1.PARange; the
 * TRMs) and the GIC's interrupt lines (GICD_TYPER; measured or from the
 * board's documentation). Options override; unknown boards get the
 * architecture's limits and the hypervisor's own check at boot.
 */
struct config_limits board_limits(const void *fdt, const struct dt_board *board,
				  struct pa_range hyp, unsigned opt_pa_bits, unsigned opt_lines)
{
	static const struct {
		const char *cpu;
		unsigned pa_bits;
	} cpus[] = {
		{"arm,cortex-a53", 40}, {"arm,cortex-a55", 40}, {"arm,cortex-a57", 44},
		{"arm,cortex-a72", 44}, {"arm,cortex-a76", 40},
	};
	static const struct {
		const char *board, *gic;
		unsigned lines;
	} gics[] = {
		{"linux,dummy-virt", "arm,gic-v3", 256},	 /* QEMU 7.2 virt, GICv3 */
		{"linux,dummy-virt", "arm,cortex-a15-gic", 288}, /* QEMU 7.2 virt, GICv2 */
		{"brcm,bcm2711", "arm,gic-400", 256},		 /* Raspberry Pi 4 */
	};
	struct config_limits lim = {hyp, 48, opt_lines != 0 ? opt_lines : 1020};
	int cpus_node = fdt_path_offset(fdt, "/cpus");
	int cpu = cpus_node >= 0 ? fdt_first_subnode(fdt, cpus_node) : -1;
	unsigned pa_bits = opt_pa_bits != 0 ? opt_pa_bits : 48;
	for (size_t i = 0; opt_pa_bits == 0 && cpu >= 0 && i < ARRAY_SIZE(cpus); i++) {
		pa_bits = dt_compatible(fdt, cpu, cpus[i].cpu) ? cpus[i].pa_bits : pa_bits;
	}
	for (size_t i = 0; opt_lines == 0 && i < ARRAY_SIZE(gics); i++) {
		if (dt_compatible(fdt, 0, gics[i].board) &&
		    strcmp(board->gic.compatible, gics[i].gic) == 0) {
			lim.gic_lines = gics[i].lines;
		}
	}
	lim.ipa_bits = pa_bits > 48 ? 48 : pa_bits; /* stage2_ipa_bits() */
	return lim;
}

/* ---------------------------------------------------------------- output */

/* "64 MiB", "1 GiB", "68 KiB", "68768 bytes" */
static const char *human_size(uint64_t size, char *buf, size_t len)
{
	static const struct {
		unsigned shift;
		const char *unit;
	} units[] = {{30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t unit = 1ULL << units[i].shift;
		if (size >= unit && size % unit == 0) {
			snprintf(buf, len, "%llu %s", (unsigned long long)(size >> units[i].shift),
				 units[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%llu bytes", (unsigned long long)size);
	return buf;
}

static const char *span(uint64_t base, uint64_t size, char *buf, size_t len)
{
	snprintf(buf, len, "0x%010llx-0x%010llx", (unsigned long long)base,
		 (unsigned long long)(base + size - 1));
	return buf;
}

static void show_devices(const void *fdt, const struct config *cfg)
{
	char a[40], node[96];

	printf("\n%-15s %-34s %-25s %s\n", "PARTITION", "DEVICE", "PA (mapped at the same IPA)",
	       "INTERRUPTS");
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		for (unsigned k = 0; k < p->device_count; k++) {
			const struct config_device *d = &p->devices[k];
			char irqs[64];
			config_device_irq_list(d, irqs, sizeof(irqs));
			if (fdt_get_path(fdt, d->node, node, sizeof(node)) != 0) {
				snprintf(node, sizeof(node), "?");
			}
			for (unsigned r = 0; r < d->reg_count; r++) {
				printf("%-15s %-34s %-25s %s\n", r == 0 ? p->name : "",
				       r == 0 ? node : "",
				       span(pa_addr(d->reg[r].base), d->reg[r].size, a, 40),
				       r == 0 ? irqs : "");
			}
		}
		if (p->device_count == 0) {
			printf("%-15s %-34s\n", p->name, "(none)");
		}
	}
}

/* What each partition reaches by DMA: with no SMMU, a DMA master reaches all of it. */
static void show_dma(const void *fdt, const struct config *cfg)
{
	printf("\n%-15s %s\n", "PARTITION", "REACHES BY DMA");
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		char list[512], node[96];
		size_t n = 0;
		list[0] = '\0';
		for (unsigned k = 0; k < p->device_count && n < sizeof(list); k++) {
			const char *risk = config_device_risk(fdt, p->devices[k].node);
			if (risk != NULL && strncmp(risk, "can master DMA", 14) == 0 &&
			    fdt_get_path(fdt, p->devices[k].node, node, sizeof(node)) == 0) {
				int w = snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "",
						 node);
				n += w > 0 ? (size_t)w : 0;
			}
		}
		if (n == 0) {
			printf("%-15s nothing (no device of it can master DMA)\n", p->name);
		} else {
			printf("%-15s all physical memory, the hypervisor's included (no SMMU): "
			       "%s\n",
			       p->name, list);
		}
	}
}

static void show(const char *path, const struct dt_board *board, const struct options *opt,
		 const struct config_limits *lim, const struct config *cfg)
{
	char a[40], b[40], s[32];

	printf("%s: %u partition%s on %s\n", path, cfg->partition_count,
	       cfg->partition_count == 1 ? "" : "s", board->model);
	for (unsigned i = 0; i < board->mem_count; i++) {
		printf("  RAM         %s  %s\n",
		       span(board->mem[i].base, board->mem[i].size, a, 40),
		       human_size(board->mem[i].size, s, sizeof(s)));
	}
	for (unsigned i = 0; i < board->reserved_count; i++) {
		printf("  reserved    %s  %s\n",
		       span(board->reserved[i].base, board->reserved[i].size, a, 40),
		       human_size(board->reserved[i].size, s, sizeof(s)));
	}
	printf("  hypervisor  %s  %s (--hyp; checked again at boot with the real one)\n",
	       span(pa_addr(opt->hyp.base), opt->hyp.size, a, 40),
	       human_size(opt->hyp.size, s, sizeof(s)));
	printf("  limits      %u-bit IPA space, %u GIC interrupt lines (--pa-bits, --gic-lines)\n",
	       lim->ipa_bits, lim->gic_lines);

	printf("\n%-3s %-15s %-5s %-30s %-10s %s\n", "ID", "PARTITION", "ROOT", "CPUS (MPIDR)",
	       "MEMORY", "BOOTARGS");
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		char cpus[256];
		size_t n = 0;
		cpus[0] = '\0';
		for (unsigned c = 0; c < board->cpu_count && n < sizeof(cpus); c++) {
			if ((p->cpu_mask & (1ULL << c)) != 0) {
				int w = snprintf(cpus + n, sizeof(cpus) - n, "%sCPU%u (0x%llx)",
						 n != 0 ? ", " : "", c,
						 (unsigned long long)board->cpus[c].mpidr);
				n += w > 0 ? (size_t)w : 0;
			}
		}
		uint64_t total = 0;
		for (unsigned r = 0; r < p->mem_count; r++) {
			total += p->mem[r].size;
		}
		printf("%-3u %-15s %-5s %-30s %-10s %s\n", p->id, p->name, p->is_root ? "yes" : "-",
		       cpus, human_size(total, s, sizeof(s)),
		       p->bootargs[0] != '\0' ? p->bootargs : "-");
	}

	printf("\n%-15s %-10s %-25s    %-25s %s\n", "PARTITION", "REGION", "IPA", "PA", "SIZE");
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		for (unsigned r = 0; r < p->mem_count; r++) {
			char region[24];
			snprintf(region, sizeof(region), "memory[%u]", r);
			printf("%-15s %-10s %-25s -> %-25s %s\n", p->name, region,
			       span(ipa_addr(p->mem[r].ipa), p->mem[r].size, a, 40),
			       span(pa_addr(p->mem[r].pa), p->mem[r].size, b, 40),
			       human_size(p->mem[r].size, s, sizeof(s)));
		}
	}

	printf("\n%-15s %-15s %-6s %-25s    %-25s %-12s %s\n", "PARTITION", "IMAGE", "FORMAT",
	       "SOURCE PA", "LOAD IPA", "SIZE", "ENTRY");
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		for (unsigned k = 0; k < p->image_count; k++) {
			const struct config_image *img = &p->images[k];
			char entry[40];
			if (p->has_dtb && k == p->dtb_image) {
				snprintf(entry, sizeof(entry), "(x0 at entry)");
			} else if (k != p->entry_image) {
				snprintf(entry, sizeof(entry), "-");
			} else if (img->format == IMAGE_LINUX) {
				snprintf(entry, sizeof(entry), "per Image header");
			} else {
				snprintf(entry, sizeof(entry), "0x%llx",
					 (unsigned long long)ipa_addr(img->entry_ipa));
			}
			printf("%-15s %-15s %-6s %-25s -> %-25s %-12s %s\n", p->name, img->name,
			       config_image_format_name(img->format),
			       span(pa_addr(img->src_pa), img->size, a, 40),
			       span(ipa_addr(img->load_ipa), img->size, b, 40),
			       human_size(img->size, s, sizeof(s)), entry);
		}
	}
}

/* The images placed from files (and the trees to generate), as `layout` would place them. */
static void show_placed(const struct layout_image *list, unsigned count)
{
	char a[40], s[24];
	if (count == 0) {
		return;
	}
	printf("\n%-31s %-25s %-12s %s\n", "IMAGE", "PLACED AT PA (as layout)", "SIZE", "FILE");
	for (unsigned i = 0; i < count; i++) {
		printf("%-31s %-25s %-12s %s\n", list[i].path,
		       span(pa_addr(list[i].pa), list[i].size, a, sizeof(a)),
		       human_size(list[i].size, s, sizeof(s)),
		       list[i].generate ? "(generated by layout)" : list[i].file);
	}
}

static void show_channels(const struct config *cfg)
{
	char a[40], b[40], s[24], s2[24];
	if (cfg->channel_count == 0) {
		return;
	}
	printf("\n%-15s %-15s %-15s %-15s %-25s %s\n", "CHANNEL", "INTERFACE", "PROVIDER",
	       "CONSUMER", "PA", "RINGS");
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &cfg->channels[i];
		printf("%-15s %-15s %-15s %-15s %-25s %s + %s\n", ch->name, ch->interface,
		       cfg->partitions[ch->end[SIDE_PROVIDER].partition].name,
		       cfg->partitions[ch->end[SIDE_CONSUMER].partition].name,
		       span(pa_addr(ch->pa), ch->size, a, sizeof(a)),
		       human_size(ch->ring_size[SIDE_PROVIDER], s, sizeof(s)),
		       human_size(ch->ring_size[SIDE_CONSUMER], s2, sizeof(s2)));
	}
	printf("\n%-15s %-15s %-9s %-25s %s\n", "CHANNEL", "PARTITION", "SIDE", "IPA", "DOORBELL");
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &cfg->channels[i];
		for (unsigned side = 0; side < 2; side++) {
			const struct config_channel_end *e = &ch->end[side];
			snprintf(s, sizeof(s), "SPI %u", e->irq - 32);
			printf("%-15s %-15s %-9s %-25s %s\n", side == 0 ? ch->name : "",
			       cfg->partitions[e->partition].name,
			       side == SIDE_PROVIDER ? "provider" : "consumer",
			       span(ipa_addr(e->ipa), ch->size, b, sizeof(b)), s);
		}
	}
}

/* Each child's crash policy, defaults filled in (docs/binding.md, "Crash policy"). */
static void show_policies(const void *fdt, const struct config *cfg)
{
	if (cfg->partition_count < 2) {
		return;
	}
	printf("\n%-15s %-9s %-10s %-13s %-14s %s\n", "PARTITION", "ON-CRASH", "WATCHDOG",
	       "MAX-RESTARTS", "RESTART-DELAY", "INTEGRATION");
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		struct crash_policy pol;
		char watchdog[24], limit[24], delay[24];
		if (cfg->partitions[i].is_root) {
			continue;
		}
		policy_read(fdt, cfg, i, &pol);
		snprintf(watchdog, sizeof(watchdog), pol.watchdog_ms != 0 ? "%u ms" : "none",
			 pol.watchdog_ms);
		snprintf(limit, sizeof(limit), pol.has_max_restarts ? "%u" : "no limit",
			 pol.max_restarts);
		snprintf(delay, sizeof(delay), "%u ms", pol.restart_delay_ms);
		printf("%-15s %-9s %-10s %-13s %-14s %s\n", cfg->partitions[i].name,
		       pol.restart ? "restart" : "stop", watchdog, limit, delay,
		       pol.integration != POLICY_NO_INTEGRATION
			       ? cfg->channels[pol.integration].name
			       : "-");
	}
}

static bool write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		error("%s: %s", path, strerror(errno));
		return false;
	}
	bool ok = fwrite(data, 1, size, f) == size;
	ok = fclose(f) == 0 && ok;
	if (!ok) {
		error("%s: write failed", path);
		remove(path);
	}
	return ok;
}

/* ---------------------------------------------------------------- main */

/*
 * Prints an error about the system: "FILE:LINE: error: MESSAGE" when it came from source and
 * dtc knows where the node or property it names was written, else "error: MESSAGE"; with
 * --explain, then the binding's text for the property it names.
 */
static void report(const char *path, bool source, const struct options *opt, const char *msg)
{
	char node[256], prop[64], where[512];
	static const char board_prefix[] = "board: ";
	const char *subject =
		strncmp(msg, board_prefix, sizeof(board_prefix) - 1) == 0 ? msg + 7 : msg;
	bool named = source_subject(subject, node, sizeof(node), prop, sizeof(prop));
	char *dts = NULL;
	size_t size;

	if (named && source) {
		dts = run_dtc(path, opt, true, &size);
	}
	if (dts != NULL && source_locate(dts, node, prop, where, sizeof(where))) {
		fprintf(stderr, "%s: error: %s\n", where, msg);
	} else {
		error("%s", msg);
	}
	free(dts);
	if (opt->explain && named && prop[0] != '\0' && explain_known(prop)) {
		fputc('\n', stderr);
		explain_print(stderr, prop);
	} else if (opt->explain && named && strstr(msg, "unknown property '") != NULL) {
		fputc('\n', stderr);
		explain_suggest(stderr, prop);
	}
}

static int run(const char *cmd, const char *path, const struct options *opt)
{
	size_t size = 0;
	bool source = false;
	char *blob = load(path, opt, &size, &source);
	if (blob == NULL) {
		return 1;
	}
	if (strcmp(cmd, "layout") == 0) {
		struct layout_args args = {
			.image_base = opt->image_base,
			.outdir = opt->output,
			.hyp = opt->hyp,
			.pa_bits = opt->pa_bits,
			.gic_lines = opt->gic_lines,
			.reserve = opt->reserve,
			.reserve_count = opt->reserve_count,
		};
		int status = layout_system(blob, size, &args);
		free(blob);
		return status;
	}
	static struct dt_board board;
	static struct config cfg;
	static struct layout_image placed[LAYOUT_MAX_IMAGES];
	unsigned placed_count = 0;
	struct dt_error err = {{0}};
	int status = 1;
	/* Room for the `reg`s of the images that name files. */
	size_t room = size + LAYOUT_ROOM;
	char *fdt = malloc(room);

	if (fdt == NULL || dt_check_blob(blob, size, &err) != BH_OK ||
	    fdt_open_into(blob, fdt, (int)room) != 0 ||
	    dt_parse_board(fdt, &board, &err) != BH_OK) {
		char msg[sizeof(err.msg) + 16];
		snprintf(msg, sizeof(msg), "board: %s", fdt == NULL ? "out of memory" : err.msg);
		report(path, source, opt, msg);
		goto out;
	}
	for (unsigned i = 0; i < opt->reserve_count; i++) {
		if (board.reserved_count == DT_MAX_RESERVED) {
			error("more than %d reserved ranges", DT_MAX_RESERVED);
			goto out;
		}
		board.reserved[board.reserved_count++] = opt->reserve[i];
	}
	struct layout_args args = {.image_base = opt->image_base, .hyp = opt->hyp};
	if (layout_place(fdt, &board, &args, placed, &placed_count, &err) != BH_OK) {
		report(path, source, opt, err.msg);
		goto out;
	}
	if (placed_count != 0 && strcmp(cmd, "dtb") == 0) {
		error("%s names host files or has device trees to generate: `bhconfig layout` "
		      "places them and writes the tree",
		      path);
		goto out;
	}
	struct config_limits lim =
		board_limits(fdt, &board, opt->hyp, opt->pa_bits, opt->gic_lines);
	int rc = config_parse(fdt, &board, lim, &cfg, &err);
	if (rc == BH_ENOENT) {
		printf("ok: no /bulkhead node: the hypervisor boots without partitions\n");
		status = 0;
		goto write;
	}
	if (rc != BH_OK) {
		report(path, source, opt, err.msg);
		goto out;
	}
	if (cfg.partition_count > opt->max_partitions) {
		error("/bulkhead: %u partitions, but the hypervisor is built for at most %u "
		      "(CONFIG_MAX_PARTITIONS; --max-partitions N)",
		      cfg.partition_count, opt->max_partitions);
		goto out;
	}
	if (policy_check(fdt, &cfg, &err) != BH_OK) {
		report(path, source, opt, err.msg);
		goto out;
	}
	status = 0;
	if (strcmp(cmd, "show") == 0) {
		show(path, &board, opt, &lim, &cfg);
		show_placed(placed, placed_count);
		show_devices(fdt, &cfg);
		show_dma(fdt, &cfg);
		show_channels(&cfg);
		show_policies(fdt, &cfg);
		if (opt->svg != NULL) {
			char title[256];
			snprintf(title, sizeof(title), "%s: %u partition%s on %s", path,
				 cfg.partition_count, cfg.partition_count == 1 ? "" : "s",
				 board.model);
			status = svg_write(opt->svg, title, fdt, &board, &cfg, opt->hyp);
		}
	} else if (cfg.channel_count == 0) {
		printf("ok: %u partition%s\n", cfg.partition_count,
		       cfg.partition_count == 1 ? "" : "s");
	} else {
		printf("ok: %u partition%s, %u channel%s\n", cfg.partition_count,
		       cfg.partition_count == 1 ? "" : "s", cfg.channel_count,
		       cfg.channel_count == 1 ? "" : "s");
	}
write:
	if (strcmp(cmd, "dtb") == 0 && !write_file(opt->output, blob, fdt_totalsize(blob))) {
		status = 1;
	}
out:
	free(fdt);
	free(blob);
	return status;
}

int main(int argc, char **argv)
{
	struct options opt = {
		.hyp = {pa_init(DEFAULT_HYP_BASE), DEFAULT_HYP_SIZE},
		.max_partitions = DEFAULT_MAX_PARTITIONS,
		.image_base = LAYOUT_AUTO_BASE,
	};
	const char *words[2];
	unsigned nwords = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--explain") == 0) {
			opt.explain = true;
			continue;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (nwords == 2) {
				usage(stderr);
				return 2;
			}
			words[nwords++] = a;
			continue;
		}
		if (v == NULL) {
			error("%s needs a value", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--hyp") == 0) {
			if (!parse_range(v, &n, &opt.hyp.size)) {
				error("--hyp %s: expected BASE:SIZE, e.g. 0x40200000:4M", v);
				return 2;
			}
			opt.hyp.base = pa_init(n);
		} else if (strcmp(a, "--reserve") == 0) {
			struct dt_range r;
			if (!parse_range(v, &r.base, &r.size)) {
				error("--reserve %s: expected BASE:SIZE", v);
				return 2;
			}
			if (opt.reserve_count == DT_MAX_RESERVED) {
				error("--reserve: at most %d", DT_MAX_RESERVED);
				return 2;
			}
			opt.reserve[opt.reserve_count++] = r;
		} else if (strcmp(a, "--max-partitions") == 0) {
			if (!parse_number(v, &n) || n < 1 || n > BH_MAX_PARTITIONS) {
				error("--max-partitions %s: expected 1 to %d", v,
				      BH_MAX_PARTITIONS);
				return 2;
			}
			opt.max_partitions = (unsigned)n;
		} else if (strcmp(a, "--pa-bits") == 0) {
			if (!parse_number(v, &n) || n < 32 || n > 52) {
				error("--pa-bits %s: expected 32 to 52", v);
				return 2;
			}
			opt.pa_bits = (unsigned)n;
		} else if (strcmp(a, "--gic-lines") == 0) {
			if (!parse_number(v, &n) || n < 32 || n > 1020) {
				error("--gic-lines %s: expected 32 to 1020", v);
				return 2;
			}
			opt.gic_lines = (unsigned)n;
		} else if (strcmp(a, "-i") == 0) {
			if (opt.include_count == MAX_INCLUDES) {
				error("-i: at most %d", MAX_INCLUDES);
				return 2;
			}
			opt.includes[opt.include_count++] = v;
		} else if (strcmp(a, "--images") == 0) {
			if (!parse_number(v, &opt.image_base)) {
				error("--images %s: expected an address", v);
				return 2;
			}
		} else if (strcmp(a, "-o") == 0) {
			opt.output = v;
		} else if (strcmp(a, "--board") == 0) {
			opt.board = v;
		} else if (strcmp(a, "--svg") == 0) {
			opt.svg = v;
		} else {
			error("unknown option %s", a);
			usage(stderr);
			return 2;
		}
	}
	if (nwords == 2 && strcmp(words[0], "explain") == 0) {
		return explain_command(words[1]);
	}
	if (nwords == 1 && strcmp(words[0], "new") == 0) {
		if (opt.board == NULL) {
			error("new needs --board qemu-virt or --board rpi4");
			return 2;
		}
		return new_system(opt.board, opt.output);
	}
	if (nwords != 2 || (strcmp(words[0], "check") != 0 && strcmp(words[0], "show") != 0 &&
			    strcmp(words[0], "dtb") != 0 && strcmp(words[0], "layout") != 0)) {
		usage(stderr);
		return 2;
	}
	bool wants_output = strcmp(words[0], "dtb") == 0 || strcmp(words[0], "layout") == 0;
	if (wants_output != (opt.output != NULL)) {
		error("-o goes with the dtb and layout commands, which need it (and new)");
		return 2;
	}
	if ((opt.svg != NULL && strcmp(words[0], "show") != 0) || opt.board != NULL) {
		error("%s goes with another command (show --svg OUT, new --board B)",
		      opt.board != NULL ? "--board" : "--svg");
		return 2;
	}
	return run(words[0], words[1], &opt);
}
