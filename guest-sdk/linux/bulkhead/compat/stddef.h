/* SPDX-License-Identifier: MIT */
/* <stddef.h> for vmbus/ring.c in a kernel build. */
#ifndef BULKHEAD_COMPAT_STDDEF_H
#define BULKHEAD_COMPAT_STDDEF_H
#include <linux/stddef.h>
#include <linux/types.h>
#endif
