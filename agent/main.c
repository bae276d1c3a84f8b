/*
 * main.c - argv, subcommands and exit codes (the command line contract in
 * README "Command line"). Everything else lives in the modules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/desired.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/reconcile.h"
#include "core/owner.h"
#include "snapshot/snapshot.h"
#include "lib/util.h"

#ifndef SNAPNET_VERSION
#define SNAPNET_VERSION "0.1.0"
#endif

struct opts {
	const char *config, *snapshot, *node;
	bool offline, force, dump;
	int argi; /* first non-option argument */
};

static void usage(FILE *f)
{
	fputs("usage: snapnet COMMAND [options]\n"
	      "  plan     -c CONF [-s SNAP] [--node NAME] [--offline]\n"
	      "           exit 0 nothing to do, 2 changes pending, 1 error\n"
	      "  apply    -c CONF [-s SNAP] [--node NAME] [--force]\n"
	      "  run      -c CONF [--node NAME] [--force]\n"
	      "  validate [--node NAME] [--dump] SNAP\n"
	      "  cleanup  -c CONF\n"
	      "  status   -c CONF\n"
	      "  version\n",
	      f);
}

/* An option a command does not take is an error, never ignored: a user
 * who typed `apply --offline` meant "do not touch my machine". */
static int refuse(const char *cmd, const char *what)
{
	fprintf(stderr, "snapnet %s: %s\n", cmd, what);
	usage(stderr);
	return -EINVAL;
}

static int take_value(const char *cmd, const char *opt, const char **dst)
{
	char what[64];

	if (!*optarg) {
		snprintf(what, sizeof(what), "%s needs a non-empty value", opt);
		return refuse(cmd, what);
	}
	*dst = optarg;
	return 0;
}

static const char *opt_name(int c)
{
	switch (c) {
	case 'c':
		return "-c";
	case 's':
		return "-s";
	case 'n':
		return "--node";
	case 'o':
		return "--offline";
	case 'd':
		return "--dump";
	default:
		return "--force";
	}
}

/* `allowed` holds the short letters of the options cmd takes (o is
 * --offline, f is --force); `nargs` the positional arguments. */
static int parse_opts(int argc, char **argv, const char *allowed, int nargs,
		      struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'n' },
		{ "offline", no_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "dump", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cmd = argv[1];
	char what[64];
	int c, r = 0;

	optind = 2; /* argv[1] is the command */
	opterr = 1;
	while ((c = getopt_long(argc, argv, "c:s:n:h", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || c == ':')
			return refuse(cmd, "bad option");
		if (!strchr(allowed, c)) {
			snprintf(what, sizeof(what), "does not take %s",
				 opt_name(c));
			return refuse(cmd, what);
		}
		if (c == 'c')
			r = take_value(cmd, "-c", &o->config);
		else if (c == 's')
			r = take_value(cmd, "-s", &o->snapshot);
		else if (c == 'n')
			r = take_value(cmd, "--node", &o->node);
		else if (c == 'o')
			o->offline = true;
		else if (c == 'f')
			o->force = true;
		else if (c == 'd')
			o->dump = true;
		if (r < 0)
			return r;
	}
	o->argi = optind;
	if (argc - optind != nargs) {
		snprintf(what, sizeof(what), "takes %d argument%s, not %d",
			 nargs, nargs == 1 ? "" : "s", argc - optind);
		return refuse(cmd, what);
	}
	return 0;
}

/* CAP_NET_ADMIN is what every kernel change needs; without it the
 * first thing to fail would be the state_dir lock, with a message that
 * names a file, not the cause. */
static bool have_net_admin(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << 12); /* CAP_NET_ADMIN */
}

static int need_net_admin(const char *cmd)
{
	if (have_net_admin())
		return 0;
	fprintf(stderr,
		"snapnet %s: needs root (CAP_NET_ADMIN) to change routes, "
		"links and sysctls; `snapnet plan --offline` needs neither\n",
		cmd);
	return -EPERM;
}

/* A command line value goes through the same checks as the config key
 * it overrides (a relative -s path is made absolute, --node lowercased). */
static int override(const struct agent *a, const char *key, const char *opt,
		    const char *v, char *dst, size_t len)
{
	struct config c;
	const char *out;
	int r;

	if (!v)
		return 0;
	(void)a;
	config_defaults(&c); /* path "": a relative -s is from the cwd */
	r = config_set(&c, "agent", key, v);
	if (r < 0)
		fprintf(stderr, "snapnet: %s \"%s\": not a valid %s\n", opt, v,
			key);
	out = !strcmp(key, "node_name") ? c.agent.node_name : c.agent.snapshot;
	if (r == 0)
		str_copy(dst, out, len);
	config_fini(&c);
	return r < 0 ? -EINVAL : 0;
}

