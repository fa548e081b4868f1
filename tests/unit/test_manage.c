// SPDX-License-Identifier: MIT
/*
 * Host tests for the root's management calls (core/manage.c,
 * docs/hypercalls.md): refused, counted and reported from a child; STATUS
 * and STOP_REASON; START, STOP and RESTART never aimed at the root and taken
 * by the real lifecycle's answers; every bound of LOAD (image number, size
 * against the slot, the buffer inside the root's memory regions in 64-bit
 * arithmetic, the target's state); and CONSOLE over the real console history
 * (core/vconsole.c): positions, the ring written over, a reader that fell
 * behind. The root's IPA is translated by the real core/config.c; the
 * lifecycle (partition.c) is local fakes that record what they were asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <bulkhead/abi.h>
#include <core/partition.h>

#include "fake_arch.h"

#define ROOT_RAM0      0x40000000UL /* the root's two regions: 16 MiB at PA 0x90000000 */
#define ROOT_RAM0_SIZE 0x01000000UL
#define ROOT_RAM1      0x60000000UL /* and 64 KiB at PA 0xa0000000 */
#define ROOT_RAM1_SIZE 0x10000UL
#define SLOT_SIZE      0x20000UL /* rt0's image "app" */

/* ---------------------------------------------------------------- fakes */

static struct config_partition cfgs[3];
static struct partition parts[3]; /* root, rt0, rt1 */

static struct {
	unsigned starts, stops, restarts, replaces, logs;
	bool refuse; /* the lifecycle calls answer "not in that state" */
	struct partition *target;
	unsigned image;
	paddr_t src;
	uint64_t offset, size;
	char why[64];
	char log[128];
} rec;

struct partition *partition_get(uint64_t id)
{
	return id < ARRAY_SIZE(parts) ? &parts[id] : NULL;
}

int partition_start(struct partition *p)
{
	rec.starts++;
	rec.target = p;
	if (!rec.refuse) {
		atomic_store(&p->state, PARTITION_RUNNING);
	}
	return rec.refuse ? BH_EEXIST : BH_OK;
}

/* The root's vCPU is never the target's: it is no caller to skip. */
bool partition_stop(struct partition *p, struct vcpu *caller, const char *why, const char *fault)
{
	assert_null(caller);
	assert_null(fault);
	rec.stops++;
	rec.target = p;
	snprintf(rec.why, sizeof(rec.why), "%s", why);
	if (!rec.refuse) {
		atomic_store(&p->state, PARTITION_STOPPED);
		atomic_store(&p->crashed, false);
	}
	return !rec.refuse;
}

bool partition_restart(struct partition *p, struct vcpu *caller, const char *why)
{
	assert_null(caller);
	rec.restarts++;
	rec.target = p;
	snprintf(rec.why, sizeof(rec.why), "%s", why);
	return !rec.refuse;
}

int partition_replace_image(struct partition *p, unsigned image, paddr_t src, uint64_t offset,
			    uint64_t size)
{
	/* partition.c's BUG_ON: manage.c checked them all. */
	assert_true(image < p->cfg->image_count && offset <= p->cfg->images[image].size &&
		    size <= p->cfg->images[image].size - offset);
	rec.replaces++;
	rec.target = p;
	rec.image = image;
	rec.src = src;
	rec.offset = offset;
	rec.size = size;
	return atomic_load(&p->state) == PARTITION_STOPPED ? BH_OK : BH_EEXIST;
}

void guest_log(struct vcpu *v, int level, const char *fmt, ...)
{
	va_list ap;
	assert_ptr_equal(v->partition, &parts[1]);
	assert_int_equal(level, LOG_WARN);
	rec.logs++;
	va_start(ap, fmt);
	vsnprintf(rec.log, sizeof(rec.log), fmt, ap);
	va_end(ap);
}

/* What vconsole.c needs besides the partition: the physical console and the vGIC. */
bool log_tagged_line(const char *tag, const char *text, size_t len)
{
	(void)tag, (void)text, (void)len;
	return true;
}
void console_buffer(bool irq)
{
	(void)irq;
}
void console_irq(void)
{
}
int console_getc(void)
{
	return -1;
}
void vgic_raise(struct vgic *vg, unsigned vcpu, unsigned intid)
{
	(void)vg, (void)vcpu, (void)intid;
	fail_msg("no vuart in these tests");
}
const char *partition_state_name(unsigned state)
{
	(void)state;
	return "running";
}

