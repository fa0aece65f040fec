/* SPDX-License-Identifier: MIT */
/* FRR's view of our addresses: does ospfd/ospf6d originate them, and to whom. */
#include "agent/frr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FRR_TIMEOUT_MS 3000
#define FRR_MAX_OUTPUT (4u << 20)
#define FRR_MAX_AGE    3600 /* OSPF MaxAge, seconds */

extern char **environ;

static long long frr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int frr_run(char *const argv[], unsigned timeout_ms, size_t max, char **out)
{
	posix_spawn_file_actions_t fa;
	long long deadline = frr_now_ms() + timeout_ms;
	char *buf = malloc(max + 1);
	size_t len = 0;
	int pipefd[2] = {-1, -1}, status, ret;
	pid_t pid = -1;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = -errno;
		goto cleanup;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	ret = -posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (ret < 0) {
		pid = -1;
		goto cleanup;
	}
	for (;;) {
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		long long left = deadline - frr_now_ms();
		ssize_t n;

		if (left <= 0) {
			ret = -ETIMEDOUT;
			goto cleanup;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			ret = -errno;
			goto cleanup;
		}
		n = read(pipefd[0], buf + len, max - len);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			goto cleanup;
		}
		if (n > 0)
			len += (size_t)n;
		if (len == max) {
			ret = -EFBIG;
			goto cleanup;
		}
	}
	buf[len] = '\0';
	if (waitpid(pid, &status, 0) < 0) {
		ret = -errno;
		pid = -1;
		goto cleanup;
	}
	pid = -1;
	*out = buf;
	buf = NULL;
	ret = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	free(buf);
	return ret;
}

/* Runs one vtysh "show ... json" and parses its answer. */
static int frr_show(const struct cfg *cfg, const char *cmd, struct json_object **out, char *err,
		    size_t errlen)
{
	char *argv[6], *text = NULL;
	int n = 0, ret;

	argv[n++] = (char *)cfg->vtysh;
	if (cfg->frr_pathspace[0]) {
		argv[n++] = "-N";
		argv[n++] = (char *)cfg->frr_pathspace;
	}
	argv[n++] = "-c";
	argv[n++] = (char *)cmd;
	argv[n] = NULL;
	*out = NULL;
	ret = frr_run(argv, FRR_TIMEOUT_MS, FRR_MAX_OUTPUT, &text);
	if (ret == 0)
		*out = json_tokener_parse(text);
	if (ret == 0 && !*out)
		ret = -EBADMSG;
	if (ret < 0 && !err[0]) {
		/* vtysh says why on its last line ("Exiting: failed to connect to any
		 * daemons.", "ospf6d is not running", a permission problem) */
		char *last = text;

		for (char *p = text; p && *p; p++)
			if (*p == '\n') {
				if (p[1] && p[1] != '\n')
					last = p + 1;
				*p = '\0';
			}
		snprintf(err, errlen, "'%s': %s", cmd,
			 last && last[0] && ret != -EBADMSG ? last : strerror(-ret));
	}
	free(text);
	return ret;
}

static void frr_mark(const struct cfg *cfg, struct frr_view *v, const struct nl_addr *a)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		for (size_t j = 0; j < cfg->services[i].naddrs; j++)
			if (nl_addr_equal(&cfg->services[i].addrs[j], a))
				v->originated[i * CFG_MAX_ADDRS + j] = true;
}

/* An LSA at MaxAge is being flushed: no longer originated, though still listed. */
static bool frr_lsa_live(struct json_object *lsa, const char *age_key)
{
	struct json_object *age;

	return !json_object_object_get_ex(lsa, age_key, &age) ||
	       json_object_get_int(age) < FRR_MAX_AGE;
}

/* ospfd: {"AS External Link States": {"10.53.0.53": {"networkMask": 32, ...}}} */
static void frr_ospf_lsas(const struct cfg *cfg, struct frr_view *v, struct json_object *j)
{
	struct json_object *lsas, *mask;

	if (!json_object_object_get_ex(j, "AS External Link States", &lsas))
		return;
	json_object_object_foreach(lsas, id, lsa)
	{
		struct nl_addr a = {.family = AF_INET};

		if (inet_pton(AF_INET, id, &a.u.v4) != 1 || !frr_lsa_live(lsa, "lsaAge") ||
		    !json_object_object_get_ex(lsa, "networkMask", &mask))
			continue;
		a.prefixlen = (uint8_t)json_object_get_int(mask);
		frr_mark(cfg, v, &a);
	}
}

