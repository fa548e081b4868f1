// SPDX-License-Identifier: MIT
/*
 * Partition lifecycle: create (stage-2 tables), load (zero memory, copy the
 * images from their pristine boot-loader copies), start, stop, restart; and
 * the per-CPU loop that runs the one vCPU pinned to each CPU.
 *
 * Concurrency: a partition's state changes under its lock, but its memory
 * is zeroed and loaded outside it (state STARTING). A vCPU is only ever run
 * by its own CPU; other CPUs ask it to stop (stop_request + kick SGI) and
 * wait until it reports VCPU_OFF. Lock order: docs/design.md.
 */
#include <arch/arch.h>
#include <core/channel.h>
#include <core/fdt_util.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/printf.h>
#include <core/smp.h>
#include <core/string.h>
#include <libfdt.h>

/* Stage-2 tables for all partitions. Each needs 3-4 for RAM in blocks. */
#define STAGE2_POOL_PAGES    (16 * CONFIG_MAX_PARTITIONS)
#define VCPU_STOP_TIMEOUT_MS 1000

static uint64_t stage2_pages[STAGE2_POOL_PAGES][STAGE2_TABLE_ENTRIES]
	__attribute__((aligned(4096)));
static struct stage2_pool stage2_pool = {stage2_pages, STAGE2_POOL_PAGES, 0};

static struct config config;
static struct partition partitions[CONFIG_MAX_PARTITIONS];
static unsigned partition_count;

const char *partition_state_name(unsigned state)
{
	static const char *const names[] = {
		[PARTITION_STOPPED] = "stopped",       [PARTITION_RUNNING] = "running",
		[PARTITION_RESTARTING] = "restarting", [PARTITION_STARTING] = "starting",
		[PARTITION_STOPPING] = "stopping",     [PARTITION_LOADING] = "loading",
	};
	return state < ARRAY_SIZE(names) ? names[state] : "stopped";
}

/*
 * Where the partition sees its GIC: where its own device tree (a "dtb"
 * image) puts the board's kind of GIC, else where the board has it.
 */
static void guest_gic_layout(const struct config_partition *cfg, const struct dt_board *board,
			     struct dt_gic *out)
{
	*out = board->gic;
	if (!cfg->has_dtb) {
		return;
	}
	const struct config_image *img = &cfg->images[cfg->dtb_image];
	const void *fdt = pa_to_ptr(img->src_pa);
	struct dt_error err;
	struct dt_range dist, second;
	if (dt_check_blob(fdt, img->size, &err) != BH_OK) {
		return; /* check_image() reports it when the partition starts */
	}
	int node = dt_find_compatible(fdt, -1, board->gic.compatible);
	if (node < 0 || dt_node_reg(fdt, node, 0, &dist, &err) != BH_OK ||
	    dt_node_reg(fdt, node, 1, &second, &err) != BH_OK) {
		return;
	}
	out->dist = dist;
	if (board->gic.version == 3) {
		out->redist = second;
	} else {
		out->cpu = second;
	}
	log_info("partition %s: GIC at IPA 0x%lx / 0x%lx, as its device tree says", cfg->name,
		 dist.base, second.base);
}

static bool vgic_region(struct vcpu *v, ipaddr_t ipa, unsigned size, bool write, uint64_t *value)
{
	return vgic_mmio(&v->partition->vgic, v->index, ipa, size, write, value);
}

/* Raises *top to the end of [base, base + size) (the parser checked it does not wrap). */
static void cover(uint64_t *top, uint64_t base, uint64_t size)
{
	if (base + size > *top) {
		*top = base + size;
	}
}

/*
 * The smallest IPA size (at least 32 bits, at most `limit`, what the parser
 * checked against) that holds everything the partition reaches: memory,
 * devices, channels and the emulated GIC and vuart. A stage 2 of up to 39
 * bits starts at level 1, so a 2 MiB block takes two table reads on a TLB
 * miss instead of three: under QEMU a guest's TLB misses are a large part of
 * its run time, and every one of them walks stage 2 for each stage-1 level.
 */
