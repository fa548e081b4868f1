/* SPDX-License-Identifier: MIT */
/* The generic timer's virtual counter: always readable at EL1. */
#include "internal.h"

#define MICROSECONDS_PER_SECOND 1000000U

uint64_t bh_counter(void)
{
	uint64_t ticks;

	/* The ISB keeps the read from being hoisted above earlier code. */
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(ticks)::"memory");
	return ticks;
}

uint64_t bh_counter_frequency(void)
{
	uint64_t hz;

	__asm__("mrs %0, cntfrq_el0" : "=r"(hz));
	return hz;
}

void bh_delay_us(uint64_t microseconds)
{
	uint64_t start = bh_counter();
	uint64_t ticks = microseconds * bh_counter_frequency() / MICROSECONDS_PER_SECOND;

	while (bh_counter() - start < ticks) {
		__asm__ volatile("yield");
	}
}
