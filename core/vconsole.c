// SPDX-License-Identifier: MIT
/*
 * Partition consoles on the one physical UART.
 *
 * Output: each partition's bytes are collected into lines, "[name] text",
 * and queued whole in the console's output ring (core/console.c) after the
 * console lock is released, so lines never interleave mid-line and no
 * partition waits for the UART. Each partition has a byte budget, its share
 * of what the UART sends (VCONSOLE_UART_BAUD / 10 bytes per second, split
 * between the partitions and the hypervisor) with a burst of its share of
 * the ring: beyond it lines are dropped and counted, and the count is
 * reported with its next line or when it stops. The shares add up to the
 * UART's rate, so the ring never fills with one partition's flood.
 *
 * Input: the UART's interrupt goes to a CPU that runs a vCPU (the root's
 * when it runs) and is served on whatever CPU takes it; what is typed goes
 * to the partition that has the focus. Ctrl-] followed by a digit gives the
 * focus to that partition id, "n" to the next one, Ctrl-] again sends a
 * Ctrl-] itself; anything else lists the partitions.
 *
 * The emulated PL011 (DDI 0183): enough for Linux's amba-pl011 driver and
 * earlycon. Transmit never fills (bytes go straight to the line buffer);
 * receive is the console's input ring; its interrupt is a virtual SPI,
 * raised whenever the masked status is set after a change.
 */
#include <arch/arch.h>
#include <arch/vgic.h>
#include <core/console.h>
#include <core/log.h>
#include <core/partition.h>
#include <core/string.h>
#include <core/vconsole.h>

/* Neither board's tree says (QEMU's PL011 has no baud rate; RPi4's firmware sets 115200). */
#define VCONSOLE_UART_BAUD 115200U

static struct partition *parts;
static unsigned part_count;
static _Atomic unsigned focus;
static bool escape_seen;
static uint64_t ticks_per_byte, burst_ticks; /* the output budget */
static unsigned console_intid;
static spinlock_t input_lock = SPINLOCK_INIT; /* the UART's receive side, escape_seen */
static spinlock_t route_lock = SPINLOCK_INIT;
static unsigned long running_cpus; /* CPUs in a guest: where the UART's interrupt may go */
static unsigned irq_cpu;

/* ---------------------------------------------------------------- output */

/* Lock held: charges cost bytes to the partition's budget (GCRA, virtual time). */
static bool within_budget(struct vconsole *c, size_t cost)
{
	uint64_t now = arch_counter();
	uint64_t tat = c->budget_tat > now ? c->budget_tat : now;
	if (tat - now + cost * ticks_per_byte > burst_ticks) {
		return false;
	}
	c->budget_tat = tat + cost * ticks_per_byte;
	return true;
}

/* A finished line, taken out of the console under its lock and printed after unlocking. */
struct finished_line {
	char text[VCONSOLE_LINE_MAX];
	size_t len;
	unsigned long dropped; /* bytes the flood control dropped before it */
	bool ready;
};

/* Lock held: the line is complete; it is kept in the history, and goes out if the budget allows. */
static void take_line(const struct partition *p, struct vconsole *c, struct finished_line *out)
{
	for (size_t i = 0; i <= c->line_len; i++) {
		c->history[c->history_end++ % VCONSOLE_HISTORY] =
			i < c->line_len ? c->line[i] : '\n';
	}
	/* Its cost counts "[name] ", "\r\n" and the report of earlier drops if one goes first. */
	size_t cost = c->line_len + strlen(p->cfg->name) + 5 + (c->dropped != 0 ? 64 : 0);
	if (within_budget(c, cost)) {
		memcpy(out->text, c->line, c->line_len);
		out->len = c->line_len;
		out->dropped = c->dropped;
		out->ready = true;
		c->dropped = 0;
	} else {
		c->dropped += c->line_len + 1;
	}
	c->line_len = 0;
}

static void report_dropped(const struct partition *p, unsigned long dropped)
{
	if (dropped != 0) {
		log_warn("partition %s: console flood: %lu bytes dropped", p->cfg->name, dropped);
	}
}

static void print_line(struct partition *p, struct finished_line *line)
{
	if (!line->ready) {
		return;
	}
	report_dropped(p, line->dropped);
	if (!log_tagged_line(p->cfg->name, line->text, line->len)) {
		/* No room in the ring: counted like the rest. */
		spin_lock(&p->console.lock);
		p->console.dropped += line->len + 1;
		spin_unlock(&p->console.lock);
	}
	line->ready = false;
}

/* Lock held. */
static void put_byte(const struct partition *p, struct vconsole *c, uint8_t byte,
		     struct finished_line *out)
{
	char ch = (char)byte;
	if (ch == '\r') {
		return;
	}
	if (ch != '\n' && ch != '\t' && (byte < 0x20 || byte > 0x7e)) {
		ch = '?'; /* keep control sequences off the shared console */
	}
	if (ch != '\n') {
		c->line[c->line_len++] = ch;
	}
	if (ch == '\n' || c->line_len == sizeof(c->line) - 1) {
		take_line(p, c, out);
	}
}