static unsigned partition_ipa_bits(const struct config_partition *cfg, const struct dt_gic *gic,
				   unsigned limit)
{
	uint64_t top = 0;
	for (unsigned i = 0; i < cfg->mem_count; i++) {
		cover(&top, ipa_addr(cfg->mem[i].ipa), cfg->mem[i].size);
	}
	for (unsigned i = 0; i < cfg->device_count; i++) {
		for (unsigned r = 0; r < cfg->devices[i].reg_count; r++) {
			struct pa_range pages = config_device_pages(cfg->devices[i].reg[r]);
			cover(&top, pa_addr(pages.base), pages.size);
		}
	}
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &config.channels[cfg->channels[i]];
		cover(&top, ipa_addr(ch->end[config_channel_side(ch, cfg->id)].ipa), ch->size);
	}
	cover(&top, gic->dist.base, gic->dist.size);
	cover(&top, gic->redist.base, gic->redist.size);
	cover(&top, gic->cpu.base, GICV2_CPUIF_SIZE);
	if (cfg->has_vuart) {
		cover(&top, ipa_addr(cfg->vuart_ipa), VUART_SIZE);
	}
	unsigned bits = 32;
	while (bits < limit && top != 0 && (top - 1) >> bits != 0) {
		bits++;
	}
	return bits;
}

static int partition_create(struct partition *p, const struct config_partition *cfg,
			    const struct dt_board *board, unsigned gic_lines)
{
	unsigned pcpus[VGIC_MAX_VCPUS];
	struct dt_gic guest_gic;
	const struct dt_gic *gic = &guest_gic;
	unsigned pa_bits = arch_pa_bits();

	guest_gic_layout(cfg, board, &guest_gic);

	p->cfg = cfg;
	p->id = cfg->id;
	atomic_store(&p->state, PARTITION_STOPPED);
	int rc = stage2_init(&p->s2, &stage2_pool,
			     partition_ipa_bits(cfg, gic, stage2_ipa_bits(pa_bits)));
	for (unsigned i = 0; rc == BH_OK && i < cfg->mem_count; i++) {
		rc = stage2_map(&p->s2, cfg->mem[i].ipa, cfg->mem[i].pa, cfg->mem[i].size,
				STAGE2_RAM);
	}
	if (rc == BH_OK && gic->version == 2) {
		rc = stage2_map(&p->s2, ipa_init(gic->cpu.base), pa_init(board->gic.vcpu.base),
				GICV2_CPUIF_SIZE, STAGE2_DEVICE);
	}
	/* Passthrough devices, at IPA = PA, whole pages (the parser checked they are ours). */
	for (unsigned i = 0; rc == BH_OK && i < cfg->device_count; i++) {
		const struct config_device *d = &cfg->devices[i];
		for (unsigned r = 0; rc == BH_OK && r < d->reg_count; r++) {
			struct pa_range pages = config_device_pages(d->reg[r]);
			rc = stage2_map(&p->s2, ipa_init(pa_addr(pages.base)), pages.base,
					pages.size, STAGE2_DEVICE);
		}
	}
	/* VMBus regions: shared with exactly one other partition, never executable. */
	for (unsigned i = 0; rc == BH_OK && i < cfg->channel_count; i++) {
		const struct config_channel *ch = &config.channels[cfg->channels[i]];
		rc = stage2_map(&p->s2, ch->end[config_channel_side(ch, p->id)].ipa, ch->pa,
				ch->size, STAGE2_SHARED);
	}
	if (rc != BH_OK) {
		log_error("partition %s: stage-2 tables: %s", cfg->name, bh_strerror(rc));
		return rc;
	}
	if (cfg->cpu_count > VGIC_MAX_VCPUS || gic_lines > VGIC_MAX_INTID) {
		log_error("partition %s: %u CPUs and %u interrupt lines, but a virtual GIC "
			  "serves at most %u and %u",
			  cfg->name, cfg->cpu_count, gic_lines, VGIC_MAX_VCPUS, VGIC_MAX_INTID);
		return BH_ENOMEM;
	}
	p->vcpu_count = 0;
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		if ((cfg->cpu_mask & (1UL << cpu)) == 0) {
			continue;
		}
		struct vcpu *v = &p->vcpus[p->vcpu_count];
		v->partition = p;
		v->index = p->vcpu_count++;
		v->vgic = &p->vgic.vcpu[v->index];
		v->pcpu = cpu;
		atomic_store(&v->state, VCPU_OFF);
		atomic_store(&smp_cpu(cpu)->vcpu, v);
		pcpus[v->index] = cpu;
	}
	/* GICV (v2) is the board's; the IPAs are where the guest looks (docs/partitions.md). */
	vgic_init(&p->vgic, cfg->name, gic->version, gic_lines, p->vcpu_count, pcpus,
		  ipa_init(gic->dist.base),
		  ipa_range(ipa_init(gic->redist.base), gic->redist.size));
	partition_add_mmio(p, ipa_range(p->vgic.gicd, VGIC_GICD_SIZE), vgic_region);
	if (p->vgic.gicr.size != 0) {
		partition_add_mmio(p, p->vgic.gicr, vgic_region);
	}
	if (cfg->has_vuart) {
		partition_add_mmio(p, ipa_range(cfg->vuart_ipa, VUART_SIZE), vuart_mmio);
		rc = vgic_own_spi(&p->vgic, cfg->vuart_irq, false);
		if (rc != BH_OK) {
			log_error("partition %s: vuart interrupt %u: %s", cfg->name, cfg->vuart_irq,
				  bh_strerror(rc));
			return rc;
		}
	}
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &config.channels[cfg->channels[i]];
		unsigned irq = ch->end[config_channel_side(ch, p->id)].irq;
		rc = vgic_own_spi(&p->vgic, irq, false);
		if (rc != BH_OK) {
			log_error("partition %s: channel %s doorbell %u: %s", cfg->name, ch->name,
				  irq, bh_strerror(rc));
			return rc;
		}
	}
	for (unsigned i = 0; i < cfg->device_count; i++) {
		for (unsigned k = 0; k < cfg->devices[i].spi_count; k++) {
			rc = vgic_own_spi(&p->vgic, cfg->devices[i].spi[k], true);
			if (rc != BH_OK) {
				log_error("partition %s: interrupt %u: %s", cfg->name,
					  cfg->devices[i].spi[k], bh_strerror(rc));
				return rc;
			}
		}
	}
	return BH_OK;
}

