// SPDX-License-Identifier: MIT
/*
 * Virtual GIC distributor and redistributors (trap and emulate), and list
 * register management. Register maps: GICv3 IHI 0069 12.9 (GICD), 12.10-12.11
 * (GICR); GICv2 IHI 0048B 4.3 (GICD). The guest sees one security state
 * (GICv3: GICD_CTLR.DS = 1), no LPIs and no ITS.
 *
 * Ownership: the SGIs and PPIs of a partition's own vCPUs, and the SPIs the
 * configuration gave it. Anything else reads as zero and ignores writes.
 *
 * Locking: vg->lock guards the model. List registers are only touched by the
 * vCPU's own CPU (vgic_flush); other CPUs make an interrupt pending and kick.
 */
#include <arch/arch.h>
#include <core/log.h>
#include <core/vgic.h>

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_ISACTIVER	0x0300
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR	0x0800
#define GICD_ICFGR	0x0c00
#define GICD_SGIR	0x0f00 /* v2 */
#define GICD_CPENDSGIR	0x0f10 /* v2 */
#define GICD_SPENDSGIR	0x0f20 /* v2 */
#define GICD_IROUTER	0x6000 /* v3: + 8 * INTID, INTID >= 32 */
#define GICV2_ICPIDR2	0x0fe8
#define GICV3_PIDR2	0xffe8

#define GICR_CTLR     0x0000
#define GICR_IIDR     0x0004
#define GICR_TYPER    0x0008
#define GICR_WAKER    0x0014
#define GICR_SGI_BASE 0x10000

#define CTLR_ENABLE_GRP0 (1U << 0)
#define CTLR_ENABLE_GRP1 (1U << 1)
#define CTLR_V3_ARE	 (1U << 4)   /* RAO/WI: affinity routing only */
#define CTLR_V3_DS	 (1U << 6)   /* RAO/WI: one security state */
#define TYPER_V3_IDBITS	 (9U << 19)  /* 10-bit INTIDs */
#define TYPER_V3_NO1N	 (1U << 25)  /* no 1-of-N SPI delivery */
#define IIDR_VALUE	 0x0000043bU /* implementer code as the Arm GICs report it */
#define PIDR2_V2	 0x2bU	     /* ArchRev [7:4] = 2 */
#define PIDR2_V3	 0x3bU	     /* ArchRev [7:4] = 3 */
#define WAKER_SLEEP	 (1U << 1)
#define WAKER_ASLEEP	 (1U << 2)
#define PRIORITY_MASK	 0xf8U	     /* 5 priority bits, as the list registers carry */
#define SGI_CFG		 0xaaaaaaaaU /* SGIs are edge-triggered, read-only */

enum bit_reg {
	REG_GROUP,
	REG_SET_ENABLE,
	REG_CLEAR_ENABLE,
	REG_SET_PEND,
	REG_CLEAR_PEND,
	REG_SET_ACTIVE,
	REG_CLEAR_ACTIVE
};

/* ---------------------------------------------------------------- model */

static struct virq *virq_of(struct vgic *vg, unsigned vcpu, unsigned intid)
{
	if (intid < VGIC_PRIVATE) {
		return vcpu < vg->vcpu_count ? &vg->vcpu[vcpu].private[intid] : NULL;
	}
	if (intid >= vg->lines) {
		return NULL;
	}
	struct virq *q = &vg->spi[intid - VGIC_PRIVATE];
	return (q->flags & VIRQ_OWNED) != 0 ? q : NULL;
}

/* The vCPU an SPI is delivered to: GICv3 route, or the lowest GICv2 target. */
static unsigned spi_target(const struct vgic *vg, const struct virq *q)
{
	if (vg->version == 3) {
		return q->target;
	}
	for (unsigned i = 0; i < vg->vcpu_count; i++) {
		if ((q->target & (1U << i)) != 0) {
			return i;
		}
	}
	return VGIC_MAX_VCPUS; /* no target: stays pending */
}

/* Lock held: remembers the first foreign access, which vgic_mmio() logs after unlocking. */
static void note_foreign(struct vgic *vg, unsigned intid, const char *what)
{
	if (!vg->warned) {
		vg->warned = true;
		vg->foreign_intid = intid;
		vg->foreign_what = what;
	}
}

/* Marks intid pending (lock held); returns the vCPU that must look at it. */
static unsigned make_pending(struct vgic *vg, unsigned vcpu, unsigned intid, struct virq *q)
{
	q->flags |= VIRQ_PENDING;
	if (intid < VGIC_PRIVATE) {
		vg->vcpu[vcpu].maybe_pending |= 1U << intid;
		return vcpu;
	}
	vg->spi_pending[intid / 32] |= 1U << (intid % 32);
	vg->spi_words |= 1U << (intid / 32);
	return spi_target(vg, q);
}

/* Enabled, and its group too: it can be delivered once pending. */
static bool enabled(const struct vgic *vg, const struct virq *q)
{
	uint32_t group_on = (q->flags & VIRQ_GROUP1) != 0 ? CTLR_ENABLE_GRP1 : CTLR_ENABLE_GRP0;
	return (q->flags & VIRQ_ENABLED) != 0 && (vg->ctlr & group_on) != 0;
}

