/* SPDX-License-Identifier: MIT */
/*
 * Bulkhead guest SDK: the API of bare-metal programs that run at EL1 in a
 * Bulkhead partition (guest-sdk/README.md). The C library is newlib: printf,
 * malloc and friends work as usual on the boot CPU.
 */
#ifndef BULKHEAD_SDK_H
#define BULKHEAD_SDK_H

#include <bulkhead/abi.h>
#include <bulkhead/integration.h>
#include <bulkhead/psci.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* vCPUs the SDK can run: one stack each, MPIDR Aff0 0..7. */
#define BH_MAX_CPUS 8

/* ------------------------------------------------------------ boot */

/* x0 at entry: the device tree's (intermediate) physical address, or 0. */
uintptr_t bh_device_tree(void);

/*
 * True when a hypervisor is there to answer hypercalls: EL2 exists
 * (ID_AA64PFR0_EL1.EL2). False when the program runs natively at EL1, e.g. on
 * qemu-system-aarch64 -M virt without virtualization=on, where HVC is an
 * undefined instruction. Call bh_hvc_*() and bh_partition_*() only when true.
 */
bool bh_hypervisor_present(void);

/* ------------------------------------------------------------ hypercalls */

/* BH_HVC_ABI_VERSION of the hypervisor (major << 16 | minor). */
uint32_t bh_hvc_version(void);

struct bh_partition_info {
	uint32_t partition_id;	    /* 0 is the root partition */
	uint32_t vcpu_count;	    /* vCPUs are numbered 0..vcpu_count-1 */
	uint32_t vcpu;		    /* the calling vCPU */
	uint64_t physical_cpu_mask; /* bit n: the partition owns physical CPU n */
};

/* Both return BH_HVC_OK or a negative BH_HVC_* code. */
int bh_partition_info(struct bh_partition_info *info);

/*
 * Root only (BH_HVC_VCPU_STATS): exits of the calling vCPU and instructions
 * EL2 executed on its CPU (32 bits, wrapping; 0 if not counted) since the
 * partition started. BH_HVC_OK or BH_HVC_DENIED.
 */
int bh_vcpu_stats(uint64_t *exits, uint64_t *el2_instructions);
int bh_partition_name(char name[17]); /* up to 16 characters, NUL-terminated */

/*
 * The partition's `bootargs` from the system device tree, NUL-terminated in
 * buf (cut to size - 1). Returns the full length, or a negative BH_HVC_* code.
 */
int bh_bootargs(char *buf, size_t size);

/*
 * Looks up `key` in the bootargs, which are words separated by spaces:
 * `key=value` copies value (cut to size - 1), a bare `key` gives "". Returns
 * true if the key is there. The first match wins.
 */
bool bh_bootarg(const char *key, char *value, size_t size);

/*
 * Reports that this partition crashed (BH_HVC_CRASH): `code` and the first 32
 * bytes of `text` go to the hypervisor, which stops the partition as crashed
 * with "guest crash report: TEXT (code 0x...)" as its stop reason, so the
 * root's crash policy applies. Never returns under ABI 1.5 and later; an
 * older hypervisor answers BH_HVC_NOT_SUPPORTED, which is returned. The SDK
 * makes it for an unexpected exception; a program may make it for a failure
 * of its own.
 */
int bh_crash_report(uint64_t code, const char *text);

/* ------------------------------------------------------------ managing partitions */

/*
 * The root partition's management calls (docs/hypercalls.md). From any other
 * partition each returns BH_HVC_DENIED, changes nothing and is counted. `id`
 * is a partition id (0 is the root); one past the last gives BH_HVC_INVALID,
 * so a root lists the system by counting up from 0.
 */
struct bh_partition_status {
	uint32_t state; /* BH_PARTITION_*: bh_partition_state_name() */
	uint32_t vcpu_count;
	uint64_t physical_cpu_mask;
	uint64_t memory_bytes;
	uint32_t starts;       /* how many times it was started */
	uint32_t denied_calls; /* management calls it made, refused */
	char name[17];
};

