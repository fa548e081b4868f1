/* SPDX-License-Identifier: MIT */
/*
 * Interrupt tests, chosen by the partition's bootargs:
 *
 *   test=timer hz=N seconds=S   take virtual timer interrupts at N Hz for S
 *                               seconds (re-armed from the handler), print
 *                               "irqtest: timer <count> interrupts in S s
 *                               at N Hz, <n> spurious" (taken before their
 *                               deadline), then keep ticking: "irqtest: tick <n>"
 *                               every second, forever
 *   test=sgi rounds=N           vCPU 0 and vCPU 1 bounce SGIs N times:
 *                               "irqtest: sgi <N> round trips"
 *   test=latency samples=N      N virtual timer interrupts, 1 ms apart: how many
 *                               counter ticks from the deadline to the handler
 *                               (min, average, max), for make bench; with
 *                               storm=1 again once channel 0 is open (its
 *                               doorbell disabled) and its peer signals it
 *   test=rtc alarms=N           the PL031 RTC at 0x09010000 (a passthrough
 *                               device): N match interrupts a second apart
 *                               (SPI 34): "irqtest: rtc <N> alarms"
 *   test=burst                  with interrupts masked, send itself SGIs 0-13
 *                               at once (more than there are list registers),
 *                               then take them: "irqtest: burst 14 of 14 SGIs"
 *   test=level                  the virtual timer's PPI is level-sensitive: fired
 *                               while disabled at the GIC then stopped, it is not
 *                               taken when enabled; still firing, it is; held
 *                               pending (groups off), ICPENDR clears it:
 *                               "irqtest: level: stale 0, live 1, after ICPENDR 0"
 *   test=costs n=N [vuart=IPA]  for make bench, as the root: the cost of a null
 *                               hypercall, an emulated MMIO read (GICD_IIDR, and
 *                               UARTFR of the vuart at IPA), an SGI sent, an IPI
 *                               round trip between vCPUs 0 and 1 and a timer
 *                               interrupt, N of each: "irqtest: cost <what> n=N
 *                               ticks=T exits=E el2=I" (counter ticks, exits and
 *                               EL2 instructions of vCPU 0 over the N, plus one
 *                               BH_HVC_VCPU_STATS call), then "irqtest: costs done"
 *   test=foreign                try to disable every interrupt it can name
 *                               but does not own (all SPIs, all possible
 *                               redistributor frames), then check its own
 *                               timer still works: "irqtest: foreign done"
 *
 * Natively (no bootargs) it runs the timer test at 100 Hz for 1 s, or the
 * latency test when built with IRQTEST_LATENCY=1.
 */
#include <bulkhead/channel.h>
#include <bulkhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef IRQTEST_LATENCY
#define IRQTEST_LATENCY 0
#endif

#define SGI_PING      1
#define SGI_PONG      2
/* Waits give up after this long without progress: hang detectors, not timing checks. */
#define STALL_SECONDS 10

static uint64_t period;
static uint64_t next_deadline;
static atomic_ulong ticks;
static atomic_ulong pings;
static atomic_ulong pongs;

static unsigned long arg_number(const char *key, unsigned long fallback)
{
	char value[24];

	if (bh_hypervisor_present() && bh_bootarg(key, value, sizeof(value))) {
		return strtoul(value, NULL, 0);
	}
	return fallback;
}

static atomic_ulong spurious;

static void timer_handler(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	if ((int64_t)(bh_counter() - next_deadline) < 0) {
		/* The timer condition (CNTVCT >= CVAL) does not hold: not a real one. */
		atomic_fetch_add(&spurious, 1);
		return;
	}
	atomic_fetch_add(&ticks, 1);
	next_deadline += period;
	bh_vtimer_set_deadline(next_deadline);
}

static void start_timer(unsigned long hz, uint64_t start)
{
	period = bh_counter_frequency() / hz;
	bh_irq_register(BH_IRQ_VIRT_TIMER, timer_handler, NULL);
	bh_irq_enable(BH_IRQ_VIRT_TIMER);
	next_deadline = start + period;
	bh_vtimer_set_deadline(next_deadline);
	bh_irq_local_enable();
}

