// SPDX-License-Identifier: MIT
/* Line-oriented logging and panic(). */
#include <arch/arch.h>
#include <core/console.h>
#include <core/lock.h>
#include <core/log.h>
#include <core/printf.h>
#include <core/smp.h>

#define LINE_MAX 256

#if CONFIG_PANIC_REBOOT
#define PANIC_ACTION "rebooting"
#elif CONFIG_PANIC_POWEROFF
#define PANIC_ACTION "powering off"
#else
#define PANIC_ACTION "halted"
#endif

static spinlock_t log_lock = SPINLOCK_INIT;
static bool log_locking;
atomic_int panic_cpu = -1;

void log_enable_locking(void)
{
	log_locking = true;
}

/* Synchronous: before partitions run, and in a panic. */
static void emit_now(const char *line, size_t len)
{
	if (!log_locking) {
		console_write(line, len);
		return;
	}
	/*
	 * A panic_cpu CPU may find the lock held by a CPU that will never
	 * release it: after a bounded wait it prints anyway.
	 */
	bool locked = false;
	for (unsigned spins = 0; spins < 10000000; spins++) {
		if (spin_trylock(&log_lock)) {
			locked = true;
			break;
		}
		if (atomic_load(&panic_cpu) >= 0 && spins > 100000) {
			break;
		}
		arch_cpu_relax();
	}
	if (console_buffering()) {
		console_flush(); /* what was queued comes first */
	}
	console_write(line, len);
	if (locked) {
		spin_unlock(&log_lock);
	}
}

/*
 * The hypervisor's own lines wait for room in the ring (pushing it out
 * meanwhile, no lock held), for a bounded time: a stuck UART loses them.
 */
static void emit(const char *line, size_t len)
{
	if (!console_buffering() || panic_in_progress()) {
		emit_now(line, len);
		return;
	}
	for (unsigned spins = 0; !console_queue(line, len) && spins < 10000000; spins++) {
		arch_cpu_relax();
	}
}

void log_vline(int level, const char *fmt, va_list ap)
{
	static const char *const prefixes[] = {"[hv] error: ", "[hv] warning: ", "[hv] ",
					       "[hv] debug: "};
	char line[LINE_MAX];

	if (level > CONFIG_LOG_LEVEL) {
		return;
	}
	int n = bh_snprintf(line, sizeof(line), "%s", prefixes[level < 0 ? 0 : level & 3]);
	int m = bh_vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2) {
		/* Truncated: say so instead of silently cutting. */
		len = sizeof(line) - 2;
		line[len - 3] = '.';
		line[len - 2] = '.';
		line[len - 1] = '.';
	}
	line[len++] = '\n';
	emit(line, len);
}

void log_line(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline(level, fmt, ap);
	va_end(ap);
}

bool log_tagged_line(const char *tag, const char *text, size_t len)
{
	char line[LINE_MAX];
	int n = bh_snprintf(line, sizeof(line) - 1, "[%s] %.*s", tag, (int)len, text);
	size_t out = MIN((size_t)n, sizeof(line) - 2);
	line[out++] = '\n';
	if (!console_buffering() || panic_in_progress()) {
		emit_now(line, out);
		return true;
	}
	return console_queue(line, out); /* a partition never waits for room */
}

_Noreturn void panic(const char *fmt, ...)
{
	char reason[160];
	va_list ap;
	int cpu = (int)arch_cpu_index();
	int none = -1;

	va_start(ap, fmt);
	bh_vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	if (!atomic_compare_exchange_strong(&panic_cpu, &none, cpu)) {
		/* Someone else is already panic_cpu: report and stop quietly. */
		log_error("CPU%d: also failed during panic: %s", cpu, reason);
		arch_cpu_park();
	}
	log_line(LOG_ERROR, "PANIC on CPU%d: %s", cpu, reason);
	unsigned stopped = smp_stop_others();
	log_line(LOG_ERROR, "PANIC: %u other CPU(s) stopped; system %s", stopped, PANIC_ACTION);
#if CONFIG_PANIC_REBOOT
	arch_system_reset();
#elif CONFIG_PANIC_POWEROFF
	arch_system_off();
#else
	arch_cpu_park();
#endif
}
