/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor log: one call prints one whole line, prefixed "[hv] ", and
 * lines from different CPUs never interleave (core/console.c queues them
 * once partitions run). CONFIG_LOG_LEVEL filters.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <core/types.h>
#include <stdarg.h>
#include <stdatomic.h>

#define LOG_ERROR 0
#define LOG_WARN  1
#define LOG_INFO  2
#define LOG_DEBUG 3

void log_line(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vline(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_error(...) log_line(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_line(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_line(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_line(LOG_DEBUG, __VA_ARGS__)

/*
 * Queues "[tag] text" as one whole line (partition console output), without
 * waiting: false if the console's ring had no room (the line is lost).
 */
bool log_tagged_line(const char *tag, const char *text, size_t len);

/* Called once the MMU is on: from then on lines are serialized by a lock. */
void log_enable_locking(void);

/* Stops every CPU, prints which CPU and why, then halts/reboots as configured. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The CPU that panicked, -1 if none (log.c; read on every guest exit, so inline). */
extern atomic_int panic_cpu;

/* True once some CPU has panicked: the others stop when they see it. */
static inline bool panic_in_progress(void)
{
	return atomic_load_explicit(&panic_cpu, memory_order_relaxed) >= 0;
}

#if CONFIG_DEBUG_CHECKS
#define BUG_ON(cond)                                                          \
	do {                                                                  \
		if (cond) {                                                   \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
		}                                                             \
	} while (0)
#else
#define BUG_ON(cond) ((void)sizeof(cond))
#endif

#endif
