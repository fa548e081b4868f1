// SPDX-License-Identifier: MIT
/*
 * Unit tests for core/dt.c. Real device trees (read from $BH_TEST_DTB_DIR:
 * QEMU virt with GICv3 and GICv2, Debian's Raspberry Pi 4 tree) must give
 * exactly the board their DTS describes; small trees built here with
 * libfdt's read-write API cover translation through `ranges`, CPU, memory
 * and reserved-memory handling and every error path (each message must name
 * the node); patched blobs cover dt_check_blob; strings cover dt_bootarg.
 * The shared helpers of core/fdt_util.c: strings checked against their
 * property's length, status, phandles and the path-prefixed messages.
 */
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <core/dt.h>
#include <core/fdt_util.h>

#define TREE_SIZE (64 * 1024)

struct blob {
	const char *name;
	char *data;
	size_t size;
};

static struct blob qemu_v3 = {.name = "qemu-virt-gicv3.dtb"};
static struct blob qemu_v2 = {.name = "qemu-virt-gicv2.dtb"};
static struct blob rpi4 = {.name = "bcm2711-rpi-4-b.dtb"};

/* Scratch buffer for the trees the tests build (libfdt wants 8-byte alignment). */
static _Alignas(8) char tree[TREE_SIZE];

/* ---------------------------------------------------------------- helpers */

static int load_blob(struct blob *b)
{
	const char *dir = getenv("BH_TEST_DTB_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, b->name);

	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		print_error("cannot open %s\n", path);
		return -1;
	}
	int rc = -1;
	if (fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		if (size > 0 && fseek(f, 0, SEEK_SET) == 0) {
			b->size = (size_t)size;
			b->data = malloc(b->size);
			if (b->data != NULL && fread(b->data, 1, b->size, f) == b->size) {
				rc = 0;
			}
		}
	}
	fclose(f);
	if (rc != 0) {
		print_error("cannot read %s\n", path);
	}
	return rc;
}

static int load_blobs(void)
{
	if (load_blob(&qemu_v3) != 0 || load_blob(&qemu_v2) != 0 || load_blob(&rpi4) != 0) {
		return -1;
	}
	return 0;
}

static int free_blobs(void **state)
{
	(void)state;
	free(qemu_v3.data);
	free(qemu_v2.data);
	free(rpi4.data);
	return 0;
}

#define assert_msg_has(err, text)                                                                \
	do {                                                                                     \
		if (strstr((err).msg, (text)) == NULL) {                                         \
			print_error("error message \"%s\" does not contain \"%s\"\n", (err).msg, \
				    (text));                                                     \
			fail();                                                                  \
		}                                                                                \
	} while (0)

#define assert_range(r, b, s)                    \
	do {                                     \
		assert_int_equal((r).base, (b)); \
		assert_int_equal((r).size, (s)); \
	} while (0)

static int node_at(const void *fdt, const char *path)
{
	int node = fdt_path_offset(fdt, path);
	if (node < 0) {
		print_error("no node %s: %s\n", path, fdt_strerror(node));
		fail();
	}
	return node;
}

/* libfdt puts a new node before its existing siblings: add them last to first. */
static void add_node(void *fdt, const char *parent, const char *name)
{
	int rc = fdt_add_subnode(fdt, node_at(fdt, parent), name);
	if (rc < 0) {
		print_error("adding %s to %s: %s\n", name, parent, fdt_strerror(rc));
		fail();
	}
}

static void del_node(void *fdt, const char *path)
{
	assert_int_equal(fdt_del_node(fdt, node_at(fdt, path)), 0);
}

static void set_prop(void *fdt, const char *path, const char *prop, const void *val, int len)
{
	int rc = fdt_setprop(fdt, node_at(fdt, path), prop, val, len);
	if (rc != 0) {
		print_error("setting %s:%s: %s\n", path, prop, fdt_strerror(rc));
		fail();
	}
}

static void set_str(void *fdt, const char *path, const char *prop, const char *val)
{
	set_prop(fdt, path, prop, val, (int)strlen(val) + 1);
}

static void set_cells(void *fdt, const char *path, const char *prop, const uint32_t *cells,
		      size_t count)
{
	fdt32_t be[64];
	assert_true(count <= sizeof(be) / sizeof(be[0]));
	for (size_t i = 0; i < count; i++) {
		be[i] = cpu_to_fdt32(cells[i]);
	}
	set_prop(fdt, path, prop, be, (int)(count * sizeof(be[0])));
}

#define CELLS(...) (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / 4

/* A string list literal such as "a\0b", with its final NUL. */
#define set_strlist(fdt, path, prop, lit) set_prop(fdt, path, prop, lit, (int)sizeof(lit))

static void add_cpu(void *fdt, const char *name, uint32_t mpidr)
{
	char path[64];
	add_node(fdt, "/cpus", name);
	snprintf(path, sizeof(path), "/cpus/%s", name);
	set_str(fdt, path, "device_type", "cpu");
	set_str(fdt, path, "compatible", "arm,cortex-a53");
	set_cells(fdt, path, "reg", CELLS(mpidr));
	set_str(fdt, path, "enable-method", "psci");
}

/*
 * The test board, in DTS:
 *   / { #address-cells = <2>; #size-cells = <2>; model = "bulkhead,test-board";
 *     chosen { bootargs = "console=ttyAMA0 bulkhead.exit=poweroff"; };
 *     memory@80000000 { device_type = "memory"; reg = <0 0x80000000 0 0x10000000>; };
 *     psci { compatible = "arm,psci-0.2"; method = "hvc"; };
 *     cpus { #address-cells = <1>; #size-cells = <0>;
 *       cpu@0 { reg = <0>; enable-method = "psci"; ... };
 *       cpu@100 { reg = <0x100>; enable-method = "psci"; ... }; };
 *     soc { #address-cells = <1>; #size-cells = <1>; ranges = <0 0 0x10000000 0x1000000>;
 *       uart@1000 { compatible = "arm,pl011", "arm,primecell"; reg = <0x1000 0x100>; };
 *       interrupt-controller@40000 { compatible = "arm,gic-v3";
 *         reg = <0x40000 0x10000 0x80000 0x100000>; interrupts = <1 9 4>; }; }; };
 */
