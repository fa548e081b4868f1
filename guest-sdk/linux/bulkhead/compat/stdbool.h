/* SPDX-License-Identifier: MIT */
/* <stdbool.h> for vmbus/ring.c in a kernel build: bool is the kernel's. */
#ifndef BULKHEAD_COMPAT_STDBOOL_H
#define BULKHEAD_COMPAT_STDBOOL_H
#include <linux/types.h>
#endif
