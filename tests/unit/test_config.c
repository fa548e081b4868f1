// SPDX-License-Identifier: MIT
/*
 * Unit tests for the configuration parser, core/config*.c (the /bulkhead
 * binding, docs/binding.md), and the host tool bhconfig.
 *
 * - The range helpers of core/types.h and config_ipa_to_pa, directly.
 * - The corpus: every .dts in tests/configs/good and partitions parses;
 *   every one in tests/configs/bad fails with exactly the message its
 *   `// expect: <message>` line gives. A `hyp: BASE:SIZE` line sets the
 *   hypervisor footprint (default 0x40200000:4M, as bhconfig's). Every
 *   mismatch is shown before the test fails. A `limits: BITS:LINES` line sets
 *   the IPA size and GIC lines (default 48:1020, the architecture's limits).
 * - Exact results for chosen systems: the example's partition map, root
 *   ordering, the entry image rule, CPUs looked up by MPIDR after the
 *   hypervisor moved the boot CPU to index 0, #address-cells = <1>.
 * - Variants of one system patched with libfdt: alignment, adjacency and
 *   overlap at the edges, duplicate names dtc cannot express.
 * - The board .dtsi files give the same board as QEMU's and Debian's trees.
 * - bhconfig check/show/dtb: exit status and output.
 * - The crash policy (tools/policy.c): bhconfig's own checks, which the corpus
 *   runs after the parser's, and the /bulkhead-partitions node of the root's
 *   generated tree.
 * Sources are compiled with dtc (-i boards) into a temporary directory.
 */
#define _DEFAULT_SOURCE /* mkdtemp, popen */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <core/config.h>
#include <core/dt.h>
#include <libfdt.h>

#include "policy.h"

#ifndef BH_SRC_DIR
#define BH_SRC_DIR "."
#endif
#ifndef BH_BHCONFIG
#define BH_BHCONFIG BH_SRC_DIR "/build/host/bhconfig"
#endif

#define DEFAULT_HYP_BASE 0x40200000ULL
#define DEFAULT_HYP_SIZE MiB(4)

static char tmpdir[] = "/tmp/bh-test-config-XXXXXX";

/* A system tree and what the parsers made of it. */
struct sys {
	char *fdt;
	size_t size;
	struct dt_board board;
	struct config cfg;
	struct dt_error err;
	struct pa_range hyp;
	unsigned ipa_bits,
		gic_lines; /* default 48 and 1020; a `limits: BITS:LINES` line sets them */
	int rc;
};

#define assert_msg_has(msg, text)                                                                  \
	do {                                                                                       \
		if (strstr((msg), (text)) == NULL) {                                               \
			print_error("message \"%s\"\n  does not contain \"%s\"\n", (msg), (text)); \
			fail();                                                                    \
		}                                                                                  \
	} while (0)

/* ---------------------------------------------------------------- helpers */

static char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	char *data = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
			data = malloc((size_t)n + 1);
			if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
				free(data);
				data = NULL;
			} else if (data != NULL) {
				data[n] = '\0';
				*size = (size_t)n;
			}
		}
	}
	fclose(f);
	return data;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/*
 * A 4 KiB stand-in for a program: zeros, with an arm64 Image's magic at byte
 * 56 (booting.rst), which `layout` checks of a format "linux" file.
 */
static void write_stub_image(const char *path)
{
	static char image[4096];
	memcpy(image + 56, "ARM\x64", 4);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(image, 1, sizeof(image), f), sizeof(image));
	assert_int_equal(fclose(f), 0);
}

/* Runs a shell command; its exit status, and stdout+stderr in out (malloc'd). */
static int run(const char *cmd, char **out)
{
	char full[2048];
	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	assert_non_null(p);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			cap *= 2;
			char *bigger = realloc(buf, cap);
			assert_non_null(bigger);
			buf = bigger;
		}
	}
	buf[n] = '\0';
	int status = pclose(p);
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Compiles device-tree source as bhconfig does; the blob is malloc'd. */
static char *compile(const char *dts, size_t *size)
{
	char cmd[1024], dtb[256], *out;
	snprintf(dtb, sizeof(dtb), "%s/out.dtb", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "dtc -I dts -O dtb -W no-unit_address_vs_reg -W no-reg_format "
		 "-W no-avoid_default_addr_size -W no-avoid_unnecessary_addr_size "
		 "-i %s/boards -o %s %s",
		 BH_SRC_DIR, dtb, dts);
	int rc = run(cmd, &out);
	if (rc != 0) {
		print_error("%s: dtc failed:\n%s\n", dts, out);
	}
	free(out);
	assert_int_equal(rc, 0);
	char *blob = read_file(dtb, size);
	assert_non_null(blob);
	return blob;
}

/*
 * The value of a `key: value` line in a source file's comments ("// key:"
 * or " * key:"), copied into out; false if there is none.
 */
static bool directive(const char *path, const char *key, char *out, size_t size)
{
	size_t len;
	char *text = read_file(path, &len);
	assert_non_null(text);
	size_t keylen = strlen(key);
	bool found = false;
	for (char *line = strtok(text, "\n"); line != NULL && !found; line = strtok(NULL, "\n")) {
		while (*line == ' ' || *line == '\t' || *line == '/' || *line == '*') {
			line++;
		}
		if (strncmp(line, key, keylen) == 0 && line[keylen] == ':' &&
		    line[keylen + 1] == ' ') {
			snprintf(out, size, "%s", line + keylen + 2);
			found = true;
		}
	}
	free(text);
	return found;
}

static uint64_t number(const char *s, char **end)
{
	uint64_t v = strtoull(s, end, 0);
	switch (**end) {
	case 'K':
		v <<= 10;
		(*end)++;
		break;
	case 'M':
		v <<= 20;
		(*end)++;
		break;
	default:
		break;
	}
	return v;
}

static struct pa_range hyp_of(const char *path)
{
	char value[64];
	struct pa_range hyp = pa_range(pa_init(DEFAULT_HYP_BASE), DEFAULT_HYP_SIZE);
	if (directive(path, "hyp", value, sizeof(value))) {
		char *end;
		hyp.base = pa_init(number(value, &end));
		assert_int_equal(*end, ':');
		hyp.size = number(end + 1, &end);
	}
	return hyp;
}

/* The hypervisor's parser alone: what it accepts at boot. */
static int parse_hypervisor(struct sys *s)
{
	s->rc = config_parse(s->fdt, &s->board,
			     (struct config_limits){s->hyp, s->ipa_bits, s->gic_lines}, &s->cfg,
			     &s->err);
	return s->rc;
}

/* The parser, then bhconfig's host-only checks: what `bhconfig check` accepts. */
static int parse(struct sys *s)
{
	if (parse_hypervisor(s) == BH_OK) {
		s->rc = policy_check(s->fdt, &s->cfg, &s->err);
	}
	return s->rc;
}

/* Compiles and parses a system file; the board must be fine. */
static struct sys *load_system(const char *path)
{
	struct sys *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->fdt = compile(path, &s->size);
	if (dt_check_blob(s->fdt, s->size, &s->err) != BH_OK ||
	    dt_parse_board(s->fdt, &s->board, &s->err) != BH_OK) {
		print_error("%s: board: %s\n", path, s->err.msg);
		fail();
	}
	s->hyp = hyp_of(path);
	char value[64];
	s->ipa_bits = 48;
	s->gic_lines = 1020;
	if (directive(path, "limits", value, sizeof(value))) {
		assert_int_equal(sscanf(value, "%u:%u", &s->ipa_bits, &s->gic_lines), 2);
	}
	parse(s);
	return s;
}

static void free_system(struct sys *s)
{
	free(s->fdt);
	free(s);
}

/* A writable copy of s->fdt with room to grow, for patching. */
static void make_writable(struct sys *s)
{
	size_t size = s->size + 4096;
	char *copy = malloc(size);
	assert_non_null(copy);
	assert_int_equal(fdt_open_into(s->fdt, copy, (int)size), 0);
	free(s->fdt);
	s->fdt = copy;
	s->size = size;
}

static void set_cells(struct sys *s, const char *path, const char *prop, const uint32_t *cells,
		      size_t count)
{
	fdt32_t be[64];
	assert_true(count <= 64);
	for (size_t i = 0; i < count; i++) {
		be[i] = cpu_to_fdt32(cells[i]);
	}
	int node = fdt_path_offset(s->fdt, path);
	assert_true(node >= 0);
	assert_int_equal(fdt_setprop(s->fdt, node, prop, be, (int)(count * 4)), 0);
}

#define CELLS(...) (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / 4

/* The sorted .dts files of a directory under the source tree. */
static int list_dts(const char *dir, struct dirent ***names)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", BH_SRC_DIR, dir);
	int n = scandir(path, names, NULL, alphasort);
	assert_true(n >= 0);
	int kept = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen((*names)[i]->d_name);
		if (len > 4 && strcmp((*names)[i]->d_name + len - 4, ".dts") == 0) {
			(*names)[kept++] = (*names)[i];
		} else {
			free((*names)[i]);
		}
	}
	return kept;
}

static void free_list(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++) {
		free(names[i]);
	}
	free(names);
}

static struct sys *load_src(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", BH_SRC_DIR, rel);
	return load_system(path);
}

static struct sys *load_ok(const char *rel)
{
	struct sys *s = load_src(rel);
	if (s->rc != BH_OK) {
		print_error("%s: %s\n", rel, s->err.msg);
		fail();
	}
	return s;
}

/* Invariants of every accepted configuration. */
static void check_invariants(const char *name, const struct sys *s)
{
	const struct config *cfg = &s->cfg;
	uint64_t cpus = 0;
	assert_true(cfg->partition_count >= 1);
	assert_string_equal(s->err.msg, "");
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		assert_int_equal(p->id, i);
		assert_int_equal(p->is_root, i == 0);
		assert_true(p->cpu_count >= 1);
		assert_int_equal((unsigned)__builtin_popcountll(p->cpu_mask), p->cpu_count);
		assert_int_equal(cpus & p->cpu_mask, 0);
		cpus |= p->cpu_mask;
		assert_true(p->mem_count >= 1);
		assert_true(p->image_count >= 1);
		assert_true(p->entry_image < p->image_count);
		assert_true(strncmp(p->path, "/bulkhead/", 10) == 0);
		assert_string_equal(p->path + 10, p->name);
		for (unsigned k = 0; k < p->image_count; k++) {
			paddr_t pa;
			if (!config_ipa_to_pa(p, p->images[k].load_ipa, p->images[k].size, &pa)) {
				print_error("%s: %s image %u not in memory\n", name, p->name, k);
				fail();
			}
		}
	}
}

/* ---------------------------------------------------------------- ranges */

