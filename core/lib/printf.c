// SPDX-License-Identifier: MIT
/*
 * Bounded printf formatting. Freestanding (no libc) so that the same file
 * is used at EL2, in the guest SDK and in host unit tests.
 */
#include <core/printf.h>
#include <stdbool.h>
#include <stdint.h>

/* Widths and precisions past this are clamped (no int overflow on "%99999999999d"). */
#define WIDTH_MAX     4096
#define MIN_INT(a, b) ((a) < (b) ? (a) : (b))

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

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_PTRDIFF, LEN_MAX };

struct spec {
	bool left;     /* '-' */
	bool zero;     /* '0' */
	bool plus;     /* '+' */
	bool space;    /* ' ' */
	bool alt;      /* '#' */
	int width;     /* -1 if none */
	int precision; /* -1 if none */
	enum length length;
};

/* len characters of str (NULs included), padded to the width. */
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
		       unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24]; /* 22 octal digits is the longest 64-bit number */
	int n = 0;

	while (value != 0) {
		/* base is 8, 10 or 16; cppcheck 2.10 misreads the loop condition */
		// cppcheck-suppress zerodivcond
		tmp[n++] = digits[value % base];
		value /= base;
	}
	/* Precision is the minimum digit count; "%.0d" of 0 prints nothing. */
	int min_digits = s->precision >= 0 ? s->precision : 1;
	int zeros = min_digits > n ? min_digits - n : 0;

	const char *prefix = "";
	if (negative) {
		prefix = "-";
	} else if (s->plus && base == 10) {
		prefix = "+";
	} else if (s->space && base == 10) {
		prefix = " ";
	} else if (s->alt && base == 16 && n > 0) {
		prefix = upper ? "0X" : "0x";
	} else if (s->alt && base == 8 && zeros == 0) {
		zeros = 1;
	}
	int prefix_len = 0;
	while (prefix[prefix_len] != '\0') {
		prefix_len++;
	}

	int body = prefix_len + zeros + n;
	int pad = s->width > body ? s->width - body : 0;
	/* The 0 flag is ignored with '-' and when a precision is given. */
	if (s->zero && !s->left && s->precision < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!s->left) {
		out_repeat(o, ' ', pad);
	}
	for (int i = 0; i < prefix_len; i++) {
		out_char(o, prefix[i]);
	}
	out_repeat(o, '0', zeros);
	while (n > 0) {
		out_char(o, tmp[--n]);
	}
	if (s->left) {
		out_repeat(o, ' ', pad);
	}
}

/* LP64 (AArch64, x86-64 hosts): l, ll, z, t and j arguments are all 64-bit. */
_Static_assert(sizeof(long) == 8 && sizeof(long long) == 8 && sizeof(size_t) == 8 &&
		       sizeof(ptrdiff_t) == 8 && sizeof(intmax_t) == 8,
	       "printf assumes an LP64 target");

/* The next argument as its length modifier says; a signed one sign-extended to 64 bits. */
static uint64_t fetch(va_list *ap, enum length length, bool is_signed)
{
	if (length >= LEN_LONG) { /* l, ll, z, t, j: all 64-bit, see the asserts above */
		return is_signed ? (uint64_t)va_arg(*ap, long long)
				 : va_arg(*ap, unsigned long long);
	}
	if (is_signed) {
		int v = va_arg(*ap, int);
		return (uint64_t)(int64_t)(length == LEN_CHAR	 ? (signed char)v
					   : length == LEN_SHORT ? (short)v
								 : v);
	}
	unsigned int v = va_arg(*ap, unsigned int);
	return length == LEN_CHAR ? (unsigned char)v : length == LEN_SHORT ? (unsigned short)v : v;
}

static const char *parse_spec(const char *p, struct spec *s, va_list *ap)
{
	*s = (struct spec){.width = -1, .precision = -1, .length = LEN_INT};
	for (;; p++) {
		if (*p == '-') {
			s->left = true;
		} else if (*p == '0') {
			s->zero = true;
		} else if (*p == '+') {
			s->plus = true;
		} else if (*p == ' ') {
			s->space = true;
		} else if (*p == '#') {
			s->alt = true;
		} else {
			break;
		}
	}
	if (*p == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->left = true;
			/* -INT_MIN does not fit: clamp, the width is absurd anyway */
			s->width = s->width == INT32_MIN ? WIDTH_MAX : -s->width;
		}
		p++;
	} else {
		while (*p >= '0' && *p <= '9') {
			s->width =
				MIN_INT((s->width < 0 ? 0 : s->width) * 10 + (*p - '0'), WIDTH_MAX);
			p++;
		}
	}
	if (*p == '.') {
		p++;
		s->precision = 0;
		if (*p == '*') {
			s->precision = va_arg(*ap, int);
			p++;
		} else {
			while (*p >= '0' && *p <= '9') {
				s->precision = MIN_INT(s->precision * 10 + (*p - '0'), WIDTH_MAX);
				p++;
			}
		}
	}
	/* Length modifiers: hh, h, l, ll, z, t, j. */
	if (*p == 'h' || *p == 'l') {
		bool twice = p[1] == p[0];
		s->length =
			*p == 'h' ? (twice ? LEN_CHAR : LEN_SHORT) : (twice ? LEN_LLONG : LEN_LONG);
		p += twice ? 2 : 1;
	} else if (*p == 'z' || *p == 't' || *p == 'j') {
		s->length = *p == 'z' ? LEN_SIZE : *p == 't' ? LEN_PTRDIFF : LEN_MAX;
		p++;
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
		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = (int64_t)fetch(&ap, s.length, true);
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
			out_number(&o, &s, mag, v < 0, 10, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			/* '+' and ' ' apply to signed conversions only (C11 7.21.6.1). */
			s.plus = false;
			s.space = false;
			out_number(&o, &s, fetch(&ap, s.length, false), false,
				   *p == 'u'   ? 10
				   : *p == 'o' ? 8
					       : 16,
				   *p == 'X');
			break;
		case 'p': {
			s.alt = true;
			uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
			if (v == 0) {
				s.precision = -1;
				out_string(&o, &s, "(nil)");
			} else {
				out_number(&o, &s, v, false, 16, false);
			}
			break;
		}
		case 's':
			out_string(&o, &s, va_arg(ap, const char *));
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			out_padded(&o, &s, &c, 1); /* a NUL character still counts as output */
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it and stop. */
			for (const char *q = start; *q != '\0'; q++) {
				out_char(&o, *q);
			}
			p--;
			break;
		default:
			/* Unknown conversion: print it verbatim so the bug is visible. */
			for (const char *q = start; q <= p; q++) {
				out_char(&o, *q);
			}
			break;
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
