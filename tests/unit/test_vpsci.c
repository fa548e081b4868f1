// SPDX-License-Identifier: MIT
/*
 * Host tests for PSCI as guests see it (core/vpsci.c): discovery, CPU_ON and
 * its refusals within the calling partition, AFFINITY_INFO, CPU_OFF, and
 * SYSTEM_OFF/SYSTEM_RESET acting on the partition. The lifecycle calls it
 * makes (partition.c) are local fakes that record what was asked; the arch
 * interface and the log are the shared fake (fake_arch.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <bulkhead/psci.h>
#include <core/partition.h>

#include "fake_arch.h"

#define RAM0	  0x40000000UL /* 16 MiB at PA 0x90000000 */
#define RAM0_SIZE 0x01000000UL
#define RAM1	  0x60000000UL /* 64 KiB at PA 0xa0000000 */
#define RAM1_SIZE 0x10000UL

/* ---------------------------------------------------------------- fakes */

static struct config_partition cfg;
static struct partition part;

static struct {
	unsigned starts, stops, restarts, translations;
	struct vcpu *start_vcpu;
	ipaddr_t start_entry;
	uint64_t start_context;
	struct partition *stop_p;
	struct vcpu *stop_caller;
	char why[96];
	uint64_t last_size; /* config_ipa_to_pa's size */
} rec;

/* The same contract as core/config.c's: the range inside one memory region. */
bool config_ipa_to_pa(const struct config_partition *p, ipaddr_t ipa, uint64_t size, paddr_t *pa)
{
	rec.translations++;
	rec.last_size = size;
	for (unsigned i = 0; i < p->mem_count; i++) {
		const struct config_mem *r = &p->mem[i];
		if (!range_wraps(ipa_addr(ipa), size) &&
		    ipa_range_within(ipa_range(ipa, size != 0 ? size : 1),
				     ipa_range(r->ipa, r->size))) {
			*pa = pa_add(r->pa, ipa_addr(ipa) - ipa_addr(r->ipa));
			return true;
		}
	}
	return false;
}

void vcpu_request_start(struct vcpu *v, ipaddr_t entry, uint64_t context)
{
	/* One of the partition's vCPUs, under its lock (so a stop cannot slip in between). */
	assert_true(v >= part.vcpus && v < part.vcpus + part.vcpu_count);
	assert_true(atomic_load(&part.lock.locked));
	rec.starts++;
	rec.start_vcpu = v;
	rec.start_entry = entry;
	rec.start_context = context;
	v->entry = entry;
	v->context = context;
	atomic_store(&v->state, VCPU_ON_PENDING);
}

static void record_stop(struct partition *p, struct vcpu *caller, const char *why)
{
	assert_false(atomic_load(&p->lock.locked)); /* the real ones take it */
	rec.stop_p = p;
	rec.stop_caller = caller;
	strncpy(rec.why, why, sizeof(rec.why) - 1);
}

bool partition_stop(struct partition *p, struct vcpu *caller, const char *why, const char *fault)
{
	assert_null(fault); /* PSCI stops are no crash */
	rec.stops++;
	record_stop(p, caller, why);
	return true;
}

bool partition_restart(struct partition *p, struct vcpu *caller, const char *why)
{
	rec.restarts++;
	record_stop(p, caller, why);
	return true;
}

/* The rate limit is exit.c's: here every line reaches the shared fake log. */
void guest_log(struct vcpu *v, int level, const char *fmt, ...)
{
	va_list ap;
	assert_non_null(v);
	va_start(ap, fmt);
	log_vline(level, fmt, ap);
	va_end(ap);
}

/* What arch answers about the Spectre workarounds: WORKAROUND_1, _2, _3. */
static int64_t workaround[3];

int64_t arch_smccc_workaround(uint32_t fn)
{
	switch (fn) {
	case BH_SMCCC_FN_WORKAROUND_1:
		return workaround[0];
	case BH_SMCCC_FN_WORKAROUND_2:
		return workaround[1];
	case BH_SMCCC_FN_WORKAROUND_3:
		return workaround[2];
	default:
		return BH_SMCCC_NOT_SUPPORTED;
	}
}

/* ---------------------------------------------------------------- helpers */

