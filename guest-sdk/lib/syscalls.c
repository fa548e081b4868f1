/* SPDX-License-Identifier: MIT */
/*
 * The system calls newlib is built to expect (--disable-newlib-supplied-syscalls):
 * a console on file descriptors 0-2, a heap bounded by the partition's memory,
 * and power-off for _exit. Plus malloc's lock, so several CPUs may allocate.
 */
#include "internal.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* newlib declares these only while compiling itself. */
int _close(int fd);
int _fstat(int fd, struct stat *status);
int _getpid(void);
int _gettimeofday(struct timeval *time, void *timezone);
int _isatty(int fd);
int _kill(int pid, int signal);
off_t _lseek(int fd, off_t offset, int whence);
int _read(int fd, void *buffer, size_t length);
void *_sbrk(ptrdiff_t increment);
int _write(int fd, const void *buffer, size_t length);

#define CONSOLE_FD_COUNT 3 /* stdin, stdout, stderr */
#define PROGRAM_PID	 1

/* guest.ld: the heap is what lies between the stacks and BH_GUEST_MEM_SIZE. */
extern char __bh_heap_start[];
extern char __bh_heap_end[];

static bool is_console(int fd)
{
	return fd >= 0 && fd < CONSOLE_FD_COUNT;
}

int _write(int fd, const void *buffer, size_t length)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	bh_console_write(buffer, length);
	return (int)length;
}

/* There is no input: stdin is at end of file. */
/* Console input blocks until something is typed (polled every millisecond). */
int _read(int fd, void *buffer, size_t length)
{
	size_t n;

	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	while ((n = bh_console_backend_read(buffer, length)) == 0) {
		bh_delay_us(1000);
	}
	return (int)n;
}

int _close(int fd)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

int _fstat(int fd, struct stat *status)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	/* A character device: stdio line-buffers stdout and never seeks. */
	*status = (struct stat){.st_mode = S_IFCHR};
	return 0;
}

int _isatty(int fd)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return 0;
	}
	return 1;
}

off_t _lseek(int fd, off_t offset, int whence)
{
	(void)offset;
	(void)whence;
	errno = is_console(fd) ? ESPIPE : EBADF;
	return -1;
}

void *_sbrk(ptrdiff_t increment)
{
	static uintptr_t heap_top; /* 0 until the first call */
	uintptr_t heap_start = (uintptr_t)__bh_heap_start;
	uintptr_t heap_end = (uintptr_t)__bh_heap_end;
	uintptr_t previous_top;
	bool fits;

	/* Called under malloc's lock, so CPUs never race here. */
	if (heap_top == 0) {
		heap_top = heap_start;
	}
	if (increment >= 0) {
		fits = (uintptr_t)increment <= heap_end - heap_top;
	} else {
		fits = (uintptr_t)0 - (uintptr_t)increment <= heap_top - heap_start;
	}
	if (!fits) {
		errno = ENOMEM;
		return (void *)-1;
	}
	previous_top = heap_top;
	heap_top += (uintptr_t)increment; /* wraps correctly for a negative increment */
	return (void *)previous_top;
}

void _exit(int status)
{
	if (status != 0) {
		char message[48];
		int length = snprintf(message, sizeof(message), "bulkhead-sdk: exit status %d\n",
				      status);

		bh_console_write(message, (size_t)length);
	}
	/* In a partition this stops the partition only. */
	bh_power_off();
}

/*
 * abort() and raise() end up here: end the program like the signal would. A
 * signal whose default action dumps core (POSIX: SIGABRT, SIGSEGV...) says the
 * program failed: the partition is reported crashed (BH_HVC_CRASH), so the
 * root's crash policy applies; the others, and a hypervisor without the call,
 * end in exit status 128 + signal and a power-off.
 */
int _kill(int pid, int signal)
{
	static const struct {
		int signal;
		const char *text;
	} crashes[] = {
		{SIGABRT, "abort() (SIGABRT)"}, {SIGSEGV, "SIGSEGV raised"},
		{SIGFPE, "SIGFPE raised"},	{SIGILL, "SIGILL raised"},
		{SIGBUS, "SIGBUS raised"},	{SIGQUIT, "SIGQUIT raised"},
		{SIGTRAP, "SIGTRAP raised"},
	};

	if (pid != PROGRAM_PID) {
		errno = ESRCH;
		return -1;
	}
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		if (crashes[i].signal == signal) {
			char message[64];
			int length = snprintf(message, sizeof(message),
					      "bulkhead-sdk: %s: crash report\n", crashes[i].text);
			bh_console_write(message, (size_t)length);
			bh_crash_report((uint64_t)signal, crashes[i].text);
		}
	}
	_exit(128 + signal);
}

int _getpid(void)
{
	return PROGRAM_PID;
}

/*
 * The wall clock once the root gave it (the integration runtime); until then,
 * and without one, time counts from the virtual counter's zero.
 */
int _gettimeofday(struct timeval *time, void *timezone)
{
	uint64_t ticks = bh_counter();
	uint64_t hz = bh_counter_frequency();
	int64_t unix_ns;

	(void)timezone;
	if (time == NULL) {
		return 0;
	}
	if (bh_wall_clock_ns(&unix_ns) == 0) {
		time->tv_sec = (time_t)(unix_ns / 1000000000);
		time->tv_usec = (suseconds_t)(unix_ns % 1000000000 / 1000);
	} else {
		time->tv_sec = (time_t)(ticks / hz);
		time->tv_usec = (suseconds_t)(ticks % hz * 1000000U / hz);
	}
	return 0;
}

/*
 * newlib's malloc calls these around every heap operation, recursively from
 * realloc; its own versions do nothing. The lock is owned by a CPU.
 */
#define NO_OWNER (-1)
static atomic_int malloc_owner = NO_OWNER;
static unsigned malloc_depth;

void __malloc_lock(struct _reent *reent)
{
	int self = (int)bh_cpu_id();
	int expected = NO_OWNER;

	(void)reent;
	if (atomic_load_explicit(&malloc_owner, memory_order_relaxed) == self) {
		malloc_depth++;
		return;
	}
	while (!atomic_compare_exchange_weak_explicit(&malloc_owner, &expected, self,
						      memory_order_acquire, memory_order_relaxed)) {
		expected = NO_OWNER;
		__asm__ volatile("yield");
	}
	malloc_depth = 1;
}

void __malloc_unlock(struct _reent *reent)
{
	(void)reent;
	if (--malloc_depth == 0) {
		atomic_store_explicit(&malloc_owner, NO_OWNER, memory_order_release);
	}
}