static void test_range_helpers(void **state)
{
	(void)state;
	/* [0x1000, 0x2000) against neighbours and itself. */
	assert_true(range_overlaps(0x1000, 0x1000, 0x1000, 0x1000));
	assert_true(range_overlaps(0x1000, 0x1000, 0x1fff, 1));
	assert_true(range_overlaps(0x1fff, 1, 0x1000, 0x1000));
	assert_true(range_overlaps(0x1000, 0x1000, 0x0, 0x1001));
	assert_true(range_overlaps(0x1800, 0x10, 0x1000, 0x1000));    /* inside */
	assert_true(range_overlaps(0x1000, 0x1000, 0x1800, 0x10));    /* around */
	assert_false(range_overlaps(0x1000, 0x1000, 0x2000, 0x1000)); /* adjacent above */
	assert_false(range_overlaps(0x1000, 0x1000, 0x0, 0x1000));    /* adjacent below */
	/* Empty ranges overlap nothing, not even themselves. */
	assert_false(range_overlaps(0x1000, 0, 0x1000, 0x1000));
	assert_false(range_overlaps(0x1000, 0x1000, 0x1800, 0));
	/* At the top of the address space, without overflow. */
	assert_true(range_overlaps(UINT64_MAX - 0xfff, 0x1000, UINT64_MAX, 1));
	assert_true(range_overlaps(0xffffffffffff0000ULL, 0x10000, 0xfffffffffffff000ULL, 0x1000));
	assert_false(range_overlaps(0xffffffffffff0000ULL, 0x10000, 0, 0x1000));
	assert_true(range_overlaps(0, UINT64_MAX, UINT64_MAX - 1, 1));
	/* A range past the top is cut at it: it does not wrap onto address 0. */
	assert_false(range_overlaps(UINT64_MAX - 0xfff, 0x2000, 0, 0x1000));
	assert_true(range_overlaps(UINT64_MAX - 0xfff, 0x2000, UINT64_MAX, 1));
	assert_false(range_within(UINT64_MAX - 0xfff, 0x2000, 0, 0x2000));

	assert_true(range_within(0x1000, 0x1000, 0x1000, 0x1000));
	assert_true(range_within(0x1800, 0x800, 0x1000, 0x1000));
	assert_true(range_within(0x1000, 1, 0x1000, 0x1000));
	assert_false(range_within(0x1800, 0x801, 0x1000, 0x1000)); /* one byte over */
	assert_false(range_within(0xfff, 0x10, 0x1000, 0x1000));   /* one byte under */
	assert_false(range_within(0x1000, 0, 0x1000, 0x1000));
	assert_false(range_within(0x1000, 0x10, 0x1000, 0));
	assert_true(range_within(UINT64_MAX, 1, 0xfffffffffffff000ULL, 0x1000));
	assert_true(range_within(0x40000000, 0x1000, 0, UINT64_MAX));
	/* The typed ranges are the same checks. */
	assert_true(
		pa_range_overlaps(pa_range(pa_init(0x1000), 0x1000), pa_range(pa_init(0x1fff), 1)));
	assert_false(
		pa_range_overlaps(pa_range(pa_init(0x1000), 0x1000), pa_range(pa_init(0x2000), 1)));
	assert_true(ipa_range_within(ipa_range(ipa_init(0x1800), 0x800),
				     ipa_range(ipa_init(0x1000), 0x1000)));
	assert_false(ipa_range_within(ipa_range(ipa_init(0x1800), 0x801),
				      ipa_range(ipa_init(0x1000), 0x1000)));
}

/* config_ipa_to_pa with raw numbers: true and the PA, or false. */
static bool ipa_to_pa(const struct config_partition *p, uint64_t ipa, uint64_t size, uint64_t *pa)
{
	paddr_t out = pa_init(0);
	bool ok = config_ipa_to_pa(p, ipa_init(ipa), size, &out);
	*pa = pa_addr(out);
	return ok;
}

static void test_ipa_to_pa(void **state)
{
	(void)state;
	struct config_partition p = {
		.mem = {{ipa_init(0x40000000), pa_init(0x81000000), 0x100000},
			/* IPA-contiguous, PA elsewhere */
			{ipa_init(0x40100000), pa_init(0x90000000), 0x100000},
			{ipa_init(0x1000000000), pa_init(0x82000000), 0x1000}},
		.mem_count = 3,
	};
	uint64_t pa = 0;
	assert_true(ipa_to_pa(&p, 0x40000000, 0x100000, &pa));
	assert_int_equal(pa, 0x81000000);
	assert_true(ipa_to_pa(&p, 0x40080010, 0x10, &pa));
	assert_int_equal(pa, 0x81080010);
	assert_true(ipa_to_pa(&p, 0x401fffff, 1, &pa));
	assert_int_equal(pa, 0x900fffff);
	assert_true(ipa_to_pa(&p, 0x1000000ffc, 4, &pa));
	assert_int_equal(pa, 0x82000ffc);
	/* Size 0: the address alone. */
	assert_true(ipa_to_pa(&p, 0x40100000, 0, &pa));
	assert_int_equal(pa, 0x90000000);
	assert_false(ipa_to_pa(&p, 0x40200000, 0, &pa));
	/* Across two regions, even IPA-contiguous ones: no single PA range. */
	assert_false(ipa_to_pa(&p, 0x400ff000, 0x2000, &pa));
	/* Outside, partly outside, wrapping. */
	assert_false(ipa_to_pa(&p, 0x3ffff000, 0x1000, &pa));
	assert_false(ipa_to_pa(&p, 0x3ffff000, 0x2000, &pa));
	assert_false(ipa_to_pa(&p, 0x1000000ffc, 8, &pa));
	assert_false(ipa_to_pa(&p, UINT64_MAX, 2, &pa));
	p.mem_count = 0;
	assert_false(ipa_to_pa(&p, 0x40000000, 1, &pa));
}

/* ---------------------------------------------------------------- corpus */

static void test_good_corpus(void **state)
{
	(void)state;
	struct dirent **names;
	int n = list_dts("tests/configs/good", &names);
	assert_true(n >= 5);
	for (int i = 0; i < n; i++) {
		char rel[512];
		snprintf(rel, sizeof(rel), "tests/configs/good/%s", names[i]->d_name);
		struct sys *s = load_ok(rel);
		check_invariants(rel, s);
		free_system(s);
	}
	free_list(names, n);
}

static void test_bad_corpus(void **state)
{
	(void)state;
	struct dirent **names;
	int n = list_dts("tests/configs/bad", &names);
	assert_true(n >= 25);
	int wrong = 0; /* messages that differ: all are shown, then the test fails */
	for (int i = 0; i < n; i++) {
		char path[512], expect[512];
		snprintf(path, sizeof(path), "%s/tests/configs/bad/%s", BH_SRC_DIR,
			 names[i]->d_name);
		if (!directive(path, "expect", expect, sizeof(expect))) {
			print_error("%s: no '// expect: ' line\n", path);
			fail();
		}
		struct sys *s = load_system(path);
		if (s->rc == BH_OK) {
			print_error("%s: accepted, expected \"%s\"\n", names[i]->d_name, expect);
			fail();
		}
		if (strcmp(s->err.msg, expect) != 0) {
			print_error("%s: got \"%s\"\n  expected \"%s\"\n", names[i]->d_name,
				    s->err.msg, expect);
			wrong++;
		}
		/* Never cut short by the message buffer. */
		assert_true(strlen(s->err.msg) < sizeof(s->err.msg) - 1);
		/* A failed parse never leaves half a configuration that looks usable. */
		assert_true(s->rc == BH_EINVAL || s->rc == BH_ERANGE || s->rc == BH_EEXIST ||
			    s->rc == BH_ENOMEM);
		free_system(s);
	}
	free_list(names, n);
	assert_int_equal(wrong, 0);
}

static void test_examples(void **state)
{
	(void)state;
	struct dirent **names;
	int n = list_dts("partitions", &names);
	assert_true(n >= 3);
	for (int i = 0; i < n; i++) {
		char rel[512];
		/* They name files: bhconfig places them first (test_bhconfig.py); the RPi4 ones
		   also by test_rpi4_systems_merged and test_rpi4_sdcard.py. */
		if (strcmp(names[i]->d_name, "qemu-virt-demo.dts") == 0 ||
		    strcmp(names[i]->d_name, "qemu-virt-vmbus.dts") == 0 ||
		    strcmp(names[i]->d_name, "rpi4-demo.dts") == 0 ||
		    strcmp(names[i]->d_name, "rpi4-linux-child.dts") == 0) {
			continue;
		}
		snprintf(rel, sizeof(rel), "partitions/%s", names[i]->d_name);
		struct sys *s = load_ok(rel);
		check_invariants(rel, s);
		free_system(s);
	}
	free_list(names, n);
}

/* ---------------------------------------------------------------- exact results */

static void check_hello(const struct config *cfg, uint64_t pa0, uint64_t pa1, uint64_t pa2,
			uint64_t img0)
{
	static const char *const names[] = {"root", "rt0", "rt1"};
	static const uint64_t masks[] = {0x1, 0x2, 0xc};
	static const uint64_t sizes[] = {MiB(64), MiB(16), MiB(16)};
	const uint64_t pas[] = {pa0, pa1, pa2};

	assert_int_equal(cfg->partition_count, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		assert_string_equal(p->name, names[i]);
		assert_int_equal(p->cpu_mask, masks[i]);
		assert_int_equal(p->mem_count, 1);
		assert_int_equal(ipa_addr(p->mem[0].ipa), 0x40000000);
		assert_int_equal(pa_addr(p->mem[0].pa), pas[i]);
		assert_int_equal(p->mem[0].size, sizes[i]);
		assert_int_equal(p->image_count, 1);
		assert_int_equal(p->entry_image, 0);
		assert_string_equal(p->images[0].name, "app");
		assert_int_equal(p->images[0].format, IMAGE_RAW);
		assert_int_equal(pa_addr(p->images[0].src_pa), img0 + i * MiB(1));
		assert_int_equal(p->images[0].size, MiB(1));
		assert_int_equal(ipa_addr(p->images[0].load_ipa), 0x40000000);
		assert_int_equal(ipa_addr(p->images[0].entry_ipa), 0x40000000);
		assert_false(p->images[0].has_entry);
		assert_string_equal(p->bootargs, "");
	}
	assert_true(cfg->partitions[0].is_root);
	assert_int_equal(cfg->partitions[2].cpu_count, 2);
}

static void test_hello_examples(void **state)
{
	(void)state;
	struct sys *s = load_ok("partitions/qemu-virt-hello.dts");
	check_hello(&s->cfg, 0x41000000, 0x45000000, 0x46000000, 0x4c000000);
	assert_string_equal(s->cfg.partitions[1].path, "/bulkhead/rt0");
	free_system(s);
	s = load_ok("partitions/qemu-virt-hello-gicv2.dts");
	check_hello(&s->cfg, 0x41000000, 0x45000000, 0x46000000, 0x4c000000);
	assert_int_equal(s->board.gic.version, 2);
	free_system(s);
	s = load_ok("partitions/rpi4-hello.dts");
	check_hello(&s->cfg, 0x08000000, 0x0c000000, 0x0d000000, 0x04000000);
	assert_int_equal(pa_addr(s->hyp.base), 0x200000);
	free_system(s);
}

