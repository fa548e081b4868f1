/* SPDX-License-Identifier: MIT */
/* Guest SDK internals shared by crt0.S and lib/: not part of the API. */
#ifndef BULKHEAD_SDK_INTERNAL_H
#define BULKHEAD_SDK_INTERNAL_H

#include <bulkhead/sdk.h>

#include <stdint.h>

/* Registers saved by crt0.S's vectors, in this order (FRAME_SIZE there). */
struct bh_exception_frame {
	uint64_t x[31];
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
};

/* Called from crt0.S. */
void bh_boot_main(uintptr_t device_tree) __attribute__((noreturn));
void bh_secondary_main(uint64_t cpu) __attribute__((noreturn));
void bh_exception_report(const struct bh_exception_frame *frame, unsigned kind)
	__attribute__((noreturn));
void bh_secondary_entry(void); /* the CPU_ON entry point, in crt0.S */

/* What an SMCCC call (HVC or SMC) returned in x0-x7. */
struct bh_smccc_result {
	uint64_t x0, x1, x2, x3, x4, x5, x6, x7;
};

/* A Bulkhead hypercall: HVC #0 with the function id in w0 and x1-x5 (hypercall.c). */
struct bh_smccc_result bh_hvc_call(uint32_t function_id, uint64_t arg1, uint64_t arg2,
				   uint64_t arg3, uint64_t arg4, uint64_t arg5);

/* A name a hypercall returned in two registers (16 bytes NUL-padded) as a C string. */
void bh_name_from_regs(uint64_t lo, uint64_t hi, char name[17]);

/* The console backend chosen at build time (console_hvc.c or console_pl011.c): no locking. */
void bh_console_backend_write(const char *text, size_t length);

/* What has been typed, up to length bytes, without waiting (console_*.c). */
size_t bh_console_backend_read(char *buffer, size_t length);

/* Stop this CPU for good: interrupts masked, WFI forever. */
void bh_halt(void) __attribute__((noreturn));

/*
 * Power the partition off (PSCI SYSTEM_OFF); halts if that returns, e.g.
 * with the wrong PSCI conduit.
 */
void bh_power_off(void) __attribute__((noreturn));

/* Format value as 0x-prefixed hexadecimal into out[19]; returns out. */
char *bh_format_hex(uint64_t value, char out[19]);

/* crt0.S's IRQ vector calls this (lib/irq.c). */
void bh_irq_dispatch(void);

/* PSTATE.I masked; returns DAIF as it was, for bh_irq_restore (lib/irq.c). */
uint64_t bh_irq_save(void);
void bh_irq_restore(uint64_t daif);

/*
 * bh_channel_recv for a reader that takes packets of at most `size` bytes:
 * a bigger one is taken out of the ring and dropped (VMBUS_TOOBIG, *length
 * its size), so that a peer cannot stop the reader with it (lib/channel.c).
 */
struct bh_channel;
struct vmbus_desc;
int bh_channel_recv_or_drop(struct bh_channel *ch, struct vmbus_desc *desc, void *buf,
			    uint32_t size, uint32_t *length);

/* The integration runtime: called once before main() (lib/integration.c). */
void bh_integration_start(void);

/* Newlib hooks that newlib itself does not declare. */
void _init(void);
void _fini(void);
void __libc_init_array(void);

#endif
