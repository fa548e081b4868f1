// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * /dev/bulkhead: the root partition's management device (docs/linux-vmbus.md,
 * "Management"), the ioctls of include/bulkhead/manage_dev.h over the
 * management hypercalls (include/bulkhead/abi.h, "Management") and the root's
 * side of the integration channels (integ.c).
 *
 * Only the root has it: a child's management calls are refused and counted
 * by the hypervisor, so a child never makes one, not even to find out.
 *
 * The hypervisor answers INVALID for every refusal; STATUS after it tells
 * the caller's errno apart: no such partition (ENOENT), the root as a target
 * or an argument that does not fit (EINVAL), a partition in a state that
 * does not allow the call (EBUSY).
 */
#include <linux/arm-smccc.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <bulkhead/manage_dev.h>

#include "bulkhead.h"

#define BH_MGMT_ABI_MIN	 0x00010004 /* the management calls came with ABI 1.4 */
#define BH_MGMT_MAX_IDS	 256	    /* partition ids are 8 bits (docs/hypercalls.md) */
#define BH_LOAD_PIECE	 SZ_1M	    /* the most the bounce buffer holds */
#define BH_CONSOLE_STAGE 1024	    /* console bytes gathered per copy_to_user */

static unsigned int partitions; /* ids 0 .. partitions - 1 */
static bool registered;

/* The management service's notes (BH_MGMT_IOC_SET_NOTE), one per partition. */
static DEFINE_MUTEX(notes_mutex);
static char (*notes)[sizeof(((struct bh_mgmt_note *)0)->note)];

static struct arm_smccc_1_2_regs mgmt_call(u32 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	struct arm_smccc_1_2_regs args = {
		.a0 = fn, .a1 = a1, .a2 = a2, .a3 = a3, .a4 = a4, .a5 = a5};
	struct arm_smccc_1_2_regs res;

	arm_smccc_1_2_hvc(&args, &res);
	return res;
}

/* A bit per BH_PARTITION_* state. */
#define STATE(s)       (1U << (s))
#define STOPPED_STATES (STATE(BH_PARTITION_STOPPED) | STATE(BH_PARTITION_CRASHED))
#define RUNNING_STATES STATE(BH_PARTITION_RUNNING)

/* errno for a call on partition `id` the hypervisor refused; `allowed`: the states it needs. */
static int refused(u32 id, u32 allowed)
{
	struct arm_smccc_1_2_regs st = mgmt_call(BH_HVC_PARTITION_STATUS, id, 0, 0, 0, 0);

	if ((long)st.a0 == BH_HVC_DENIED)
		return -EPERM;
	if ((long)st.a0 != BH_HVC_OK)
		return -ENOENT;
	if (id == 0 || st.a1 >= 32 || (allowed & STATE(st.a1)))
		return -EINVAL; /* the root itself, or an argument that does not fit */
	return -EBUSY;
}

static int errno_of(long result, u32 id, u32 allowed)
{
	switch (result) {
	case BH_HVC_OK:
		return 0;
	case BH_HVC_DENIED:
		return -EPERM;
	case BH_HVC_INVALID:
		return refused(id, allowed);
	default:
		return -EIO; /* not an answer the ABI defines */
	}
}

/*
 * Copies an ioctl's argument in. Its first member is a partition id, which
 * must be one the hypervisor knows (ids are dense: the count taken at load).
 */
static int copy_in(void *arg, const void __user *uarg, size_t size)
{
	u32 id;

	if (copy_from_user(arg, uarg, size))
		return -EFAULT;
	memcpy(&id, arg, sizeof(id));
	return id < partitions ? 0 : -ENOENT;
}

/* ------------------------------------------------------------------ STATUS */