/*
 * Until every deadline up to `counter` has been handled (each re-arms the
 * next one), and returns with interrupts masked: the count is then exact,
 * however late a slow host delivers them (a host that stalled the vCPU
 * leaves deadlines in the past, which then fire back to back).
 */
static void wait_until(uint64_t counter)
{
	bh_irq_local_disable();
	while ((int64_t)(__atomic_load_n(&next_deadline, __ATOMIC_RELAXED) - counter) <= 0) {
		__asm__ volatile("wfi");
		bh_irq_local_enable();
		__asm__ volatile("isb" ::: "memory");
		bh_irq_local_disable();
	}
}

__attribute__((noreturn)) static void test_timer(void)
{
	unsigned long hz = arg_number("hz", 100);
	unsigned long seconds = arg_number("seconds", 1);
	uint64_t start;

	start = bh_counter();
	start_timer(hz, start);
	wait_until(start + seconds * bh_counter_frequency());
	unsigned long taken = atomic_load(&ticks);
	bh_irq_local_enable();
	bh_printf("irqtest: timer %lu interrupts in %lu s at %lu Hz, %lu spurious\n", taken,
		  seconds, hz, atomic_load(&spurious));
	for (unsigned long n = 1;; n++) {
		wait_until(start + (seconds + n) * bh_counter_frequency());
		taken = atomic_load(&ticks);
		bh_irq_local_enable();
		bh_printf("irqtest: tick %lu (%lu interrupts)\n", n, taken);
	}
}

/*
 * Sleeps in WFI until *count > value. Checked with IRQs masked, so one taken
 * between the check and WFI is not lost; under -icount a spinning CPU would
 * also hold its round-robin turn.
 */
static void wait_count_above(atomic_ulong *count, unsigned long value)
{
	bh_irq_local_disable();
	while (atomic_load(count) <= value) {
		__asm__ volatile("wfi");
		bh_irq_local_enable();
		__asm__ volatile("isb" ::: "memory");
		bh_irq_local_disable();
	}
	bh_irq_local_enable();
}

static uint64_t latency_deadline;
static uint64_t latency_min = UINT64_MAX;
static uint64_t latency_max;
static uint64_t latency_sum;
static atomic_ulong latency_samples;

static void latency_handler(unsigned intid, void *arg)
{
	uint64_t now = bh_counter();
	uint64_t delay = now - latency_deadline;

	(void)intid;
	(void)arg;
	latency_min = delay < latency_min ? delay : latency_min;
	latency_max = delay > latency_max ? delay : latency_max;
	latency_sum += delay;
	atomic_fetch_add(&latency_samples, 1);
	bh_vtimer_stop();
}

static void measure_latency(unsigned long samples, const char *what)
{
	uint64_t gap = bh_counter_frequency() / 1000;

	latency_min = UINT64_MAX;
	latency_max = latency_sum = 0;
	atomic_store(&latency_samples, 0);
	for (unsigned long i = 0; i < samples; i++) {
		latency_deadline = bh_counter() + gap;
		bh_vtimer_set_deadline(latency_deadline);
		wait_count_above(&latency_samples, i);
	}
	bh_printf("irqtest: latency%s samples=%lu min=%llu avg=%llu max=%llu ticks\n", what,
		  samples, (unsigned long long)latency_min,
		  (unsigned long long)(latency_sum / samples), (unsigned long long)latency_max);
}

static int test_latency(void)
{
	unsigned long samples = arg_number("samples", 1000);

	bh_irq_register(BH_IRQ_VIRT_TIMER, latency_handler, NULL);
	bh_irq_enable(BH_IRQ_VIRT_TIMER);
	bh_irq_local_enable();
	measure_latency(samples, "");
	if (arg_number("storm", 0) != 0) {
		/* Open channel 0, doorbell off: its peer then signals it in a loop. */
		struct bh_channel ch;
		if (bh_channel_get(0, &ch) != BH_HVC_OK) {
			bh_printf("irqtest: no channel\n");
			return 1;
		}
		bh_irq_disable(ch.irq);
		bh_channel_open(&ch);
		while (bh_channel_update(&ch) != BH_CHANNEL_CONNECTED) {
		}
		bh_delay_us(20000);
		measure_latency(samples, " under a doorbell storm");
	}
	return 0;
}

