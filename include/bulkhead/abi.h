/* SPDX-License-Identifier: MIT */
/*
 * Bulkhead hypercall ABI, version 1.5 (docs/hypercalls.md). Shared by the
 * hypervisor and every guest: plain constants, no code.
 *
 * Calls follow the Arm SMC Calling Convention (DEN 0028) over HVC #0:
 * function id in w0, arguments in x1-x7, results in x0-x7. Ids are SMC64
 * fast calls owned by "vendor specific hypervisor service" (OEN 6).
 */
#ifndef BULKHEAD_ABI_H
#define BULKHEAD_ABI_H

#define BH_HVC_ABI_VERSION 0x00010005 /* major << 16 | minor */

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

/*
 * VMBus channels (docs/vmbus.md). x1 = the channel's number in the calling
 * partition's own list (0, 1, ...): a partition can name no other channel.
 * A number past the list gives BH_HVC_INVALID.
 *
 * INFO -> x0 = 0; x1, x2 = IPA and size of the ring the caller sends on;
 *    x3, x4 = those of the ring it receives on; x5 = its doorbell INTID in
 *    bits [15:0], BH_CHANNEL_PROVIDER in bit 16 if it is the provider, the
 *    peer's partition id in bits [39:32].
 * NAME -> x0 = 0; x1, x2 = the channel name; x3, x4 = its interface; each
 *    16 bytes NUL-padded, little endian.
 * OPEN -> x0 = 0; x1 = the caller's state after it (WAITING or CONNECTED);
 *    x2 = the session number (it counts connections).
 * CLOSE -> x0 = 0; x1 = BH_CHANNEL_CLOSED. The peer, if connected, is RESET.
 * STATE -> x0 = 0; x1 = the caller's state; x2 = the session number.
 * SIGNAL -> x0 = 0 (the peer's doorbell rang), or BH_HVC_DENIED if the
 *    channel is not CONNECTED.
 */
#define BH_HVC_CHANNEL_INFO   BH_HVC_FN(6)
#define BH_HVC_CHANNEL_NAME   BH_HVC_FN(7)
#define BH_HVC_CHANNEL_OPEN   BH_HVC_FN(8)
#define BH_HVC_CHANNEL_CLOSE  BH_HVC_FN(9)
#define BH_HVC_CHANNEL_STATE  BH_HVC_FN(10)
#define BH_HVC_CHANNEL_SIGNAL BH_HVC_FN(11)

/*
 * Root only (others: BH_HVC_DENIED), for benchmarks:
 * -> x0 = 0; x1 = exits of the calling vCPU since its partition started;
 *    x2 = instructions EL2 executed on this CPU since then, or 0 where the
 *    PMU cannot count them (QEMU counts instructions only with -icount).
 */
#define BH_HVC_VCPU_STATS BH_HVC_FN(12)

/*
 * Management, root only: from any other partition BH_HVC_DENIED, nothing
 * changes and the call is counted. x1 = the target partition's id (0 is the
 * root). A bad id, the root as the target of START, STOP, RESTART or LOAD, or
 * a target in the wrong state gives BH_HVC_INVALID.
 *
 * STATUS -> x0 = 0; x1 = BH_PARTITION_*; x2 = vCPUs; x3 = physical CPU mask;
 *    x4 = memory bytes; x5 = starts [31:0], calls it made that were DENIED
 *    [63:32]; x6, x7 = its name, 16 bytes NUL-padded, little endian.
 * STOP_REASON, x2 = byte offset -> as BH_HVC_BOOTARGS, of why it last
 *    stopped or restarted (the report's one-line form; "" if it never did).
 * START (stopped), STOP (forced; running), RESTART (running) -> x0 = 0 or
 *    BH_HVC_INVALID; x1 = its state (BH_PARTITION_*) when the call returns.
 * LOAD, x2 = image number (its index in the binding), x3 = the root's IPA of
 *    a piece of the new image, x4 = the piece's size (at least 1), x5 = its
 *    offset in the image (the piece must end within the image's `reg` size)
 *    -> x0 = 0: copied over the image's boot-loader copy, so the next start
 *    runs it. Offset 0 starts a new image: the copy behind the piece is
 *    zeroed; later pieces (offset > 0) fill it in, so a root can load an
 *    image larger than any buffer it has. The target must be stopped.
 * CONSOLE, x2 = position -> x0 = bytes (0-32) of the target's console
 *    history from x1 = the first position still kept at or after x2;
 *    x2 = the position after its last line; x3-x6 = the bytes, little endian.
 *    Positions count the bytes the partition printed since the hypervisor
 *    started; a position past x2 is BH_HVC_INVALID.
 */
#define BH_HVC_PARTITION_STATUS	     BH_HVC_FN(13)
#define BH_HVC_PARTITION_STOP_REASON BH_HVC_FN(14)
#define BH_HVC_PARTITION_START	     BH_HVC_FN(15)
#define BH_HVC_PARTITION_STOP	     BH_HVC_FN(16)
#define BH_HVC_PARTITION_RESTART     BH_HVC_FN(17)
#define BH_HVC_PARTITION_LOAD	     BH_HVC_FN(18)
#define BH_HVC_PARTITION_CONSOLE     BH_HVC_FN(19)
#define BH_HVC_CONSOLE_CHUNK	     32

/*
 * Any partition, about itself: it crashed (a panic, an exception it caught).
 * x1 = a code of the caller's choosing; x2-x5 = up to 32 bytes of text,
 * NUL-padded, little endian. Never returns: the partition stops as crashed
 * (the root included), its stop reason "vCPU n (CPUm): guest crash report:
 * TEXT (code 0x...)" with the text cut at its first NUL and every byte that
 * is not printable ASCII shown as '?'. Before ABI 1.5: BH_HVC_NOT_SUPPORTED.
 */
#define BH_HVC_CRASH	       BH_HVC_FN(20)
#define BH_HVC_CRASH_TEXT_SIZE 32

/* A partition's state (BH_HVC_PARTITION_STATUS). */
#define BH_PARTITION_STOPPED	0
#define BH_PARTITION_RUNNING	1
#define BH_PARTITION_RESTARTING 2 /* stopping, to start again */
#define BH_PARTITION_STARTING	3 /* its memory being loaded */
#define BH_PARTITION_STOPPING	4 /* waiting for its vCPUs to be off */
#define BH_PARTITION_LOADING	5 /* stopped, an image being replaced: cannot start yet */
#define BH_PARTITION_CRASHED	6 /* stopped by a fault */

/* A channel side's state, as the caller sees it. */
#define BH_CHANNEL_CLOSED    0 /* not opened (or closed, or its partition restarted) */
#define BH_CHANNEL_WAITING   1 /* opened; the peer has not */
#define BH_CHANNEL_CONNECTED 2 /* both opened: the rings are live */
#define BH_CHANNEL_RESET     3 /* the peer closed or stopped: stop using the rings, open again */
#define BH_CHANNEL_PROVIDER  (1U << 16)

/* Return codes (x0), SMCCC style: negative numbers are errors. */
#define BH_HVC_OK	     0
#define BH_HVC_NOT_SUPPORTED (-1)
#define BH_HVC_INVALID	     (-2)
#define BH_HVC_DENIED	     (-3)

#endif
