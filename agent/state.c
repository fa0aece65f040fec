/* SPDX-License-Identifier: MIT */
/* state: one line per fact, "keyword fields...", so that the file reads by eye and parses
 * strictly; keywords this version does not know are skipped (a newer agent may add some). */
#include "agent/state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAGIC	  "anycast-agent-state 1"
#define STATE_MAX_ENTRIES 65536

static int state_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int state_replace(const char *path, int (*render)(FILE *f, const void *data), const void *data)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, ret, n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* readable by monitoring users whatever the service's UMask= */
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	ret = render(f, data);
	if (ret == 0)
		ret = fflush(f) == 0 && !ferror(f) ? 0 : -(errno ? errno : EIO);
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}

static int state_render(FILE *f, const void *data)
{
	const struct state *st = data;
	char buf[NL_ADDRSTRLEN];

	fprintf(f, "%s\npid %ld\nwritten %lld\ninterface %s %u\nmaintenance %d\nhandover %d\n",
		STATE_MAGIC, st->pid, (long long)st->written,
		st->interface[0] ? st->interface : "-", st->ifindex, st->maintenance, st->handover);
	for (size_t i = 0; i < st->nsvcs; i++) {
		const struct state_svc *s = &st->svcs[i];

		fprintf(f, "service %s %d %lld %u %d %llu %s\n", s->name, s->up,
			(long long)s->since, s->transitions, s->probed,
			(unsigned long long)s->rtt_us, s->last[0] ? s->last : "-");
		if (s->damped)
			fprintf(f, "damped %s %lld\n", s->name, (long long)s->damped_until);
		if (s->state[0])
			fprintf(f, "state %s %s\n", s->name, s->state);
	}
	for (size_t i = 0; i < st->nplaced; i++)
		fprintf(f, "placed %s %u %s%s\n",
			nl_addr_str(&st->placed[i].addr, buf, sizeof(buf)), st->placed[i].ifindex,
			st->placed[i].ifname[0] ? st->placed[i].ifname : "-",
			st->placed[i].standby ? " standby" : "");
	for (size_t i = 0; i < st->ndrains; i++)
		fprintf(f, "drain %s\n", nl_addr_str(&st->drains[i], buf, sizeof(buf)));
	return 0;
}

int state_write(const char *dir, const struct state *st)
{
	char path[PATH_MAX];

	if (state_path(path, sizeof(path), dir, "state") < 0)
		return -ENAMETOOLONG;
	return state_replace(path, state_render, st);
}