#define RTC_BASE 0x09010000UL
#define RTC_SPI	 34
#define RTCDR	 0x00
#define RTCMR	 0x04
#define RTCIMSC	 0x10
#define RTCICR	 0x1c

static atomic_ulong alarms;

static volatile uint32_t *rtc_reg(unsigned off)
{
	return (volatile uint32_t *)(RTC_BASE + off);
}

static void rtc_handler(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	*rtc_reg(RTCICR) = 1;
	atomic_fetch_add(&alarms, 1);
	*rtc_reg(RTCMR) = *rtc_reg(RTCDR) + 1;
}

static int test_rtc(void)
{
	unsigned long wanted = arg_number("alarms", 3);

	bh_irq_register(RTC_SPI, rtc_handler, NULL);
	bh_irq_enable(RTC_SPI);
	bh_irq_local_enable();
	*rtc_reg(RTCICR) = 1;
	*rtc_reg(RTCMR) = *rtc_reg(RTCDR) + 1;
	*rtc_reg(RTCIMSC) = 1;
	bh_printf("irqtest: rtc armed at %lu\n", (unsigned long)*rtc_reg(RTCDR));
	while (atomic_load(&alarms) < wanted) {
		__asm__ volatile("wfi");
	}
	bh_printf("irqtest: rtc %lu alarms\n", atomic_load(&alarms));
	return 0;
}

#define BURST_SGIS 14

static atomic_uint burst_seen;

static void burst_handler(unsigned intid, void *arg)
{
	(void)arg;
	atomic_fetch_or(&burst_seen, 1U << intid);
}

static int test_burst(void)
{
	unsigned self = bh_cpu_id();
	uint64_t deadline;
	unsigned count = 0;

	for (unsigned sgi = 0; sgi < BURST_SGIS; sgi++) {
		bh_irq_register(sgi, burst_handler, NULL);
		bh_irq_enable(sgi);
	}
	for (unsigned sgi = 0; sgi < BURST_SGIS; sgi++) {
		bh_sgi_send(self, sgi); /* all pending before any is taken */
	}
	bh_irq_local_enable();
	deadline = bh_counter() + STALL_SECONDS * bh_counter_frequency();
	while (atomic_load(&burst_seen) != (1U << BURST_SGIS) - 1 && bh_counter() < deadline) {
		__asm__ volatile("wfi");
	}
	for (unsigned sgi = 0; sgi < BURST_SGIS; sgi++) {
		count += (atomic_load(&burst_seen) >> sgi) & 1;
	}
	bh_printf("irqtest: burst %u of %u SGIs\n", count, BURST_SGIS);
	return count == BURST_SGIS ? 0 : 1;
}

static void ping_handler(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	atomic_fetch_add(&pings, 1);
	bh_sgi_send(0, SGI_PONG);
}

static void pong_handler(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	atomic_fetch_add(&pongs, 1);
}

static void sgi_secondary(void *arg)
{
	(void)arg;
	bh_irq_cpu_init();
	bh_irq_enable(SGI_PING);
	bh_irq_local_enable();
	for (;;) {
		__asm__ volatile("wfi");
	}
}