static void test_root_moves_first(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/root-last.dts");
	const struct config *cfg = &s->cfg;
	assert_int_equal(cfg->partition_count, 3);
	assert_string_equal(cfg->partitions[0].name, "z");
	assert_string_equal(cfg->partitions[1].name, "b");
	assert_string_equal(cfg->partitions[2].name, "a");
	assert_int_equal(cfg->partitions[0].cpu_mask, 0x1);
	assert_int_equal(cfg->partitions[1].cpu_mask, 0x8);
	assert_int_equal(cfg->partitions[2].cpu_mask, 0x6);
	assert_int_equal(pa_addr(cfg->partitions[0].mem[0].pa), 0x50200000);
	assert_int_equal(pa_addr(cfg->partitions[1].images[0].src_pa), 0x4c000000);
	assert_string_equal(cfg->partitions[2].path, "/bulkhead/a");
	free_system(s);
}

static void test_entry_image_rule(void **state)
{
	(void)state;
	/* "linux" wins over the first image and over a name. */
	struct sys *s = load_ok("tests/configs/good/linux.dts");
	const struct config_partition *p = &s->cfg.partitions[0];
	assert_int_equal(p->image_count, 3);
	assert_int_equal(p->entry_image, 1);
	assert_string_equal(p->images[1].name, "vmlinux");
	assert_int_equal(p->images[1].format, IMAGE_LINUX);
	assert_false(p->images[1].has_entry);
	assert_int_equal(ipa_addr(p->images[1].entry_ipa), 0x40200000);
	assert_int_equal(p->images[2].format, IMAGE_RAW); /* format = "raw" spelt out */
	assert_int_equal(p->mem_count, 2);
	assert_int_equal(ipa_addr(p->mem[0].ipa), 0);
	assert_string_equal(p->bootargs, "console=hvc0 earlycon rdinit=/sbin/init");
	free_system(s);

	/* Then the image named "kernel". */
	s = load_ok("tests/configs/good/kernel-named.dts");
	p = &s->cfg.partitions[0];
	assert_int_equal(p->entry_image, 1);
	assert_string_equal(p->images[1].name, "kernel");
	free_system(s);

	/* An explicit entry. */
	s = load_ok("tests/configs/good/base.dts");
	p = &s->cfg.partitions[2];
	assert_int_equal(p->entry_image, 0);
	assert_true(p->images[0].has_entry);
	assert_int_equal(ipa_addr(p->images[0].entry_ipa), 0x40000000);
	assert_false(s->cfg.partitions[1].images[0].has_entry);
	assert_string_equal(s->cfg.partitions[0].bootargs, "console=hvc0");
	free_system(s);

	/* A device tree image is never the entry image, even when first. */
	s = load_ok("tests/configs/good/dtb.dts");
	p = &s->cfg.partitions[1];
	assert_int_equal(p->image_count, 2);
	assert_true(p->has_dtb);
	assert_int_equal(p->dtb_image, 0);
	assert_int_equal(p->images[0].format, IMAGE_DTB);
	assert_int_equal(p->entry_image, 1);
	assert_false(s->cfg.partitions[0].has_dtb);
	free_system(s);

	/* Else the first image (limits.dts has four, none special). */
	s = load_ok("tests/configs/good/limits.dts");
	p = &s->cfg.partitions[0];
	assert_int_equal(p->image_count, BH_MAX_IMAGES);
	assert_int_equal(p->mem_count, BH_MAX_MEM_REGIONS);
	assert_int_equal(p->entry_image, 0);
	assert_string_equal(p->name, "a-name-15-chars");
	assert_string_equal(p->images[0].name, "image-15-chars_");
	assert_int_equal(strlen(p->bootargs), BH_BOOTARGS_MAX - 1);
	assert_int_equal(ipa_addr(p->mem[7].ipa), 0x100000000ULL);
	free_system(s);
}

static const char *device_path(const struct sys *s, const struct config_device *d)
{
	static char path[96];
	assert_int_equal(fdt_get_path(s->fdt, d->node, path, sizeof(path)), 0);
	return path;
}

static void test_devices(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/devices.dts");
	const struct config_partition *root = &s->cfg.partitions[0];
	const struct config_partition *rt0 = &s->cfg.partitions[1];

	/* rt0 has what it asked for: the RTC's page and SPI 2 (INTID 34). */
	assert_int_equal(rt0->device_count, 1);
	assert_string_equal(device_path(s, &rt0->devices[0]), "/pl031@9010000");
	assert_int_equal(rt0->devices[0].reg_count, 1);
	assert_int_equal(pa_addr(rt0->devices[0].reg[0].base), 0x09010000);
	assert_int_equal(rt0->devices[0].reg[0].size, 0x1000);
	assert_int_equal(rt0->devices[0].spi_count, 1);
	assert_int_equal(rt0->devices[0].spi[0], 34);
	/* The root its trusted GPIO controller; the rest holds nothing else: never the console,
	   the GIC or the RTC. */
	assert_true(root->is_root);
	assert_true(root->other_devices);
	assert_int_equal(root->device_count, 1);
	assert_string_equal(device_path(s, &root->devices[0]), "/pl061@9030000");
	assert_int_equal(root->devices[0].spi[0], 39);
	assert_int_equal(s->cfg.partitions[2].device_count, 0);

	/* Nor anything over the GIC's frames or the console's page under other names, nor
	   what names the console's interrupt (issue 12): the root's walk skips them. */
	make_writable(s);
	static const uint32_t regs[][4] = {
		{0, 0x080c0000, 0, 0x1000}, {0, 0x09000800, 0, 0x100}, {0, 0, 0, 0x40000000}};
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		char name[32];
		snprintf(name, sizeof(name), "dev@%zu", i);
		int node = fdt_add_subnode(s->fdt, 0, name);
		assert_true(node >= 0);
		snprintf(name, sizeof(name), "/dev@%zu", i);
		set_cells(s, name, "reg", regs[i], 4);
	}
	assert_int_equal(fdt_add_subnode(s->fdt, 0, "irq@a000000") >= 0, 1);
	set_cells(s, "/irq@a000000", "reg", CELLS(0, 0x0a000000, 0, 0x1000));
	set_cells(s, "/irq@a000000", "interrupts", CELLS(0, 1, 4));
	assert_int_equal(parse(s), BH_OK);
	assert_int_equal(s->cfg.partitions[0].device_count, 1);
	assert_string_equal(device_path(s, &s->cfg.partitions[0].devices[0]), "/pl061@9030000");
	free_system(s);

	/* A root without `other-devices` gets only its list. */
	s = load_ok("tests/configs/good/devices-root-listed.dts");
	assert_false(s->cfg.partitions[0].other_devices);
	assert_int_equal(s->cfg.partitions[0].device_count, 0);
	free_system(s);

	/* The root's walk takes no device that can master DMA or control shared things
	   (issue 12): without `trusted-devices` the GPIO stays out, and so does a virtio-mmio
	   transport; a plain device is taken. */
	s = load_ok("tests/configs/good/devices.dts");
	make_writable(s);
	assert_int_equal(
		fdt_delprop(s->fdt, fdt_path_offset(s->fdt, "/bulkhead/root"), "trusted-devices"),
		0);
	static const char *const extra[] = {"virtio_mmio@a000000", "plain@a001000"};
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		int node = fdt_add_subnode(s->fdt, 0, extra[i]);
		assert_true(node >= 0);
		uint32_t reg[] = {0, 0x0a000000 + 0x1000 * (uint32_t)i, 0, 0x200};
		char path[40];
		snprintf(path, sizeof(path), "/%s", extra[i]);
		set_cells(s, path, "reg", reg, 4);
	}
	assert_int_equal(fdt_setprop_string(s->fdt, fdt_path_offset(s->fdt, "/virtio_mmio@a000000"),
					    "compatible", "virtio,mmio"),
			 0);
	assert_int_equal(parse(s), BH_OK);
	assert_int_equal(s->cfg.partitions[0].device_count, 1);
	assert_string_equal(device_path(s, &s->cfg.partitions[0].devices[0]), "/plain@a001000");
	free_system(s);
}

static void test_one_cell_numbers(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/cells-1.dts");
	const struct config_partition *p = &s->cfg.partitions[0];
	assert_int_equal(ipa_addr(p->mem[0].ipa), 0x80000000);
	assert_int_equal(pa_addr(p->mem[0].pa), 0x50000000);
	assert_int_equal(p->mem[0].size, MiB(32));
	assert_int_equal(pa_addr(p->images[0].src_pa), 0x4c000000);
	assert_int_equal(p->images[0].size, 0x2000);
	assert_int_equal(ipa_addr(p->images[0].load_ipa), 0x80001000);
	assert_int_equal(ipa_addr(p->images[0].entry_ipa), 0x80001800);
	assert_int_equal(p->cpu_mask, 0x3);
	free_system(s);

	/* Unit addresses are not part of the image name. */
	s = load_ok("tests/configs/good/dtc-style.dts");
	assert_string_equal(s->cfg.partitions[0].images[0].name, "app");
	free_system(s);
}

/* The hypervisor puts the boot CPU first in board->cpus: CPUs go by MPIDR. */
static void test_boot_cpu_reordered(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/base.dts");
	struct dt_cpu boot = s->board.cpus[2];
	s->board.cpus[2] = s->board.cpus[0];
	s->board.cpus[0] = boot; /* logical order now: MPIDR 2, 1, 0, 3 */
	assert_int_equal(parse(s), BH_OK);
	assert_int_equal(s->cfg.partitions[0].cpu_mask, 1 << 2);	  /* root: MPIDR 0 */
	assert_int_equal(s->cfg.partitions[1].cpu_mask, 1 << 1);	  /* rt0: MPIDR 1 */
	assert_int_equal(s->cfg.partitions[2].cpu_mask, 1 << 0 | 1 << 3); /* rt1: 2, 3 */

	/* A CPU the board does not list (beyond CONFIG_MAX_CPUS, say). */
	s->board.cpu_count = 3;
	assert_int_equal(parse(s), BH_EINVAL);
	assert_string_equal(s->err.msg, "/bulkhead/rt1: cpus[1]: /cpus/cpu@3 (MPIDR 0x3) is not a "
					"CPU the hypervisor runs (status \"fail\", or beyond "
					"CONFIG_MAX_CPUS)");
	free_system(s);
}

