/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by every layer. The address types are distinct structs
 * so that passing a guest (intermediate physical) address where a host
 * physical one is expected fails to compile.
 */
#ifndef CORE_TYPES_H
#define CORE_TYPES_H

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

static inline paddr_t pa_add(paddr_t pa, uint64_t n)
{
	return (paddr_t){pa.value + n};
}

static inline ipaddr_t ipa_init(uint64_t value)
{
	return (ipaddr_t){value};
}

static inline uint64_t ipa_addr(ipaddr_t ipa)
{
	return ipa.value;
}

static inline ipaddr_t ipa_add(ipaddr_t ipa, uint64_t n)
{
	return (ipaddr_t){ipa.value + n};
}

static inline uintptr_t va_addr(vaddr_t va)
{
	return va.value;
}

/*
 * The EL2 identity map (docs/design.md, "Memory map"): the only places where
 * a physical address and a hypervisor pointer are the same number. Grep for
 * these to find every access the hypervisor makes through a physical address.
 */
static inline vaddr_t pa_to_va(paddr_t pa)
{
	return (vaddr_t){(uintptr_t)pa.value};
}

static inline void *pa_to_ptr(paddr_t pa)
{
	return (void *)(uintptr_t)pa.value;
}

static inline paddr_t pa_from_ptr(const void *ptr)
{
	return pa_init((uintptr_t)ptr);
}

/*
 * Address ranges [base, base + size). An empty range overlaps nothing and lies
 * within nothing; a range whose end passes 2^64 is treated as ending there
 * (the parsers refuse such ranges with range_wraps() before they keep one).
 */
struct pa_range {
	paddr_t base;
	uint64_t size;
};

struct ipa_range {
	ipaddr_t base;
	uint64_t size;
};

/* Last byte of a non-empty range, saturated at the top of the address space. */
static inline uint64_t range_last(uint64_t base, uint64_t size)
{
	return size - 1 > UINT64_MAX - base ? UINT64_MAX : base + (size - 1);
}

static inline bool range_wraps(uint64_t base, uint64_t size)
{
	return size != 0 && size - 1 > UINT64_MAX - base;
}

static inline bool range_overlaps(uint64_t a_base, uint64_t a_size, uint64_t b_base,
				  uint64_t b_size)
{
	return a_size != 0 && b_size != 0 && a_base <= range_last(b_base, b_size) &&
	       b_base <= range_last(a_base, a_size);
}

static inline bool range_within(uint64_t base, uint64_t size, uint64_t outer_base,
				uint64_t outer_size)
{
	return size != 0 && outer_size != 0 && base >= outer_base &&
	       range_last(base, size) <= range_last(outer_base, outer_size);
}

static inline struct pa_range pa_range(paddr_t base, uint64_t size)
{
	return (struct pa_range){base, size};
}

static inline struct ipa_range ipa_range(ipaddr_t base, uint64_t size)
{
	return (struct ipa_range){base, size};
}

static inline bool pa_range_overlaps(struct pa_range a, struct pa_range b)
{
	return range_overlaps(a.base.value, a.size, b.base.value, b.size);
}

static inline bool pa_range_within(struct pa_range inner, struct pa_range outer)
{
	return range_within(inner.base.value, inner.size, outer.base.value, outer.size);
}

static inline bool ipa_range_overlaps(struct ipa_range a, struct ipa_range b)
{
	return range_overlaps(a.base.value, a.size, b.base.value, b.size);
}

static inline bool ipa_range_within(struct ipa_range inner, struct ipa_range outer)
{
	return range_within(inner.base.value, inner.size, outer.base.value, outer.size);
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