static void kick(struct vgic *vg, unsigned vcpu)
{
	if (vcpu < vg->vcpu_count && vg->vcpu[vcpu].pcpu != arch_cpu_index()) {
		arch_cpu_kick(vg->vcpu[vcpu].pcpu);
	}
}

static void reset_virq(struct virq *q, uint8_t keep, uint8_t flags, uint8_t target)
{
	q->flags = (uint8_t)((q->flags & keep) | flags);
	q->priority = 0;
	q->target = target;
	q->sources = 0;
}

void vgic_reset(struct vgic *vg)
{
	spin_lock(&vg->lock);
	vg->live = true;
	vg->ctlr = 0;
	vg->config_gen++;
	for (unsigned v = 0; v < vg->vcpu_count; v++) {
		struct vgic_vcpu *c = &vg->vcpu[v];
		for (unsigned i = 0; i < VGIC_PRIVATE; i++) {
			/* SGIs: edge, enabled (GICv2 makes them always on); PPIs level, off. */
			reset_virq(&c->private[i], 0, i < 16 ? VIRQ_EDGE | VIRQ_ENABLED : 0, 0);
		}
		c->private[VGIC_PPI_VIRT_TIMER].flags |= VIRQ_HW;
		c->private[VGIC_PPI_PHYS_TIMER].flags |= VIRQ_HW;
		for (unsigned i = 0; i < ARCH_VGIC_MAX_LRS; i++) {
			c->lr_intid[i] = VGIC_LR_NONE;
		}
		c->waker_sleep = true;
		c->hw_sync = 0;
		c->maybe_pending = 0;
		c->lr_used = 0;
		c->fast_timer = 0;
	}
	for (unsigned i = 0; i < VGIC_MAX_SPIS; i++) {
		/* Delivered to vCPU 0 until the guest routes them. */
		reset_virq(&vg->spi[i], VIRQ_OWNED | VIRQ_HW, 0, vg->version == 3 ? 0 : 1);
	}
	for (unsigned i = 0; i < sizeof(vg->spi_pending) / sizeof(vg->spi_pending[0]); i++) {
		vg->spi_pending[i] = 0;
	}
	vg->spi_words = 0;
	spin_unlock(&vg->lock);
}

void vgic_stop(struct vgic *vg)
{
	spin_lock(&vg->lock);
	vg->live = false;
	vg->config_gen++;
	spin_unlock(&vg->lock);
}

void vgic_init(struct vgic *vg, const char *name, unsigned version, unsigned lines,
	       unsigned vcpu_count, const unsigned *pcpus, ipaddr_t gicd, struct ipa_range gicr)
{
	BUG_ON(lines > VGIC_MAX_INTID || vcpu_count == 0 || vcpu_count > VGIC_MAX_VCPUS);
	vg->name = name;
	vg->version = version;
	vg->lines = lines;
	vg->vcpu_count = vcpu_count;
	vg->gicd = gicd;
	vg->gicr = ipa_range(gicr.base, version == 3 ? gicr.size : 0);
	vg->warned = false;
	vg->foreign_what = NULL;
	atomic_store(&vg->lock.locked, false);
	for (unsigned v = 0; v < vg->vcpu_count; v++) {
		vg->vcpu[v].pcpu = pcpus[v];
	}
	for (unsigned i = 0; i < VGIC_MAX_SPIS; i++) {
		vg->spi[i].flags = 0;
	}
	vgic_reset(vg);
}

int vgic_own_spi(struct vgic *vg, unsigned intid, bool hw)
{
	if (intid < VGIC_PRIVATE || intid >= vg->lines) {
		return BH_ERANGE;
	}
	struct virq *q = &vg->spi[intid - VGIC_PRIVATE];
	if ((q->flags & VIRQ_OWNED) != 0) {
		return BH_EEXIST;
	}
	q->flags = (uint8_t)(VIRQ_OWNED | (hw ? VIRQ_HW : 0));
	return BH_OK;
}

/*
 * A doorbell or console interrupt. Its target is kicked only when the
 * interrupt becomes pending and can be delivered now: raising it again while
 * pending merges (an edge), a disabled one waits for its enable (which kicks),
 * and one whose list register will exit when done (EOI) waits for that exit.
 * So a peer signalling in a loop costs the target at most an exit or two per
 * interrupt it takes, not one per signal.
 */
void vgic_raise(struct vgic *vg, unsigned vcpu, unsigned intid)
{
	spin_lock(&vg->lock);
	struct virq *q = virq_of(vg, vcpu, intid);
	unsigned target = VGIC_MAX_VCPUS;
	if (q != NULL && (q->flags & VIRQ_PENDING) == 0) {
		unsigned to = make_pending(vg, vcpu, intid, q);
		target = (q->flags & VIRQ_EOI_WAIT) == 0 && enabled(vg, q) ? to : VGIC_MAX_VCPUS;
	}
	spin_unlock(&vg->lock);
	kick(vg, target);
}

