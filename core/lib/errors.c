// SPDX-License-Identifier: MIT
#include <core/types.h>

const char *bh_strerror(int err)
{
	switch (err) {
	case BH_OK:
		return "success";
	case BH_EINVAL:
		return "invalid input";
	case BH_ENOMEM:
		return "out of table space";
	case BH_ENOENT:
		return "not found";
	case BH_EEXIST:
		return "already exists";
	case BH_ERANGE:
		return "out of range";
	case BH_EIO:
		return "refused by hardware or firmware";
	case BH_ETIMEOUT:
		return "timed out";
	case BH_ENOTSUP:
		return "not supported";
	default:
		return "unknown error";
	}
}
