/* STUB - replaced by the CNI work. */
#include "cni.h"
#include "util.h"
#include <errno.h>

int cni_render(const struct config *c, const struct desired *d, char **out)
{
	(void)c; (void)d; (void)out;
	return -ENOSYS;
}

int cni_reconcile(struct pass *p, struct func_result *r)
{
	(void)p; (void)r;
	return -ENOSYS;
}

int cni_cleanup(const struct config *c, struct func_result *r)
{
	(void)c; (void)r;
	return -ENOSYS;
}