/*
 * Lock held. Forwarded interrupt q is not pending any more: its physical line
 * is deactivated, so a level one still asserted signals again (a level
 * interrupt is pending exactly while its line is, GIC IHI 0069 4.1.2), and
 * left enabled only if the guest has it enabled. A PPI is done on its own CPU
 * by vgic_flush().
 */
static void hw_line_reset(struct vgic *vg, unsigned vcpu, unsigned intid, struct virq *q)
{
	if (intid < VGIC_PRIVATE) {
		vg->vcpu[vcpu].hw_sync |= 1U << intid;
		kick(vg, vcpu);
		return;
	}
	unsigned t = spi_target(vg, q);
	if (t < vg->vcpu_count) {
		arch_gic_spi_setup(intid, vg->vcpu[t].pcpu, false);
		if ((q->flags & VIRQ_ENABLED) != 0) {
			arch_gic_spi_setup(intid, vg->vcpu[t].pcpu, true);
		}
	}
}

bool vgic_hw_irq(struct vgic *vg, unsigned vcpu, unsigned intid)
{
	spin_lock(&vg->lock);
	struct virq *q = virq_of(vg, vcpu, intid);
	bool ours = q != NULL && (q->flags & VIRQ_HW) != 0;
	unsigned target = VGIC_MAX_VCPUS;
	if (ours && (q->flags & (VIRQ_EDGE | VIRQ_ENABLED)) == 0) {
		/* Level and disabled by the guest: the line keeps the pending state, masked. */
		hw_line_reset(vg, vcpu, intid, q);
	} else if (ours) {
		target = make_pending(vg, vcpu, intid, q);
	}
	spin_unlock(&vg->lock);
	kick(vg, target);
	return ours;
}

/* ---------------------------------------------------------------- SGIs */

/* Lock held (the kick only sends a physical SGI). */
static void send_sgi(struct vgic *vg, unsigned from, unsigned intid, uint32_t targets)
{
	for (unsigned t = 0; t < vg->vcpu_count; t++) {
		if ((targets & (1U << t)) == 0) {
			continue;
		}
		struct virq *q = &vg->vcpu[t].private[intid];
		q->sources |= (uint8_t)(1U << from);
		make_pending(vg, t, intid, q);
		kick(vg, t);
	}
}

static uint32_t all_but(const struct vgic *vg, unsigned self)
{
	return ((1U << vg->vcpu_count) - 1) & ~(1U << self);
}

void vgic_sgi1r(struct vgic *vg, unsigned vcpu, uint64_t value)
{
	unsigned intid = (unsigned)(value >> 24) & 0xf;
	uint64_t affinity = value & 0x00ff00ff00ff0000UL; /* Aff3, Aff2, Aff1 */
	uint64_t range = (value >> 44) & 0xf;		  /* RS */

	spin_lock(&vg->lock);
	if ((value & (1UL << 40)) != 0) { /* IRM: everyone but the sender */
		send_sgi(vg, vcpu, intid, all_but(vg, vcpu));
	} else if (affinity == 0 && range == 0) {
		/* Our vCPUs are Aff0 0..n-1: nothing else can be named. */
		send_sgi(vg, vcpu, intid, (uint32_t)(value & 0xffff));
	}
	spin_unlock(&vg->lock);
}

/* ---------------------------------------------------------------- registers */