static void build_board(void *fdt)
{
	assert_int_equal(fdt_create_empty_tree(fdt, TREE_SIZE), 0);
	set_cells(fdt, "/", "#address-cells", CELLS(2));
	set_cells(fdt, "/", "#size-cells", CELLS(2));
	set_str(fdt, "/", "model", "bulkhead,test-board");

	add_node(fdt, "/", "chosen");
	set_str(fdt, "/chosen", "bootargs", "console=ttyAMA0 bulkhead.exit=poweroff");

	add_node(fdt, "/", "memory@80000000");
	set_str(fdt, "/memory@80000000", "device_type", "memory");
	set_cells(fdt, "/memory@80000000", "reg", CELLS(0, 0x80000000, 0, 0x10000000));

	add_node(fdt, "/", "psci");
	set_str(fdt, "/psci", "compatible", "arm,psci-0.2");
	set_str(fdt, "/psci", "method", "hvc");

	add_node(fdt, "/", "cpus");
	set_cells(fdt, "/cpus", "#address-cells", CELLS(1));
	set_cells(fdt, "/cpus", "#size-cells", CELLS(0));
	add_cpu(fdt, "cpu@100", 0x100);
	add_cpu(fdt, "cpu@0", 0);

	add_node(fdt, "/", "soc");
	set_str(fdt, "/soc", "compatible", "simple-bus");
	set_cells(fdt, "/soc", "#address-cells", CELLS(1));
	set_cells(fdt, "/soc", "#size-cells", CELLS(1));
	set_cells(fdt, "/soc", "ranges", CELLS(0, 0, 0x10000000, 0x1000000));

	add_node(fdt, "/soc", "interrupt-controller@40000");
	set_str(fdt, "/soc/interrupt-controller@40000", "compatible", "arm,gic-v3");
	set_cells(fdt, "/soc/interrupt-controller@40000", "reg",
		  CELLS(0x40000, 0x10000, 0x80000, 0x100000));
	set_cells(fdt, "/soc/interrupt-controller@40000", "interrupts", CELLS(1, 9, 4));

	add_node(fdt, "/soc", "uart@1000");
	set_strlist(fdt, "/soc/uart@1000", "compatible", "arm,pl011\0arm,primecell");
	set_cells(fdt, "/soc/uart@1000", "reg", CELLS(0x1000, 0x100));
}

/* Parses `fdt`, expecting rc; on failure the message must name `path`. */
static void expect_parse_error(const void *fdt, int rc, const char *path)
{
	struct dt_board board;
	struct dt_error err;
	int got = dt_parse_board(fdt, &board, &err);
	if (got != rc) {
		print_error("dt_parse_board returned %d (%s), expected %d\n", got, err.msg, rc);
		fail();
	}
	assert_msg_has(err, path);
}

/* A copy of the built test board, packed to its minimal size, in malloc'd memory. */
static char *packed_board(size_t *size)
{
	build_board(tree);
	assert_int_equal(fdt_pack(tree), 0);
	*size = fdt_totalsize(tree);
	char *copy = malloc(*size);
	assert_non_null(copy);
	memcpy(copy, tree, *size);
	return copy;
}

/*
 * The first n bytes of src, placed right before an inaccessible page, so that
 * any read past them faults: ASan does not see the reads libfdt makes.
 */
struct guarded {
	char *map;
	size_t map_size;
};

static char *guarded_copy(const void *src, size_t n, struct guarded *g)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + page - 1) / page;

	assert_int_equal(n % 8, 0); /* keeps the copy 8-byte aligned */
	g->map_size = (data_pages + 1) * page;
	g->map =
		mmap(NULL, g->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + data_pages * page, page, PROT_NONE), 0);
	char *data = g->map + data_pages * page - n;
	memcpy(data, src, n);
	return data;
}

static void guarded_free(struct guarded *g)
{
	assert_int_equal(munmap(g->map, g->map_size), 0);
}

/* ---------------------------------------------------------------- real trees */

static void test_real_trees_pass_check(void **state)
{
	(void)state;
	struct dt_error err;
	const struct blob *blobs[] = {&qemu_v3, &qemu_v2, &rpi4};
	for (size_t i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++) {
		int rc = dt_check_blob(blobs[i]->data, blobs[i]->size, &err);
		if (rc != BH_OK) {
			print_error("%s: %s\n", blobs[i]->name, err.msg);
			fail();
		}
	}
}

static void check_qemu_common(const struct dt_board *b)
{
	assert_string_equal(b->model, "linux,dummy-virt");
	assert_int_equal(b->mem_count, 1);
	assert_range(b->mem[0], 0x40000000, GiB(1));
	assert_int_equal(b->reserved_count, 0);

	assert_int_equal(b->cpu_count, 4);
	assert_int_equal(b->cpus_skipped, 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(b->cpus[i].mpidr, i);
		assert_int_equal(b->cpus[i].enable, DT_CPU_ENABLE_PSCI);
		assert_int_equal(b->cpus[i].release_addr, 0);
	}
	assert_int_equal(b->psci, DT_PSCI_SMC);

	assert_int_equal(b->uart.kind, DT_UART_PL011);
	assert_range(b->uart.reg, 0x09000000, 0x1000);
	assert_string_equal(b->uart.path, "/pl011@9000000");
	assert_true(b->uart.from_stdout_path);
	assert_int_equal(b->gic.maint_irq, 25);
	assert_range(b->gic.dist, 0x08000000, 0x10000);
	assert_string_equal(b->bootargs, "");
}

static void test_qemu_gicv3_board(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;
	assert_int_equal(dt_parse_board(qemu_v3.data, &b, &err), BH_OK);
	check_qemu_common(&b);
	assert_int_equal(b.gic.version, 3);
	assert_string_equal(b.gic.compatible, "arm,gic-v3");
	assert_range(b.gic.redist, 0x080a0000, 0xf60000);
	assert_range(b.gic.cpu, 0, 0);
	assert_range(b.gic.hyp, 0, 0);
	assert_range(b.gic.vcpu, 0, 0);
}

static void test_qemu_gicv2_board(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;
	assert_int_equal(dt_parse_board(qemu_v2.data, &b, &err), BH_OK);
	check_qemu_common(&b);
	assert_int_equal(b.gic.version, 2);
	assert_string_equal(b.gic.compatible, "arm,cortex-a15-gic");
	assert_range(b.gic.cpu, 0x08010000, 0x10000);
	assert_range(b.gic.hyp, 0x08030000, 0x10000);
	assert_range(b.gic.vcpu, 0x08040000, 0x10000);
	assert_range(b.gic.redist, 0, 0);
}

static void test_rpi4_without_memory_fails(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;
	/* The firmware fills in /memory@0 reg = <0 0 0> at boot. */
	assert_int_equal(dt_parse_board(rpi4.data, &b, &err), BH_ENOENT);
	assert_msg_has(err, "/memory");
	assert_msg_has(err, "no RAM");
}

static void test_rpi4_board(void **state)
{
	(void)state;
	size_t size = fdt_totalsize(rpi4.data) + 4096;
	char *fdt = malloc(size);
	assert_non_null(fdt);
	assert_int_equal(fdt_open_into(rpi4.data, fdt, (int)size), 0);
	set_cells(fdt, "/memory@0", "reg", CELLS(0, 0, 0x3b400000));

	struct dt_board b;
	struct dt_error err;
	int rc = dt_parse_board(fdt, &b, &err);
	if (rc != BH_OK) {
		print_error("%s\n", err.msg);
	}
	assert_int_equal(rc, BH_OK);
	assert_string_equal(b.model, "Raspberry Pi 4 Model B");
	assert_int_equal(b.mem_count, 1);
	assert_range(b.mem[0], 0, 0x3b400000);
	/* /memreserve/ 0 0x1000; linux,cma has no reg, nvram@0 is disabled. */
	assert_int_equal(b.reserved_count, 1);
	assert_range(b.reserved[0], 0, 0x1000);

	static const uint64_t release[] = {0xd8, 0xe0, 0xe8, 0xf0};
	assert_int_equal(b.cpu_count, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(b.cpus[i].mpidr, i);
		assert_int_equal(b.cpus[i].enable, DT_CPU_ENABLE_SPIN_TABLE);
		assert_int_equal(b.cpus[i].release_addr, release[i]);
	}
	assert_int_equal(b.psci, DT_PSCI_NONE);

	/* stdout-path = "serial1:115200n8" is the mini UART: uart0 (PL011) is the fallback. */
	assert_int_equal(b.uart.kind, DT_UART_PL011);
	assert_range(b.uart.reg, 0xfe201000, 0x200);
	assert_string_equal(b.uart.path, "/soc/serial@7e201000");
	assert_false(b.uart.from_stdout_path);

	assert_int_equal(b.gic.version, 2);
	assert_string_equal(b.gic.compatible, "arm,gic-400");
	assert_range(b.gic.dist, 0xff841000, 0x1000);
	assert_range(b.gic.cpu, 0xff842000, 0x2000);
	assert_range(b.gic.hyp, 0xff844000, 0x2000);
	assert_range(b.gic.vcpu, 0xff846000, 0x2000);
	assert_int_equal(b.gic.maint_irq, 25);
	assert_string_equal(b.bootargs, "");
	free(fdt);
}

