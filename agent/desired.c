/* STUB - replaced by the routes work. */
#include "desired.h"
#include "util.h"
#include <errno.h>
#include <stdlib.h>

int desired_build(const struct snapshot *s, const struct config *c,
		  const char *node_name, struct desired **out,
		  char *err, size_t errlen)
{
	(void)s; (void)c; (void)out;
	return errf(err, errlen, ENOSYS, "%s: desired not written", node_name);
}

void desired_free(struct desired *d)
{
	free(d);
}