/* "rt0": 3 vCPUs on CPUs 1-3, vCPU 0 running, two memory regions. */
static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	memset(&rec, 0, sizeof(rec));
	memset(&cfg, 0, sizeof(cfg));
	memset(&part, 0, sizeof(part));
	strcpy(cfg.name, "rt0");
	cfg.mem[0] = (struct config_mem){ipa_init(RAM0), pa_init(0x90000000), RAM0_SIZE};
	cfg.mem[1] = (struct config_mem){ipa_init(RAM1), pa_init(0xa0000000), RAM1_SIZE};
	cfg.mem_count = 2;
	part.cfg = &cfg;
	part.id = 1;
	part.vcpu_count = 3;
	for (unsigned i = 0; i < part.vcpu_count; i++) {
		part.vcpus[i].partition = &part;
		part.vcpus[i].index = i;
		part.vcpus[i].pcpu = 1 + i;
		atomic_store(&part.vcpus[i].state, VCPU_OFF);
	}
	atomic_store(&part.vcpus[0].state, VCPU_RUNNING);
	atomic_store(&part.state, PARTITION_RUNNING);
	return 0;
}

static uint64_t x[31];
static enum guest_action action;

/* vCPU `from` calls fn(a1, a2, a3); returns x0 as PSCI's signed result. */
static int64_t psci(unsigned from, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	memset(x, 0, sizeof(x));
	x[0] = fn;
	x[1] = a1;
	x[2] = a2;
	x[3] = a3;
	action = vpsci_call(&part.vcpus[from], x);
	assert_false(atomic_load(&part.lock.locked)); /* never left held */
	return (int64_t)x[0];
}

/* A call that must answer at once and change nothing else. */
static int64_t psci_resume(unsigned from, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	int64_t rc = psci(from, fn, a1, a2, a3);
	assert_int_equal(action, GUEST_RESUME);
	assert_int_equal(x[1], a1); /* results are in x0 only */
	assert_int_equal(rec.stops + rec.restarts, 0);
	return rc;
}

/* ---------------------------------------------------------------- tests */

static void test_version_and_discovery(void **state)
{
	(void)state;
	assert_int_equal(psci_resume(0, BH_PSCI_FN_VERSION, 0, 0, 0), 0x10001);
	/* SMCCC: the function id is w0, the upper half of x0 means nothing. */
	assert_int_equal(psci_resume(0, 0xffffffff00000000ULL | BH_PSCI_FN_VERSION, 0, 0, 0),
			 0x10001);
	assert_int_equal(psci_resume(0, BH_SMCCC_FN_VERSION, 0, 0, 0), 0x10001);
	assert_int_equal(psci_resume(1, BH_PSCI_FN_MIGRATE_INFO_TYPE, 0, 0, 0),
			 BH_PSCI_MIGRATE_NOT_NEEDED);
	/* Suspend returns at once: a wake-up is always a valid outcome. */
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_SUSPEND, 0, RAM0, 0), BH_PSCI_SUCCESS);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_SUSPEND_64, 0, RAM0, 0), BH_PSCI_SUCCESS);
	assert_int_equal(rec.starts, 0);
}

static void test_features(void **state)
{
	(void)state;
	static const uint32_t implemented[] = {
		BH_PSCI_FN_VERSION,	      BH_PSCI_FN_CPU_SUSPEND,
		BH_PSCI_FN_CPU_SUSPEND_64,    BH_PSCI_FN_CPU_OFF,
		BH_PSCI_FN_CPU_ON_32,	      BH_PSCI_FN_CPU_ON,
		BH_PSCI_FN_AFFINITY_INFO_32,  BH_PSCI_FN_AFFINITY_INFO,
		BH_PSCI_FN_MIGRATE_INFO_TYPE, BH_PSCI_FN_SYSTEM_OFF,
		BH_PSCI_FN_SYSTEM_RESET,      BH_PSCI_FN_FEATURES,
		BH_SMCCC_FN_VERSION,	      BH_SMCCC_FN_ARCH_FEATURES,
	};
	static const uint32_t missing[] = {
		0x84000005U, /* MIGRATE */
		0x8400000cU, /* CPU_DEFAULT_SUSPEND */
		0xc400000cU, /* CPU_DEFAULT_SUSPEND, SMC64 */
		0x8400000eU, /* SYSTEM_SUSPEND */
		0xc400000eU, /* SYSTEM_SUSPEND, SMC64 */
		0x84000012U, /* SYSTEM_RESET2 */
		0xc6000000U, /* a Bulkhead hypercall */
		0,	     0xffffffffU,
	};
	for (size_t i = 0; i < ARRAY_SIZE(implemented); i++) {
		assert_int_equal(psci_resume(0, BH_PSCI_FN_FEATURES, implemented[i], 0, 0),
				 BH_PSCI_SUCCESS);
	}
	for (size_t i = 0; i < ARRAY_SIZE(missing); i++) {
		assert_int_equal(psci_resume(0, BH_PSCI_FN_FEATURES, missing[i], 0, 0),
				 BH_PSCI_NOT_SUPPORTED);
	}
}