/* The last stop reason, 32 bytes a call, NUL-terminated in `out`. */
static void stop_reason(u32 id, char *out, size_t size)
{
	size_t done = 0;

	while (done < size - 1) {
		struct arm_smccc_1_2_regs r =
			mgmt_call(BH_HVC_PARTITION_STOP_REASON, id, done, 0, 0, 0);
		u64 chunk[4] = {r.a1, r.a2, r.a3, r.a4};
		long length = (long)r.a0;
		size_t n;

		if (length < 0 || (u64)length <= done)
			break;
		n = min3((size_t)length - done, sizeof(chunk), size - 1 - done);
		memcpy(out + done, chunk, n);
		done += n;
	}
	out[done] = '\0';
}

static int mgmt_status(struct bh_mgmt_status __user *arg)
{
	struct bh_mgmt_status *st;
	struct arm_smccc_1_2_regs r;
	char name[BH_NAME_LEN];
	u32 id;
	int rc;

	if (get_user(id, &arg->id))
		return -EFAULT;
	r = mgmt_call(BH_HVC_PARTITION_STATUS, id, 0, 0, 0, 0);
	if ((long)r.a0 != BH_HVC_OK)
		return (long)r.a0 == BH_HVC_DENIED ? -EPERM : -ENOENT;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->id = id;
	st->state = (u32)r.a1;
	st->vcpus = (u32)r.a2;
	st->cpu_mask = r.a3;
	st->memory = r.a4;
	st->starts = (u32)r.a5;
	st->denied = (u32)(r.a5 >> 32);
	bh_name_from_regs(r.a6, r.a7, name);
	memcpy(st->name, name, sizeof(st->name));
	stop_reason(id, st->stop_reason, sizeof(st->stop_reason));
	bh_integ_status(id, st);
	mutex_lock(&notes_mutex);
	if (id < partitions)
		memcpy(st->note, notes[id], sizeof(st->note));
	mutex_unlock(&notes_mutex);
	rc = copy_to_user(arg, st, sizeof(*st)) ? -EFAULT : 0;
	kfree(st);
	return rc;
}

/* ------------------------------------------------------------------ START, STOP, RESTART */

static int mgmt_lifecycle(u32 fn, u32 __user *arg)
{
	u32 id;

	if (get_user(id, arg))
		return -EFAULT;
	return errno_of((long)mgmt_call(fn, id, 0, 0, 0, 0).a0, id,
			fn == BH_HVC_PARTITION_START ? STOPPED_STATES : RUNNING_STATES);
}

/* ------------------------------------------------------------------ LOAD */

/* A physically contiguous buffer the hypervisor reads by IPA: up to `want` bytes, 1 MiB at most. */
static void *bounce_alloc(u64 want, size_t *size)
{
	unsigned int order = get_order(min_t(u64, want, BH_LOAD_PIECE));

	for (;;) {
		void *buf =
			(void *)__get_free_pages(GFP_KERNEL | (order ? __GFP_NOWARN : 0), order);

		if (buf || order == 0) {
			*size = PAGE_SIZE << order;
			return buf;
		}
		order--; /* fragmented memory: smaller pieces, more calls */
	}
}

static int load_piece(const struct bh_mgmt_load *ld, void *buf, u64 offset, size_t n)
{
	const u8 __user *src = u64_to_user_ptr(ld->data) + offset;
	long result;

	if (copy_from_user(buf, src, n))
		return -EFAULT;
	/*
	 * The root's RAM is normal cacheable memory, and the hypervisor reads it
	 * through a cacheable mapping of its own: the copy above is what it sees.
	 */
	result = (long)mgmt_call(BH_HVC_PARTITION_LOAD, ld->id, ld->image, virt_to_phys(buf), n,
				 offset)
			 .a0;
	return errno_of(result, ld->id, STOPPED_STATES);
}

