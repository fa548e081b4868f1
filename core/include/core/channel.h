/* SPDX-License-Identifier: MIT */
/*
 * VMBus channels at run time (docs/vmbus.md): who has opened each one, the
 * doorbells, and what a peer sees when the other side goes away. The rings
 * are the partitions' own business: the hypervisor never reads them.
 */
#ifndef CORE_CHANNEL_H
#define CORE_CHANNEL_H

#include <core/config.h>

struct partition;

/* The configuration's channels, all closed; `partitions` is indexed by id. */
void channels_init(const struct config *cfg, struct partition *partitions);

/* A channel hypercall (BH_HVC_CHANNEL_*) from partition p; false if fn is none. */
bool channel_hypercall(struct partition *p, uint32_t fn, uint64_t *x);

/* Partition p stopped or is restarting: its sides close, connected peers are RESET. */
void channels_partition_down(const struct partition *p);

#endif
