/* SPDX-License-Identifier: MIT */
/* FRR's view of our addresses: which routing daemons run, does ospfd/ospf6d or bgpd
 * originate them, and to whom. vtysh runs in its own process group, under the caller's
 * deadline. */
#include "agent/frr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FRR_MAX_OUTPUT (4u << 20)
#define FRR_MAX_STDERR 4096

extern char **environ;

static uint64_t frr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Milliseconds to wait in poll() so as not to pass the deadline; -1 when it has passed. */
static int frr_left_ms(uint64_t deadline_us, int cap_ms)
{
	uint64_t now = frr_now_us(), ms;

	if (now >= deadline_us)
		return -1;
	ms = (deadline_us - now + 999) / 1000;
	return ms < (uint64_t)cap_ms ? (int)ms : cap_ms;
}

struct frr_buf {
	char *data;
	size_t len, max;
	bool cut; /* past max: stop keeping (stderr) rather than fail (stdout) */
};

/* Reads stdout and stderr until both are closed, whatever the child does. */
static int frr_drain(int fd[2], struct frr_buf buf[2], uint64_t deadline_us)
{
	char scratch[512];

	for (;;) {
		struct pollfd p[2];
		nfds_t n = 0;
		int ms;

		for (int i = 0; i < 2; i++)
			if (fd[i] >= 0)
				p[n++] = (struct pollfd){.fd = fd[i], .events = POLLIN};
		if (!n)
			return 0;
		ms = frr_left_ms(deadline_us, INT_MAX);
		if (ms < 0)
			return -ETIMEDOUT;
		if (poll(p, n, ms) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			struct frr_buf *b = &buf[i];
			ssize_t r;

			if (fd[i] < 0)
				continue;
			if (b->len < b->max)
				r = read(fd[i], b->data + b->len, b->max - b->len);
			else
				r = read(fd[i], scratch, sizeof(scratch));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r < 0)
				return -errno;
			if (r == 0) {
				close(fd[i]);
				fd[i] = -1;
			} else if (b->len < b->max) {
				b->len += (size_t)r;
			} else if (!b->cut) {
				return -EFBIG;
			}
		}
	}
}

/* The child's end, without reaping it: the zombie keeps its pid (our process group id)
 * from being reused until the group is killed. */
