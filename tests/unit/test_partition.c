// SPDX-License-Identifier: MIT
/*
 * Host tests for the partition lifecycle (core/partition.c) over the arch
 * fake: the windows where a stop could be lost or undone. The CPUs are
 * simulated: arch_vcpu_run() records what the vCPU saw, and a vCPU asked to
 * stop goes off while the stopper waits (fake.relax_hook).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <core/channel.h>
#include <core/partition.h>
#include <core/smp.h>

#include "fake_arch.h"

/* ---------------------------------------------------------------- fakes */

#define NEVER() fail_msg("%s: not expected in these tests", __func__)

struct smp_cpu smp_cpus[CONFIG_MAX_CPUS];
static struct partition part;
static struct config_partition pcfg;
static unsigned runs;		/* arch_vcpu_run() calls */
static bool stop_seen_at_entry; /* the vCPU's stop request when it entered */
static unsigned downs;		/* channels_partition_down() calls */
static unsigned off_at_down;	/* vCPUs off (the caller aside) when it was called */
static struct vcpu *caller;
static void (*at_down)(void); /* called from channels_partition_down() if set */

void arch_vcpu_run(const struct arch_vcpu_boot *boot)
{
	(void)boot;
	runs++;
	stop_seen_at_entry = atomic_load(&vcpu_current()->stop_request);
}

void channels_partition_down(const struct partition *p)
{
	downs++;
	if (at_down != NULL) {
		at_down();
	}
	off_at_down = 0;
	for (unsigned i = 0; i < p->vcpu_count; i++) {
		off_at_down +=
			&p->vcpus[i] != caller && atomic_load(&p->vcpus[i].state) == VCPU_OFF;
	}
}

/* The other CPUs: a vCPU asked to stop leaves its guest (core_guest_exit) and goes off. */
static void other_cpus_run(void)
{
	for (unsigned i = 0; i < part.vcpu_count; i++) {
		struct vcpu *v = &part.vcpus[i];
		if (v != caller && atomic_load(&v->stop_request)) {
			atomic_store(&v->state, VCPU_OFF);
		}
	}
}

void vgic_stop(struct vgic *vg)
{
	(void)vg;
}

/* Never reached by these tests: partition creation, loading and boot. */
void vgic_reset(struct vgic *vg)
{
	(void)vg;
}
void vconsole_reset(struct partition *p)
{
	(void)p;
}
void vconsole_stopped(struct partition *p)
{
	(void)p;
}
void vconsole_cpu_running(unsigned cpu, bool running)
{
	(void)cpu, (void)running;
}
int dt_check_blob(const void *fdt, size_t max_size, struct dt_error *err)
{
	(void)fdt, (void)max_size, (void)err;
	NEVER(); /* only for a partition with its own device tree */
	return BH_EINVAL;
}
int dt_find_compatible(const void *fdt, int from, const char *value)
{
	(void)fdt, (void)from, (void)value;
	NEVER(); /* only for a partition with its own device tree */
	return -1;
}

