/* logfile.h - container logs in the CRI log format (what kubelet,
 * containerd and CRI-O write), one file per container:
 *
 *   2026-11-28T09:15:02.123456789Z stdout F hello world
 *   2026-11-28T09:15:02.200000000Z stderr P a line that goes on
 *   2026-11-28T09:15:02.300000000Z stderr F  in the next entry
 *
 * `<RFC 3339 time, UTC, 9 digits> <stdout|stderr> <F|P> <text>\n`: F
 * ends a line of the container's output, P is part of a line that the
 * next entry of the same stream continues.  The text never holds '\n'.
 * Output that arrives without a newline is written at once as P (so
 * followers see it live), and an entry holds at most LOG_ENTRY_MAX bytes
 * (longer lines become several P entries).
 *
 * Readers (logfile.c) parse entries from a file that may still grow: an
 * unfinished last line is left for later; and reassemble logical lines
 * (P... F, per stream) for --tail. */
#ifndef LIGHTER_TOOLS_LOGFILE_H
#define LIGHTER_TOOLS_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lighter/error.h>

#include "timefmt.h"

enum log_stream {
	LOG_STDOUT = 0,
	LOG_STDERR = 1,
};

#define LOG_ENTRY_MAX 16384 /* bytes of text in one entry */
/* time, " stderr P ", text, '\n' */
#define LOG_LINE_MAX (TIME_RFC3339_LEN - 1 + 10 + LOG_ENTRY_MAX + 1)
/* A logical line reassembled for --tail keeps at most this much. */
#define LOG_TAIL_LINE_MAX (1U << 20)

struct log_entry {
	int64_t time_ns;
	enum log_stream stream;
	bool partial;	  /* P: the line goes on in the next entry */
	const char *text; /* not NUL-terminated; valid until the next read */
	size_t len;
};

/* One entry line (with its '\n') into out, which holds LOG_LINE_MAX
 * bytes; text is at most LOG_ENTRY_MAX bytes without '\n'.  Returns its
 * length. */
size_t log_line_format(char *out, int64_t time_ns, enum log_stream s,
		       bool partial, const void *text, size_t len);

/* One line without its '\n'.  0, or -EINVAL when it is not an entry. */
int log_line_parse(const char *line, size_t len, struct log_entry *out);

/* Append a container's output (len bytes, any content) to the log file
 * fd (opened O_APPEND): F entries for each complete line, P for what
 * follows the last newline and for pieces of over-long lines, all with
 * time_ns. */
int log_write(int fd, int64_t time_ns, enum log_stream s, const void *data,
	      size_t len, struct lerr *e);

/* Reading a log file that may grow. */
struct log_reader {
	int fd;
	char *buf;
	size_t start, end; /* unparsed bytes buf[start..end) */
	off_t offset;	   /* file offset of buf[end] */
	size_t bad_lines;  /* lines skipped as malformed */
	bool skipping;	   /* inside an over-long malformed line */
};

/* Read fd from offset (the reader does not own fd). */
int log_reader_init(struct log_reader *r, int fd, off_t offset,
		    struct lerr *e);
void log_reader_free(struct log_reader *r);

/* 1 and the next entry; 0 when no complete line is there (yet); -errno.
 * Malformed lines are skipped and counted. */
int log_reader_next(struct log_reader *r, struct log_entry *out,
		    struct lerr *e);

/* A logical line: the text of a run of P entries and the F ending it
 * (complete), or of P entries with nothing after them yet. */
struct log_line {
	int64_t time_ns; /* of its first entry */
	enum log_stream stream;
	bool complete;
	char *text;
	size_t len;
};

/* Read to the end of the file and keep the last n logical lines, in the
 * order they ended (unfinished ones last); *lines is malloc'd (free with
 * log_lines_free()).  The reader is left at the end for following. */
int log_tail(struct log_reader *r, size_t n, struct log_line **lines,
	     size_t *nr, struct lerr *e);

void log_lines_free(struct log_line *lines, size_t nr);

#endif