static void test_no_bulkhead(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof(path), "%s/board-only.dts", tmpdir);
	write_text(path, "/dts-v1/;\n/include/ \"qemu-virt/qemu-virt-gicv3.dtsi\"\n");
	struct sys *s = load_system(path);
	assert_int_equal(s->rc, BH_ENOENT);
	assert_string_equal(s->err.msg, "/bulkhead: no such node (no partitions)");
	assert_int_equal(s->cfg.partition_count, 0);
	free_system(s);
}

/* dtc merges nodes of the same name: duplicates need a patched blob. */
static void test_duplicate_partition_name(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/base.dts");
	make_writable(s);
	int rt1 = fdt_path_offset(s->fdt, "/bulkhead/rt1");
	assert_true(rt1 >= 0);
	assert_int_equal(fdt_set_name(s->fdt, rt1, "rt0"), 0);
	assert_int_equal(parse(s), BH_EEXIST);
	assert_string_equal(s->err.msg, "/bulkhead/rt0: partition name 'rt0' is used twice");
	free_system(s);
}

/* rt0's memory (base system) set to each value: the result and message. */
static void test_memory_edges(void **state)
{
	(void)state;
	static const struct {
		uint32_t cells[12];
		size_t count;
		int rc;
		const char *msg;
	} cases[] = {
		/* rt0's app needs IPA 0x40000000+1M, so regions there are at least 1 MiB. */
		/* Right below the hypervisor (0x40200000) and right after it (0x40600000). */
		{{0, 0x40000000, 0, 0x40100000, 0, 0x100000}, 6, BH_OK, ""},
		{{0, 0x40000000, 0, 0x40600000, 0, 0x100000}, 6, BH_OK, ""},
		{{0, 0x40000000, 0, 0x40100000, 0, 0x101000},
		 6,
		 BH_ERANGE,
		 "/bulkhead/rt0: memory[0] (PA 0x40100000+0x101000) overlaps the hypervisor (PA "
		 "0x40200000+0x400000)"},
		{{0, 0x40000000, 0, 0x405ff000, 0, 0x100000},
		 6,
		 BH_ERANGE,
		 "/bulkhead/rt0: memory[0] (PA 0x405ff000+0x100000) overlaps the hypervisor (PA "
		 "0x40200000+0x400000)"},
		/* Adjacent to root's memory (0x41000000-0x44ffffff), then one page into it. */
		{{0, 0x40000000, 0, 0x40f00000, 0, 0x100000}, 6, BH_OK, ""},
		{{0, 0x40000000, 0, 0x40f00000, 0, 0x101000},
		 6,
		 BH_ERANGE,
		 "/bulkhead/rt0: memory[0] (PA 0x40f00000+0x101000) overlaps /bulkhead/root "
		 "memory[0]"},
		/* The last MiB of RAM, then one page more; one page below RAM. */
		{{0, 0x40000000, 0, 0x7ff00000, 0, 0x100000}, 6, BH_OK, ""},
		{{0, 0x40000000, 0, 0x7ff00000, 0, 0x101000},
		 6,
		 BH_ERANGE,
		 "/bulkhead/rt0: memory[0] (PA 0x7ff00000+0x101000) is not inside one RAM range "
		 "(RAM: 0x40000000+0x40000000)"},
		{{0, 0x40000000, 0, 0x3ffff000, 0, 0x100000},
		 6,
		 BH_ERANGE,
		 "/bulkhead/rt0: memory[0] (PA 0x3ffff000+0x100000) is not inside one RAM range "
		 "(RAM: 0x40000000+0x40000000)"},
		/* IPAs above 4 GiB, two regions back to back in IPA and in PA. */
		{{0x100, 0, 0, 0x45000000, 0, 0x1000, 0x100, 0x1000, 0, 0x45001000, 0, 0x1000},
		 12,
		 BH_ERANGE,
		 "/bulkhead/rt0/app: load (IPA 0x40000000+0x100000) is not inside one memory "
		 "region of /bulkhead/rt0"},
		{{0, 0x40000000, 0, 0x45000000, 0, 0x100000, 0x1, 0, 0, 0x45100000, 0, 0x1000},
		 12,
		 BH_OK,
		 ""},
		/* Every misalignment by one page fraction. */
		{{0, 0x40000001, 0, 0x45000000, 0, 0x1000000},
		 6,
		 BH_EINVAL,
		 "/bulkhead/rt0: memory[0]: IPA 0x40000001 is not 4 KiB aligned"},
		{{0, 0x40000000, 0, 0x45000fff, 0, 0x1000000},
		 6,
		 BH_EINVAL,
		 "/bulkhead/rt0: memory[0]: PA 0x45000fff is not 4 KiB aligned"},
		{{0, 0x40000000, 0, 0x45000000, 0, 0xfff},
		 6,
		 BH_EINVAL,
		 "/bulkhead/rt0: memory[0]: size 0xfff is not a multiple of 4 KiB"},
		/* An IPA range reaching exactly 2^48 (the test's IPA space) is fine, one page more
		   is beyond it (not wrapped in 32 bits); one reaching past 2^64 wraps. */
		{{0xffff, 0xfffff000, 0, 0x45000000, 0, 0x1000, 0, 0x40000000, 0, 0x45001000, 0,
		  0x100000},
		 12,
		 BH_OK,
		 ""},
		{{0xffff, 0xfffff000, 0, 0x45000000, 0, 0x2000},
		 6,
		 BH_ERANGE,
		 "/bulkhead/rt0: memory[0] (IPA 0xfffffffff000+0x2000) is beyond the 48-bit IPA "
		 "space of stage 2"},
		{{0xffffffff, 0xfffff000, 0, 0x45000000, 0, 0x2000},
		 6,
		 BH_ERANGE,
		 "/bulkhead/rt0: memory[0] (IPA 0xfffffffffffff000, PA 0x45000000, size 0x2000) "
		 "wraps around the address space"},
	};

	int wrong = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sys *s = load_ok("tests/configs/good/base.dts");
		make_writable(s);
		set_cells(s, "/bulkhead/rt0", "memory", cases[i].cells, cases[i].count);
		if (parse(s) != cases[i].rc || strcmp(s->err.msg, cases[i].msg) != 0) {
			print_error("case %zu: rc %d \"%s\", expected %d \"%s\"\n", i, s->rc,
				    s->err.msg, cases[i].rc, cases[i].msg);
			wrong++;
		}
		free_system(s);
	}
	assert_int_equal(wrong, 0);
}

static void test_hyp_footprint(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/base.dts");
	/* Empty: nothing to avoid. */
	s->hyp = pa_range(pa_init(0x41000000), 0);
	assert_int_equal(parse(s), BH_OK);
	/* Over an image only. */
	s->hyp = pa_range(pa_init(0x4c0ff000), 0x1000);
	assert_int_equal(parse(s), BH_ERANGE);
	assert_string_equal(s->err.msg,
			    "/bulkhead/root/app: reg (PA 0x4c000000+0x100000) overlaps the "
			    "hypervisor (PA 0x4c0ff000+0x1000)");
	/* Partition memory is reported before images. */
	s->hyp = pa_range(pa_init(0x46fff000), 0x5201000);
	assert_int_equal(parse(s), BH_ERANGE);
	assert_string_equal(s->err.msg,
			    "/bulkhead/rt1: memory[0] (PA 0x46000000+0x1000000) overlaps "
			    "the hypervisor (PA 0x46fff000+0x5201000)");
	/* Reserved ranges from the board count like the hypervisor. */
	s->hyp.size = 0;
	s->board.reserved[s->board.reserved_count++] = (struct dt_range){0x4c100800, 0x10};
	assert_int_equal(parse(s), BH_ERANGE);
	assert_string_equal(s->err.msg, "/bulkhead/rt0/app: reg (PA 0x4c100000+0x100000) overlaps "
					"reserved memory (PA 0x4c100800+0x10)");
	free_system(s);
}

/* ---------------------------------------------------------------- boards */

static char *load_test_dtb(const char *name, size_t *size)
{
	const char *dir = getenv("BH_TEST_DTB_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : BH_SRC_DIR "/build/host/dtb",
		 name);
	char *blob = read_file(path, size);
	if (blob == NULL) {
		print_error("cannot read %s (set BH_TEST_DTB_DIR)\n", path);
		fail();
	}
	return blob;
}

#define assert_same_range(a, b)                       \
	do {                                          \
		assert_int_equal((a).base, (b).base); \
		assert_int_equal((a).size, (b).size); \
	} while (0)

static void check_same_board(const struct dt_board *a, const struct dt_board *b)
{
	assert_string_equal(a->model, b->model);
	assert_int_equal(a->mem_count, b->mem_count);
	for (unsigned i = 0; i < a->mem_count; i++) {
		assert_same_range(a->mem[i], b->mem[i]);
	}
	assert_int_equal(a->reserved_count, b->reserved_count);
	assert_int_equal(a->cpu_count, b->cpu_count);
	for (unsigned i = 0; i < a->cpu_count; i++) {
		assert_int_equal(a->cpus[i].mpidr, b->cpus[i].mpidr);
		assert_int_equal(a->cpus[i].enable, b->cpus[i].enable);
	}
	assert_int_equal(a->psci, b->psci);
	assert_int_equal(a->uart.kind, b->uart.kind);
	assert_same_range(a->uart.reg, b->uart.reg);
	assert_string_equal(a->uart.path, b->uart.path);
	assert_int_equal(a->uart.from_stdout_path, b->uart.from_stdout_path);
	assert_int_equal(a->gic.version, b->gic.version);
	assert_string_equal(a->gic.compatible, b->gic.compatible);
	assert_same_range(a->gic.dist, b->gic.dist);
	assert_same_range(a->gic.redist, b->gic.redist);
	assert_same_range(a->gic.cpu, b->gic.cpu);
	assert_same_range(a->gic.hyp, b->gic.hyp);
	assert_same_range(a->gic.vcpu, b->gic.vcpu);
	assert_int_equal(a->gic.maint_irq, b->gic.maint_irq);
}