void vconsole_start(struct partition *partitions, unsigned count, unsigned pcpu, unsigned uart_irq)
{
	(void)partitions, (void)count, (void)pcpu, (void)uart_irq;
	NEVER();
}
bool vuart_mmio(struct vcpu *v, ipaddr_t ipa, unsigned size, bool write, uint64_t *value)
{
	(void)v, (void)ipa, (void)size, (void)write, (void)value;
	NEVER();
	return false;
}
void vgic_init(struct vgic *vg, const char *name, unsigned version, unsigned lines,
	       unsigned vcpu_count, const unsigned *pcpus, ipaddr_t gicd, struct ipa_range gicr)
{
	(void)vg, (void)name, (void)version, (void)lines, (void)vcpu_count, (void)pcpus;
	(void)gicd, (void)gicr;
	NEVER();
}
int vgic_own_spi(struct vgic *vg, unsigned intid, bool hw)
{
	(void)vg, (void)intid, (void)hw;
	NEVER();
	return BH_OK;
}
bool vgic_mmio(struct vgic *vg, unsigned vcpu, ipaddr_t ipa, unsigned size, bool write,
	       uint64_t *value)
{
	(void)vg, (void)vcpu, (void)ipa, (void)size, (void)write, (void)value;
	NEVER();
	return false;
}
void channels_init(const struct config *cfg, struct partition *partitions)
{
	(void)cfg, (void)partitions;
	NEVER();
}
int config_parse(const void *fdt, const struct dt_board *board, struct config_limits lim,
		 struct config *out, struct dt_error *err)
{
	(void)fdt, (void)board, (void)lim, (void)out, (void)err;
	NEVER();
	return BH_EINVAL;
}
bool config_ipa_to_pa(const struct config_partition *p, ipaddr_t ipa, uint64_t size, paddr_t *pa)
{
	(void)p, (void)ipa, (void)size, (void)pa;
	NEVER();
	return false;
}
void config_device_irq_list(const struct config_device *d, char *buf, size_t size)
{
	(void)d, (void)buf, (void)size;
	NEVER();
}
const char *config_image_format_name(enum config_image_format format)
{
	(void)format;
	NEVER();
	return "";
}
int dt_node_reg(const void *fdt, int node, int index, struct dt_range *out, struct dt_error *err)
{
	(void)fdt, (void)node, (void)index, (void)out, (void)err;
	NEVER();
	return BH_EINVAL;
}
void partition_add_mmio(struct partition *p, struct ipa_range range, mmio_access_t *access)
{
	(void)p, (void)range, (void)access;
	NEVER();
}
bool smp_cpu_online(unsigned cpu)
{
	(void)cpu;
	NEVER();
	return false;
}
uint64_t smp_counter_us(uint64_t ticks)
{
	return ticks;
}
unsigned stage2_ipa_bits(unsigned pa_bits)
{
	(void)pa_bits;
	NEVER();
	return 0;
}
int stage2_init(struct stage2 *s2, struct stage2_pool *pool, unsigned ipa_bits)
{
	(void)s2, (void)pool, (void)ipa_bits;
	NEVER();
	return BH_EINVAL;
}
int stage2_map(struct stage2 *s2, ipaddr_t ipa, paddr_t pa, uint64_t size, enum stage2_kind kind)
{
	(void)s2, (void)ipa, (void)pa, (void)size, (void)kind;
	NEVER();
	return BH_EINVAL;
}
unsigned arch_pa_bits(void)
{
	NEVER();
	return 0;
}
paddr_t arch_image_start(void)
{
	NEVER();
	return pa_init(0);
}
paddr_t arch_image_end(void)
{
	NEVER();
	return pa_init(0);
}

/* ---------------------------------------------------------------- the partition */

static _Alignas(4096) uint8_t memory[0x2000];

/* Two vCPUs on CPUs 1 and 2, both running; vCPU 0 is the caller of stops. */
static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	memset(&part, 0, sizeof(part));
	memset(&pcfg, 0, sizeof(pcfg));
	memset(smp_cpus, 0, sizeof(smp_cpus));
	strcpy(pcfg.name, "p");
	pcfg.mem_count = 1;
	pcfg.mem[0].pa = pa_from_ptr(memory);
	pcfg.mem[0].size = sizeof(memory);
	part.cfg = &pcfg;
	part.vcpu_count = 2;
	for (unsigned i = 0; i < 2; i++) {
		part.vcpus[i].partition = &part;
		part.vcpus[i].index = i;
		part.vcpus[i].pcpu = 1 + i;
		atomic_store(&part.vcpus[i].state, VCPU_RUNNING);
		atomic_store(&smp_cpus[1 + i].vcpu, &part.vcpus[i]);
	}
	atomic_store(&part.state, PARTITION_RUNNING);
	caller = &part.vcpus[0];
	runs = downs = off_at_down = 0;
	at_down = NULL;
	fake.hook = other_cpus_run;
	return 0;
}

