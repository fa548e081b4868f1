// SPDX-License-Identifier: MIT
/*
 * bhconfig show --svg: plain SVG written by hand. Address maps span bytes to gigabytes, so a
 * range's height grows with the logarithm of its size rather than the size: every range stays
 * readable, and its label carries the exact addresses and size.
 */
#define _POSIX_C_SOURCE 200809L
#include "svg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <core/fdt_util.h>

#define MAX_ROWS  512
#define ROW_GAP	  3
#define COL_GAP	  30
#define MARGIN	  20
#define PA_WIDTH  520
#define IPA_WIDTH 470
#define FONT	  "font-family=\"monospace\" font-size=\"11\""

/* Partition colours, then the hypervisor's, the reserved ranges', the channels', free RAM's. */
static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
				      "#e15759", "#76b7b2", "#edc948", "#9c755f"};
#define PALETTE_LEN   (sizeof(palette) / sizeof(palette[0]))
#define COLOR_HYP     (-1)
#define COLOR_RESERVE (-2)
#define COLOR_CHANNEL (-3)
#define COLOR_FREE    (-4)

struct row {
	uint64_t base, size;
	int color; /* a partition's index, or COLOR_* */
	int indent;
	bool faint; /* an image's copy: the partition's colour, lighter */
	char label[240];
};

struct column {
	const char *title;
	struct row rows[MAX_ROWS];
	unsigned count;
};

static const char *color_of(int color)
{
	/* COLOR_HYP, COLOR_RESERVE, COLOR_CHANNEL, COLOR_FREE: -1 to -4. */
	static const char *const fixed[] = {"#333333", "#999999", "#d4a017", "#f4f4f4"};
	return color >= 0 ? palette[(unsigned)color % PALETTE_LEN] : fixed[-color - 1];
}

/* Text with XML's special characters escaped. */
static void put_text(FILE *f, const char *s)
{
	static const char *const entity[128] = {['&'] = "&amp;",
						['<'] = "&lt;",
						['>'] = "&gt;",
						['"'] = "&quot;",
						['\''] = "&apos;"};
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 128 && entity[c] != NULL) {
			fputs(entity[c], f);
		} else {
			fputc(c, f);
		}
	}
}