/* Config file (or defaults when -c is absent and allowed), then the
 * command line overrides. */
static int load_agent(struct agent *a, const struct opts *o, bool need_conf)
{
	char err[ERRLEN];

	agent_init(a);
	if (!o->config && need_conf) {
		fprintf(stderr, "snapnet: -c CONF is required\n");
		goto fail;
	}
	if (o->config) {
		config_fini(&a->cfg); /* config_load() starts from defaults */
		if (config_load(o->config, &a->cfg, err, sizeof(err))) {
			fprintf(stderr, "snapnet: %s\n", err);
			goto fail;
		}
	}
	if (override(a, "node_name", "--node", o->node, a->node_override,
		     sizeof(a->node_override)) < 0 ||
	    override(a, "snapshot", "-s", o->snapshot, a->snapshot_override,
		     sizeof(a->snapshot_override)) < 0)
		goto fail;
	a->force_override = o->force;
	agent_apply_overrides(a);
	return 0;
fail:
	agent_fini(a);
	return -EINVAL;
}

/* One process per state_dir. The fd stays open (the lock held) until the
 * process exits. */
static int take_state_dir(const struct agent *a)
{
	pid_t holder = 0;
	int fd = owner_lock(a->cfg.agent.state_dir, &holder);

	if (fd == -EAGAIN)
		fprintf(stderr,
			"snapnet: %s is in use by snapnet pid %ld (a daemon?); "
			"stop it first, or send it SIGUSR1 for a pass\n",
			a->cfg.agent.state_dir, (long)holder);
	else if (fd < 0)
		fprintf(stderr, "snapnet: %s/lock: %s\n",
			a->cfg.agent.state_dir, strerror(-fd));
	return fd < 0 ? -1 : 0;
}

/* Whether the ownership settings differ from those recorded by the last
 * run: 0 same (or no record: a first run here), 1 differ or unreadable,
 * with the refusal written to why. */
static int owner_refusal(const struct agent *a, char *why, size_t len)
{
	struct owner was, now;
	char diff[PATH_MAX * 2 + 32];
	bool differ;
	int r = owner_read(a->cfg.agent.state_dir, &was);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(why, len,
			 "%s/%s holds no readable ownership record, so "
			 "snapnet cannot tell whether its settings changed; "
			 "if they did not, remove that file",
			 a->cfg.agent.state_dir, OWNER_FILE);
		return 1;
	}
	if (owner_from_config(&a->cfg, &now) < 0) {
		owner_free(&was);
		snprintf(why, len, "out of memory");
		return 1;
	}
	differ = owner_differs(&was, &now, diff, sizeof(diff));
	owner_free(&was);
	owner_free(&now);
	if (!differ)
		return 0;
	snprintf(why, len,
		 "%s: ownership settings changed since the last run (%s): "
		 "what the old settings made would be orphaned; run "
		 "`snapnet cleanup -c %s` first (it removes what the old "
		 "settings made)",
		 a->cfg.path, diff, a->cfg.path);
	return 1;
}

/* Refuses to work under ownership settings other than those of the last
 * run: what the old ones made would be orphaned. */
static int check_owner(const struct agent *a)
{
	char why[PATH_MAX * 3 + 256];

	if (!owner_refusal(a, why, sizeof(why)))
		return 0;
	fprintf(stderr, "snapnet: %s\n", why);
	return -1;
}

/* What every command that changes the kernel needs first: the
 * capability, the config, the state_dir lock and (but for cleanup,
 * which is how a change of settings is made) unchanged ownership
 * settings. On failure nothing is left to free. */
static int prepare(const char *cmd, struct agent *a, const struct opts *o,
		   bool same_owner)
{
	if (need_net_admin(cmd) < 0 || load_agent(a, o, true) < 0)
		return -1;
	if (take_state_dir(a) < 0 || (same_owner && check_owner(a) < 0)) {
		agent_fini(a);
		return -1;
	}
	return 0;
}

static int cmd_plan(int argc, char **argv, const struct opts *o)
{
	char why[PATH_MAX * 3 + 256];
	struct agent a;
	int rc;

	(void)argc;
	(void)argv;
	if (load_agent(&a, o, !o->offline) < 0)
		return 1;
	/* what apply would refuse, plan shows as the refusal, not as
	 * operations under settings that will never run */
	if (!o->offline && owner_refusal(&a, why, sizeof(why))) {
		printf("# apply would be refused: %s\n", why);
		agent_fini(&a);
		return 1;
	}
	rc = reconcile_pass(&a, o->offline ? PASS_PLAN_OFFLINE : PASS_PLAN,
			    stdout, "plan");
	agent_fini(&a);
	return rc;
}