/* Linux arm64 Image header field (booting.rst); the magic is config.h's. */
#define IMAGE_TEXT_OFFSET 8

/*
 * Checks an image against what its format promises, now that the boot
 * loader has put it in memory; the parser could only check the addresses.
 * Sets *load to where its bytes go.
 */
static int check_image(const struct config_partition *cfg, const struct config_image *img,
		       ipaddr_t *load)
{
	const uint8_t *src = pa_to_ptr(img->src_pa);

	*load = img->load_ipa;
	if (img->format == IMAGE_LINUX) {
		uint32_t magic;
		uint64_t text_offset;
		if (img->size < LINUX_IMAGE_MAGIC_OFFSET + sizeof(magic)) {
			log_error("partition %s: image %s: %lu bytes is too small for an arm64 "
				  "Linux Image",
				  cfg->name, img->name, img->size);
			return BH_EINVAL;
		}
		memcpy(&magic, src + LINUX_IMAGE_MAGIC_OFFSET, sizeof(magic));
		memcpy(&text_offset, src + IMAGE_TEXT_OFFSET, sizeof(text_offset));
		if (magic != LINUX_IMAGE_MAGIC) {
			log_error("partition %s: image %s is not an arm64 Linux Image (magic "
				  "0x%08x)",
				  cfg->name, img->name, magic);
			return BH_EINVAL;
		}
		*load = ipa_add(*load, text_offset);
	} else if (img->format == IMAGE_DTB) {
		struct dt_error err;
		if (dt_check_blob(src, img->size, &err) != BH_OK) {
			log_error("partition %s: image %s (format \"dtb\", %lu bytes): %s",
				  cfg->name, img->name, img->size, err.msg);
			return BH_EINVAL;
		}
	}
	return BH_OK;
}

/*
 * Zeroes the parts of [base, base + size) that no image covers. dst[] holds
 * the images' destinations (any order, possibly outside the range): each byte
 * of the partition's memory is written once, by an image or by the zeroing.
 */