static void size_text(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = {"GiB", "MiB", "KiB"};
	for (unsigned i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * i;
		if (size >= (1ULL << shift) && size % (1ULL << shift) == 0) {
			snprintf(buf, len, "%llu %s", (unsigned long long)(size >> shift),
				 units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu bytes", (unsigned long long)size);
}

static struct row *add(struct column *c, uint64_t base, uint64_t size, int color, const char *fmt,
		       ...) __attribute__((format(printf, 5, 6)));

static struct row *add(struct column *c, uint64_t base, uint64_t size, int color, const char *fmt,
		       ...)
{
	static struct row spare;
	if (c->count == MAX_ROWS) {
		return &spare; /* more ranges than a picture can show: the text view has them */
	}
	struct row *r = &c->rows[c->count++];
	char what[160], sz[24];
	va_list ap;
	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = size;
	r->color = color;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	size_text(size, sz, sizeof(sz));
	snprintf(r->label, sizeof(r->label), "0x%09llx-0x%09llx %-8s %s", (unsigned long long)base,
		 (unsigned long long)(base + size - 1), sz, what);
	return r;
}

static int by_base(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->base != y->base) {
		return x->base < y->base ? -1 : 1;
	}
	return x->indent - y->indent; /* a region before the images in it */
}

static unsigned height_of(uint64_t size)
{
	unsigned h = 16;
	while (size > 0x1000 && h < 60) {
		size >>= 2;
		h += 3;
	}
	return h;
}

/* The column's height. */
static unsigned column_height(const struct column *c)
{
	unsigned h = 24;
	for (unsigned i = 0; i < c->count; i++) {
		h += height_of(c->rows[i].size) + ROW_GAP;
	}
	return h;
}

static void draw_column(FILE *f, const struct column *c, unsigned x, unsigned y, unsigned width)
{
	fprintf(f, "<text x=\"%u\" y=\"%u\" " FONT " font-weight=\"bold\">", x, y + 12);
	put_text(f, c->title);
	fputs("</text>\n", f);
	y += 24;
	for (unsigned i = 0; i < c->count; i++) {
		const struct row *r = &c->rows[i];
		unsigned h = height_of(r->size), in = (unsigned)r->indent * 14;
		bool dark = r->color != COLOR_FREE && !r->faint;
		fprintf(f,
			"<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\" "
			"fill-opacity=\"%s\" stroke=\"#222222\" stroke-width=\"0.5\"/>\n",
			x + in, y, width - in, h, color_of(r->color), r->faint ? "0.35" : "1");
		fprintf(f, "<text x=\"%u\" y=\"%u\" " FONT " fill=\"%s\">", x + in + 4,
			y + h / 2 + 4, dark ? "#ffffff" : "#000000");
		put_text(f, r->label);
		fputs("</text>\n", f);
		y += h + ROW_GAP;
	}
}

static void device_name(const void *fdt, int node, char *buf, size_t len)
{
	if (fdt_get_path(fdt, node, buf, (int)len) != 0) {
		snprintf(buf, len, "?");
	}
}

/* The physical map: everything placed in PA, sorted, with the free RAM between. */
static void pa_column(struct column *c, const void *fdt, const struct dt_board *board,
		      const struct config *cfg, struct pa_range hyp)
{
	char node[96];
	c->title = "Physical address space (PA)";
	add(c, pa_addr(hyp.base), hyp.size, COLOR_HYP, "Bulkhead (--hyp)");
	for (unsigned i = 0; i < board->reserved_count; i++) {
		add(c, board->reserved[i].base, board->reserved[i].size, COLOR_RESERVE, "reserved");
	}
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		for (unsigned r = 0; r < p->mem_count; r++) {
			add(c, pa_addr(p->mem[r].pa), p->mem[r].size, (int)i, "%s memory[%u]",
			    p->name, r);
		}
		for (unsigned k = 0; k < p->image_count; k++) {
			add(c, pa_addr(p->images[k].src_pa), p->images[k].size, (int)i,
			    "%s/%s image (boot loader's copy)", p->name, p->images[k].name)
				->faint = true;
		}
		for (unsigned d = 0; d < p->device_count; d++) {
			device_name(fdt, p->devices[d].node, node, sizeof(node));
			for (unsigned r = 0; r < p->devices[d].reg_count; r++) {
				add(c, pa_addr(p->devices[d].reg[r].base),
				    p->devices[d].reg[r].size, (int)i, "%s device %s", p->name,
				    node);
			}
		}
	}
	for (unsigned i = 0; i < cfg->channel_count; i++) {
		const struct config_channel *ch = &cfg->channels[i];
		add(c, pa_addr(ch->pa), ch->size, COLOR_CHANNEL, "channel %s: %s <-> %s", ch->name,
		    cfg->partitions[ch->end[SIDE_PROVIDER].partition].name,
		    cfg->partitions[ch->end[SIDE_CONSUMER].partition].name);
	}
	qsort(c->rows, c->count, sizeof(c->rows[0]), by_base);
	/* Free RAM: the gaps of each RAM range. */
	unsigned used = c->count;
	for (unsigned m = 0; m < board->mem_count; m++) {
		uint64_t at = board->mem[m].base, end = at + board->mem[m].size;
		for (unsigned i = 0; i <= used && at < end; i++) {
			uint64_t next = i < used ? c->rows[i].base : end;
			next = next > end ? end : next;
			if (next > at) {
				add(c, at, next - at, COLOR_FREE, "free RAM");
			}
			if (i < used && c->rows[i].base + c->rows[i].size > at) {
				at = c->rows[i].base + c->rows[i].size;
			}
		}
	}
	qsort(c->rows, c->count, sizeof(c->rows[0]), by_base);
}

/* One partition's view: its memory with the images loaded in it, devices, channels, vuart. */
static void ipa_column(struct column *c, const void *fdt, const struct config *cfg, unsigned id,
		       char *title, size_t title_size)
{
	const struct config_partition *p = &cfg->partitions[id];
	char node[96];
	snprintf(title, title_size, "%s%s: its IPA space", p->name, p->is_root ? " (root)" : "");
	c->title = title;
	for (unsigned r = 0; r < p->mem_count; r++) {
		add(c, ipa_addr(p->mem[r].ipa), p->mem[r].size, (int)id, "memory[%u] -> PA 0x%llx",
		    r, (unsigned long long)pa_addr(p->mem[r].pa));
	}
	for (unsigned k = 0; k < p->image_count; k++) {
		const struct config_image *img = &p->images[k];
		struct row *r = add(c, ipa_addr(img->load_ipa), img->size, (int)id, "%s (%s)",
				    img->name, config_image_format_name(img->format));
		r->indent = 1;
		r->faint = true;
	}
	for (unsigned d = 0; d < p->device_count; d++) {
		char irqs[64];
		device_name(fdt, p->devices[d].node, node, sizeof(node));
		config_device_irq_list(&p->devices[d], irqs, sizeof(irqs));
		for (unsigned r = 0; r < p->devices[d].reg_count; r++) {
			add(c, pa_addr(p->devices[d].reg[r].base), p->devices[d].reg[r].size,
			    (int)id, "device %s, SPI %s", node, irqs);
		}
	}
	for (unsigned i = 0; i < p->channel_count; i++) {
		const struct config_channel *ch = &cfg->channels[p->channels[i]];
		unsigned side = config_channel_side(ch, id);
		add(c, ipa_addr(ch->end[side].ipa), ch->size, COLOR_CHANNEL,
		    "channel %s (%s), SPI %u", ch->name,
		    side == SIDE_PROVIDER ? "provider" : "consumer", ch->end[side].irq - 32);
	}
	if (p->has_vuart) {
		add(c, ipa_addr(p->vuart_ipa), 0x1000, (int)id, "vuart (PL011), SPI %u",
		    p->vuart_irq - 32);
	}
	qsort(c->rows, c->count, sizeof(c->rows[0]), by_base);
}

/* Who runs on which CPU, and who has which device. */
static unsigned draw_assignment(FILE *f, const void *fdt, const struct dt_board *board,
				const struct config *cfg, unsigned y)
{
	char node[96], text[160];
	fprintf(f, "<text x=\"%u\" y=\"%u\" " FONT " font-weight=\"bold\">CPUs</text>\n", MARGIN,
		y + 12);
	y += 20;
	for (unsigned c = 0; c < board->cpu_count; c++) {
		int owner = -1;
		for (unsigned i = 0; i < cfg->partition_count; i++) {
			owner = (cfg->partitions[i].cpu_mask >> c) & 1 ? (int)i : owner;
		}
		unsigned x = MARGIN + c * 130;
		fprintf(f,
			"<rect x=\"%u\" y=\"%u\" width=\"120\" height=\"36\" fill=\"%s\" "
			"stroke=\"#222222\" stroke-width=\"0.5\"/>\n",
			x, y, owner >= 0 ? color_of(owner) : color_of(COLOR_FREE));
		snprintf(text, sizeof(text), "CPU%u (MPIDR 0x%llx)", c,
			 (unsigned long long)board->cpus[c].mpidr);
		fprintf(f, "<text x=\"%u\" y=\"%u\" " FONT " fill=\"%s\">", x + 4, y + 14,
			owner >= 0 ? "#ffffff" : "#000000");
		put_text(f, text);
		fprintf(f, "</text>\n<text x=\"%u\" y=\"%u\" " FONT " fill=\"%s\">", x + 4, y + 29,
			owner >= 0 ? "#ffffff" : "#000000");
		put_text(f, owner >= 0 ? cfg->partitions[owner].name : "idle");
		fputs("</text>\n", f);
	}
	y += 56;
	fprintf(f, "<text x=\"%u\" y=\"%u\" " FONT " font-weight=\"bold\">Devices</text>\n", MARGIN,
		y + 12);
	y += 20;
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		const struct config_partition *p = &cfg->partitions[i];
		size_t n = (size_t)snprintf(text, sizeof(text), "%s:", p->name);
		for (unsigned d = 0; d < p->device_count && n < sizeof(text); d++) {
			device_name(fdt, p->devices[d].node, node, sizeof(node));
			n += (size_t)snprintf(text + n, sizeof(text) - n, " %s", node);
		}
		if (p->device_count == 0) {
			snprintf(text + n, sizeof(text) - n, " (none)");
		}
		fprintf(f,
			"<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"%s\"/>\n"
			"<text x=\"%u\" y=\"%u\" " FONT ">",
			MARGIN, y, color_of((int)i), MARGIN + 18, y + 10);
		put_text(f, text);
		fputs("</text>\n", f);
		y += 18;
	}
	return y;
}

