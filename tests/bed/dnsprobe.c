/* SPDX-License-Identifier: MIT */
/*
 * dnsprobe: sends one DNS query (default `id.server. CH TXT`) to SERVER every INTERVAL ms and
 * records which instance answered each one, or how it failed. A test-bed tool, not the agent.
 *
 * Output (-o FILE, default stdout), line-buffered, one line per query in send order:
 *	seq send_ms instance rtt_us
 * send_ms is CLOCK_MONOTONIC since the first send; instance is the answer's text (TXT strings
 * joined, spaces as '_'), NODATA, or LOST, REFUSED (ICMP port unreachable), UNREACH (other ICMP
 * or no route), SERVFAIL, RCODE:n; rtt_us is '-' for LOST. Lines starting with '#' are the
 * header, late answers, switches, gaps, stalls and the summary (also on stderr at the end).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <time.h> /* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define DP_IDS	      65536 /* one slot per DNS ID, so late answers still find their query */
#define DP_MAX_INST   32
#define DP_MAX_NOTES  256
#define DP_NOTE_LEN   192
#define DP_LIVE_NS    100000000LL
#define DP_LIVE_COLS  36
#define DP_RECV_BATCH 256
#define NS_PER_MS     1000000LL

enum { DP_FREE, DP_PENDING, DP_DONE };
/* Failed results; a result >= 0 is an index into the instance table. */
enum { DP_LOST = -1, DP_REFUSED = -2, DP_UNREACH = -3, DP_SERVFAIL = -4, DP_RCODE = -5 };
#define DP_NFAIL 6
static const char *const dp_fail_names[DP_NFAIL] = {"", "LOST", "REFUSED", "UNREACH", "SERVFAIL"};

struct dp_query {
	uint64_t seq;
	int64_t sent; /* CLOCK_MONOTONIC ns */
	int64_t rtt;  /* ns, -1 when nothing came back */
	uint8_t state;
	uint8_t rcode;
	int16_t result;
};

struct dp {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char *server, *qname_str, *class_str, *type_str;
	unsigned long port;
	int64_t interval, timeout, duration; /* ns */
	uint64_t count;			     /* 0: until duration */
	bool live;
	ldns_rdf *qname;
	ldns_rr_type qtype;
	ldns_rr_class qclass;
	ldns_pkt *query;
	ldns_buffer *wire;
	uint16_t idbase;
	int sock, tfd, sfd;
	FILE *out;
	int64_t t0, next_send;
	uint64_t sent, head; /* head: the oldest query not yet written */
	bool stopping;
	struct dp_query *q;
	char inst[DP_MAX_INST][64];
	uint64_t inst_n[DP_MAX_INST];
	int ninst;
	uint64_t n_fail[DP_NFAIL]; /* by -result */
	uint64_t n_late, n_unmatched, n_dup, n_wrongsrc, n_senderr, n_skipped, rtt_n;
	int64_t rtt_min, rtt_max, rtt_sum;
	int last_inst; /* -1 before the first answer */
	int64_t last_recv;
	bool in_gap;
	int64_t gap_first, gap_last, gap_prev_recv;
	uint64_t gap_n, gap_fail[DP_NFAIL];
	char notes[DP_MAX_NOTES][DP_NOTE_LEN];
	int nnotes;
	uint64_t notes_dropped;
	int64_t live_bucket, live_rtt_max;
	int live_group, live_width, live_in_group, live_len;
	char live_bar[DP_LIVE_COLS + 1], live_cur, live_note[40];
};

static int64_t dp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double dp_ms(const struct dp *dp, int64_t t)
{
	return (double)(t - dp->t0) / 1e6;
}

static struct dp_query *dp_slot(struct dp *dp, uint64_t seq)
{
	return &dp->q[(uint16_t)(seq + dp->idbase)];
}