/* BH_HVC_OK, or a negative BH_HVC_* code. */
int bh_partition_status(unsigned id, struct bh_partition_status *status);

/* "stopped", "running", "restarting", "starting", "stopping", "loading", "crashed". */
const char *bh_partition_state_name(uint32_t state);

/*
 * Why partition id last stopped or restarted ("PSCI SYSTEM_OFF from vCPU 0",
 * "asked by the root", or the fault report's line: "vCPU 0 (CPU1): stage-2
 * data abort: ..."), "" if it never did; NUL-terminated in buf, cut to
 * size - 1. Returns the full length, or a negative BH_HVC_* code.
 */
int bh_partition_stop_reason(unsigned id, char *buf, size_t size);

/*
 * Start a stopped partition, stop (forced) or restart a running one; never
 * the root. BH_HVC_OK once done (a start or restart: once its vCPU 0 was
 * asked to run), BH_HVC_INVALID if it is not in a state for it (or not a
 * partition): bh_partition_status() says which.
 */
int bh_partition_start(unsigned id);
int bh_partition_stop(unsigned id);
int bh_partition_restart(unsigned id);

/*
 * Replaces image number `image` (its index among the partition's images in
 * the system tree) of a stopped partition with `size` bytes at `data`, which
 * must lie in one of the root's own memory regions; size is 1 up to the
 * image's `reg` size (its slot), the rest of the slot is zeroed. The next
 * start runs it. BH_HVC_OK or BH_HVC_INVALID.
 */
int bh_partition_load(unsigned id, unsigned image, const void *data, size_t size);

/*
 * Reads partition id's console history (its last 4 KiB of lines) from
 * *position into buf, up to size bytes, and moves *position past what it
 * read. Positions count the bytes the partition printed since the hypervisor
 * started, so a reader keeps its position and calls again for what is new;
 * *missed (if not NULL) is set to the bytes written over before they were
 * read. Returns the bytes read (0: nothing new), or a negative BH_HVC_* code
 * (BH_HVC_INVALID for a position past the end).
 */
int bh_partition_console(unsigned id, uint64_t *position, char *buf, size_t size, uint64_t *missed);

/* ------------------------------------------------------------ PSCI */

/*
 * Raw PSCI calls through the conduit chosen at build time (BH_PSCI_CONDUIT:
 * smc in a Bulkhead partition, hvc natively on QEMU). Each returns what PSCI
 * returned in x0. In a partition, SYSTEM_OFF and SYSTEM_RESET act on the
 * partition only.
 */
int32_t bh_psci_version(void); /* major << 16 | minor */
int32_t bh_psci_cpu_on(uint64_t target_mpidr, uintptr_t entry_point, uint64_t context_id);
int32_t bh_psci_cpu_off(void);
int32_t bh_psci_affinity_info(uint64_t target_mpidr, uint32_t lowest_affinity_level);
int32_t bh_psci_system_off(void);
int32_t bh_psci_system_reset(void);
int32_t bh_psci_features(uint32_t function_id);

/* "SUCCESS", "INVALID_PARAMETERS"...; "unknown" for anything else. */
const char *bh_psci_error_name(int32_t code);

/* ------------------------------------------------------------ CPUs */

/* This CPU's index: MPIDR_EL1 Aff0 (the vCPU index in a partition). */
unsigned bh_cpu_id(void);

/*
 * Number of CPUs the program may start: the partition's vCPU count under
 * Bulkhead; natively, the CPUs PSCI AFFINITY_INFO knows (MPIDR 0, 1...).
 */
unsigned bh_cpu_count(void);

/*
 * Start CPU `cpu` (MPIDR Aff0 = cpu) with PSCI CPU_ON; it turns on its MMU,
 * switches to its own stack and calls fn(arg). When fn returns the CPU turns
 * itself off (CPU_OFF) and may be started again. Returns the raw PSCI code
 * (BH_PSCI_SUCCESS once the CPU has been asked to start, not when fn runs).
 */