int svg_write(const char *path, const char *title, const void *fdt, const struct dt_board *board,
	      const struct config *cfg, struct pa_range hyp)
{
	static struct column pa, ipa[BH_MAX_PARTITIONS];
	static char titles[BH_MAX_PARTITIONS][64];

	memset(&pa, 0, sizeof(pa));
	pa_column(&pa, fdt, board, cfg, hyp);
	unsigned height = column_height(&pa);
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		memset(&ipa[i], 0, sizeof(ipa[i]));
		ipa_column(&ipa[i], fdt, cfg, i, titles[i], sizeof(titles[i]));
		height = column_height(&ipa[i]) > height ? column_height(&ipa[i]) : height;
	}
	unsigned width = 2 * MARGIN + PA_WIDTH + cfg->partition_count * (IPA_WIDTH + COL_GAP);
	unsigned assign_y = MARGIN + 30 + height + 20;
	unsigned total = assign_y + 96 + 18 * cfg->partition_count + MARGIN;

	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
		"<text x=\"%u\" y=\"%u\" font-family=\"sans-serif\" font-size=\"16\" "
		"font-weight=\"bold\">",
		width, total, width, total, MARGIN, MARGIN + 8);
	put_text(f, title);
	fprintf(f, "</text>\n");
	draw_column(f, &pa, MARGIN, MARGIN + 30, PA_WIDTH);
	for (unsigned i = 0; i < cfg->partition_count; i++) {
		draw_column(f, &ipa[i], MARGIN + PA_WIDTH + COL_GAP + i * (IPA_WIDTH + COL_GAP),
			    MARGIN + 30, IPA_WIDTH);
	}
	draw_assignment(f, fdt, board, cfg, assign_y);
	fputs("</svg>\n", f);
	if (fclose(f) != 0) {
		fprintf(stderr, "error: %s: write failed\n", path);
		return 1;
	}
	return 0;
}