/* A 1-bit-per-interrupt register covering INTIDs first..first+31. */
static uint32_t bit_reg_access(struct vgic *vg, unsigned vcpu, unsigned first, enum bit_reg reg,
			       bool write, uint32_t value)
{
	/* What a read shows: the set and clear registers of a pair read the same state. */
	static const uint8_t reads[] = {
		[REG_GROUP] = VIRQ_GROUP1,	   [REG_SET_ENABLE] = VIRQ_ENABLED,
		[REG_CLEAR_ENABLE] = VIRQ_ENABLED, [REG_SET_PEND] = VIRQ_PENDING,
		[REG_CLEAR_PEND] = VIRQ_PENDING,   [REG_SET_ACTIVE] = VIRQ_IN_LR,
		[REG_CLEAR_ACTIVE] = VIRQ_IN_LR};
	uint32_t result = 0;
	unsigned kicks = 0;

	for (unsigned b = 0; b < 32; b++) {
		unsigned intid = first + b;
		bool bit = (value & (1U << b)) != 0;
		struct virq *q = virq_of(vg, vcpu, intid);
		if (q == NULL) {
			if (write && bit && (reg == REG_SET_ENABLE || reg == REG_SET_PEND)) {
				note_foreign(vg, intid,
					     reg == REG_SET_ENABLE ? "enable of" : "pend of");
			}
			continue;
		}
		if (!write) {
			result |= (q->flags & reads[reg]) != 0 ? 1U << b : 0;
			continue;
		}
		switch (reg) {
		case REG_GROUP:
			q->flags =
				(uint8_t)(bit ? q->flags | VIRQ_GROUP1 : q->flags & ~VIRQ_GROUP1);
			break;
		case REG_SET_ENABLE:
			if (bit) {
				q->flags |= VIRQ_ENABLED;
				kicks |= (q->flags & VIRQ_PENDING) != 0;
			}
			if (bit && (q->flags & (VIRQ_HW | VIRQ_PENDING | VIRQ_IN_LR)) == VIRQ_HW) {
				/* Unmasked again: a line still up signals. */
				hw_line_reset(vg, vcpu, intid, q);
			}
			break;
		case REG_CLEAR_ENABLE:
			q->flags = (uint8_t)(bit ? q->flags & ~VIRQ_ENABLED : q->flags);
			break;
		case REG_SET_PEND:
			/* A HW interrupt is pended by its device, not by software. */
			if (bit && (q->flags & VIRQ_HW) == 0) {
				if (intid < 16) {
					q->sources |= (uint8_t)(1U << vcpu);
				}
				make_pending(vg, vcpu, intid, q);
				kicks = 1;
			}
			break;
		case REG_CLEAR_PEND:
			if (bit && (q->flags & (VIRQ_HW | VIRQ_PENDING | VIRQ_IN_LR)) ==
					   (VIRQ_HW | VIRQ_PENDING)) {
				q->flags = (uint8_t)(q->flags & ~VIRQ_PENDING);
				hw_line_reset(vg, vcpu, intid, q);
			} else if (bit && (q->flags & VIRQ_HW) == 0) {
				q->flags = (uint8_t)(q->flags & ~VIRQ_PENDING);
				q->sources = 0;
			}
			break;
		default:
			break; /* active state lives in the list registers: writes ignored */
		}
	}
	if (kicks != 0) {
		/* A newly deliverable interrupt: every vCPU re-checks on its next exit. */
		for (unsigned v = 0; v < vg->vcpu_count; v++) {
			kick(vg, v);
		}
	}
	return result;
}

static enum bit_reg bit_reg_of(uint64_t offset)
{
	return (enum bit_reg)((offset - GICD_IGROUPR) / 0x80);
}

/*
 * The registers with one byte per interrupt: GICD_IPRIORITYR / GICR_IPRIORITYR,
 * and (`targets`) GICv2 GICD_ITARGETSR, a mask of vCPUs.
 */
static uint64_t byte_access(struct vgic *vg, unsigned vcpu, unsigned intid, unsigned size,
			    bool write, uint64_t value, bool targets)
{
	uint64_t result = 0;
	for (unsigned i = 0; i < size; i++) {
		struct virq *q = virq_of(vg, vcpu, intid + i);
		uint8_t byte = (uint8_t)(value >> (8 * i));
		if (q == NULL) {
			continue;
		}
		if (targets && intid + i < VGIC_PRIVATE) {
			result |= (uint64_t)(1U << vcpu) << (8 * i); /* read-only: this vCPU */
		} else if (!write) {
			result |= (uint64_t)(targets ? q->target : q->priority) << (8 * i);
		} else if (!targets) {
			q->priority = byte & PRIORITY_MASK;
		} else {
			q->target = (uint8_t)(byte & ((1U << vg->vcpu_count) - 1));
			if ((q->flags & VIRQ_HW) != 0 && spi_target(vg, q) < vg->vcpu_count) {
				arch_gic_spi_setup(intid + i, vg->vcpu[spi_target(vg, q)].pcpu,
						   true);
			}
		}
	}
	return result;
}

/* GICD_ICFGR / GICR_ICFGR: two bits per interrupt, bit 1 of each pair = edge. */
static uint32_t config_access(struct vgic *vg, unsigned vcpu, unsigned first, bool write,
			      uint32_t value)
{
	uint32_t result = 0;
	if (first == 0) {
		return SGI_CFG;
	}
	for (unsigned i = 0; i < 16; i++) {
		struct virq *q = virq_of(vg, vcpu, first + i);
		if (q == NULL) {
			continue;
		}
		if (write) {
			bool edge = (value & (2U << (2 * i))) != 0;
			q->flags = (uint8_t)(edge ? q->flags | VIRQ_EDGE : q->flags & ~VIRQ_EDGE);
		} else if ((q->flags & VIRQ_EDGE) != 0) {
			result |= 2U << (2 * i);
		}
	}
	return result;
}

/*
 * The block every GIC frame shares (0x080-0xcff): groups, enables, pending,
 * active, priorities, (v2) targets, configuration. INTIDs below
 * `private_limit` belong to vCPU `vcpu`; the caller has checked the size.
 */
