/*
 * util.c - helpers with no kernel state of their own.
 *
 * Prefix parsing is strict (host bits must be zero in a CIDR) because a
 * sloppy parse is how a typo in a snapshot would become a wrong route.
 * write_file_atomic() is the only way snapnet writes a file others read:
 * a reader sees the old bytes or the new bytes, never a mix.
 */
#define _GNU_SOURCE
#include "lib/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int errf(char *buf, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -err;
}

bool str_copy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (len == 0)
		return false;
	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

static int addr_parse(const char *s, size_t n, struct prefix *out)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, tmp, out->addr) == 1) {
		out->family = AF_INET;
		out->len = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out->addr) == 1) {
		out->family = AF_INET6;
		out->len = 128;
		return 0;
	}
	return -EINVAL;
}

int prefix_parse_addr(const char *s, struct prefix *out)
{
	return addr_parse(s, strlen(s), out);
}

static bool host_bits_zero(const struct prefix *p)
{
	unsigned bits = p->family == AF_INET ? 32 : 128;

	for (unsigned i = p->len; i < bits; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* Sets *why (when why is given) and returns -EINVAL. */
static int cidr_refuse(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EINVAL;
}

int prefix_parse_cidr_why(const char *s, struct prefix *out, const char **why)
{
	const char *slash = strchr(s, '/');
	unsigned long len;
	char *end;

	if (why)
		*why = NULL;
	if (!slash)
		return cidr_refuse(why, "no prefix length");
	if (addr_parse(s, (size_t)(slash - s), out) < 0)
		return cidr_refuse(why, "bad address");
	/* digits only, no sign, no padding: "/024" is not a length */
	if (slash[1] < '0' || slash[1] > '9' ||
	    (slash[1] == '0' && slash[2] != '\0'))
		return cidr_refuse(why, "bad prefix length");
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end || len > out->len || end - slash > 4)
		return cidr_refuse(why, "bad prefix length");
	out->len = (uint8_t)len;
	if (!host_bits_zero(out))
		return cidr_refuse(why, "host bits set");
	return 0;
}

int prefix_parse_cidr(const char *s, struct prefix *out)
{
	return prefix_parse_cidr_why(s, out, NULL);
}

char *addr_format(const struct prefix *p, char *buf, size_t len)
{
	if (!p->family || !inet_ntop(p->family, p->addr, buf, len))
		snprintf(buf, len, "-");
	return buf;
}

char *prefix_format(const struct prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!p->family) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%s/%u", addr_format(p, a, sizeof(a)), p->len);
	return buf;
}

int prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r < 0 ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return prefix_cmp(a, b) == 0;
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned nbits)
{
	unsigned full = nbits / 8, rest = nbits % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	return ((a[full] ^ b[full]) & (0xff00 >> rest)) == 0;
}

bool prefix_contains(const struct prefix *outer, const struct prefix *inner)
{
	if (!outer->family || outer->family != inner->family ||
	    inner->len < outer->len)
		return false;
	return bits_equal(outer->addr, inner->addr, outer->len);
}

bool prefix_overlaps(const struct prefix *a, const struct prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

struct prefix prefix_host(const struct prefix *p)
{
	struct prefix h = *p;

	h.len = p->family == AF_INET ? 32 : 128;
	return h;
}

struct prefix prefix_nth(const struct prefix *p, uint32_t n)
{
	struct prefix r = *p;
	int i = p->family == AF_INET ? 3 : 15;
	uint64_t carry = n;

	for (; i >= 0 && carry; i--) {
		carry += r.addr[i];
		r.addr[i] = carry & 0xff;
		carry >>= 8;
	}
	return r;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, r;

	if (!str_copy(dir, path, sizeof(dir)))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, char *err,
		      size_t errlen)
{
	return write_file_atomic_mode(path, data, len, 0644, err, errlen);
}

/* mkostemp() makes the temporary file 0600, so a file holding secrets is
 * never readable by others, not even before its final mode is set. */
int write_file_atomic_mode(const char *path, const void *data, size_t len,
			   unsigned mode, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp))
		return errf(err, errlen, ENAMETOOLONG, "%s: path too long",
			    path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return errf(err, errlen, errno, "%s: %s", tmp, strerror(errno));
	r = write_all(fd, data, len);
	if (!r && fchmod(fd, (mode_t)mode) < 0)
		r = -errno;
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return errf(err, errlen, -r, "%s: %s", path, strerror(-r));
	}
	/* The rename is visible, but only durable once the directory is:
	 * the ownership record relies on it surviving a crash. */
	r = fsync_dir_of(path);
	if (r)
		return errf(err, errlen, -r, "%s: fsync of its directory: %s",
			    path, strerror(-r));
	return 0;
}