static void test_cpu_on(void **state)
{
	(void)state;
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 2, RAM0 + 0x1000, 0xc0ffee),
			 BH_PSCI_SUCCESS);
	assert_int_equal(rec.starts, 1);
	assert_ptr_equal(rec.start_vcpu, &part.vcpus[2]);
	assert_int_equal(ipa_addr(rec.start_entry), RAM0 + 0x1000);
	assert_int_equal(rec.start_context, 0xc0ffee);
	assert_int_equal(rec.last_size, 4); /* the entry's first instruction must be RAM */
	/* The second region, up to its last instruction. */
	assert_int_equal(psci_resume(2, BH_PSCI_FN_CPU_ON, 1, RAM1 + RAM1_SIZE - 4, 0),
			 BH_PSCI_SUCCESS);
	assert_ptr_equal(rec.start_vcpu, &part.vcpus[1]);
	assert_int_equal(rec.starts, 2);
}

static void test_cpu_on_already_on_and_pending(void **state)
{
	(void)state;
	/* The caller itself, and a vCPU that runs. */
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 0, RAM0, 0), BH_PSCI_ALREADY_ON);
	atomic_store(&part.vcpus[1].state, VCPU_RUNNING);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 1, RAM0, 0), BH_PSCI_ALREADY_ON);
	/* Asked for once already, not yet picked up by its CPU. */
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 2, RAM0, 1), BH_PSCI_SUCCESS);
	assert_int_equal(psci_resume(1, BH_PSCI_FN_CPU_ON, 2, RAM0 + 8, 2), BH_PSCI_ON_PENDING);
	assert_int_equal(rec.starts, 1);
	assert_int_equal(ipa_addr(part.vcpus[2].entry), RAM0); /* the first request stands */
	assert_int_equal(part.vcpus[2].context, 1);
}

static void test_cpu_on_foreign_mpidr(void **state)
{
	(void)state;
	static const uint64_t foreign[] = {
		3,		/* index == vCPU count */
		0xff,		/* largest Aff0 */
		0x100,		/* Aff1 = 1, Aff0 = 0: another cluster's CPU 0 */
		0x10000,	/* Aff2 */
		1ULL << 32,	/* Aff3 */
		1ULL << 31 | 1, /* RES1 bit of the MPIDR register */
		~0ULL,
	};
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++) {
		fake.logs[LOG_INFO] = 0;
		assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, foreign[i], RAM0, 0),
				 BH_PSCI_INVALID_PARAMETERS);
		assert_int_equal(fake.logs[LOG_INFO], 1); /* the refusal says why */
		assert_non_null(strstr(fake.last_log[LOG_INFO], "MPIDR 0-2"));
	}
	assert_int_equal(rec.starts, 0);
	assert_int_equal(rec.translations, 0); /* the entry is not even looked at */
	for (unsigned i = 1; i < part.vcpu_count; i++) {
		assert_int_equal(atomic_load(&part.vcpus[i].state), VCPU_OFF);
	}
}

static void test_cpu_on_bad_entry(void **state)
{
	(void)state;
	static const uint64_t outside[] = {
		RAM0 - 4,	      /* just before */
		RAM0 + RAM0_SIZE,     /* just after */
		RAM0 + RAM0_SIZE - 2, /* the instruction straddles the end */
		0x50000000,	      /* between the regions */
		0x90000000,	      /* the region's PA is no IPA of the partition */
		0,
		~0ULL - 1, /* wraps */
	};
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 1, outside[i], 0),
				 BH_PSCI_INVALID_ADDRESS);
	}
	assert_int_equal(rec.starts, 0);
	assert_int_equal(atomic_load(&part.vcpus[1].state), VCPU_OFF);
	/* A bad MPIDR is reported before a bad address. */
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 5, 0, 0), BH_PSCI_INVALID_PARAMETERS);
}