static void test_stdout_node(void **state)
{
	(void)state;
	assert_int_equal(dt_stdout_node(qemu_v3.data), node_at(qemu_v3.data, "/pl011@9000000"));
	/* An alias with options after ':'. */
	assert_int_equal(dt_stdout_node(rpi4.data), node_at(rpi4.data, "/soc/serial@7e215040"));

	build_board(tree);
	assert_int_equal(dt_stdout_node(tree), -FDT_ERR_NOTFOUND);
	set_str(tree, "/chosen", "stdout-path", "/soc/uart@1000:115200n8");
	assert_int_equal(dt_stdout_node(tree), node_at(tree, "/soc/uart@1000"));
	set_str(tree, "/chosen", "stdout-path", "/soc/nothing-here");
	assert_true(dt_stdout_node(tree) < 0);
	/* The older property name is accepted. */
	assert_int_equal(fdt_delprop(tree, node_at(tree, "/chosen"), "stdout-path"), 0);
	set_str(tree, "/chosen", "linux,stdout-path", "/soc/uart@1000");
	assert_int_equal(dt_stdout_node(tree), node_at(tree, "/soc/uart@1000"));
	del_node(tree, "/chosen");
	assert_int_equal(dt_stdout_node(tree), -FDT_ERR_NOTFOUND);
}

static void test_node_reg_real(void **state)
{
	(void)state;
	struct dt_range r;
	struct dt_error err;
	const void *q = qemu_v3.data;

	int flash = node_at(q, "/flash@0");
	assert_int_equal(dt_node_reg(q, flash, 0, &r, &err), BH_OK);
	assert_range(r, 0, 0x4000000);
	assert_int_equal(dt_node_reg(q, flash, 1, &r, &err), BH_OK);
	assert_range(r, 0x4000000, 0x4000000);
	assert_int_equal(dt_node_reg(q, flash, 2, &r, &err), BH_ENOENT);
	assert_msg_has(err, "/flash@0");
	assert_int_equal(dt_node_reg(q, node_at(q, "/psci"), 0, &r, &err), BH_ENOENT);
	assert_msg_has(err, "/psci");

	/* The ITS sits under the GIC, whose empty `ranges` is the identity. */
	assert_int_equal(dt_node_reg(q, node_at(q, "/intc@8000000/its@8080000"), 0, &r, &err),
			 BH_OK);
	assert_range(r, 0x8080000, 0x20000);

	/* RPi4: /soc maps 0x7e000000 to 0xfe000000, /scb 0x7c000000 to 0xfc000000. */
	const void *p = rpi4.data;
	assert_int_equal(dt_node_reg(p, node_at(p, "/soc/serial@7e201000"), 0, &r, &err), BH_OK);
	assert_range(r, 0xfe201000, 0x200);
	assert_int_equal(dt_node_reg(p, node_at(p, "/soc/serial@7e215040"), 0, &r, &err), BH_OK);
	assert_range(r, 0xfe215040, 0x40);
	assert_int_equal(dt_node_reg(p, node_at(p, "/scb/pcie@7d500000"), 0, &r, &err), BH_OK);
	assert_range(r, 0xfd500000, 0x9310);
}

static void test_translate_real(void **state)
{
	(void)state;
	struct dt_error err;
	uint64_t out = 0;
	const void *p = rpi4.data;
	int uart = node_at(p, "/soc/serial@7e201000");

	assert_int_equal(dt_translate(p, uart, 0x7e201000, 0, &out, &err), BH_OK);
	assert_int_equal(out, 0xfe201000);
	/* First and last byte of each /soc range. */
	assert_int_equal(dt_translate(p, uart, 0x7e000000, 0, &out, &err), BH_OK);
	assert_int_equal(out, 0xfe000000);
	assert_int_equal(dt_translate(p, uart, 0x7f7fffff, 0, &out, &err), BH_OK);
	assert_int_equal(out, 0xff7fffff);
	assert_int_equal(dt_translate(p, uart, 0x7c000000, 0, &out, &err), BH_OK);
	assert_int_equal(out, 0xfc000000);
	assert_int_equal(dt_translate(p, uart, 0x40041000, 0, &out, &err), BH_OK);
	assert_int_equal(out, 0xff841000);
	/* Just past the first range, and below all of them. */
	out = 1;
	assert_int_equal(dt_translate(p, uart, 0x7f800000, 0, &out, &err), BH_ERANGE);
	assert_msg_has(err, "/soc");
	assert_msg_has(err, "0x7f800000");
	assert_int_equal(out, 1);
	assert_int_equal(dt_translate(p, uart, 0x1000, 0, &out, &err), BH_ERANGE);
	assert_msg_has(err, "/soc");

	/* Directly under the root nothing is translated. */
	const void *q = qemu_v3.data;
	assert_int_equal(dt_translate(q, node_at(q, "/pl011@9000000"), 0x9000000, 0, &out, &err),
			 BH_OK);
	assert_int_equal(out, 0x9000000);
}

static void test_cpu_index(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;
	assert_int_equal(dt_parse_board(qemu_v3.data, &b, &err), BH_OK);
	assert_int_equal(dt_cpu_index(&b, 0), 0);
	assert_int_equal(dt_cpu_index(&b, 3), 3);
	assert_int_equal(dt_cpu_index(&b, 4), -1);
	assert_int_equal(dt_cpu_index(&b, 0x100), -1);

	build_board(tree);
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(dt_cpu_index(&b, 0x100), 1);
	assert_int_equal(dt_cpu_index(&b, 1), -1);
}

/* ---------------------------------------------------------------- built trees */