static int mgmt_load(const struct bh_mgmt_load __user *arg)
{
	struct bh_mgmt_load ld;
	size_t cap;
	u64 offset;
	void *buf;
	int rc = 0;

	if (copy_from_user(&ld, arg, sizeof(ld)))
		return -EFAULT;
	if (ld.size == 0)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(ld.data), ld.size))
		return -EFAULT;
	buf = bounce_alloc(ld.size, &cap);
	if (!buf)
		return -ENOMEM;
	/*
	 * An image larger than the buffer goes in several calls, and the first
	 * one (offset 0) clears the old image. Its last byte goes first: the
	 * hypervisor checks it against the slot, so an image that cannot fit is
	 * refused before anything of the old one is lost.
	 */
	if (ld.size > cap)
		rc = load_piece(&ld, buf, ld.size - 1, 1);
	for (offset = 0; !rc && offset < ld.size; offset += cap) {
		if (signal_pending(current)) {
			rc = -EINTR; /* the image is incomplete: it must be loaded again */
			break;
		}
		rc = load_piece(&ld, buf, offset, min_t(u64, cap, ld.size - offset));
		cond_resched();
	}
	free_pages((unsigned long)buf, get_order(cap));
	return rc;
}

/* ------------------------------------------------------------------ CONSOLE */

/* Hands the staged console bytes to the caller's buffer, which holds `done` bytes with them. */
static int console_flush(const struct bh_mgmt_console *con, u32 done, const u8 *stage, u32 *staged)
{
	if (*staged && copy_to_user(u64_to_user_ptr(con->data) + done - *staged, stage, *staged))
		return -EFAULT;
	*staged = 0;
	return 0;
}

static int mgmt_console(struct bh_mgmt_console __user *arg)
{
	struct bh_mgmt_console con;
	u8 *stage;
	u32 done = 0, staged = 0;
	u64 position, end = 0, missed = 0;
	int rc = 0;

	if (copy_from_user(&con, arg, sizeof(con)))
		return -EFAULT;
	if (!access_ok(u64_to_user_ptr(con.data), con.size))
		return -EFAULT;
	stage = kmalloc(BH_CONSOLE_STAGE, GFP_KERNEL);
	if (!stage)
		return -ENOMEM;
	position = con.position;
	while (!rc) {
		struct arm_smccc_1_2_regs r =
			mgmt_call(BH_HVC_PARTITION_CONSOLE, con.id, position, 0, 0, 0);
		u64 chunk[4] = {r.a3, r.a4, r.a5, r.a6};
		long n = (long)r.a0;
		u32 take;

		if (n < 0) {
			rc = errno_of(n, con.id,
				      ~0U); /* a position past the end, or no such partition */
			break;
		}
		if (n > BH_HVC_CONSOLE_CHUNK || r.a1 < position || r.a2 < r.a1 + n) {
			rc = -EIO; /* not an answer the ABI defines */
			break;
		}
		missed += r.a1 - position; /* written over before it could be read */
		end = r.a2;
		take = min_t(u32, (u32)n, con.size - done);
		memcpy(stage + staged, chunk, take);
		staged += take;
		done += take;
		position = r.a1 + take;
		if (n == 0 || done == con.size)
			break; /* caught up, or the buffer is full */
		if (staged + BH_HVC_CONSOLE_CHUNK > BH_CONSOLE_STAGE) {
			rc = console_flush(&con, done, stage, &staged);
			cond_resched();
		}
	}
	if (!rc)
		rc = console_flush(&con, done, stage, &staged);
	kfree(stage);
	if (rc)
		return rc;
	con.size = done;
	con.position = position;
	con.end = end;
	con.missed = missed;
	return copy_to_user(arg, &con, sizeof(con)) ? -EFAULT : 0;
}

/* ------------------------------------------------------------------ integration and notes */

static int mgmt_shutdown(struct bh_mgmt_shutdown __user *arg)
{
	struct bh_mgmt_shutdown req;
	int rc;

	rc = copy_in(&req, arg, sizeof(req));
	if (rc)
		return rc;
	if (req.id == 0 || req.action > BH_INTEG_SHUTDOWN_REBOOT)
		return -EINVAL;
	req.reason[sizeof(req.reason) - 1] = '\0';
	rc = bh_integ_shutdown(req.id, req.action, req.timeout_ms, req.reason, &req.request);
	if (rc)
		return rc;
	return put_user(req.request, &arg->request);
}

