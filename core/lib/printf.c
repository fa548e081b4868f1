// SPDX-License-Identifier: MIT
/*
 * Bounded printf formatting. Freestanding (no libc) so that the same file
 * is used at EL2, in the host tool bhconfig and in host unit tests. It has
 * what their formats use (scripts/lint.sh checks that they use nothing else).
 */
#include <core/printf.h>
#include <stdbool.h>
#include <stdint.h>

/* Widths and precisions past this are clamped (no int overflow on "%99999999999d"). */
#define WIDTH_MAX 4096

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters the full output needs, even past size */
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size) {
		o->buf[o->len] = c;
	}
	o->len++;
}

static void out_repeat(struct out *o, char c, int count)
{
	for (int i = 0; i < count; i++) {
		out_char(o, c);
	}
}

struct spec {
	bool left;     /* '-' */
	bool zero;     /* '0' */
	int width;     /* 0 if none */
	int precision; /* -1 if none */
	bool wide;     /* l, ll or z: a 64-bit argument */
};

/* len characters of str, padded to the width. */
static void out_padded(struct out *o, const struct spec *s, const char *str, int len)
{
	int pad = s->width > len ? s->width - len : 0;
	if (!s->left) {
		out_repeat(o, ' ', pad);
	}
	for (int i = 0; i < len; i++) {
		out_char(o, str[i]);
	}
	if (s->left) {
		out_repeat(o, ' ', pad);
	}
}

static void out_string(struct out *o, const struct spec *s, const char *str)
{
	if (str == NULL) {
		str = "(null)";
	}
	int len = 0;
	while (str[len] != '\0' && (s->precision < 0 || len < s->precision)) {
		len++;
	}
	out_padded(o, s, str, len);
}

static void out_number(struct out *o, const struct spec *s, uint64_t value, bool negative,
		       unsigned base)
{
	char tmp[21]; /* 20 decimal digits is the longest 64-bit number */
	int n = 0;

	while (value != 0) {
		/* base is 10 or 16; cppcheck 2.10 misreads the loop condition */
		// cppcheck-suppress zerodivcond
		tmp[n++] = "0123456789abcdef"[value % base];
		value /= base;
	}
	/* Precision is the minimum digit count; "%.0d" of 0 prints nothing. */
	int min_digits = s->precision >= 0 ? s->precision : 1;
	int zeros = min_digits > n ? min_digits - n : 0;
	int body = (negative ? 1 : 0) + zeros + n;
	int pad = s->width > body ? s->width - body : 0;
	/* The 0 flag is ignored with '-' and when a precision is given. */
	if (s->zero && !s->left && s->precision < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!s->left) {
		out_repeat(o, ' ', pad);
	}
	if (negative) {
		out_char(o, '-');
	}
	out_repeat(o, '0', zeros);
	while (n > 0) {
		out_char(o, tmp[--n]);
	}
	if (s->left) {
		out_repeat(o, ' ', pad);
	}
}

/* LP64 (AArch64, x86-64 hosts): l, ll and z arguments are all 64-bit. */
_Static_assert(sizeof(long) == 8 && sizeof(long long) == 8 && sizeof(size_t) == 8,
	       "printf assumes an LP64 target");

/* The next integer argument; a signed one sign-extended to 64 bits. */
static uint64_t fetch(va_list *ap, bool wide, bool is_signed)
{
	if (wide) {
		return is_signed ? (uint64_t)va_arg(*ap, long long)
				 : va_arg(*ap, unsigned long long);
	}
	return is_signed ? (uint64_t)(int64_t)va_arg(*ap, int) : va_arg(*ap, unsigned int);
}

static int parse_number(const char **p)
{
	int n = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		n = n * 10 + (**p - '0');
		n = n < WIDTH_MAX ? n : WIDTH_MAX;
	}
	return n;
}

/* Flags - and 0, a width, a precision (digits or *), length l, ll or z. */
static const char *parse_spec(const char *p, struct spec *s, va_list *ap)
{
	*s = (struct spec){.precision = -1};
	for (; *p == '-' || *p == '0'; p++) {
		s->left = s->left || *p == '-';
		s->zero = s->zero || *p == '0';
	}
	s->width = parse_number(&p);
	if (*p == '.' && p[1] == '*') {
		s->precision = va_arg(*ap, int);
		p += 2;
	} else if (*p == '.') {
		p++;
		s->precision = parse_number(&p);
	}
	if (*p == 'l' || *p == 'z') {
		s->wide = true;
		p += *p == 'l' && p[1] == 'l' ? 2 : 1;
	}
	return p;
}

int bh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = {.buf = buf, .size = size, .len = 0};
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		const char *start = p;
		struct spec s;
		p = parse_spec(p + 1, &s, &ap);
		if (*p == 'd') {
			int64_t v = (int64_t)fetch(&ap, s.wide, true);
			out_number(&o, &s, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 10);
		} else if (*p == 'u' || *p == 'x') {
			out_number(&o, &s, fetch(&ap, s.wide, false), false, *p == 'u' ? 10 : 16);
		} else if (*p == 's') {
			out_string(&o, &s, va_arg(ap, const char *));
		} else if (*p == '%') {
			out_char(&o, '%');
		} else {
			/* Unknown conversion, or a lone '%' at the end: verbatim, so the bug shows.
			 */
			p -= *p == '\0' ? 1 : 0;
			for (const char *q = start; q <= p; q++) {
				out_char(&o, *q);
			}
		}
	}
	va_end(ap);
	if (size > 0) {
		buf[o.len < size ? o.len : size - 1] = '\0';
	}
	return o.len > (size_t)INT32_MAX ? INT32_MAX : (int)o.len;
}

int bh_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = bh_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
