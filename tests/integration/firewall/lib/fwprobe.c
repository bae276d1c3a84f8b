// SPDX-License-Identifier: Apache-2.0
/*
 * fwprobe - the server and the prober of the firewall integration tests.
 *
 * Built by the bats files' setup_file (cc -O2 -Wall -Wextra -Werror) into
 * a temporary directory; never by the Makefile, never installed.
 *
 *   fwprobe serve NAME
 *       In the current network namespace, listen on TCP and UDP ports 80
 *       and 81 (and SCTP 80/81 when the kernel has SCTP sockets) on every
 *       address, IPv4 and IPv6 (two sockets per port, the IPv6 one
 *       V6ONLY). Every TCP/SCTP connection gets "NAME\n" and is closed;
 *       every UDP datagram is answered with "NAME\n" from the address it
 *       was sent to (IP_PKTINFO / IPV6_PKTINFO), so a connected client
 *       socket accepts the reply. Prints "ready NAME" on stdout once
 *       listening.
 *
 *   fwprobe serve-all NETNS=NAME...
 *       One child per pair setns()es into NETNS (a name under /run/netns
 *       or a path) and serves NAME as above ("ready NAME" on stdout).
 *       The parent only waits: on SIGTERM or SIGINT it kills and reaps
 *       every child, then exits 0; a child that dies is reported on
 *       stderr. Children die with the parent (PR_SET_PDEATHSIG). One
 *       process tree per cluster, so teardown ends it with one signal and
 *       nothing is left for an init that does not reap orphans (this
 *       machine's pid 1 does not: a server per pod would stay a zombie).
 *
 *   fwprobe probe [-t TIMEOUT_MS] [-p PORT_BASE]  < JOBS
 *       JOBS: one line per probe, "ID NETNS DST PROTO PORT", where NETNS
 *       is a name under /run/netns (or a path), DST an IPv4 or IPv6
 *       address, PROTO tcp|udp|sctp. One child per distinct NETNS
 *       setns()es into it and runs all of its probes at once
 *       (non-blocking connect, one poll loop, a fresh socket per probe),
 *       so the whole job list takes about one timeout. Prints, in input
 *       order, "ID RESULT [DETAIL]":
 *         ok NAME        the server answered NAME
 *         refused        ECONNREFUSED (TCP RST, ICMP port unreachable)
 *         unreach ERRNO  another ICMP error (host/admin prohibited ...)
 *         timeout        nothing within the timeout
 *         noreply        TCP connected but no name arrived in time
 *         error WHAT     the probe itself failed (socket, bind ...)
 *       With -p, the probe with index k (0-based) inside its namespace
 *       binds source port PORT_BASE + k, so probes of successive runs
 *       never reuse a 5-tuple that may still sit in a node's conntrack
 *       table (a stale ESTABLISHED entry would let a now-denied UDP probe
 *       through); the harness moves the base on after every run.
 *       Exit status 0 when every job got a result line, 1 otherwise.
 *
 *   fwprobe nflog GROUP MS
 *       In the current network namespace, bind NFLOG group GROUP
 *       (nfnetlink_log), print "ready" once bound, then one line per
 *       logged packet for MS milliseconds: "PREFIX SRC DST PROTO" (PROTO
 *       tcp|udp|icmp|ipv6-icmp|N, from the IP header; an IPv6 packet's
 *       next header is taken as its protocol). Exit 0, or 1 when the
 *       group cannot be bound.
 *
 *   fwprobe sctp-check
 *       Exit 0 when socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) works,
 *       1 (with the reason on stdout) when it does not.
 *
 * UDP probes resend their datagram every 200 ms until the timeout: a
 * first datagram lost while a neighbour entry resolves must not read as
 * a denial. TCP relies on the harness re-probing mismatches once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define MAX_JOBS 8192
#define MAX_LINE 512
#define NAME_MAX_LEN 128

static void die(const char *what)
{
	fprintf(stderr, "fwprobe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int proto_of(const char *s, int *type, int *proto)
{
	if (strcmp(s, "tcp") == 0) {
		*type = SOCK_STREAM;
		*proto = IPPROTO_TCP;
	} else if (strcmp(s, "udp") == 0) {
		*type = SOCK_DGRAM;
		*proto = IPPROTO_UDP;
	} else if (strcmp(s, "sctp") == 0) {
		*type = SOCK_STREAM;
		*proto = IPPROTO_SCTP;
	} else {
		return -1;
	}
	return 0;
}

static int enter_netns(const char *name);

/* --- serve -------------------------------------------------------------- */