static void print_results(const struct agent *a)
{
	for (size_t f = 0; f < n_functions; f++) {
		const struct func_result *r = &a->st.func[f];

		if (r->ran)
			fprintf(stderr,
				"snapnet: %s: %u planned, %u done, %u failed, "
				"%u reported\n",
				r->name, r->planned, r->done, r->failed,
				r->reported);
	}
}

/* A pass whose status cannot be written has not done its job: the
 * status is how operators and the next run learn what happened. */
static int cmd_apply(int argc, char **argv, const struct opts *o)
{
	char err[ERRLEN];
	struct agent a;
	int rc;

	(void)argc;
	(void)argv;
	if (prepare("apply", &a, o, true) < 0)
		return 1;
	rc = reconcile_pass(&a, PASS_APPLY, NULL, "apply");
	if (rc && a.st.error[0])
		fprintf(stderr, "snapnet: %s\n", a.st.error);
	if (status_write(&a, err, sizeof(err)) < 0) {
		fprintf(stderr, "snapnet: status: %s\n", err);
		rc = 1;
	}
	print_results(&a);
	agent_fini(&a);
	return rc == 0 ? 0 : 1;
}

static int cmd_run(int argc, char **argv, const struct opts *o)
{
	struct agent a;
	int rc;

	(void)argc;
	(void)argv;
	if (prepare("run", &a, o, true) < 0)
		return 1;
	rc = loop_run(&a);
	agent_fini(&a);
	return rc;
}

static int validate_node(const struct snapshot *s, const char *node)
{
	struct desired *d = NULL;
	char err[ERRLEN];

	if (desired_build(s, node, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "snapnet: %s\n", err);
		return 1;
	}
	desired_free(d);
	return 0;
}

static int cmd_validate(int argc, char **argv, const struct opts *o)
{
	char err[ERRLEN], node[NODE_NAME_MAX];
	struct snapshot *s = NULL;
	struct snap_limits lim;
	int rc;

	(void)argc;
	snapshot_limits_default(&lim);
	if (snapshot_load(argv[o->argi], &lim, NULL, &s, err, sizeof(err))) {
		fprintf(stderr, "snapnet: %s\n", err);
		return 1;
	}
	if (o->node)
		config_node_name_norm(o->node, node, sizeof(node));
	rc = o->node ? validate_node(s, node) : 0;
	if (rc == 0 && o->dump)
		rc = snapshot_dump(s, stdout) < 0 ? 1 : 0;
	else if (rc == 0)
		printf("%s: valid: %zu items, %zu namespaces, %zu nodes, "
		       "%zu pods, %zu services, %zu endpointslices, "
		       "%zu networkpolicies\n",
		       argv[o->argi], s->counts.items, s->n_namespaces,
		       s->n_nodes, s->n_pods, s->n_services, s->n_slices,
		       s->n_policies);
	snapshot_free(s);
	return rc;
}

static int cmd_cleanup(int argc, char **argv, const struct opts *o)
{
	struct agent a;
	int rc;

	(void)argc;
	(void)argv;
	if (prepare("cleanup", &a, o, false) < 0)
		return 1;
	rc = reconcile_cleanup(&a);
	agent_fini(&a);
	return rc;
}

static int cmd_status(int argc, char **argv, const struct opts *o)
{
	struct agent a;
	int rc;

	(void)argc;
	(void)argv;
	if (load_agent(&a, o, true) < 0)
		return 1;
	rc = status_print(&a.cfg, stdout);
	agent_fini(&a);
	return rc;
}

static const struct command {
	const char *name;
	const char *opts; /* short letters of the options it takes */
	int nargs;	  /* positional arguments */
	int (*run)(int argc, char **argv, const struct opts *o);
} commands[] = {
	{ "plan", "csno", 0, cmd_plan },
	{ "apply", "csnf", 0, cmd_apply },
	{ "run", "cnf", 0, cmd_run },
	{ "validate", "nd", 1, cmd_validate },
	{ "cleanup", "c", 0, cmd_cleanup },
	{ "status", "c", 0, cmd_status },
};

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		if (argc > 2) {
			refuse(cmd, "takes no options or arguments");
			return 1;
		}
		printf("snapnet %s\n", SNAPNET_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct command *c = &commands[i];

		if (strcmp(cmd, c->name))
			continue;
		if (parse_opts(argc, argv, c->opts, c->nargs, &o) < 0)
			return 1;
		return c->run(argc, argv, &o);
	}
	if (argc < 2)
		fprintf(stderr, "snapnet: no command\n");
	else
		fprintf(stderr, "snapnet: unknown command \"%s\"\n", cmd);
	usage(stderr);
	return 1;
}