/* The board .dtsi files describe the same board as QEMU's own tree. */
static void test_qemu_board_dtsi(void **state)
{
	(void)state;
	static const struct {
		const char *dts, *dtb;
	} pairs[] = {
		{"tests/configs/good/base.dts", "qemu-virt-gicv3.dtb"},
		{"tests/configs/good/gicv2.dts", "qemu-virt-gicv2.dtb"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		struct sys *s = load_ok(pairs[i].dts);
		size_t size;
		char *qemu = load_test_dtb(pairs[i].dtb, &size);
		struct dt_board board;
		struct dt_error err;
		assert_int_equal(dt_parse_board(qemu, &board, &err), BH_OK);
		check_same_board(&s->board, &board);
		free(qemu);
		free_system(s);
	}
}

static void test_rpi4_board_dtsi(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/rpi4.dts");
	const struct dt_board *b = &s->board;
	assert_string_equal(b->model, "Raspberry Pi 4 Model B");
	assert_int_equal(b->mem_count, 1);
	assert_int_equal(b->mem[0].base, 0);
	assert_int_equal(b->mem[0].size, 0x3b400000);
	assert_int_equal(b->reserved_count, 1); /* TF-A's atf@0 */
	assert_int_equal(b->reserved[0].base, 0);
	assert_int_equal(b->reserved[0].size, 0x80000);
	assert_int_equal(b->cpu_count, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(b->cpus[i].mpidr, i);
		assert_int_equal(b->cpus[i].enable, DT_CPU_ENABLE_PSCI);
	}
	assert_int_equal(b->psci, DT_PSCI_SMC);
	assert_true(b->uart.from_stdout_path);

	/* UART and GIC where Debian's tree has them (its /memory filled in). */
	size_t size;
	char *debian = load_test_dtb("bcm2711-rpi-4-b.dtb", &size);
	size_t room = size + 4096;
	char *fdt = malloc(room);
	assert_non_null(fdt);
	assert_int_equal(fdt_open_into(debian, fdt, (int)room), 0);
	fdt32_t reg[] = {cpu_to_fdt32(0), cpu_to_fdt32(0), cpu_to_fdt32(0x3b400000)};
	assert_int_equal(
		fdt_setprop(fdt, fdt_path_offset(fdt, "/memory@0"), "reg", reg, sizeof(reg)), 0);
	struct dt_board d;
	struct dt_error err;
	assert_int_equal(dt_parse_board(fdt, &d, &err), BH_OK);
	assert_string_equal(b->model, d.model);
	assert_same_range(b->uart.reg, d.uart.reg);
	assert_string_equal(b->uart.path, d.uart.path);
	assert_int_equal(b->gic.version, d.gic.version);
	assert_string_equal(b->gic.compatible, d.gic.compatible);
	assert_same_range(b->gic.dist, d.gic.dist);
	assert_same_range(b->gic.cpu, d.gic.cpu);
	assert_same_range(b->gic.hyp, d.gic.hyp);
	assert_same_range(b->gic.vcpu, d.gic.vcpu);
	assert_int_equal(b->gic.maint_irq, d.gic.maint_irq);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(b->cpus[i].mpidr, d.cpus[i].mpidr);
	}
	free(fdt);
	free(debian);
	free_system(s);
}

/* ---------------------------------------------------------------- bhconfig */

/* Runs bhconfig with args; checks the exit status and that output has each of want. */
static char *bhconfig(int status, const char *args, const char *const *want, size_t nwant)
{
	char cmd[1024], *out;
	snprintf(cmd, sizeof(cmd), "cd %s && %s %s", BH_SRC_DIR, BH_BHCONFIG, args);
	int got = run(cmd, &out);
	if (got != status) {
		print_error("bhconfig %s: exit %d, expected %d; output:\n%s\n", args, got, status,
			    out);
		fail();
	}
	for (size_t i = 0; i < nwant; i++) {
		assert_msg_has(out, want[i]);
	}
	return out;
}

#define BHCONFIG(status, args, ...)                                     \
	free(bhconfig(status, args, (const char *const[]){__VA_ARGS__}, \
		      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

/* ---------------------------------------------------------------- the RPi4's card */

/* partitions/NAME.dts with each `file` a 4 KiB stand-in in dir: `bhconfig layout` reads sizes. */
static void with_standins(const char *name, const char *dir, char *dts, size_t len)
{
	char src[512], file[700];
	size_t size, n = 0;
	snprintf(src, sizeof(src), BH_SRC_DIR "/partitions/%s.dts", name);
	char *text = read_file(src, &size);
	assert_non_null(text);
	size_t cap = size + 8192;
	char *out = malloc(cap);
	assert_non_null(out);
	const char *p = text, *q;
	static const char key[] = "file = \"";
	while ((q = strstr(p, key)) != NULL) {
		q += sizeof(key) - 1;
		const char *end = strchr(q, '"'), *base = q;
		assert_non_null(end);
		for (const char *c = q; c < end; c++) {
			base = *c == '/' ? c + 1 : base;
		}
		snprintf(file, sizeof(file), "%s/%.*s", dir, (int)(end - base), base);
		write_stub_image(file);
		n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)(q - p), p, file);
		assert_true(n < cap);
		p = end;
	}
	snprintf(out + n, cap - n, "%s", p);
	snprintf(dts, len, "%s/%s.dts", dir, name);
	write_text(dts, out);
	free(out);
	free(text);
}

/* Debian's tree as the firmware (4 GiB of RAM) and TF-A's bl31 (PSCI, its memory) pass it. */
static struct sys *rpi4_firmware_tree(void)
{
	size_t size;
	char *debian = load_test_dtb("bcm2711-rpi-4-b.dtb", &size);
	struct sys *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->size = size + 0x40000;
	s->fdt = malloc(s->size);
	assert_non_null(s->fdt);
	assert_int_equal(fdt_open_into(debian, s->fdt, (int)s->size), 0);
	free(debian);
	set_cells(s, "/memory@0", "reg", CELLS(0, 0, 0x3b400000, 0, 0x40000000, 0xbc000000));
	int psci = fdt_add_subnode(s->fdt, 0, "psci");
	assert_true(psci >= 0);
	assert_int_equal(fdt_setprop_string(s->fdt, psci, "compatible", "arm,psci-1.0"), 0);
	assert_int_equal(fdt_setprop_string(s->fdt, psci, "method", "smc"), 0);
	for (int cpu = fdt_first_subnode(s->fdt, fdt_path_offset(s->fdt, "/cpus")); cpu >= 0;
	     cpu = fdt_next_subnode(s->fdt, cpu)) {
		assert_int_equal(fdt_setprop_string(s->fdt, cpu, "enable-method", "psci"), 0);
	}
	int atf = fdt_add_subnode(s->fdt, fdt_path_offset(s->fdt, "/reserved-memory"), "atf@0");
	assert_true(atf >= 0);
	set_cells(s, "/reserved-memory/atf@0", "reg", CELLS(0, 0, 0x80000));
	return s;
}

/* What boot.cmd's `fdt get value`/`fdt set` lines do: each node named gets its phandle. */
static void play_phandle_lines(struct sys *s, const char *boot_cmd)
{
	size_t size;
	char *text = read_file(boot_cmd, &size);
	uint32_t ph[64] = {0};
	unsigned n, value = 0;
	char path[128], prop[64];
	assert_non_null(text);
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		const char *get = strstr(line, "fdt get value bh_ph");
		const char *set = strstr(line, "fdt set /bulkhead/");
		if (sscanf(line, "setenv bh_ph%u 0x%x", &n, &value) == 2 && n < 64) {
			ph[n] = value; /* the phandle a node without one gets */
		} else if (get != NULL &&
			   sscanf(get, "fdt get value bh_ph%u %127s", &n, path) == 2) {
			int node = fdt_path_offset(s->fdt, path);
			assert_true(node >= 0 && n < 64);
			if (fdt_get_phandle(s->fdt, node) != 0) {
				ph[n] = fdt_get_phandle(s->fdt, node);
			} else {
				assert_int_equal(fdt_setprop_u32(s->fdt, node, "phandle", ph[n]),
						 0);
			}
		} else if (set != NULL && sscanf(set, "fdt set %127s %63s", path, prop) == 2) {
			fdt32_t cells[64];
			int k = 0;
			for (const char *v = strstr(set, "${bh_ph"); v != NULL && k < 64;
			     v = strstr(v + 1, "${bh_ph")) {
				assert_int_equal(sscanf(v, "${bh_ph%u}", &n), 1);
				cells[k++] = cpu_to_fdt32(ph[n]);
			}
			int node = fdt_path_offset(s->fdt, path);
			assert_int_equal(fdt_setprop(s->fdt, node, prop, cells, k * 4), 0);
		}
	}
	free(text);
}

/*
 * Each shipped RPi4 system, laid out as make sdcard lays it out, applied to Debian's tree with
 * libfdt's overlay code (U-Boot's `fdt apply`) and its phandle lists set as its boot.cmd sets
 * them: the parser, under ASan and UBSan here, takes it with the RPi4's limits and the tree
 * reserved where boot.scr puts it, and the root gets the SD card, USB and Ethernet.
 */
static void test_rpi4_systems_merged(void **state)
{
	(void)state;
	static const char *const systems[] = {"rpi4-demo", "rpi4-linux-child"};
	const char *dtbs = getenv("BH_TEST_DTB_DIR");
	for (size_t k = 0; k < sizeof(systems) / sizeof(systems[0]); k++) {
		char dir[600], dts[700], cmd[2048], path[700], *out;
		size_t size;
		snprintf(dir, sizeof(dir), "%s/%s", tmpdir, systems[k]);
		assert_int_equal(mkdir(dir, 0755), 0);
		with_standins(systems[k], dir, dts, sizeof(dts));
		snprintf(cmd, sizeof(cmd),
			 "%s --hyp 0x200000:4M --images 0x03000000 --board-dtb "
			 "%s/bcm2711-rpi-4-b.dtb layout %s -o %s",
			 BH_BHCONFIG, dtbs != NULL ? dtbs : BH_SRC_DIR "/build/host/dtb", dts, dir);
		if (run(cmd, &out) != 0) {
			print_error("%s\n", out);
			fail();
		}
		free(out);
		struct sys *s = rpi4_firmware_tree();
		snprintf(path, sizeof(path), "%s/system.dtbo", dir);
		char *overlay = read_file(path, &size);
		assert_non_null(overlay);
		assert_int_equal(fdt_overlay_apply(s->fdt, overlay), 0);
		free(overlay);
		snprintf(path, sizeof(path), "%s/boot.cmd", dir);
		play_phandle_lines(s, path);
		assert_int_equal(dt_parse_board(s->fdt, &s->board, &s->err), BH_OK);
		s->board.reserved[s->board.reserved_count++] =
			(struct dt_range){0x2800000, 0x100000};
		s->hyp = pa_range(pa_init(0x200000), MiB(4));
		s->ipa_bits = 44;
		s->gic_lines = 256;
		if (parse(s) != BH_OK) {
			print_error("%s: %s\n", systems[k], s->err.msg);
			fail();
		}
		assert_int_equal(s->cfg.partition_count, 2);
		static const char *const usable[] = {"/emmc2bus/mmc@7e340000", "/scb/pcie@7d500000",
						     "/scb/ethernet@7d580000"};
		for (size_t u = 0; u < sizeof(usable) / sizeof(usable[0]); u++) {
			bool found = false;
			for (unsigned d = 0; d < s->cfg.partitions[0].device_count; d++) {
				char node[128];
				fdt_get_path(s->fdt, s->cfg.partitions[0].devices[d].node, node,
					     sizeof(node));
				found |= strcmp(node, usable[u]) == 0;
			}
			assert_true(found);
		}
		free_system(s);
	}
}