struct listener {
	int fd;
	int type;
	int family;
};

static int listen_one(int family, int type, int proto, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (type == SOCK_DGRAM)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		if (type == SOCK_DGRAM)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				   sizeof(one));
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Answer one datagram from the address it was sent to. */
static void udp_answer(int fd, int family, const char *msg, size_t msglen)
{
	char buf[2048], cbuf[256], obuf[256];
	struct sockaddr_storage peer;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	struct msghdr out = { 0 };
	struct iovec oiov = { (void *)msg, msglen };

	mh.msg_name = &peer;
	mh.msg_namelen = sizeof(peer);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(fd, &mh, MSG_DONTWAIT) < 0)
		return;

	memset(obuf, 0, sizeof(obuf));
	out.msg_name = &peer;
	out.msg_namelen = mh.msg_namelen;
	out.msg_iov = &oiov;
	out.msg_iovlen = 1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		struct cmsghdr *o = (struct cmsghdr *)obuf;

		if (family == AF_INET && c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			out.msg_control = obuf;
			out.msg_controllen = CMSG_SPACE(sizeof(pi));
		} else if (family == AF_INET6 &&
			   c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* keep the interface: link-local destinations need it */
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			out.msg_control = obuf;
			out.msg_controllen = CMSG_SPACE(sizeof(pi));
		}
	}
	sendmsg(fd, &out, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static int cmd_serve(const char *name)
{
	static const int ports[] = { 80, 81 };
	static const char *const protos[] = { "tcp", "udp", "sctp" };
	static const int families[] = { AF_INET, AF_INET6 };
	struct listener ls[16];
	struct pollfd pfd[16];
	char msg[NAME_MAX_LEN + 2];
	size_t msglen;
	int n = 0, i, j, k;

	if (strlen(name) > NAME_MAX_LEN) {
		fprintf(stderr, "fwprobe: name too long\n");
		return 1;
	}
	msglen = (size_t)snprintf(msg, sizeof(msg), "%s\n", name);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 2; j++) {
			for (k = 0; k < 2; k++) {
				int type, proto, fd;

				proto_of(protos[i], &type, &proto);
				fd = listen_one(families[j], type, proto,
						ports[k]);
				if (fd < 0) {
					/* SCTP missing, or IPv6 disabled:
					 * say so, serve the rest */
					fprintf(stderr,
						"fwprobe serve: no %s/%s/%d: %s\n",
						protos[i],
						families[j] == AF_INET ? "ipv4"
								       : "ipv6",
						ports[k], strerror(-fd));
					if (i < 2 && families[j] == AF_INET)
						return 1;
					continue;
				}
				ls[n].fd = fd;
				ls[n].type = type;
				ls[n].family = families[j];
				pfd[n].fd = fd;
				pfd[n].events = POLLIN;
				n++;
			}
		}
	}
	printf("ready %s\n", name);
	fflush(stdout);
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (ls[i].type == SOCK_DGRAM) {
				udp_answer(ls[i].fd, ls[i].family, msg, msglen);
				continue;
			}
			for (;;) {
				int c = accept4(ls[i].fd, NULL, NULL,
						SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (c < 0)
					break;
				/* a few bytes always fit the send buffer */
				if (send(c, msg, msglen, MSG_NOSIGNAL) < 0) {
					/* the client is gone: nothing to do */
				}
				close(c);
			}
		}
	}
}

