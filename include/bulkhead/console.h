/* SPDX-License-Identifier: MIT */
/*
 * The packets of VMBus channels of interface "console" (docs/vmbus.md,
 * "Interfaces"): a byte stream each way, cut into packets anywhere, with no
 * framing. Shared by the SDK's vmconsole and vsp and the Linux module's
 * ttyVMB devices; no includes, so each side can use it.
 */
#ifndef BULKHEAD_CONSOLE_H
#define BULKHEAD_CONSOLE_H

/* The payload is the next bytes of the stream (transaction id 0, ignored). */
#define BH_CONSOLE_TYPE_DATA 1

/*
 * Writers send at most this many bytes per packet (and no more than the ring
 * takes); readers accept packets this large. A reader skips packets of other
 * types: they are reserved.
 */
#define BH_CONSOLE_MAX_PACKET 4096

#endif
