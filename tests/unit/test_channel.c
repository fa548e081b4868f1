// SPDX-License-Identifier: MIT
/*
 * Host tests for the VMBus channel states (core/channel.c): open, close and
 * partition-down transitions, the region zeroed only when a session starts,
 * doorbells (a fake vgic_raise records them), per-partition channel numbers
 * and the hypercall results, including the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <bulkhead/abi.h>
#include <core/channel.h>
#include <core/partition.h>

#include "fake_arch.h"

/* ---------------------------------------------------------------- fakes */

static struct partition parts[3];
static unsigned rings[3]; /* doorbells per partition */
static unsigned last_irq[3];

void vgic_raise(struct vgic *vg, unsigned vcpu, unsigned intid)
{
	(void)vcpu;
	for (unsigned i = 0; i < 3; i++) {
		if (vg == &parts[i].vgic) {
			rings[i]++;
			last_irq[i] = intid;
		}
	}
}

/* ---------------------------------------------------------------- the system */

static struct config cfg;
static _Alignas(4096) uint8_t region[2][0x4000];

/* root (0) provides "echo" to rt0 (1) and "con" to rt1 (2). */
static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	memset(&cfg, 0, sizeof(cfg));
	memset(parts, 0, sizeof(parts));
	memset(rings, 0, sizeof(rings));
	cfg.partition_count = 3;
	for (unsigned i = 0; i < 3; i++) {
		cfg.partitions[i].id = i;
		parts[i].id = i;
		parts[i].cfg = &cfg.partitions[i];
		atomic_store(&parts[i].state, PARTITION_RUNNING);
	}
	static const char *const names[] = {"echo", "con"};
	for (unsigned c = 0; c < 2; c++) {
		struct config_channel *ch = &cfg.channels[c];
		strcpy(ch->name, names[c]);
		strcpy(ch->interface, names[c]);
		ch->pa = pa_from_ptr(region[c]);
		ch->size = sizeof(region[c]);
		ch->ring_size[0] = 0x2000;
		ch->ring_size[1] = 0x2000;
		ch->end[SIDE_PROVIDER] = (struct config_channel_end){
			0, ipa_init(0x50000000 + c * 0x10000), 42 + c, c};
		ch->end[SIDE_CONSUMER] =
			(struct config_channel_end){1 + c, ipa_init(0x60000000), 50, 0};
		cfg.partitions[0].channels[cfg.partitions[0].channel_count++] = (uint8_t)c;
		cfg.partitions[1 + c].channels[cfg.partitions[1 + c].channel_count++] = (uint8_t)c;
	}
	cfg.channel_count = 2;
	channels_init(&cfg, parts);
	return 0;
}

/* One hypercall from partition p; returns x0, the results in x. */
static int64_t call(unsigned p, uint32_t fn, uint64_t arg, uint64_t *x)
{
	memset(x, 0, 8 * sizeof(*x));
	x[0] = fn;
	x[1] = arg;
	assert_true(channel_hypercall(&parts[p], fn, x));
	return (int64_t)x[0];
}

static uint64_t state_of(unsigned p, unsigned index)
{
	uint64_t x[8];
	assert_int_equal(call(p, BH_HVC_CHANNEL_STATE, index, x), BH_HVC_OK);
	return x[1];
}

