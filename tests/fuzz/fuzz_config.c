// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over the partition parser as the hypervisor runs it at
 * boot: the input is a whole system device tree blob (the board plus its
 * /bulkhead node), checked with dt_check_blob(), read with
 * dt_parse_board() and config_parse(). Seeds are the blobs of
 * tests/configs/good and tests/configs/bad (tests/fuzz/fuzz.mk).
 *
 * A configuration the parser accepts must be one the hypervisor can build
 * without breaking isolation, so on success these must hold (else abort):
 *   - every memory region lies in the board's RAM, outside the hypervisor
 *     and every reserved range, and no two regions (of any partitions) share
 *     a byte;
 *   - every IPA lies below the stage-2 input limit given to the parser;
 *   - no passthrough device page touches RAM, the hypervisor, the GIC's
 *     frames or the console UART's page, and no passed-through SPI is past
 *     the GIC's lines or the console's own interrupt;
 *   - every CPU belongs to one partition at most;
 *   - on failure the message is a terminated, non-empty string.
 *
 * With -DFUZZ_REPLAY it has a main() that runs the files named on its
 * command line, so a crash reproduces with gcc too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include <core/config.h>
#include <core/dt.h>

#define HYP_BASE  0x40200000ULL /* as tests/unit/test_config.c assumes */
#define HYP_SIZE  (4ULL << 20)
#define MAX_BLOB  (1U << 16)
#define IPA_BITS  40 /* below QEMU's 48 and the A72's 44: the limit checks run */
#define GIC_LINES 288

/* Large: kept off the stack. */
static struct config cfg;
static struct dt_board board;

static bool in_ram(struct pa_range r)
{
	for (unsigned i = 0; i < board.mem_count; i++) {
		if (pa_range_within(r, dt_pa_range(board.mem[i]))) {
			return true;
		}
	}
	return false;
}

static bool touches_ram(struct pa_range r)
{
	for (unsigned i = 0; i < board.mem_count; i++) {
		if (pa_range_overlaps(r, dt_pa_range(board.mem[i]))) {
			return true;
		}
	}
	return false;
}

static bool touches(struct pa_range pages, struct dt_range r, uint64_t min_size)
{
	return r.size != 0 &&
	       pa_range_overlaps(pages,
				 pa_range(pa_init(r.base), r.size > min_size ? r.size : min_size));
}

static void check_accepted(struct pa_range hyp)
{
	uint64_t cpus = 0;
	for (unsigned i = 0; i < cfg.partition_count; i++) {
		const struct config_partition *p = &cfg.partitions[i];
		CHECK((cpus & p->cpu_mask) == 0);
		cpus |= p->cpu_mask;
		for (unsigned m = 0; m < p->mem_count; m++) {
			struct pa_range r = pa_range(p->mem[m].pa, p->mem[m].size);
			CHECK(r.size != 0 && in_ram(r));
			CHECK(ipa_addr(p->mem[m].ipa) + p->mem[m].size <= 1ULL << IPA_BITS);
			CHECK(!pa_range_overlaps(r, hyp));
			for (unsigned k = 0; k < board.reserved_count; k++) {
				CHECK(!pa_range_overlaps(r, dt_pa_range(board.reserved[k])));
			}
			for (unsigned j = 0; j <= i; j++) {
				const struct config_partition *o = &cfg.partitions[j];
				for (unsigned n = 0; n < o->mem_count && (j < i || n < m); n++) {
					CHECK(!pa_range_overlaps(
						r, pa_range(o->mem[n].pa, o->mem[n].size)));
				}
			}
		}
		for (unsigned d = 0; d < p->device_count; d++) {
			for (unsigned k = 0; k < p->devices[d].reg_count; k++) {
				struct pa_range pages = config_device_pages(p->devices[d].reg[k]);
				CHECK(!touches_ram(pages));
				CHECK(!pa_range_overlaps(pages, hyp));
				CHECK(!touches(pages, board.gic.dist, GIC_DIST_SIZE));
				CHECK(!touches(pages, board.gic.redist, 0));
				CHECK(!touches(pages, board.gic.cpu, GICV2_CPUIF_SIZE));
				CHECK(!touches(pages, board.gic.hyp, 0));
				CHECK(!touches(pages, board.gic.vcpu, GICV2_CPUIF_SIZE));
				CHECK(board.uart.kind == DT_UART_NONE ||
				      !touches(pages, board.uart.reg, 1));
				CHECK(pa_addr(pages.base) + pages.size <= 1ULL << IPA_BITS);
			}
			for (unsigned k = 0; k < p->devices[d].spi_count; k++) {
				unsigned intid = p->devices[d].spi[k];
				CHECK(intid >= 32 && intid < GIC_LINES);
				CHECK(intid != board.uart.irq);
			}
		}
	}
}

static void run(const uint8_t *data, size_t size)
{
	struct dt_error err;

	if (size < 40 || size > MAX_BLOB) {
		return; /* not even a header; the boot path refuses that first */
	}
	/* libfdt wants the blob 8-byte aligned, as the boot loader leaves it. */
	void *fdt = malloc(size);
	if (fdt == NULL) {
		abort();
	}
	memcpy(fdt, data, size);
	memset(&err, 0, sizeof(err));
	if (dt_check_blob(fdt, size, &err) == BH_OK && dt_parse_board(fdt, &board, &err) == BH_OK) {
		struct config_limits lim = {pa_range(pa_init(HYP_BASE), HYP_SIZE), IPA_BITS,
					    GIC_LINES};
		memset(&err, 0, sizeof(err));
		int rc = config_parse(fdt, &board, lim, &cfg, &err);
		if (rc == BH_OK) {
			check_accepted(lim.hyp);
		} else if (rc != BH_ENOENT) {
			CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL && err.msg[0] != '\0');
		}
	}
	free(fdt);
}

FUZZ_ENTRY("fuzz_config")