static void zero_uncovered(paddr_t base, uint64_t size, const paddr_t *dst, const uint64_t *len,
			   unsigned count)
{
	uint64_t at = pa_addr(base);
	uint64_t end = at + size;

	while (at < end) {
		uint64_t next = end; /* where the next image starts */
		bool covered = false;
		for (unsigned i = 0; i < count && !covered; i++) {
			uint64_t lo = pa_addr(dst[i]);
			if (lo <= at && at < lo + len[i]) {
				at = lo + len[i];
				covered = true;
			} else if (lo > at && lo < next) {
				next = lo;
			}
		}
		if (!covered) {
			arch_guest_memory_zero(pa_init(at), next - at);
			at = next;
		}
	}
}

/* Zeroes the partition's memory and copies its images in; sets the boot entry and x0. */
static int partition_load(struct partition *p)
{
	const struct config_partition *cfg = p->cfg;
	paddr_t dst[BH_MAX_IMAGES];
	uint64_t len[BH_MAX_IMAGES];

	for (unsigned i = 0; i < cfg->image_count; i++) {
		const struct config_image *img = &cfg->images[i];
		ipaddr_t load;

		int rc = check_image(cfg, img, &load);
		if (rc != BH_OK) {
			return rc;
		}
		if (!config_ipa_to_pa(cfg, load, img->size, &dst[i])) {
			log_error("partition %s: image %s (0x%lx bytes at IPA 0x%lx) does not fit "
				  "its memory",
				  cfg->name, img->name, img->size, ipa_addr(load));
			return BH_ERANGE;
		}
		len[i] = img->size;
		if (i == cfg->entry_image) {
			/* A Linux Image is entered at its first byte (booting.rst). */
			p->boot_entry = img->format == IMAGE_LINUX ? load : img->entry_ipa;
		}
	}
	for (unsigned i = 0; i < cfg->mem_count; i++) {
		zero_uncovered(cfg->mem[i].pa, cfg->mem[i].size, dst, len, cfg->image_count);
	}
	for (unsigned i = 0; i < cfg->image_count; i++) {
		arch_guest_memory_copy(dst[i], cfg->images[i].src_pa, len[i]);
	}
	p->boot_x0 = cfg->has_dtb ? ipa_addr(cfg->images[cfg->dtb_image].load_ipa) : 0;
	arch_guest_memory_sync();
	return BH_OK;
}

/*
 * The physical lines of the partition's passthrough devices: on (routed to
 * vCPU 0's CPU until the guest routes them) while it runs; off and
 * deactivated when it stops, so nothing of one life leaks into the next.
 */
static void device_irqs(const struct partition *p, bool on)
{
	const struct config_partition *cfg = p->cfg;
	for (unsigned i = 0; i < cfg->device_count; i++) {
		for (unsigned k = 0; k < cfg->devices[i].spi_count; k++) {
			arch_gic_spi_setup(cfg->devices[i].spi[k], p->vcpus[0].pcpu, on);
		}
	}
}

void vcpu_request_start(struct vcpu *v, ipaddr_t entry, uint64_t context)
{
	v->entry = entry;
	v->context = context;
	atomic_store(&v->stop_request, false);
	atomic_store(&v->state, VCPU_ON_PENDING);
	arch_cpu_kick(v->pcpu);
}

/*
 * `from` -> `to` (STARTING or LOADING, which keep every other lifecycle call
 * out while memory is written with the lock released). False if p was not in `from`.
 */
static bool leave_state(struct partition *p, unsigned from, unsigned to)
{
	spin_lock(&p->lock);
	bool was = atomic_load(&p->state) == from;
	if (was) {
		atomic_store(&p->state, to);
	}
	spin_unlock(&p->lock);
	return was;
}

/* From STOPPED, or from RESTARTING for a restart's second half: no start or load comes between. */
static int start_from(struct partition *p, unsigned from)
{
	if (!leave_state(p, from, PARTITION_STARTING)) {
		return BH_EEXIST;
	}

	uint64_t load_start = arch_counter();
	int rc = partition_load(p);
	uint64_t load_us = smp_counter_us(arch_counter() - load_start);
	spin_lock(&p->lock);
	BUG_ON(atomic_load(&p->state) != PARTITION_STARTING);
	if (rc == BH_OK) {
		vgic_reset(&p->vgic);
		vconsole_reset(p);
		device_irqs(p, true);
		p->cntvoff = arch_counter();
		p->starts++;
		for (unsigned i = 0; i < p->vcpu_count; i++) {
			p->vcpus[i].exits = 0; /* its CPU is off: nothing counts meanwhile */
		}
		atomic_store(&p->state, PARTITION_RUNNING);
		vcpu_request_start(&p->vcpus[0], p->boot_entry, p->boot_x0);
	} else {
		atomic_store(&p->state, PARTITION_STOPPED);
	}
	spin_unlock(&p->lock);
	if (rc == BH_OK) {
		/* The load time repeats exactly under QEMU -icount: make bench reads it. */
		log_info("partition %s: starting vCPU 0 on CPU%u at IPA 0x%lx (start #%u), "
			 "loaded in %lu.%03lu ms",
			 p->cfg->name, p->vcpus[0].pcpu, ipa_addr(p->boot_entry), p->starts,
			 (load_us / 1000), (load_us % 1000));
	}
	return rc;
}