int bh_cpu_start(unsigned cpu, void (*fn)(void *arg), void *arg);

/* ------------------------------------------------------------ console and locks */

typedef struct bh_spinlock {
	atomic_uint locked;
} bh_spinlock_t;

#define BH_SPINLOCK_INIT \
	{                \
		0        \
	}

void bh_spin_lock(bh_spinlock_t *lock);
void bh_spin_unlock(bh_spinlock_t *lock);

/*
 * printf that several CPUs may call at once: the whole line goes out
 * unbroken. newlib's own stdio has no locks, so once a second CPU runs, every
 * CPU prints with bh_printf (plain printf is fine while only one CPU runs).
 */
int bh_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Write bytes straight to the console backend (hypercall or PL011). */
void bh_console_write(const char *text, size_t length);

/* ------------------------------------------------------------ interrupts */

/* INTIDs the SDK dispatches (SGIs, PPIs and the first SPIs). */
#define BH_IRQ_MAX	  256
#define BH_IRQ_VIRT_TIMER 27 /* the EL1 virtual timer's PPI */

typedef void (*bh_irq_handler_t)(unsigned intid, void *arg);

/*
 * Finds the GIC (GICv3 or GICv2, at BH_GIC_DIST_BASE...), turns on the
 * distributor once and this CPU's interface. Returns 3 or 2, -1 if no GIC
 * answers. Secondary CPUs call bh_irq_cpu_init().
 */
int bh_irq_init(void);
void bh_irq_cpu_init(void);

/* Handlers run with interrupts masked, on the CPU that took the interrupt. */
void bh_irq_register(unsigned intid, bh_irq_handler_t fn, void *arg);

/* Enable/disable intid at the GIC: SGIs/PPIs for this CPU, SPIs routed to this CPU. */
void bh_irq_enable(unsigned intid);
void bh_irq_disable(unsigned intid);

/* PSTATE.I: let this CPU take interrupts, or not. */
void bh_irq_local_enable(void);
void bh_irq_local_disable(void);

/* Sends SGI sgi (0-15) to CPU cpu (MPIDR Aff0). Returns 0, or -1 for a bad argument. */
int bh_sgi_send(unsigned cpu, unsigned sgi);

/* Where the SDK expects the GIC: distributor, GICv3 redistributors (BH_GIC_* in sdk.mk). */
uintptr_t bh_gic_dist(void);
uintptr_t bh_gic_redist(void);

/* How many times intid has been taken (any CPU). */
unsigned long bh_irq_count(unsigned intid);

/*
 * The virtual timer (CNTV): fire BH_IRQ_VIRT_TIMER in `ticks` counter ticks,
 * or when the virtual counter reaches `counter`; stop it. A handler re-arms it
 * or stops it, or the interrupt (level-triggered) fires again at once.
 */
void bh_vtimer_set(uint64_t ticks);
void bh_vtimer_set_deadline(uint64_t counter);
void bh_vtimer_stop(void);

/* ------------------------------------------------------------ time */

/* The virtual counter (CNTVCT_EL0) and its frequency in Hz (CNTFRQ_EL0). */
uint64_t bh_counter(void);
uint64_t bh_counter_frequency(void);

/* Busy-wait on the virtual counter. */
void bh_delay_us(uint64_t microseconds);

/* ------------------------------------------------------------ integration services */

/*
 * When the partition is the consumer of a channel of interface "integration"
 * (include/bulkhead/integration.h), the SDK runtime speaks it before main()
 * runs and from interrupts afterwards, on vCPU 0: HELLO and a time request at
 * each connection, a HEARTBEAT at the period the root's WELCOME asks, the
 * wall clock from the root's TIME, and the root's SHUTDOWN requests
 * (guest-sdk/README.md, "Integration services"). It owns that channel, its
 * doorbell and the EL1 physical timer (CNTP, PPI 30) of vCPU 0, and main()
 * starts with interrupts enabled there; the virtual timer stays the program's.
 *
 * A program that does not want it defines
 *     const bool bh_integration_disable = true;
 * and a system turns it off with the bootarg bulkhead.integration=off.
 */