/*
 * The stopper saw the vCPU RUNNING (its CPU had just taken the start) and
 * asked it to stop: the vCPU must not enter its guest with the request gone.
 */
static void test_stop_in_the_start_window(void **state)
{
	(void)state;
	struct vcpu *v = &part.vcpus[1];
	vcpu_request_start(v, ipa_init(0x40000000), 0);
	atomic_store(&v->stop_request, true);
	fake.cpu = 2;
	assert_true(vcpu_run_pending());
	assert_true(runs == 0 || stop_seen_at_entry);
	assert_int_equal(atomic_load(&v->state), VCPU_OFF);
	/* A start asked for again later runs normally. */
	vcpu_request_start(v, ipa_init(0x40000000), 0);
	assert_true(vcpu_run_pending());
	assert_int_equal(runs, 1);
	assert_false(stop_seen_at_entry);
}

/* A start that was not cancelled, found after its partition began to stop: not run. */
static void test_no_start_in_a_stopping_partition(void **state)
{
	(void)state;
	struct vcpu *v = &part.vcpus[1];
	vcpu_request_start(v, ipa_init(0x40000000), 0);
	atomic_store(&part.state, PARTITION_STOPPING);
	fake.cpu = 2;
	assert_true(vcpu_run_pending());
	assert_int_equal(runs, 0);
	assert_int_equal(atomic_load(&v->state), VCPU_OFF);
	assert_false(vcpu_run_pending()); /* nothing left to pick up */
}

/* A stop returns, and closes the channels, only once the other vCPUs are off. */
static void test_stop_waits_for_the_other_vcpus(void **state)
{
	(void)state;
	fake.cpu = 1;
	partition_stop(&part, caller, "test", NULL);
	assert_int_equal(downs, 1);
	assert_int_equal(off_at_down, 1);
	assert_int_equal(fake.kicks[2], 1);
	assert_int_equal(atomic_load(&part.state), PARTITION_STOPPED);
	assert_non_null(strstr(fake.last_log[LOG_INFO], "partition p stopped: test"));
	/* A second stop (another vCPU's fault) changes nothing. */
	partition_stop(&part, &part.vcpus[1], "again", NULL);
	assert_int_equal(downs, 1);
}

/* Each wait step takes a second: a vCPU that never goes off is given up on. */
static void a_second_passes(void)
{
	fake.counter += fake.counter_freq;
}

/* A vCPU that never stops: reported, the partition is left stopped all the same. */
static void test_stop_of_a_stuck_vcpu(void **state)
{
	(void)state;
	fake.hook = a_second_passes;
	partition_stop(&part, caller, "test", NULL);
	assert_non_null(strstr(fake.last_log[LOG_ERROR], "did not stop"));
	assert_int_equal(downs, 1);
	assert_int_equal(atomic_load(&part.state), PARTITION_STOPPED);
}

static bool lock_held_at_sync;
static unsigned state_at_sync;

static void look_at_lock(void)
{
	lock_held_at_sync = atomic_load(&part.lock.locked);
	state_at_sync = atomic_load(&part.state);
}

/*
 * A restart: the vCPUs stop, the memory is zeroed and synced with the
 * partition's lock free (state STARTING), then vCPU 0 is asked to start.
 */
static void test_restart_loads_outside_the_lock(void **state)
{
	(void)state;
	memset(memory, 0xaa, sizeof(memory));
	fake.hook = other_cpus_run;
	partition_restart(&part, caller, "test");
	assert_int_equal(downs, 1);
	assert_int_equal(off_at_down, 1);
	assert_int_equal(memory[0], 0);
	assert_int_equal(memory[sizeof(memory) - 1], 0);
	assert_int_equal(fake.memory_syncs, 1);
	fake.hook = look_at_lock;
	atomic_store(&part.state, PARTITION_STOPPED);
	assert_int_equal(partition_start(&part), BH_OK);
	assert_false(lock_held_at_sync);
	assert_int_equal(state_at_sync, PARTITION_STARTING);
	assert_int_equal(atomic_load(&part.state), PARTITION_RUNNING);
	assert_int_equal(atomic_load(&part.vcpus[0].state), VCPU_ON_PENDING);
}