/* ---------------------------------------------------------------- helpers */

static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	memset(&rec, 0, sizeof(rec));
	memset(cfgs, 0, sizeof(cfgs));
	memset(parts, 0, sizeof(parts));
	static const char *const names[] = {"root", "rt0", "rt1"};
	for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
		struct config_partition *c = &cfgs[i];
		strcpy(c->name, names[i]);
		c->id = i;
		c->cpu_mask = 1UL << i;
		c->cpu_count = 1;
		c->mem_count = 1;
		c->mem[0] = (struct config_mem){ipa_init(0x40000000),
						pa_init(0x41000000 + i * 0x1000000), 0x1000000};
		c->image_count = 1;
		strcpy(c->images[0].name, "app");
		c->images[0].src_pa = pa_init(0x4c000000 + i * 0x100000);
		c->images[0].size = SLOT_SIZE;
		parts[i].cfg = c;
		parts[i].id = i;
		parts[i].vcpu_count = 1;
		parts[i].vcpus[0] = (struct vcpu){.partition = &parts[i], .index = 0, .pcpu = i};
		atomic_store(&parts[i].state, PARTITION_RUNNING);
	}
	cfgs[0].is_root = true;
	cfgs[0].mem[0] =
		(struct config_mem){ipa_init(ROOT_RAM0), pa_init(0x90000000), ROOT_RAM0_SIZE};
	cfgs[0].mem[1] =
		(struct config_mem){ipa_init(ROOT_RAM1), pa_init(0xa0000000), ROOT_RAM1_SIZE};
	cfgs[0].mem_count = 2;
	/* rt1: two vCPUs, a second region and a second image. */
	cfgs[2].cpu_mask = 0xc;
	cfgs[2].cpu_count = 2;
	parts[2].vcpu_count = 2;
	cfgs[2].mem[1] = (struct config_mem){ipa_init(0x80000000), pa_init(0x60000000), 0x200000};
	cfgs[2].mem_count = 2;
	strcpy(cfgs[2].images[1].name, "data");
	cfgs[2].images[1].size = 0x1000;
	cfgs[2].image_count = 2;
	return 0;
}

static uint64_t x[31];
static uint64_t x5; /* LOAD's offset; other calls ignore x5 */

/* Partition `from` calls fn with x1-x4 = a; returns x0. */
static int64_t call(unsigned from, uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	for (unsigned i = 0; i < ARRAY_SIZE(x); i++) {
		x[i] = 0x5555555555555555ULL * i; /* stale register contents */
	}
	x[0] = fn;
	x[1] = a1;
	x[2] = a2;
	x[3] = a3;
	x[4] = a4;
	if (fn == BH_HVC_PARTITION_LOAD && from == 0) {
		x[5] = x5; /* elsewhere stale: the tests check that nothing writes it */
	}
	assert_true(manage_hypercall(&parts[from].vcpus[0], fn, x));
	return (int64_t)x[0];
}

static int64_t root(uint32_t fn, uint64_t target, uint64_t a2, uint64_t a3, uint64_t a4)
{
	return call(0, fn, target, a2, a3, a4);
}

/* ---------------------------------------------------------------- tests */

static void test_not_mine(void **state)
{
	(void)state;
	static const uint32_t others[] = {BH_HVC_VERSION, BH_HVC_VCPU_STATS, BH_HVC_FN(20),
					  BH_HVC_FN(0xffff)};
	for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
		x[0] = 0x1234;
		assert_false(manage_hypercall(&parts[1].vcpus[0], others[i], x));
		assert_false(manage_hypercall(&parts[0].vcpus[0], others[i], x));
		assert_int_equal(x[0], 0x1234);
	}
	assert_int_equal(atomic_load(&parts[1].denied), 0);
}