static void test_built_board(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;
	build_board(tree);
	assert_int_equal(dt_check_blob(tree, TREE_SIZE, &err), BH_OK);
	int rc = dt_parse_board(tree, &b, &err);
	if (rc != BH_OK) {
		print_error("%s\n", err.msg);
	}
	assert_int_equal(rc, BH_OK);
	assert_string_equal(b.model, "bulkhead,test-board");
	assert_string_equal(b.bootargs, "console=ttyAMA0 bulkhead.exit=poweroff");
	assert_int_equal(b.mem_count, 1);
	assert_range(b.mem[0], 0x80000000, 0x10000000);
	assert_int_equal(b.reserved_count, 0);
	assert_int_equal(b.cpu_count, 2);
	assert_int_equal(b.cpus[0].mpidr, 0);
	assert_int_equal(b.cpus[1].mpidr, 0x100);
	assert_int_equal(b.cpus[1].enable, DT_CPU_ENABLE_PSCI);
	assert_int_equal(b.psci, DT_PSCI_HVC);
	assert_int_equal(b.uart.kind, DT_UART_PL011);
	assert_range(b.uart.reg, 0x10001000, 0x100);
	assert_string_equal(b.uart.path, "/soc/uart@1000");
	assert_false(b.uart.from_stdout_path);
	assert_int_equal(b.gic.version, 3);
	assert_range(b.gic.dist, 0x10040000, 0x10000);
	assert_range(b.gic.redist, 0x10080000, 0x100000);
	assert_int_equal(b.gic.maint_irq, 25);

	/* Without a model the first compatible string names the board. */
	assert_int_equal(fdt_delprop(tree, 0, "model"), 0);
	set_strlist(tree, "/", "compatible", "vendor,board\0vendor,soc");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_string_equal(b.model, "vendor,board");
}

static void test_built_board_variants(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;

	/* No UART, no GIC, no PSCI node: still a board. */
	build_board(tree);
	del_node(tree, "/soc/uart@1000");
	del_node(tree, "/soc/interrupt-controller@40000");
	del_node(tree, "/psci");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.uart.kind, DT_UART_NONE);
	assert_int_equal(b.gic.version, 0);
	assert_int_equal(b.psci, DT_PSCI_NONE);

	/* stdout-path picks the second of two PL011s; a disabled one is passed over. */
	build_board(tree);
	add_node(tree, "/soc", "uart@2000");
	set_str(tree, "/soc/uart@2000", "compatible", "arm,pl011");
	set_cells(tree, "/soc/uart@2000", "reg", CELLS(0x2000, 0x100));
	set_str(tree, "/chosen", "stdout-path", "/soc/uart@2000:115200n8");
	set_str(tree, "/psci", "method", "smc");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_range(b.uart.reg, 0x10002000, 0x100);
	assert_true(b.uart.from_stdout_path);
	assert_int_equal(b.psci, DT_PSCI_SMC);
	set_str(tree, "/soc/uart@2000", "status", "disabled");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_range(b.uart.reg, 0x10001000, 0x100);
	assert_false(b.uart.from_stdout_path);

	/* A GICv2 with only GICD and GICC: no virtualization extension regions. */
	build_board(tree);
	set_str(tree, "/soc/interrupt-controller@40000", "compatible", "arm,gic-400");
	set_cells(tree, "/soc/interrupt-controller@40000", "reg",
		  CELLS(0x40000, 0x1000, 0x42000, 0x2000));
	set_cells(tree, "/soc/interrupt-controller@40000", "interrupts", CELLS(0, 9, 4));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.gic.version, 2);
	assert_range(b.gic.dist, 0x10040000, 0x1000);
	assert_range(b.gic.cpu, 0x10042000, 0x2000);
	assert_range(b.gic.hyp, 0, 0);
	assert_range(b.gic.vcpu, 0, 0);
	assert_int_equal(b.gic.maint_irq, 0); /* an SPI is not a maintenance interrupt */

	/*
	 * A GICH entry the bus cannot translate is a broken tree, not a GIC
	 * without the extensions: before, the board kept its size with base 0
	 * (found by fuzz_config), and the device checks saw a GICH at PA 0.
	 */
	set_cells(tree, "/soc/interrupt-controller@40000", "reg",
		  CELLS(0x40000, 0x1000, 0x42000, 0x2000, 0x2000000, 0x2000, 0x46000, 0x2000));
	memset(&b, 0, sizeof(b));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_ERANGE); /* outside the bus's ranges */
	assert_non_null(strstr(err.msg, "does not cover bus range 0x2000000+0x2000"));
	assert_range(b.gic.hyp, 0, 0);
	set_cells(tree, "/soc/interrupt-controller@40000", "reg",
		  CELLS(0x40000, 0x1000, 0x42000, 0x2000, 0x44000, 0x2000, 0x46000, 0x2000));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_range(b.gic.hyp, 0x10044000, 0x2000);
	assert_range(b.gic.vcpu, 0x10046000, 0x2000);

	/* Interrupt numbers in 64 bits (issue 12): SPI 2^32-24 is no INTID, not INTID 8
	   (the kick SGI); PPI 2^32-7 is no maintenance interrupt, not INTID 9. */
	build_board(tree);
	set_cells(tree, "/soc/uart@1000", "interrupts", CELLS(0, 0xffffffe8, 4));
	set_cells(tree, "/soc/interrupt-controller@40000", "interrupts", CELLS(1, 0xfffffff9, 4));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.uart.irq, 0);
	assert_int_equal(b.gic.maint_irq, 0);
	set_cells(tree, "/soc/uart@1000", "interrupts", CELLS(0, 987, 4));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.uart.irq, 1019);

	/* A UART whose compatible lacks its NUL is no PL011 (libfdt would match it). */
	build_board(tree);
	set_prop(tree, "/soc/uart@1000", "compatible", "arm,pl011", 9);
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.uart.kind, DT_UART_NONE);
	/* Nor is a stdout-path without its NUL followed. */
	build_board(tree);
	set_prop(tree, "/chosen", "stdout-path", "/soc/uart@1000", 14);
	assert_true(dt_stdout_node(tree) < 0);
}

