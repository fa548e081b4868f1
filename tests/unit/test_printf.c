// SPDX-License-Identifier: MIT
/*
 * Unit tests for core/lib/printf.c: bh_snprintf/bh_vsnprintf are compared
 * with the host libc's snprintf over tables of formats and values (every
 * conversion, flag, width, precision and length modifier it has, integer
 * limits), each output also re-run truncated at several buffer sizes; then
 * the truncation rules and bulkhead's own choices ("(null)", unknown
 * conversions and a trailing '%' printed verbatim) are checked directly.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <core/printf.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define BUF_SIZE   512
#define CANARY	   0x5a

/*
 * Formats with libc and with bulkhead and fails at file:line unless both
 * agree on the text and the return value; then formats again into buffers
 * of 0, 1, 2, n/2, n and n+1 bytes and checks the truncated result.
 */
static void check_libc_v(const char *file, int line, const char *fmt, va_list ap)
{
	char want[BUF_SIZE], got[BUF_SIZE];
	va_list aq;

	va_copy(aq, ap);
	int wn = vsnprintf(want, sizeof(want), fmt, aq);
	va_end(aq);
	if (wn < 0 || wn >= BUF_SIZE) {
		print_error("%s:%d: libc failed on \"%s\" (%d)\n", file, line, fmt, wn);
		_fail(file, line);
	}

	memset(got, CANARY, sizeof(got));
	va_copy(aq, ap);
	int gn = bh_vsnprintf(got, sizeof(got), fmt, aq);
	va_end(aq);
	if (gn != wn || memcmp(got, want, (size_t)wn + 1) != 0) {
		print_error("%s:%d: format \"%s\": libc \"%s\" (%d), bulkhead \"%s\" (%d)\n", file,
			    line, fmt, want, wn, got, gn);
		_fail(file, line);
	}

	const size_t sizes[] = {0, 1, 2, (size_t)wn / 2, (size_t)wn, (size_t)wn + 1};
	for (size_t i = 0; i < N_ELEMS(sizes); i++) {
		size_t size = sizes[i];
		memset(got, CANARY, sizeof(got));
		va_copy(aq, ap);
		gn = bh_vsnprintf(got, size, fmt, aq);
		va_end(aq);
		if (gn != wn) {
			print_error("%s:%d: format \"%s\" into %zu bytes returned %d, not %d\n",
				    file, line, fmt, size, gn, wn);
			_fail(file, line);
		}
		/* Bytes [0, kept) are output, then one NUL, then nothing is touched. */
		size_t kept = size == 0 ? 0 : (size - 1 < (size_t)wn ? size - 1 : (size_t)wn);
		size_t untouched = size == 0 ? 0 : kept + 1;
		bool ok = memcmp(got, want, kept) == 0 && (size == 0 || got[kept] == '\0');
		for (size_t j = untouched; j < sizeof(got); j++) {
			ok = ok && got[j] == CANARY;
		}
		if (!ok) {
			print_error("%s:%d: format \"%s\" into %zu bytes: wrong truncated output "
				    "\"%.*s\" (want \"%.*s\")\n",
				    file, line, fmt, size, (int)kept, got, (int)kept, want);
			_fail(file, line);
		}
	}
}

