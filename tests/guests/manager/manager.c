/* SPDX-License-Identifier: MIT */
/*
 * A bare-metal root that manages its children with the management calls
 * (docs/hypercalls.md), for tests/system/test_management.py. Every step
 * prints a "manager: ..." line; the root waits for what its children print
 * by reading their console history, never by the clock.
 *
 * As the root, bootargs "target=NAME kid=NAME update=IPA size=N slot=N":
 *   1. waits until partition `kid` has made its refused calls and crashed;
 *   2. lists every partition (STATUS from id 0 until INVALID) with the stop
 *      reasons;
 *   3. asks what must be refused (the root as a target, a start of a running
 *      child, a load into it, an id past the last);
 *   4. stops, starts and restarts `target`, each time until its banner shows
 *      in its console history;
 *   5. stops it, refuses loads that do not fit (over the slot, outside the
 *      root's memory, a wrong image number), loads the `size` bytes at IPA
 *      `update` (an image of the root's, in its memory) as its image 0,
 *      starts it and waits for the new program's banner and its own
 *      SYSTEM_OFF; prints what it printed from the console history.
 * As a child, bootargs "child": makes every management call (each must be
 * DENIED), prints "manager NAME: denied done", then reads beyond its memory,
 * which stops it with a fault.
 */
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_US 20000

/* The id of the partition called `name`; exits if there is none. */
static unsigned find(const char *name)
{
	struct bh_partition_status st;
	for (unsigned id = 0; bh_partition_status(id, &st) == BH_HVC_OK; id++) {
		if (strcmp(st.name, name) == 0) {
			return id;
		}
	}
	printf("manager: no partition %s\n", name);
	exit(1);
}

static uint32_t state_of(unsigned id)
{
	struct bh_partition_status st;
	return bh_partition_status(id, &st) == BH_HVC_OK ? st.state : 0xff;
}

/* Waits until partition id is in `state`. */
static void wait_state(unsigned id, uint32_t state)
{
	while (state_of(id) != state) {
		bh_delay_us(POLL_US);
	}
}

/*
 * Reads partition id's console history from *position, a line at a time,
 * until a line holds `marker`, and prints that line as "manager: NAME said:
 * LINE" (every line read, with `all`). *position ends after that line.
 */
static void wait_line(unsigned id, const char *name, uint64_t *position, const char *marker,
		      bool all)
{
	char line[200];
	size_t len = 0;

	for (;;) {
		char c;
		int n = bh_partition_console(id, position, &c, 1, NULL);
		if (n < 0) {
			printf("manager: console of %s: %d\n", name, n);
			exit(1);
		}
		if (n == 0) {
			bh_delay_us(POLL_US);
		} else if (c != '\n') {
			line[len < sizeof(line) - 1 ? len++ : len] = c;
		} else {
			line[len] = '\0';
			len = 0;
			bool found = strstr(line, marker) != NULL;
			if (all || found) {
				printf("manager: %s said: %s\n", name, line);
			}
			if (found) {
				return;
			}
		}
	}
}

/* The position after everything partition id printed so far. */
static uint64_t console_end(unsigned id)
{
	uint64_t position = 0;
	char chunk[256];
	while (bh_partition_console(id, &position, chunk, sizeof(chunk), NULL) > 0) {
	}
	return position;
}

static void list(void)
{
	struct bh_partition_status st;
	char reason[128];
	unsigned id = 0;
	int rc;

	while ((rc = bh_partition_status(id, &st)) == BH_HVC_OK) {
		printf("manager: list %u %s %s vcpus=%u cpus=0x%llx mem=0x%llx starts=%u "
		       "denied=%u\n",
		       id, st.name, bh_partition_state_name(st.state), (unsigned)st.vcpu_count,
		       (unsigned long long)st.physical_cpu_mask,
		       (unsigned long long)st.memory_bytes, (unsigned)st.starts,
		       (unsigned)st.denied_calls);
		if (bh_partition_stop_reason(id, reason, sizeof(reason)) > 0) {
			printf("manager: list %u stop reason: %s\n", id, reason);
		}
		id++;
	}
	printf("manager: list end: %u partitions, then %d\n", id, rc);
}