static const char *dp_result_name(const struct dp *dp, const struct dp_query *q, char *buf,
				  size_t size)
{
	if (q->result >= 0)
		return dp->inst[q->result];
	if (q->result != DP_RCODE)
		return dp_fail_names[-q->result];
	snprintf(buf, size, "RCODE:%u", q->rcode);
	return buf;
}

static char dp_letter(const char *name)
{
	if (strncmp(name, "resolver-", 9) == 0 && name[9])
		name += 9;
	return (char)toupper((unsigned char)name[0]);
}

/* Switches, gaps and stalls go to the output file as they happen and to the summary. */
static void __attribute__((format(printf, 2, 3))) dp_note(struct dp *dp, const char *fmt, ...)
{
	char line[DP_NOTE_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(dp->out, "# %s\n", line);
	if (dp->nnotes < DP_MAX_NOTES)
		memcpy(dp->notes[dp->nnotes++], line, sizeof(line));
	else
		dp->notes_dropped++;
}

static void dp_live_flush(struct dp *dp)
{
	if (dp->live_in_group) {
		dp->live_bar[dp->live_len++] = dp->live_cur;
		dp->live_in_group = 0;
	}
	if (!dp->live_len)
		return;
	dp->live_bar[dp->live_len] = '\0';
	fprintf(stderr, "%8.1fs |%-*s| %5.1fms %s\n", (double)dp->live_bucket / 10, dp->live_width,
		dp->live_bar, (double)dp->live_rtt_max / 1e6, dp->live_note);
	dp->live_len = 0;
	dp->live_rtt_max = 0;
	dp->live_note[0] = '\0';
}

/* One character per query ('A', 'B', '.' lost, '!' refused/unreach/servfail/rcode); when
 * 100 ms hold more than DP_LIVE_COLS queries, one per group, and a failure wins the group. */
static void dp_live_add(struct dp *dp, const struct dp_query *q)
{
	int64_t bucket = (q->sent - dp->t0) / DP_LIVE_NS;
	char c = q->result >= 0 ? dp_letter(dp->inst[q->result]) : q->result == DP_LOST ? '.' : '!';

	if (bucket != dp->live_bucket || dp->live_len >= DP_LIVE_COLS)
		dp_live_flush(dp);
	dp->live_bucket = bucket;
	if (dp->live_in_group == 0 || (dp->live_cur != '.' && (c == '.' || c == '!')) ||
	    (dp->live_cur != '.' && dp->live_cur != '!'))
		dp->live_cur = c;
	if (++dp->live_in_group == dp->live_group) {
		dp->live_bar[dp->live_len++] = dp->live_cur;
		dp->live_in_group = 0;
	}
	if (q->rtt > dp->live_rtt_max)
		dp->live_rtt_max = q->rtt;
}

static void dp_track(struct dp *dp, const struct dp_query *q)
{
	int64_t recv, silence,
	    stall = dp->interval * 5 > 50 * NS_PER_MS ? dp->interval * 5 : 50 * NS_PER_MS;

	if (q->result < 0) {
		if (!dp->in_gap) {
			dp->in_gap = true;
			dp->gap_first = q->sent;
			dp->gap_prev_recv = dp->last_inst >= 0 ? dp->last_recv : dp->t0;
			dp->gap_n = 0;
			memset(dp->gap_fail, 0, sizeof(dp->gap_fail));
		}
		dp->gap_last = q->sent;
		dp->gap_n++;
		dp->gap_fail[-q->result]++;
		return;
	}
	dp->inst_n[q->result]++;
	dp->rtt_n++;
	dp->rtt_sum += q->rtt;
	if (dp->rtt_n == 1 || q->rtt < dp->rtt_min)
		dp->rtt_min = q->rtt;
	if (q->rtt > dp->rtt_max)
		dp->rtt_max = q->rtt;
	recv = q->sent + q->rtt;
	silence = recv - (dp->in_gap ? dp->gap_prev_recv : dp->last_recv);
	if (dp->in_gap) {
		dp_note(dp,
			"gap start_ms=%.3f end_ms=%.3f count=%" PRIu64 " lost=%" PRIu64
			" refused=%" PRIu64 " other=%" PRIu64 " silence_ms=%.3f",
			dp_ms(dp, dp->gap_first), dp_ms(dp, dp->gap_last), dp->gap_n,
			dp->gap_fail[-DP_LOST], dp->gap_fail[-DP_REFUSED],
			dp->gap_n - dp->gap_fail[-DP_LOST] - dp->gap_fail[-DP_REFUSED],
			(double)silence / 1e6);
		snprintf(dp->live_note, sizeof(dp->live_note), "gap %.2fs, %" PRIu64 " failed",
			 (double)silence / 1e9, dp->gap_n);
		dp->in_gap = false;
	} else if (dp->last_inst >= 0 && silence > stall) {
		dp_note(dp, "stall send_ms=%.3f recv_ms=%.3f silence_ms=%.3f", dp_ms(dp, q->sent),
			dp_ms(dp, recv), (double)silence / 1e6);
	}
	if (dp->last_inst >= 0 && q->result != dp->last_inst) {
		dp_note(dp, "switch send_ms=%.3f recv_ms=%.3f from=%s to=%s", dp_ms(dp, q->sent),
			dp_ms(dp, recv), dp->inst[dp->last_inst], dp->inst[q->result]);
		snprintf(dp->live_note, sizeof(dp->live_note), "switch %c->%c",
			 dp_letter(dp->inst[dp->last_inst]), dp_letter(dp->inst[q->result]));
	}
	dp->last_inst = q->result;
	dp->last_recv = recv;
}

/* Writes every settled query at the head, so the file stays in send order. */
static void dp_flush(struct dp *dp)
{
	char buf[16];

	while (dp->head < dp->sent) {
		struct dp_query *q = dp_slot(dp, dp->head);

		if (q->state != DP_DONE)
			break;
		fprintf(dp->out, "%" PRIu64 " %.3f %s ", q->seq, dp_ms(dp, q->sent),
			dp_result_name(dp, q, buf, sizeof(buf)));
		if (q->rtt >= 0)
			fprintf(dp->out, "%" PRId64 "\n", q->rtt / 1000);
		else
			fputs("-\n", dp->out);
		if (dp->live)
			dp_live_add(dp, q); /* before dp_track, which sets the new line's note */
		dp_track(dp, q);
		dp->head++;
	}
}

static void dp_settle(struct dp *dp, struct dp_query *q, int result, uint8_t rcode, int64_t rtt)
{
	if (q->state != DP_PENDING)
		return;
	q->state = DP_DONE;
	q->result = (int16_t)result;
	q->rcode = rcode;
	q->rtt = rtt;
	if (result < 0)
		dp->n_fail[-result]++;
	dp_flush(dp);
}

/* Settles as LOST every query whose timeout has passed (all of them when !now). */
static void dp_expire(struct dp *dp, int64_t now)
{
	while (dp->head < dp->sent) {
		struct dp_query *q = dp_slot(dp, dp->head);

		if (now && q->sent + dp->timeout > now)
			break;
		dp_settle(dp, q, DP_LOST, 0, -1);
	}
}

static int dp_intern(struct dp *dp, const char *name)
{
	int i;

	for (i = 0; i < dp->ninst; i++)
		if (strcmp(dp->inst[i], name) == 0)
			return i;
	if (dp->ninst == DP_MAX_INST - 1)
		name = "OTHER";
	else if (dp->ninst == DP_MAX_INST)
		return DP_MAX_INST - 1;
	snprintf(dp->inst[dp->ninst], sizeof(dp->inst[0]), "%s", name);
	return dp->ninst++;
}

/* The first answer RR of the query type: TXT strings joined, other rdata in text form. */
static void dp_answer_text(const struct dp *dp, const ldns_pkt *p, char *out, size_t size)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t i, j, len = 0;

	out[0] = '\0';
	for (i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) != dp->qtype)
			continue;
		for (j = 0; j < ldns_rr_rd_count(rr) && len + 1 < size; j++) {
			const ldns_rdf *rd = ldns_rr_rdf(rr, j);
			const uint8_t *d = ldns_rdf_data(rd);
			size_t n = ldns_rdf_size(rd);
			char *s = NULL;

			if (ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_STR && n > 0) {
				n = d[0] < n - 1 ? d[0] : n - 1;
				d++;
			} else {
				s = ldns_rdf2str(rd);
				d = (const uint8_t *)(s ? s : "");
				n = strlen((const char *)d);
			}
			if (j > 0)
				out[len++] = ' ';
			for (; n > 0 && len + 1 < size; n--, d++)
				out[len++] = (char)*d;
			out[len] = '\0';
			free(s);
		}
		break;
	}
	for (i = 0; i < len; i++)
		if (out[i] <= ' ' || out[i] > '~')
			out[i] = '_';
	if (!len)
		snprintf(out, size, "NODATA");
}

