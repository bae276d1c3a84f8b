/*
 * registry.c - the one table of functions. Adding a function is its
 * folder, a line here and its folder in the Makefile's FUNCTIONS.
 *
 * The order is the order of a pass: the CNI bridge and its connected
 * pod CIDR come before routes that point elsewhere.
 */
#include <string.h>

#include "core/function.h"

/* Each function's folder defines its entry; only the linker joins them,
 * so the core includes no function's header. */
extern const struct function cni_function;
extern const struct function routes_function;
extern const struct function router_function;
extern const struct function firewall_function;

const struct function *const functions[] = {
	&cni_function,
	&routes_function,
	&router_function,
	&firewall_function,
};

const size_t n_functions = sizeof(functions) / sizeof(functions[0]);

_Static_assert(sizeof(functions) / sizeof(functions[0]) <= CONFIG_SECTIONS_MAX,
	       "raise CONFIG_SECTIONS_MAX");

int function_index(const char *name)
{
	for (size_t i = 0; i < n_functions; i++)
		if (!strcmp(functions[i]->name, name))
			return (int)i;
	return -1;
}
