// SPDX-License-Identifier: MIT
/*
 * The root partition's management calls (docs/hypercalls.md): any
 * partition's status and last stop reason; start, forced stop, restart and
 * image replacement of the others; their console history. Only the
 * mechanism: when to restart a child, or to ask it to shut down first, the
 * root's service decides (docs/design.md, "Management"). Arguments travel in
 * registers; the one buffer (LOAD) is found through the root's configured
 * memory regions, never through its page tables.
 */
#include <bulkhead/abi.h>
#include <core/log.h>
#include <core/partition.h>

#define INVALID ((uint64_t)(int64_t)BH_HVC_INVALID)

/* p's state as STATUS gives it. */
static unsigned abi_state(const struct partition *p)
{
	unsigned state = atomic_load(&p->state);
	return state == PARTITION_STOPPED && atomic_load(&p->crashed) ? BH_PARTITION_CRASHED
								      : state;
}

bool manage_hypercall(struct vcpu *v, uint32_t fn, uint64_t *x)
{
	struct partition *p = v->partition;
	if (fn < BH_HVC_PARTITION_STATUS || fn > BH_HVC_PARTITION_CONSOLE) {
		return false;
	}
	if (!p->cfg->is_root) {
		atomic_fetch_add(&p->denied, 1);
		guest_log(v, LOG_WARN, "management call 0x%08x: DENIED (the root's only)", fn);
		x[0] = (uint64_t)(int64_t)BH_HVC_DENIED;
		return true;
	}
	struct partition *t = partition_get(x[1]);
	bool changes = fn >= BH_HVC_PARTITION_START && fn <= BH_HVC_PARTITION_LOAD;
	x[0] = INVALID;
	if (t == NULL || (t->cfg->is_root && changes)) {
		return true; /* the root manages the others, never itself */
	}
	char reason[sizeof(t->stop_reason)];
	uint8_t bytes[BH_HVC_CONSOLE_CHUNK] = {0};
	uint64_t from = x[2], end, memory = 0;
	size_t n;
	paddr_t src;
	switch (fn) {
	case BH_HVC_PARTITION_STATUS:
		for (unsigned i = 0; i < t->cfg->mem_count; i++) {
			memory += t->cfg->mem[i].size;
		}
		x[0] = BH_HVC_OK;
		x[1] = abi_state(t);
		x[2] = t->vcpu_count;
		x[3] = t->cfg->cpu_mask;
		x[4] = memory;
		x[5] = atomic_load(&t->starts) | (uint64_t)atomic_load(&t->denied) << 32;
		hypercall_put_name(t->cfg->name, &x[6]);
		break;
	case BH_HVC_PARTITION_STOP_REASON:
		spin_lock(&t->lock);
		memcpy(reason, t->stop_reason, sizeof(reason));
		spin_unlock(&t->lock);
		hypercall_put_string(reason, sizeof(reason), x[2], x);
		break;
	case BH_HVC_PARTITION_CONSOLE:
		n = vconsole_history(t, &from, &end, bytes, sizeof(bytes));
		if (from <= end) {
			x[0] = n;
			x[1] = from;
			x[2] = end;
			memcpy(&x[3], bytes, sizeof(bytes)); /* x3-x6 */
		}
		break;
	case BH_HVC_PARTITION_LOAD: /* x2 = image, x3 = the root's IPA, x4 = size, x5 = offset */
		if (x[2] < t->cfg->image_count && x[4] != 0 && x[5] < t->cfg->images[x[2]].size &&
		    x[4] <= t->cfg->images[x[2]].size - x[5] &&
		    config_ipa_to_pa(p->cfg, ipa_init(x[3]), x[4], &src) &&
		    partition_replace_image(t, (unsigned)x[2], src, x[5], x[4]) == BH_OK) {
			x[0] = BH_HVC_OK;
		}
		break;
	default: /* START, STOP, RESTART: the paths of the child's own PSCI calls */
		if (fn == BH_HVC_PARTITION_START ? partition_start(t) == BH_OK
		    : fn == BH_HVC_PARTITION_STOP
			    ? partition_stop(t, NULL, "asked by the root", NULL)
			    : partition_restart(t, NULL, "asked by the root")) {
			x[0] = BH_HVC_OK;
		}
		x[1] = abi_state(t);
		break;
	}
	return true;
}
