/* SPDX-License-Identifier: MIT */
/*
 * The virtual GIC of one partition: the distributor (and on GICv3 the
 * redistributors of its vCPUs) emulated by trapping the guest's MMIO, and
 * the list registers that deliver its interrupts to the vCPUs' virtual CPU
 * interfaces. Plain C over a small arch interface (arch/vgic.h), so the host
 * unit tests run it with a fake one.
 *
 * Interrupts a partition owns:
 *   - SGIs and PPIs (0-31) of each of its vCPUs; the timer PPIs arrive from
 *     the physical GIC on the vCPU's own CPU and are injected with the HW bit,
 *     so the guest's deactivation completes the physical interrupt;
 *   - the SPIs the configuration gives it: passthrough device lines (HW) or
 *     purely virtual ones the hypervisor raises (consoles, VMBus doorbells).
 * Every other SPI reads as zero and ignores writes; the first such access is
 * logged.
 */
#ifndef CORE_VGIC_H
#define CORE_VGIC_H

#include <arch/vgic.h>
#include <core/lock.h>
#include <core/types.h>

#define VGIC_PRIVATE	 32   /* SGIs 0-15, PPIs 16-31 */
#define VGIC_MAX_INTID	 1020 /* 1020-1023 are special */
#define VGIC_MAX_SPIS	 (VGIC_MAX_INTID - VGIC_PRIVATE)
#define VGIC_MAX_VCPUS	 8 /* GICv2 CPU targets are 8 bits */
#define VGIC_LR_NONE	 0xffffU
#define VGIC_GICD_SIZE	 0x10000U
#define VGIC_GICR_STRIDE 0x20000U /* RD_base + SGI_base */

/* Timer PPIs (SBSA; both boards' /timer nodes agree): injected with the HW bit. */
#define VGIC_PPI_VIRT_TIMER 27
#define VGIC_PPI_PHYS_TIMER 30

/* virq.flags */
#define VIRQ_ENABLED  (1U << 0)
#define VIRQ_PENDING  (1U << 1) /* pending, not yet in a list register */
#define VIRQ_EDGE     (1U << 2)
#define VIRQ_GROUP1   (1U << 3)
#define VIRQ_HW	      (1U << 4) /* backed by the same physical INTID */
#define VIRQ_OWNED    (1U << 5)
#define VIRQ_IN_LR    (1U << 6)
#define VIRQ_EOI_WAIT (1U << 7) /* in a list register that exits when done: no kick needed */

struct virq {
	uint8_t priority;
	uint8_t flags;
	uint8_t target;	 /* GICv3: vCPU index (IROUTER Aff0); GICv2: ITARGETSR mask */
	uint8_t sources; /* GICv2 SGIs: mask of the vCPUs that sent it */
};

struct vgic_vcpu {
	struct virq private[VGIC_PRIVATE];
	uint16_t lr_intid[ARCH_VGIC_MAX_LRS]; /* VGIC_LR_NONE when free */
	uint8_t lr_source[ARCH_VGIC_MAX_LRS]; /* GICv2 SGIs: the source in that LR */
	uint32_t hw_sync;		      /* HW PPIs whose physical line vgic_flush() resets */
	uint32_t maybe_pending; /* privates made pending since the scan saw them idle */
	uint32_t lr_used;	/* list registers holding an interrupt (lr_intid) */
	uint16_t fast_timer;	/* timer_fast_key() the fast path has, 0: off */
	uint32_t config_seen;	/* vgic.config_gen at its last flush */
	bool waker_sleep;	/* GICR_WAKER.ProcessorSleep */
	unsigned pcpu;		/* the physical CPU it runs on */
};