int partition_start(struct partition *p)
{
	return start_from(p, PARTITION_STOPPED);
}

/* Asks every vCPU but `caller` to stop; call with the lock held. */
static void request_stop_all(struct partition *p, const struct vcpu *caller)
{
	for (unsigned i = 0; i < p->vcpu_count; i++) {
		struct vcpu *v = &p->vcpus[i];
		if (v == caller) {
			continue;
		}
		unsigned expected = VCPU_ON_PENDING;
		/* A vCPU that has not started yet is simply cancelled. */
		if (atomic_compare_exchange_strong(&v->state, &expected, VCPU_OFF)) {
			continue;
		}
		if (atomic_load(&v->state) == VCPU_RUNNING) {
			atomic_store(&v->stop_request, true);
			arch_cpu_kick(v->pcpu);
		}
	}
}

static bool wait_all_off(struct partition *p, const struct vcpu *caller)
{
	uint64_t deadline = arch_counter() + arch_counter_freq() * VCPU_STOP_TIMEOUT_MS / 1000;
	for (unsigned i = 0; i < p->vcpu_count; i++) {
		const struct vcpu *v = &p->vcpus[i];
		while (v != caller && atomic_load(&v->state) != VCPU_OFF) {
			if (arch_counter() > deadline) {
				log_error("partition %s: vCPU %u on CPU%u did not stop",
					  p->cfg->name, v->index, v->pcpu);
				return false;
			}
			arch_cpu_relax();
		}
	}
	return true;
}

/*
 * RUNNING -> `state`: stops every vCPU but `caller` and waits until they are
 * off, so no call of theirs still in flight (a channel open, a routing write)
 * can undo the stop; then its channel sides close and it is STOPPED, or stays
 * RESTARTING for the start. False if p was not running (the first stop or
 * restart wins); *stopped says whether every vCPU stopped.
 */
static bool stop_vcpus(struct partition *p, struct vcpu *caller, unsigned state, const char *what,
		       const char *why, const char *fault, bool *stopped)
{
	spin_lock(&p->lock);
	if (atomic_load(&p->state) != PARTITION_RUNNING) {
		spin_unlock(&p->lock);
		return false;
	}
	atomic_store(&p->state, state);
	bh_snprintf(p->stop_reason, sizeof(p->stop_reason), "%s", fault != NULL ? fault : why);
	p->crashed = fault != NULL;
	vgic_stop(&p->vgic);
	request_stop_all(p, caller);
	device_irqs(p, false);
	spin_unlock(&p->lock);
	*stopped = wait_all_off(p, caller);
	vconsole_stopped(p); /* its last lines are in: report what flood control dropped */
	uint64_t exits = 0;  /* what it cost the hypervisor: every vCPU but the caller's is off */
	for (unsigned i = 0; i < p->vcpu_count; i++) {
		exits += p->vcpus[i].exits;
	}
	log_info("partition %s %s: %s (%lu exits since its start)", p->cfg->name, what, why, exits);
	channels_partition_down(p);
	spin_lock(&p->lock);
	atomic_store(&p->state,
		     state == PARTITION_RESTARTING && *stopped ? state : PARTITION_STOPPED);
	spin_unlock(&p->lock);
	return true;
}

bool partition_stop(struct partition *p, struct vcpu *caller, const char *why, const char *fault)
{
	bool stopped = true;
	bool was_running =
		stop_vcpus(p, caller, PARTITION_STOPPING, "stopped", why, fault, &stopped);
	if (!stopped) {
		log_error("partition %s: a vCPU did not stop", p->cfg->name);
	}
	return was_running;
}