static void test_cpu_on_while_not_running(void **state)
{
	(void)state;
	static const unsigned states[] = {PARTITION_STOPPED, PARTITION_RESTARTING,
					  PARTITION_STARTING};
	for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
		atomic_store(&part.state, states[i]);
		assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 1, RAM0, 0),
				 BH_PSCI_INVALID_PARAMETERS);
	}
	assert_int_equal(rec.starts, 0);
	assert_int_equal(atomic_load(&part.vcpus[1].state), VCPU_OFF);
	atomic_store(&part.state, PARTITION_RUNNING);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 1, RAM0, 0), BH_PSCI_SUCCESS);
}

static void test_cpu_on_32(void **state)
{
	(void)state;
	/* SMC32: the target is w1, whatever the upper half of x1 holds. */
	assert_int_equal(
		psci_resume(0, BH_PSCI_FN_CPU_ON_32, 0xdead000000000001ULL, RAM0 + 0x40, 7),
		BH_PSCI_SUCCESS);
	assert_ptr_equal(rec.start_vcpu, &part.vcpus[1]);
	assert_int_equal(ipa_addr(rec.start_entry), RAM0 + 0x40);
	assert_int_equal(rec.start_context, 7);
	/* SMC64 takes all of x1: that is no vCPU of ours. */
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON, 0xdead000000000002ULL, RAM0, 0),
			 BH_PSCI_INVALID_PARAMETERS);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON_32, 0x100, RAM0, 0),
			 BH_PSCI_INVALID_PARAMETERS);
	assert_int_equal(rec.starts, 1);
	/* ...and the entry and context are w2 and w3 too. */
	atomic_store(&part.vcpus[1].state, VCPU_OFF);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_CPU_ON_32, 1, (0xffULL << 32) | (RAM0 + 0x80),
				     (5ULL << 32) | 9),
			 BH_PSCI_SUCCESS);
	assert_int_equal(ipa_addr(rec.start_entry), RAM0 + 0x80);
	assert_int_equal(rec.start_context, 9);
}

static void test_affinity_info(void **state)
{
	(void)state;
	atomic_store(&part.vcpus[2].state, VCPU_ON_PENDING);
	assert_int_equal(psci_resume(1, BH_PSCI_FN_AFFINITY_INFO, 0, 0, 0), BH_PSCI_AFFINITY_ON);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO, 1, 0, 0), BH_PSCI_AFFINITY_OFF);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO, 2, 0, 0),
			 BH_PSCI_AFFINITY_ON_PENDING);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO_32, 0xffffffff00000002ULL, 0, 0),
			 BH_PSCI_AFFINITY_ON_PENDING);
	/* Only level 0 (a single vCPU), only our own MPIDRs. */
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO, 0, 1, 0),
			 BH_PSCI_INVALID_PARAMETERS);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO, 0, 3, 0),
			 BH_PSCI_INVALID_PARAMETERS);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO, 3, 0, 0),
			 BH_PSCI_INVALID_PARAMETERS);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO, 0x100, 0, 0),
			 BH_PSCI_INVALID_PARAMETERS);
	assert_int_equal(psci_resume(0, BH_PSCI_FN_AFFINITY_INFO, 0xffffffff00000002ULL, 0, 0),
			 BH_PSCI_INVALID_PARAMETERS);
	assert_int_equal(rec.starts, 0);
}

static void test_cpu_off(void **state)
{
	(void)state;
	/* The vCPU leaves its guest; the run loop marks it off. Nothing else happens. */
	atomic_store(&part.vcpus[1].state, VCPU_RUNNING);
	psci(1, BH_PSCI_FN_CPU_OFF, 0, 0, 0);
	assert_int_equal(action, GUEST_STOP);
	assert_int_equal(rec.stops + rec.restarts + rec.starts, 0);
	assert_int_equal(atomic_load(&part.state), PARTITION_RUNNING);
}

static void test_system_off(void **state)
{
	(void)state;
	atomic_store(&part.vcpus[1].state, VCPU_RUNNING);
	psci(1, BH_PSCI_FN_SYSTEM_OFF, 0, 0, 0);
	assert_int_equal(action, GUEST_STOP);
	assert_int_equal(rec.stops, 1);
	assert_int_equal(rec.restarts, 0);
	assert_ptr_equal(rec.stop_p, &part); /* the partition, never the board */
	assert_ptr_equal(rec.stop_caller, &part.vcpus[1]);
	assert_string_equal(rec.why, "PSCI SYSTEM_OFF from vCPU 1");
}