static int test_sgi(void)
{
	unsigned long rounds = arg_number("rounds", 1000);
	uint64_t deadline;

	bh_irq_register(SGI_PING, ping_handler, NULL);
	bh_irq_register(SGI_PONG, pong_handler, NULL);
	bh_irq_enable(SGI_PONG);
	bh_irq_local_enable();
	if (bh_cpu_start(1, sgi_secondary, NULL) != BH_PSCI_SUCCESS) {
		bh_printf("irqtest: sgi: cannot start vCPU 1\n");
		return 1;
	}
	bh_delay_us(10000);
	for (unsigned long i = 0; i < rounds; i++) {
		/* A window per round: a slow host slows the rounds, a lost SGI stops them. */
		deadline = bh_counter() + STALL_SECONDS * bh_counter_frequency();
		bh_sgi_send(1, SGI_PING);
		while (atomic_load(&pongs) <= i && bh_counter() < deadline) {
		}
		if (atomic_load(&pongs) <= i) {
			break; /* stalled: report how far it got */
		}
	}
	bh_printf("irqtest: sgi %lu round trips (%lu pings seen by vCPU 1)\n", atomic_load(&pongs),
		  atomic_load(&pings));
	return atomic_load(&pongs) == rounds ? 0 : 1;
}

static atomic_ulong level_taken;

static void level_handler(unsigned intid, void *arg)
{
	(void)intid;
	(void)arg;
	atomic_fetch_add(&level_taken, 1);
	bh_vtimer_stop(); /* the line falls */
}

/* The timer's line goes up now; 2 ms later whatever could be taken has been. */
static void timer_fires_then_wait(void)
{
	bh_vtimer_set_deadline(bh_counter());
	bh_delay_us(2000);
}

static int test_level(void)
{
	unsigned version = (unsigned)bh_irq_init();
	volatile uint32_t *dist = (volatile uint32_t *)bh_gic_dist();
	volatile uint32_t *ppis =
		version == 3
			? (volatile uint32_t *)(bh_gic_redist() + 0x20000UL * bh_cpu_id() + 0x10000)
			: dist;
	uint32_t ctlr = dist[0];
	unsigned long stale, live, cleared;

	bh_irq_register(BH_IRQ_VIRT_TIMER, level_handler, NULL);
	bh_irq_local_enable();
	/* Up while disabled at the GIC, then down: nothing to take once enabled. */
	timer_fires_then_wait();
	bh_vtimer_stop();
	bh_irq_enable(BH_IRQ_VIRT_TIMER);
	bh_delay_us(2000);
	stale = atomic_load(&level_taken);
	/* Up while disabled, and still up when enabled: taken. */
	bh_irq_disable(BH_IRQ_VIRT_TIMER);
	timer_fires_then_wait();
	bh_irq_enable(BH_IRQ_VIRT_TIMER);
	bh_delay_us(2000);
	live = atomic_load(&level_taken) - stale;
	/* Pending with the groups off, the timer stopped, ICPENDR: gone. */
	dist[0] = version == 3 ? 1U << 4 : 0; /* ARE stays */
	timer_fires_then_wait();
	bh_vtimer_stop();
	ppis[0x280 / 4] = 1U << BH_IRQ_VIRT_TIMER;
	dist[0] = ctlr;
	bh_delay_us(2000);
	cleared = atomic_load(&level_taken) - stale - live;
	bh_printf("irqtest: level: stale %lu, live %lu, after ICPENDR %lu\n", stale, live, cleared);
	return stale == 0 && live == 1 && cleared == 0 ? 0 : 1;
}

struct cost_sample {
	uint64_t ticks, exits, el2;
};

static struct cost_sample cost_sample(void)
{
	struct cost_sample s = {0, 0, 0};
	(void)bh_vcpu_stats(&s.exits, &s.el2);
	s.ticks = bh_counter();
	return s;
}

static void cost_report(const char *what, unsigned long n, struct cost_sample a)
{
	struct cost_sample b = cost_sample();
	/* The EL2 counter is 32 bits wide. */
	bh_printf("irqtest: cost %s n=%lu ticks=%llu exits=%llu el2=%llu\n", what, n,
		  (unsigned long long)(b.ticks - a.ticks), (unsigned long long)(b.exits - a.exits),
		  (unsigned long long)((b.el2 - a.el2) & 0xffffffffU));
}

#define SGI_SILENT 5 /* never enabled on vCPU 1: sending it costs only the sender */

