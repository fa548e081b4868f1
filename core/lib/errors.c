// SPDX-License-Identifier: MIT
#include <core/types.h>

const char *bh_strerror(int err)
{
	/* Indexed by -err: the codes are 0 and small negative numbers (types.h). */
	static const char *const names[] = {
		[-BH_OK] = "success",
		[-BH_EINVAL] = "invalid input",
		[-BH_ENOMEM] = "out of table space",
		[-BH_ENOENT] = "not found",
		[-BH_EEXIST] = "already exists",
		[-BH_ERANGE] = "out of range",
		[-BH_EIO] = "refused by hardware or firmware",
		[-BH_ETIMEOUT] = "timed out",
		[-BH_ENOTSUP] = "not supported",
	};
	return err <= 0 && err > -(int)ARRAY_SIZE(names) ? names[-err] : "unknown error";
}