static int mgmt_set_note(const struct bh_mgmt_note __user *arg)
{
	struct bh_mgmt_note note;
	int rc;

	rc = copy_in(&note, arg, sizeof(note));
	if (rc)
		return rc;
	note.note[sizeof(note.note) - 1] = '\0';
	mutex_lock(&notes_mutex);
	memcpy(notes[note.id], note.note, sizeof(note.note));
	mutex_unlock(&notes_mutex);
	return 0;
}

static int mgmt_set_heartbeat(const struct bh_mgmt_heartbeat __user *arg)
{
	struct bh_mgmt_heartbeat hb;
	int rc;

	rc = copy_in(&hb, arg, sizeof(hb));
	if (rc)
		return rc;
	if (hb.id == 0 || hb.period_ms > BH_INTEG_HEARTBEAT_MAX_MS)
		return -EINVAL;
	return bh_integ_set_heartbeat(hb.id, hb.period_ms);
}

static long mgmt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case BH_MGMT_IOC_COUNT:
		return put_user(partitions, (u32 __user *)uarg);
	case BH_MGMT_IOC_STATUS:
		return mgmt_status(uarg);
	case BH_MGMT_IOC_START:
		return mgmt_lifecycle(BH_HVC_PARTITION_START, uarg);
	case BH_MGMT_IOC_STOP:
		return mgmt_lifecycle(BH_HVC_PARTITION_STOP, uarg);
	case BH_MGMT_IOC_RESTART:
		return mgmt_lifecycle(BH_HVC_PARTITION_RESTART, uarg);
	case BH_MGMT_IOC_LOAD:
		return mgmt_load(uarg);
	case BH_MGMT_IOC_CONSOLE:
		return mgmt_console(uarg);
	case BH_MGMT_IOC_SHUTDOWN:
		return mgmt_shutdown(uarg);
	case BH_MGMT_IOC_SET_NOTE:
		return mgmt_set_note(uarg);
	case BH_MGMT_IOC_SET_HEARTBEAT:
		return mgmt_set_heartbeat(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mgmt_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mgmt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mgmt_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bulkhead",
	.fops = &mgmt_fops,
	.mode = 0600,
};

/* ------------------------------------------------------------------ load and unload */

int bh_mgmt_init(void)
{
	/* SMCCC 1.2 calls: INFO returns up to x4, which a 1.1 call does not expect to change. */
	struct arm_smccc_1_2_regs version = mgmt_call(BH_HVC_VERSION, 0, 0, 0, 0, 0);
	struct arm_smccc_1_2_regs info = mgmt_call(BH_HVC_PARTITION_INFO, 0, 0, 0, 0, 0);
	int rc;

	if ((long)version.a0 < BH_MGMT_ABI_MIN ||
	    (version.a0 >> 16) != (BH_HVC_ABI_VERSION >> 16) || (long)info.a0 != BH_HVC_OK ||
	    info.a1 != 0)
		return 0; /* not the root (or no management calls): no device */
	while (partitions < BH_MGMT_MAX_IDS &&
	       (long)mgmt_call(BH_HVC_PARTITION_STATUS, partitions, 0, 0, 0, 0).a0 == BH_HVC_OK)
		partitions++;
	notes = kcalloc(partitions, sizeof(*notes), GFP_KERNEL);
	if (!notes)
		return -ENOMEM;
	rc = misc_register(&mgmt_dev);
	if (rc) {
		kfree(notes);
		notes = NULL;
		return rc;
	}
	registered = true;
	pr_info("bulkhead: /dev/bulkhead manages %u partitions\n", partitions);
	return 0;
}

void bh_mgmt_exit(void)
{
	if (registered)
		misc_deregister(&mgmt_dev);
	registered = false;
	kfree(notes);
	notes = NULL;
}
