/* STUB - replaced by the routes work. */
#include "route.h"
#include "util.h"
#include <errno.h>
#include <stdio.h>

int route_plan(const struct config *c, const struct route_want *want,
	       size_t n_want, const struct route *have, size_t n_have,
	       const struct connected *conn, size_t n_conn,
	       struct route_op **ops, size_t *n_ops)
{
	(void)c; (void)want; (void)n_want; (void)have; (void)n_have;
	(void)conn; (void)n_conn; (void)ops; (void)n_ops;
	return -ENOSYS;
}

char *route_op_format(const struct route_op *op, char *buf, size_t len)
{
	(void)op;
	snprintf(buf, len, "route ?");
	return buf;
}

int route_reconcile(struct pass *p, struct func_result *r)
{
	(void)p; (void)r;
	return -ENOSYS;
}

int route_cleanup(const struct config *c, struct func_result *r)
{
	(void)c; (void)r;
	return -ENOSYS;
}
