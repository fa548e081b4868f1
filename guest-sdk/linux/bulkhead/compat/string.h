/* SPDX-License-Identifier: MIT */
/* <string.h> for vmbus/ring.c in a kernel build. */
#ifndef BULKHEAD_COMPAT_STRING_H
#define BULKHEAD_COMPAT_STRING_H
#include <linux/string.h>
#endif