static int test_costs(void)
{
	unsigned long n = arg_number("n", 1000);
	unsigned long vuart = arg_number("vuart", 0);
	volatile uint32_t *dist = (volatile uint32_t *)bh_gic_dist();
	struct cost_sample a;

	a = cost_sample();
	for (unsigned long i = 0; i < n; i++) {
		(void)bh_hvc_version();
	}
	cost_report("hvc", n, a);
	a = cost_sample();
	for (unsigned long i = 0; i < n; i++) {
		(void)dist[0x8 / 4]; /* GICD_IIDR */
	}
	cost_report("gicd", n, a);
	if (vuart != 0) {
		volatile uint32_t *fr = (volatile uint32_t *)(vuart + 0x18); /* UARTFR */
		a = cost_sample();
		for (unsigned long i = 0; i < n; i++) {
			(void)*fr;
		}
		cost_report("vuart", n, a);
	}

	bh_irq_register(SGI_PING, ping_handler, NULL);
	bh_irq_register(SGI_PONG, pong_handler, NULL);
	bh_irq_enable(SGI_PONG);
	bh_irq_local_enable();
	if (bh_cpu_start(1, sgi_secondary, NULL) != BH_PSCI_SUCCESS) {
		bh_printf("irqtest: costs: cannot start vCPU 1\n");
		return 1;
	}
	bh_delay_us(10000);
	a = cost_sample();
	for (unsigned long i = 0; i < n; i++) {
		bh_sgi_send(1, SGI_SILENT);
	}
	cost_report("sgi-send", n, a);
	a = cost_sample();
	for (unsigned long i = 0; i < n; i++) {
		bh_sgi_send(1, SGI_PING);
		wait_count_above(&pongs, i);
	}
	cost_report("ipi-round-trip", n, a);

	bh_irq_register(BH_IRQ_VIRT_TIMER, latency_handler, NULL);
	bh_irq_enable(BH_IRQ_VIRT_TIMER);
	a = cost_sample();
	measure_latency(n, "");
	cost_report("timer", n, a);
	bh_printf("irqtest: costs done\n");
	return 0;
}

static int test_foreign(void)
{
	volatile uint32_t *dist = (volatile uint32_t *)bh_gic_dist();
	unsigned version = (unsigned)bh_irq_init();

	/* GICD_ICENABLER and ICPENDR for every SPI, IGROUPR cleared. */
	for (unsigned i = 1; i < 32; i++) {
		dist[(0x180 + 4 * i) / 4] = 0xffffffffU;
		dist[(0x280 + 4 * i) / 4] = 0xffffffffU;
	}
	if (version == 3) {
		/* Redistributor frames of 8 CPUs: ours, then those of CPUs that are not. */
		for (unsigned cpu = 1; cpu < 8; cpu++) {
			volatile uint32_t *sgi =
				(volatile uint32_t *)(bh_gic_redist() + 0x20000UL * cpu + 0x10000);
			sgi[0x180 / 4] = 0xffffffffU;
		}
	}
	bh_printf("irqtest: foreign writes done; ISENABLER1 reads 0x%08lx\n",
		  (unsigned long)dist[0x104 / 4]);
	test_timer();
}

int main(void)
{
	char test[16] = "timer";

	if (IRQTEST_LATENCY) {
		strcpy(test, "latency");
	}
	if (bh_irq_init() < 0) {
		bh_printf("irqtest: no GIC found\n");
		return 1;
	}
	if (bh_hypervisor_present()) {
		bh_bootarg("test", test, sizeof(test));
	}
	if (strcmp(test, "timer") == 0) {
		test_timer();
	}
	if (strcmp(test, "burst") == 0) {
		return test_burst();
	}
	if (strcmp(test, "rtc") == 0) {
		return test_rtc();
	}
	if (strcmp(test, "latency") == 0) {
		return test_latency();
	}
	if (strcmp(test, "sgi") == 0) {
		return test_sgi();
	}
	if (strcmp(test, "foreign") == 0) {
		return test_foreign();
	}
	if (strcmp(test, "costs") == 0) {
		return test_costs();
	}
	if (strcmp(test, "level") == 0) {
		return test_level();
	}
	bh_printf("irqtest: unknown test '%s'\n", test);
	return 1;
}
