/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by every layer. The address types are distinct structs
 * so that passing a guest (intermediate physical) address where a host
 * physical one is expected fails to compile.
 */
#ifndef BULKHEAD_TYPES_H
#define BULKHEAD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A physical address as the CPU's stage-1/stage-2 output sees it. */
typedef struct {
	uint64_t value;
} paddr_t;

/* An intermediate physical address: what a partition thinks is physical. */
typedef struct {
	uint64_t value;
} ipaddr_t;

/* A virtual address in the hypervisor's own (EL2) address space. */
typedef struct {
	uintptr_t value;
} vaddr_t;

static inline paddr_t pa_init(uint64_t value)
{
	return (paddr_t){value};
}

static inline uint64_t pa_addr(paddr_t pa)
{
	return pa.value;
}

static inline ipaddr_t ipa_init(uint64_t value)
{
	return (ipaddr_t){value};
}

static inline uint64_t ipa_addr(ipaddr_t ipa)
{
	return ipa.value;
}

static inline vaddr_t va_init(uintptr_t value)
{
	return (vaddr_t){value};
}

static inline uintptr_t va_addr(vaddr_t va)
{
	return va.value;
}

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a)	 ALIGN_DOWN((x) + ((__typeof__(x))(a)-1), (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define UNUSED(x)	 ((void)(x))

/* Error codes returned as negative ints throughout the hypervisor. */
#define BH_OK	    0
#define BH_EINVAL   (-1) /* malformed input */
#define BH_ENOMEM   (-2) /* a fixed-size table or pool is full */
#define BH_ENOENT   (-3) /* something looked up is not there */
#define BH_EEXIST   (-4) /* already there, differently */
#define BH_ERANGE   (-5) /* a number or address out of its range */
#define BH_EIO	    (-6) /* the hardware or firmware refused */
#define BH_ETIMEOUT (-7) /* waited long enough */
#define BH_ENOTSUP  (-8) /* valid but not supported by this build */

const char *bh_strerror(int err);

#endif