static void test_system_reset(void **state)
{
	(void)state;
	psci(0, BH_PSCI_FN_SYSTEM_RESET, 0, 0, 0);
	assert_int_equal(action, GUEST_STOP);
	assert_int_equal(rec.restarts, 1);
	assert_int_equal(rec.stops, 0);
	assert_ptr_equal(rec.stop_p, &part);
	assert_ptr_equal(rec.stop_caller, &part.vcpus[0]);
	assert_string_equal(rec.why, "PSCI SYSTEM_RESET from vCPU 0");
}

/* SMCCC_ARCH_FEATURES (DEN 0028 7.3): 0 for itself and VERSION, arch's answers for the workarounds.
 */
static void test_smccc_arch_features(void **state)
{
	(void)state;
	static const int64_t answers[][3] = {
		{BH_SMCCC_SUCCESS, BH_SMCCC_NOT_REQUIRED, BH_SMCCC_SUCCESS}, /* A72 with TF-A */
		{BH_SMCCC_NOT_SUPPORTED, BH_SMCCC_NOT_SUPPORTED, BH_SMCCC_NOT_SUPPORTED},
		{BH_SMCCC_WA_UNAFFECTED, BH_SMCCC_NOT_REQUIRED, BH_SMCCC_WA_UNAFFECTED},
	};
	static const uint32_t ids[] = {BH_SMCCC_FN_WORKAROUND_1, BH_SMCCC_FN_WORKAROUND_2,
				       BH_SMCCC_FN_WORKAROUND_3};

	assert_int_equal(psci_resume(0, BH_SMCCC_FN_ARCH_FEATURES, BH_SMCCC_FN_VERSION, 0, 0), 0);
	assert_int_equal(psci_resume(0, BH_SMCCC_FN_ARCH_FEATURES, BH_SMCCC_FN_ARCH_FEATURES, 0, 0),
			 0);
	assert_int_equal(psci_resume(0, BH_SMCCC_FN_ARCH_FEATURES, 0x80000002U, 0, 0), -1);
	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		memcpy(workaround, answers[i], sizeof(workaround));
		for (size_t w = 0; w < 3; w++) {
			assert_int_equal(psci_resume(0, BH_SMCCC_FN_ARCH_FEATURES, ids[w], 0, 0),
					 answers[i][w]);
			/* The call itself: EL2's entry did the work; unknown if not offered. */
			assert_int_equal(psci_resume(0, ids[w], 1, 0, 0),
					 answers[i][w] == BH_SMCCC_NOT_SUPPORTED ? -1 : 0);
		}
	}
	assert_int_equal(fake.logs[LOG_INFO] + fake.logs[LOG_WARN] + fake.logs[LOG_ERROR], 0);
}

static void test_unknown(void **state)
{
	(void)state;
	static const uint64_t unknown[] = {
		0x8600ff01U, /* vendor hypervisor UID (KVM discovery) */
		0x84000050U, /* TRNG_VERSION */
		0x84000005U, 0x8400000eU, 0xc4000012U, 0x84000012U, 0xc6000000U, 0, 0xffffffffU,
	};
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		fake.logs[LOG_INFO] = 0;
		assert_int_equal(psci_resume(0, unknown[i], 1, RAM0, 0), BH_PSCI_NOT_SUPPORTED);
		/* Reported (exit.c rate-limits it), and the partition lives on. */
		assert_int_equal(fake.logs[LOG_INFO], 1);
		assert_non_null(strstr(fake.last_log[LOG_INFO], "NOT_SUPPORTED"));
	}
	assert_int_equal(rec.starts, 0);
	assert_int_equal(fake.panics, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_version_and_discovery, setup),
		cmocka_unit_test_setup(test_features, setup),
		cmocka_unit_test_setup(test_cpu_on, setup),
		cmocka_unit_test_setup(test_cpu_on_already_on_and_pending, setup),
		cmocka_unit_test_setup(test_cpu_on_foreign_mpidr, setup),
		cmocka_unit_test_setup(test_cpu_on_bad_entry, setup),
		cmocka_unit_test_setup(test_cpu_on_while_not_running, setup),
		cmocka_unit_test_setup(test_cpu_on_32, setup),
		cmocka_unit_test_setup(test_affinity_info, setup),
		cmocka_unit_test_setup(test_cpu_off, setup),
		cmocka_unit_test_setup(test_system_off, setup),
		cmocka_unit_test_setup(test_system_reset, setup),
		cmocka_unit_test_setup(test_smccc_arch_features, setup),
		cmocka_unit_test_setup(test_unknown, setup),
	};
	return cmocka_run_group_tests_name("vpsci", tests, NULL, NULL);
}
