// SPDX-License-Identifier: MIT
/*
 * The physical GIC. Registers: GICv3 architecture spec (IHI 0069) 12.9
 * (GICD), 12.10-12.11 (GICR), 12.2 (ICC_* system registers); GICv2 (IHI 0048B)
 * 4.3 (GICD) and 4.4 (GICC).
 */
#include <arch/arch.h>
#include <arch/gic.h>
#include <arch/vgic.h>
#include <core/log.h>

#include "percpu.h"
#include "sysreg.h"

#define GICD_CTLR	 0x0000
#define GICD_TYPER	 0x0004
#define GICD_SGIR	 0x0f00 /* v2 */
#define GICD_ITARGETSR	 0x0800 /* v2 */
#define GICD_ISENABLER	 0x0100
#define GICD_ICENABLER	 0x0180
#define GICD_ICACTIVER	 0x0380
#define GICD_IROUTER	 0x6000 /* v3, + 8 * INTID */
#define GICD_IPRIORITYR	 0x0400
#define GICV2_ICPIDR2	 0x0fe8
#define GICV3_GICD_PIDR2 0xffe8
#define GICD_CTLR_RWP	 (1U << 31)
#define GICD_CTLR_ARE	 (1U << 4)
#define GICD_CTLR_GRP01	 0x3U

#define GICR_FRAME_SIZE	  0x20000 /* RD_base + SGI_base, 64 KiB each */
#define GICR_WAKER	  0x0014
#define GICR_TYPER	  0x0008
#define GICR_TYPER_LAST	  (1UL << 4)
#define GICR_WAKER_SLEEP  (1U << 1)
#define GICR_WAKER_ASLEEP (1U << 2)
#define GICR_SGI_BASE	  0x10000
#define GICR_IGROUPR0	  0x0080 /* same offset as GICD_IGROUPR<n> */

#define GICC_CTLR	  0x0000
#define GICC_PMR	  0x0004
#define GICC_IAR	  0x000c
#define GICC_EOIR	  0x0010
#define GICC_HPPIR	  0x0018
#define GICC_DIR	  0x1000
#define GICC_CTLR_EOIMODE (1U << 9) /* EOI drops priority only; DIR deactivates */

/* PPIs the hypervisor takes on every CPU: maintenance, and the timers it forwards. */
#define HYP_PPIS \
	((1U << GIC_PPI_MAINTENANCE) | (1U << GIC_PPI_VIRT_TIMER) | (1U << GIC_PPI_PHYS_TIMER))
#define HYP_PRIORITY 0xa0

#define SPIN_LIMIT 1000000

static struct gic_desc gic;

static uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static uint64_t mmio_read64(uintptr_t addr)
{
	return *(volatile uint64_t *)addr;
}

static void mmio_write32(uintptr_t addr, uint32_t value)
{
	*(volatile uint32_t *)addr = value;
}

static void mmio_write8(uintptr_t addr, uint8_t value)
{
	*(volatile uint8_t *)addr = value;
}

static bool wait_clear(uintptr_t addr, uint32_t mask)
{
	for (unsigned i = 0; i < SPIN_LIMIT; i++) {
		if ((mmio_read32(addr) & mask) == 0) {
			return true;
		}
	}
	return false;
}

int arch_gic_probe(unsigned version, paddr_t dist, struct gic_info *info)
{
	uintptr_t base = va_addr(pa_to_va(dist));
	uint32_t typer = mmio_read32(base + GICD_TYPER);
	uint32_t pidr2 = mmio_read32(base + (version == 3 ? GICV3_GICD_PIDR2 : GICV2_ICPIDR2));

	info->lines = 32 * ((typer & 0x1f) + 1);
	if (info->lines > 1020) {
		info->lines = 1020; /* INTIDs 1020-1023 are special */
	}
	info->arch_rev = (pidr2 >> 4) & 0xf;
	return info->arch_rev == version || (version == 3 && info->arch_rev == 4) ? BH_OK
										  : BH_EINVAL;
}