static bool dp_question_ok(const struct dp *dp, const ldns_pkt *p)
{
	const ldns_rr_list *qs = ldns_pkt_question(p);
	const ldns_rr *rr;

	if (ldns_pkt_qdcount(p) == 0)
		return ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR; /* some errors carry none */
	if (!qs || ldns_rr_list_rr_count(qs) != 1)
		return false;
	rr = ldns_rr_list_rr(qs, 0);
	return ldns_rr_get_type(rr) == dp->qtype && ldns_rr_get_class(rr) == dp->qclass &&
	       ldns_dname_compare(ldns_rr_owner(rr), dp->qname) == 0;
}

static void dp_on_answer(struct dp *dp, const uint8_t *buf, size_t len, int64_t now)
{
	ldns_pkt *p = NULL;
	struct dp_query *q;
	char text[64];
	int result;
	ldns_pkt_rcode rcode;

	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK || !ldns_pkt_qr(p) ||
	    !dp_question_ok(dp, p)) {
		dp->n_unmatched++;
		goto out;
	}
	q = &dp->q[ldns_pkt_id(p)];
	rcode = ldns_pkt_get_rcode(p);
	if (rcode == LDNS_RCODE_NOERROR)
		dp_answer_text(dp, p, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "RCODE:%u", (unsigned)rcode);
	if (q->state == DP_FREE) {
		dp->n_unmatched++;
	} else if (q->state == DP_DONE && q->result >= DP_UNREACH && q->result < 0) {
		dp->n_late++;
		fprintf(dp->out,
			"# late seq=%" PRIu64 " send_ms=%.3f instance=%s rtt_us=%" PRId64 "\n",
			q->seq, dp_ms(dp, q->sent), text, (now - q->sent) / 1000);
	} else if (q->state == DP_DONE) {
		dp->n_dup++;
	} else {
		result = rcode == LDNS_RCODE_NOERROR	? dp_intern(dp, text)
			 : rcode == LDNS_RCODE_SERVFAIL ? DP_SERVFAIL
							: DP_RCODE;
		dp_settle(dp, q, result, (uint8_t)rcode, now - q->sent);
	}