static void test_session(void **state)
{
	(void)state;
	uint64_t x[8];
	memset(region[0], 0xaa, sizeof(region[0]));
	assert_int_equal(state_of(0, 0), BH_CHANNEL_CLOSED);
	assert_int_equal(call(0, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], BH_CHANNEL_WAITING);
	assert_int_equal(region[0][100], 0xaa); /* nobody is connected: untouched */
	/* Signalling before the session is refused and rings nothing. */
	assert_int_equal(call(0, BH_HVC_CHANNEL_SIGNAL, 0, x), BH_HVC_DENIED);
	assert_int_equal(rings[1], 0);
	/* The consumer opens: a session, zeroed rings, the provider's doorbell. */
	assert_int_equal(call(1, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], BH_CHANNEL_CONNECTED);
	assert_int_equal(x[2], 1);
	assert_int_equal(region[0][100], 0);
	assert_int_equal(region[0][sizeof(region[0]) - 1], 0);
	assert_int_equal(rings[0], 1);
	assert_int_equal(last_irq[0], 42);
	assert_int_equal(state_of(0, 0), BH_CHANNEL_CONNECTED);
	assert_int_equal(fake.logs[LOG_INFO], 1); /* the session is reported once */
	assert_non_null(strstr(fake.last_log[LOG_INFO], "channel echo connected"));
	/* Opening again changes nothing. */
	assert_int_equal(call(1, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_OK);
	assert_int_equal(x[2], 1);
	assert_int_equal(rings[0], 1);
	assert_int_equal(fake.logs[LOG_INFO], 1);
	/* Doorbells, each way, to the peer's own interrupt. */
	assert_int_equal(call(1, BH_HVC_CHANNEL_SIGNAL, 0, x), BH_HVC_OK);
	assert_int_equal(rings[0], 2);
	assert_int_equal(call(0, BH_HVC_CHANNEL_SIGNAL, 0, x), BH_HVC_OK);
	assert_int_equal(rings[1], 1);
	assert_int_equal(last_irq[1], 50);
	/* The other channel is not disturbed. */
	assert_int_equal(state_of(2, 0), BH_CHANNEL_CLOSED);
	assert_int_equal(rings[2], 0);
}

static void test_restart_needs_both_to_reopen(void **state)
{
	(void)state;
	uint64_t x[8];
	call(0, BH_HVC_CHANNEL_OPEN, 0, x);
	call(1, BH_HVC_CHANNEL_OPEN, 0, x);
	unsigned before = rings[0];
	/* rt0 restarts: it is closed, the root is reset and told. */
	channels_partition_down(&parts[1]);
	assert_int_equal(state_of(1, 0), BH_CHANNEL_CLOSED);
	assert_int_equal(state_of(0, 0), BH_CHANNEL_RESET);
	assert_non_null(strstr(fake.last_log[LOG_INFO], "went away"));
	assert_int_equal(rings[0], before + 1);
	assert_int_equal(call(0, BH_HVC_CHANNEL_SIGNAL, 0, x), BH_HVC_DENIED);
	/* The restarted rt0 opens: it waits until the root has let go and opened again. */
	memset(region[0], 0x55, sizeof(region[0]));
	assert_int_equal(call(1, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], BH_CHANNEL_WAITING);
	assert_int_equal(region[0][0], 0x55); /* the root may still be using it: not zeroed */
	assert_int_equal(call(0, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], BH_CHANNEL_CONNECTED);
	assert_int_equal(x[2], 2);
	assert_int_equal(region[0][0], 0);
	assert_int_equal(rings[1], 1); /* rt0 hears of the new session */
	/* A close by the provider resets the consumer the same way. */
	assert_int_equal(call(0, BH_HVC_CHANNEL_CLOSE, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], BH_CHANNEL_CLOSED);
	assert_int_equal(state_of(1, 0), BH_CHANNEL_RESET);
	/* A partition that stops while only waiting resets nobody. */
	channels_partition_down(&parts[1]);
	call(0, BH_HVC_CHANNEL_OPEN, 0, x);
	before = rings[1];
	channels_partition_down(&parts[0]);
	assert_int_equal(state_of(1, 0), BH_CHANNEL_CLOSED);
	assert_int_equal(rings[1], before);
}

static void test_numbers_and_info(void **state)
{
	(void)state;
	uint64_t x[8];
	/* The root's channel 1 is "con"; rt1's only one (0) is "con" too. */
	assert_int_equal(call(0, BH_HVC_CHANNEL_INFO, 1, x), BH_HVC_OK);
	assert_int_equal(x[1], 0x50010000);	     /* it sends on the first ring */
	assert_int_equal(x[3], 0x50010000 + 0x2000); /* and receives on the second */
	assert_int_equal(x[5] & 0xffff, 43);
	assert_true((x[5] & BH_CHANNEL_PROVIDER) != 0);
	assert_int_equal(x[5] >> 32, 2);
	assert_int_equal(call(2, BH_HVC_CHANNEL_INFO, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], 0x60000000 + 0x2000);
	assert_int_equal(x[3], 0x60000000);
	assert_false((x[5] & BH_CHANNEL_PROVIDER) != 0);
	assert_int_equal(call(2, BH_HVC_CHANNEL_NAME, 0, x), BH_HVC_OK);
	char name[9] = {0};
	memcpy(name, &x[1], 8);
	assert_string_equal(name, "con");
	/* Numbers past a partition's own list name nothing, whatever the call. */
	for (uint32_t fn = BH_HVC_CHANNEL_INFO; fn <= BH_HVC_CHANNEL_SIGNAL; fn++) {
		assert_int_equal(call(2, fn, 1, x), BH_HVC_INVALID);
		assert_int_equal(call(1, fn, ~0ULL, x), BH_HVC_INVALID);
	}
	assert_int_equal(rings[0] + rings[1] + rings[2], 0);
	/* Other hypercalls are not the channels'. */
	x[0] = BH_HVC_VERSION;
	assert_false(channel_hypercall(&parts[0], BH_HVC_VERSION, x));
}

/*
 * A vCPU still in flight while its partition stops (state STOPPING until its
 * vCPUs are off) cannot reopen or signal the channel the stop closes.
 */
static void test_stopping_partition_cannot_reopen(void **state)
{
	(void)state;
	uint64_t x[8];
	call(0, BH_HVC_CHANNEL_OPEN, 0, x);
	call(1, BH_HVC_CHANNEL_OPEN, 0, x);
	unsigned before = rings[0];
	atomic_store(&parts[1].state, PARTITION_STOPPING);
	assert_int_equal(call(1, BH_HVC_CHANNEL_SIGNAL, 0, x), BH_HVC_DENIED);
	assert_int_equal(rings[0], before);
	channels_partition_down(&parts[1]);
	assert_int_equal(state_of(0, 0), BH_CHANNEL_RESET);
	assert_int_equal(call(1, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_DENIED);
	assert_int_equal(state_of(1, 0), BH_CHANNEL_CLOSED);
	/* The root reopens: it waits, no session starts with the stopped side. */
	assert_int_equal(call(0, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], BH_CHANNEL_WAITING);
	assert_int_equal(call(1, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_DENIED);
	assert_int_equal(state_of(0, 0), BH_CHANNEL_WAITING);
	/* Started again, it connects as usual. */
	atomic_store(&parts[1].state, PARTITION_RUNNING);
	assert_int_equal(call(1, BH_HVC_CHANNEL_OPEN, 0, x), BH_HVC_OK);
	assert_int_equal(x[1], BH_CHANNEL_CONNECTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_session, setup),
		cmocka_unit_test_setup(test_restart_needs_both_to_reopen, setup),
		cmocka_unit_test_setup(test_numbers_and_info, setup),
		cmocka_unit_test_setup(test_stopping_partition_cannot_reopen, setup),
	};
	return cmocka_run_group_tests_name("channel", tests, NULL, NULL);
}
