// SPDX-License-Identifier: MIT
/*
 * Debian's libfdt.a is built with -fstack-protector-strong: it needs a
 * guard value and a failure handler.
 */
#include <core/log.h>

uintptr_t __stack_chk_guard = 0x5a17b0a7c0ffee00UL;

_Noreturn void __stack_chk_fail(void);

_Noreturn void __stack_chk_fail(void)
{
	panic("stack smashing detected (stack protector)");
}