static void test_nested_translation(void **state)
{
	(void)state;
	struct dt_range r;
	struct dt_error err;
	uint64_t out;

	build_board(tree);
	add_node(tree, "/soc", "bus@20000");
	set_cells(tree, "/soc/bus@20000", "#address-cells", CELLS(1));
	set_cells(tree, "/soc/bus@20000", "#size-cells", CELLS(1));
	set_cells(tree, "/soc/bus@20000", "ranges",
		  CELLS(0x0, 0x20000, 0x1000, 0x8000, 0x30000, 0x100));
	add_node(tree, "/soc/bus@20000", "dev@10");
	set_cells(tree, "/soc/bus@20000/dev@10", "reg", CELLS(0x10, 0x4, 0x8010, 0x8));
	int dev = node_at(tree, "/soc/bus@20000/dev@10");

	assert_int_equal(dt_node_reg(tree, dev, 0, &r, &err), BH_OK);
	assert_range(r, 0x10020010, 0x4);
	assert_int_equal(dt_node_reg(tree, dev, 1, &r, &err), BH_OK);
	assert_range(r, 0x10030010, 0x8);
	assert_int_equal(dt_translate(tree, dev, 0xfff, 0, &out, &err), BH_OK);
	assert_int_equal(out, 0x10020fff);
	assert_int_equal(dt_translate(tree, dev, 0x1000, 0, &out, &err), BH_ERANGE);
	assert_msg_has(err, "/soc/bus@20000");
	/* A range is translated whole: one that starts in a window but leaves it is refused
	   (issue 12: it would map what lies past the window). */
	assert_int_equal(dt_translate(tree, dev, 0xf00, 0x100, &out, &err), BH_OK);
	assert_int_equal(dt_translate(tree, dev, 0xf00, 0x101, &out, &err), BH_ERANGE);
	set_cells(tree, "/soc/bus@20000/dev@10", "reg", CELLS(0x10, 0x40000000));
	dev = node_at(tree, "/soc/bus@20000/dev@10");
	assert_int_equal(dt_node_reg(tree, dev, 0, &r, &err), BH_ERANGE);
	set_cells(tree, "/soc/bus@20000/dev@10", "reg", CELLS(0x10, 0x4, 0x8010, 0x8));
	dev = node_at(tree, "/soc/bus@20000/dev@10");

	/* An empty `ranges` is the identity map. */
	set_prop(tree, "/soc/bus@20000", "ranges", NULL, 0);
	dev = node_at(tree, "/soc/bus@20000/dev@10");
	assert_int_equal(dt_node_reg(tree, dev, 0, &r, &err), BH_OK);
	assert_range(r, 0x10000010, 0x4);

	/* The outer bus must cover what the inner one translates to. */
	set_cells(tree, "/soc/bus@20000", "ranges", CELLS(0x0, 0x2000000, 0x1000));
	dev = node_at(tree, "/soc/bus@20000/dev@10");
	assert_int_equal(dt_node_reg(tree, dev, 0, &r, &err), BH_ERANGE);
	assert_msg_has(err, "/soc:");
	assert_msg_has(err, "0x2000010");
}

static void test_missing_cpus(void **state)
{
	(void)state;
	build_board(tree);
	del_node(tree, "/cpus");
	expect_parse_error(tree, BH_ENOENT, "/cpus");

	/* /cpus without any CPU node in it. */
	build_board(tree);
	del_node(tree, "/cpus/cpu@0");
	del_node(tree, "/cpus/cpu@100");
	add_node(tree, "/cpus", "cpu-map");
	expect_parse_error(tree, BH_ENOENT, "/cpus");
}

static void test_duplicate_mpidr(void **state)
{
	(void)state;
	build_board(tree);
	set_cells(tree, "/cpus/cpu@100", "reg", CELLS(0));
	expect_parse_error(tree, BH_EEXIST, "/cpus/cpu@100");
}

static void test_cpu_reg_and_cells(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;

	build_board(tree);
	set_cells(tree, "/cpus/cpu@100", "reg", CELLS(0, 0x100));
	expect_parse_error(tree, BH_EINVAL, "/cpus/cpu@100");

	build_board(tree);
	assert_int_equal(fdt_delprop(tree, node_at(tree, "/cpus/cpu@0"), "reg"), 0);
	expect_parse_error(tree, BH_EINVAL, "/cpus/cpu@0");

	build_board(tree);
	set_cells(tree, "/cpus", "#address-cells", CELLS(3));
	expect_parse_error(tree, BH_EINVAL, "/cpus");

	/* Two-cell MPIDRs are read as one 64-bit number. */
	build_board(tree);
	set_cells(tree, "/cpus", "#address-cells", CELLS(2));
	set_cells(tree, "/cpus/cpu@0", "reg", CELLS(0, 0));
	set_cells(tree, "/cpus/cpu@100", "reg", CELLS(0x1, 0x100));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.cpus[1].mpidr, 0x100000100ULL);
}

static void test_cpu_status_and_limits(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;
	char name[16];

	/* "fail" CPUs are left out; "disabled" ones are still started. */
	build_board(tree);
	add_cpu(tree, "cpu@200", 0x200);
	add_cpu(tree, "cpu@300", 0x300);
	set_str(tree, "/cpus/cpu@100", "status", "fail");
	set_str(tree, "/cpus/cpu@200", "status", "disabled");
	set_str(tree, "/cpus/cpu@300", "enable-method", "brcm,bcm2836-smp");
	add_node(tree, "/cpus", "cpu-map");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.cpu_count, 3);
	assert_int_equal(dt_cpu_index(&b, 0x100), -1);
	assert_true(dt_cpu_index(&b, 0) >= 0);
	int i200 = dt_cpu_index(&b, 0x200), i300 = dt_cpu_index(&b, 0x300);
	assert_true(i200 >= 0 && i300 >= 0);
	assert_int_equal(b.cpus[i200].enable, DT_CPU_ENABLE_PSCI);
	assert_int_equal(b.cpus[i300].enable, DT_CPU_ENABLE_NONE);

	/* CPUs beyond DT_MAX_CPUS are counted, not stored. */
	build_board(tree);
	for (unsigned i = 1; i <= DT_MAX_CPUS; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		add_cpu(tree, name, i);
	}
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.cpu_count, DT_MAX_CPUS);
	assert_int_equal(b.cpus_skipped, 2);
}

static void test_spin_table(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;

	build_board(tree);
	set_str(tree, "/cpus/cpu@100", "enable-method", "spin-table");
	expect_parse_error(tree, BH_EINVAL, "/cpus/cpu@100");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_EINVAL);
	assert_msg_has(err, "cpu-release-addr");

	set_cells(tree, "/cpus/cpu@100", "cpu-release-addr", CELLS(0, 0, 0xfff8));
	expect_parse_error(tree, BH_EINVAL, "/cpus/cpu@100");

	set_cells(tree, "/cpus/cpu@100", "cpu-release-addr", CELLS(0x8000fff8));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.cpus[1].enable, DT_CPU_ENABLE_SPIN_TABLE);
	assert_int_equal(b.cpus[1].release_addr, 0x8000fff8);

	set_cells(tree, "/cpus/cpu@100", "cpu-release-addr", CELLS(0x1, 0x8000fff8));
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.cpus[1].release_addr, 0x18000fff8ULL);
}

static void test_reg_length(void **state)
{
	(void)state;
	build_board(tree);
	set_cells(tree, "/memory@80000000", "reg", CELLS(0, 0x80000000, 0x10000000));
	expect_parse_error(tree, BH_EINVAL, "/memory@80000000");

	build_board(tree);
	set_cells(tree, "/soc/uart@1000", "reg", CELLS(0x1000, 0x100, 0x2000));
	expect_parse_error(tree, BH_EINVAL, "/soc/uart@1000");

	build_board(tree);
	set_cells(tree, "/soc/interrupt-controller@40000", "reg", CELLS(0x40000, 0x10000, 0x80000));
	expect_parse_error(tree, BH_EINVAL, "/soc/interrupt-controller@40000");

	/* A GICv3 without its redistributor region. */
	build_board(tree);
	set_cells(tree, "/soc/interrupt-controller@40000", "reg", CELLS(0x40000, 0x10000));
	expect_parse_error(tree, BH_ENOENT, "/soc/interrupt-controller@40000");

	/* A reg entry that wraps around the address space. */
	build_board(tree);
	set_cells(tree, "/memory@80000000", "reg", CELLS(0xffffffff, 0xfffff000, 0, 0x2000));
	expect_parse_error(tree, BH_ERANGE, "/memory@80000000");

	/* Unsupported cell counts on the parent bus. */
	build_board(tree);
	set_cells(tree, "/soc", "#address-cells", CELLS(3));
	expect_parse_error(tree, BH_ENOTSUP, "/soc");
}