static bool common_access(struct vgic *vg, unsigned vcpu, uint64_t off, unsigned size, bool write,
			  uint64_t *value, unsigned first_intid, unsigned last_intid)
{
	unsigned intid;
	if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR) {
		intid = (unsigned)((off % 0x80) * 8);
		if (size != 4 || intid < first_intid || intid > last_intid) {
			return false;
		}
		*value = bit_reg_access(vg, vcpu, intid, bit_reg_of(off), write, (uint32_t)*value);
		return true;
	}
	if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR) {
		intid = (unsigned)(off - GICD_IPRIORITYR);
		if (size == 8 || intid < first_intid || intid > last_intid) {
			return false;
		}
		*value = byte_access(vg, vcpu, intid, size, write, *value, false);
		return true;
	}
	if (off >= GICD_ITARGETSR && off < GICD_ICFGR) {
		intid = (unsigned)(off - GICD_ITARGETSR);
		if (vg->version != 2 || size == 8 || intid > last_intid) {
			return false;
		}
		*value = byte_access(vg, vcpu, intid, size, write, *value, true);
		return true;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
		intid = (unsigned)((off - GICD_ICFGR) * 4);
		if (size != 4 || intid < first_intid || intid > last_intid) {
			return false;
		}
		*value = config_access(vg, vcpu, intid, write, (uint32_t)*value);
		return true;
	}
	return false;
}

/* GICv2 GICD_SGIR.TargetListFilter: the list, all but the sender, the sender; 3 is reserved. */
static void v2_sgir(struct vgic *vg, unsigned vcpu, uint32_t value)
{
	unsigned filter = (value >> 24) & 3;
	uint32_t targets = filter == 0	 ? (value >> 16) & 0xff
			   : filter == 1 ? all_but(vg, vcpu)
			   : filter == 2 ? 1U << vcpu
					 : 0;
	send_sgi(vg, vcpu, value & 0xf, targets);
}

/* GICv2 GICD_SPENDSGIR / GICD_CPENDSGIR: a byte of source vCPUs per SGI. */
static uint64_t v2_sgi_pend_access(struct vgic *vg, unsigned vcpu, uint64_t off, unsigned size,
				   bool write, uint64_t value)
{
	unsigned sgi = (unsigned)(off & 0xf);
	bool set = off >= GICD_SPENDSGIR;
	uint64_t result = 0;
	for (unsigned i = 0; i < size && sgi + i < 16; i++) {
		struct virq *q = &vg->vcpu[vcpu].private[sgi + i];
		uint8_t bits = (uint8_t)((value >> (8 * i)) & ((1U << vg->vcpu_count) - 1));
		if (!write) {
			result |= (uint64_t)q->sources << (8 * i);
		} else if (set && bits != 0) {
			q->sources |= bits;
			make_pending(vg, vcpu, sgi + i, q);
		} else if (!set) {
			q->sources = (uint8_t)(q->sources & ~bits);
			if (q->sources == 0) {
				q->flags = (uint8_t)(q->flags & ~VIRQ_PENDING);
			}
		}
	}
	return result;
}

static uint64_t gicd_typer(const struct vgic *vg)
{
	uint32_t lines = vg->lines / 32 - 1;
	if (vg->version == 3) {
		return lines | TYPER_V3_IDBITS | TYPER_V3_NO1N;
	}
	return lines | (vg->vcpu_count - 1) << 5;
}

static uint64_t irouter_access(struct vgic *vg, unsigned intid, uint64_t off, unsigned size,
			       bool write, uint64_t value)
{
	struct virq *q = virq_of(vg, 0, intid);
	bool high = size == 4 && (off & 4) != 0; /* Aff3 half */
	if (q == NULL || (!write && high)) {
		return 0;
	}
	if (!write) {
		return q->target; /* Aff0 = the vCPU index, IRM = 0 */
	}
	/* Only a bare Aff0 names one of our vCPUs; anything else (or IRM) means vCPU 0. */
	uint64_t aff0 = value & 0xff;
	q->target = (uint8_t)(!high && (value & ~0xffUL) == 0 && aff0 < vg->vcpu_count ? aff0 : 0);
	if ((q->flags & VIRQ_HW) != 0) {
		arch_gic_spi_setup(intid, vg->vcpu[q->target].pcpu, true);
	}
	return 0;
}

static uint64_t gicd_access(struct vgic *vg, unsigned vcpu, uint64_t off, unsigned size, bool write,
			    uint64_t value)
{
	bool v3 = vg->version == 3;
	unsigned first = v3 ? VGIC_PRIVATE : 0;

	if (common_access(vg, vcpu, off, size, write, &value, first, vg->lines - 1)) {
		return value;
	}
	if (v3 && off >= GICD_IROUTER + 8 * VGIC_PRIVATE && off < GICD_IROUTER + 8 * vg->lines &&
	    (size == 8 || size == 4)) {
		return irouter_access(vg, (unsigned)((off - GICD_IROUTER) / 8), off, size, write,
				      value);
	}
	if (!v3 && off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 0x10 && size != 8) {
		return v2_sgi_pend_access(vg, vcpu, off, size, write, value);
	}
	if (size != 4) {
		return 0;
	}
	switch (off) {
	case GICD_CTLR:
		if (write) {
			vg->ctlr = (uint32_t)value & (CTLR_ENABLE_GRP0 | CTLR_ENABLE_GRP1);
			for (unsigned v = 0; v < vg->vcpu_count; v++) {
				kick(vg, v);
			}
		}
		return vg->ctlr | (v3 ? CTLR_V3_ARE | CTLR_V3_DS : 0);
	case GICD_TYPER:
		return gicd_typer(vg);
	case GICD_IIDR:
		return IIDR_VALUE;
	case GICD_SGIR:
		if (!v3 && write) {
			v2_sgir(vg, vcpu, (uint32_t)value);
		}
		return 0;
	case GICV2_ICPIDR2:
		return v3 ? 0 : PIDR2_V2;
	case GICV3_PIDR2:
		return v3 ? PIDR2_V3 : 0;
	default:
		break;
	}
	return 0; /* reserved or not implemented: RAZ/WI */
}

