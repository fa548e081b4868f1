// SPDX-License-Identifier: MIT
/*
 * PSCI for guests (Arm DEN 0022, PSCI 1.1), scoped to the calling partition:
 * its vCPUs are MPIDR 0..n-1 (Aff0 = vCPU index) and nothing else exists for
 * it. SYSTEM_OFF and SYSTEM_RESET act on the partition, never on the board.
 * SMCCC discovery calls are answered here too, on both conduits (SMC, and HVC
 * for IDs outside Bulkhead's hypercalls): an unknown ID gets NOT_SUPPORTED
 * (SMCCC 5.2) and a rate-limited report.
 */
#include <bulkhead/psci.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/printf.h>

#define SMCCC_SMC64 (1U << 30) /* function ID bit 30: the SMC64 convention (DEN 0028) */

static bool psci_implemented(uint32_t fn)
{
	static const uint32_t implemented[] = {
		BH_PSCI_FN_VERSION,	     BH_PSCI_FN_CPU_SUSPEND,   BH_PSCI_FN_CPU_SUSPEND_64,
		BH_PSCI_FN_CPU_OFF,	     BH_PSCI_FN_CPU_ON_32,     BH_PSCI_FN_CPU_ON,
		BH_PSCI_FN_AFFINITY_INFO_32, BH_PSCI_FN_AFFINITY_INFO, BH_PSCI_FN_MIGRATE_INFO_TYPE,
		BH_PSCI_FN_SYSTEM_OFF,	     BH_PSCI_FN_SYSTEM_RESET,  BH_PSCI_FN_FEATURES,
		BH_SMCCC_FN_VERSION,	     BH_SMCCC_FN_ARCH_FEATURES};
	for (size_t i = 0; i < ARRAY_SIZE(implemented); i++) {
		if (implemented[i] == fn) {
			return true;
		}
	}
	return false;
}

/* The vCPU a guest MPIDR names, or NULL: only Aff0 may be set. */
static struct vcpu *target_vcpu(struct partition *p, uint64_t mpidr)
{
	if (mpidr >= p->vcpu_count) {
		return NULL;
	}
	return &p->vcpus[mpidr];
}

static int64_t cpu_on(struct vcpu *self, uint64_t mpidr, uint64_t entry, uint64_t context)
{
	struct partition *p = self->partition;
	struct vcpu *target = target_vcpu(p, mpidr);
	paddr_t pa;

	if (target == NULL) {
		guest_log(self, LOG_INFO,
			  "PSCI CPU_ON(MPIDR 0x%lx) refused: the partition has %u vCPU(s), MPIDR "
			  "0-%u",
			  mpidr, p->vcpu_count, p->vcpu_count - 1);
		return BH_PSCI_INVALID_PARAMETERS;
	}
	if (!config_ipa_to_pa(p->cfg, ipa_init(entry), 4, &pa)) {
		return BH_PSCI_INVALID_ADDRESS;
	}
	spin_lock(&p->lock);
	int64_t rc = BH_PSCI_SUCCESS;
	unsigned state = atomic_load(&target->state);
	if (atomic_load(&p->state) != PARTITION_RUNNING) {
		rc = BH_PSCI_INVALID_PARAMETERS; /* the partition is going down */
	} else if (state == VCPU_RUNNING) {
		rc = BH_PSCI_ALREADY_ON;
	} else if (state == VCPU_ON_PENDING) {
		rc = BH_PSCI_ON_PENDING;
	} else {
		vcpu_request_start(target, ipa_init(entry), context);
	}
	spin_unlock(&p->lock);
	return rc;
}

static int64_t affinity_info(struct vcpu *self, uint64_t mpidr, uint64_t level)
{
	struct vcpu *target = target_vcpu(self->partition, mpidr);
	if (target == NULL || level != 0) {
		return BH_PSCI_INVALID_PARAMETERS;
	}
	unsigned state = atomic_load(&target->state);
	return state == VCPU_RUNNING	  ? BH_PSCI_AFFINITY_ON
	       : state == VCPU_ON_PENDING ? BH_PSCI_AFFINITY_ON_PENDING
					  : BH_PSCI_AFFINITY_OFF;
}

