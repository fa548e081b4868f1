// SPDX-License-Identifier: MIT
/*
 * mkinitramfs: writes an initramfs (cpio "newc", uncompressed, which the
 * kernel accepts as is) from a list of entries, without needing root for
 * device nodes. Entries, one per argument:
 *
 *   dir  PATH MODE
 *   file PATH MODE HOSTFILE
 *   nod  PATH MODE c|b MAJOR MINOR
 *   slink PATH TARGET
 *
 * Usage: mkinitramfs -o OUT.cpio ENTRY... (each entry's words joined by ':',
 * e.g. "file:/init:0755:guest-sdk/linux/init"). Everything is owned by root,
 * with mtime 0, so the archive is the same from build to build.
 * Format: the kernel's Documentation/driver-api/early-userspace/buffer-format.rst.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* File types in cpio's mode field (the same values as POSIX's S_IF*). */
#define C_ISDIR 0040000U
#define C_ISCHR 0020000U
#define C_ISBLK 0060000U
#define C_ISREG 0100000U
#define C_ISLNK 0120000U

static FILE *out;
static unsigned long offset;
static unsigned ino = 1;

static void pad4(void)
{
	while (offset % 4 != 0) {
		fputc(0, out);
		offset++;
	}
}

/* One entry's header and name; major/minor are the device number of a node. */
static void header(const char *name, unsigned mode, unsigned long size, unsigned major,
		   unsigned minor)
{
	size_t name_len = strlen(name) + 1;
	int n = fprintf(out, "070701%08X%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08zX%08X", ino++,
			mode, 0U, 0U, 1U, 0U, size, 0U, 0U, major, minor, name_len, 0U);
	offset += (unsigned long)n;
	fwrite(name, 1, name_len, out);
	offset += name_len;
	pad4();
}

static int add_file(const char *name, unsigned mode, const char *host)
{
	FILE *in = fopen(host, "rb");
	if (in == NULL) {
		fprintf(stderr, "mkinitramfs: %s: %s\n", host, strerror(errno));
		return 1;
	}
	fseek(in, 0, SEEK_END);
	long size = ftell(in);
	fseek(in, 0, SEEK_SET);
	header(name, C_ISREG | mode, (unsigned long)size, 0, 0);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, out);
		offset += n;
	}
	fclose(in);
	pad4();
	return 0;
}

static int add_entry(char *spec)
{
	char *fields[6] = {0};
	int count = 0;
	for (char *tok = strtok(spec, ":"); tok != NULL && count < 6; tok = strtok(NULL, ":")) {
		fields[count++] = tok;
	}
	if (count < 3) {
		fprintf(stderr, "mkinitramfs: bad entry (too few fields)\n");
		return 1;
	}
	const char *name = fields[1][0] == '/' ? fields[1] + 1 : fields[1];
	if (strcmp(fields[0], "slink") == 0) {
		header(name, C_ISLNK | 0777, strlen(fields[2]), 0, 0);
		fwrite(fields[2], 1, strlen(fields[2]), out);
		offset += strlen(fields[2]);
		pad4();
		return 0;
	}
	unsigned mode = (unsigned)strtoul(fields[2], NULL, 8) & 07777;
	if (strcmp(fields[0], "dir") == 0) {
		header(name, C_ISDIR | mode, 0, 0, 0);
		return 0;
	}
	if (strcmp(fields[0], "file") == 0 && count == 4) {
		return add_file(name, mode, fields[3]);
	}
	if (strcmp(fields[0], "nod") == 0 && count == 6) {
		unsigned type = fields[3][0] == 'b' ? C_ISBLK : C_ISCHR;
		header(name, type | mode, 0, (unsigned)strtoul(fields[4], NULL, 0),
		       (unsigned)strtoul(fields[5], NULL, 0));
		return 0;
	}
	fprintf(stderr, "mkinitramfs: bad entry '%s'\n", fields[0]);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "-o") != 0) {
		fprintf(stderr, "usage: mkinitramfs -o OUT.cpio ENTRY...\n");
		return 2;
	}
	out = fopen(argv[2], "wb");
	if (out == NULL) {
		fprintf(stderr, "mkinitramfs: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		if (add_entry(argv[i]) != 0) {
			fclose(out);
			remove(argv[2]);
			return 1;
		}
	}
	header("TRAILER!!!", 0, 0, 0, 0);
	while (offset % 512 != 0) {
		fputc(0, out);
		offset++;
	}
	return fclose(out) == 0 ? 0 : 1;
}