static uint64_t gicr_access(struct vgic *vg, unsigned frame, uint64_t off, unsigned size,
			    bool write, uint64_t value)
{
	struct vgic_vcpu *c = &vg->vcpu[frame];

	if (off >= GICR_SGI_BASE) {
		off -= GICR_SGI_BASE;
		if (common_access(vg, frame, off, size, write, &value, 0, VGIC_PRIVATE - 1)) {
			return value;
		}
		return 0;
	}
	if (off == GICR_TYPER || off == GICR_TYPER + 4) {
		uint64_t typer = (uint64_t)frame << 32 | (uint64_t)frame << 8 |
				 (frame + 1 == vg->vcpu_count ? 1U << 4 : 0); /* Last */
		return size == 8 ? typer : (off == GICR_TYPER ? typer & 0xffffffff : typer >> 32);
	}
	if (size != 4) {
		return 0;
	}
	switch (off) {
	case GICR_IIDR:
		return IIDR_VALUE;
	case GICR_WAKER:
		if (write) {
			c->waker_sleep = (value & WAKER_SLEEP) != 0;
		}
		return c->waker_sleep ? WAKER_SLEEP | WAKER_ASLEEP : 0;
	case GICV3_PIDR2:
		return PIDR2_V3;
	case GICR_CTLR:
	default:
		return 0;
	}
}

bool vgic_mmio(struct vgic *vg, unsigned vcpu, ipaddr_t at, unsigned size, bool write,
	       uint64_t *value)
{
	uint64_t ipa = ipa_addr(at);
	bool gicd = ipa_range_within(ipa_range(at, 1), ipa_range(vg->gicd, VGIC_GICD_SIZE));
	bool gicr = ipa_range_within(ipa_range(at, 1), vg->gicr);
	uint64_t in = write ? *value : 0;
	uint64_t out = 0;

	if (!gicd && !gicr) {
		return false;
	}
	if ((size != 1 && size != 2 && size != 4 && size != 8) || (ipa & (size - 1)) != 0) {
		*value = 0; /* unaligned or odd-sized: RAZ/WI */
		return true;
	}
	spin_lock(&vg->lock);
	vg->config_gen += write ? 1 : 0;
	if (write && !vg->live) {
		/* ignored: see vgic_stop() */
	} else if (gicd) {
		out = gicd_access(vg, vcpu, ipa - ipa_addr(vg->gicd), size, write, in);
	} else {
		uint64_t rel = ipa - ipa_addr(vg->gicr.base);
		unsigned frame = (unsigned)(rel / VGIC_GICR_STRIDE);
		if (frame < vg->vcpu_count) {
			out = gicr_access(vg, frame, rel % VGIC_GICR_STRIDE, size, write, in);
		}
	}
	const char *foreign = vg->foreign_what;
	unsigned foreign_intid = vg->foreign_intid;
	vg->foreign_what = NULL;
	spin_unlock(&vg->lock);
	if (foreign != NULL) {
		log_warn("partition %s: %s interrupt %u, which it does not own: ignored (reported "
			 "once)",
			 vg->name, foreign, foreign_intid);
	}
	if (!write) {
		*value = out;
	}
	return true;
}

/* ---------------------------------------------------------------- list registers */

static bool deliverable(const struct vgic *vg, const struct virq *q)
{
	return (q->flags & (VIRQ_PENDING | VIRQ_IN_LR)) == VIRQ_PENDING && enabled(vg, q);
}

/*
 * The highest-priority deliverable interrupt for vCPU v, or NULL. It looks
 * only at what make_pending() marked (maybe_pending, spi_words), and drops
 * the marks of what is no longer pending: the cost follows what is pending,
 * not the number of interrupt lines.
 */
static struct virq *best_pending(struct vgic *vg, unsigned v, unsigned *intid)
{
	struct vgic_vcpu *c = &vg->vcpu[v];
	struct virq *best = NULL;
	for (uint32_t bits = c->maybe_pending; bits != 0; bits &= bits - 1) {
		unsigned i = (unsigned)__builtin_ctz(bits);
		struct virq *q = &c->private[i];
		if ((q->flags & VIRQ_PENDING) == 0) {
			c->maybe_pending &= ~(1U << i);
		} else if (deliverable(vg, q) && (best == NULL || q->priority < best->priority)) {
			best = q;
			*intid = i;
		}
	}
	for (uint32_t words = vg->spi_words; words != 0; words &= words - 1) {
		unsigned w = (unsigned)__builtin_ctz(words);
		if (vg->spi_pending[w] == 0) {
			vg->spi_words &= ~(1U << w);
		}
		for (uint32_t bits = vg->spi_pending[w]; bits != 0; bits &= bits - 1) {
			unsigned id = w * 32 + (unsigned)__builtin_ctz(bits);
			struct virq *q = &vg->spi[id - VGIC_PRIVATE];
			if (spi_target(vg, q) == v && deliverable(vg, q) &&
			    (best == NULL || q->priority < best->priority)) {
				best = q;
				*intid = id;
			}
		}
	}
	return best;
}

