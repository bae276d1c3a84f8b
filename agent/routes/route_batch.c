/*
 * route_batch.c - applies route operations to the kernel, pipelined,
 * with libmnl.
 *
 * `ip -batch` does one blocking round trip per route (sendmsg, then wait
 * for the ack). Here up to WINDOW requests are packed into one sendmsg;
 * the kernel runs them in order and keeps going after a failure. Only the
 * last request of a window carries NLM_F_ACK, so a success costs no
 * answer at all: errors come back as NLMSG_ERROR with the request's
 * sequence number, and the ack of the last one says the window is done
 * (the kernel answers strictly in order). That is one sendmsg and, on
 * success, one recvmsg per window.
 *
 * Verbs (see docs/routes.md); there are only two, and neither can touch
 * a route of another protocol:
 *   add      RTM_NEWROUTE NLM_F_CREATE|NLM_F_EXCL: never overwrites a route
 *            of another protocol that holds the same key;
 *   del      RTM_DELROUTE with our protocol: the kernel itself refuses to
 *            delete a route of another protocol.
 * A changed route is a del of ours followed by an add, never
 * NLM_F_REPLACE (route_plan.c says why).
 *
 * The receive buffer is enlarged (SO_RCVBUFFORCE when root) because a
 * window where everything fails queues WINDOW error messages with extack
 * text; an overflow (ENOBUFS) loses answers, and the ops left without
 * one are reported failed, to be repaired by the next pass.
 */
#include "routes/route_nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "lib/util.h"

#define WINDOW 256  /* requests per sendmsg (~100 bytes each) */
#define MSG_MAX 256 /* bytes of one route request, generously */
#define RCVBUF (4 << 20)
#define EXTACK_LEN 160

struct window {
	size_t idx[WINDOW]; /* op index of each request */
	int err[WINDOW];    /* 0, -errno, or 1 = no answer (yet) */
	char msg[WINDOW][EXTACK_LEN];
	size_t n;
	uint32_t seq0; /* seq of request 0; request i has seq0 + i */
	bool done;
};

static void sockopts(struct mnl_socket *nl)
{
	int fd = mnl_socket_get_fd(nl), one = 1, sz = RCVBUF;
	struct timeval tv = { .tv_sec = 10 };

	/* answers without a copy of the request, with extack text */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	sz = WINDOW * MSG_MAX * 2;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* a lost final ack must not hang the agent */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type,
		     const struct prefix *p)
{
	mnl_attr_put(nlh, type, p->family == AF_INET ? 4 : 16, p->addr);
}

/*
 * One request. Kernel behaviour this relies on (checked against
 * fib_table_delete/fib_nh_match and ip6_route_del):
 *
 * - IPv4 RTM_DELROUTE: a zero field in the request is a wildcard. With
 *   metric (RTA_PRIORITY) 0 the delete matches a route of ANY metric, and
 *   the kernel deletes the first alias of (dst, tos, table) that matches
 *   the other fields. rtm_protocol is one of those fields: it is what
 *   keeps the delete off a foreign route with our destination and
 *   gateway (together with gateway and oif, which we also send). It must
 *   never be 0 here. Our default IPv4 metric is 0, so this is the normal
 *   case, not a corner. rtm_scope RT_SCOPE_NOWHERE and rtm_type 0 are
 *   wildcards too ("any scope, any type").
 * - IPv6 RTM_DELROUTE matches the metric exactly when non-zero; we send
 *   the effective metric (0 is stored as 1024), and the protocol.
 * - RTM_NEWROUTE with NLM_F_REPLACE would replace the FIRST route with the
 *   same key (IPv4: dst, tos, priority; IPv6: dst, metric) whatever its
 *   protocol: no protocol check at all. That is why it is never sent.
 *   NLM_F_EXCL makes the kernel answer EEXIST when any route holds the
 *   key, ours or not (route.c reports that as a foreign route).
 */
static size_t build(char *buf, const struct route_op *op, uint32_t seq,
		    bool ack)
{
	const struct route *r = &op->r;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->dst.family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol; /* never 0: see above */
	if (op->kind == ROUTE_DEL) {
		nlh->nlmsg_type = RTM_DELROUTE;
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* any scope, any type */
	} else {
		nlh->nlmsg_type = RTM_NEWROUTE;
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
		rtm->rtm_type = RTN_UNICAST;
	}
	put_addr(nlh, RTA_DST, &r->dst);
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table); /* ids > 255 need it */
	if (r->via.family)
		put_addr(nlh, RTA_GATEWAY, &r->via);
	if (r->ifindex > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->ifindex);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return nlh->nlmsg_len;
}

