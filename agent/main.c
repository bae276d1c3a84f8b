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

#include "desired.h"
#include "log.h"
#include "loop.h"
#include "reconcile.h"
#include "owner.h"
#include "snapshot.h"

#ifndef SNAPNET_VERSION
#define SNAPNET_VERSION "0.1.0"
#endif

struct opts {
	const char *config, *snapshot, *node;
	bool offline, force;
	int argi; /* first non-option argument */
};

static void usage(FILE *f)
{
	fputs("usage: snapnet COMMAND [options]\n"
	      "  plan     -c CONF [-s SNAP] [--node NAME] [--offline]\n"
	      "           exit 0 nothing to do, 2 changes pending, 1 error\n"
	      "  apply    -c CONF [-s SNAP] [--node NAME] [--force]\n"
	      "  run      -c CONF [--node NAME] [--force]\n"
	      "  validate [--node NAME] SNAP\n"
	      "  cleanup  -c CONF\n"
	      "  status   -c CONF\n"
	      "  version\n",
	      f);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'n' },
		{ "offline", no_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 2; /* argv[1] is the command */
	while ((c = getopt_long(argc, argv, "c:s:n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->snapshot = optarg;
			break;
		case 'n':
			o->node = optarg;
			break;
		case 'o':
			o->offline = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	o->argi = optind;
	return 0;
}

/* Config file (or defaults when -c is absent and allowed), then the
 * command line overrides. */
static int load_agent(struct agent *a, const struct opts *o, bool need_conf)
{
	char err[ERRLEN];

	agent_init(a);
	if (!o->config && need_conf) {
		fprintf(stderr, "snapnet: -c CONF is required\n");
		return -EINVAL;
	}
	if (o->config && config_load(o->config, &a->cfg, err, sizeof(err))) {
		fprintf(stderr, "snapnet: %s\n", err);
		return -EINVAL;
	}
	if (o->node)
		str_copy(a->node_override, o->node, sizeof(a->node_override));
	if (o->snapshot)
		str_copy(a->snapshot_override, o->snapshot,
			 sizeof(a->snapshot_override));
	a->force_override = o->force;
	agent_apply_overrides(a);
	return 0;
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

/* Refuses to work under ownership settings other than those of the last
 * run: what the old ones made would be orphaned. */
static int check_owner(const struct agent *a)
{
	struct owner was, now;
	char diff[PATH_MAX * 2 + 32];
	int r;

	r = status_read_owner(&a->cfg, &was);
	if (r == -ENOENT)
		return 0; /* first run here */
	if (r < 0) {
		fprintf(stderr,
			"snapnet: %s/status.json holds no readable ownership "
			"record, so snapnet cannot tell whether its settings "
			"changed; if they did not, remove that file\n",
			a->cfg.agent.state_dir);
		return -1;
	}
	owner_from_config(&a->cfg, &now);
	if (!owner_differs(&was, &now, diff, sizeof(diff)))
		return 0;
	fprintf(stderr,
		"snapnet: %s: ownership settings changed since the last run "
		"(%s): what the old settings made would be orphaned; run "
		"`snapnet cleanup -c %s` first (it removes what the old settings made)\n",
		a->cfg.path, diff, a->cfg.path);
	return -1;
}

static int cmd_plan(const struct opts *o)
{
	struct agent a;
	int rc;

	if (load_agent(&a, o, !o->offline) < 0)
		return 1;
	rc = reconcile_pass(&a, o->offline ? PASS_PLAN_OFFLINE : PASS_PLAN,
			    stdout, "plan");
	agent_fini(&a);
	return rc;
}

static int cmd_apply(const struct opts *o)
{
	char err[ERRLEN];
	struct agent a;
	int rc;

	if (load_agent(&a, o, true) < 0 || take_state_dir(&a) < 0 ||
	    check_owner(&a) < 0)
		return 1;
	rc = reconcile_pass(&a, PASS_APPLY, NULL, "apply");
	if (status_write(&a, err, sizeof(err)) < 0)
		fprintf(stderr, "snapnet: status: %s\n", err);
	for (int f = 0; f < FUNC_COUNT; f++) {
		const struct func_result *r = &a.st.func[f];

		if (r->ran)
			fprintf(stderr,
				"snapnet: %s: %u planned, %u done, %u failed, "
				"%u reported\n",
				r->name, r->planned, r->done, r->failed,
				r->reported);
	}
	agent_fini(&a);
	return rc == 0 ? 0 : 1;
}

static int cmd_run(const struct opts *o)
{
	struct agent a;
	int rc;

	if (load_agent(&a, o, true) < 0 || take_state_dir(&a) < 0 ||
	    check_owner(&a) < 0)
		return 1;
	rc = loop_run(&a);
	agent_fini(&a);
	return rc;
}

static int validate_node(const struct snapshot *s, const char *node)
{
	struct desired *d = NULL;
	struct config c;
	char err[ERRLEN];

	config_defaults(&c);
	if (desired_build(s, &c, node, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "snapnet: %s\n", err);
		return 1;
	}
	desired_free(d);
	return 0;
}

static int cmd_validate(int argc, char **argv, const struct opts *o)
{
	struct snap_limits lim;
	struct snapshot *s = NULL;
	char err[ERRLEN];
	int rc;

	if (o->argi != argc - 1) {
		usage(stderr);
		return 1;
	}
	snapshot_limits_default(&lim);
	if (snapshot_load(argv[o->argi], &lim, NULL, &s, err, sizeof(err))) {
		fprintf(stderr, "snapnet: %s\n", err);
		return 1;
	}
	rc = o->node ? validate_node(s, o->node) : 0;
	if (rc == 0)
		printf("%s: valid: %zu items, %zu nodes, %zu pods, "
		       "%zu services\n",
		       argv[o->argi], s->counts.items, s->n_nodes,
		       s->counts.pods, s->counts.services);
	snapshot_free(s);
	return rc;
}

static int cmd_simple(const char *cmd, const struct opts *o)
{
	struct agent a;
	int rc;

	if (load_agent(&a, o, true) < 0)
		return 1;
	if (!strcmp(cmd, "cleanup"))
		rc = take_state_dir(&a) < 0 ? 1 : reconcile_cleanup(&a);
	else
		rc = status_print(&a.cfg, stdout);
	agent_fini(&a);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("snapnet %s\n", SNAPNET_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || parse_opts(argc, argv, &o) < 0) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(cmd, "plan"))
		return cmd_plan(&o);
	if (!strcmp(cmd, "apply"))
		return cmd_apply(&o);
	if (!strcmp(cmd, "run"))
		return cmd_run(&o);
	if (!strcmp(cmd, "validate"))
		return cmd_validate(argc, argv, &o);
	if (!strcmp(cmd, "cleanup") || !strcmp(cmd, "status"))
		return cmd_simple(cmd, &o);
	fprintf(stderr, "snapnet: unknown command \"%s\"\n", cmd);
	usage(stderr);
	return 1;
}
