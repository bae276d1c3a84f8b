/*
 * nlerr.c - one map from libnl's NLE_* codes to errno, shared by every
 * module that talks rtnetlink through libnl, so callers and the status
 * file see the same errno for the same kernel answer.
 */
#include "nlerr.h"

#include <errno.h>
#include <netlink/errno.h>

#include "util.h"

static const struct {
	int nle, err;
} map[] = {
	{ NLE_EXIST, EEXIST },        { NLE_NOMEM, ENOMEM },
	{ NLE_INVAL, EINVAL },        { NLE_RANGE, ERANGE },
	{ NLE_OPNOTSUPP, EOPNOTSUPP }, { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
	{ NLE_OBJ_NOTFOUND, ENOENT }, { NLE_NODEV, ENODEV },
	{ NLE_NOADDR, EADDRNOTAVAIL }, { NLE_BUSY, EBUSY },
	{ NLE_NOACCESS, EACCES },     { NLE_PERM, EPERM },
	{ NLE_AGAIN, EAGAIN },        { NLE_INTR, EINTR },
	{ NLE_MSGSIZE, EMSGSIZE },
};

int nlerr_errno(int nle)
{
	int code = nle < 0 ? -nle : nle;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].nle == code)
			return map[i].err;
	return EIO;
}
