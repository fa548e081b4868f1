/* SPDX-License-Identifier: MIT */
/*
 * A small, bounded printf for the hypervisor and its host tools, with what
 * they use: conversions d u x s %; flags - and 0; a width; a precision (also
 * .*); length l ll z. Anything else is printed verbatim. uint64_t is
 * unsigned long on every target (LP64, asserted in printf.c): %lx prints it.
 * Output is always NUL-terminated when size > 0; the return value is the
 * length the full output would have had, as in C11 vsnprintf.
 */
#ifndef CORE_PRINTF_H
#define CORE_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

int bh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int bh_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