bool partition_restart(struct partition *p, struct vcpu *caller, const char *why)
{
	bool stopped;
	if (!stop_vcpus(p, caller, PARTITION_RESTARTING, "restarting", why, NULL, &stopped)) {
		return false;
	}
	if (!stopped) {
		log_error("partition %s: left stopped", p->cfg->name);
		return true;
	}
	if (caller != NULL) {
		/*
		 * The caller's CPU is still in EL2 finishing this call and will not
		 * enter the guest again (the call returns GUEST_STOP): count it as
		 * off, so that a CPU_ON for it, or the restart itself, is picked up.
		 */
		atomic_store(&caller->state, VCPU_OFF);
	}
	if (start_from(p, PARTITION_RESTARTING) != BH_OK) {
		log_error("partition %s: could not be restarted; left stopped", p->cfg->name);
	}
	return true;
}

struct partition *partition_get(uint64_t id)
{
	return id < partition_count ? &partitions[id] : NULL;
}

int partition_replace_image(struct partition *p, unsigned image, paddr_t src, uint64_t offset,
			    uint64_t size)
{
	BUG_ON(image >= p->cfg->image_count || offset > p->cfg->images[image].size ||
	       size > p->cfg->images[image].size - offset);
	const struct config_image *img = &p->cfg->images[image];
	if (!leave_state(p, PARTITION_STOPPED, PARTITION_LOADING)) {
		return BH_EEXIST;
	}
	arch_guest_memory_copy(pa_add(img->src_pa, offset), src, size);
	if (offset == 0) { /* a new image: nothing of the old one stays behind it */
		arch_guest_memory_zero(pa_add(img->src_pa, size), img->size - size);
		log_info("partition %s: image %s replaced from the root (%lu bytes first)",
			 p->cfg->name, img->name, size);
	}
	spin_lock(&p->lock);
	atomic_store(&p->state, PARTITION_STOPPED);
	spin_unlock(&p->lock);
	return BH_OK;
}

bool vcpu_run_pending(void)
{
	struct vcpu *v = vcpu_current();
	unsigned expected = VCPU_ON_PENDING;

	if (v == NULL || !atomic_compare_exchange_strong(&v->state, &expected, VCPU_RUNNING)) {
		return false;
	}
	struct partition *p = v->partition;
	/*
	 * stop_request was cleared before the start was asked for: one set from
	 * now on (after the stopper saw RUNNING) must survive, so it is not
	 * cleared here; and a stop that came before the exchange is seen now.
	 */
	if (atomic_load(&v->stop_request) || atomic_load(&p->state) != PARTITION_RUNNING) {
		expected = VCPU_RUNNING;
		atomic_compare_exchange_strong(&v->state, &expected, VCPU_OFF);
		return true;
	}
	struct arch_vcpu_boot boot = {
		.s2 = &p->s2,
		.vmid = p->id + 1,
		.vmpidr = v->index,
		.entry = v->entry,
		.x0 = v->context,
		.cntvoff = p->cntvoff,
		.reset_el1 = true,
	};
	/* A kick to itself: the first exit hands over anything already pending. */
	arch_cpu_kick(v->pcpu);
	vconsole_cpu_running(v->pcpu, true);
	arch_vcpu_run(&boot);
	vconsole_cpu_running(v->pcpu, false);

	/* Stopped. If a restart already asked for this vCPU again, keep that. */
	expected = VCPU_RUNNING;
	atomic_compare_exchange_strong(&v->state, &expected, VCPU_OFF);
	return true;
}