out:
	ldns_pkt_free(p);
}

static bool dp_is_server(const struct dp *dp, const struct sockaddr_storage *a)
{
	const struct sockaddr_in *a4 = (const void *)a, *s4 = (const void *)&dp->addr;
	const struct sockaddr_in6 *a6 = (const void *)a, *s6 = (const void *)&dp->addr;

	if (a->ss_family != dp->addr.ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == s4->sin_port && a4->sin_addr.s_addr == s4->sin_addr.s_addr;
	return a6->sin6_port == s6->sin6_port &&
	       memcmp(&a6->sin6_addr, &s6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* ICMP errors (IP_RECVERR) quote our query, so its ID tells which query failed. */
static void dp_read_errors(struct dp *dp)
{
	union { /* aligned for CMSG_FIRSTHDR */
		struct cmsghdr h;
		uint8_t b[512];
	} cbuf;
	uint8_t buf[512];
	struct sockaddr_storage to;
	int i;

	for (i = 0; i < DP_RECV_BATCH; i++) {
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_name = &to,
				    .msg_namelen = sizeof(to),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = &cbuf,
				    .msg_controllen = sizeof(cbuf)};
		const struct sock_extended_err *ee = NULL;
		ssize_t n = recvmsg(dp->sock, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		int64_t now = dp_now();
		int err;
		socklen_t len = sizeof(err);
		struct cmsghdr *c;
		struct dp_query *q;

		if (n <
		    0) { /* also clear a socket error that has no queue entry, or POLLERR stays */
			getsockopt(dp->sock, SOL_SOCKET, SO_ERROR, &err, &len);
			return;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
				ee = (const void *)CMSG_DATA(c);
		if (!ee || n < 2 || !dp_is_server(dp, &to) ||
		    (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6))
			continue;
		q = &dp->q[LDNS_ID_WIRE(buf)];
		if (q->state != DP_PENDING)
			continue;
		dp_settle(dp, q, ee->ee_errno == ECONNREFUSED ? DP_REFUSED : DP_UNREACH, 0,
			  now - q->sent);
	}
}

static void dp_read_answers(struct dp *dp)
{
	uint8_t buf[4096];
	int i;

	for (i = 0; i < DP_RECV_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(dp->sock, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);
		int64_t now = dp_now();

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) /* the socket error of an ICMP message; the error queue has it */
			continue;
		if (dp_is_server(dp, &from))
			dp_on_answer(dp, buf, (size_t)n, now);
		else if (dp->n_wrongsrc++ == 0)
			fputs("dnsprobe: an answer came from another address or port than SERVER: "
			      "ignored (the server must answer from the address queried)\n",
			      stderr);
	}
}

static void dp_header(struct dp *dp, const struct timespec *rt, const struct timespec *mono)
{
	char local[64];
	struct tm tm;

	localtime_r(&rt->tv_sec, &tm);
	strftime(local, sizeof(local), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(dp->out,
		"# dnsprobe server=%s port=%lu qname=%s class=%s type=%s interval_ms=%.3f "
		"timeout_ms=%.3f\n",
		dp->server, dp->port, dp->qname_str, dp->class_str, dp->type_str,
		(double)dp->interval / 1e6, (double)dp->timeout / 1e6);
	fprintf(dp->out,
		"# start_realtime=%lld.%09ld start_monotonic=%lld.%09ld start_local=%s.%06ld",
		(long long)rt->tv_sec, rt->tv_nsec, (long long)mono->tv_sec, mono->tv_nsec, local,
		rt->tv_nsec / 1000);
	strftime(local, sizeof(local), "%z", &tm);
	fprintf(dp->out, "%s\n# seq send_ms instance rtt_us\n", local);
}

static void dp_send(struct dp *dp)
{
	uint16_t id = (uint16_t)(dp->sent + dp->idbase);
	struct dp_query *q = &dp->q[id];
	struct timespec rt, mono;
	int64_t now, late;
	ssize_t n;
	int result = 0;

	ldns_pkt_set_id(dp->query, id);
	ldns_buffer_clear(dp->wire);
	ldns_pkt2buffer_wire(dp->wire, dp->query);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	now = (int64_t)mono.tv_sec * 1000000000LL + mono.tv_nsec;
	n = sendto(dp->sock, ldns_buffer_begin(dp->wire), ldns_buffer_position(dp->wire), 0,
		   (struct sockaddr *)&dp->addr, dp->addrlen);
	/* A pending ICMP error fails one send and is cleared by it: try once more. */
	if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH))
		n = sendto(dp->sock, ldns_buffer_begin(dp->wire), ldns_buffer_position(dp->wire), 0,
			   (struct sockaddr *)&dp->addr, dp->addrlen);
	if (n < 0)
		result = errno == ECONNREFUSED				 ? DP_REFUSED
			 : errno == EHOSTUNREACH || errno == ENETUNREACH ? DP_UNREACH
									 : DP_LOST;
	if (dp->sent == 0) {
		dp->t0 = dp->next_send = now;
		dp_header(dp, &rt, &mono);
	}
	*q = (struct dp_query){.seq = dp->sent++, .sent = now, .rtt = -1, .state = DP_PENDING};
	if (result) {
		dp->n_senderr++;
		dp_settle(dp, q, result, 0, 0);
	}
	/* Keep the grid: slots missed (we were not scheduled) are skipped, not sent in a burst. */
	dp->next_send += dp->interval;
	late = (dp_now() - dp->next_send) / dp->interval;
	if (late > 0) {
		dp->n_skipped += (uint64_t)late;
		dp->next_send += late * dp->interval;
	}
	if ((dp->count && dp->sent >= dp->count) || dp->next_send - dp->t0 >= dp->duration)
		dp->stopping = true;
}

static void dp_summary(struct dp *dp, FILE *f)
{
	uint64_t answered = dp->rtt_n;
	int i;

	fprintf(f,
		"# summary sent=%" PRIu64 " answered=%" PRIu64 " lost=%" PRIu64 " refused=%" PRIu64
		" unreach=%" PRIu64 " servfail=%" PRIu64 " rcode=%" PRIu64 " late=%" PRIu64 "\n",
		dp->sent, answered, dp->n_fail[-DP_LOST], dp->n_fail[-DP_REFUSED],
		dp->n_fail[-DP_UNREACH], dp->n_fail[-DP_SERVFAIL], dp->n_fail[-DP_RCODE],
		dp->n_late);
	fprintf(f,
		"# counters unmatched=%" PRIu64 " duplicate=%" PRIu64 " wrong_source=%" PRIu64
		" send_errors=%" PRIu64 " skipped=%" PRIu64 " duration_ms=%.3f\n",
		dp->n_unmatched, dp->n_dup, dp->n_wrongsrc, dp->n_senderr, dp->n_skipped,
		dp->sent ? dp_ms(dp, dp_now()) : 0.0);
	if (answered)
		fprintf(f, "# rtt_us min=%" PRId64 " avg=%" PRId64 " max=%" PRId64 "\n",
			dp->rtt_min / 1000, dp->rtt_sum / (int64_t)answered / 1000,
			dp->rtt_max / 1000);
	for (i = 0; i < dp->ninst; i++)
		fprintf(f, "# instance name=%s answered=%" PRIu64 "\n", dp->inst[i], dp->inst_n[i]);
	for (i = 0; i < dp->nnotes; i++)
		fprintf(f, "# %s\n", dp->notes[i]);
	if (dp->notes_dropped)
		fprintf(f, "# notes_dropped=%" PRIu64 "\n", dp->notes_dropped);
	if (dp->in_gap)
		fprintf(f, "# gap start_ms=%.3f end_ms=%.3f count=%" PRIu64 " open\n",
			dp_ms(dp, dp->gap_first), dp_ms(dp, dp->gap_last), dp->gap_n);
}

static int dp_loop(struct dp *dp)
{
	struct pollfd pfd[3] = {{.fd = dp->sock, .events = POLLIN},
				{.fd = dp->tfd, .events = POLLIN},
				{.fd = dp->sfd, .events = POLLIN}};
	int64_t wake, now;
	uint64_t ticks;

	dp_send(dp);
	while (!dp->stopping || dp->head < dp->sent) {
		struct itimerspec its = {0};

		wake = dp->stopping ? INT64_MAX : dp->next_send;
		if (dp->head < dp->sent && dp_slot(dp, dp->head)->sent + dp->timeout < wake)
			wake = dp_slot(dp, dp->head)->sent + dp->timeout;
		its.it_value.tv_sec = wake / 1000000000LL;
		its.it_value.tv_nsec = wake % 1000000000LL;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (timerfd_settime(dp->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ||
		    (poll(pfd, 3, -1) < 0 && errno != EINTR))
			return -errno;
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(dp->sfd, &si, sizeof(si)) == sizeof(si) && dp->stopping)
				dp_expire(dp, 0); /* a second signal: the rest are lost at exit */
			dp->stopping = true;
		}
		if (pfd[0].revents & POLLERR)
			dp_read_errors(dp);
		if (pfd[0].revents & POLLIN)
			dp_read_answers(dp);
		if (pfd[1].revents & POLLIN && read(dp->tfd, &ticks, sizeof(ticks)) < 0)
			return -errno;
		now = dp_now();
		dp_expire(dp, now);
		if (!dp->stopping && now >= dp->next_send)
			dp_send(dp);
	}
	return 0;
}

static int dp_parse_num(const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static void dp_usage(FILE *f)
{
	fputs(
	    "usage: dnsprobe -s SERVER [-p PORT] [-i INTERVAL_MS] [-t TIMEOUT_MS]\n"
	    "                (-d DURATION_S | -n COUNT) [-o FILE] [-q QNAME] [-c CLASS] [-T TYPE]\n"
	    "                [--live]\n"
	    "defaults: port 53, interval 10 ms, timeout 500 ms, id.server CH TXT, at most 1 hour\n",
	    f);
}

static int dp_options(struct dp *dp, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"live", no_argument, NULL, 'L'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	static const char numopts[] = "pitdn";
	static const double lo[] = {1, 1, 1, 0.001, 1}, hi[] = {65535, 60000, 60000, 3600, 1e9};
	double num[] = {53, 10, 500, 3600, 0}; /* port, interval, timeout, duration, count */
	const char *o;
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "s:p:i:t:d:n:o:q:c:T:h", longopts, NULL)) != -1) {
		if (c && (o = strchr(numopts, c))) {
			err |= dp_parse_num(optarg, lo[o - numopts], hi[o - numopts],
					    &num[o - numopts]);
		} else if (c == 's') {
			dp->server = optarg;
		} else if (c == 'q') {
			dp->qname_str = optarg;
		} else if (c == 'c') {
			dp->class_str = optarg;
		} else if (c == 'T') {
			dp->type_str = optarg;
		} else if (c == 'o') {
			if (dp->out)
				fclose(dp->out);
			dp->out = fopen(optarg, "w");
			if (!dp->out) {
				fprintf(stderr, "dnsprobe: %s: %s\n", optarg, strerror(errno));
				return -EINVAL;
			}
		} else if (c == 'L') {
			dp->live = true;
		} else {
			dp_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 1 : -EINVAL;
		}
	}
	if (num[0] != (double)(unsigned long)num[0] || num[4] != (double)(uint64_t)num[4])
		err = -EINVAL; /* port and count are whole numbers */
	if (err || optind != argc || !dp->server) {
		fputs("dnsprobe: bad or missing argument (numbers are range-checked)\n", stderr);
		dp_usage(stderr);
		return -EINVAL;
	}
	dp->port = (unsigned long)num[0];
	dp->interval = (int64_t)(num[1] * NS_PER_MS);
	dp->timeout = (int64_t)(num[2] * NS_PER_MS);
	dp->duration = (int64_t)(num[3] * 1e9);
	dp->count = (uint64_t)num[4];
	return 0;
}