struct vgic {
	unsigned version; /* 2 or 3 */
	unsigned lines;	  /* INTIDs implemented: 32 * (ITLinesNumber + 1), at most 1020 */
	unsigned vcpu_count;
	ipaddr_t gicd;	       /* distributor, VGIC_GICD_SIZE bytes */
	struct ipa_range gicr; /* v3: the redistributors (size 0 on v2) */
	uint32_t ctlr;	       /* GICD_CTLR enable bits */
	spinlock_t lock;
	bool live;		  /* false once its partition stops: guest writes are ignored */
	bool warned;		  /* an access to an interrupt it does not own was seen */
	const char *foreign_what; /* ...and is still to be logged (outside the lock) */
	unsigned foreign_intid;
	const char *name; /* for log messages */
	struct vgic_vcpu vcpu[VGIC_MAX_VCPUS];
	struct virq spi[VGIC_MAX_SPIS];
	uint32_t spi_pending[VGIC_MAX_INTID / 32 + 1]; /* bit per INTID, for a quick scan */
	uint32_t spi_words;			       /* bit w: spi_pending[w] may be nonzero */
	uint32_t config_gen; /* counts register writes and stops (vgic_flush_needed()) */
};

/*
 * Sets up the model for a partition (all interrupts idle, SPIs not owned).
 * lines is the physical distributor's (at most VGIC_MAX_INTID); pcpus[i] is
 * the CPU of vCPU i (at most VGIC_MAX_VCPUS). The caller checked both limits.
 */
void vgic_init(struct vgic *vg, const char *name, unsigned version, unsigned lines,
	       unsigned vcpu_count, const unsigned *pcpus, ipaddr_t gicd, struct ipa_range gicr);

/* Gives the partition SPI intid, backed by the physical line (hw) or virtual. */
int vgic_own_spi(struct vgic *vg, unsigned intid, bool hw);

/* Back to the reset state (partition start), live: ownership stays. */
void vgic_reset(struct vgic *vg);

/*
 * The partition is stopping: from now on its vCPUs' register writes (a vCPU
 * still in flight) change nothing, above all no physical SPI routing.
 */
void vgic_stop(struct vgic *vg);

/*
 * A trapped access to the distributor or a redistributor. Returns false if
 * ipa is in neither (not ours to answer). Reads fill *value.
 */
bool vgic_mmio(struct vgic *vg, unsigned vcpu, ipaddr_t ipa, unsigned size, bool write,
	       uint64_t *value);

/* GICv3: the guest wrote ICC_SGI1R_EL1 (trapped through HCR_EL2.IMO). */
void vgic_sgi1r(struct vgic *vg, unsigned vcpu, uint64_t value);

/* Makes a virtual interrupt pending (any CPU): an SGI/PPI of vCPU `vcpu`, or an SPI. */
void vgic_raise(struct vgic *vg, unsigned vcpu, unsigned intid);

/* The physical interrupt intid arrived for vCPU `vcpu` (on its CPU): inject it. */
bool vgic_hw_irq(struct vgic *vg, unsigned vcpu, unsigned intid);

/*
 * On vCPU `vcpu`'s own CPU, before it returns to the guest: retires the list
 * registers the guest has finished with and fills them with the pending
 * interrupts, highest priority first; asks for a maintenance interrupt when
 * more are pending than fit.
 */
void vgic_flush(struct vgic *vg, unsigned vcpu);

/*
 * Whether vgic_flush() has anything to do for vCPU c (on its own CPU,
 * without the lock): a list register in use, an interrupt marked pending, a
 * physical line to reset, or a register written since its last flush.
 * Racing with another CPU is fine: one that makes something pending for this
 * vCPU after these reads kicks its CPU, so the next exit flushes.
 */
static inline bool vgic_flush_needed(const struct vgic *vg, const struct vgic_vcpu *c)
{
	return (c->lr_used | __atomic_load_n(&c->maybe_pending, __ATOMIC_RELAXED) |
		__atomic_load_n(&c->hw_sync, __ATOMIC_RELAXED) |
		__atomic_load_n(&vg->spi_words, __ATOMIC_RELAXED)) != 0 ||
	       __atomic_load_n(&vg->config_gen, __ATOMIC_RELAXED) != c->config_seen;
}

#endif