static void test_bus_without_ranges(void **state)
{
	(void)state;
	struct dt_range r;
	struct dt_error err;

	build_board(tree);
	assert_int_equal(fdt_delprop(tree, node_at(tree, "/soc"), "ranges"), 0);
	expect_parse_error(tree, BH_EINVAL, "/soc");
	int uart = node_at(tree, "/soc/uart@1000");
	assert_int_equal(dt_node_reg(tree, uart, 0, &r, &err), BH_EINVAL);
	assert_msg_has(err, "/soc:");
	assert_msg_has(err, "ranges");
	assert_msg_has(err, "0x1000");
}

static void test_ranges_errors(void **state)
{
	(void)state;
	struct dt_range r;
	struct dt_error err;

	/* The range ends exactly where the UART starts. */
	build_board(tree);
	set_cells(tree, "/soc", "ranges", CELLS(0, 0, 0x10000000, 0x1000));
	expect_parse_error(tree, BH_ERANGE, "/soc");
	assert_int_equal(dt_node_reg(tree, node_at(tree, "/soc/uart@1000"), 0, &r, &err),
			 BH_ERANGE);
	assert_msg_has(err, "/soc:");
	assert_msg_has(err, "0x1000");

	/* One cell short of an entry (1 + 2 + 1 cells each). */
	build_board(tree);
	set_cells(tree, "/soc", "ranges", CELLS(0, 0, 0x10000000));
	expect_parse_error(tree, BH_EINVAL, "/soc");
	assert_int_equal(dt_node_reg(tree, node_at(tree, "/soc/uart@1000"), 0, &r, &err),
			 BH_EINVAL);
	assert_msg_has(err, "ranges");

	/* The second entry covers it. */
	build_board(tree);
	set_cells(tree, "/soc", "ranges",
		  CELLS(0x8000, 0, 0x20000000, 0x1000, 0, 0, 0x30000000, 0x100000));
	assert_int_equal(dt_node_reg(tree, node_at(tree, "/soc/uart@1000"), 0, &r, &err), BH_OK);
	assert_range(r, 0x30001000, 0x100);
}

static void test_memory(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;

	/* Several ranges, zero-sized entries and disabled nodes are skipped. */
	build_board(tree);
	set_cells(tree, "/memory@80000000", "reg",
		  CELLS(0, 0x80000000, 0, 0x10000000, 0, 0xa0000000, 0, 0, 0x8, 0, 0x1, 0));
	add_node(tree, "/", "memory@c0000000");
	set_str(tree, "/memory@c0000000", "device_type", "memory");
	set_cells(tree, "/memory@c0000000", "reg", CELLS(0, 0xc0000000, 0, 0x1000000));
	set_str(tree, "/memory@c0000000", "status", "disabled");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.mem_count, 2);
	assert_range(b.mem[0], 0x80000000, 0x10000000);
	assert_range(b.mem[1], 0x800000000ULL, 0x100000000ULL);

	/* No memory node at all. */
	build_board(tree);
	del_node(tree, "/memory@80000000");
	expect_parse_error(tree, BH_ENOENT, "/memory");

	/* A memory node without reg. */
	build_board(tree);
	assert_int_equal(fdt_delprop(tree, node_at(tree, "/memory@80000000"), "reg"), 0);
	expect_parse_error(tree, BH_ENOENT, "/memory@80000000");

	/* More ranges than the table holds. */
	build_board(tree);
	uint32_t cells[4 * (DT_MAX_MEM + 1)];
	for (unsigned i = 0; i <= DT_MAX_MEM; i++) {
		cells[4 * i] = 0;
		cells[4 * i + 1] = 0x80000000 + i * 0x1000000;
		cells[4 * i + 2] = 0;
		cells[4 * i + 3] = 0x1000000;
	}
	set_cells(tree, "/memory@80000000", "reg", cells, sizeof(cells) / sizeof(cells[0]));
	expect_parse_error(tree, BH_ENOMEM, "/memory@80000000");
}

static void test_reserved_memory(void **state)
{
	(void)state;
	struct dt_board b;
	struct dt_error err;

	build_board(tree);
	assert_int_equal(fdt_add_mem_rsv(tree, 0x80000000, 0x1000), 0);
	assert_int_equal(fdt_add_mem_rsv(tree, 0x81000000, 0), 0);
	add_node(tree, "/", "reserved-memory");
	set_cells(tree, "/reserved-memory", "#address-cells", CELLS(2));
	set_cells(tree, "/reserved-memory", "#size-cells", CELLS(2));
	set_prop(tree, "/reserved-memory", "ranges", NULL, 0);
	add_node(tree, "/reserved-memory", "firmware@8f000000");
	set_cells(tree, "/reserved-memory/firmware@8f000000", "reg",
		  CELLS(0, 0x8f000000, 0, 0x100000));
	add_node(tree, "/reserved-memory", "cma");
	set_cells(tree, "/reserved-memory/cma", "size", CELLS(0, 0x4000000));
	add_node(tree, "/reserved-memory", "off@8e000000");
	set_cells(tree, "/reserved-memory/off@8e000000", "reg", CELLS(0, 0x8e000000, 0, 0x1000));
	set_str(tree, "/reserved-memory/off@8e000000", "status", "disabled");
	assert_int_equal(dt_parse_board(tree, &b, &err), BH_OK);
	assert_int_equal(b.reserved_count, 2);
	assert_range(b.reserved[0], 0x80000000, 0x1000);
	assert_range(b.reserved[1], 0x8f000000, 0x100000);

	set_cells(tree, "/reserved-memory/firmware@8f000000", "reg", CELLS(0, 0x8f000000, 0));
	expect_parse_error(tree, BH_EINVAL, "/reserved-memory/firmware@8f000000");
}

/* ---------------------------------------------------------------- dt_check_blob */

static void test_check_blob_valid_small(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_OK);
	free(fdt);
}

static void test_check_blob_bad_magic(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);
	fdt[0] ^= 0x01;
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	assert_msg_has(err, "header");
	assert_msg_has(err, fdt_strerror(-FDT_ERR_BADMAGIC));
	free(fdt);
}

static void test_check_blob_too_large(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);
	assert_int_equal(dt_check_blob(fdt, size - 1, &err), BH_EINVAL);
	assert_msg_has(err, "totalsize");
	/* totalsize itself claims more than the buffer holds. */
	fdt_set_totalsize(fdt, (uint32_t)size + 8);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	assert_msg_has(err, "totalsize");
	free(fdt);
}

static void test_check_blob_truncated(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);

	/* Only the first half was loaded: nothing past it may be read. */
	struct guarded g;
	size_t half = size / 2 & ~(size_t)7;
	char *cut = guarded_copy(fdt, half, &g);
	assert_int_equal(dt_check_blob(cut, half, &err), BH_EINVAL);
	assert_msg_has(err, "totalsize");

	/* The same with a header that admits it: the blocks no longer fit. */
	fdt_set_totalsize(cut, (uint32_t)half);
	assert_int_equal(dt_check_blob(cut, half, &err), BH_EINVAL);
	assert_msg_has(err, "header");
	guarded_free(&g);

	/* A strings block that claims to run past the end of the blob. */
	fdt_set_size_dt_strings(fdt, fdt_size_dt_strings(fdt) + 64);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	free(fdt);
}