_Static_assert(sizeof(((struct vgic *)0)->spi_pending) / sizeof(uint32_t) <= 32,
	       "spi_words has a bit per spi_pending word");

static struct virq *lr_virq(struct vgic *vg, unsigned v, unsigned intid)
{
	return intid < VGIC_PRIVATE ? &vg->vcpu[v].private[intid] : &vg->spi[intid - VGIC_PRIVATE];
}

static void lr_write(struct vgic_vcpu *c, unsigned i, unsigned intid, const struct virq *q,
		     enum vgic_lr_state state, bool eoi_irq)
{
	struct vgic_lr lr = {
		.intid = intid,
		.source = c->lr_source[i],
		.priority = q->priority,
		.group1 = (q->flags & VIRQ_GROUP1) != 0,
		.hw = (q->flags & VIRQ_HW) != 0,
		.eoi_irq = eoi_irq,
		.state = state,
	};
	arch_vgic_lr_write(i, &lr);
}

/*
 * An interrupt pending again while its list register still holds it: add
 * the pending state to that register (pending and active), or when that
 * cannot say it (a GICv2 SGI from another source) ask for a maintenance
 * interrupt when the guest is done, to queue it then.
 */
static void repend_in_lr(struct vgic *vg, struct vgic_vcpu *c, unsigned i, unsigned intid,
			 struct virq *q, enum vgic_lr_state state)
{
	bool v2_sgi = vg->version == 2 && intid < 16;
	uint8_t same = (uint8_t)(1U << c->lr_source[i]);

	if (v2_sgi && (q->sources & same) == 0) {
		lr_write(c, i, intid, q, state, true);
		return;
	}
	if (state == LR_ACTIVE || !v2_sgi) {
		/* Not a GICv2 SGI: further raises wait for the exit its EOI makes (vgic_raise). */
		lr_write(c, i, intid, q, state == LR_ACTIVE ? LR_PENDING_ACTIVE : state, !v2_sgi);
		q->flags |= v2_sgi ? 0 : VIRQ_EOI_WAIT;
	}
	/* Already pending: a second edge before the first was taken merges with it. */
	q->sources = v2_sgi ? (uint8_t)(q->sources & ~same) : 0;
	if (!v2_sgi || q->sources == 0) {
		q->flags = (uint8_t)(q->flags & ~VIRQ_PENDING);
	} else {
		lr_write(c, i, intid, q, state == LR_ACTIVE ? LR_PENDING_ACTIVE : state, true);
	}
}

/*
 * The virtual timer's fast path (arch_vgic_fast_timer(): its physical
 * interrupt goes straight into list register ARCH_VGIC_FAST_LR at EL2's
 * interrupt entry, with no exit to this file) is on while the guest has the
 * PPI enabled, its group enabled, and the model holds none of it (pending,
 * or in another list register). The key says so, with the priority and
 * group the list register gets; 0: off. Read without the lock, it may be
 * stale when another vCPU changes this vCPU's PPI: the change then reaches
 * the fast path at this vCPU's next exit, as if made a moment later.
 */
static uint16_t timer_fast_key(const struct vgic *vg, const struct vgic_vcpu *c)
{
	const struct virq *q = &c->private[VGIC_PPI_VIRT_TIMER];
	uint8_t flags = __atomic_load_n(&q->flags, __ATOMIC_RELAXED);
	if (!vg->live || (flags & (VIRQ_HW | VIRQ_PENDING | VIRQ_IN_LR)) != VIRQ_HW ||
	    !enabled(vg, q)) {
		return 0;
	}
	return (uint16_t)(0x100U | ((flags & VIRQ_GROUP1) != 0 ? 0x200U : 0) |
			  __atomic_load_n(&q->priority, __ATOMIC_RELAXED));
}

/*
 * Lock held, on vCPU v's CPU, after the list registers were retired: turns
 * the fast path on, off, or to a new priority. On needs its list register
 * free; off hands what the fast path left there to the model.
 */
