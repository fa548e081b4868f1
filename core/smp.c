// SPDX-License-Identifier: MIT
/* Physical CPUs: bring-up, the idle loop, stopping them all (panic). */
#include <arch/arch.h>
#include <arch/gic.h>
#include <core/console.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/smp.h>
#include <stdatomic.h>

enum cpu_state {
	CPU_OFF = 0,
	CPU_STARTING,
	CPU_ONLINE,
	CPU_STOPPED,
};

struct smp_cpu smp_cpus[CONFIG_MAX_CPUS];
static atomic_bool stop_requested;

/* A CPU that is not online this long after the request is reported as lost. */
#define CPU_START_TIMEOUT_MS 2000
#define CPU_STOP_TIMEOUT_MS  100

static bool wait_for_state(unsigned cpu, unsigned state, uint64_t timeout_ms)
{
	uint64_t deadline = arch_counter() + arch_counter_freq() * timeout_ms / 1000;
	while (atomic_load(&smp_cpus[cpu].state) != state) {
		if (arch_counter() > deadline) {
			return false;
		}
		arch_cpu_relax();
	}
	return true;
}

uint64_t smp_counter_us(uint64_t ticks)
{
	uint64_t freq = arch_counter_freq();
	return freq == 0 ? 0 : ticks / freq * 1000000 + ticks % freq * 1000000 / freq;
}

unsigned smp_boot(const struct dt_board *board, bool psci_usable)
{
	atomic_store(&smp_cpus[0].state, CPU_ONLINE);
	smp_cpus[0].mpidr = board->cpus[0].mpidr;

	for (unsigned i = 1; i < board->cpu_count; i++) {
		const struct dt_cpu *cpu = &board->cpus[i];
		int rc = BH_ENOTSUP;

		smp_cpus[i].mpidr = cpu->mpidr;
		atomic_store(&smp_cpus[i].state, CPU_STARTING);
		if (cpu->enable == DT_CPU_ENABLE_PSCI && psci_usable) {
			rc = arch_cpu_start_psci(i, cpu->mpidr);
		} else if (cpu->enable == DT_CPU_ENABLE_SPIN_TABLE) {
			rc = arch_cpu_start_spin_table(i, cpu->mpidr, pa_init(cpu->release_addr));
		}
		if (rc != BH_OK) {
			log_error("CPU%u (MPIDR 0x%lx): cannot start: %s", i, cpu->mpidr,
				  rc == BH_ENOTSUP ? "no usable enable-method" : bh_strerror(rc));
			atomic_store(&smp_cpus[i].state, CPU_OFF);
			continue;
		}
		if (!wait_for_state(i, CPU_ONLINE, CPU_START_TIMEOUT_MS)) {
			log_error("CPU%u (MPIDR 0x%lx): did not come online within %u ms", i,
				  cpu->mpidr, CPU_START_TIMEOUT_MS);
		}
	}
	unsigned online = 0;
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		online += atomic_load(&smp_cpus[i].state) == CPU_ONLINE;
	}
	return online;
}

bool smp_cpu_online(unsigned cpu)
{
	return cpu < CONFIG_MAX_CPUS && atomic_load(&smp_cpus[cpu].state) == CPU_ONLINE;
}

_Noreturn void bulkhead_secondary_main(void)
{
	unsigned cpu = arch_cpu_index();
	int rc = arch_gic_init_cpu();
	if (rc != BH_OK) {
		log_error("CPU%u: GIC CPU interface: %s; CPU left offline", cpu, bh_strerror(rc));
		arch_cpu_park();
	}
	log_info("CPU%u online (MPIDR 0x%lx)", cpu, arch_cpu_mpidr());
	atomic_store(&smp_cpus[cpu].state, CPU_ONLINE);
	smp_idle();
}

_Noreturn void smp_idle(void)
{
	while (!atomic_load(&stop_requested)) {
		/* An idle CPU pushes the console's output (it has nothing else to wait for). */
		if (!vcpu_run_pending() && !console_push()) {
			arch_wait_kick();
		}
	}
	atomic_store(&smp_cpus[arch_cpu_index()].state, CPU_STOPPED);
	arch_cpu_park();
}

unsigned smp_stop_others(void)
{
	unsigned self = arch_cpu_index();
	unsigned stopped = 0;

	atomic_store(&stop_requested, true);
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		if (i != self && atomic_load(&smp_cpus[i].state) == CPU_ONLINE) {
			arch_cpu_kick(
				i); /* in a guest or idle in WFI: only an interrupt reaches it */
		}
	}
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		unsigned state = atomic_load(&smp_cpus[i].state);
		if (i == self || (state != CPU_ONLINE && state != CPU_STOPPED)) {
			continue;
		}
		if (wait_for_state(i, CPU_STOPPED, CPU_STOP_TIMEOUT_MS)) {
			stopped++;
		} else {
			log_error("CPU%u (MPIDR 0x%lx) did not stop", i, smp_cpus[i].mpidr);
		}
	}
	return stopped;
}