/* ospf6d: {"asScopedLinkStateDb": [{"lsa": [{"type": "ASE", "payload": "fd53::53/128"}]}]} */
static void frr_ospf6_lsas(const struct cfg *cfg, struct frr_view *v, struct json_object *j)
{
	struct json_object *dbs, *lsas, *payload;

	if (!json_object_object_get_ex(j, "asScopedLinkStateDb", &dbs) ||
	    !json_object_is_type(dbs, json_type_array))
		return;
	for (size_t d = 0; d < json_object_array_length(dbs); d++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(dbs, d), "lsa", &lsas) ||
		    !json_object_is_type(lsas, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(lsas); i++) {
			struct json_object *lsa = json_object_array_get_idx(lsas, i);
			struct nl_addr a;

			if (frr_lsa_live(lsa, "age") &&
			    json_object_object_get_ex(lsa, "payload", &payload) &&
			    nl_addr_parse(json_object_get_string(payload), &a) == 0)
				frr_mark(cfg, v, &a);
		}
	}
}

static bool frr_is_full(struct json_object *nbr, const char *key)
{
	struct json_object *state;

	return json_object_object_get_ex(nbr, key, &state) &&
	       !strncmp(json_object_get_string(state), "Full", 4);
}

/* ospfd: {"neighbors": {"2.2.2.2": [{"nbrState": "Full/DR"}]}} (older: "state");
 * ospf6d: {"neighbors": [{"state": "Full"}]} */
static int frr_full_neighbours(struct json_object *j)
{
	struct json_object *nbrs;
	int full = 0;

	if (!json_object_object_get_ex(j, "neighbors", &nbrs))
		return 0;
	if (json_object_is_type(nbrs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(nbrs); i++)
			full += frr_is_full(json_object_array_get_idx(nbrs, i), "state");
		return full;
	}
	json_object_object_foreach(nbrs, id, list)
	{
		(void)id;
		if (!json_object_is_type(list, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *n = json_object_array_get_idx(list, i);

			full += frr_is_full(n, "nbrState") || frr_is_full(n, "state");
		}
	}
	return full;
}

int frr_view_read(const struct cfg *cfg, struct frr_view *v)
{
	static const struct {
		int family;
		const char *lsas, *nbrs;
	} q[] = {
	    {AF_INET, "show ip ospf database external self-originate json",
	     "show ip ospf neighbor json"},
	    {AF_INET6, "show ipv6 ospf6 database as-external self-originated json",
	     "show ipv6 ospf6 neighbor json"},
	};

	memset(v, 0, sizeof(*v));
	v->full4 = v->full6 = -1;
	if (access(cfg->vtysh, X_OK) < 0)
		return -ENOENT;
	v->originated = calloc(cfg->nservices * CFG_MAX_ADDRS, sizeof(bool));
	if (!v->originated)
		return -ENOMEM;
	for (size_t f = 0; f < sizeof(q) / sizeof(q[0]); f++) {
		struct json_object *lsas = NULL, *nbrs = NULL;
		bool used = false;

		for (size_t i = 0; i < cfg->nservices; i++)
			for (size_t j = 0; j < cfg->services[i].naddrs; j++)
				used |= cfg->services[i].addrs[j].family == q[f].family;
		if (!used)
			continue;
		if (frr_show(cfg, q[f].lsas, &lsas, v->error, sizeof(v->error)) == 0 &&
		    frr_show(cfg, q[f].nbrs, &nbrs, v->error, sizeof(v->error)) == 0) {
			if (q[f].family == AF_INET) {
				frr_ospf_lsas(cfg, v, lsas);
				v->full4 = frr_full_neighbours(nbrs);
				v->asked4 = true;
			} else {
				frr_ospf6_lsas(cfg, v, lsas);
				v->full6 = frr_full_neighbours(nbrs);
				v->asked6 = true;
			}
		}
		json_object_put(lsas);
		json_object_put(nbrs);
	}
	return 0;
}

void frr_view_free(struct frr_view *v)
{
	free(v->originated);
	v->originated = NULL;
}
