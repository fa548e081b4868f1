// SPDX-License-Identifier: MIT
/*
 * Host tests for the Bulkhead hypercalls (core/hypercall.c, docs/hypercalls.md):
 * version, partition info and name, console write/read limits, bootargs in
 * 32-byte chunks, channel calls handed to channel.c, management calls to
 * manage.c, PSCI/SMCCC IDs handed to
 * vpsci.c, a guest's crash report stopping it with its text made printable,
 * and unknown calls answered NOT_SUPPORTED with a report. The
 * services it calls (vconsole, channel, vpsci, vcpu_fault, guest_log) are
 * local fakes that record what they got; arch and log are the shared fake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <bulkhead/abi.h>
#include <core/channel.h>
#include <core/partition.h>

#include "fake_arch.h"

/* ---------------------------------------------------------------- fakes */

static struct config_partition cfg;
static struct partition part;

static struct {
	unsigned writes, reads, channel_calls, manage_calls, faults, psci_calls, logs;
	uint32_t psci_fn;
	char log[96];
	struct partition *p;
	uint8_t written[64];
	size_t written_len;
	uint8_t typed[64]; /* what vconsole_read hands out */
	size_t typed_len;
	size_t read_max;
	uint32_t channel_fn;
	const struct guest_exit *fault_exit;
	struct vcpu *fault_vcpu;
	char fault_what[96];
} rec;

void vconsole_write(struct partition *p, const uint8_t *bytes, size_t n)
{
	assert_in_range(n, 0, sizeof(rec.written));
	rec.writes++;
	rec.p = p;
	memcpy(rec.written, bytes, n);
	rec.written_len = n;
}

size_t vconsole_read(struct partition *p, uint8_t *buf, size_t max)
{
	rec.reads++;
	rec.p = p;
	rec.read_max = max;
	size_t n = MIN(max, rec.typed_len);
	memcpy(buf, rec.typed, n);
	return n;
}

/* Owns the six channel calls; answers with a marker the test can see. */
bool channel_hypercall(struct partition *p, uint32_t fn, uint64_t *x)
{
	rec.channel_calls++;
	rec.p = p;
	rec.channel_fn = fn;
	if (fn < BH_HVC_CHANNEL_INFO || fn > BH_HVC_CHANNEL_SIGNAL) {
		return false;
	}
	x[0] = 0xc4a77e1;
	return true;
}

/* Owns the management calls (manage.c, its own tests); answers with a marker. */
bool manage_hypercall(struct vcpu *v, uint32_t fn, uint64_t *x)
{
	assert_ptr_equal(v, &part.vcpus[1]);
	rec.manage_calls++;
	if (fn < BH_HVC_PARTITION_STATUS || fn > BH_HVC_PARTITION_CONSOLE) {
		return false;
	}
	x[0] = 0x3a9a6e;
	return true;
}

enum guest_action vcpu_fault(struct vcpu *v, const struct guest_exit *exit, const char *what)
{
	rec.faults++;
	rec.fault_vcpu = v;
	rec.fault_exit = exit;
	strncpy(rec.fault_what, what, sizeof(rec.fault_what) - 1);
	return GUEST_STOP;
}

enum guest_action vpsci_call(struct vcpu *v, uint64_t *x)
{
	assert_ptr_equal(v, &part.vcpus[1]);
	rec.psci_calls++;
	rec.psci_fn = (uint32_t)x[0];
	x[0] = 0x9511;
	return GUEST_RESUME;
}