void vconsole_write(struct partition *p, const uint8_t *bytes, size_t n)
{
	struct vconsole *c = &p->console;
	struct finished_line line;
	line.ready = false; /* no initializer: it would zero the whole text on every access */
	for (size_t i = 0; i < n; i++) {
		spin_lock(&c->lock);
		put_byte(p, c, bytes[i], &line);
		spin_unlock(&c->lock);
		print_line(p, &line);
	}
}

void vconsole_stopped(struct partition *p)
{
	struct vconsole *c = &p->console;
	spin_lock(&c->lock);
	unsigned long dropped = c->dropped;
	c->dropped = 0;
	spin_unlock(&c->lock);
	report_dropped(p, dropped);
}

size_t vconsole_history(struct partition *p, uint64_t *from, uint64_t *end, uint8_t *buf,
			size_t max)
{
	struct vconsole *c = &p->console;
	size_t n = 0;
	spin_lock(&c->lock);
	*end = c->history_end;
	if (*end > VCONSOLE_HISTORY && *from < *end - VCONSOLE_HISTORY) {
		*from = *end - VCONSOLE_HISTORY; /* older bytes were written over */
	}
	for (; *from + n < *end && n < max; n++) {
		buf[n] = (uint8_t)c->history[(*from + n) % VCONSOLE_HISTORY];
	}
	spin_unlock(&c->lock);
	return n;
}

/* ---------------------------------------------------------------- input */

size_t vconsole_read(struct partition *p, uint8_t *buf, size_t max)
{
	struct vconsole *c = &p->console;
	size_t n = 0;
	spin_lock(&c->lock);
	while (n < max && c->in_count > 0) {
		buf[n++] = c->input[c->in_head];
		c->in_head = (c->in_head + 1) % VCONSOLE_INPUT_MAX;
		c->in_count--;
	}
	spin_unlock(&c->lock);
	return n;
}

static void vuart_update(struct partition *p);

static void deliver(struct partition *p, uint8_t byte)
{
	struct vconsole *c = &p->console;
	spin_lock(&c->lock);
	if (c->in_count == VCONSOLE_INPUT_MAX) {
		c->in_dropped++; /* nobody reads: the oldest input stays */
	} else {
		c->input[(c->in_head + c->in_count) % VCONSOLE_INPUT_MAX] = byte;
		c->in_count++;
	}
	spin_unlock(&c->lock);
	vuart_update(p);
}

static void announce_focus(void)
{
	unsigned f = atomic_load(&focus);
	log_info("console input goes to %s (Ctrl-] then 0-%u switches, Ctrl-] ? lists)",
		 parts[f].cfg->name, part_count - 1);
}

static void list_partitions(void)
{
	for (unsigned i = 0; i < part_count; i++) {
		log_info("  Ctrl-] %u: %s (%s)%s", i, parts[i].cfg->name,
			 partition_state_name(atomic_load(&parts[i].state)),
			 i == atomic_load(&focus) ? ", has the input" : "");
	}
}

static void console_byte(uint8_t byte)
{
	if (escape_seen) {
		escape_seen = false;
		if (byte >= '0' && byte <= '9' && (unsigned)(byte - '0') < part_count) {
			atomic_store(&focus, (unsigned)(byte - '0'));
			announce_focus();
		} else if (byte == 'n') {
			atomic_store(&focus, (atomic_load(&focus) + 1) % part_count);
			announce_focus();
		} else if (byte == VCONSOLE_ESCAPE) {
			deliver(&parts[atomic_load(&focus)], byte);
		} else {
			list_partitions();
		}
		return;
	}
	if (byte == VCONSOLE_ESCAPE) {
		escape_seen = true;
		return;
	}
	deliver(&parts[atomic_load(&focus)], byte);
}

bool vconsole_irq(unsigned intid)
{
	if (console_intid == 0 || intid != console_intid) {
		return false;
	}
	console_irq(); /* clears the interrupt first: a byte arriving from now on raises it again */
	spin_lock(&input_lock);
	for (int ch = console_getc(); ch >= 0; ch = console_getc()) {
		if (parts != NULL) {
			console_byte((uint8_t)ch);
		}
	}
	spin_unlock(&input_lock);
	arch_guest_irq_done(intid);
	return true;
}

void vconsole_cpu_running(unsigned cpu, bool running)
{
	if (console_intid == 0) {
		return;
	}
	spin_lock(&route_lock);
	if (running) {
		running_cpus |= 1UL << cpu;
	} else {
		running_cpus &= ~(1UL << cpu);
	}
	/*
	 * Only a CPU in a guest takes interrupts: the UART's goes to one that
	 * runs, the root's if one of its runs (the console's work is the root's).
	 */
	unsigned long root = running_cpus & parts[0].cfg->cpu_mask;
	unsigned long pick = root != 0 ? root : running_cpus;
	if (pick != 0 && (pick & (1UL << irq_cpu)) == 0) {
		irq_cpu = (unsigned)__builtin_ctzl(pick);
		arch_gic_spi_setup(console_intid, irq_cpu, true);
	}
	spin_unlock(&route_lock);
}