/*
 * Debian's Raspberry Pi 4 tree with a root partition that takes the other devices
 * (issue 12): what can master DMA or controls what others share is never taken
 * implicitly; `trusted-devices` gives it, and bhconfig show says what it reaches.
 */
static void test_rpi4_root_takes_no_dma(void **state)
{
	(void)state;
	size_t size;
	char *debian = load_test_dtb("bcm2711-rpi-4-b.dtb", &size);
	int room = (int)size + 8192;
	struct sys *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->fdt = malloc((size_t)room);
	s->size = (size_t)room;
	assert_non_null(s->fdt);
	assert_int_equal(fdt_open_into(debian, s->fdt, room), 0);
	free(debian);
	set_cells(s, "/memory@0", "reg", CELLS(0, 0, 0x3b400000));
	int cpu0 = fdt_path_offset(s->fdt, "/cpus/cpu@0");
	uint32_t cpu_phandle = fdt_get_phandle(s->fdt, cpu0);
	assert_true(cpu_phandle != 0);
	int genet = fdt_path_offset(s->fdt, "/scb/ethernet@7d580000");
	assert_int_equal(fdt_setprop_u32(s->fdt, genet, "phandle", 0x7000), 0);
	int system = fdt_add_subnode(s->fdt, 0, "bulkhead");
	assert_true(system >= 0);
	assert_int_equal(fdt_setprop_string(s->fdt, system, "compatible", "bulkhead,system-v1"), 0);
	assert_int_equal(fdt_setprop_u32(s->fdt, system, "#address-cells", 2), 0);
	assert_int_equal(fdt_setprop_u32(s->fdt, system, "#size-cells", 2), 0);
	int root = fdt_add_subnode(s->fdt, system, "root");
	assert_int_equal(fdt_setprop_string(s->fdt, root, "compatible", "bulkhead,partition-v1"),
			 0);
	assert_int_equal(fdt_setprop(s->fdt, root, "root", NULL, 0), 0);
	assert_int_equal(fdt_setprop(s->fdt, root, "other-devices", NULL, 0), 0);
	assert_int_equal(fdt_setprop_u32(s->fdt, root, "cpus", cpu_phandle), 0);
	set_cells(s, "/bulkhead/root", "memory",
		  CELLS(0, 0x40000000, 0, 0x10000000, 0, 0x10000000));
	root = fdt_path_offset(s->fdt, "/bulkhead/root");
	int app = fdt_add_subnode(s->fdt, root, "app");
	assert_int_equal(fdt_setprop_string(s->fdt, app, "compatible", "bulkhead,image-v1"), 0);
	set_cells(s, "/bulkhead/root/app", "reg", CELLS(0, 0x04000000, 0, 0x100000));
	set_cells(s, "/bulkhead/root/app", "load", CELLS(0, 0x40000000));
	assert_int_equal(dt_parse_board(s->fdt, &s->board, &s->err), BH_OK);
	s->hyp = pa_range(pa_init(0x200000), MiB(4));
	s->ipa_bits = 44;
	s->gic_lines = 256;
	if (parse(s) != BH_OK) {
		print_error("%s\n", s->err.msg);
		fail();
	}
	static const char *const kept[] = {
		"/scb/ethernet@7d580000",
		"/scb/pcie@7d500000",
		"/scb/gpu@7ec00000",
		"/soc/usb@7e980000",
		"/emmc2bus/mmc@7e340000",
		"/soc/mmc@7e300000",
		"/soc/mailbox@7e00b880",
		"/soc/cprman@7e101000",
		"/soc/local_intc@40000000",
		"/soc/gpio@7e200000",
		"/soc/dma@7e007000",
		"/soc/watchdog@7e100000",
		"/soc/mailbox@7e00b840",
		"/soc/serial@7e201000",
		"/soc/hvs@7e400000",
		"/soc/txp@7e004000",
		"/soc/interrupt-controller@40041000",
		/* in the page of the aux clock gate, of the HDMI DVP clock and reset block */
		"/soc/serial@7e215040",
		"/soc/i2c@7ef04500",
	};
	const struct config_partition *p = &s->cfg.partitions[0];
	assert_true(p->device_count >= 5); /* the I2C, SPI, PWM... blocks */
	for (unsigned k = 0; k < p->device_count; k++) {
		const char *path = device_path(s, &p->devices[k]);
		for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
			if (strcmp(path, kept[i]) == 0) {
				print_error("the root took %s\n", path);
				fail();
			}
		}
	}
	/* Given by name in `trusted-devices`, GENET is the root's, and show says what it
	   reaches by DMA. */
	set_cells(s, "/bulkhead/root", "trusted-devices", CELLS(0x7000));
	assert_int_equal(parse(s), BH_OK);
	assert_string_equal(device_path(s, &s->cfg.partitions[0].devices[0]),
			    "/scb/ethernet@7d580000");
	char dtb[256], args[512];
	snprintf(dtb, sizeof(dtb), "%s/rpi4-debian.dtb", tmpdir);
	FILE *f = fopen(dtb, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(s->fdt, 1, fdt_totalsize(s->fdt), f), fdt_totalsize(s->fdt));
	assert_int_equal(fclose(f), 0);
	snprintf(args, sizeof(args), "--hyp 0x200000:4M show %s", dtb);
	BHCONFIG(0, args, "limits      44-bit IPA space, 256 GIC interrupt lines",
		 "root            all physical memory, the hypervisor's included (no SMMU): "
		 "/scb/ethernet@7d580000\n");
	free_system(s);
}

static void test_bhconfig_check(void **state)
{
	(void)state;
	BHCONFIG(0, "check partitions/qemu-virt-hello.dts", "ok: 3 partitions\n");
	BHCONFIG(0, "check tests/configs/good/minimal.dts", "ok: 1 partition\n");
	BHCONFIG(0, "--hyp 0x200000:4M check partitions/rpi4-hello.dts", "ok: 3 partitions");
	BHCONFIG(1, "check tests/configs/bad/memory-overlap-pa.dts",
		 "error: /bulkhead/rt1: memory[0] (PA 0x45800000+0x1000000) overlaps "
		 "/bulkhead/rt0 memory[0]\n");
	BHCONFIG(1, "check tests/configs/bad/no-root.dts", "error: /bulkhead: no root partition");
	/* Options. */
	BHCONFIG(1, "--hyp 0x41000000:1M check partitions/qemu-virt-hello.dts",
		 "/bulkhead/root: memory[0] (PA 0x41000000+0x4000000) overlaps the hypervisor (PA "
		 "0x41000000+0x100000)");
	BHCONFIG(1, "--reserve 0x45fff000:4K check partitions/qemu-virt-hello.dts",
		 "/bulkhead/rt0: memory[0] (PA 0x45000000+0x1000000) overlaps reserved memory (PA "
		 "0x45fff000+0x1000)");
	BHCONFIG(1, "--max-partitions 2 check partitions/qemu-virt-hello.dts",
		 "error: /bulkhead: 3 partitions, but the hypervisor is built for at most 2");
	BHCONFIG(0, "--max-partitions 16 check tests/configs/good/root-last.dts", "ok: 3");
	/* What only the running hypervisor reads (issue 12): bhconfig knows QEMU virt's GICv3
	   (256 lines) and the Cortex-A72 (44-bit PA); options override. */
	BHCONFIG(1, "check tests/configs/bad/device-spi-lines.dts",
		 "interrupts[0]: SPI 300 does not exist (the GIC has 256 interrupt lines");
	BHCONFIG(0, "--gic-lines 1020 check tests/configs/bad/device-spi-lines.dts", "ok: 3");
	BHCONFIG(1, "check tests/configs/bad/device-ipa-limit.dts",
		 "is beyond the 44-bit IPA space of stage 2");
	BHCONFIG(0, "--pa-bits 48 check tests/configs/bad/device-ipa-limit.dts", "ok: 3");
	BHCONFIG(1, "--pa-bits 40 check tests/configs/bad/device-ipa-limit.dts",
		 "40-bit IPA space");
	BHCONFIG(1, "--gic-lines 40 check tests/configs/good/vmbus.dts",
		 "does not exist (the GIC has 40 interrupt lines, SPIs 0-7)");
	/* No /bulkhead: the hypervisor boots without partitions. */
	char args[512];
	snprintf(args, sizeof(args), "check %s/board-only.dts", tmpdir);
	write_text(args + 6, "/dts-v1/;\n/include/ \"qemu-virt/qemu-virt-gicv2.dtsi\"\n");
	BHCONFIG(0, args, "ok: no /bulkhead node");
	/* Broken input. */
	snprintf(args, sizeof(args), "check %s/syntax.dts", tmpdir);
	write_text(args + 6, "/dts-v1/;\n/ { bulkhead { ; };\n");
	BHCONFIG(1, args, "dtc failed");
	BHCONFIG(1, "check /nonexistent.dts", "error: /nonexistent.dts:");
	snprintf(args, sizeof(args), "check %s/empty.dtb", tmpdir);
	write_text(args + 6, "");
	BHCONFIG(1, args, "dtc failed");
	/* layout: a missing file, and no room named for the boot loader's tree. */
	snprintf(args, sizeof(args), "layout %s/nofile.dts", tmpdir);
	write_text(args + 7, "/dts-v1/;\n/include/ \"qemu-virt/qemu-virt-gicv3.dtsi\"\n"
			     "/ { bulkhead { compatible = \"bulkhead,system-v1\"; "
			     "#address-cells = <2>; #size-cells = <2>; root { "
			     "compatible = \"bulkhead,partition-v1\"; root; cpus = <&cpu0>; "
			     "memory = <0x0 0x40000000 0x0 0x41000000 0x0 0x1000000>; app { "
			     "compatible = \"bulkhead,image-v1\"; file = \"/nonexistent/app.bin\"; "
			     "load = <0x0 0x40000000>; }; }; }; };\n");
	char layout[600];
	snprintf(layout, sizeof(layout), "--reserve 0x48000000:2M layout %s/nofile.dts -o %s",
		 tmpdir, tmpdir);
	BHCONFIG(1, layout,
		 "bhconfig layout: /bulkhead/root/app: file '/nonexistent/app.bin': No such file "
		 "or directory");
	snprintf(layout, sizeof(layout), "layout %s/nofile.dts -o %s", tmpdir, tmpdir);
	BHCONFIG(1, layout, "bhconfig layout: --reserve BASE:SIZE is needed");
	/* Usage. */
	BHCONFIG(2, "", "usage: bhconfig");
	BHCONFIG(2, "frobnicate partitions/qemu-virt-hello.dts", "usage:");
	BHCONFIG(2, "--bogus 1 check x.dts", "unknown option --bogus");
	BHCONFIG(2, "--hyp 0x40200000 check x.dts", "--hyp 0x40200000: expected BASE:SIZE");
	BHCONFIG(2, "--max-partitions 0 check x.dts", "--max-partitions 0: expected 1 to 16");
	BHCONFIG(2, "--pa-bits 64 check x.dts", "--pa-bits 64: expected 32 to 52");
	BHCONFIG(2, "--gic-lines 1021 check x.dts", "--gic-lines 1021: expected 32 to 1020");
	BHCONFIG(2, "dtb partitions/qemu-virt-hello.dts",
		 "-o goes with the dtb and layout commands");
	BHCONFIG(0, "--help", "usage:");
}