void guest_log(struct vcpu *v, int level, const char *fmt, ...)
{
	va_list ap;
	assert_ptr_equal(v, &part.vcpus[1]);
	assert_int_equal(level, LOG_INFO);
	rec.logs++;
	va_start(ap, fmt);
	vsnprintf(rec.log, sizeof(rec.log), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- helpers */

/* Partition 2, "rt1": 3 vCPUs on CPUs 1-3; calls come from vCPU 1. */
static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	memset(&rec, 0, sizeof(rec));
	memset(&cfg, 0, sizeof(cfg));
	memset(&part, 0, sizeof(part));
	strcpy(cfg.name, "rt1");
	cfg.id = 2;
	cfg.cpu_mask = 0xe;
	cfg.cpu_count = 3;
	strcpy(cfg.bootargs, "reset_after=3 test=latency");
	part.cfg = &cfg;
	part.id = 2;
	part.vcpu_count = 3;
	for (unsigned i = 0; i < part.vcpu_count; i++) {
		part.vcpus[i].partition = &part;
		part.vcpus[i].index = i;
		part.vcpus[i].pcpu = 1 + i;
	}
	atomic_store(&part.state, PARTITION_RUNNING);
	return 0;
}

static uint64_t x[31];
static struct guest_exit exit_;
static enum guest_action action;

/* vCPU 1 calls fn with x1 = a1 and x2-x5 = the bytes of `more` (if any); returns x0. */
static int64_t hvc(uint64_t fn, uint64_t a1, const void *more, size_t more_len)
{
	for (unsigned i = 0; i < ARRAY_SIZE(x); i++) {
		x[i] = 0x5555555555555555ULL * i; /* stale register contents */
	}
	x[0] = fn;
	x[1] = a1;
	if (more != NULL) {
		memset(&x[2], 0, 4 * sizeof(x[0]));
		memcpy(&x[2], more, more_len);
	}
	exit_ = (struct guest_exit){.kind = GUEST_EXIT_HVC,
				    .x = x,
				    .pc = 0x40001000,
				    .esr = 0x5a000000,
				    .cause = "HVC64"};
	action = hypercall(&part.vcpus[1], &exit_);
	return (int64_t)x[0];
}

/* x1.. as bytes, for results that are strings. */
static void result_bytes(unsigned first, void *out, size_t n)
{
	memcpy(out, &x[first], n);
}

/* ---------------------------------------------------------------- tests */

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(hvc(BH_HVC_VERSION, 0, NULL, 0), 0x10005);
	assert_int_equal(action, GUEST_RESUME);
	/* The function id is w0: the upper half of x0 is ignored. */
	assert_int_equal(hvc(0xabcdef0000000000ULL | BH_HVC_VERSION, 0, NULL, 0), 0x10005);
	assert_int_equal(rec.faults + rec.channel_calls, 0);
}

/* Root only: how much work EL2 did on a CPU is a timing signal. */
static void test_vcpu_stats(void **state)
{
	(void)state;
	part.vcpus[1].exits = 1234;
	assert_int_equal(hvc(BH_HVC_VCPU_STATS, 0, NULL, 0), BH_HVC_DENIED);
	assert_int_equal(x[2], 0xaaaaaaaaaaaaaaaaULL); /* nothing else changed */
	cfg.is_root = true;
	assert_int_equal(hvc(BH_HVC_VCPU_STATS, 0, NULL, 0), BH_HVC_OK);
	assert_int_equal(x[1], 1234);
	assert_int_equal(x[2], 0); /* the fake arch counts nothing */
	assert_int_equal(action, GUEST_RESUME);
	assert_int_equal(rec.faults + rec.channel_calls + rec.logs, 0);
}

static void test_partition_info(void **state)
{
	(void)state;
	assert_int_equal(hvc(BH_HVC_PARTITION_INFO, 0, NULL, 0), BH_HVC_OK);
	assert_int_equal(action, GUEST_RESUME);
	assert_int_equal(x[1], 2);   /* partition id */
	assert_int_equal(x[2], 3);   /* vCPUs */
	assert_int_equal(x[3], 1);   /* the calling vCPU */
	assert_int_equal(x[4], 0xe); /* its physical CPUs */
	/* The root is partition 0, asked from its vCPU 0. */
	part.id = 0;
	exit_.x = x;
	memset(x, 0, sizeof(x));
	x[0] = BH_HVC_PARTITION_INFO;
	assert_int_equal(hypercall(&part.vcpus[0], &exit_), GUEST_RESUME);
	assert_int_equal(x[1], 0);
	assert_int_equal(x[3], 0);
}

static void test_partition_name(void **state)
{
	(void)state;
	char name[17] = {0};
	assert_int_equal(hvc(BH_HVC_PARTITION_NAME, 0, NULL, 0), BH_HVC_OK);
	assert_int_equal(action, GUEST_RESUME);
	result_bytes(1, name, 16);
	assert_memory_equal(name, "rt1\0\0\0\0\0\0\0\0\0\0\0\0\0", 16); /* NUL-padded */
	assert_int_equal(x[1], 0x317472);		   /* little endian: 'r' in x1[7:0] */
	assert_int_equal(x[3], 0x5555555555555555ULL * 3); /* x3 on: untouched */

	/* The longest name fills both registers. */
	strcpy(cfg.name, "abcdefghijklmno");
	assert_int_equal(hvc(BH_HVC_PARTITION_NAME, 0, NULL, 0), BH_HVC_OK);
	result_bytes(1, name, 16);
	assert_memory_equal(name, "abcdefghijklmno", 16);
	/* Sixteen bytes without a NUL: all of them, and nothing after. */
	memcpy(cfg.name, "ABCDEFGHIJKLMNOP", 16);
	assert_int_equal(hvc(BH_HVC_PARTITION_NAME, 0, NULL, 0), BH_HVC_OK);
	result_bytes(1, name, 16);
	assert_memory_equal(name, "ABCDEFGHIJKLMNOP", 16);
}