static int cmd_serve_all(int argc, char **argv)
{
	pid_t *kids;
	char **names;
	sigset_t set, old;
	int i, n = argc;

	kids = calloc((size_t)n, sizeof(*kids));
	names = calloc((size_t)n, sizeof(*names));
	if (!kids || !names)
		die("calloc");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		char *eq = strchr(argv[i], '=');
		pid_t parent = getpid();

		if (!eq || eq == argv[i] || !eq[1]) {
			fprintf(stderr, "fwprobe serve-all: want NETNS=NAME, "
					"got '%s'\n", argv[i]);
			goto kill_all;
		}
		*eq = 0;
		names[i] = eq + 1;
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork");
		if (kids[i] == 0) {
			int e;

			sigprocmask(SIG_SETMASK, &old, NULL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			e = enter_netns(argv[i]);
			if (e < 0) {
				fprintf(stderr, "fwprobe: netns %s: %s\n",
					argv[i], strerror(-e));
				_exit(1);
			}
			_exit(cmd_serve(names[i]));
		}
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig != SIGCHLD)
			continue;
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);

			if (p <= 0)
				break;
			for (i = 0; i < n; i++) {
				if (kids[i] != p)
					continue;
				fprintf(stderr, "fwprobe serve-all: server %s "
						"ended (status %d)\n",
					names[i], st);
				kids[i] = 0;
			}
		}
	}
kill_all:
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	free(kids);
	free(names);
	return 0;
}

/* --- probe -------------------------------------------------------------- */

enum state { ST_CONNECTING, ST_READING, ST_DONE };

struct job {
	char id[64];
	char netns[256];
	char dst[64];
	char proto[8];
	int port;
	int group;        /* index of its netns */
	int index;        /* position inside its netns, for the source port */
	/* child side */
	int fd;
	int type;
	enum state st;
	int64_t next_send;
	char got[NAME_MAX_LEN + 1];
	size_t gotlen;
	char result[160];
};

static struct job jobs[MAX_JOBS];
static int njobs;

static void finish(struct job *j, const char *fmt, const char *arg)
{
	snprintf(j->result, sizeof(j->result), fmt, arg);
	j->st = ST_DONE;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

static void finish_errno(struct job *j, int e)
{
	if (e == ECONNREFUSED)
		finish(j, "%s", "refused");
	else
		finish(j, "unreach %s", strerrorname_np(e) ? strerrorname_np(e)
							    : "?");
}

static int parse_dst(const struct job *j, struct sockaddr_storage *ss,
		     socklen_t *len, int *family)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, j->dst, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(j->port);
		*len = sizeof(*s4);
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, j->dst, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(j->port);
		*len = sizeof(*s6);
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static int bind_source(int fd, int family, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		len = sizeof(*s6);
	}
	return bind(fd, (struct sockaddr *)&ss, len);
}

static void start_job(struct job *j, int port_base)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family, proto;

	j->fd = -1;
	if (proto_of(j->proto, &j->type, &proto) < 0) {
		finish(j, "error bad-protocol:%s", j->proto);
		return;
	}
	if (parse_dst(j, &ss, &len, &family) < 0) {
		finish(j, "error bad-address:%s", j->dst);
		return;
	}
	j->fd = socket(family, j->type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (j->fd < 0) {
		finish(j, "error socket:%s", strerrorname_np(errno));
		return;
	}
	if (port_base > 0 &&
	    bind_source(j->fd, family, port_base + j->index) < 0) {
		finish(j, "error bind:%s", strerrorname_np(errno));
		return;
	}
	if (connect(j->fd, (struct sockaddr *)&ss, len) < 0 &&
	    errno != EINPROGRESS) {
		finish_errno(j, errno);
		return;
	}
	j->st = ST_CONNECTING;
	if (j->type == SOCK_DGRAM) {
		j->st = ST_READING;
		j->next_send = 0; /* send at once */
	}
}