static void test_bhconfig_show(void **state)
{
	(void)state;
	BHCONFIG(
		0, "show partitions/qemu-virt-hello.dts",
		"partitions/qemu-virt-hello.dts: 3 partitions on linux,dummy-virt\n",
		"  RAM         0x0040000000-0x007fffffff  1 GiB\n",
		"  hypervisor  0x0040200000-0x00405fffff  4 MiB",
		"  limits      44-bit IPA space, 256 GIC interrupt lines (--pa-bits, "
		"--gic-lines)\n",
		"ID  PARTITION       ROOT  CPUS (MPIDR)                   MEMORY     BOOTARGS\n",
		"0   root            yes   CPU0 (0x0)                     64 MiB     -\n",
		"1   rt0             -     CPU1 (0x1)                     16 MiB     -\n",
		"2   rt1             -     CPU2 (0x2), CPU3 (0x3)         16 MiB     -\n",
		"root            memory[0]  0x0040000000-0x0043ffffff -> 0x0041000000-0x0044ffffff "
		"64 MiB\n",
		"rt1             memory[0]  0x0040000000-0x0040ffffff -> 0x0046000000-0x0046ffffff "
		"16 MiB\n",
		"rt0             app             raw    0x004c100000-0x004c1fffff -> "
		"0x0040000000-0x00400fffff 1 MiB        0x40000000\n");
	BHCONFIG(
		0, "show tests/configs/good/linux.dts",
		"0   root            yes   CPU0 (0x0), CPU1 (0x1), CPU2 (0x2), CPU3 (0x3) 257 MiB",
		"console=hvc0 earlycon rdinit=/sbin/init\n",
		"root            memory[1]  0x0040000000-0x004fffffff -> 0x0060000000-0x006fffffff "
		"256 MiB\n",
		"root            initrd          raw    0x0054000000-0x00547fffff -> "
		"0x0048000000-0x00487fffff 8 MiB        -\n",
		"root            vmlinux         linux  0x0050000000-0x0051ffffff -> "
		"0x0040200000-0x00421fffff 32 MiB       per Image header\n");
	BHCONFIG(0, "show tests/configs/good/limits.dts",
		 "a-name-15-chars c               raw    0x004c002000-0x004c00200f -> "
		 "0x0100000ff0-0x0100000fff 16 bytes     -\n");
	BHCONFIG(0, "--hyp 0x200000:4M show partitions/rpi4-hello.dts",
		 "  reserved    0x0000000000-0x000007ffff  512 KiB\n");
	BHCONFIG(1, "show tests/configs/bad/cpus-shared.dts", "is already in /bulkhead/rt0");
}

static void test_bhconfig_dtb(void **state)
{
	(void)state;
	char args[512], out[256];
	snprintf(out, sizeof(out), "%s/hello.dtb", tmpdir);
	snprintf(args, sizeof(args), "dtb partitions/qemu-virt-hello.dts -o %s", out);
	BHCONFIG(0, args, "ok: 3 partitions");
	size_t size;
	char *blob = read_file(out, &size);
	assert_non_null(blob);
	struct dt_error err;
	assert_int_equal(dt_check_blob(blob, size, &err), BH_OK);
	assert_int_equal(fdt_totalsize(blob), size);
	free(blob);
	/* The compiled tree is checked as a .dtb too. */
	snprintf(args, sizeof(args), "show %s", out);
	BHCONFIG(0, args, "2   rt1             -     CPU2 (0x2), CPU3 (0x3)");
	/* Nothing is written for a bad system. */
	snprintf(out, sizeof(out), "%s/bad.dtb", tmpdir);
	snprintf(args, sizeof(args), "dtb tests/configs/bad/two-roots.dts -o %s", out);
	BHCONFIG(1, args, "root: /bulkhead/root is the root partition already");
	assert_int_equal(access(out, F_OK), -1);
}

/* A tree bhconfig layout wrote (malloc'd), and in *node the offset of `path`, `compatible`. */
static char *generated_node(const char *file, const char *path, const char *compatible, int *node)
{
	size_t size;
	char *fdt = read_file(file, &size);
	assert_non_null(fdt);
	*node = fdt_path_offset(fdt, path);
	assert_true(*node >= 0);
	assert_int_equal(fdt_node_check_compatible(fdt, *node, compatible), 0);
	return fdt;
}

/* Channels: what the parser reads, and the vmbus node bhconfig layout puts in a guest tree. */
static void test_channels(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/vmbus.dts");
	const struct config *cfg = &s->cfg;
	assert_int_equal(cfg->channel_count, 2);
	const struct config_channel *echo = &cfg->channels[0], *con = &cfg->channels[1];
	assert_string_equal(echo->name, "echo");
	assert_string_equal(echo->interface, "echo");
	assert_int_equal(pa_addr(echo->pa), 0x47000000);
	assert_int_equal(echo->end[SIDE_PROVIDER].partition, 0);
	assert_int_equal(ipa_addr(echo->end[SIDE_PROVIDER].ipa), 0x50000000);
	assert_int_equal(ipa_addr(echo->end[SIDE_CONSUMER].ipa), 0x47000000); /* default: the PA */
	assert_int_equal(echo->end[SIDE_CONSUMER].irq, 42);
	assert_string_equal(con->interface, "console");
	assert_int_equal(con->ring_size[SIDE_PROVIDER], 0x2000);
	assert_int_equal(con->ring_size[SIDE_CONSUMER], 0x4000);
	assert_int_equal(con->end[SIDE_CONSUMER].irq, 44);
	/* Each partition's own numbering: the root has both, rt0 and rt1 one each. */
	assert_int_equal(cfg->partitions[0].channel_count, 2);
	assert_int_equal(con->end[SIDE_PROVIDER].index, 1);
	assert_int_equal(con->end[SIDE_CONSUMER].index, 0);
	assert_int_equal(config_channel_side(con, con->end[SIDE_CONSUMER].partition),
			 SIDE_CONSUMER);
	free_system(s);

	char dts[256], args[2000], path[256];
	snprintf(dts, sizeof(dts), "%s/chan.dts", tmpdir);
	snprintf(path, sizeof(path), "%s/app.bin", tmpdir);
	write_stub_image(path);
	snprintf(args, sizeof(args),
		 "/dts-v1/;\n/include/ \"qemu-virt/qemu-virt-gicv3.dtsi\"\n"
		 "/ { bulkhead { compatible = \"bulkhead,system-v1\"; #address-cells = <2>; "
		 "#size-cells = <2>; root { compatible = \"bulkhead,partition-v1\"; root; "
		 "cpus = <&cpu0>; memory = <0x0 0x40000000 0x0 0x41000000 0x0 0x1000000>; "
		 "app { compatible = \"bulkhead,image-v1\"; file = \"%s\"; "
		 "load = <0x0 0x40000000>; }; }; lx { compatible = \"bulkhead,partition-v1\"; "
		 "cpus = <&cpu1>; memory = <0x0 0x40000000 0x0 0x42000000 0x0 0x1000000>; "
		 "app { compatible = \"bulkhead,image-v1\"; file = \"%s\"; "
		 "load = <0x0 0x40000000>; }; dtb { compatible = \"bulkhead,image-v1\"; "
		 "format = \"dtb\"; load = <0x0 0x40f00000>; }; }; vmbus { compatible = "
		 "\"bulkhead,vmbus-v1\"; net { compatible = \"bulkhead,channel-v1\"; "
		 "interface = \"netvsc\"; provider = \"root\"; consumer = \"lx\"; "
		 "reg = <0x0 0x4b000000 0x0 0x6000>; ring-sizes = <0x0 0x2000 0x0 0x4000>; "
		 "consumer-ipa = <0x0 0x60000000>; provider-interrupt = <10>; "
		 "consumer-interrupt = <12>; }; }; }; };\n",
		 path, path);
	write_text(dts, args);
	snprintf(args, sizeof(args), "--reserve 0x48000000:2M --images 0x4c000000 layout %s -o %s",
		 dts, tmpdir);
	BHCONFIG(0, args, "");
	snprintf(path, sizeof(path), "%s/lx.dtb", tmpdir);
	size_t size;
	int node;
	char *fdt = generated_node(path, "/vmbus/net@60000000", "bulkhead,channel-v1", &node);
	assert_string_equal(fdt_getprop(fdt, node, "role", NULL), "consumer");
	assert_string_equal(fdt_getprop(fdt, node, "peer", NULL), "root");
	assert_string_equal(fdt_getprop(fdt, node, "interface", NULL), "netvsc");
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, "interrupts", &len);
	assert_int_equal(len, 12);
	assert_int_equal(fdt32_ld(&v[1]), 12);
	v = fdt_getprop(fdt, node, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt32_ld(&v[1]), 0x60000000);
	assert_int_equal(fdt32_ld(&v[3]), 0x6000);
	v = fdt_getprop(fdt, node, "index", &len);
	assert_int_equal(fdt32_ld(v), 0);
	/* A bare-metal partition's command line is its bootargs as written (issue 12). */
	assert_string_equal(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", NULL),
			    "");
	free(fdt);

	/* Only a Linux partition gets ` bulkhead.partition=NAME` (docs/linux.md). */
	snprintf(path, sizeof(path), "%s/app.bin", tmpdir);
	snprintf(args, sizeof(args),
		 "/dts-v1/;\n/include/ \"qemu-virt/qemu-virt-gicv3.dtsi\"\n"
		 "/ { bulkhead { compatible = \"bulkhead,system-v1\"; #address-cells = <2>; "
		 "#size-cells = <2>; root { compatible = \"bulkhead,partition-v1\"; root; "
		 "cpus = <&cpu0>; memory = <0x0 0x40000000 0x0 0x41000000 0x0 0x1000000>; "
		 "app { compatible = \"bulkhead,image-v1\"; file = \"%s\"; "
		 "load = <0x0 0x40000000>; }; }; lx { compatible = \"bulkhead,partition-v1\"; "
		 "cpus = <&cpu1>; bootargs = \"quiet\"; "
		 "memory = <0x0 0x40000000 0x0 0x42000000 0x0 0x1000000>; "
		 "kernel { compatible = \"bulkhead,image-v1\"; format = \"linux\"; file = \"%s\"; "
		 "load = <0x0 0x40000000>; }; dtb { compatible = \"bulkhead,image-v1\"; "
		 "format = \"dtb\"; load = <0x0 0x40f00000>; }; }; }; };\n",
		 path, path);
	write_text(dts, args);
	snprintf(args, sizeof(args), "--reserve 0x48000000:2M --images 0x4c000000 layout %s -o %s",
		 dts, tmpdir);
	BHCONFIG(0, args, "");
	snprintf(path, sizeof(path), "%s/lx.dtb", tmpdir);
	fdt = read_file(path, &size);
	assert_non_null(fdt);
	assert_string_equal(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", NULL),
			    "quiet bulkhead.partition=lx");
	free(fdt);
}