enum guest_action vpsci_call(struct vcpu *v, uint64_t *x)
{
	uint32_t fn = (uint32_t)x[0];
	struct partition *p = v->partition;
	char why[96];
	int64_t rc;

	/* SMC32 calls (SMCCC 2.6): only the low 32 bits of each argument count. */
	uint64_t arg_mask = (fn & SMCCC_SMC64) != 0 ? ~0UL : 0xffffffffUL;
	uint64_t a1 = x[1] & arg_mask;
	uint64_t a2 = x[2] & arg_mask;
	uint64_t a3 = x[3] & arg_mask;

	switch (fn) {
	case BH_PSCI_FN_VERSION:
		rc = BH_PSCI_VERSION_1_1;
		break;
	case BH_PSCI_FN_CPU_ON_32:
	case BH_PSCI_FN_CPU_ON:
		rc = cpu_on(v, a1, a2, a3);
		break;
	case BH_PSCI_FN_CPU_OFF:
		return GUEST_STOP; /* vcpu_run_pending() marks it off */
	case BH_PSCI_FN_CPU_SUSPEND:
	case BH_PSCI_FN_CPU_SUSPEND_64:
		/* An immediate wake-up is a valid outcome of any suspend request. */
		rc = BH_PSCI_SUCCESS;
		break;
	case BH_PSCI_FN_AFFINITY_INFO_32:
	case BH_PSCI_FN_AFFINITY_INFO:
		rc = affinity_info(v, a1, a2);
		break;
	case BH_PSCI_FN_MIGRATE_INFO_TYPE:
		rc = BH_PSCI_MIGRATE_NOT_NEEDED;
		break;
	case BH_PSCI_FN_FEATURES:
		rc = psci_implemented((uint32_t)a1) ? BH_PSCI_SUCCESS : BH_PSCI_NOT_SUPPORTED;
		break;
	case BH_PSCI_FN_SYSTEM_OFF:
		bh_snprintf(why, sizeof(why), "PSCI SYSTEM_OFF from vCPU %u", v->index);
		partition_stop(p, v, why, NULL);
		return GUEST_STOP;
	case BH_PSCI_FN_SYSTEM_RESET:
		bh_snprintf(why, sizeof(why), "PSCI SYSTEM_RESET from vCPU %u", v->index);
		partition_restart(p, v, why);
		return GUEST_STOP;
	case BH_SMCCC_FN_VERSION:
		rc = BH_SMCCC_VERSION_1_1;
		break;
	case BH_SMCCC_FN_ARCH_FEATURES:
		/* DEN 0028 7.3: 0 for VERSION and ARCH_FEATURES; the workarounds as arch says. */
		rc = (uint32_t)a1 == BH_SMCCC_FN_VERSION ||
				     (uint32_t)a1 == BH_SMCCC_FN_ARCH_FEATURES
			     ? BH_SMCCC_SUCCESS
			     : arch_smccc_workaround((uint32_t)a1);
		break;
	case BH_SMCCC_FN_WORKAROUND_1:
	case BH_SMCCC_FN_WORKAROUND_2:
	case BH_SMCCC_FN_WORKAROUND_3:
		/* Entering EL2 already applied the mitigation; these return nothing. */
		rc = arch_smccc_workaround(fn) == BH_SMCCC_NOT_SUPPORTED ? BH_SMCCC_NOT_SUPPORTED
									 : BH_SMCCC_SUCCESS;
		break;
	default:
		guest_log(v, LOG_INFO, "unknown PSCI/SMCCC call 0x%08x: NOT_SUPPORTED", fn);
		rc = BH_PSCI_NOT_SUPPORTED;
		break;
	}
	x[0] = (uint64_t)rc;
	return GUEST_RESUME;
}