extern const bool bh_integration_disable;

/* Return codes of the calls below. */
#define BH_INTEGRATION_OFF	     (-1) /* no integration channel, or turned off */
#define BH_INTEGRATION_NOT_CONNECTED (-2) /* the root has not (re)opened the channel */
#define BH_INTEGRATION_NOT_SYNCED    (-3) /* no TIME from the root yet */
#define BH_INTEGRATION_RANGE	     (-4) /* the time is beyond what 64 bits of ns hold */
#define BH_INTEGRATION_FULL	     (-5) /* no room in the ring for the request */

struct bh_integration_status {
	bool active;		   /* the runtime serves an integration channel */
	bool connected;		   /* a session is live */
	char channel[17];	   /* its name */
	unsigned peer;		   /* the provider's partition id */
	uint64_t session;	   /* the live (or last) session's number */
	uint32_t heartbeat_ms;	   /* the period in use (0: none asked) */
	uint64_t heartbeats;	   /* this session's last sequence number (dropped ones too) */
	uint64_t heartbeats_total; /* sent since boot */
	uint64_t sessions;	   /* connections since boot */
	uint64_t time_syncs;	   /* TIME answers taken */
	uint64_t time_error_ns;	   /* the wall clock's error bound: half the last round trip */
	uint64_t shutdowns;	   /* SHUTDOWN requests received */
	uint64_t ignored;	   /* packets received and ignored: bad type, length or content */
	uint64_t unsent;	   /* packets not sent: the ring was full */
	uint64_t throttled;	   /* times the root's packets came faster than the runtime takes */
	uint64_t suppressed;	   /* runtime messages not printed (rate limit) */
};

/* A snapshot of the runtime's state; BH_INTEGRATION_OFF if it is not running. */
int bh_integration_status(struct bh_integration_status *status);

/*
 * The wall clock: nanoseconds since 1970-01-01 UTC, from the root's last TIME
 * answer and the virtual counter since. 0, or BH_INTEGRATION_OFF,
 * BH_INTEGRATION_NOT_SYNCED, BH_INTEGRATION_RANGE. It stays valid after the
 * root goes away; a new session asks for the time again.
 */
int bh_wall_clock_ns(int64_t *unix_ns);

/*
 * Asks the root for the time again (the answer arrives later: time_syncs
 * counts up). An answer to an earlier request still on its way is ignored.
 * 0, or BH_INTEGRATION_OFF, BH_INTEGRATION_NOT_CONNECTED, BH_INTEGRATION_FULL.
 */
int bh_integration_time_sync(void);

/* What the root asked for in a SHUTDOWN. */
struct bh_shutdown_request {
	uint64_t id;	     /* the request's transaction id */
	uint32_t action;     /* BH_INTEG_SHUTDOWN_POWEROFF or BH_INTEG_SHUTDOWN_REBOOT */
	uint32_t timeout_ms; /* after this the root stops the partition by force */
	char reason[57];     /* printable ASCII, NUL-terminated (other bytes became '?') */
};

/*
 * Called for each SHUTDOWN, in interrupt context on vCPU 0 (interrupts
 * masked: set a flag for the program's loop, do not wait). Its return value
 * is the answer: 0 means the program will power off (return from main(),
 * exit(), PSCI SYSTEM_OFF or SYSTEM_RESET for a reboot) on its own, soon;
 * negative refuses. Without a handler (fn NULL) the runtime answers 0 and
 * powers off (or resets) at once; stdout's unfinished line is lost then.
 */
typedef int (*bh_shutdown_handler_t)(const struct bh_shutdown_request *request, void *arg);
void bh_integration_on_shutdown(bh_shutdown_handler_t fn, void *arg);

/*
 * The exact payload length of an integration packet of `type` (BH_INTEG_*),
 * 0 for a type the protocol does not have: for a program that serves the
 * provider's side (a bare-metal root).
 */
uint32_t bh_integration_packet_length(unsigned type);

#endif