int arch_gic_init(const struct gic_desc *desc)
{
	uintptr_t dist = va_addr(pa_to_va(desc->dist));

	gic = *desc;
	if (gic.version == 3) {
		uint32_t ctlr = mmio_read32(dist + GICD_CTLR);
		if ((ctlr & GICD_CTLR_ARE) == 0) {
			/* Affinity routing may only change while the groups are off. */
			mmio_write32(dist + GICD_CTLR, GICD_CTLR_ARE);
			wait_clear(dist + GICD_CTLR, GICD_CTLR_RWP);
		}
		mmio_write32(dist + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP01);
		if (!wait_clear(dist + GICD_CTLR, GICD_CTLR_RWP)) {
			return BH_ETIMEOUT;
		}
	} else if (gic.version == 2) {
		mmio_write32(dist + GICD_CTLR, mmio_read32(dist + GICD_CTLR) | GICD_CTLR_GRP01);
	} else {
		return BH_ENOTSUP;
	}
	arch_vgic_init(gic.version, gic.hyp);
	return BH_OK;
}

static void set_priorities(uintptr_t ipriorityr, uint32_t mask, uint8_t priority)
{
	for (unsigned i = 0; i < 32; i++) {
		if ((mask & (1U << i)) != 0) {
			mmio_write8(ipriorityr + i, priority);
		}
	}
}