/* The child's side: every call refused. */
static int child(void)
{
	char name[17];
	char text[64];
	uint64_t position = 0;
	struct bh_partition_status st;

	bh_partition_name(name);
	printf("manager %s: status -> %d\n", name, bh_partition_status(0, &st));
	printf("manager %s: stop reason -> %d\n", name,
	       bh_partition_stop_reason(0, text, sizeof(text)));
	printf("manager %s: start -> %d\n", name, bh_partition_start(1));
	printf("manager %s: stop -> %d\n", name, bh_partition_stop(1));
	printf("manager %s: restart -> %d\n", name, bh_partition_restart(1));
	printf("manager %s: load -> %d\n", name, bh_partition_load(1, 0, text, sizeof(text)));
	printf("manager %s: console -> %d\n", name,
	       bh_partition_console(1, &position, text, sizeof(text), NULL));
	printf("manager %s: denied done\n", name);
	/* Then a fault: the root reads it as this partition's stop reason. */
	(void)*(volatile uint32_t *)0x80000000UL;
	printf("manager %s: survived\n", name);
	return 1;
}

static unsigned long arg(const char *key)
{
	char value[32];
	if (!bh_bootarg(key, value, sizeof(value))) {
		printf("manager: no %s= in the bootargs\n", key);
		exit(1);
	}
	return strtoul(value, NULL, 0);
}

int main(void)
{
	char target_name[17], kid_name[17];
	uint64_t position;

	if (bh_bootarg("child", NULL, 0)) {
		return child();
	}
	if (!bh_bootarg("target", target_name, sizeof(target_name)) ||
	    !bh_bootarg("kid", kid_name, sizeof(kid_name))) {
		printf("manager: bootargs need target= and kid=\n");
		return 1;
	}
	uintptr_t update = arg("update");
	size_t size = arg("size"), slot = arg("slot");
	unsigned target = find(target_name), kid = find(kid_name);

	/* 1, 2: the child's refused calls changed nothing but its own count. */
	position = 0;
	wait_line(kid, kid_name, &position, "denied done", true);
	wait_state(kid, BH_PARTITION_CRASHED);
	list();

	/* 3: what must be refused. */
	printf("manager: start root -> %d, stop root -> %d, restart root -> %d\n",
	       bh_partition_start(0), bh_partition_stop(0), bh_partition_restart(0));
	printf("manager: start running %s -> %d, load running %s -> %d, status 99 -> %d\n",
	       target_name, bh_partition_start(target), target_name,
	       bh_partition_load(target, 0, (const void *)update, size),
	       bh_partition_status(99, &(struct bh_partition_status){0}));

	/* 4: stop, start, restart: the target's banner each time. */
	int rc = bh_partition_stop(target);
	printf("manager: stop %s -> %d (%s)\n", target_name, rc,
	       bh_partition_state_name(state_of(target)));
	printf("manager: stop %s again -> %d\n", target_name, bh_partition_stop(target));
	position = console_end(target);
	printf("manager: start %s -> %d\n", target_name, bh_partition_start(target));
	wait_line(target, target_name, &position, " boot (", true);
	position = console_end(target);
	printf("manager: restart %s -> %d\n", target_name, bh_partition_restart(target));
	wait_line(target, target_name, &position, " boot (", true);

	/* 5: a new image. */
	printf("manager: stop %s -> %d\n", target_name, bh_partition_stop(target));
	printf("manager: load over the slot -> %d, outside my memory -> %d, image 1 -> %d\n",
	       bh_partition_load(target, 0, (const void *)update, slot + 1),
	       bh_partition_load(target, 0, (const void *)0x10000000UL, size),
	       bh_partition_load(target, 1, (const void *)update, size));
	printf("manager: load %s -> %d\n", target_name,
	       bh_partition_load(target, 0, (const void *)update, size));
	position = console_end(target);
	printf("manager: start %s -> %d\n", target_name, bh_partition_start(target));
	wait_line(target, target_name, &position, "done", true);
	wait_state(target, BH_PARTITION_STOPPED);
	list();
	printf("manager: done\n");
	return 0;
}
