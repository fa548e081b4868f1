// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A panic reported to the hypervisor (BH_HVC_CRASH, docs/linux-vmbus.md,
 * "Crash reports"), as a Hyper-V guest writes its crash registers: the
 * partition stops as crashed at once, with the panic message's first 32 bytes
 * in its stop reason, so the root's crash policy applies without waiting for
 * a watchdog.
 *
 * The notifier runs last (lowest priority), after every other panic notifier,
 * and stands aside when a crash kernel is loaded (kdump takes the panic) and,
 * in the root, when the kernel reboots itself after a panic (panic=N): nobody
 * would start a root stopped as crashed again. What runs after the panic
 * notifiers (kmsg dumpers such as pstore) does not run: crash_report=0 keeps
 * the kernel's own panic handling.
 */
#include <linux/arm-smccc.h>
#include <linux/kexec.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/panic.h>
#include <linux/panic_notifier.h>

#include "bulkhead.h"

#define BH_CRASH_ABI_MIN 0x00010005 /* BH_HVC_CRASH came with ABI 1.5 */

static bool crash_report = true;
module_param(crash_report, bool, 0644);
MODULE_PARM_DESC(crash_report,
		 "report a panic to the hypervisor, which stops the partition as crashed");

static bool is_root;

static int bh_panic(struct notifier_block *nb, unsigned long event, void *data)
{
	struct arm_smccc_1_2_regs args = {.a0 = BH_HVC_CRASH}, res;
	const char *message = data;
	u64 text[BH_HVC_CRASH_TEXT_SIZE / 8] = {0};
	size_t n = 0;

	if (!READ_ONCE(crash_report) || kexec_crash_loaded() || (is_root && panic_timeout != 0))
		return NOTIFY_DONE;
	/* One line: the message up to its newline, NUL-padded (the hypervisor checks it again). */
	while (message && n < sizeof(text) && message[n] != '\0' && message[n] != '\n')
		n++;
	if (n)
		memcpy(text, message, n);
	args.a2 = text[0];
	args.a3 = text[1];
	args.a4 = text[2];
	args.a5 = text[3];
	pr_emerg("bulkhead: reporting the panic to the hypervisor\n");
	arm_smccc_1_2_hvc(&args, &res); /* returns only if the hypervisor has no such call */
	return NOTIFY_DONE;
}

static struct notifier_block bh_panic_block = {
	.notifier_call = bh_panic, .priority = INT_MIN, /* after every other notifier */
};

static bool registered;

void bh_crash_init(void)
{
	struct arm_smccc_1_2_regs args = {.a0 = BH_HVC_VERSION}, version, info;

	arm_smccc_1_2_hvc(&args, &version);
	args.a0 = BH_HVC_PARTITION_INFO;
	arm_smccc_1_2_hvc(&args, &info);
	if ((long)version.a0 < BH_CRASH_ABI_MIN ||
	    (version.a0 >> 16) != (BH_HVC_ABI_VERSION >> 16) || (long)info.a0 != BH_HVC_OK)
		return; /* an older hypervisor: the kernel's own panic handling */
	is_root = info.a1 == 0;
	atomic_notifier_chain_register(&panic_notifier_list, &bh_panic_block);
	registered = true;
}

void bh_crash_exit(void)
{
	if (registered)
		atomic_notifier_chain_unregister(&panic_notifier_list, &bh_panic_block);
	registered = false;
}
