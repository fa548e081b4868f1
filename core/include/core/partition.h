/* SPDX-License-Identifier: MIT */
/*
 * Partitions and their vCPUs at run time, and the one lifecycle API that
 * boot, PSCI, faults and (later) the root partition's management calls use.
 */
#ifndef CORE_PARTITION_H
#define CORE_PARTITION_H

#include <arch/arch.h>
#include <arch/stage2.h>
#include <bulkhead/abi.h>
#include <core/config.h>
#include <core/lock.h>
#include <core/smp.h>
#include <core/string.h>
#include <core/vconsole.h>
#include <core/vgic.h>

/* The values are the ABI's (BH_HVC_PARTITION_STATUS). */
enum partition_state {
	PARTITION_STOPPED = BH_PARTITION_STOPPED,
	PARTITION_RUNNING = BH_PARTITION_RUNNING,
	PARTITION_RESTARTING = BH_PARTITION_RESTARTING,
	PARTITION_STARTING =
		BH_PARTITION_STARTING, /* its memory is being loaded (outside the lock) */
	PARTITION_STOPPING = BH_PARTITION_STOPPING, /* waiting for its vCPUs to be off */
	PARTITION_LOADING = BH_PARTITION_LOADING,   /* an image being replaced (outside the lock) */
};

enum vcpu_state {
	VCPU_OFF,
	VCPU_ON_PENDING, /* entry set, its CPU will pick it up */
	VCPU_RUNNING,
};

struct partition;

struct vcpu {
	struct partition *partition;
	unsigned index; /* in the partition; also the guest's MPIDR.Aff0 */
	unsigned pcpu;	/* logical physical CPU it is pinned to */
	_Atomic unsigned state;
	atomic_bool stop_request;
	ipaddr_t entry;
	uint64_t context;	/* x0 at entry */
	uint64_t exits;		/* traps to the hypervisor in this life (its own CPU counts) */
	struct vgic_vcpu *vgic; /* its part of the partition's vGIC */
};

/*
 * An emulated device in a partition's IPA space: a trapped access inside
 * `range` goes to `access` (exit.c looks it up by address).
 */
typedef bool mmio_access_t(struct vcpu *v, ipaddr_t ipa, unsigned size, bool write,
			   uint64_t *value);

struct mmio_region {
	struct ipa_range range;
	mmio_access_t *access;
};

#define PARTITION_MAX_MMIO 3 /* GICD, GICR, vuart */

struct partition {
	const struct config_partition *cfg;
	unsigned id;
	struct stage2 s2;
	_Atomic unsigned state;
	spinlock_t lock;
	struct vcpu vcpus[CONFIG_MAX_CPUS];
	unsigned vcpu_count;
	_Atomic unsigned starts; /* how many times it was started */
	atomic_bool crashed;	 /* its last stop was a fault */
	char stop_reason[128];	 /* why it last stopped or restarted (under the lock) */
	_Atomic unsigned denied; /* management calls it made, refused */
	ipaddr_t boot_entry;
	uint64_t boot_x0;
	uint64_t cntvoff; /* physical count at the start: its virtual counter starts at 0 */
	struct vgic vgic;
	struct vconsole console;
	struct mmio_region mmio[PARTITION_MAX_MMIO];
	unsigned mmio_count;
};

/* Reads and checks /bulkhead, builds every partition and starts them all. */
void partitions_boot(const void *fdt, const struct dt_board *board, unsigned gic_lines);

/*
 * Lifecycle. `caller` is the vCPU asking (it stops itself by returning
 * GUEST_STOP), or NULL. A stop or restart is false if p was not running;
 * `fault` is the fault report's line when a fault stops it, else NULL.
 */
int partition_start(struct partition *p);
bool partition_stop(struct partition *p, struct vcpu *caller, const char *why, const char *fault);
bool partition_restart(struct partition *p, struct vcpu *caller, const char *why);
const char *partition_state_name(unsigned state);

/* Partition `id`, NULL past the last. */
struct partition *partition_get(uint64_t id);

/* Copies size bytes at src over a stopped p's image `image` and zeroes the rest of it. */
int partition_replace_image(struct partition *p, unsigned image, paddr_t src, uint64_t offset,
			    uint64_t size);

/* The vCPU pinned to the running CPU, or NULL. */
/* The vCPU pinned to this CPU, or NULL; every guest exit asks, so inline. */
static inline struct vcpu *vcpu_current(void)
{
	/* Set on this CPU before its vCPU runs and cleared after it stopped: no ordering needed. */
	return atomic_load_explicit(&smp_cpu(arch_cpu_index())->vcpu, memory_order_relaxed);
}

/* Asks a vCPU to start at entry with x0 = context (PSCI CPU_ON). */
void vcpu_request_start(struct vcpu *v, ipaddr_t entry, uint64_t context);

/* Runs this CPU's vCPU if it has been asked to start; false if there was nothing to do. */
bool vcpu_run_pending(void);

/* Guest services, one owner per kind of exit. */
enum guest_action vpsci_call(struct vcpu *v, uint64_t *x);
enum guest_action hypercall(struct vcpu *v, const struct guest_exit *exit);
bool manage_hypercall(struct vcpu *v, uint32_t fn, uint64_t *x); /* false: not one of its calls */

/* A name as hypercalls return it: 16 bytes NUL-padded into x[0], x[1], little endian. */
static inline void hypercall_put_name(const char *name, uint64_t *x)
{
	uint8_t bytes[16] = {0};
	memcpy(bytes, name, strnlen(name, sizeof(bytes)));
	memcpy(x, bytes, sizeof(bytes)); /* x[0], x[1] */
}

/*
 * A string as BH_HVC_BOOTARGS returns it: x[0] = its length (up to `size`),
 * or BH_HVC_INVALID if offset is past it; x[1]-x[4] = 32 bytes from offset.
 */
static inline void hypercall_put_string(const char *s, size_t size, uint64_t offset, uint64_t *x)
{
	size_t len = strnlen(s, size);
	uint8_t chunk[BH_HVC_BOOTARGS_CHUNK] = {0};
	if (offset > len) {
		x[0] = (uint64_t)(int64_t)BH_HVC_INVALID;
		return;
	}
	size_t n = len - (size_t)offset;
	memcpy(chunk, s + offset, n < sizeof(chunk) ? n : sizeof(chunk));
	x[0] = len;
	memcpy(&x[1], chunk, sizeof(chunk)); /* x1-x4 */
}

/* Adds an emulated device at `range` of p's IPA space (partition creation only). */
void partition_add_mmio(struct partition *p, struct ipa_range range, mmio_access_t *access);

/* Reports a guest-caused fatal event (`what`, PC, ESR, FAR) and stops the partition. */
enum guest_action vcpu_fault(struct vcpu *v, const struct guest_exit *exit, const char *what);

/* A line about something v did and survives, "partition: vCPU: ...", rate-limited per partition. */
void guest_log(struct vcpu *v, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
