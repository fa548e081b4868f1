/* SPDX-License-Identifier: MIT */
/*
 * Bulkhead hypercall ABI, version 1.0 (docs/hypercalls.md). Shared by the
 * hypervisor and every guest: plain constants, no code.
 *
 * Calls follow the Arm SMC Calling Convention (DEN 0028) over HVC #0:
 * function id in w0, arguments in x1-x7, results in x0-x7. Ids are SMC64
 * fast calls owned by "vendor specific hypervisor service" (OEN 6).
 */
#ifndef BULKHEAD_ABI_H
#define BULKHEAD_ABI_H

#define BH_HVC_ABI_VERSION 0x00010000 /* major << 16 | minor */

#define BH_HVC_FN(n) (0xc6000000U | (n))

/* -> x0 = BH_HVC_ABI_VERSION */
#define BH_HVC_VERSION		 BH_HVC_FN(0)
/*
 * -> x0 = 0, x1 = partition id (0 is the root), x2 = number of vCPUs,
 *    x3 = calling vCPU index, x4 = mask of the physical CPUs the partition owns
 */
#define BH_HVC_PARTITION_INFO	 BH_HVC_FN(1)
/* -> x0 = 0, x1 and x2 = the partition name, 16 bytes NUL-padded, little endian */
#define BH_HVC_PARTITION_NAME	 BH_HVC_FN(2)
/*
 * x1 = length (0-32), x2-x5 = bytes (little endian, first byte in x2[7:0])
 * -> x0 = 0 or BH_HVC_INVALID. Output is line-buffered and tagged with the
 *    partition name on the physical console.
 */
#define BH_HVC_CONSOLE_WRITE	 BH_HVC_FN(3)
#define BH_HVC_CONSOLE_WRITE_MAX 32

/*
 * x1 = byte offset into the partition's `bootargs` (binding.md)
 * -> x0 = length of the whole string (without NUL) or BH_HVC_INVALID if the
 *    offset is past it; x1-x4 = the 32 bytes from the offset, NUL-padded,
 *    little endian (first byte in x1[7:0]).
 */
#define BH_HVC_BOOTARGS	      BH_HVC_FN(4)
#define BH_HVC_BOOTARGS_CHUNK 32

/*
 * -> x0 = number of bytes (0-32) typed on the partition's console and not
 *    read yet; x1-x4 = the bytes, little endian (first byte in x1[7:0]).
 *    Never blocks.
 */
#define BH_HVC_CONSOLE_READ	BH_HVC_FN(5)
#define BH_HVC_CONSOLE_READ_MAX 32

/* Return codes (x0), SMCCC style: negative numbers are errors. */
#define BH_HVC_OK	     0
#define BH_HVC_NOT_SUPPORTED (-1)
#define BH_HVC_INVALID	     (-2)
#define BH_HVC_DENIED	     (-3)

#endif
