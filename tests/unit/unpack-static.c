/* unpack-static.c - the layer unpacker linked the way lighter-agent links
 * it (static glibc, libarchive, zlib, zstd, nettle), as a program that
 * test-unpack runs: the static build must behave like the shared one
 * (e.g. UTF-8 names in the C locale, no NSS lookups).
 *
 *   unpack-static BLOB ROOT [DIFF_ID]
 *
 * Exit 0 and one line of stats on stdout, or 1 and the error on stderr. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "unpack.h"

int main(int argc, char **argv)
{
	struct unpack_stats st;
	struct lerr e = { 0 };
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: unpack-static BLOB ROOT [DIFF_ID]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (unpack_layer(fd, argv[2], argv[1], argc == 4 ? argv[3] : NULL,
			 NULL, &st, &e) < 0) {
		fprintf(stderr, "unpack-static: %s\n", e.msg);
		return 1;
	}
	printf("%s entries=%llu files=%llu whiteouts=%llu opaques=%llu "
	       "compression=%s warnings=%llu\n",
	       st.diff_id, (unsigned long long)st.entries,
	       (unsigned long long)st.files, (unsigned long long)st.whiteouts,
	       (unsigned long long)st.opaques, st.compression,
	       (unsigned long long)st.warnings);
	close(fd);
	return 0;
}