static int extack_cb(const struct nlattr *a, void *data)
{
	char *msg = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		str_copy(msg, mnl_attr_get_str(a), EXTACK_LEN);
	return MNL_CB_OK;
}

/* One NLMSG_ERROR (an ack when error == 0) for a request of ours. */
static void on_answer(struct window *w, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh), off = sizeof(*e);
	uint32_t i = nlh->nlmsg_seq - w->seq0;

	if (len < sizeof(*e) || i >= w->n)
		return; /* not ours, or from an earlier window */
	w->err[i] = e->error;
	w->msg[i][0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off < len)
		mnl_attr_parse_payload((const char *)e + off, len - off,
				       extack_cb, w->msg[i]);
	if (i == w->n - 1)
		w->done = true;
}

static int collect(struct mnl_socket *nl, struct window *w, char *rbuf,
		   size_t rlen)
{
	unsigned portid = mnl_socket_get_portid(nl);

	while (!w->done) {
		ssize_t got = mnl_socket_recvfrom(nl, rbuf, rlen);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
		int left = (int)got;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_pid == portid)
				on_answer(w, nlh);
	}
	return 0;
}

/* Fills the window from ops[*next...]; returns the bytes to send. */
static size_t fill(struct window *w, const struct route_op *ops, size_t n,
		   size_t *next, char *sbuf, uint32_t seq0)
{
	size_t len = 0;

	w->n = 0;
	w->seq0 = seq0;
	w->done = false;
	for (; *next < n && w->n < WINDOW; (*next)++) {
		if (ops[*next].kind == ROUTE_UNREACHABLE)
			continue;
		w->idx[w->n] = *next;
		w->err[w->n] = 1;
		w->n++;
	}
	for (size_t i = 0; i < w->n; i++)
		len += build(sbuf + len, &ops[w->idx[i]], seq0 + (uint32_t)i,
			     i == w->n - 1);
	return len;
}

static int run(struct mnl_socket *nl, const struct route_op *ops, size_t n,
	       route_done_fn done, void *arg, char *sbuf, char *rbuf,
	       struct window *w)
{
	uint32_t seq = (uint32_t)time(NULL) << 8;
	size_t next = 0;
	int r = 0, lost = 0;

	while (next < n) {
		size_t len = fill(w, ops, n, &next, sbuf, seq);
		int wr = r;

		if (!w->n)
			break;
		seq += WINDOW;
		if (!wr && mnl_socket_sendto(nl, sbuf, len) < 0)
			wr = r = -errno; /* the socket is unusable: stop */
		if (!wr)
			wr = collect(nl, w, rbuf, MNL_SOCKET_BUFFER_SIZE * 2);
		if (wr == -ENOBUFS)
			lost = wr; /* answers dropped; later windows may pass */
		else if (wr)
			r = wr;
		for (size_t i = 0; i < w->n; i++) {
			/* silence is success once the window's last ack came */
			bool unknown = w->err[i] == 1 && wr;
			int e = w->err[i] == 1 ? wr : w->err[i];

			done(arg, w->idx[i], e,
			     unknown ? "no answer from the kernel" : w->msg[i]);
		}
	}
	return r ? r : lost;
}

int route_batch_apply(const struct route_op *ops, size_t n, route_done_fn done,
		      void *arg, char *err, size_t errlen)
{
	struct mnl_socket *nl;
	struct window *w;
	char *sbuf, *rbuf;
	int r;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return errf(err, errlen, errno, "netlink: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = errf(err, errlen, errno, "netlink bind: %s",
			 strerror(errno));
		goto close;
	}
	sockopts(nl);
	w = malloc(sizeof(*w));
	sbuf = malloc(WINDOW * MSG_MAX);
	rbuf = malloc(MNL_SOCKET_BUFFER_SIZE * 2);
	if (!w || !sbuf || !rbuf)
		r = errf(err, errlen, ENOMEM, "route apply: out of memory");
	else
		r = run(nl, ops, n, done, arg, sbuf, rbuf, w);
	if (r && r != -ENOMEM)
		errf(err, errlen, -r, "route apply: netlink: %s", strerror(-r));
	free(rbuf);
	free(sbuf);
	free(w);
close:
	mnl_socket_close(nl);
	return r;
}