static void print_partition(const void *fdt, const struct partition *p)
{
	const struct config_partition *cfg = p->cfg;
	char cpus[64];
	size_t n = 0;

	cpus[0] = '\0';
	for (unsigned i = 0; i < p->vcpu_count && n < sizeof(cpus); i++) {
		n += (size_t)bh_snprintf(cpus + n, sizeof(cpus) - n, "%sCPU%u", i ? "," : "",
					 p->vcpus[i].pcpu);
	}
	log_info("partition %u: %s%s, %u vCPU(s) on %s", p->id, cfg->name,
		 cfg->is_root ? " (root)" : "", p->vcpu_count, cpus);
	for (unsigned i = 0; i < cfg->mem_count; i++) {
		log_info("  memory IPA 0x%lx -> PA 0x%lx, %lu KiB", ipa_addr(cfg->mem[i].ipa),
			 pa_addr(cfg->mem[i].pa), (cfg->mem[i].size >> 10));
	}
	for (unsigned i = 0; i < cfg->device_count; i++) {
		const struct config_device *d = &cfg->devices[i];
		char path[64];
		char irqs[48];
		config_device_irq_list(d, irqs, sizeof(irqs));
		if (fdt_get_path(fdt, d->node, path, sizeof(path)) != 0) {
			bh_snprintf(path, sizeof(path), "?");
		}
		log_info("  device %s: PA 0x%lx+0x%lx%s, interrupts %s", path,
			 pa_addr(d->reg[0].base), d->reg[0].size,
			 d->reg_count > 1 ? " and more" : "", irqs);
	}
	if (cfg->has_vuart) {
		log_info("  vuart (PL011) at IPA 0x%lx, interrupt %u", ipa_addr(cfg->vuart_ipa),
			 cfg->vuart_irq);
	}
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &config.channels[cfg->channels[i]];
		unsigned side = config_channel_side(ch, p->id);
		log_info("  channel %u: %s (%s of %s, peer %s) at IPA 0x%lx, doorbell %u", i,
			 ch->name, side == SIDE_PROVIDER ? "provider" : "consumer", ch->interface,
			 config.partitions[ch->end[1 - side].partition].name,
			 ipa_addr(ch->end[side].ipa), ch->end[side].irq);
	}
	for (unsigned i = 0; i < cfg->image_count; i++) {
		log_info("  image %s: %lu bytes from PA 0x%lx to IPA 0x%lx (%s)",
			 cfg->images[i].name, cfg->images[i].size, pa_addr(cfg->images[i].src_pa),
			 ipa_addr(cfg->images[i].load_ipa),
			 config_image_format_name(cfg->images[i].format));
	}
}

void partitions_boot(const void *fdt, const struct dt_board *board, unsigned gic_lines)
{
	struct dt_error err = {{0}};
	paddr_t hyp = arch_image_start();
	struct config_limits lim = {
		.hyp = pa_range(hyp, pa_addr(arch_image_end()) - pa_addr(hyp)),
		.ipa_bits = stage2_ipa_bits(arch_pa_bits()), /* what partition_create() uses */
		.gic_lines = gic_lines,
	};
	int rc = config_parse(fdt, board, lim, &config, &err);

	if (rc == BH_ENOENT) {
		log_info("no /bulkhead node in the device tree: no partitions to run");
		return;
	}
	if (rc != BH_OK) {
		log_error("configuration: %s", err.msg);
		log_error("no partition started: fix the configuration (bhconfig check)");
		return;
	}
	for (unsigned i = 0; i < config.partition_count; i++) {
		for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
			if ((config.partitions[i].cpu_mask & (1UL << cpu)) != 0 &&
			    !smp_cpu_online(cpu)) {
				log_error("configuration: %s: CPU%u is not online",
					  config.partitions[i].path, cpu);
				log_error("no partition started");
				return;
			}
		}
	}
	for (unsigned i = 0; i < config.partition_count; i++) {
		rc = partition_create(&partitions[i], &config.partitions[i], board, gic_lines);
		if (rc != BH_OK) {
			log_error("no partition started");
			for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
				atomic_store(&smp_cpu(cpu)->vcpu, NULL);
			}
			return;
		}
	}
	partition_count = config.partition_count;
	channels_init(&config, partitions);
	log_info("%u partition(s), stage-2 tables: %u of %u pages", partition_count,
		 stage2_pool.used, stage2_pool.count);
	for (unsigned i = 0; i < partition_count; i++) {
		print_partition(fdt, &partitions[i]);
	}
	vconsole_start(partitions, partition_count, partitions[0].vcpus[0].pcpu, board->uart.irq);
	for (unsigned i = 0; i < partition_count; i++) {
		rc = partition_start(&partitions[i]);
		if (rc != BH_OK) {
			log_error("partition %s: not started: %s", partitions[i].cfg->name,
				  bh_strerror(rc));
		}
	}
}