static void test_console_write(void **state)
{
	(void)state;
	uint8_t bytes[32];
	for (unsigned i = 0; i < sizeof(bytes); i++) {
		bytes[i] = (uint8_t)('A' + i);
	}
	/* Every length 0..32 is printed exactly, first byte from x2[7:0]. */
	for (unsigned len = 0; len <= BH_HVC_CONSOLE_WRITE_MAX; len++) {
		assert_int_equal(hvc(BH_HVC_CONSOLE_WRITE, len, bytes, sizeof(bytes)), BH_HVC_OK);
		assert_int_equal(action, GUEST_RESUME);
		assert_int_equal(rec.writes, len + 1);
		assert_ptr_equal(rec.p, &part);
		assert_int_equal(rec.written_len, len);
		assert_memory_equal(rec.written, bytes, len);
	}
	/* Longer is refused and prints nothing, even if the low half looks small. */
	static const uint64_t bad[] = {33, 64, 1ULL << 32, 1ULL << 32 | 5, 1ULL << 63, ~0ULL};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(hvc(BH_HVC_CONSOLE_WRITE, bad[i], bytes, sizeof(bytes)),
				 BH_HVC_INVALID);
		assert_int_equal(action, GUEST_RESUME);
	}
	assert_int_equal(rec.writes, BH_HVC_CONSOLE_WRITE_MAX + 1);
	assert_int_equal(rec.faults, 0);
}

static void test_console_read(void **state)
{
	(void)state;
	uint8_t got[32];
	/* Nothing typed: 0, and x1-x4 hold no stale register contents. */
	assert_int_equal(hvc(BH_HVC_CONSOLE_READ, 0, NULL, 0), 0);
	assert_int_equal(action, GUEST_RESUME);
	assert_int_equal(rec.read_max, BH_HVC_CONSOLE_READ_MAX);
	assert_ptr_equal(rec.p, &part);
	for (unsigned i = 1; i <= 4; i++) {
		assert_int_equal(x[i], 0);
	}
	/* A few bytes, NUL-padded, first byte in x1[7:0]. */
	memcpy(rec.typed, "ls -l\r", 6);
	rec.typed_len = 6;
	assert_int_equal(hvc(BH_HVC_CONSOLE_READ, 0, NULL, 0), 6);
	result_bytes(1, got, sizeof(got));
	assert_memory_equal(got, "ls -l\r\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32);
	assert_int_equal(x[1] & 0xff, 'l');
	/* More than fits: at most 32 per call. */
	for (unsigned i = 0; i < sizeof(rec.typed); i++) {
		rec.typed[i] = (uint8_t)(0x80 + i);
	}
	rec.typed_len = sizeof(rec.typed);
	assert_int_equal(hvc(BH_HVC_CONSOLE_READ, 0, NULL, 0), 32);
	result_bytes(1, got, sizeof(got));
	assert_memory_equal(got, rec.typed, 32);
	assert_int_equal(x[5], 0x5555555555555555ULL * 5); /* x5 on: untouched */
	assert_int_equal(rec.reads, 3);
}

/* BOOTARGS at `offset`: x0, and the chunk into out[32]. */
static int64_t bootargs_at(uint64_t offset, char *out)
{
	int64_t rc = hvc(BH_HVC_BOOTARGS, offset, NULL, 0);
	assert_int_equal(action, GUEST_RESUME);
	result_bytes(1, out, BH_HVC_BOOTARGS_CHUNK);
	return rc;
}

static void test_bootargs(void **state)
{
	(void)state;
	char chunk[32];
	const char *args = "reset_after=3 test=latency"; /* 26 bytes */
	assert_int_equal(bootargs_at(0, chunk), 26);
	assert_memory_equal(chunk, args, 26);
	assert_memory_equal(chunk + 26, "\0\0\0\0\0\0", 6);
	/* From the middle: the rest, NUL-padded. */
	assert_int_equal(bootargs_at(14, chunk), 26);
	assert_memory_equal(chunk, "test=latency\0\0\0\0", 16);
	assert_int_equal(bootargs_at(25, chunk), 26);
	assert_memory_equal(chunk, "y\0", 2);
	/* Exactly the end: the length, and nothing. */
	assert_int_equal(bootargs_at(26, chunk), 26);
	for (unsigned i = 0; i < sizeof(chunk); i++) {
		assert_int_equal(chunk[i], 0);
	}
	/* Past the end, however far: refused. */
	static const uint64_t bad[] = {27, 256, 1ULL << 32, 1ULL << 63, ~0ULL};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(bootargs_at(bad[i], chunk), BH_HVC_INVALID);
	}
	/* None at all: length 0 at offset 0, nothing after. */
	cfg.bootargs[0] = '\0';
	assert_int_equal(bootargs_at(0, chunk), 0);
	assert_int_equal(chunk[0], 0);
	assert_int_equal(bootargs_at(1, chunk), BH_HVC_INVALID);
	assert_int_equal(rec.faults + rec.channel_calls, 0);
}