/* TCP/SCTP: POLLOUT ends the connect; then read the name until EOF. */
static void stream_event(struct job *j, short rev)
{
	if (j->st == ST_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err) {
			finish_errno(j, err);
			return;
		}
		if (!(rev & (POLLOUT | POLLIN)))
			return;
		j->st = ST_READING;
	}
	if (j->st == ST_READING && (rev & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t r = read(j->fd, j->got + j->gotlen,
				 sizeof(j->got) - 1 - j->gotlen);

		if (r > 0) {
			j->gotlen += (size_t)r;
			if (j->gotlen < sizeof(j->got) - 1)
				return;
		} else if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (j->gotlen == 0) {
				finish_errno(j, errno);
				return;
			}
		}
		/* EOF (or a full buffer): the name is what we have */
		j->got[j->gotlen] = 0;
		j->got[strcspn(j->got, "\n")] = 0;
		if (j->gotlen == 0) {
			finish(j, "%s", "noreply");
		} else {
			char name[sizeof(j->got)];

			memcpy(name, j->got, sizeof(name));
			finish(j, "ok %s", name);
		}
	}
}

static void dgram_event(struct job *j, short rev)
{
	char buf[NAME_MAX_LEN + 1];
	ssize_t r;

	if (!(rev & (POLLIN | POLLERR)))
		return;
	r = recv(j->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		finish_errno(j, errno);
		return;
	}
	buf[r] = 0;
	buf[strcspn(buf, "\n")] = 0;
	finish(j, "ok %s", buf);
}

/* Runs in the child, inside the namespace: every job of group g. */
static void run_group(int g, int timeout_ms, int port_base, int out)
{
	static struct pollfd pfd[MAX_JOBS];
	static int map[MAX_JOBS];
	int64_t deadline;
	int i, n, left;
	FILE *f;

	for (i = 0; i < njobs; i++)
		if (jobs[i].group == g)
			start_job(&jobs[i], port_base);
	deadline = now_ms() + timeout_ms;
	for (;;) {
		int64_t now = now_ms(), wait;

		n = 0;
		left = 0;
		wait = deadline - now;
		for (i = 0; i < njobs; i++) {
			struct job *j = &jobs[i];

			if (j->group != g || j->st == ST_DONE)
				continue;
			left++;
			if (j->type == SOCK_DGRAM && now >= j->next_send) {
				if (send(j->fd, "probe\n", 6, MSG_NOSIGNAL) <
					    0 &&
				    errno != EAGAIN) {
					finish_errno(j, errno);
					continue;
				}
				j->next_send = now + 200;
			}
			if (j->type == SOCK_DGRAM &&
			    j->next_send - now < wait)
				wait = j->next_send - now;
			pfd[n].fd = j->fd;
			pfd[n].events = j->st == ST_CONNECTING
						? POLLOUT
						: POLLIN;
			pfd[n].revents = 0;
			map[n++] = i;
		}
		if (!left || now >= deadline)
			break;
		if (wait < 0)
			wait = 0;
		if (poll(pfd, (nfds_t)n, (int)wait) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < n; i++) {
			struct job *j = &jobs[map[i]];

			if (!pfd[i].revents || j->st == ST_DONE)
				continue;
			if (j->type == SOCK_DGRAM)
				dgram_event(j, pfd[i].revents);
			else
				stream_event(j, pfd[i].revents);
		}
	}
	f = fdopen(out, "w");
	if (!f)
		die("fdopen");
	for (i = 0; i < njobs; i++) {
		struct job *j = &jobs[i];

		if (j->group != g)
			continue;
		if (j->st != ST_DONE)
			finish(j, "%s", j->st == ST_READING &&
						j->type != SOCK_DGRAM
					    ? "noreply"
					    : "timeout");
		fprintf(f, "%d %s\n", i, j->result);
	}
	fclose(f);
}