/* A child's management call: DENIED, nothing done, counted, one rate-limited line each. */
static void test_child_denied(void **state)
{
	(void)state;
	atomic_store(&parts[2].state, PARTITION_STOPPED);
	for (uint32_t fn = BH_HVC_PARTITION_STATUS; fn <= BH_HVC_PARTITION_CONSOLE; fn++) {
		assert_int_equal(call(1, fn, 2, 0, ROOT_RAM0, 0x100), BH_HVC_DENIED);
		assert_int_equal(x[1], 2); /* nothing else written */
		assert_int_equal(x[5], 0x5555555555555555ULL * 5);
	}
	assert_int_equal(rec.starts + rec.stops + rec.restarts + rec.replaces, 0);
	assert_int_equal(atomic_load(&parts[2].state), PARTITION_STOPPED);
	assert_int_equal(atomic_load(&parts[1].denied), 7);
	assert_int_equal(rec.logs, 7);
	assert_string_equal(rec.log, "management call 0xc6000013: DENIED (the root's only)");
	/* The count shows in the root's STATUS of that child, in x5[63:32]. */
	assert_int_equal(root(BH_HVC_PARTITION_STATUS, 1, 0, 0, 0), BH_HVC_OK);
	assert_int_equal(x[5] >> 32, 7);
}

static void test_status(void **state)
{
	(void)state;
	char name[16];
	atomic_store(&parts[2].starts, 3);
	atomic_store(&parts[2].denied, 2);
	assert_int_equal(root(BH_HVC_PARTITION_STATUS, 2, 0, 0, 0), BH_HVC_OK);
	assert_int_equal(x[1], BH_PARTITION_RUNNING);
	assert_int_equal(x[2], 2);		      /* vCPUs */
	assert_int_equal(x[3], 0xc);		      /* CPUs */
	assert_int_equal(x[4], 0x1000000 + 0x200000); /* both regions */
	assert_int_equal(x[5], 2ULL << 32 | 3);	      /* denied, starts */
	memcpy(name, &x[6], sizeof(name));
	assert_memory_equal(name, "rt1\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* The root may look at itself; the root's memory is both its regions. */
	assert_int_equal(root(BH_HVC_PARTITION_STATUS, 0, 0, 0, 0), BH_HVC_OK);
	assert_int_equal(x[4], ROOT_RAM0_SIZE + ROOT_RAM1_SIZE);
	/* Every state, and a stop by a fault. */
	static const unsigned states[][3] = {
		/* internal state, crashed, what STATUS says */
		{PARTITION_STOPPED, 0, BH_PARTITION_STOPPED},
		{PARTITION_STOPPED, 1, BH_PARTITION_CRASHED},
		{PARTITION_STOPPING, 1, BH_PARTITION_STOPPING},
		{PARTITION_RESTARTING, 0, BH_PARTITION_RESTARTING},
		{PARTITION_STARTING, 0, BH_PARTITION_STARTING},
		{PARTITION_LOADING, 0, BH_PARTITION_LOADING},
		{PARTITION_RUNNING, 1, BH_PARTITION_RUNNING},
	};
	for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
		atomic_store(&parts[1].state, states[i][0]);
		atomic_store(&parts[1].crashed, states[i][1] != 0);
		assert_int_equal(root(BH_HVC_PARTITION_STATUS, 1, 0, 0, 0), BH_HVC_OK);
		assert_int_equal(x[1], states[i][2]);
	}
	/* Ids past the last, however large (no truncation to 32 bits): INVALID, nothing written. */
	static const uint64_t bad[] = {3, 255, 1ULL << 32, 1ULL << 32 | 1, ~0ULL};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(root(BH_HVC_PARTITION_STATUS, bad[i], 0, 0, 0), BH_HVC_INVALID);
		assert_int_equal(x[5], 0x5555555555555555ULL * 5);
	}
}