static void test_bootargs_long(void **state)
{
	(void)state;
	/* 255 bytes (the most a configuration holds) come back whole in 32-byte chunks. */
	char want[BH_BOOTARGS_MAX] = {0};
	for (unsigned i = 0; i < BH_BOOTARGS_MAX - 1; i++) {
		want[i] = (char)('a' + i % 26);
	}
	memcpy(cfg.bootargs, want, sizeof(want));
	char got[BH_BOOTARGS_MAX + 32] = {0};
	unsigned calls = 0;
	for (uint64_t off = 0; off < BH_BOOTARGS_MAX - 1; off += BH_HVC_BOOTARGS_CHUNK) {
		assert_int_equal(bootargs_at(off, got + off), BH_BOOTARGS_MAX - 1);
		calls++;
	}
	assert_int_equal(calls, 8);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(got[BH_BOOTARGS_MAX - 1], 0);
	/* The last chunk is partial: 31 bytes, then a NUL. */
	assert_int_equal(bootargs_at(224, got), 255);
	assert_memory_equal(got, want + 224, 31);
	assert_int_equal(got[31], 0);
	/* Unterminated (a full buffer): the length stops at the buffer, nothing beyond is read. */
	memset(cfg.bootargs, 'z', sizeof(cfg.bootargs));
	memset(cfg.path, 'P', sizeof(cfg.path)); /* the field after it */
	assert_int_equal(bootargs_at(BH_BOOTARGS_MAX - 4, got), BH_BOOTARGS_MAX);
	assert_memory_equal(got, "zzzz\0\0\0\0", 8);
	assert_int_equal(bootargs_at(BH_BOOTARGS_MAX + 1, got), BH_HVC_INVALID);
}

static void test_channel_calls(void **state)
{
	(void)state;
	for (uint32_t fn = BH_HVC_CHANNEL_INFO; fn <= BH_HVC_CHANNEL_SIGNAL; fn++) {
		assert_int_equal(hvc(fn, 0, NULL, 0),
				 0xc4a77e1); /* channel.c's answer, untouched */
		assert_int_equal(action, GUEST_RESUME);
		assert_int_equal(rec.channel_fn, fn);
		assert_ptr_equal(rec.p, &part);
	}
	assert_int_equal(rec.channel_calls, 6);
	assert_int_equal(rec.faults, 0);
}

static void test_management_calls(void **state)
{
	(void)state;
	for (uint32_t fn = BH_HVC_PARTITION_STATUS; fn <= BH_HVC_PARTITION_CONSOLE; fn++) {
		assert_int_equal(hvc(fn, 0, NULL, 0), 0x3a9a6e); /* manage.c's answer, untouched */
		assert_int_equal(action, GUEST_RESUME);
	}
	assert_int_equal(rec.manage_calls, 7);
	assert_int_equal(rec.faults + rec.logs, 0);
}