static int enter_netns(const char *name)
{
	char path[512];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

static int read_jobs(FILE *in, char groups[][256], int *ngroups)
{
	char line[MAX_LINE];
	int lineno = 0;

	while (fgets(line, sizeof(line), in)) {
		struct job *j;
		int g, n;

		lineno++;
		if (line[0] == '\n' || line[0] == '#')
			continue;
		if (njobs == MAX_JOBS) {
			fprintf(stderr, "fwprobe: more than %d jobs\n",
				MAX_JOBS);
			return -1;
		}
		j = &jobs[njobs];
		if (sscanf(line, "%63s %255s %63s %7s %d", j->id, j->netns,
			   j->dst, j->proto, &j->port) != 5 ||
		    j->port < 1 || j->port > 65535) {
			fprintf(stderr, "fwprobe: line %d: want "
					"'ID NETNS DST PROTO PORT'\n",
				lineno);
			return -1;
		}
		for (g = 0; g < *ngroups; g++)
			if (strcmp(groups[g], j->netns) == 0)
				break;
		if (g == *ngroups) {
			if (g == MAX_JOBS)
				return -1;
			snprintf(groups[g], 256, "%s", j->netns);
			(*ngroups)++;
		}
		j->group = g;
		n = 0;
		for (int k = 0; k < njobs; k++)
			n += jobs[k].group == g;
		j->index = n;
		njobs++;
	}
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	static char groups[MAX_JOBS][256];
	static char *results[MAX_JOBS];
	int ngroups = 0, timeout_ms = 1000, port_base = 0, opt, g, i, rc = 0;
	pid_t *pids;
	int *fds;

	while ((opt = getopt(argc, argv, "t:p:")) != -1) {
		switch (opt) {
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'p':
			port_base = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: fwprobe probe [-t MS] "
					"[-p PORT_BASE] < jobs\n");
			return 1;
		}
	}
	if (timeout_ms < 1 || port_base < 0 || port_base > 65535) {
		fprintf(stderr, "fwprobe: bad -t or -p\n");
		return 1;
	}
	if (read_jobs(stdin, groups, &ngroups) < 0)
		return 1;
	for (i = 0; i < njobs; i++) {
		if (port_base && port_base + jobs[i].index > 65535) {
			fprintf(stderr, "fwprobe: port base too high for "
					"%d jobs\n", njobs);
			return 1;
		}
	}
	pids = calloc((size_t)ngroups + 1, sizeof(*pids));
	fds = calloc((size_t)ngroups + 1, sizeof(*fds));
	if (!pids || !fds)
		die("calloc");
	fflush(stdout);
	for (g = 0; g < ngroups; g++) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		pids[g] = fork();
		if (pids[g] < 0)
			die("fork");
		if (pids[g] == 0) {
			int e;

			close(p[0]);
			e = enter_netns(groups[g]);
			if (e < 0) {
				FILE *f = fdopen(p[1], "w");

				for (i = 0; f && i < njobs; i++)
					if (jobs[i].group == g)
						fprintf(f, "%d error netns:%s\n",
							i, strerrorname_np(-e));
				if (f)
					fclose(f);
				_exit(0);
			}
			run_group(g, timeout_ms, port_base, p[1]);
			_exit(0);
		}
		close(p[1]);
		fds[g] = p[0];
	}
	/* each child writes only after its probes end: reading the pipes
	 * one after the other cannot hold a child up for long */
	for (g = 0; g < ngroups; g++) {
		FILE *f = fdopen(fds[g], "r");
		char line[MAX_LINE];

		if (!f)
			die("fdopen");
		while (fgets(line, sizeof(line), f)) {
			char *sp;
			long k = strtol(line, &sp, 10);

			if (k < 0 || k >= njobs || *sp != ' ')
				continue;
			sp[strcspn(sp, "\n")] = 0;
			free(results[k]);
			results[k] = strdup(sp + 1);
		}
		fclose(f);
	}
	for (g = 0; g < ngroups; g++) {
		int st;

		waitpid(pids[g], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	}
	for (i = 0; i < njobs; i++) {
		if (!results[i]) {
			printf("%s error no-result\n", jobs[i].id);
			rc = 1;
			continue;
		}
		printf("%s %s\n", jobs[i].id, results[i]);
		free(results[i]);
	}
	free(pids);
	free(fds);
	return rc;
}

/* --- nflog: what the firewall logs ------------------------------------- */

/* One NFULNL_MSG_CONFIG request for group `res` with one attribute,
 * acknowledged: 0, or the kernel's negative errno. */