static void test_stop_reason(void **state)
{
	(void)state;
	char chunk[32];
	/* Never stopped: "". */
	assert_int_equal(root(BH_HVC_PARTITION_STOP_REASON, 1, 0, 0, 0), 0);
	assert_int_equal(x[1], 0);
	assert_int_equal(root(BH_HVC_PARTITION_STOP_REASON, 1, 1, 0, 0), BH_HVC_INVALID);
	const char *why = "vCPU 0 (CPU1): stage-2 data abort: read of IPA 0x80000000, which is "
			  "not mapped for this partition";
	strcpy(parts[1].stop_reason, why);
	size_t len = strlen(why);
	for (uint64_t off = 0; off <= len; off += 32) {
		assert_int_equal(root(BH_HVC_PARTITION_STOP_REASON, 1, off, 0, 0), len);
		memcpy(chunk, &x[1], sizeof(chunk));
		size_t n = len - off < 32 ? len - off : 32;
		assert_memory_equal(chunk, why + off, n);
		for (size_t i = n; i < sizeof(chunk); i++) {
			assert_int_equal(chunk[i], 0);
		}
	}
	assert_int_equal(root(BH_HVC_PARTITION_STOP_REASON, 1, len + 1, 0, 0), BH_HVC_INVALID);
	assert_int_equal(root(BH_HVC_PARTITION_STOP_REASON, 1, ~0ULL, 0, 0), BH_HVC_INVALID);
	assert_int_equal(root(BH_HVC_PARTITION_STOP_REASON, 7, 0, 0, 0), BH_HVC_INVALID);
	/* A full buffer without a NUL: its 128 bytes, nothing beyond. */
	memset(parts[1].stop_reason, 'z', sizeof(parts[1].stop_reason));
	assert_int_equal(root(BH_HVC_PARTITION_STOP_REASON, 1, 120, 0, 0), 128);
	memcpy(chunk, &x[1], sizeof(chunk));
	assert_memory_equal(chunk, "zzzzzzzz\0\0", 10);
}

static void test_lifecycle(void **state)
{
	(void)state;
	assert_int_equal(root(BH_HVC_PARTITION_STOP, 1, 0, 0, 0), BH_HVC_OK);
	assert_int_equal(x[1], BH_PARTITION_STOPPED);
	assert_ptr_equal(rec.target, &parts[1]);
	assert_string_equal(rec.why, "asked by the root");
	assert_int_equal(root(BH_HVC_PARTITION_START, 1, 0, 0, 0), BH_HVC_OK);
	assert_int_equal(x[1], BH_PARTITION_RUNNING);
	assert_int_equal(root(BH_HVC_PARTITION_RESTART, 2, 0, 0, 0), BH_HVC_OK);
	assert_ptr_equal(rec.target, &parts[2]);
	assert_int_equal(rec.starts + rec.stops + rec.restarts, 3);
	/* What the lifecycle refuses (start a running one, stop a stopped one): INVALID + state. */
	rec.refuse = true;
	atomic_store(&parts[2].crashed, true);
	atomic_store(&parts[2].state, PARTITION_STOPPED);
	assert_int_equal(root(BH_HVC_PARTITION_STOP, 2, 0, 0, 0), BH_HVC_INVALID);
	assert_int_equal(x[1], BH_PARTITION_CRASHED);
	assert_int_equal(root(BH_HVC_PARTITION_RESTART, 2, 0, 0, 0), BH_HVC_INVALID);
	atomic_store(&parts[1].state, PARTITION_RUNNING);
	assert_int_equal(root(BH_HVC_PARTITION_START, 1, 0, 0, 0), BH_HVC_INVALID);
	assert_int_equal(x[1], BH_PARTITION_RUNNING);
	assert_int_equal(rec.starts + rec.stops + rec.restarts, 6);
	/* The root itself, or no partition: refused before anything is asked. */
	for (uint32_t fn = BH_HVC_PARTITION_START; fn <= BH_HVC_PARTITION_LOAD; fn++) {
		assert_int_equal(root(fn, 0, 0, ROOT_RAM0, 0x100), BH_HVC_INVALID);
		assert_int_equal(root(fn, 3, 0, ROOT_RAM0, 0x100), BH_HVC_INVALID);
		assert_int_equal(root(fn, 1ULL << 32 | 1, 0, ROOT_RAM0, 0x100), BH_HVC_INVALID);
	}
	assert_int_equal(rec.starts + rec.stops + rec.restarts + rec.replaces, 6);
}

/* LOAD of `size` bytes at the root's `ipa` into partition `target`'s image `image` at `offset`. */
static int64_t load_at(uint64_t target, uint64_t image, uint64_t ipa, uint64_t size,
		       uint64_t offset)
{
	x5 = offset;
	int64_t rc = root(BH_HVC_PARTITION_LOAD, target, image, ipa, size);
	x5 = 0;
	return rc;
}

static int64_t load(uint64_t target, uint64_t image, uint64_t ipa, uint64_t size)
{
	return load_at(target, image, ipa, size, 0);
}