static void test_check_blob_short_buffer(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);

	/* Fewer bytes than a header (a valid magic, then the page ends): only those are read. */
	struct guarded g;
	char *tiny = guarded_copy(fdt, 16, &g);
	assert_int_equal(dt_check_blob(tiny, 16, &err), BH_EINVAL);
	assert_msg_has(err, "header");
	guarded_free(&g);
	free(fdt);
}

static void test_check_blob_bad_nameoff(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);

	int prop = fdt_first_property_offset(fdt, 0);
	assert_true(prop >= 0);
	struct fdt_property *p = (struct fdt_property *)(fdt + fdt_off_dt_struct(fdt) + prop);
	assert_int_equal(fdt32_to_cpu(p->tag), FDT_PROP);
	assert_true(fdt32_to_cpu(p->nameoff) < fdt_size_dt_strings(fdt));
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_OK);

	p->nameoff = cpu_to_fdt32(fdt_size_dt_strings(fdt) + 100);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	assert_msg_has(err, "structure");

	/* One byte past the end of the strings block is outside it too. */
	p->nameoff = cpu_to_fdt32(fdt_size_dt_strings(fdt));
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	free(fdt);
}

static void test_check_blob_bad_tag(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);

	int prop = fdt_first_property_offset(fdt, 0);
	assert_true(prop >= 0);
	struct fdt_property *p = (struct fdt_property *)(fdt + fdt_off_dt_struct(fdt) + prop);
	p->tag = cpu_to_fdt32(0x7);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	assert_msg_has(err, "structure");
	free(fdt);
}

/*
 * Property lengths that wrap libfdt 1.6.1's int offset: 0xfffffff4 points the
 * next tag back at this one (fdt_check_full() looped for ever, found by the
 * config fuzzer), 0xfffffff8 one word further. The walk must refuse both.
 */
static void test_check_blob_prop_length_wraps(void **state)
{
	(void)state;
	static const uint32_t lengths[] = {0xfffffff4U, 0xfffffff8U, 0xffffffffU, 0x1000U};
	struct dt_error err;
	size_t size;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		char *fdt = packed_board(&size);
		int prop = fdt_first_property_offset(fdt, 0);
		assert_true(prop >= 0);
		struct fdt_property *p =
			(struct fdt_property *)(fdt + fdt_off_dt_struct(fdt) + prop);
		p->len = cpu_to_fdt32(lengths[i]);
		assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
		assert_msg_has(err, "has length 0x");
		assert_msg_has(err, "past the block's end");
		free(fdt);
	}
}

static void test_check_blob_struct_walk(void **state)
{
	(void)state;
	struct dt_error err;
	size_t size;
	char *fdt = packed_board(&size);
	char *blk = fdt + fdt_off_dt_struct(fdt);
	uint32_t struct_size = fdt_size_dt_struct(fdt);

	/* The last tag is FDT_END: without it the walk reaches the block's end. */
	assert_int_equal(fdt32_to_cpu(*(fdt32_t *)(blk + struct_size - 4)), FDT_END);
	*(fdt32_t *)(blk + struct_size - 4) = cpu_to_fdt32(FDT_NOP);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	assert_msg_has(err, "no FDT_END tag");
	*(fdt32_t *)(blk + struct_size - 4) = cpu_to_fdt32(FDT_END);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_OK);

	/* A node name with no NUL before the block ends: the block ends at its name. */
	int node = fdt_first_subnode(fdt, 0);
	assert_true(node > 0);
	fdt_set_size_dt_struct(fdt, (uint32_t)node + 6);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	assert_msg_has(err, "the node name at 0x");
	assert_msg_has(err, "runs past the block's end");
	fdt_set_size_dt_struct(fdt, struct_size);

	/* Version 16 headers have no size_dt_struct to bound the walk. */
	fdt_set_version(fdt, 16);
	assert_int_equal(dt_check_blob(fdt, size, &err), BH_EINVAL);
	assert_msg_has(err, "version 16 is older than 17");
	free(fdt);
}

/* ---------------------------------------------------------------- fdt_util */

static void test_fdt_util(void **state)
{
	(void)state;
	const char *s = NULL;
	size_t len = 0;
	struct dt_error err;

	build_board(tree);
	/* Strings: exactly one, its NUL the property's last byte. */
	assert_int_equal(dt_get_string(tree, node_at(tree, "/psci"), "method", &s, &len), BH_OK);
	assert_string_equal(s, "hvc");
	assert_int_equal(len, 3);
	assert_int_equal(dt_get_string(tree, node_at(tree, "/psci"), "nothing", &s, &len),
			 BH_ENOENT);
	set_prop(tree, "/psci", "method", "hvc", 3); /* no NUL */
	assert_int_equal(dt_get_string(tree, node_at(tree, "/psci"), "method", &s, &len),
			 BH_EINVAL);
	assert_false(dt_prop_is(tree, node_at(tree, "/psci"), "method", "hvc"));
	set_prop(tree, "/psci", "method", "hvc\0x", 6); /* two strings */
	assert_int_equal(dt_get_string(tree, node_at(tree, "/psci"), "method", &s, &len),
			 BH_EINVAL);
	assert_false(dt_prop_is(tree, node_at(tree, "/psci"), "method", "hvc"));
	set_prop(tree, "/psci", "method", "", 0);
	assert_int_equal(dt_get_string(tree, node_at(tree, "/psci"), "method", &s, &len),
			 BH_EINVAL);
	set_str(tree, "/psci", "method", "smc");
	assert_true(dt_prop_is(tree, node_at(tree, "/psci"), "method", "smc"));
	assert_false(dt_prop_is(tree, node_at(tree, "/psci"), "method", "sm"));

	/* status: absent, "okay" and "ok" are available; anything else, or "okay" unterminated,
	 * not. */
	assert_true(dt_node_available(tree, node_at(tree, "/psci")));
	set_str(tree, "/psci", "status", "ok");
	assert_true(dt_node_available(tree, node_at(tree, "/psci")));
	set_str(tree, "/psci", "status", "okay");
	assert_true(dt_node_available(tree, node_at(tree, "/psci")));
	set_prop(tree, "/psci", "status", "okay", 4);
	assert_false(dt_node_available(tree, node_at(tree, "/psci")));
	set_str(tree, "/psci", "status", "disabled");
	assert_false(dt_node_available(tree, node_at(tree, "/psci")));

	/* compatible: a list of NUL-terminated strings. libfdt compares one byte past a
	   last string without its NUL (the padding's zero) and would match it. */
	int uart = node_at(tree, "/soc/uart@1000");
	assert_true(dt_compatible(tree, uart, "arm,primecell"));
	assert_true(dt_compatible(tree, uart, "arm,pl011"));
	assert_false(dt_compatible(tree, uart, "arm,pl01"));
	assert_int_equal(dt_find_compatible(tree, -1, "arm,pl011"), uart);
	assert_true(dt_find_compatible(tree, uart, "arm,pl011") < 0);
	set_prop(tree, "/soc/uart@1000", "compatible", "arm,pl011", 9);
	uart = node_at(tree, "/soc/uart@1000");
	assert_int_equal(fdt_node_check_compatible(tree, uart, "arm,pl011"), 0); /* libfdt */
	assert_false(dt_compatible(tree, uart, "arm,pl011"));
	assert_true(dt_find_compatible(tree, -1, "arm,pl011") < 0);
	set_prop(tree, "/soc/uart@1000", "compatible", "", 0);
	assert_false(dt_compatible(tree, node_at(tree, "/soc/uart@1000"), ""));
	build_board(tree);

	/* Phandles 0 and ~0 name no node. */
	assert_int_equal(fdt_setprop_u32(tree, node_at(tree, "/psci"), "phandle", 7), 0);
	assert_int_equal(dt_node_of_phandle(tree, 7), node_at(tree, "/psci"));
	assert_true(dt_node_of_phandle(tree, 0) < 0);
	assert_true(dt_node_of_phandle(tree, ~0U) < 0);
	assert_true(dt_node_of_phandle(tree, 8) < 0);

	/* Numbers of one and two cells. */
	const fdt32_t cells[] = {cpu_to_fdt32(0x12), cpu_to_fdt32(0x3456789a)};
	assert_int_equal(dt_read_cells(cells, 1), 0x12);
	assert_int_equal(dt_read_cells(cells, 2), 0x123456789aULL);

	/* Messages: the node's path first; none for a NULL error. */
	assert_int_equal(dt_fail(&err, tree, node_at(tree, "/soc/uart@1000"), BH_ERANGE, "x %d", 1),
			 BH_ERANGE);
	assert_string_equal(err.msg, "/soc/uart@1000: x 1");
	assert_int_equal(dt_fail(&err, tree, -1, BH_EINVAL, "y"), BH_EINVAL);
	assert_string_equal(err.msg, "?: y");
	assert_int_equal(dt_fail(NULL, tree, 0, BH_EIO, "z"), BH_EIO);
	char path[32];
	dt_node_path(tree, 3, path, sizeof(path)); /* not a node's offset */
	assert_string_equal(path, "(node at offset 3)");
}