static int dp_setup(struct dp *dp)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV},
			*ai;
	char port[8];
	int on = 1, r;
	sigset_t mask;

	snprintf(port, sizeof(port), "%lu", dp->port);
	r = getaddrinfo(dp->server, port, &hints, &ai);
	if (r) {
		fprintf(stderr, "dnsprobe: %s: %s\n", dp->server, gai_strerror(r));
		return -EINVAL;
	}
	memcpy(&dp->addr, ai->ai_addr, ai->ai_addrlen);
	dp->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	dp->qname = ldns_dname_new_frm_str(dp->qname_str);
	dp->qtype = ldns_get_rr_type_by_name(dp->type_str);
	dp->qclass = ldns_get_rr_class_by_name(dp->class_str);
	if (!dp->qname || !dp->qtype || !dp->qclass) {
		fprintf(stderr, "dnsprobe: bad query %s %s %s\n", dp->qname_str, dp->class_str,
			dp->type_str);
		return -EINVAL;
	}
	dp->query = ldns_pkt_query_new(ldns_rdf_clone(dp->qname), dp->qtype, dp->qclass, LDNS_RD);
	dp->wire = ldns_buffer_new(512);
	dp->q = calloc(DP_IDS, sizeof(*dp->q));
	if (!dp->query || !dp->wire || !dp->q ||
	    ldns_pkt2buffer_wire(dp->wire, dp->query) != LDNS_STATUS_OK)
		return -ENOMEM;
	if (getrandom(&dp->idbase, sizeof(dp->idbase), 0) != sizeof(dp->idbase))
		dp->idbase = (uint16_t)getpid();
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	dp->sock = socket(dp->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	dp->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (dp->sock < 0 || dp->tfd < 0 || sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (dp->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (dp->addr.ss_family == AF_INET
		 ? setsockopt(dp->sock, SOL_IP, IP_RECVERR, &on, sizeof(on))
		 : setsockopt(dp->sock, SOL_IPV6, IPV6_RECVERR, &on, sizeof(on))) < 0) {
		r = -errno;
		fprintf(stderr, "dnsprobe: setup: %s\n", strerror(errno));
		return r;
	}
	prctl(PR_SET_TIMERSLACK, 1000UL); /* 1 us: sends on the grid, not 50 us late */
	return 0;
}

int main(int argc, char **argv)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	int64_t per_line;
	int r;

	if (!dp)
		return 1;
	dp->qname_str = "id.server.";
	dp->class_str = "CH";
	dp->type_str = "TXT";
	dp->sock = dp->tfd = dp->sfd = dp->last_inst = -1;
	dp->live_bucket = -1;
	r = dp_options(dp, argc, argv);
	if (r)
		goto cleanup;
	if (!dp->out)
		dp->out = stdout;
	setvbuf(dp->out, NULL, _IOLBF, 0);
	r = dp_setup(dp);
	if (r)
		goto cleanup;
	per_line = (DP_LIVE_NS + dp->interval - 1) / dp->interval;
	dp->live_group = (int)((per_line + DP_LIVE_COLS - 1) / DP_LIVE_COLS);
	dp->live_width = (int)((per_line + dp->live_group - 1) / dp->live_group);
	r = dp_loop(dp);
	if (dp->live)
		dp_live_flush(dp);
	if (r)
		fprintf(stderr, "dnsprobe: event loop: %s\n", strerror(-r));
	dp_summary(dp, stderr);
	if (dp->out != stdout)
		dp_summary(dp, dp->out);
cleanup:
	if (dp->out && dp->out != stdout)
		fclose(dp->out);
	if (dp->sock >= 0)
		close(dp->sock);
	if (dp->tfd >= 0)
		close(dp->tfd);
	if (dp->sfd >= 0)
		close(dp->sfd);
	ldns_rdf_deep_free(dp->qname);
	ldns_pkt_free(dp->query);
	ldns_buffer_free(dp->wire);
	free(dp->q);
	free(dp);
	return r < 0 ? 1 : 0;
}
