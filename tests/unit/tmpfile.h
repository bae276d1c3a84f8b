/*
 * tmpfile.h - a temporary file with given bytes, for the unit tests that
 * load files. Include after cmocka.h. The caller unlinks and frees it.
 */
#ifndef SNAPNET_TEST_TMPFILE_H
#define SNAPNET_TEST_TMPFILE_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline char *write_tmp(const void *doc, size_t len)
{
	char *path = strdup("/tmp/snapnet-test.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, len), (ssize_t)len);
	close(fd);
	return path;
}

#endif
