/* SPDX-License-Identifier: MIT */
/* libFuzzer: arbitrary bytes as a datagram of netlink messages through the event and the
 * sock_diag parsers, and as text through nl_addr_parse(). What parses must also print and
 * read back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../netlink/nl_msg.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const struct nl_addr *a)
{
	char str[NL_ADDRSTRLEN];
	struct nl_addr b;

	/* the kernel may report /0, which nl_addr_parse() refuses by design */
	if (a->prefixlen == 0)
		return;
	nl_addr_str(a, str, sizeof(str));
	if (nl_addr_parse(str, &b) != 0 || !nl_addr_equal(a, &b))
		abort();
}

static void fuzz_messages(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh;
	struct nl_event ev;
	struct nl_sock sk;
	size_t n;
	void *buf;
	int len;

	/* exactly size bytes, so ASan sees any overread; malloc() aligns for nlmsghdr */
	buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	len = size;
	for (nlh = buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		/* libmnl 1.0.4's mnl_nlmsg_ok() casts nlmsg_len to int: from 2^31 up it
		 * passes, and mnl_nlmsg_next() then never moves (0xfffffffd aligns to 0) */
		if (nlh->nlmsg_len > (uint32_t)len)
			break;
		if (nl_msg_parse_diag(nlh, IPPROTO_UDP, &sk) == 0 &&
		    ((sk.family != AF_INET && sk.family != AF_INET6) || sk.proto != IPPROTO_UDP))
			abort();
		if (nl_msg_parse_event(nlh, &ev) != 0)
			continue;
		if (ev.type == NL_EV_NEWADDR || ev.type == NL_EV_DELADDR) {
			check_roundtrip(&ev.addr);
			continue;
		}
		n = strnlen(ev.link.name, sizeof(ev.link.name));
		if (n == 0 || n == sizeof(ev.link.name) || ev.ifindex == 0 ||
		    strnlen(ev.link.kind, sizeof(ev.link.kind)) == sizeof(ev.link.kind))
			abort();
	}
	free(buf);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	struct nl_addr a;
	char *s;

	s = malloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (nl_addr_parse(s, &a) == 0) {
		if (a.prefixlen == 0)
			abort();
		check_roundtrip(&a);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	fuzz_messages(data, size);
	fuzz_text(data, size);
	return 0;
}
