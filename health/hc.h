/* SPDX-License-Identifier: MIT */
/* health: DNS probes of a resolver through libunbound, and the rise/fall state machine.
 *
 * A probe always reaches the resolver: the libunbound context caches nothing
 * (cache-max-ttl 0), answers nothing itself (the probe name's zone is made transparent),
 * and is thrown away after any failure so that its infrastructure cache never hides a
 * recovered resolver. libunbound runs in the caller's thread (its event API): the caller
 * owns the deadline, polls hc_fd(), calls hc_process() when readable and hc_expire() when
 * the deadline passes. Returns 0 or -errno; logs
 * nothing above debug. */
#ifndef HC_H
#define HC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HC_QNAME_MAX 256
/* "ffff:...:ffff@65535" */
#define HC_SERVER_MAX 56

struct hc_params {
	struct sockaddr_storage server; /* AF_INET or AF_INET6 with its port; zero padding */
	char qname[HC_QNAME_MAX];	/* fully qualified, trailing dot */
	int qtype;			/* RR type number */
	uint32_t rcode_ok;		/* bit n set: rcode n is a healthy answer */
	unsigned timeout_ms;		/* reported in the timeout reason only: the caller times */
	bool tcp; /* query over TCP: a resolver that died refuses at once, over UDP it is
		   * silent (libunbound ignores ICMP) and looks hung until the deadline */
};

enum hc_status {
	HC_OK,
	HC_TIMEOUT, /* no answer before the deadline */
	HC_RCODE,   /* answered, with an rcode not in rcode_ok */
	HC_ERROR,   /* libunbound or system error (network, memory) */
};

struct hc_result {
	enum hc_status status;
	int rcode;	 /* HC_OK and HC_RCODE */
	uint64_t rtt_us; /* start to answer (or to the deadline) */
	char why[96];	 /* "timeout after 100 ms", "rcode SERVFAIL", "libunbound: ..." */
};

/* "127.0.0.1@53", "::1@5353": as ub_ctx_set_fwd() takes it and as logs show it. Returns buf,
 * "?" for a family that is neither. */
const char *hc_server_str(const struct sockaddr_storage *ss, char *buf, size_t len);
/* Same resolver, name, type, rcodes, deadline and transport. */
bool hc_params_equal(const struct hc_params *a, const struct hc_params *b);

typedef void (*hc_done_cb)(const struct hc_result *r, void *data);

struct hc;

/* Validates nothing beyond what libunbound refuses: callers pass parsed params. */
int hc_create(struct hc **out, const struct hc_params *p, hc_done_cb cb, void *data);
void hc_destroy(struct hc *hc);
/* Starts one probe. -EBUSY while one is in flight; -ENOMEM, -EAGAIN or -EIO when a fresh
 * context cannot be made, and then no callback follows (count it as a failed probe). */
int hc_start(struct hc *hc);
/* The fd to poll: readable when libunbound has work (a socket, a timer) or a result is
 * ready. The same fd for hc's whole life, whatever happens to its contexts. */
int hc_fd(const struct hc *hc);
bool hc_busy(const struct hc *hc);
/* Whether a libunbound context is kept for the next probe (false after a failure). */
bool hc_has_context(const struct hc *hc);
/* The fd is readable: runs libunbound's work and may call cb (exactly once per probe, here
 * or in hc_expire). The callback may call hc_start() or hc_destroy(). Returns 0 or -errno
 * (epoll failed). */
int hc_process(struct hc *hc);
/* The deadline passed: cancels the probe, drops the context, calls cb with HC_TIMEOUT.
 * No-op when nothing is in flight. */
void hc_expire(struct hc *hc);

/* "NOERROR", "SERVFAIL", ... -> rcode; -1 when unknown. Case-insensitive. */
int hc_rcode_parse(const char *name);
/* rcode -> "SERVFAIL"; "UNKNOWN" for an rcode without a name. A static string. */
const char *hc_rcode_name(int rcode);
/* "A", "AAAA", "TXT", ..., "TYPE65" -> RR type number; -1 when unknown. Case-insensitive. */
int hc_qtype_parse(const char *name);

/* Rise/fall: `rise` consecutive good probes announce, `fall` consecutive bad ones withdraw. */
struct hc_fsm {
	unsigned rise, fall;
	unsigned good, bad; /* current run lengths */
	bool up;
};

enum hc_change {
	HC_SAME,
	HC_WENT_UP,
	HC_WENT_DOWN,
};

void hc_fsm_init(struct hc_fsm *f, unsigned rise, unsigned fall, bool up);
enum hc_change hc_fsm_feed(struct hc_fsm *f, bool ok);
/* A failure that settles it (the kernel confirmed what the probe saw): down at once. */
enum hc_change hc_fsm_down_now(struct hc_fsm *f);

/* Flap damping, RFC 2439's way: each withdrawal adds HC_DAMP_PENALTY, which halves every
 * half-life; above HC_DAMP_SUPPRESS the service stays out until the penalty has decayed
 * below HC_DAMP_REUSE. One failure never suppresses (normal recovery is not slowed), a
 * second within about a half-life does; HC_DAMP_MAX bounds how long a service that flapped
 * for hours stays out once stable: log2(MAX / REUSE) = 2.4 half-lives. */
#define HC_DAMP_PENALTY	 1000.0
#define HC_DAMP_SUPPRESS 1500.0
#define HC_DAMP_REUSE	 750.0
#define HC_DAMP_MAX	 4000.0

struct hc_damp {
	unsigned half_life_ms; /* 0: off */
	double penalty;	       /* as of at_us */
	uint64_t at_us;	       /* CLOCK_MONOTONIC */
	bool suppressed;
};

void hc_damp_init(struct hc_damp *d, unsigned half_life_ms);
/* A withdrawal at now_us; true when it starts a suppression. */
bool hc_damp_flap(struct hc_damp *d, uint64_t now_us);
/* The penalty decayed to now_us; true when that ends a suppression. */
bool hc_damp_update(struct hc_damp *d, uint64_t now_us);
/* While suppressed: when the penalty will have decayed below HC_DAMP_REUSE. */
uint64_t hc_damp_reuse_at(const struct hc_damp *d);

#endif