static int nflog_config(int fd, uint16_t res, uint16_t type, const void *v,
			size_t vlen)
{
	char buf[256] __attribute__((aligned(4)));
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	struct nfgenmsg *g = NLMSG_DATA(n);
	struct nlattr *a = (struct nlattr *)((char *)g + NLMSG_ALIGN(sizeof(*g)));
	ssize_t r;

	memset(buf, 0, sizeof(buf));
	n->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res);
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + vlen);
	memcpy((char *)a + NLA_HDRLEN, v, vlen);
	n->nlmsg_len = (uint32_t)((char *)a - buf) + NLA_ALIGN(a->nla_len);
	if (send(fd, buf, n->nlmsg_len, 0) < 0)
		return -errno;
	r = recv(fd, buf, sizeof(buf), 0);
	if (r < 0)
		return -errno;
	if (n->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(n))->error;
	return 0;
}

static const char *proto_name(int p, char *buf, size_t len)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	}
	snprintf(buf, len, "%d", p);
	return buf;
}

/* "PREFIX SRC DST PROTO" of one NFULNL_MSG_PACKET. */
static void nflog_print(const struct nlmsghdr *n)
{
	const struct nfgenmsg *g = NLMSG_DATA(n);
	const char *p = (const char *)g + NLMSG_ALIGN(sizeof(*g));
	const char *end = (const char *)n + n->nlmsg_len;
	const char *prefix = "-";
	const unsigned char *ip = NULL;
	size_t iplen = 0;
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?", pb[8];
	int proto = -1;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t len = a->nla_len;

		if (len < NLA_HDRLEN || p + len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NFULA_PREFIX)
			prefix = p + NLA_HDRLEN;
		else if ((a->nla_type & NLA_TYPE_MASK) == NFULA_PAYLOAD) {
			ip = (const unsigned char *)p + NLA_HDRLEN;
			iplen = len - NLA_HDRLEN;
		}
		p += NLA_ALIGN(len);
	}
	if (ip && iplen >= 20 && ip[0] >> 4 == 4) {
		inet_ntop(AF_INET, ip + 12, src, sizeof(src));
		inet_ntop(AF_INET, ip + 16, dst, sizeof(dst));
		proto = ip[9];
	} else if (ip && iplen >= 40 && ip[0] >> 4 == 6) {
		inet_ntop(AF_INET6, ip + 8, src, sizeof(src));
		inet_ntop(AF_INET6, ip + 24, dst, sizeof(dst));
		proto = ip[6];
	}
	printf("%s %s %s %s\n", prefix, src, dst,
	       proto_name(proto, pb, sizeof(pb)));
	fflush(stdout);
}

static int cmd_nflog(const char *group, const char *ms)
{
	struct nfulnl_msg_config_cmd bind = { NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(128),
					       .copy_mode = NFULNL_COPY_PACKET };
	char buf[65536] __attribute__((aligned(4)));
	int64_t until = now_ms() + atoll(ms);
	uint16_t res = (uint16_t)atoi(group);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	int e;

	if (fd < 0)
		die("socket(NETLINK_NETFILTER)");
	if ((e = nflog_config(fd, res, NFULA_CFG_CMD, &bind, sizeof(bind))) ||
	    (e = nflog_config(fd, res, NFULA_CFG_MODE, &mode, sizeof(mode)))) {
		fprintf(stderr, "fwprobe: nflog group %u: %s\n", res,
			strerror(-e));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (int64_t left; (left = until - now_ms()) > 0;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0)
			die("recv(nflog)");
		for (struct nlmsghdr *n = (struct nlmsghdr *)buf;
		     NLMSG_OK(n, (size_t)r); n = NLMSG_NEXT(n, r))
			if (n->nlmsg_type ==
			    ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
				nflog_print(n);
	}
	close(fd);
	return 0;
}

static int cmd_sctp_check(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd < 0) {
		printf("no SCTP sockets: socket(AF_INET, SOCK_STREAM, "
		       "IPPROTO_SCTP): %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	printf("SCTP sockets work\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return cmd_serve(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "serve-all") == 0)
		return cmd_serve_all(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (argc == 4 && strcmp(argv[1], "nflog") == 0)
		return cmd_nflog(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "sctp-check") == 0)
		return cmd_sctp_check();
	fprintf(stderr, "usage: fwprobe serve NAME | serve-all NETNS=NAME... | "
			"probe [-t MS] [-p PORT_BASE] < jobs | nflog GROUP MS | "
			"sctp-check\n");
	return 2;
}
