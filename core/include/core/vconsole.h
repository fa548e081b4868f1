/* SPDX-License-Identifier: MIT */
/*
 * Partition consoles (docs/consoles.md): what partitions print goes to the
 * physical console one whole line at a time, tagged "[name] "; what is typed
 * there goes to one partition at a time (the escape Ctrl-] switches). A
 * partition reaches its console through hypercalls or an emulated PL011.
 */
#ifndef CORE_VCONSOLE_H
#define CORE_VCONSOLE_H

#include <core/lock.h>
#include <core/types.h>

#define VCONSOLE_LINE_MAX  160
#define VCONSOLE_INPUT_MAX 256
#define VCONSOLE_HISTORY   4096 /* bytes of finished lines kept for the root: a power of 2 */
#define VCONSOLE_ESCAPE	   0x1d /* Ctrl-] */

struct partition;
struct vcpu;

struct vconsole {
	spinlock_t lock;
	char line[VCONSOLE_LINE_MAX];
	size_t line_len;
	uint8_t input[VCONSOLE_INPUT_MAX]; /* ring: typed, not read yet */
	unsigned in_head, in_count;
	unsigned in_dropped;
	uint64_t budget_tat;   /* output budget: when it is whole again (counter) */
	unsigned long dropped; /* bytes dropped, reported with the next line or at the stop */
	uint32_t uart[7];      /* the emulated PL011's UARTILPR to UARTIMSC: the rest is state */
	char history[VCONSOLE_HISTORY]; /* ring: its last lines, kept across restarts */
	uint64_t history_end;		/* bytes ever put in it: the next byte's position */
};

/*
 * After the partitions exist: output buffered, budgets set, console input
 * on, its interrupt (uart_irq, 0 if the device tree names none) routed to
 * CPU pcpu; the focus on the root.
 */
void vconsole_start(struct partition *partitions, unsigned count, unsigned pcpu, unsigned uart_irq);

/* A partition prints n bytes. */
void vconsole_write(struct partition *p, const uint8_t *bytes, size_t n);

/*
 * Up to max bytes of p's console history from position *from (raised to the
 * oldest kept if older); *end = the position after the newest. Returns how
 * many (0 if *from is past *end).
 */
size_t vconsole_history(struct partition *p, uint64_t *from, uint64_t *end, uint8_t *buf,
			size_t max);

/* Takes up to max typed bytes for the partition; returns how many. */
size_t vconsole_read(struct partition *p, uint8_t *buf, size_t max);

/* The physical console's interrupt, on any CPU: pushes output, reads what was typed and delivers
 * it. */
bool vconsole_irq(unsigned intid);

/* The partition (re)starts: its console forgets input, half lines and drop counts. */
void vconsole_reset(struct partition *p);

/* The partition stopped: the lines its budget dropped are reported. */
void vconsole_stopped(struct partition *p);

/*
 * CPU cpu enters (true) or leaves (false) a guest: the UART's interrupt,
 * taken only in a guest, moves to a CPU that runs one.
 */
void vconsole_cpu_running(unsigned cpu, bool running);

/* A trapped access to the emulated PL011 of v's partition (its MMIO region). */
bool vuart_mmio(struct vcpu *v, ipaddr_t ipa, unsigned size, bool write, uint64_t *value);

#endif
