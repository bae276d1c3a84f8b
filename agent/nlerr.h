/*
 * nlerr.h - libnl's error space folded into errno at the module boundary.
 */
#ifndef SNAPNET_NLERR_H
#define SNAPNET_NLERR_H

/* NLE_* (either sign) -> positive errno; unknown codes become EIO. */
int nlerr_errno(int nle);

#endif