/* A crash report stops the caller as a fault does, with its code and its text made safe. */
static void test_crash_report(void **state)
{
	(void)state;
	hvc(BH_HVC_CRASH, 0x2000000, "undefined instruction", 21);
	assert_int_equal(action, GUEST_STOP);
	assert_int_equal(rec.faults, 1);
	assert_ptr_equal(rec.fault_vcpu, &part.vcpus[1]);
	assert_ptr_equal(rec.fault_exit, &exit_);
	assert_string_equal(rec.fault_what,
			    "guest crash report: undefined instruction (code 0x2000000)");

	/* Control bytes, escapes and bytes past ASCII are '?'; the text ends at its first NUL. */
	hvc(BH_HVC_CRASH, ~0ULL,
	    "a\x1b[2Jb\n\x80\xff"
	    "c\0hidden",
	    17);
	assert_string_equal(rec.fault_what,
			    "guest crash report: a?[2Jb???c (code 0xffffffffffffffff)");

	/* 32 bytes without a NUL: all of them, nothing of x6 (stale, not 0) after them. */
	hvc(BH_HVC_CRASH, 7, "0123456789abcdef0123456789ABCDEF", 32);
	assert_string_equal(rec.fault_what,
			    "guest crash report: 0123456789abcdef0123456789ABCDEF (code 0x7)");

	/* No text at all is still a report. */
	hvc(BH_HVC_CRASH, 0, "", 0);
	assert_string_equal(rec.fault_what, "guest crash report:  (code 0x0)");
	assert_int_equal(rec.faults, 4);
	assert_int_equal(rec.writes + rec.logs + rec.channel_calls + rec.manage_calls, 0);

	/* The root reports the same way: the same stop as a fault of its own. */
	cfg.is_root = true;
	hvc(BH_HVC_CRASH, 1, "root", 4);
	assert_int_equal(action, GUEST_STOP);
	assert_int_equal(rec.faults, 5);
}

/* SMCCC 5.2: an unknown ID returns NOT_SUPPORTED, with a report; the guest lives on. */
static void test_unknown_not_supported(void **state)
{
	(void)state;
	static const uint64_t unknown[] = {
		BH_HVC_FN(21), BH_HVC_FN(0xffff),
		0x8600ff01U, /* vendor hypervisor service UID, SMC32 */
	};
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		assert_int_equal(hvc(unknown[i], 0, NULL, 0), -1);
		assert_int_equal(action, GUEST_RESUME);
		assert_int_equal(rec.logs, i + 1);
		assert_int_equal(rec.channel_fn, (uint32_t)unknown[i]); /* channel.c was asked */
	}
	assert_string_equal(rec.log, "unknown hypercall 0x8600ff01: NOT_SUPPORTED");
	hvc(BH_HVC_FN(21), 0, NULL, 0);
	assert_string_equal(rec.log, "unknown hypercall 0xc6000015: NOT_SUPPORTED");
	assert_int_equal(rec.writes + rec.reads + rec.faults + rec.psci_calls, 0);
}

/* PSCI and SMCCC over HVC: the same service as over SMC (vpsci.c). */
static void test_psci_over_hvc(void **state)
{
	(void)state;
	static const uint64_t other[] = {
		0x84000000U, /* PSCI_VERSION */
		0xc4000003U, /* CPU_ON */
		0x80000001U, /* SMCCC_ARCH_FEATURES */
		0,	     0xffffffffU,
	};
	for (size_t i = 0; i < ARRAY_SIZE(other); i++) {
		assert_int_equal(hvc(other[i], 0, NULL, 0), 0x9511);
		assert_int_equal(action, GUEST_RESUME);
		assert_int_equal(rec.psci_calls, i + 1);
		assert_int_equal(rec.psci_fn, (uint32_t)other[i]);
	}
	assert_int_equal(rec.logs + rec.faults, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_version, setup),
		cmocka_unit_test_setup(test_vcpu_stats, setup),
		cmocka_unit_test_setup(test_partition_info, setup),
		cmocka_unit_test_setup(test_partition_name, setup),
		cmocka_unit_test_setup(test_console_write, setup),
		cmocka_unit_test_setup(test_console_read, setup),
		cmocka_unit_test_setup(test_bootargs, setup),
		cmocka_unit_test_setup(test_bootargs_long, setup),
		cmocka_unit_test_setup(test_channel_calls, setup),
		cmocka_unit_test_setup(test_management_calls, setup),
		cmocka_unit_test_setup(test_crash_report, setup),
		cmocka_unit_test_setup(test_unknown_not_supported, setup),
		cmocka_unit_test_setup(test_psci_over_hvc, setup),
	};
	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