static bool state_num(const char *s, long long min, long long max, long long *out)
{
	char *end;

	if (!s || !(isdigit((unsigned char)*s) || (*s == '-' && min < 0)))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

static int state_grow(void **p, size_t n, size_t size)
{
	void *q;

	if (n >= STATE_MAX_ENTRIES)
		return -EBADMSG;
	/* powers of two: the array grows when n reaches one */
	if (n & (n - 1))
		return 0;
	q = realloc(*p, (n ? 2 * n : 1) * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

static bool state_ifname(const char *s, char *out)
{
	if (!s || strlen(s) >= IFNAMSIZ)
		return false;
	snprintf(out, IFNAMSIZ, "%s", strcmp(s, "-") ? s : "");
	return true;
}

/* One line, split at spaces into at most 8 fields; the last takes the rest of the line. */
static int state_line(struct state *st, char *line)
{
	char *f[8] = {0}, *save = NULL;
	size_t n = 0;
	long long v[6];
	int ret;

	for (char *t = strtok_r(line, " ", &save); t && n < 8;
	     t = strtok_r(NULL, n == 7 ? "\n" : " ", &save))
		f[n++] = t;
	if (!n)
		return -EBADMSG;
	if (!strcmp(f[0], "pid") || !strcmp(f[0], "written")) {
		if (!state_num(f[1], 0, LLONG_MAX, v))
			return -EBADMSG;
		if (f[0][0] == 'p')
			st->pid = (long)v[0];
		else
			st->written = v[0];
		return 0;
	}
	if (!strcmp(f[0], "maintenance") || !strcmp(f[0], "handover")) {
		if (!state_num(f[1], 0, 1, v))
			return -EBADMSG;
		*(f[0][0] == 'm' ? &st->maintenance : &st->handover) = v[0];
		return 0;
	}
	if (!strcmp(f[0], "interface")) {
		if (!state_ifname(f[1], st->interface) || !state_num(f[2], 0, INT_MAX, v))
			return -EBADMSG;
		st->ifindex = (unsigned)v[0];
		return 0;
	}
	if (!strcmp(f[0], "service")) {
		struct state_svc *s;

		if (!f[1] || strlen(f[1]) >= CFG_NAME_MAX || !state_num(f[2], 0, 1, &v[0]) ||
		    !state_num(f[3], LLONG_MIN, LLONG_MAX, &v[1]) ||
		    !state_num(f[4], 0, UINT_MAX, &v[2]) || !state_num(f[5], 0, 1, &v[3]) ||
		    !state_num(f[6], 0, LLONG_MAX, &v[4]) || !f[7])
			return -EBADMSG;
		ret = state_grow((void **)&st->svcs, st->nsvcs, sizeof(*st->svcs));
		if (ret < 0)
			return ret;
		s = &st->svcs[st->nsvcs++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", f[1]);
		s->up = v[0];
		s->since = v[1];
		s->transitions = (unsigned)v[2];
		s->probed = v[3];
		s->rtt_us = (uint64_t)v[4];
		snprintf(s->last, sizeof(s->last), "%s", strcmp(f[7], "-") ? f[7] : "");
		return 0;
	}
	if (!strcmp(f[0], "damped")) {
		if (!f[1] || !state_num(f[2], LLONG_MIN, LLONG_MAX, v))
			return -EBADMSG;
		for (size_t i = 0; i < st->nsvcs; i++)
			if (!strcmp(st->svcs[i].name, f[1])) {
				st->svcs[i].damped = true;
				st->svcs[i].damped_until = v[0];
			}
		return 0;
	}
	if (!strcmp(f[0], "state")) {
		if (!f[1] || !f[2] || strlen(f[2]) >= sizeof(st->svcs[0].state))
			return -EBADMSG;
		for (size_t i = 0; i < st->nsvcs; i++)
			if (!strcmp(st->svcs[i].name, f[1]))
				snprintf(st->svcs[i].state, sizeof(st->svcs[i].state), "%s", f[2]);
		return 0;
	}
	if (!strcmp(f[0], "placed")) {
		struct state_addr *p;

		ret = state_grow((void **)&st->placed, st->nplaced, sizeof(*st->placed));
		if (ret < 0)
			return ret;
		p = &st->placed[st->nplaced];
		if (nl_addr_parse(f[1] ? f[1] : "", &p->addr) < 0 ||
		    !state_num(f[2], 1, INT_MAX, v) || !state_ifname(f[3], p->ifname))
			return -EBADMSG;
		p->ifindex = (unsigned)v[0];
		p->standby = f[4] && !strcmp(f[4], "standby");
		st->nplaced++;
		return 0;
	}
	if (!strcmp(f[0], "drain")) {
		ret = state_grow((void **)&st->drains, st->ndrains, sizeof(*st->drains));
		if (ret < 0)
			return ret;
		if (nl_addr_parse(f[1] ? f[1] : "", &st->drains[st->ndrains]) < 0)
			return -EBADMSG;
		st->ndrains++;
		return 0;
	}
	return 0;
}

int state_read(const char *dir, struct state *st, unsigned *line)
{
	char path[PATH_MAX], buf[512];
	unsigned n = 0;
	int ret = 0;
	FILE *f;

	memset(st, 0, sizeof(*st));
	*line = 0;
	if (state_path(path, sizeof(path), dir, "state") < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (ret == 0 && fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);

		n++;
		if (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		else if (!feof(f))
			ret = -EBADMSG; /* longer than any line we write */
		if (ret == 0 && n == 1)
			ret = strcmp(buf, STATE_MAGIC) ? -EBADMSG : 0;
		else if (ret == 0)
			ret = state_line(st, buf);
	}
	if (ret == 0 && ferror(f))
		ret = -EIO;
	if (ret == 0 && n == 0)
		ret = -EBADMSG;
	fclose(f);
	if (ret < 0) {
		*line = n;
		state_free(st);
	}
	return ret;
}

void state_free(struct state *st)
{
	free(st->svcs);
	free(st->placed);
	free(st->drains);
	st->svcs = NULL;
	st->placed = NULL;
	st->drains = NULL;
	st->nsvcs = st->nplaced = st->ndrains = 0;
}

static long state_pid_in(int fd)
{
	char buf[32] = "";
	long long pid;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return state_num(buf, 1, LONG_MAX, &pid) ? (long)pid : 0;
}

int state_lock(const char *dir, int *fd, long *holder)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char path[PATH_MAX], pid[32];
	int ret, n;

	*holder = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (state_path(path, sizeof(path), dir, "lock") < 0)
		return -ENAMETOOLONG;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (*fd < 0)
		return -errno;
	/* open file description locks: released only when this process's fd closes */
	if (fcntl(*fd, F_OFD_SETLK, &fl) < 0) {
		ret = errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
		*holder = state_pid_in(*fd);
		close(*fd);
		*fd = -1;
		return ret;
	}
	fchmod(*fd, 0644);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(*fd, 0) < 0 || pwrite(*fd, pid, (size_t)n, 0) != n)
		return 0; /* the lock holds; the pid is only for messages */
	return 0;
}

int state_lock_holder(const char *dir, long *pid)
{
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
	char path[PATH_MAX];
	int fd, ret;

	*pid = 0;
	if (state_path(path, sizeof(path), dir, "lock") < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = fcntl(fd, F_OFD_GETLK, &fl) < 0 ? -errno : fl.l_type != F_UNLCK;
	if (ret == 1)
		*pid = state_pid_in(fd);
	close(fd);
	return ret;
}

bool state_handover_pending(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	if (state_path(path, sizeof(path), dir, "handover") < 0 || lstat(path, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	return time(NULL) - st.st_mtime <= STATE_HANDOVER_MAX_AGE_S;
}

void state_handover_clear(const char *dir)
{
	char path[PATH_MAX];

	if (state_path(path, sizeof(path), dir, "handover") == 0)
		unlink(path);
}