static void test_load(void **state)
{
	(void)state;
	atomic_store(&parts[1].state, PARTITION_STOPPED);
	atomic_store(&parts[2].state, PARTITION_STOPPED);
	/* The whole slot, from the start of the root's first region. */
	assert_int_equal(load(1, 0, ROOT_RAM0, SLOT_SIZE), BH_HVC_OK);
	assert_int_equal(rec.replaces, 1);
	assert_ptr_equal(rec.target, &parts[1]);
	assert_int_equal(rec.image, 0);
	assert_int_equal(pa_addr(rec.src), 0x90000000);
	assert_int_equal(rec.size, SLOT_SIZE);
	/* Ending exactly at the end of the root's second region; a second image. */
	assert_int_equal(load(2, 1, ROOT_RAM1 + ROOT_RAM1_SIZE - 0x1000, 0x1000), BH_HVC_OK);
	assert_int_equal(rec.image, 1);
	assert_int_equal(pa_addr(rec.src), 0xa0000000 + ROOT_RAM1_SIZE - 0x1000);
	/* One byte. */
	assert_int_equal(load(2, 0, ROOT_RAM0 + 5, 1), BH_HVC_OK);
	assert_int_equal(rec.replaces, 3);

	static const uint64_t bad[][4] = {
		/* target, image, ipa, size */
		{1, 1, ROOT_RAM0, 0x100},	       /* rt0 has one image */
		{2, 2, ROOT_RAM0, 0x100},	       /* rt1 has two */
		{1, 1ULL << 32, ROOT_RAM0, 0x100},     /* no truncation of the number */
		{1, ~0ULL, ROOT_RAM0, 0x100},	       /* nor an index from -1 */
		{1, 0, ROOT_RAM0, 0},		       /* nothing to load */
		{1, 0, ROOT_RAM0, SLOT_SIZE + 1},      /* bigger than the slot */
		{2, 1, ROOT_RAM0, 0x1001},	       /* bigger than that image's slot */
		{1, 0, ROOT_RAM0, 1ULL << 32 | 0x100}, /* the slot's size plus 2^32 */
		{1, 0, ROOT_RAM0 - 1, 0x100},	       /* starts before the root's memory */
		{1, 0, ROOT_RAM0 + ROOT_RAM0_SIZE - 0x80, 0x100}, /* runs past its end */
		{1, 0, ROOT_RAM1 + ROOT_RAM1_SIZE, 1},		  /* just past the second region */
		{1, 0, 0x50000000, 0x100},			  /* between the regions */
		{1, 0, 0x41000000 + 0x1000000, 0x100}, /* rt0's own PA as an IPA: not the root's */
		{1, 0, 0x0, 0x100},		       /* IPA 0 */
		{1, 0, ~0ULL - 0xff, 0x100},	       /* ends at 2^64 exactly */
		{1, 0, ~0ULL - 0x7f, 0x100},	       /* wraps past 2^64 */
		{1, 0, ROOT_RAM0, ~0ULL},	       /* the largest size */
		{1, 0, ~0ULL, ~0ULL},		       /* both */
		{0, 0, ROOT_RAM0 + 0x100000, 0x100},   /* the root's own image */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(load(bad[i][0], bad[i][1], bad[i][2], bad[i][3]), BH_HVC_INVALID);
	}
	assert_int_equal(rec.replaces, 3);
	/* A running (or starting, loading...) target: partition.c refuses, the call says INVALID.
	 */
	/* Pieces: the last one ends exactly at the end of the slot; none may run past it. */
	assert_int_equal(load_at(1, 0, ROOT_RAM0, 0x100, SLOT_SIZE - 0x100), BH_HVC_OK);
	assert_int_equal(rec.offset, SLOT_SIZE - 0x100);
	assert_int_equal(rec.size, 0x100);
	static const uint64_t bad_piece[][2] = {
		/* size, offset */
		{0x101, SLOT_SIZE - 0x100}, /* one byte past the end */
		{1, SLOT_SIZE},		    /* starts at the end */
		{1, ~0ULL},		    /* offset + size wraps to 0 */
		{0x100, ~0ULL - 0xfe},	    /* wraps past 2^64 */
		{0x100, 1ULL << 32},	    /* no truncation of the offset */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_piece); i++) {
		assert_int_equal(load_at(1, 0, ROOT_RAM0, bad_piece[i][0], bad_piece[i][1]),
				 BH_HVC_INVALID);
	}
	assert_int_equal(rec.replaces, 4);
	atomic_store(&parts[1].state, PARTITION_RUNNING);
	assert_int_equal(load(1, 0, ROOT_RAM0, 0x100), BH_HVC_INVALID);
	atomic_store(&parts[1].state, PARTITION_LOADING);
	assert_int_equal(load(1, 0, ROOT_RAM0, 0x100), BH_HVC_INVALID);
	assert_int_equal(rec.replaces, 6);
}