static int frr_wait(pid_t pid, uint64_t deadline_us, siginfo_t *si)
{
	for (;;) {
		int ms;

		memset(si, 0, sizeof(*si));
		if (waitid(P_PID, (id_t)pid, si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (si->si_pid == pid)
			return 0;
		ms = frr_left_ms(deadline_us, 2);
		if (ms < 0)
			return -ETIMEDOUT;
		poll(NULL, 0, ms);
	}
}

/* The last non-empty line of s into why, printable ASCII only. */
static void frr_last_line(const char *s, char *why, size_t whylen)
{
	const char *line = NULL;
	size_t n = 0, i;

	for (const char *p = s; *p; p += strspn(p, "\r\n")) {
		size_t l = strcspn(p, "\r\n");

		if (l) {
			line = p;
			n = l;
		}
		p += l;
	}
	for (i = 0; line && i < n && i + 1 < whylen; i++)
		why[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	why[i] = '\0';
}

/* Runs argv in its own process group with stdin /dev/null; never past deadline_us, when
 * the whole group is killed. 0 (exited 0) with its stdout in *out (NUL-terminated, at most
 * max bytes; stderr ignored), -EIO (failed: why says how), -ETIMEDOUT, -EFBIG, -errno. */
static int frr_run(char *const argv[], uint64_t deadline_us, size_t max, char **out, char *why,
		   size_t whylen)
{
	struct frr_buf buf[2] = {{.max = max}, {.max = FRR_MAX_STDERR, .cut = true}};
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, fd[2] = {-1, -1}, ret;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid = -1;
	siginfo_t si;

	*out = NULL;
	why[0] = '\0';
	memset(&si, 0, sizeof(si));
	if (frr_left_ms(deadline_us, 1) < 0)
		return -ETIMEDOUT;
	buf[0].data = malloc(max + 1);
	buf[1].data = malloc(FRR_MAX_STDERR + 1);
	if (!buf[0].data || !buf[1].data) {
		ret = -ENOMEM;
		goto cleanup;
	}
	/* O_NONBLOCK on our ends only: the child's are its stdout and stderr */
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 ||
	    fcntl(po[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(pe[0], F_SETFL, O_NONBLOCK) < 0) {
		ret = -errno;
		goto cleanup;
	}
	ret = -posix_spawn_file_actions_init(&fa);
	if (ret < 0)
		goto cleanup;
	ret = -posix_spawnattr_init(&attr);
	if (ret < 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto cleanup;
	}
	/* the agent blocks the signals it reads through signalfd: vtysh must not inherit that */
	sigemptyset(&none);
	sigfillset(&all);
	if (!ret)
		ret =
		    -posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (!ret)
		ret = -posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
	if (!ret)
		ret = -posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
	if (!ret)
		ret = -posix_spawnattr_setflags(
		    &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!ret)
		ret = -posix_spawnattr_setpgroup(&attr, 0);
	if (!ret)
		ret = -posix_spawnattr_setsigmask(&attr, &none);
	if (!ret)
		ret = -posix_spawnattr_setsigdefault(&attr, &all);
	if (!ret)
		ret = -posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (ret < 0) {
		pid = -1;
		goto cleanup;
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	fd[0] = po[0];
	fd[1] = pe[0];
	po[0] = pe[0] = -1;
	ret = frr_drain(fd, buf, deadline_us);
	if (ret == 0)
		ret = frr_wait(pid, deadline_us, &si);
	if (ret < 0)
		goto cleanup;
	buf[0].data[buf[0].len] = '\0';
	buf[1].data[buf[1].len] = '\0';
	if (si.si_code == CLD_EXITED && si.si_status == 0) {
		*out = buf[0].data;
		buf[0].data = NULL;
		goto cleanup;
	}
	ret = -EIO;
	frr_last_line(buf[1].data, why, whylen);
	if (!why[0])
		frr_last_line(buf[0].data, why, whylen);
	if (!why[0] && si.si_code == CLD_EXITED)
		snprintf(why, whylen, "exit status %d", si.si_status);
	else if (!why[0])
		snprintf(why, whylen, "killed by signal %d", si.si_status);
cleanup:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
		if (fd[i] >= 0)
			close(fd[i]);
		free(buf[i].data);
	}
	if (pid > 0) {
		/* the group, so that a child holding our pipe goes too; reaped at once */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return ret;
}

static int frr_addr_cmp(const void *pa, const void *pb)
{
	const struct nl_addr *a = pa, *b = pb;
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(&a->u, &b->u, a->family == AF_INET ? sizeof(a->u.v4) : sizeof(a->u.v6));
	if (r)
		return r;
	return (int)a->prefixlen - (int)b->prefixlen;
}

struct frr_collect {
	struct frr_view *v;
	size_t cap;
	bool nomem;
};

static void frr_collect(const struct nl_addr *a, void *data)
{
	struct frr_collect *c = data;
	struct frr_view *v = c->v;

	if (v->noriginated == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct nl_addr *n =
		    cap < c->cap ? NULL : reallocarray(v->originated, cap, sizeof(*n));

		if (!n) {
			c->nomem = true;
			return;
		}
		v->originated = n;
		c->cap = cap;
	}
	v->originated[v->noriginated++] = *a;
}

static const struct frr_cmd {
	int family;
	const char *cmd;
	int (*prefixes)(const char *, frr_prefix_cb, void *, char *, size_t);
	int (*neighbours)(const char *, int *, char *, size_t);
} frr_cmds[] = {
    {AF_INET, FRR_OSPF_NBR, NULL, frr_ospf_neighbours},
    {AF_INET, FRR_OSPF_EXT, frr_ospf_external, NULL},
    {AF_INET, FRR_OSPF_ROUTER, frr_ospf_router_stubs, NULL},
    {AF_INET6, FRR_OSPF6_NBR, NULL, frr_ospf6_neighbours},
    {AF_INET6, FRR_OSPF6_EXT, frr_ospf6_external, NULL},
    {AF_INET6, FRR_OSPF6_INTRA, frr_ospf6_intra_prefixes, NULL},
};

/* Keeps the first problem: ret from running cmd (why) or from its walker (err). */
static void frr_note(struct frr_view *v, const char *cmd, int ret, const char *why, const char *err)
{
	if (v->error[0])
		return;
	if (ret == -EBADMSG)
		snprintf(v->error, sizeof(v->error), "%s", err);
	else
		snprintf(v->error, sizeof(v->error), "'%s': %s", cmd,
			 ret == -EIO	     ? why
			 : ret == -ETIMEDOUT ? "timed out"
			 : ret == -EFBIG     ? "answer too long"
					     : strerror(-ret));
}

/* vtysh [-N pathspace] -c cmd: 0 with its output in *text, or -errno (why says how). */
static int frr_vtysh(const struct frr_opts *o, const char *cmd, char **text, char *why,
		     size_t whylen)
{
	char *argv[6];
	int n = 0;

	argv[n++] = (char *)o->vtysh;
	if (o->pathspace && o->pathspace[0]) {
		argv[n++] = "-N";
		argv[n++] = (char *)o->pathspace;
	}
	argv[n++] = "-c";
	argv[n++] = (char *)cmd;
	argv[n] = NULL;
	return frr_run(argv, o->deadline_us, FRR_MAX_OUTPUT, text, why, whylen);
}

/* One command: 0, or -errno with v->error set if it was empty. */
static int frr_ask(const struct frr_opts *o, const struct frr_cmd *c, struct frr_collect *col)
{
	struct frr_view *v = col->v;
	char *text = NULL, why[160], err[sizeof(v->error)] = "";
	int full = 0, ret;

	ret = frr_vtysh(o, c->cmd, &text, why, sizeof(why));
	if (ret == 0 && c->prefixes)
		ret = c->prefixes(text, frr_collect, col, err, sizeof(err));
	else if (ret == 0)
		ret = c->neighbours(text, &full, err, sizeof(err));
	free(text);
	if (ret == 0 && col->nomem)
		ret = -ENOMEM;
	if (ret == 0 && c->neighbours)
		*(c->family == AF_INET ? &v->full4 : &v->full6) = full;
	if (ret < 0)
		frr_note(v, c->cmd, ret, why, err);
	return ret;
}

/* Which daemons run. Not known (vtysh failed, or an answer not understood): ospfd and
 * ospf6d, as before bgpd was asked; their own commands then say what is wrong. */
static void frr_ask_daemons(const struct frr_opts *o, struct frr_view *v)
{
	char *text = NULL, why[160], err[16];
	unsigned mask;

	v->daemons = FRR_OSPFD | FRR_OSPF6D;
	if (frr_vtysh(o, FRR_DAEMONS, &text, why, sizeof(why)) == 0 &&
	    frr_daemons(text, &mask, err, sizeof(err)) == 0)
		v->daemons = mask;
	free(text);
}

/* bgpd's neighbours in state Established, and which of them an address goes to. */
struct frr_peer {
	char name[64];
	bool seen; /* the address being asked about goes to it */
	bool all;  /* every originated address so far goes to it */
};

struct frr_peers {
	struct frr_peer *p;
	size_t n, cap;
	bool nomem;
};

static void frr_peer_add(const char *name, void *data)
{
	struct frr_peers *p = data;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct frr_peer *n = reallocarray(p->p, cap, sizeof(*n));

		if (!n) {
			p->nomem = true;
			return;
		}
		p->p = n;
		p->cap = cap;
	}
	p->p[p->n] = (struct frr_peer){.all = true};
	snprintf(p->p[p->n++].name, sizeof(p->p[0].name), "%s", name);
}

/* The summary and advertisedTo name a neighbour alike; compared as addresses all the same. */
static void frr_peer_seen(const char *name, void *data)
{
	struct frr_peers *p = data;
	struct nl_addr a, b;
	bool addr = nl_addr_parse(name, &a) == 0;

	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->p[i].name, name) ||
		    (addr && nl_addr_parse(p->p[i].name, &b) == 0 && nl_addr_equal(&a, &b)))
			p->p[i].seen = true;
}

/* One address of a family bgpd has neighbours for: v->bgp[v->nbgp++]. */
static int frr_ask_bgp_addr(const struct frr_opts *o, struct frr_view *v, const struct nl_addr *a,
			    struct frr_peers *est)
{
	struct frr_bgp_addr *b = &v->bgp[v->nbgp];
	char cmd[96], buf[NL_ADDRSTRLEN], *text = NULL, why[160], err[sizeof(v->error)] = "";
	struct frr_bgp_path best = {0};
	int ret;

	snprintf(cmd, sizeof(cmd), a->family == AF_INET ? FRR_BGP_ROUTE4 : FRR_BGP_ROUTE6,
		 nl_addr_str(a, buf, sizeof(buf)));
	for (size_t i = 0; i < est->n; i++)
		est->p[i].seen = false;
	ret = frr_vtysh(o, cmd, &text, why, sizeof(why));
	if (ret == 0)
		ret = frr_bgp_route(text, cmd, &best, frr_peer_seen, est, err, sizeof(err));
	free(text);
	if (ret < 0) {
		frr_note(v, cmd, ret, why, err);
		return ret;
	}
	memset(b, 0, sizeof(*b));
	b->addr = *a;
	b->originated = best.sourced;
	b->aslen = best.aslen;
	for (size_t i = 0; i < est->n && b->originated; i++) {
		est->p[i].all &= est->p[i].seen;
		b->advertised += est->p[i].seen;
		if (!est->p[i].seen && !b->missing[0])
			snprintf(b->missing, sizeof(b->missing), "%s", est->p[i].name);
	}
	v->nbgp++;
	return 0;
}

/* bgpd about one family: its neighbours, then each of o's addresses of that family. */
static int frr_ask_bgp(const struct frr_opts *o, struct frr_view *v, int family)
{
	const char *cmd = family == AF_INET ? FRR_BGP_SUMMARY4 : FRR_BGP_SUMMARY6;
	char *text = NULL, why[160], err[sizeof(v->error)] = "";
	struct frr_peers est = {0};
	size_t start = v->nbgp;
	uint32_t as = 0;
	int peers = 0, heard = 0, ret;

	ret = frr_vtysh(o, cmd, &text, why, sizeof(why));
	if (ret == 0)
		ret = frr_bgp_summary(text, family, &as, &peers, frr_peer_add, &est, err,
				      sizeof(err));
	free(text);
	if (ret == 0 && est.nomem)
		ret = -ENOMEM;
	if (ret < 0)
		frr_note(v, cmd, ret, why, err);
	/* no instance, or no neighbour of this family: bgpd does not carry it */
	for (size_t i = 0; ret == 0 && as && i < o->naddrs; i++)
		if (o->addrs[i].family == family)
			ret = frr_ask_bgp_addr(o, v, &o->addrs[i], &est);
	for (size_t i = 0; ret == 0 && as && i < est.n; i++)
		heard += est.p[i].all;
	free(est.p);
	if (ret < 0) {
		v->nbgp = start; /* that family's view is incomplete */
		return ret;
	}
	*(family == AF_INET ? &v->peers4 : &v->peers6) = peers;
	if (!as)
		return 0;
	*(family == AF_INET ? &v->bgp_asked4 : &v->bgp_asked6) = true;
	*(family == AF_INET ? &v->established4 : &v->established6) = (int)est.n;
	*(family == AF_INET ? &v->heard4 : &v->heard6) = heard;
	return 0;
}

int frr_view_read(const struct frr_opts *o, struct frr_view *v)
{
	struct frr_collect col = {.v = v};

	memset(v, 0, sizeof(*v));
	v->full4 = v->full6 = -1;
	v->established4 = v->established6 = v->peers4 = v->peers6 = v->heard4 = v->heard6 = -1;
	if (!o->vtysh || access(o->vtysh, X_OK) < 0)
		return -ENOENT;
	frr_ask_daemons(o, v);
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		size_t start = v->noriginated;
		int ret = 0;

		if (!(family == AF_INET ? o->want4 : o->want6) ||
		    !(v->daemons & (family == AF_INET ? FRR_OSPFD : FRR_OSPF6D)))
			continue;
		for (size_t i = 0; i < sizeof(frr_cmds) / sizeof(frr_cmds[0]) && !ret; i++)
			if (frr_cmds[i].family == family)
				ret = frr_ask(o, &frr_cmds[i], &col);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0)
			v->noriginated = start; /* that daemon's view is incomplete */
		else
			*(family == AF_INET ? &v->asked4 : &v->asked6) = true;
	}
	if (v->noriginated > 1) {
		size_t j = 1;

		qsort(v->originated, v->noriginated, sizeof(*v->originated), frr_addr_cmp);
		for (size_t i = 1; i < v->noriginated; i++)
			if (frr_addr_cmp(&v->originated[i], &v->originated[j - 1]))
				v->originated[j++] = v->originated[i];
		v->noriginated = j;
	}
	if (!(v->daemons & FRR_BGPD) || !o->naddrs)
		return 0;
	v->bgp = calloc(o->naddrs, sizeof(*v->bgp));
	if (!v->bgp)
		return -ENOMEM;
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0)
		if ((family == AF_INET ? o->want4 : o->want6) &&
		    frr_ask_bgp(o, v, family) == -ENOMEM)
			return -ENOMEM;
	return 0;
}

void frr_view_free(struct frr_view *v)
{
	free(v->originated);
	v->originated = NULL;
	v->noriginated = 0;
	free(v->bgp);
	v->bgp = NULL;
	v->nbgp = 0;
}

const struct frr_bgp_addr *frr_view_bgp(const struct frr_view *v, const struct nl_addr *a)
{
	for (size_t i = 0; i < v->nbgp; i++)
		if (!frr_addr_cmp(&v->bgp[i].addr, a))
			return &v->bgp[i];
	return NULL;
}

bool frr_view_originates(const struct frr_view *v, const struct nl_addr *a)
{
	struct nl_addr key = {.family = a->family, .prefixlen = a->prefixlen, .u = a->u};

	const struct frr_bgp_addr *b = frr_view_bgp(v, &key);

	return (v->noriginated && bsearch(&key, v->originated, v->noriginated,
					  sizeof(*v->originated), frr_addr_cmp)) ||
	       (b && b->originated);
}