static void check_libc(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check_libc(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_libc_v(file, line, fmt, ap);
	va_end(ap);
}

#define CHECK(...) check_libc(__FILE__, __LINE__, __VA_ARGS__)

/* Every format of `fmts` with every value of `vals`, passed as `type`. */
#define CHECK_TABLE(fmts, vals, type)                                      \
	do {                                                               \
		for (size_t fi_ = 0; fi_ < N_ELEMS(fmts); fi_++) {         \
			for (size_t vi_ = 0; vi_ < N_ELEMS(vals); vi_++) { \
				CHECK((fmts)[fi_], (type)(vals)[vi_]);     \
			}                                                  \
		}                                                          \
	} while (0)

/* bh_snprintf into a 64-byte buffer must give exactly `want` and return its length. */
#define EXPECT(want, ...)                                              \
	do {                                                           \
		char buf_[64];                                         \
		memset(buf_, CANARY, sizeof(buf_));                    \
		int n_ = bh_snprintf(buf_, sizeof(buf_), __VA_ARGS__); \
		assert_string_equal(buf_, want);                       \
		assert_int_equal(n_, strlen(want));                    \
	} while (0)

static void test_int_signed(void **state)
{
	(void)state;
	static const char *const fmts[] = {
		"%d",	  "%1d",  "%6d",   "%-6d",   "%06d",   "%-06d", "%.0d",
		"%.1d",	  "%.5d", "%8.5d", "%-8.5d", "%08.5d", "%5.0d", "%-5.0d",
		"%05.0d", "%12d", "%-12d", "%012d",  "%.12d",  "[%d]",
	};
	static const int vals[] = {
		0,	   1,	       -1,	7,	 -7,	      9,	   10,
		99,	   100,	       -100,	127,	 128,	      -128,	   -129,
		255,	   256,	       32767,	-32768,	 32768,	      65535,	   65536,
		123456789, -123456789, INT_MAX, INT_MIN, INT_MAX - 1, INT_MIN + 1,
	};
	CHECK_TABLE(fmts, vals, int);
}

static void test_int_unsigned(void **state)
{
	(void)state;
	static const char *const fmts[] = {
		"%u",	"%x",	"%5u",	 "%-5u",   "%05u",  "%.0u",  "%.0x",
		"%08x", "%-8x", "%8.4x", "%08.3x", "%.10u", "%.10x", "%02x",
	};
	static const unsigned vals[] = {
		0,   1,	   7,	  8,	 9,	     15,	 16,	     255,
		256, 4095, 65535, 65536, 0x7fffffff, 0x80000000, 0xdeadbeef, UINT_MAX,
	};
	CHECK_TABLE(fmts, vals, unsigned);
}

static void test_long_long(void **state)
{
	(void)state;
	static const char *const sfmts[] = {
		"%lld",	  "%25lld", "%-25lld", "%025lld", "%.20lld",
		"%.0lld", "%ld",    "%-22ld",  "%.21ld",
	};
	static const long long svals[] = {
		0,
		1,
		-1,
		INT64_MIN,
		INT64_MAX,
		INT64_MIN + 1,
		(long long)INT_MIN - 1,
		(long long)UINT_MAX + 1,
		-(1LL << 40),
		1000000000000LL,
	};
	CHECK_TABLE(sfmts, svals, long long);

	static const char *const ufmts[] = {
		"%llu", "%llx", "%016llx", "%.25llu", "%03llu", "%lu", "%lx", "%-20lx", "%020lu",
	};
	static const unsigned long long uvals[] = {
		0,
		1,
		UINT64_MAX,
		UINT64_MAX - 1,
		1ULL << 63,
		0x0123456789abcdefULL,
		0xfffffffffULL,
		01777777777777777777777ULL,
	};
	CHECK_TABLE(ufmts, uvals, unsigned long long);
}

static void test_size(void **state)
{
	(void)state;
	static const char *const zfmts[] = {"%zu", "%zx", "%20zu", "%-20zx|"};
	static const size_t zvals[] = {0, 1, 4096, SIZE_MAX, SIZE_MAX / 2 + 1};
	CHECK_TABLE(zfmts, zvals, size_t);

	static const char *const sfmts[] = {"%zd", "%-21zd|", "%.22zd"};
	static const ptrdiff_t svals[] = {0, -1, 1, PTRDIFF_MIN, PTRDIFF_MAX, -4096};
	CHECK_TABLE(sfmts, svals, ptrdiff_t);
}

static void test_strings(void **state)
{
	(void)state;
	static const char *const sfmts[] = {
		"%s",	 "%1s",	  "%8s",    "%-8s", "%.0s",    "%.1s",	  "%.4s",
		"%.20s", "%8.2s", "%-8.2s", "[%s]", "%20.12s", "%-1.0s|",
	};
	static const char *const svals[] = {"", "a", "abc", "hello", "hello, world", "tab\there"};
	CHECK_TABLE(sfmts, svals, const char *);
}

static void test_misc_against_libc(void **state)
{
	(void)state;
	const char *empty = "";
	CHECK(empty);
	CHECK("plain text");
	CHECK("%%");
	CHECK("100%%");
	CHECK("%d%%", 50);
	CHECK("%%%d%%%s%%", 1, "x");

	/* '*' precision, negative ones (none) included. */
	CHECK("%.*d", 4, 42);
	CHECK("%.*d", -1, 42);
	CHECK("%.*d", 0, 0);
	const char *zero_star_prec = "%05.*d"; /* a negative precision is none: '0' applies */
	CHECK(zero_star_prec, -1, 42);
	CHECK("%8.*x", 6, 0xabcu);
	CHECK("%.*s", 3, "abcdef");
	CHECK("%.*s", -1, "abcdef");
	CHECK("%-6.*s|", 2, "xyz");

	/* Several conversions, arguments of mixed widths. */
	CHECK("%s=%d (%x) %%", "key", -5, 255u);
	CHECK("a%sb%dc", "", 0);
	CHECK("%d %lld %u %zu %s", 300, (long long)INT64_MIN, 70000u, (size_t)7, "end");
	CHECK("%d %u %ld %lu %lld %llu", INT_MIN, UINT_MAX, LONG_MIN, ULONG_MAX, LLONG_MIN,
	      ULLONG_MAX);
	CHECK("%300d|", 1);
	CHECK("%-300s|", "wide");
	CHECK("  x%-2u 0x%016llx", 3u, 0x1234ULL);

	/* NULL strings print as "(null)" in both (volatile: gcc rejects a known NULL). */
	const char *volatile null_str = NULL;
	CHECK("%s", null_str);
	CHECK("%10s|", null_str);
	CHECK("%-10s|", null_str);
}

static void test_truncation(void **state)
{
	(void)state;
	char buf[32];

	/* Size 0 writes nothing, even with a valid buffer; NULL is fine then. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 0, "hello %d", 42), 8);
	for (size_t i = 0; i < sizeof(buf); i++) {
		assert_int_equal(buf[i], 'X');
	}
	assert_int_equal(bh_snprintf(NULL, 0, "%s-%08x", "abc", 1u), 12);

	/* Size 1 writes only the NUL. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 1, "hello"), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');

	/* The return value is the full length; output is cut and NUL-terminated. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 5, "hello world"), 11);
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], 'X');

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 5, "abcde"), 5);
	assert_string_equal(buf, "abcd");

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 6, "abcde"), 5);
	assert_string_equal(buf, "abcde");
	assert_int_equal(buf[6], 'X');

	/* Cut inside padding, prefix and digits of a number. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 4, "%08x", 0xbeefu), 8);
	assert_string_equal(buf, "000");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 2, "%x", 0xbeefu), 4);
	assert_string_equal(buf, "b");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 3, "%-6d|", -123), 7);
	assert_string_equal(buf, "-1");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 8, "%10s", "abc"), 10);
	assert_string_equal(buf, "       ");

	memset(buf, 'X', sizeof(buf));
	const char *empty = "";
	assert_int_equal(bh_snprintf(buf, sizeof(buf), empty), 0);
	assert_string_equal(buf, "");
}

static void test_null_string(void **state)
{
	(void)state;
	const char *volatile null_str = NULL;
	EXPECT("(null)", "%s", null_str);
	EXPECT("  (null)", "%8s", null_str);
}

static void test_unknown_and_trailing_percent(void **state)
{
	(void)state;
	/* Non-literal formats: gcc would reject these at compile time. */
	const char *q = "%q", *q_then_d = "%q%d", *wide_q = "[%5q]", *lq = "%lq|%s";
	EXPECT("%q", q);
	/* An unknown conversion consumes no argument. */
	EXPECT("%q7", q_then_d, 7);
	EXPECT("[%5q]", wide_q);
	EXPECT("%lq|ok", lq, "ok");
	/* What EL2 does not use is unknown too (scripts/lint.sh keeps it out). */
	const char *unused = "%c|%p|%+d|%#x|%hd|%*d|%X|%o|%i|%jd";
	EXPECT("%c|%p|%+d|%#x|%hd|%*d|%X|%o|%i|%jd", unused);

	const char *lone = "%", *trailing = "abc%", *after_d = "%d%";
	EXPECT("%", lone);
	EXPECT("abc%", trailing);
	EXPECT("3%", after_d, 3);

	/* Truncation applies to the verbatim text too. */
	char buf[4];
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(bh_snprintf(buf, 3, trailing), 4);
	assert_string_equal(buf, "ab");
	assert_int_equal(buf[3], 'X');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int_signed),
		cmocka_unit_test(test_int_unsigned),
		cmocka_unit_test(test_long_long),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_misc_against_libc),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_unknown_and_trailing_percent),
	};
	return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