/* The stop reason the root reads: the winner's, the fault report's line if a fault stopped it. */
static void test_stop_reason(void **state)
{
	(void)state;
	assert_true(
		partition_stop(&part, caller, "fault in vCPU 0", "vCPU 0 (CPU1): stage-2 abort"));
	assert_string_equal(part.stop_reason, "vCPU 0 (CPU1): stage-2 abort");
	assert_true(atomic_load(&part.crashed));
	/* A second stop (another vCPU, the root) loses: the reason stays. */
	assert_false(partition_stop(&part, &part.vcpus[1], "PSCI SYSTEM_OFF from vCPU 1", NULL));
	assert_string_equal(part.stop_reason, "vCPU 0 (CPU1): stage-2 abort");
	assert_false(partition_restart(&part, NULL, "asked by the root"));
	/* A restart's reason is its why, and no crash. */
	atomic_store(&part.state, PARTITION_RUNNING);
	atomic_store(&part.vcpus[1].state, VCPU_RUNNING);
	fake.hook = other_cpus_run;
	assert_true(partition_restart(&part, caller, "PSCI SYSTEM_RESET from vCPU 0"));
	assert_string_equal(part.stop_reason, "PSCI SYSTEM_RESET from vCPU 0");
	assert_false(atomic_load(&part.crashed));
}

/*
 * The root stops a child from its own CPU: no vCPU of the child is the
 * caller, so every one is asked to stop and waited for.
 */
static void test_stop_from_another_partition(void **state)
{
	(void)state;
	caller = NULL; /* other_cpus_run() stops every vCPU asked */
	fake.cpu = 0;  /* the root's CPU */
	assert_true(partition_stop(&part, NULL, "asked by the root", NULL));
	assert_int_equal(fake.kicks[1], 1);
	assert_int_equal(fake.kicks[2], 1);
	assert_int_equal(downs, 1);
	assert_int_equal(off_at_down, 2); /* both were off before the channels closed */
	assert_int_equal(atomic_load(&part.state), PARTITION_STOPPED);
	assert_false(atomic_load(&part.crashed));
	assert_false(partition_stop(&part, NULL, "asked by the root", NULL)); /* stopped already */
	/* A restart from there: both stop, the memory is loaded again, vCPU 0 is asked to start. */
	atomic_store(&part.state, PARTITION_RUNNING);
	for (unsigned i = 0; i < 2; i++) {
		atomic_store(&part.vcpus[i].state, VCPU_RUNNING);
		atomic_store(&part.vcpus[i].stop_request, false);
	}
	memset(memory, 0xaa, sizeof(memory));
	assert_true(partition_restart(&part, NULL, "asked by the root"));
	assert_int_equal(off_at_down, 2);
	assert_int_equal(memory[0], 0);
	assert_int_equal(atomic_load(&part.state), PARTITION_RUNNING);
	assert_int_equal(atomic_load(&part.vcpus[0].state), VCPU_ON_PENDING);
	assert_int_equal(atomic_load(&part.vcpus[1].state), VCPU_OFF);
}

static unsigned state_at_down;
static int start_at_down;

static void start_from_the_root(void)
{
	state_at_down = atomic_load(&part.state);
	start_at_down = partition_start(&part);
}

/*
 * A restart goes from RESTARTING straight to STARTING: the root's START (or
 * LOAD) in between is refused and the restart itself is not lost.
 */
static void test_restart_is_not_interrupted(void **state)
{
	(void)state;
	at_down = start_from_the_root;
	assert_true(partition_restart(&part, caller, "PSCI SYSTEM_RESET from vCPU 0"));
	assert_int_equal(state_at_down, PARTITION_RESTARTING);
	assert_int_equal(start_at_down, BH_EEXIST);
	assert_int_equal(atomic_load(&part.state), PARTITION_RUNNING);
	assert_int_equal(fake.logs[LOG_ERROR], 0);
	/* A stop ends STOPPED, so the root may start it. */
	at_down = NULL;
	assert_true(partition_stop(&part, NULL, "asked by the root", NULL));
	assert_int_equal(atomic_load(&part.state), PARTITION_STOPPED);
}

