// SPDX-License-Identifier: MIT
/*
 * Guest exits: arch/ decodes a trap into a struct guest_exit and calls
 * core_guest_exit() on the vCPU's own CPU; this file sends it to the one
 * service that owns that kind of exit. Emulated devices are found by
 * address in the partition's table of MMIO regions.
 */
#include <arch/arch.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/printf.h>
#include <core/smp.h>

#include <stdarg.h>

/*
 * Lines a guest can make the hypervisor print (faults it survives, refused
 * or unknown calls) are rate-limited per partition: GUEST_LOG_BURST lines per
 * GUEST_LOG_WINDOW seconds; the next line printed says how many were dropped.
 */
#define GUEST_LOG_BURST	 10
#define GUEST_LOG_WINDOW 5

static struct guest_log_limit {
	spinlock_t lock;
	uint64_t window_start;
	unsigned printed;
	unsigned suppressed;
} log_limits[BH_MAX_PARTITIONS];

/* May p print a line now? `always`: yes. *dropped: lines suppressed before it. */
static bool guest_log_admit(const struct partition *p, bool always, unsigned *dropped)
{
	BUG_ON(p->id >= BH_MAX_PARTITIONS);
	struct guest_log_limit *l = &log_limits[p->id];
	uint64_t now = arch_counter();
	bool ok;

	spin_lock(&l->lock);
	if (now - l->window_start >= GUEST_LOG_WINDOW * arch_counter_freq()) {
		l->window_start = now;
		l->printed = 0;
	}
	ok = always || l->printed < GUEST_LOG_BURST;
	*dropped = ok ? l->suppressed : 0;
	l->printed += ok ? 1 : 0;
	l->suppressed = ok ? 0 : l->suppressed + 1;
	spin_unlock(&l->lock);
	if (*dropped != 0) {
		log_info("partition %s: %u more line(s) suppressed (rate limit)", p->cfg->name,
			 *dropped);
	}
	return ok;
}

void guest_log(struct vcpu *v, int level, const char *fmt, ...)
{
	const struct partition *p = v->partition;
	char what[160];
	unsigned dropped;
	va_list ap;

	if (!guest_log_admit(p, false, &dropped)) {
		return;
	}
	va_start(ap, fmt);
	bh_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_line(level, "partition %s: vCPU %u (CPU%u): %s", p->cfg->name, v->index, v->pcpu, what);
}

enum guest_action vcpu_fault(struct vcpu *v, const struct guest_exit *exit, const char *what)
{
	struct partition *p = v->partition;
	char why[96];
	char report[sizeof(p->stop_reason)];
	unsigned dropped;

	guest_log_admit(p, true, &dropped); /* once per life: never dropped */
	bh_snprintf(report, sizeof(report), "vCPU %u (CPU%u): %s", v->index, v->pcpu, what);
	log_error("partition %s: %s", p->cfg->name, report);
	log_error("partition %s:   PC 0x%lx  ESR 0x%lx (EC 0x%02lx %s)  FAR 0x%lx", p->cfg->name,
		  exit->pc, exit->esr, (exit->esr >> 26) & 0x3f, exit->cause, exit->far);
	bh_snprintf(why, sizeof(why), "fault in vCPU %u; other partitions keep running", v->index);
	partition_stop(p, v, why, report);
	return GUEST_STOP;
}

void partition_add_mmio(struct partition *p, struct ipa_range range, mmio_access_t *access)
{
	BUG_ON(p->mmio_count == PARTITION_MAX_MMIO);
	p->mmio[p->mmio_count++] = (struct mmio_region){range, access};
}

