/* SPDX-License-Identifier: MIT */
/* Bulkhead hypercalls (docs/hypercalls.md): HVC #0, SMC Calling Convention. */
#include "internal.h"

#include <string.h>

#define ID_AA64PFR0_EL2_SHIFT 8
#define ID_AA64PFR0_EL2_MASK  0xfU

struct bh_smccc_result bh_hvc_call(uint32_t function_id, uint64_t arg1, uint64_t arg2,
				   uint64_t arg3, uint64_t arg4, uint64_t arg5)
{
	register uint64_t x0 __asm__("x0") = function_id;
	register uint64_t x1 __asm__("x1") = arg1;
	register uint64_t x2 __asm__("x2") = arg2;
	register uint64_t x3 __asm__("x3") = arg3;
	register uint64_t x4 __asm__("x4") = arg4;
	register uint64_t x5 __asm__("x5") = arg5;
	register uint64_t x6 __asm__("x6");
	register uint64_t x7 __asm__("x7");

	/* Results come back in x0-x7; x8-x17 may be clobbered (ABI 1.1). */
	__asm__ volatile(
		"hvc #0"
		: "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "=r"(x6), "=r"(x7)
		:
		: "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return (struct bh_smccc_result){x0, x1, x2, x3, x4, x5, x6, x7};
}

bool bh_hypervisor_present(void)
{
	uint64_t pfr0;

	__asm__("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
	return ((pfr0 >> ID_AA64PFR0_EL2_SHIFT) & ID_AA64PFR0_EL2_MASK) != 0;
}

uint32_t bh_hvc_version(void)
{
	return (uint32_t)bh_hvc_call(BH_HVC_VERSION, 0, 0, 0, 0, 0).x0;
}

int bh_vcpu_stats(uint64_t *exits, uint64_t *el2_instructions)
{
	struct bh_smccc_result result = bh_hvc_call(BH_HVC_VCPU_STATS, 0, 0, 0, 0, 0);
	*exits = result.x1;
	*el2_instructions = result.x2;
	return (int)result.x0;
}

int bh_partition_info(struct bh_partition_info *info)
{
	struct bh_smccc_result result = bh_hvc_call(BH_HVC_PARTITION_INFO, 0, 0, 0, 0, 0);

	if ((int64_t)result.x0 != BH_HVC_OK) {
		return (int)(int64_t)result.x0;
	}
	info->partition_id = (uint32_t)result.x1;
	info->vcpu_count = (uint32_t)result.x2;
	info->vcpu = (uint32_t)result.x3;
	info->physical_cpu_mask = result.x4;
	return BH_HVC_OK;
}

int bh_partition_name(char name[17])
{
	struct bh_smccc_result result = bh_hvc_call(BH_HVC_PARTITION_NAME, 0, 0, 0, 0, 0);

	if ((int64_t)result.x0 != BH_HVC_OK) {
		name[0] = '\0';
		return (int)(int64_t)result.x0;
	}
	bh_name_from_regs(result.x1, result.x2, name);
	return BH_HVC_OK;
}

void bh_name_from_regs(uint64_t lo, uint64_t hi, char name[17])
{
	/* Little endian: the first character is lo[7:0], as in memory on this CPU. */
	memcpy(name, &lo, 8);
	memcpy(name + 8, &hi, 8);
	name[16] = '\0';
}

/*
 * A string the hypervisor returns 32 bytes a call from an offset (BOOTARGS,
 * STOP_REASON): the offset goes in x1, or in x2 after `id` if has_id.
 */
static int read_string(uint32_t fn, bool has_id, uint64_t id, char *buf, size_t size)
{
	size_t done = 0;
	int64_t length;

	if (size == 0) {
		return BH_HVC_INVALID;
	}
	do {
		struct bh_smccc_result result =
			bh_hvc_call(fn, has_id ? id : done, has_id ? done : 0, 0, 0, 0);
		uint64_t chunk[4] = {result.x1, result.x2, result.x3, result.x4};
		size_t n;

		length = (int64_t)result.x0;
		if (length < 0) {
			buf[0] = '\0';
			return (int)length;
		}
		n = (size_t)length - done;
		n = n < sizeof(chunk) ? n : sizeof(chunk);
		n = n < size - 1 - done ? n : size - 1 - done;
		memcpy(buf + done, chunk, n);
		done += n;
	} while (done < (size_t)length && done < size - 1);
	buf[done] = '\0';
	return (int)length;
}

int bh_bootargs(char *buf, size_t size)
{
	return read_string(BH_HVC_BOOTARGS, false, 0, buf, size);
}

int bh_crash_report(uint64_t code, const char *text)
{
	uint64_t regs[BH_HVC_CRASH_TEXT_SIZE / 8] = {0}; /* x2-x5, NUL-padded */
	size_t n = 0;

	while (n < sizeof(regs) && text[n] != '\0') {
		n++;
	}
	memcpy(regs, text, n);
	return (int)(int64_t)bh_hvc_call(BH_HVC_CRASH, code, regs[0], regs[1], regs[2], regs[3]).x0;
}

/* ------------------------------------------------------------ managing partitions */

int bh_partition_status(unsigned id, struct bh_partition_status *status)
{
	struct bh_smccc_result result = bh_hvc_call(BH_HVC_PARTITION_STATUS, id, 0, 0, 0, 0);

	if ((int64_t)result.x0 != BH_HVC_OK) {
		return (int)(int64_t)result.x0;
	}
	status->state = (uint32_t)result.x1;
	status->vcpu_count = (uint32_t)result.x2;
	status->physical_cpu_mask = result.x3;
	status->memory_bytes = result.x4;
	status->starts = (uint32_t)result.x5;
	status->denied_calls = (uint32_t)(result.x5 >> 32);
	bh_name_from_regs(result.x6, result.x7, status->name);
	return BH_HVC_OK;
}

const char *bh_partition_state_name(uint32_t state)
{
	static const char *const names[] = {
		[BH_PARTITION_STOPPED] = "stopped",	  [BH_PARTITION_RUNNING] = "running",
		[BH_PARTITION_RESTARTING] = "restarting", [BH_PARTITION_STARTING] = "starting",
		[BH_PARTITION_STOPPING] = "stopping",	  [BH_PARTITION_LOADING] = "loading",
		[BH_PARTITION_CRASHED] = "crashed",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

int bh_partition_stop_reason(unsigned id, char *buf, size_t size)
{
	return read_string(BH_HVC_PARTITION_STOP_REASON, true, id, buf, size);
}

int bh_partition_start(unsigned id)
{
	return (int)(int64_t)bh_hvc_call(BH_HVC_PARTITION_START, id, 0, 0, 0, 0).x0;
}

int bh_partition_stop(unsigned id)
{
	return (int)(int64_t)bh_hvc_call(BH_HVC_PARTITION_STOP, id, 0, 0, 0, 0).x0;
}

int bh_partition_restart(unsigned id)
{
	return (int)(int64_t)bh_hvc_call(BH_HVC_PARTITION_RESTART, id, 0, 0, 0, 0).x0;
}

int bh_partition_load(unsigned id, unsigned image, const void *data, size_t size)
{
	/* The SDK's identity map: an address is its IPA. */
	return (int)(int64_t)bh_hvc_call(BH_HVC_PARTITION_LOAD, id, image, (uintptr_t)data, size, 0)
		.x0;
}

int bh_partition_console(unsigned id, uint64_t *position, char *buf, size_t size, uint64_t *missed)
{
	size_t done = 0;

	if (missed != NULL) {
		*missed = 0;
	}
	while (done < size) {
		struct bh_smccc_result result =
			bh_hvc_call(BH_HVC_PARTITION_CONSOLE, id, *position, 0, 0, 0);
		uint64_t chunk[4] = {result.x3, result.x4, result.x5, result.x6};
		int64_t n = (int64_t)result.x0;
		size_t take;

		if (n <= 0) {
			return n < 0 ? (int)n : (int)done;
		}
		if (missed != NULL) {
			*missed += result.x1 - *position; /* written over before it was read */
		}
		take = (size_t)n < size - done ? (size_t)n : size - done;
		memcpy(buf + done, chunk, take);
		done += take;
		*position = result.x1 + take;
	}
	return (int)done;
}

bool bh_bootarg(const char *key, char *value, size_t size)
{
	char args[256];
	size_t key_len = strlen(key);
	const char *p = args;

	if (bh_bootargs(args, sizeof(args)) < 0) {
		return false;
	}
	while (*p != '\0') {
		size_t word = strcspn(p, " ");
		if (word >= key_len && strncmp(p, key, key_len) == 0 &&
		    (word == key_len || p[key_len] == '=')) {
			const char *v = word == key_len ? p + word : p + key_len + 1;
			size_t n = (size_t)(p + word - v);
			if (size > 0) {
				n = n < size - 1 ? n : size - 1;
				memcpy(value, v, n);
				value[n] = '\0';
			}
			return true;
		}
		p += word;
		p += strspn(p, " ");
	}
	return false;
}