/* write_file_atomic()'s temporary names: PATH.tmp.XXXXXX. */
static bool is_temp_of(const char *name, const char *base)
{
	size_t n = strlen(base);

	if (strncmp(name, base, n) || strncmp(name + n, ".tmp.", 5))
		return false;
	name += n + 5;
	if (strlen(name) != 6)
		return false;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name))
			return false;
	return true;
}

int file_stale_temps(const char *path, char ***out, size_t *n_out)
{
	char dir[PATH_MAX], **v = NULL;
	const char *base;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	if (!str_copy(dir, path, sizeof(dir)))
		return -ENAMETOOLONG;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		strcpy(dir, ".");
	d = opendir(*dir ? dir : "/");
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!r && (de = readdir(d))) {
		if (!is_temp_of(de->d_name, base))
			continue;
		if (array_grow(&v, &cap, n + 1, sizeof(*v)) ||
		    asprintf(&v[n], "%s/%s", dir, de->d_name) < 0)
			r = -ENOMEM;
		else
			n++;
	}
	closedir(d);
	if (r) {
		file_list_free(v, n);
		return r;
	}
	*out = v;
	*n_out = n;
	return 0;
}

void file_list_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int file_remove_stale_temps(const char *path)
{
	char **v;
	size_t n;
	int r = file_stale_temps(path, &v, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (unlink(v[i]) < 0 && errno != ENOENT)
			r = -errno;
	file_list_free(v, n);
	return r;
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid or
 * cut short: no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0], n, min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL of a cut text */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* True when s[0..n) is the start of a multi-byte sequence that the end
 * of the text cut short. */
static bool utf8_cut_at_end(const char *s, size_t n)
{
	unsigned c = (unsigned char)s[0];
	size_t want = c >= 0xf0 && c <= 0xf4	 ? 4
		      : c >= 0xe0 && c <= 0xef ? 3
		      : c >= 0xc2 && c <= 0xdf ? 2
					       : 0;

	if (!want || n >= want)
		return false;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return false;
	return true;
}

char *utf8_sanitize(const char *s)
{
	size_t len = strlen(s), o = 0;
	/* each bad byte becomes U+FFFD, 3 bytes */
	char *out = malloc(len * 3 + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq((const unsigned char *)s + i);

		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		/* a sequence cut by the end of the text is dropped:
		 * that is where a fixed buffer truncated it */
		if (utf8_cut_at_end(s + i, len - i))
			break;
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i++;
	}
	out[o] = '\0';
	return out;
}

/* O_NONBLOCK: opening a FIFO planted where a file should be must not
 * block the agent forever (signals are only read in the main loop); the
 * fstat then refuses anything but a regular file. */
int read_file_small(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return (int)r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* read to EOF: /proc files report size 0 */
	while (n <= max && (r = read(fd, buf + n, max + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			close(fd);
			free(buf);
			return (int)r;
		}
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (!str_copy(tmp, path, sizeof(tmp)))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int array_grow(void *arr, size_t *cap, size_t need, size_t size)
{
	return array_grow_from(arr, cap, need, size, 16);
}

int array_grow_from(void *arr, size_t *cap, size_t need, size_t size,
		    size_t first)
{
	void **slot = arr;
	size_t n = *cap ? *cap : first;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*slot, n * size);
	if (!p)
		return -ENOMEM;
	*slot = p;
	*cap = n;
	return 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t wall_s(void)
{
	return (uint64_t)time(NULL);
}

struct par_job {
	void (*fn)(void *);
	void *arg;
};

static void *par_thread(void *p)
{
	struct par_job *j = p;

	j->fn(j->arg);
	return NULL;
}

void par_run(void (*fn)(void *), void *const *args, size_t n)
{
	pthread_t tid[PAR_MAX];
	struct par_job job[PAR_MAX];
	bool started[PAR_MAX] = { false };

	for (size_t i = 1; i < n; i++) {
		if (i < PAR_MAX) {
			job[i] = (struct par_job){ fn, args[i] };
			started[i] = !pthread_create(&tid[i], NULL, par_thread,
						     &job[i]);
		}
		if (i >= PAR_MAX || !started[i])
			fn(args[i]); /* no thread: in the caller, in turn */
	}
	if (n)
		fn(args[0]);
	for (size_t i = 1; i < n && i < PAR_MAX; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
}

int sysctl_get(const char *path)
{
	char *buf;
	int v = -1;

	if (read_file_small(path, 64, &buf, NULL) < 0)
		return -1;
	if (buf[0] >= '0' && buf[0] <= '9')
		v = atoi(buf);
	free(buf);
	return v;
}

int sysctl_set(const char *path, int value, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return errf(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
	if (fprintf(f, "%d\n", value) < 0)
		r = -errno;
	if (fclose(f) < 0 && !r)
		r = -errno;
	if (r)
		return errf(err, errlen, -r, "%s: %s", path, strerror(-r));
	return 0;
}