void vconsole_start(struct partition *partitions, unsigned count, unsigned pcpu, unsigned uart_irq)
{
	/* Each partition and the hypervisor get an equal share of the UART. */
	uint64_t share = VCONSOLE_UART_BAUD / 10 / (count + 1);
	ticks_per_byte = arch_counter_freq() / share;
	burst_ticks = ticks_per_byte * (CONSOLE_RING_SIZE / (count + 1));
	parts = partitions;
	part_count = count;
	atomic_store(&focus, 0);
	console_intid = uart_irq;
	irq_cpu = pcpu;
	console_buffer(console_intid != 0);
	if (console_intid != 0) {
		arch_gic_spi_setup(console_intid, pcpu, true);
		announce_focus();
	} else {
		log_warn("console: no receive interrupt in the device tree: input is off");
	}
}

void vconsole_reset(struct partition *p)
{
	struct vconsole *c = &p->console;
	spin_lock(&c->lock);
	c->line_len = 0;
	c->in_count = 0;
	c->in_head = 0;
	c->dropped = 0; /* a new life starts with its whole budget and no old count */
	c->budget_tat = 0;
	memset(c->uart, 0, sizeof(c->uart));
	spin_unlock(&c->lock);
}

/* ---------------------------------------------------------------- emulated PL011 */

#define UARTDR	     0x000
#define UARTFR	     0x018
#define UARTILPR     0x020 /* to UARTIMSC: registers kept as written (baud, format, control) */
#define UARTIMSC     0x038
#define UARTRIS	     0x03c
#define UARTMIS	     0x040
#define UARTPERIPHID 0xfe0
#define FR_RXFE	     (1U << 4)
#define FR_TXFE	     (1U << 7)
#define INT_RX	     (1U << 4)
#define INT_TX	     (1U << 5)
#define INT_RT	     (1U << 6)
#define IMSC	     ((UARTIMSC - UARTILPR) / 4) /* its index in vconsole.uart */

/* PeriphID (PL011 r1p5, as QEMU's) and PrimeCell ID, which the AMBA bus matches. */
static const uint8_t vuart_ids[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* Lock held: raw interrupt status. Transmit always has room. */
static uint32_t vuart_ris(const struct vconsole *c)
{
	return INT_TX | (c->in_count > 0 ? INT_RX | INT_RT : 0);
}

static void vuart_update(struct partition *p)
{
	const struct config_partition *cfg = p->cfg;
	struct vconsole *c = &p->console;
	if (!cfg->has_vuart) {
		return;
	}
	spin_lock(&c->lock);
	bool level = (vuart_ris(c) & c->uart[IMSC]) != 0;
	spin_unlock(&c->lock);
	if (level) {
		vgic_raise(&p->vgic, 0, cfg->vuart_irq);
	}
}

static uint32_t vuart_access(const struct partition *p, struct vconsole *c, uint64_t off,
			     bool write, uint32_t value, struct finished_line *line)
{
	if (off >= UARTILPR && off <= UARTIMSC) {
		uint32_t *reg = &c->uart[(off - UARTILPR) / 4];
		if (write) {
			*reg = value & 0xffff;
		}
		return *reg;
	}
	switch (off) {
	case UARTDR:
		if (write) {
			put_byte(p, c, (uint8_t)value, line);
			return 0;
		}
		if (c->in_count == 0) {
			return 0;
		}
		value = c->input[c->in_head];
		c->in_head = (c->in_head + 1) % VCONSOLE_INPUT_MAX;
		c->in_count--;
		return value;
	case UARTFR:
		return FR_TXFE | (c->in_count == 0 ? FR_RXFE : 0);
	case UARTRIS:
		return vuart_ris(c);
	case UARTMIS:
		return vuart_ris(c) & c->uart[IMSC];
	default:
		/* UARTRSR (0x004), UARTICR (0x044): the status follows the FIFO, nothing to clear.
		 */
		if (off >= UARTPERIPHID && off < UARTPERIPHID + 0x20 && !write) {
			return vuart_ids[(off - UARTPERIPHID) / 4];
		}
		return 0;
	}
}

bool vuart_mmio(struct vcpu *v, ipaddr_t ipa, unsigned size, bool write, uint64_t *value)
{
	struct partition *p = v->partition;
	struct vconsole *c = &p->console;
	uint64_t off = ipa_addr(ipa) - ipa_addr(p->cfg->vuart_ipa);

	BUG_ON(!p->cfg->has_vuart || off >= VUART_SIZE);
	if ((size != 4 && size != 2 && size != 1) || (off & 3) != 0) {
		*value = 0; /* the PL011 has 32-bit registers (8- and 16-bit access to the low part)
			     */
		return true;
	}
	struct finished_line line;
	line.ready = false; /* no initializer: it would zero the whole text on every access */
	spin_lock(&c->lock);
	uint32_t out = vuart_access(p, c, off, write, (uint32_t)*value, &line);
	spin_unlock(&c->lock);
	print_line(p, &line);
	if (!write) {
		*value = out;
	}
	if (write || off == UARTDR) {
		vuart_update(p); /* other reads change nothing (UARTFR: polled for every byte) */
	}
	return true;
}
