// SPDX-License-Identifier: MIT
/*
 * PSCI for guests (Arm DEN 0022, PSCI 1.1), scoped to the calling partition:
 * its vCPUs are MPIDR 0..n-1 (Aff0 = vCPU index) and nothing else exists for
 * it. SYSTEM_OFF and SYSTEM_RESET act on the partition, never on the board.
 * SMCCC discovery calls are answered here too, since SMC is the conduit.
 */
#include <bulkhead/log.h>
#include <bulkhead/partition.h>
#include <bulkhead/printf.h>

#define PSCI_VERSION	       0x84000000U
#define PSCI_CPU_SUSPEND       0x84000001U
#define PSCI_CPU_SUSPEND_64    0xc4000001U
#define PSCI_CPU_OFF	       0x84000002U
#define PSCI_CPU_ON	       0x84000003U
#define PSCI_CPU_ON_64	       0xc4000003U
#define PSCI_AFFINITY_INFO     0x84000004U
#define PSCI_AFFINITY_INFO_64  0xc4000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF	       0x84000008U
#define PSCI_SYSTEM_RESET      0x84000009U
#define PSCI_FEATURES	       0x8400000aU
#define SMCCC_VERSION	       0x80000000U
#define SMCCC_ARCH_FEATURES    0x80000001U

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_ON_PENDING		(-5)
#define PSCI_INVALID_ADDRESS	(-9)

#define PSCI_VERSION_1_1   0x00010001U
#define MIGRATE_NOT_NEEDED 2 /* no Trusted OS to migrate */

static bool psci_implemented(uint32_t fn)
{
	switch (fn) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_SUSPEND_64:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return true;
	default:
		return false;
	}
}

/* The vCPU a guest MPIDR names, or NULL: only Aff0 may be set. */
static struct vcpu *target_vcpu(struct partition *p, uint64_t mpidr)
{
	if ((mpidr & ~0xffUL) != 0 || mpidr >= p->vcpu_count) {
		return NULL;
	}
	return &p->vcpus[mpidr];
}

static int64_t cpu_on(struct vcpu *self, uint64_t mpidr, uint64_t entry, uint64_t context)
{
	struct partition *p = self->partition;
	struct vcpu *target = target_vcpu(p, mpidr);
	uint64_t pa;

	if (target == NULL) {
		log_info("partition %s: PSCI CPU_ON(MPIDR 0x%llx) refused: the partition has %u "
			 "vCPU(s), MPIDR 0-%u",
			 p->cfg->name, (unsigned long long)mpidr, p->vcpu_count, p->vcpu_count - 1);
		return PSCI_INVALID_PARAMETERS;
	}
	if (!bh_config_ipa_to_pa(p->cfg, entry, 4, &pa)) {
		return PSCI_INVALID_ADDRESS;
	}
	spin_lock(&p->lock);
	int64_t rc = PSCI_SUCCESS;
	unsigned state = atomic_load(&target->state);
	if (atomic_load(&p->state) != PARTITION_RUNNING) {
		rc = PSCI_INVALID_PARAMETERS; /* the partition is going down */
	} else if (state == VCPU_RUNNING) {
		rc = PSCI_ALREADY_ON;
	} else if (state == VCPU_ON_PENDING) {
		rc = PSCI_ON_PENDING;
	} else {
		vcpu_request_start(target, entry, context);
	}
	spin_unlock(&p->lock);
	return rc;
}

static int64_t affinity_info(struct vcpu *self, uint64_t mpidr, uint64_t level)
{
	struct vcpu *target = target_vcpu(self->partition, mpidr);
	if (target == NULL || level != 0) {
		return PSCI_INVALID_PARAMETERS;
	}
	switch (atomic_load(&target->state)) {
	case VCPU_RUNNING:
		return 0; /* ON */
	case VCPU_ON_PENDING:
		return 2; /* ON_PENDING */
	default:
		return 1; /* OFF */
	}
}

enum guest_action vpsci_call(struct vcpu *v, uint64_t *x)
{
	uint32_t fn = (uint32_t)x[0];
	struct partition *p = v->partition;
	char why[96];
	int64_t rc;

	switch (fn) {
	case PSCI_VERSION:
		rc = PSCI_VERSION_1_1;
		break;
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_64:
		rc = cpu_on(v, fn == PSCI_CPU_ON ? (uint32_t)x[1] : x[1], x[2], x[3]);
		break;
	case PSCI_CPU_OFF:
		return GUEST_STOP; /* vcpu_run_pending() marks it off */
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_SUSPEND_64:
		/* An immediate wake-up is a valid outcome of any suspend request. */
		rc = PSCI_SUCCESS;
		break;
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_64:
		rc = affinity_info(v, fn == PSCI_AFFINITY_INFO ? (uint32_t)x[1] : x[1], x[2]);
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		rc = MIGRATE_NOT_NEEDED;
		break;
	case PSCI_FEATURES:
		rc = psci_implemented((uint32_t)x[1]) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
		break;
	case PSCI_SYSTEM_OFF:
		bh_snprintf(why, sizeof(why), "PSCI SYSTEM_OFF from vCPU %u", v->index);
		partition_stop(p, v, why);
		return GUEST_STOP;
	case PSCI_SYSTEM_RESET:
		bh_snprintf(why, sizeof(why), "PSCI SYSTEM_RESET from vCPU %u", v->index);
		partition_restart(p, v, why);
		return GUEST_STOP;
	case SMCCC_VERSION:
		rc = 0x10001; /* SMCCC 1.1 */
		break;
	default:
		/* SMCCC_ARCH_FEATURES and anything else: not provided. */
		rc = PSCI_NOT_SUPPORTED;
		break;
	}
	x[0] = (uint64_t)rc;
	return GUEST_RESUME;
}
