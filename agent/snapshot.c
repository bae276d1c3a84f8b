/* STUB - replaced by the loader work. */
#include "snapshot.h"
#include "util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void snapshot_limits_default(struct snap_limits *l)
{
	l->max_bytes = (size_t)4 << 30;
	l->max_items = 4000000;
	l->max_nodes = 50000;
	l->max_item_bytes = 16 << 20;
}

int snapshot_load(const char *path, const struct snap_limits *lim,
		  const struct snapshot *prev, struct snapshot **out,
		  char *err, size_t errlen)
{
	(void)lim; (void)prev; (void)out;
	return errf(err, errlen, ENOSYS, "%s: loader not written", path);
}

int snapshot_parse(const char *buf, size_t len, const char *name,
		   const struct snap_limits *lim, struct snapshot **out,
		   char *err, size_t errlen)
{
	(void)buf; (void)len; (void)lim; (void)out;
	return errf(err, errlen, ENOSYS, "%s: loader not written", name);
}

const struct node *snapshot_find_node(const struct snapshot *s,
				      const char *name)
{
	for (size_t i = 0; i < s->n_nodes; i++)
		if (!strcmp(s->nodes[i].name, name))
			return &s->nodes[i];
	return NULL;
}

void snapshot_free(struct snapshot *s)
{
	free(s);
}