/* A property of the generated tree as one big-endian cell; -1 if absent or not one cell. */
static int64_t cell_of(const void *fdt, const char *path, const char *name)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, fdt_path_offset(fdt, path), name, &len);
	return v != NULL && len == 4 ? (int64_t)fdt32_ld(v) : -1;
}

/*
 * The crash policy: the hypervisor's parser knows the names and reads nothing (it accepts
 * what bhconfig refuses); bhconfig checks, shows, and writes /bulkhead-partitions into the
 * root's generated tree (docs/binding.md, "Crash policy").
 */
static void test_crash_policy(void **state)
{
	(void)state;
	struct sys *s = load_ok("tests/configs/good/policy.dts");
	struct crash_policy pol;
	policy_read(s->fdt, &s->cfg, 1, &pol);
	assert_true(pol.restart);
	assert_int_equal(pol.watchdog_ms, 500);
	assert_true(pol.has_max_restarts);
	assert_int_equal(pol.max_restarts, 2);
	assert_int_equal(pol.restart_delay_ms, 250);
	assert_string_equal(s->cfg.channels[pol.integration].name, "rt0-integ");
	policy_read(s->fdt, &s->cfg, 2, &pol);
	assert_false(pol.restart);
	assert_int_equal(pol.watchdog_ms, 0);
	assert_true(pol.has_max_restarts);
	assert_int_equal(pol.max_restarts, 0);
	assert_int_equal(pol.restart_delay_ms, POLICY_DEFAULT_DELAY_MS);
	assert_int_equal(pol.integration, POLICY_NO_INTEGRATION);
	policy_read(s->fdt, &s->cfg, 0, &pol); /* the root: all defaults */
	assert_false(pol.restart || pol.has_max_restarts);
	free_system(s);

	static const char *const host_only[] = {
		"crash-policy-root",	   "on-crash-value",	   "on-crash-not-string",
		"watchdog-length",	   "max-restarts-empty",   "restart-delay-range",
		"watchdog-no-integration", "integration-provider", "integration-twice",
	};
	for (size_t i = 0; i < ARRAY_SIZE(host_only); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "tests/configs/bad/%s.dts", host_only[i]);
		s = load_src(rel);
		assert_int_equal(s->rc, BH_EINVAL);
		if (parse_hypervisor(s) != BH_OK) {
			print_error("%s: the hypervisor refuses it: %s\n", rel, s->err.msg);
			fail();
		}
		free_system(s);
	}

	BHCONFIG(1, "check tests/configs/bad/watchdog-no-integration.dts",
		 "error: /bulkhead/rt0: watchdog-ms: no integration channel to carry rt0's "
		 "heartbeats (a channel with interface \"integration\", provider 'root', consumer "
		 "'rt0')\n");
	BHCONFIG(1, "show tests/configs/bad/crash-policy-root.dts",
		 "error: /bulkhead/root: on-crash: the root has no crash policy");
	BHCONFIG(0, "show tests/configs/good/policy.dts",
		 "PARTITION       ON-CRASH  WATCHDOG   MAX-RESTARTS  RESTART-DELAY  INTEGRATION\n"
		 "rt0             restart   500 ms     2             250 ms         rt0-integ\n"
		 "rt1             stop      none       0             100 ms         -\n");
	BHCONFIG(0, "show partitions/qemu-virt-hello.dts",
		 "rt0             stop      none       no limit      100 ms         -\n");

	/* layout: the root's generated tree lists the children, their images and policies. */
	char dts[256], text[3000], app[256], args[700], path[256];
	snprintf(dts, sizeof(dts), "%s/policy.dts", tmpdir);
	snprintf(app, sizeof(app), "%s/app.bin", tmpdir);
	write_text(app, "not really a program");
	/* rt0: a policy and an integration channel (its consumer: the last %s); rt1: none. */
	static const char system[] =
		"/dts-v1/;\n/include/ \"qemu-virt/qemu-virt-gicv3.dtsi\"\n"
		"/ { bulkhead { compatible = \"bulkhead,system-v1\"; #address-cells = <2>; "
		"#size-cells = <2>;\n"
		"root { compatible = \"bulkhead,partition-v1\"; root; cpus = <&cpu0>; "
		"memory = <0x0 0x40000000 0x0 0x41000000 0x0 0x1000000>;\n"
		"  app { compatible = \"bulkhead,image-v1\"; file = \"%s\"; load = <0x0 "
		"0x40000000>; "
		"};\n"
		"  dtb { compatible = \"bulkhead,image-v1\"; format = \"dtb\"; "
		"load = <0x0 0x40f00000>; }; };\n"
		"rt0 { compatible = \"bulkhead,partition-v1\"; cpus = <&cpu1>; "
		"memory = <0x0 0x40000000 0x0 0x42000000 0x0 0x1000000>; on-crash = \"restart\"; "
		"watchdog-ms = <500>; max-restarts = <2>;\n"
		"  app { compatible = \"bulkhead,image-v1\"; file = \"%s\"; load = <0x0 "
		"0x40000000>; "
		"};\n"
		"  dtb { compatible = \"bulkhead,image-v1\"; format = \"dtb\"; "
		"load = <0x0 0x40f00000>; }; };\n"
		"rt1 { compatible = \"bulkhead,partition-v1\"; cpus = <&cpu2>; "
		"memory = <0x0 0x40000000 0x0 0x43000000 0x0 0x1000000>;\n"
		"  app { compatible = \"bulkhead,image-v1\"; file = \"%s\"; load = <0x0 "
		"0x40000000>; "
		"};\n"
		"  data { compatible = \"bulkhead,image-v1\"; file = \"%s\"; "
		"load = <0x0 0x40800000>; }; };\n"
		"vmbus { compatible = \"bulkhead,vmbus-v1\"; integ { compatible = "
		"\"bulkhead,channel-v1\"; interface = \"integration\"; provider = \"root\"; "
		"consumer = \"%s\"; reg = <0x0 0x4b000000 0x0 0x4000>; "
		"ring-sizes = <0x0 0x2000 0x0 0x2000>; provider-ipa = <0x0 0x50000000>; "
		"provider-interrupt = <10>; consumer-interrupt = <10>; }; }; }; };\n";
	snprintf(path, sizeof(path), "%s/root.dtb", tmpdir);
	snprintf(args, sizeof(args), "--reserve 0x48000000:2M layout %s -o %s", dts, tmpdir);
	/* Refused before anything is written: rt0's watchdog has no channel for heartbeats. */
	snprintf(text, sizeof(text), system, app, app, app, app, "rt1");
	write_text(dts, text);
	BHCONFIG(1, args,
		 "bhconfig layout: /bulkhead/rt0: watchdog-ms: no integration channel to carry "
		 "rt0's heartbeats");
	assert_int_equal(access(path, F_OK), -1);
	snprintf(text, sizeof(text), system, app, app, app, app, "rt0");
	write_text(dts, text);
	BHCONFIG(0, args, "laid out 6 image(s) for 3 partition(s)");
	int node;
	char *fdt = generated_node(path, "/bulkhead-partitions", "bulkhead,partitions-v1", &node);
	assert_true(fdt_path_offset(fdt, "/bulkhead-partitions/root") < 0); /* not managed */
	int len;
	const char *images =
		fdt_getprop(fdt, fdt_path_offset(fdt, "/bulkhead-partitions/rt0"), "images", &len);
	assert_int_equal(len, sizeof("app\0dtb"));
	assert_memory_equal(images, "app\0dtb", sizeof("app\0dtb"));
	assert_string_equal(fdt_getprop(fdt, fdt_path_offset(fdt, "/bulkhead-partitions/rt0"),
					"on-crash", NULL),
			    "restart");
	assert_int_equal(cell_of(fdt, "/bulkhead-partitions/rt0", "watchdog-ms"), 500);
	assert_int_equal(cell_of(fdt, "/bulkhead-partitions/rt0", "max-restarts"), 2);
	assert_int_equal(cell_of(fdt, "/bulkhead-partitions/rt0", "restart-delay-ms"), -1);
	node = fdt_path_offset(fdt, "/bulkhead-partitions/rt1");
	images = fdt_getprop(fdt, node, "images", &len);
	assert_int_equal(len, sizeof("app\0data"));
	assert_memory_equal(images, "app\0data", sizeof("app\0data"));
	int prop, count = 0;
	fdt_for_each_property_offset(prop, fdt, node)
	{
		count++; /* images only: no policy written means the defaults */
	}
	assert_int_equal(count, 1);
	free(fdt);
	/* Only the root's tree has it. */
	snprintf(path, sizeof(path), "%s/rt0.dtb", tmpdir);
	size_t size;
	fdt = read_file(path, &size);
	assert_non_null(fdt);
	assert_true(fdt_path_offset(fdt, "/bulkhead-partitions") < 0);
	assert_true(fdt_path_offset(fdt, "/vmbus/integ@4b000000") >= 0);
	free(fdt);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_helpers),
		cmocka_unit_test(test_ipa_to_pa),
		cmocka_unit_test(test_good_corpus),
		cmocka_unit_test(test_bad_corpus),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_hello_examples),
		cmocka_unit_test(test_root_moves_first),
		cmocka_unit_test(test_entry_image_rule),
		cmocka_unit_test(test_one_cell_numbers),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_boot_cpu_reordered),
		cmocka_unit_test(test_no_bulkhead),
		cmocka_unit_test(test_duplicate_partition_name),
		cmocka_unit_test(test_memory_edges),
		cmocka_unit_test(test_hyp_footprint),
		cmocka_unit_test(test_qemu_board_dtsi),
		cmocka_unit_test(test_rpi4_board_dtsi),
		cmocka_unit_test(test_rpi4_root_takes_no_dma),
		cmocka_unit_test(test_rpi4_systems_merged),
		cmocka_unit_test(test_bhconfig_check),
		cmocka_unit_test(test_bhconfig_show),
		cmocka_unit_test(test_bhconfig_dtb),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_crash_policy),
	};
	int failed = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	char cmd[512], *out;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (run(cmd, &out) != 0) {
		fprintf(stderr, "%s", out);
	}
	free(out);
	return failed;
}
