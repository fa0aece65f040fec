/* SPDX-License-Identifier: MIT */
/* anycast-agent: announce a local DNS resolver's anycast addresses only while it answers. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/log.h"
#include "agent/oneshot.h"
#include "agent/state.h"

/* Installed as a monitoring plugin by this name, the binary is --check-once. */
#define PLUGIN_NAME "check_anycast_agent"

enum mode {
	MODE_RUN,
	MODE_CONFIG_TEST,
	MODE_CHECK_ONCE,
	MODE_WITHDRAW_ALL,
	MODE_STATUS,
	MODE_MAINTENANCE,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: anycast-agent [-c FILE] [-s DIR] [-d]\n"
		"                     [--config-test | --check-once | --withdraw-all | --status |\n"
		"                      --maintenance on|off [--timeout SECONDS]]\n"
		"\n"
		"Probes the local DNS resolver and keeps its anycast addresses on an interface\n"
		"only while it answers, so that the routing daemon announces healthy instances.\n"
		"\n"
		"  -c, --config FILE  configuration (default " CFG_DEFAULT_PATH ")\n"
		"  -s, --state-dir DIR  lock and state file (default " STATE_DEFAULT_DIR ")\n"
		"  -t, --config-test  check the configuration, print 'configuration OK', exit\n"
		"      --check-once   probe once and print a monitoring-plugin line (exit 0 OK,\n"
		"                     1 WARNING, 2 CRITICAL, 3 UNKNOWN); changes nothing\n"
		"      --withdraw-all remove what the agent announced (its state file) and every\n"
		"                     configured address, then exit\n"
		"      --status       what the running agent says of its services and addresses\n"
		"                     (its state file; exit 0, or 3 when no agent runs)\n"
		"      --maintenance on|off\n"
		"                     create (remove) the maintenance file and wait until the\n"
		"                     agent has withdrawn and drained (announced) every address;\n"
		"                     exit 0, or 1 with the reason after --timeout (default 10 s)\n"
		"  -d, --debug        log every probe (log_level = debug)\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n"
		"\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM and SIGINT stop.\n");
}

/* A usage error of a monitoring plugin is UNKNOWN (3), wherever --check-once stands. */
static bool main_check_once(int argc, char **argv, enum mode mode)
{
	for (int i = 1; i < argc && mode != MODE_CHECK_ONCE; i++)
		if (!strcmp(argv[i], "--check-once"))
			mode = MODE_CHECK_ONCE;
	return mode == MODE_CHECK_ONCE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"state-dir", required_argument, NULL, 's'},
					     {"config-test", no_argument, NULL, 't'},
					     {"check-once", no_argument, NULL, 'o'},
					     {"withdraw-all", no_argument, NULL, 'w'},
					     {"status", no_argument, NULL, 'S'},
					     {"maintenance", required_argument, NULL, 'M'},
					     {"timeout", required_argument, NULL, 'T'},
					     {"debug", no_argument, NULL, 'd'},
					     {"version", no_argument, NULL, 'V'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *path = CFG_DEFAULT_PATH, *state_dir = STATE_DEFAULT_DIR;
	enum mode mode = strcmp(basename(argv[0]), PLUGIN_NAME) ? MODE_RUN : MODE_CHECK_ONCE;
	struct cfg_errors *errs;
	struct agent *agent;
	struct cfg *cfg;
	bool debug = false, maint_on = false;
	unsigned long timeout_s = 10;
	char *end;
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:s:tdVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 't':
			mode = MODE_CONFIG_TEST;
			break;
		case 'o':
			mode = MODE_CHECK_ONCE;
			break;
		case 'w':
			mode = MODE_WITHDRAW_ALL;
			break;
		case 'S':
			mode = MODE_STATUS;
			break;
		case 'M':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr,
					"anycast-agent: --maintenance '%s': expected on or off\n",
					optarg);
				return 2;
			}
			mode = MODE_MAINTENANCE;
			maint_on = !strcmp(optarg, "on");
			break;
		case 'T':
			errno = 0;
			timeout_s = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || timeout_s < 1 || timeout_s > 3600 ||
			    optarg[0] == '-') {
				fprintf(stderr,
					"anycast-agent: --timeout '%s': expected whole seconds "
					"from 1 to "
					"3600\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			debug = true;
			break;
		case 'V':
			printf("anycast-agent %s\n", AA_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return main_check_once(argc, argv, mode) ? 3 : 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "anycast-agent: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return main_check_once(argc, argv, mode) ? 3 : 2;
	}
	log_init(LOG_INFO);
	if (debug)
		log_force_level(LOG_DEBUG);

	errs = malloc(sizeof(*errs));
	if (!errs) {
		fprintf(stderr, "anycast-agent: out of memory\n");
		return mode == MODE_CHECK_ONCE ? 3 : 1;
	}
	ret = cfg_load(path, &cfg, errs);
	/* a monitoring plugin's stderr may end up in its output: errors only */
	for (size_t i = 0; i < errs->n; i++)
		if (!errs->msg[i].warning || mode != MODE_CHECK_ONCE)
			fprintf(stderr, "%s\n", errs->msg[i].text);
	if (ret < 0 && mode == MODE_WITHDRAW_ALL) {
		/* after a crash that followed an unreloaded edit: the state file says what */
		fprintf(stderr, "anycast-agent: %s is unusable: withdrawing what %s/state lists\n",
			path, state_dir);
		cfg = NULL;
	} else if (ret < 0 && mode == MODE_STATUS) {
		/* the running agent's view does not depend on the file as it is now */
		fprintf(stderr, "anycast-agent: %s is unusable: showing %s/state alone\n", path,
			state_dir);
		cfg = NULL;
	} else if (ret < 0) {
		size_t first = 0;

		while (first < errs->n && errs->msg[first].warning)
			first++;
		if (mode == MODE_CHECK_ONCE)
			printf("ANYCAST UNKNOWN - bad configuration: %s\n",
			       first < errs->n ? errs->msg[first].text : strerror(-ret));
		free(errs);
		return mode == MODE_CHECK_ONCE ? 3 : 1;
	}
	free(errs);
	if (cfg)
		log_set_level(cfg->log_level);

	switch (mode) {
	case MODE_CONFIG_TEST:
		oneshot_config_warnings(cfg, path, stderr);
		printf("configuration OK\n");
		ret = 0;
		break;
	case MODE_CHECK_ONCE:
		ret = oneshot_check(cfg, state_dir, stdout);
		break;
	case MODE_WITHDRAW_ALL:
		ret = oneshot_withdraw_all(cfg, state_dir);
		break;
	case MODE_STATUS:
		ret = oneshot_status(cfg, state_dir, stdout);
		break;
	case MODE_MAINTENANCE:
		ret = oneshot_maintenance(cfg, state_dir, maint_on, (unsigned)timeout_s, stdout);
		break;
	case MODE_RUN:
		ret = agent_create(&agent, cfg, path, state_dir);
		if (ret < 0) {
			log_err("out of memory");
			break;
		}
		cfg = NULL; /* the agent owns it now */
		ret = agent_run(agent);
		agent_destroy(agent);
		break;
	}
	cfg_free(cfg);
	return ret < 0 ? 1 : ret;
}