static _Alignas(64) uint8_t slot[0x100], update[0x100];
static int during_copy[4]; /* what the lifecycle answered while the copy ran */

static void try_lifecycle_during_copy(void)
{
	during_copy[0] = (int)atomic_load(&part.state);
	during_copy[1] = atomic_load(&part.lock.locked);
	during_copy[2] = partition_start(&part);
	during_copy[3] = partition_replace_image(&part, 0, pa_from_ptr(update), 0, 1);
}

/*
 * A new image for a stopped partition: copied over the image's boot-loader
 * copy with the lock free, the rest of the slot zeroed; a start (or another
 * load) asked meanwhile is refused. A running partition's image is not touched.
 */
static void test_replace_image(void **state)
{
	(void)state;
	pcfg.image_count = 1;
	strcpy(pcfg.images[0].name, "app");
	pcfg.images[0].src_pa = pa_from_ptr(slot);
	pcfg.images[0].size = sizeof(slot);
	memset(slot, 0x11, sizeof(slot));
	memset(update, 0x22, sizeof(update));
	assert_int_equal(partition_replace_image(&part, 0, pa_from_ptr(update), 0, 0x40),
			 BH_EEXIST);
	assert_int_equal(slot[0], 0x11); /* running: untouched */

	atomic_store(&part.state, PARTITION_STOPPED);
	fake.hook = try_lifecycle_during_copy;
	assert_int_equal(partition_replace_image(&part, 0, pa_from_ptr(update), 0, 0x40), BH_OK);
	assert_int_equal(during_copy[0], PARTITION_LOADING);
	assert_false(during_copy[1]);
	assert_int_equal(during_copy[2], BH_EEXIST);
	assert_int_equal(during_copy[3], BH_EEXIST);
	assert_int_equal(atomic_load(&part.state), PARTITION_STOPPED);
	for (unsigned i = 0; i < sizeof(slot); i++) {
		assert_int_equal(slot[i], i < 0x40 ? 0x22 : 0);
	}
	assert_non_null(strstr(fake.last_log[LOG_INFO],
			       "partition p: image app replaced from the root (64 bytes first)"));
	/* The whole slot. */
	fake.hook = NULL;
	memset(update, 0x33, sizeof(update));
	assert_int_equal(partition_replace_image(&part, 0, pa_from_ptr(update), 0, sizeof(slot)),
			 BH_OK);
	assert_int_equal(slot[sizeof(slot) - 1], 0x33);
	/* A later piece fills in behind the first and zeroes nothing. */
	memset(update, 0x44, sizeof(update));
	assert_int_equal(partition_replace_image(&part, 0, pa_from_ptr(update), 0x80, 0x10), BH_OK);
	for (unsigned i = 0; i < sizeof(slot); i++) {
		assert_int_equal(slot[i], i >= 0x80 && i < 0x90 ? 0x44 : 0x33);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_stop_in_the_start_window, setup),
		cmocka_unit_test_setup(test_no_start_in_a_stopping_partition, setup),
		cmocka_unit_test_setup(test_stop_waits_for_the_other_vcpus, setup),
		cmocka_unit_test_setup(test_stop_of_a_stuck_vcpu, setup),
		cmocka_unit_test_setup(test_restart_loads_outside_the_lock, setup),
		cmocka_unit_test_setup(test_stop_reason, setup),
		cmocka_unit_test_setup(test_stop_from_another_partition, setup),
		cmocka_unit_test_setup(test_restart_is_not_interrupted, setup),
		cmocka_unit_test_setup(test_replace_image, setup),
	};
	return cmocka_run_group_tests_name("partition", tests, NULL, NULL);
}