/* CONSOLE of partition `target` from `from`: x0, and the bytes into out[32]. */
static int64_t history(uint64_t target, uint64_t from, char *out)
{
	int64_t rc = root(BH_HVC_PARTITION_CONSOLE, target, from, 0, 0);
	memcpy(out, &x[3], 32);
	return rc;
}

static void print(struct partition *p, const char *text)
{
	vconsole_write(p, (const uint8_t *)text, strlen(text));
}

static void test_console_history(void **state)
{
	(void)state;
	char got[33] = {0};
	/* Nothing printed yet: 0 bytes, positions 0. */
	assert_int_equal(history(1, 0, got), 0);
	assert_int_equal(x[1], 0);
	assert_int_equal(x[2], 0);
	assert_int_equal(history(1, 1, got), BH_HVC_INVALID); /* from the future */
	/* Whole lines only ("\r" dropped, controls as "?"), each with its "\n". */
	print(&parts[1], "hello\r\n");
	print(&parts[1], "half a li");
	assert_int_equal(history(1, 0, got), 6);
	assert_memory_equal(got, "hello\n\0", 7);
	assert_int_equal(x[1], 0);
	assert_int_equal(x[2], 6);
	print(&parts[1], "ne\x1b[2J\n");
	assert_int_equal(history(1, 6, got), 16);
	assert_memory_equal(got, "half a line?[2J\n", 16);
	assert_int_equal(x[1], 6);
	assert_int_equal(x[2], 22);
	/* From the middle, and from the end (nothing more, not an error). */
	assert_int_equal(history(1, 20, got), 2);
	assert_memory_equal(got, "J\n", 2);
	assert_int_equal(history(1, 22, got), 0);
	assert_int_equal(history(1, 23, got), BH_HVC_INVALID);
	assert_int_equal(history(1, ~0ULL, got), BH_HVC_INVALID);
	/* Each partition has its own; the root's too. */
	assert_int_equal(history(2, 0, got), 0);
	print(&parts[0], "root line\n");
	assert_int_equal(history(0, 0, got), 10);

	/* 32 bytes a call, and the ring written over: a reader that fell behind is told. */
	char line[41];
	uint64_t total = 22;
	for (unsigned i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "line %04u .............................\n", i);
		print(&parts[1], line);
		total += 40;
	}
	assert_int_equal(history(1, 0, got), 32);
	assert_int_equal(x[2], total);
	assert_int_equal(x[1], total - VCONSOLE_HISTORY); /* the oldest byte kept */
	uint64_t missed = x[1] - 0;
	assert_true(missed > 0);
	/* Reading on from there, chunk by chunk, gives the last 4 KiB exactly. */
	static char all[VCONSOLE_HISTORY + 1];
	uint64_t at = x[1];
	size_t have = 0;
	while (history(1, at, got) > 0) {
		assert_int_equal(x[1], at);
		memcpy(all + have, got, (size_t)x[0]);
		have += (size_t)x[0];
		at += x[0];
	}
	assert_int_equal(have, VCONSOLE_HISTORY);
	assert_int_equal(at, total);
	assert_memory_equal(all + VCONSOLE_HISTORY - 40,
			    "line 0299 .............................\n", 40);
	/* A restart keeps the history: it is what the root reads after a crash. */
	vconsole_reset(&parts[1]);
	assert_int_equal(history(1, total - 40, got), 32);
	assert_memory_equal(got, "line 0299", 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_not_mine, setup),
		cmocka_unit_test_setup(test_child_denied, setup),
		cmocka_unit_test_setup(test_status, setup),
		cmocka_unit_test_setup(test_stop_reason, setup),
		cmocka_unit_test_setup(test_lifecycle, setup),
		cmocka_unit_test_setup(test_load, setup),
		cmocka_unit_test_setup(test_console_history, setup),
	};
	return cmocka_run_group_tests_name("manage", tests, NULL, NULL);
}