/* ---------------------------------------------------------------- dt_bootarg */

static void test_bootarg(void **state)
{
	(void)state;
	char out[32];

	memset(out, 'X', sizeof(out));
	assert_true(dt_bootarg("a bulkhead.exit=poweroff b", "bulkhead.exit", out, sizeof(out)));
	assert_string_equal(out, "poweroff");

	/* A key that is a prefix of another key, or the other way round, is not matched. */
	assert_false(dt_bootarg("bulkhead.exitcode=3", "bulkhead.exit", out, sizeof(out)));
	assert_false(dt_bootarg("bulkhead.exitcode", "bulkhead.exit", out, sizeof(out)));
	assert_false(dt_bootarg("bulkhead=1 xbulkhead.exit=1", "bulkhead.exit", out, sizeof(out)));
	assert_true(dt_bootarg("bulkhead.exitcode=3 bulkhead.exit=reset", "bulkhead.exit", out,
			       sizeof(out)));
	assert_string_equal(out, "reset");

	/* A bare key gives "". */
	memset(out, 'X', sizeof(out));
	assert_true(dt_bootarg("quiet bulkhead.debug", "bulkhead.debug", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(dt_bootarg("bulkhead.debug quiet", "bulkhead.debug", out, sizeof(out)));
	assert_string_equal(out, "");

	/* Absent. */
	assert_false(dt_bootarg("a b=c", "bulkhead.exit", out, sizeof(out)));
	assert_false(dt_bootarg("", "bulkhead.exit", out, sizeof(out)));
	assert_false(dt_bootarg("   ", "bulkhead.exit", out, sizeof(out)));

	/* Extra spaces, '=' inside the value, an empty value, a short buffer. */
	assert_true(dt_bootarg("  k=v  ", "k", out, sizeof(out)));
	assert_string_equal(out, "v");
	assert_true(dt_bootarg("root=PARTUUID=1234 ro", "root", out, sizeof(out)));
	assert_string_equal(out, "PARTUUID=1234");
	memset(out, 'X', sizeof(out));
	assert_true(dt_bootarg("k= x", "k", out, sizeof(out)));
	assert_string_equal(out, "");
	memset(out, 'X', sizeof(out));
	assert_true(dt_bootarg("bulkhead.exit=poweroff", "bulkhead.exit", out, 4));
	assert_string_equal(out, "pow");
	assert_int_equal(out[4], 'X');
	/* The first occurrence wins. */
	assert_true(dt_bootarg("k=1 k=2", "k", out, sizeof(out)));
	assert_string_equal(out, "1");
}

int main(void)
{
	if (getenv("BH_TEST_DTB_DIR") == NULL) {
		fprintf(stderr, "test_dt: set BH_TEST_DTB_DIR to the directory holding "
				"qemu-virt-gicv3.dtb, qemu-virt-gicv2.dtb and bcm2711-rpi-4-b.dtb "
				"(make unit-tests does)\n");
		return 1;
	}
	/* Here, not in a group setup: cmocka 1.1 exits 0 when that fails. */
	if (load_blobs() != 0) {
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_trees_pass_check),
		cmocka_unit_test(test_qemu_gicv3_board),
		cmocka_unit_test(test_qemu_gicv2_board),
		cmocka_unit_test(test_rpi4_without_memory_fails),
		cmocka_unit_test(test_rpi4_board),
		cmocka_unit_test(test_stdout_node),
		cmocka_unit_test(test_node_reg_real),
		cmocka_unit_test(test_translate_real),
		cmocka_unit_test(test_cpu_index),
		cmocka_unit_test(test_built_board),
		cmocka_unit_test(test_built_board_variants),
		cmocka_unit_test(test_nested_translation),
		cmocka_unit_test(test_missing_cpus),
		cmocka_unit_test(test_duplicate_mpidr),
		cmocka_unit_test(test_cpu_reg_and_cells),
		cmocka_unit_test(test_cpu_status_and_limits),
		cmocka_unit_test(test_spin_table),
		cmocka_unit_test(test_reg_length),
		cmocka_unit_test(test_bus_without_ranges),
		cmocka_unit_test(test_ranges_errors),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_reserved_memory),
		cmocka_unit_test(test_check_blob_valid_small),
		cmocka_unit_test(test_check_blob_bad_magic),
		cmocka_unit_test(test_check_blob_too_large),
		cmocka_unit_test(test_check_blob_truncated),
		cmocka_unit_test(test_check_blob_short_buffer),
		cmocka_unit_test(test_check_blob_bad_nameoff),
		cmocka_unit_test(test_check_blob_bad_tag),
		cmocka_unit_test(test_check_blob_prop_length_wraps),
		cmocka_unit_test(test_check_blob_struct_walk),
		cmocka_unit_test(test_fdt_util),
		cmocka_unit_test(test_bootarg),
	};
	return cmocka_run_group_tests_name("dt", tests, NULL, free_blobs);
}
