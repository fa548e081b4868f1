// SPDX-License-Identifier: MIT
/*
 * Bulkhead hypercalls (docs/hypercalls.md). Arguments and results travel in
 * registers only, so no guest memory is read here. Function IDs outside
 * Bulkhead's owner (vendor specific hypervisor service) go to PSCI/SMCCC.
 */
#include <arch/arch.h>
#include <bulkhead/abi.h>
#include <bulkhead/psci.h>
#include <core/channel.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/printf.h>
#include <core/string.h>

enum guest_action hypercall(struct vcpu *v, const struct guest_exit *exit)
{
	struct partition *p = v->partition;
	uint64_t *x = exit->x;
	uint32_t fn = (uint32_t)x[0];

	switch (fn) {
	case BH_HVC_VERSION:
		x[0] = BH_HVC_ABI_VERSION;
		return GUEST_RESUME;
	case BH_HVC_PARTITION_INFO:
		x[0] = BH_HVC_OK;
		x[1] = p->id;
		x[2] = p->vcpu_count;
		x[3] = v->index;
		x[4] = p->cfg->cpu_mask;
		return GUEST_RESUME;
	case BH_HVC_PARTITION_NAME:
		hypercall_put_name(p->cfg->name, &x[1]);
		x[0] = BH_HVC_OK;
		return GUEST_RESUME;
	case BH_HVC_CONSOLE_WRITE: {
		uint64_t len = x[1];
		if (len > BH_HVC_CONSOLE_WRITE_MAX) {
			x[0] = (uint64_t)(int64_t)BH_HVC_INVALID;
			return GUEST_RESUME;
		}
		uint8_t bytes[BH_HVC_CONSOLE_WRITE_MAX];
		memcpy(bytes, &x[2], sizeof(bytes)); /* x2-x5, little endian */
		vconsole_write(p, bytes, (size_t)len);
		x[0] = BH_HVC_OK;
		return GUEST_RESUME;
	}
	case BH_HVC_CONSOLE_READ: {
		uint8_t bytes[BH_HVC_CONSOLE_READ_MAX] = {0};
		x[0] = vconsole_read(p, bytes, sizeof(bytes));
		memcpy(&x[1], bytes, sizeof(bytes)); /* x1-x4 */
		return GUEST_RESUME;
	}
	case BH_HVC_BOOTARGS:
		hypercall_put_string(p->cfg->bootargs, sizeof(p->cfg->bootargs), x[1], x);
		return GUEST_RESUME;
	case BH_HVC_CRASH: {
		/* The guest's own word on its crash: stopped as a fault would, its text made safe.
		 */
		char text[BH_HVC_CRASH_TEXT_SIZE + 1], what[96];
		memcpy(text, &x[2], BH_HVC_CRASH_TEXT_SIZE); /* x2-x5, little endian */
		text[BH_HVC_CRASH_TEXT_SIZE] = '\0';
		for (char *c = text; *c != '\0'; c++) {
			*c = *c >= ' ' && *c <= '~' ? *c : '?';
		}
		bh_snprintf(what, sizeof(what), "guest crash report: %s (code 0x%lx)", text, x[1]);
		return vcpu_fault(v, exit, what);
	}
	case BH_HVC_VCPU_STATS:
		if (!p->cfg->is_root) {
			x[0] = (uint64_t)(int64_t)BH_HVC_DENIED;
			return GUEST_RESUME;
		}
		x[0] = BH_HVC_OK;
		x[1] = v->exits;
		x[2] = arch_el2_instructions();
		return GUEST_RESUME;
	default:
		if (channel_hypercall(p, fn, x) || manage_hypercall(v, fn, x)) {
			return GUEST_RESUME;
		}
		if (BH_SMCCC_OWNER(fn) != BH_SMCCC_OWNER_VENDOR_HYP) {
			/* PSCI, SMCCC: the same service on HVC as on SMC. */
			return vpsci_call(v, x);
		}
		break;
	}
	/* SMCCC 5.2: an unknown function ID returns NOT_SUPPORTED; the guest lives on. */
	guest_log(v, LOG_INFO, "unknown hypercall 0x%08x: NOT_SUPPORTED", fn);
	x[0] = (uint64_t)(int64_t)BH_HVC_NOT_SUPPORTED;
	return GUEST_RESUME;
}