static void timer_fast_update(struct vgic *vg, struct vgic_vcpu *c)
{
	struct virq *q = &c->private[VGIC_PPI_VIRT_TIMER];
	uint16_t key = timer_fast_key(vg, c);
	if ((c->lr_used & (1U << ARCH_VGIC_FAST_LR)) != 0) {
		key = 0;
	}
	if (key == c->fast_timer) {
		return;
	}
	if (c->fast_timer != 0 && key == 0) {
		if (arch_vgic_lr_state(ARCH_VGIC_FAST_LR) != LR_INVALID) {
			c->lr_intid[ARCH_VGIC_FAST_LR] = VGIC_PPI_VIRT_TIMER;
			c->lr_used |= 1U << ARCH_VGIC_FAST_LR;
			q->flags |= VIRQ_IN_LR;
		} else {
			static const struct vgic_lr empty = {0};
			arch_vgic_lr_write(ARCH_VGIC_FAST_LR, &empty);
		}
	}
	c->fast_timer = key;
	struct vgic_lr lr = {
		.intid = VGIC_PPI_VIRT_TIMER,
		.priority = q->priority,
		.group1 = (q->flags & VIRQ_GROUP1) != 0,
		.hw = true,
		.state = LR_PENDING,
	};
	arch_vgic_fast_timer(key != 0 ? &lr : NULL);
}

void vgic_flush(struct vgic *vg, unsigned v)
{
	BUG_ON(v >= vg->vcpu_count);
	struct vgic_vcpu *c = &vg->vcpu[v];

	unsigned lrs = arch_vgic_lr_count();
	lrs = MIN(lrs, ARCH_VGIC_MAX_LRS);
	bool overflow = false;
	bool drained = false; /* the fill below ran out of pending interrupts */
	spin_lock(&vg->lock);
	for (uint32_t used = c->lr_used; used != 0; used &= used - 1) {
		unsigned i = (unsigned)__builtin_ctz(used);
		unsigned intid = c->lr_intid[i];
		struct virq *q = lr_virq(vg, v, intid);
		enum vgic_lr_state state = arch_vgic_lr_state(i);
		if (state == LR_INVALID) {
			/* The guest is done with it; clearing the register also clears its EOI
			 * request. */
			static const struct vgic_lr empty = {0};
			arch_vgic_lr_write(i, &empty);
			q->flags = (uint8_t)(q->flags & ~(VIRQ_IN_LR | VIRQ_EOI_WAIT));
			c->lr_intid[i] = VGIC_LR_NONE;
			c->lr_used &= ~(1U << i);
		} else if ((q->flags & (VIRQ_PENDING | VIRQ_HW)) == VIRQ_PENDING) {
			repend_in_lr(vg, c, i, intid, q, state);
		}
	}
	/*
	 * The timer's fast path changes only with a register write (config_gen),
	 * the model taking the timer (it is then marked pending), or its list
	 * register becoming free while it is off.
	 */
	if (c->config_seen != vg->config_gen || c->fast_timer == 0 ||
	    (c->maybe_pending & (1U << VGIC_PPI_VIRT_TIMER)) != 0) {
		timer_fast_update(vg, c);
	}
	c->config_seen = vg->config_gen;
	uint32_t taken = c->lr_used | (c->fast_timer != 0 ? 1U << ARCH_VGIC_FAST_LR : 0);
	// cppcheck-suppress knownConditionTrueFalse
	for (unsigned i = 0; i < lrs; i++) {
		if ((taken & (1U << i)) != 0) {
			continue;
		}
		unsigned intid = 0;
		struct virq *q = best_pending(vg, v, &intid);
		if (q == NULL) {
			drained = true;
			break;
		}
		c->lr_source[i] = 0;
		if (intid < 16 && vg->version == 2) {
			/* One source per list register (GICv2 tells the guest who sent it). */
			c->lr_source[i] =
				(uint8_t)(q->sources != 0 ? __builtin_ctz(q->sources) : (int)v);
			q->sources = (uint8_t)(q->sources & ~(1U << c->lr_source[i]));
		}
		/* GICv2: other senders of this SGI wait for this one to be done. */
		bool more = intid < 16 && vg->version == 2 && q->sources != 0;
		lr_write(c, i, intid, q, LR_PENDING, more);
		c->lr_intid[i] = (uint16_t)intid;
		c->lr_used |= 1U << i;
		q->flags |= VIRQ_IN_LR;
		if (!more) {
			q->flags = (uint8_t)(q->flags & ~VIRQ_PENDING);
			q->sources = 0;
		}
		if (intid >= VGIC_PRIVATE) {
			vg->spi_pending[intid / 32] &= ~(1U << (intid % 32));
		}
		uint32_t filled = intid < VGIC_PRIVATE ? 1U << intid : 0;
		if (!more && (c->maybe_pending & ~filled) == 0 && vg->spi_words == 0) {
			drained = true; /* that was the only one marked: no need to look again */
			break;
		}
	}
	for (uint32_t bits = c->hw_sync; bits != 0; bits &= bits - 1) {
		const struct virq *q = &c->private[__builtin_ctz(bits)];
		arch_gic_ppi_sync((unsigned)__builtin_ctz(bits), (q->flags & VIRQ_ENABLED) != 0,
				  (q->flags & (VIRQ_PENDING | VIRQ_IN_LR)) == 0);
	}
	c->hw_sync = 0;
	/* Only when every list register got used can something be left waiting. */
	unsigned dummy = 0;
	overflow = !drained && best_pending(vg, v, &dummy) != NULL;
	spin_unlock(&vg->lock);
	arch_vgic_underflow_irq(overflow);
}