/* A load or store to an emulated device; false if no device is there. */
static bool emulate_mmio(struct vcpu *v, struct guest_exit *exit)
{
	const struct partition *p = v->partition;
	const struct mmio_region *region = NULL;
	uint64_t value = 0;
	unsigned bits = 8 * exit->access_size;
	uint64_t mask = bits == 64 ? ~0UL : (1UL << bits) - 1;

	for (unsigned i = 0; i < p->mmio_count && region == NULL; i++) {
		if (ipa_range_within(ipa_range(exit->ipa, 1), p->mmio[i].range)) {
			region = &p->mmio[i];
		}
	}
	if (region == NULL || !exit->syndrome_valid) {
		return false;
	}
	if (exit->write && exit->reg != 31) {
		value = exit->x[exit->reg] & mask;
	}
	if (!region->access(v, exit->ipa, exit->access_size, exit->write, &value)) {
		return false;
	}
	if (!exit->write && exit->reg != 31) {
		value &= mask;
		if (exit->sign_extend && bits < 64 && (value & (1UL << (bits - 1))) != 0) {
			value |= ~mask;
		}
		exit->x[exit->reg] = exit->reg64 ? value : value & 0xffffffffUL;
	}
	exit->step = true;
	return true;
}

static enum guest_action handle_exit(struct vcpu *v, struct guest_exit *exit)
{
	struct partition *p = v->partition;
	char what[128];

	switch (exit->kind) {
	case GUEST_EXIT_KICK:
		return GUEST_RESUME;
	case GUEST_EXIT_IRQ:
		if (!vconsole_irq(exit->intid) && !vgic_hw_irq(&p->vgic, v->index, exit->intid)) {
			arch_guest_irq_done(exit->intid); /* nobody's: complete it here */
		}
		return GUEST_RESUME;
	case GUEST_EXIT_SGI:
		vgic_sgi1r(&p->vgic, v->index, exit->value);
		exit->step = true;
		return GUEST_RESUME;
	case GUEST_EXIT_HVC:
		return hypercall(v, exit);
	case GUEST_EXIT_SMC:
		return vpsci_call(v, exit->x);
	case GUEST_EXIT_UNDEF:
		/* EL0 traps, IMPLEMENTATION DEFINED registers: as on hardware, the guest decides.
		 */
		guest_log(v, LOG_WARN, "%s at PC 0x%lx (ESR 0x%lx): UNDEF injected", exit->cause,
			  exit->pc, exit->esr);
		exit->inject = GUEST_INJECT_UNDEF;
		return GUEST_RESUME;
	case GUEST_EXIT_ABORT:
		if (emulate_mmio(v, exit)) {
			return GUEST_RESUME;
		}
		bh_snprintf(
			what, sizeof(what),
			"stage-2 %s abort: %s IPA 0x%lx, which is not mapped for this partition",
			exit->instruction ? "instruction" : "data",
			exit->instruction ? "fetch from"
			: exit->write	  ? "write to"
					  : "read of",
			ipa_addr(exit->ipa));
		if (p->cfg->fault_inject) {
			guest_log(v, LOG_WARN, "%s; external abort injected at PC 0x%lx", what,
				  exit->pc);
			exit->inject = GUEST_INJECT_ABORT;
			return GUEST_RESUME;
		}
		return vcpu_fault(v, exit, what);
	case GUEST_EXIT_FAULT:
	default:
		bh_snprintf(what, sizeof(what), "fatal exception: %s", exit->cause);
		return vcpu_fault(v, exit, what);
	}
}

enum guest_action core_guest_exit(struct guest_exit *exit)
{
	struct vcpu *v = vcpu_current();

	if (v == NULL) {
		panic("guest exit on CPU%u, which runs no vCPU", arch_cpu_index());
	}
	if (panic_in_progress() || atomic_load(&v->stop_request)) {
		/* An interrupt acknowledged for this exit would stay active for good. */
		if (exit->kind == GUEST_EXIT_IRQ && !vconsole_irq(exit->intid)) {
			arch_guest_irq_done(exit->intid);
		}
		return GUEST_STOP;
	}
	v->exits++;
	enum guest_action action = handle_exit(v, exit);
	if (action == GUEST_RESUME && vgic_flush_needed(&v->partition->vgic, v->vgic)) {
		vgic_flush(&v->partition->vgic, v->index);
	}
	return action;
}