static int init_cpu_v3(unsigned cpu)
{
	uint64_t mpidr = arch_cpu_mpidr();
	uint64_t affinity = ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);
	uintptr_t frame = va_addr(pa_to_va(gic.redist));
	uintptr_t end = frame + gic.redist_size;
	uintptr_t rd = 0;

	for (; frame + GICR_FRAME_SIZE <= end; frame += GICR_FRAME_SIZE) {
		uint64_t typer = mmio_read64(frame + GICR_TYPER);
		if ((typer >> 32) == affinity) {
			rd = frame;
			break;
		}
		if ((typer & GICR_TYPER_LAST) != 0) {
			break;
		}
	}
	if (rd == 0) {
		log_error("GIC: no redistributor for CPU%u (MPIDR 0x%lx)", cpu, mpidr);
		return BH_ENOENT;
	}
	arch_percpu[cpu].redist = rd;
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	if (!wait_clear(rd + GICR_WAKER, GICR_WAKER_ASLEEP)) {
		return BH_ETIMEOUT;
	}
	uintptr_t sgi = rd + GICR_SGI_BASE;
	uint32_t mine = (1U << GIC_SGI_KICK) | HYP_PPIS;
	mmio_write32(sgi + GICR_IGROUPR0, mmio_read32(sgi + GICR_IGROUPR0) | mine);
	mmio_write8(sgi + GICD_IPRIORITYR + GIC_SGI_KICK, 0x80);
	set_priorities(sgi + GICD_IPRIORITYR, HYP_PPIS, HYP_PRIORITY);
	mmio_write32(sgi + GICD_ISENABLER, mine);

	/* System register interface at EL2, and allowed for EL1 (ICC_SRE_EL2.Enable). */
	write_sysreg(S3_4_C12_C9_5, 0x9); /* ICC_SRE_EL2: SRE | Enable */
	isb();
	write_sysreg(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1: let every priority through */
	write_sysreg(S3_0_C12_C12_4, 2);  /* ICC_CTLR_EL1.EOImode: EOI only drops priority */
	write_sysreg(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
	isb();
	return BH_OK;
}

static int init_cpu_v2(unsigned cpu)
{
	uintptr_t dist = va_addr(pa_to_va(gic.dist));
	uintptr_t cpuif = va_addr(pa_to_va(gic.cpu));

	/* Reading the SGI targets gives this CPU's own interface bit. */
	arch_percpu[cpu].v2_target = (uint8_t)(mmio_read32(dist + GICD_ITARGETSR) & 0xff);
	mmio_write8(dist + GICD_IPRIORITYR + GIC_SGI_KICK, 0x80);
	set_priorities(dist + GICD_IPRIORITYR, HYP_PPIS, HYP_PRIORITY);
	/*
	 * Group 1, as on GICv3: a guest's deactivation through a HW list
	 * register only reaches group 1 interrupts (QEMU 7.2 ignores it for
	 * group 0). Without the Security Extensions both groups signal IRQ; with
	 * them (RPi4) this register is the firmware's and the write is ignored.
	 */
	mmio_write32(dist + GICR_IGROUPR0, mmio_read32(dist + GICR_IGROUPR0) | HYP_PPIS);
	mmio_write32(dist + GICD_ISENABLER, (1U << GIC_SGI_KICK) | HYP_PPIS);
	mmio_write32(cpuif + GICC_PMR, 0xff);
	/*
	 * EnableGrp0, EnableGrp1, AckCtl (without the Security Extensions a
	 * group 1 interrupt is only acknowledged with it), EOImode. With the
	 * extensions (NS view, RPi4) bit 0 enables group 1 and bits 1-2 are ignored.
	 */
	mmio_write32(cpuif + GICC_CTLR, 0x7 | GICC_CTLR_EOIMODE);
	arch_percpu[cpu].gicc = cpuif; /* vectors.S acknowledges through it */
	arch_percpu[cpu].gich = va_addr(pa_to_va(gic.hyp));
	return arch_percpu[cpu].v2_target != 0 ? BH_OK : BH_EIO;
}

int arch_gic_init_cpu(void)
{
	unsigned cpu = arch_cpu_index();
	if (gic.version == 3) {
		return init_cpu_v3(cpu);
	}
	if (gic.version == 2) {
		return init_cpu_v2(cpu);
	}
	return BH_ENOTSUP;
}

void arch_gic_send_kick(unsigned cpu)
{
	if (cpu >= CONFIG_MAX_CPUS) {
		return;
	}
	dsb_ish(); /* make the request visible before the interrupt */
	if (gic.version == 3) {
		uint64_t mpidr = arch_percpu[cpu].mpidr;
		uint64_t sgi1r = ((mpidr >> 32) & 0xff) << 48 | ((mpidr >> 16) & 0xff) << 32 |
				 (uint64_t)GIC_SGI_KICK << 24 | ((mpidr >> 8) & 0xff) << 16 |
				 (1UL << (mpidr & 0xf));
		write_sysreg(S3_0_C12_C11_5, sgi1r); /* ICC_SGI1R_EL1 */
		isb();
	} else if (gic.version == 2) {
		mmio_write32(va_addr(pa_to_va(gic.dist)) + GICD_SGIR,
			     (uint32_t)arch_percpu[cpu].v2_target << 16 | GIC_SGI_KICK);
	}
}

/* Acknowledges the highest pending interrupt and drops its priority (EOImode = 1). */
static uint32_t ack_now(void)
{
	uint32_t iar;
	if (gic.version == 3) {
		iar = (uint32_t)read_sysreg(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
		if ((iar & 0xffffff) < 1020) {
			write_sysreg(S3_0_C12_C12_1, iar); /* ICC_EOIR1_EL1: priority drop */
		}
		return iar;
	}
	uintptr_t cpuif = va_addr(pa_to_va(gic.cpu));
	iar = mmio_read32(cpuif + GICC_IAR);
	if ((iar & 0x3ff) < 1020) {
		mmio_write32(cpuif + GICC_EOIR, iar);
	}
	return iar;
}

/* vectors.S acknowledged it the same way, on the guest's interrupt entry. */
uint32_t arch_gic_ack(void)
{
	return arch_percpu[arch_cpu_index()].iar;
}

bool arch_gic_fiq_done(void)
{
	if (gic.version != 3) {
		return false; /* GICv2 signals no FIQ (GICC_CTLR.FIQEn = 0) */
	}
	/* GICv3 signals group 0 as FIQ: complete it (EOImode = 1: drop, then deactivate). */
	uint32_t iar = (uint32_t)read_sysreg(S3_0_C12_C8_0); /* ICC_IAR0_EL1 */
	if ((iar & 0xffffff) >= 1020) {
		return false;
	}
	write_sysreg(S3_0_C12_C8_1, iar); /* ICC_EOIR0_EL1 */
	arch_gic_deactivate(iar);
	log_warn("CPU%u: FIQ for INTID %u, which nothing configured; completed", arch_cpu_index(),
		 iar & 0xffffff);
	return true;
}

void arch_gic_deactivate(uint32_t iar)
{
	if (gic.version == 3) {
		write_sysreg(S3_0_C12_C11_1, iar); /* ICC_DIR_EL1 */
		isb();
	} else {
		mmio_write32(va_addr(pa_to_va(gic.cpu)) + GICC_DIR, iar);
	}
}

/*
 * The kick has the highest priority the hypervisor uses, so when it is the
 * highest pending interrupt the acknowledge returns it. Anything else pending
 * stays for the vCPU (a device line of a vCPU that is off keeps the idle CPU
 * awake, as before).
 */
void gic_idle_ack_kick(void)
{
	uint32_t hppir = gic.version == 3 ? (uint32_t)read_sysreg(S3_0_C12_C12_2) /* ICC_HPPIR1 */
					  : mmio_read32(va_addr(pa_to_va(gic.cpu)) + GICC_HPPIR);
	if (GIC_IAR_INTID(hppir) == GIC_SGI_KICK) {
		arch_gic_deactivate(ack_now());
	}
}

static uintptr_t ppi_frame(void)
{
	return gic.version == 3 ? arch_percpu[arch_cpu_index()].redist + GICR_SGI_BASE
				: va_addr(pa_to_va(gic.dist)); /* banked per CPU */
}

/* Inactive, and enabled again if a guest's disable had masked it (arch_gic_ppi_sync). */
void arch_gic_ppi_clear(uint32_t mask)
{
	mmio_write32(ppi_frame() + GICD_ICACTIVER, mask & HYP_PPIS);
	mmio_write32(ppi_frame() + GICD_ISENABLER, mask & HYP_PPIS);
}

void arch_gic_ppi_sync(unsigned intid, bool enable, bool deactivate)
{
	uint32_t bit = intid < 32 ? (1U << intid) & HYP_PPIS : 0;
	mmio_write32(ppi_frame() + (enable ? GICD_ISENABLER : GICD_ICENABLER), bit);
	if (deactivate) {
		mmio_write32(ppi_frame() + GICD_ICACTIVER, bit);
	}
}

void arch_gic_spi_setup(unsigned intid, unsigned pcpu, bool enable)
{
	uintptr_t dist = va_addr(pa_to_va(gic.dist));
	uint32_t bit = 1U << (intid % 32);

	if (intid < 32 || pcpu >= CONFIG_MAX_CPUS) {
		return;
	}
	mmio_write32(dist + GICD_ICENABLER + 4UL * (intid / 32), bit);
	mmio_write8(dist + GICD_IPRIORITYR + intid, HYP_PRIORITY);
	mmio_write32(dist + GICR_IGROUPR0 + 4UL * (intid / 32),
		     mmio_read32(dist + GICR_IGROUPR0 + 4UL * (intid / 32)) | bit); /* as PPIs */
	if (gic.version == 3) {
		uint64_t mpidr = arch_percpu[pcpu].mpidr;
		*(volatile uint64_t *)(dist + GICD_IROUTER + 8UL * intid) =
			(mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 32;
	} else {
		mmio_write8(dist + GICD_ITARGETSR + intid, arch_percpu[pcpu].v2_target);
	}
	if (enable) {
		mmio_write32(dist + GICD_ISENABLER + 4UL * (intid / 32), bit);
	} else {
		mmio_write32(dist + GICD_ICACTIVER + 4UL * (intid / 32), bit);
	}
}
