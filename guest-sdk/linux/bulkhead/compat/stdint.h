/* SPDX-License-Identifier: MIT */
/* <stdint.h> for vmbus/ring.c in a kernel build: the kernel's own types. */
#ifndef BULKHEAD_COMPAT_STDINT_H
#define BULKHEAD_COMPAT_STDINT_H
#include <linux/limits.h>
#include <linux/types.h>
#ifndef UINT16_MAX
#define UINT16_MAX U16_MAX
#endif
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#endif
