/* boot-timer.c - times a VMM from exec to the guest's boot-timer write and
 * to its exit, from the outside, for tests/bench/boot.
 *
 *   boot-timer [--debugcon FIFO] [--stderr-line PREFIX] [--timeout S]
 *              -- CMD [ARG...]
 *
 * The clock starts just before fork(); "ready" is the first moment the
 * guest's write of GUEST_PORT_BOOT_READY (123) to port 0x3f0 becomes
 * visible outside the VMM:
 *   --debugcon FIFO     the byte 123 arrives on FIFO (created here), which
 *                       the VMM writes to (QEMU: -chardev file,path=FIFO
 *                       -device isa-debugcon,iobase=0x3f0);
 *   --stderr-line P     a line starting with P appears on the VMM's stderr
 *                       (lighter-vmm: "lighter-vmm: boot-timer: N us"); its
 *                       own figure N is reported as self_us.
 * "exit" is when the process has exited (pidfd readable).  The VMM's
 * stdout goes to /dev/null.  One line on stdout:
 *   ready_us=N exit_us=N status=N self_us=N   (-1: not seen / not known)
 * Exit status 0 when ready was seen and the VMM exited 0, else 1; the
 * VMM's last stderr lines are echoed on failure. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BOOT_READY_BYTE 123

struct timer_opts {
	const char *fifo;
	const char *stderr_prefix;
	long timeout_s;
	char **argv;
};

struct timer_state {
	long long t0, ready_us, exit_us, self_us;
	char errbuf[8192]; /* the VMM's stderr, for lines and for failures */
	size_t errlen, scanned;
};

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(void)
{
	fprintf(stderr, "usage: boot-timer [--debugcon FIFO] "
			"[--stderr-line PREFIX] [--timeout S] -- CMD...\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct timer_opts *o)
{
	int i;

	o->timeout_s = 300;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--debugcon") == 0)
			o->fifo = argv[++i];
		else if (strcmp(argv[i], "--stderr-line") == 0)
			o->stderr_prefix = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0)
			o->timeout_s = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (i >= argc || (!o->fifo && !o->stderr_prefix) || o->timeout_s <= 0)
		usage();
	o->argv = argv + i;
}

/* Looks for complete lines starting with prefix in the stderr seen so far;
 * the buffer keeps its first bytes only, enough for the early lines. */
static void scan_stderr(struct timer_state *s, const char *prefix, long long t)
{
	char *line, *nl;

	while (s->scanned < s->errlen) {
		line = s->errbuf + s->scanned;
		nl = memchr(line, '\n', s->errlen - s->scanned);
		if (!nl)
			return;
		s->scanned = (size_t)(nl - s->errbuf) + 1;
		if (!prefix || s->ready_us >= 0 ||
		    strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		s->ready_us = t - s->t0;
		s->self_us = strtoll(line + strlen(prefix), NULL, 10);
	}
}

/* Returns the bytes read, 0 at EOF, -errno (-EAGAIN: nothing yet). */
static ssize_t read_stderr(int fd, struct timer_state *s, const char *prefix)
{
	char tmp[4096];
	size_t room;
	ssize_t n;
	long long t = now_us();

	n = read(fd, tmp, sizeof(tmp));
	if (n <= 0)
		return n < 0 ? -errno : 0;
	room = sizeof(s->errbuf) - 1 - s->errlen;
	if ((size_t)n > room) {
		/* Keep the tail for failure reports once the head is scanned. */
		memmove(s->errbuf, s->errbuf + s->scanned, s->errlen - s->scanned);
		s->errlen -= s->scanned;
		s->scanned = 0;
		room = sizeof(s->errbuf) - 1 - s->errlen;
		if ((size_t)n > room)
			n = (ssize_t)room;
	}
	memcpy(s->errbuf + s->errlen, tmp, (size_t)n);
	s->errlen += (size_t)n;
	s->errbuf[s->errlen] = '\0';
	scan_stderr(s, prefix, t);
	return n;
}

static void read_fifo(int fd, struct timer_state *s)
{
	unsigned char buf[256];
	long long t = now_us();
	ssize_t n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			if (buf[i] == BOOT_READY_BYTE && s->ready_us < 0)
				s->ready_us = t - s->t0;
}

static pid_t spawn(char **argv, int err_w)
{
	pid_t pid = fork();
	int null_fd;

	if (pid != 0)
		return pid;
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
	}
	dup2(err_w, STDERR_FILENO);
	execvp(argv[0], argv);
	fprintf(stderr, "boot-timer: exec \"%s\": %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	struct timer_opts o = { 0 };
	static struct timer_state s;
	struct pollfd pfd[3];
	int errpipe[2], fifo_fd = -1, pidfd, status = -1, wstatus;
	bool err_open = true;
	ssize_t n;
	pid_t pid;

	parse_args(argc, argv, &o);
	s.ready_us = s.exit_us = s.self_us = -1;
	if (o.fifo) {
		unlink(o.fifo);
		/* O_RDWR: opening never blocks and never sees EOF. */
		if (mkfifo(o.fifo, 0600) < 0 ||
		    (fifo_fd = open(o.fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
			fprintf(stderr, "boot-timer: fifo \"%s\": %s\n", o.fifo,
				strerror(errno));
			return 1;
		}
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		perror("boot-timer: pipe");
		return 1;
	}
	fcntl(errpipe[0], F_SETFL, O_NONBLOCK);

	s.t0 = now_us();
	pid = spawn(o.argv, errpipe[1]);
	if (pid < 0) {
		perror("boot-timer: fork");
		return 1;
	}
	close(errpipe[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		perror("boot-timer: pidfd_open");
		kill(pid, SIGKILL);
		return 1;
	}

	while (s.exit_us < 0) {
		long long left = o.timeout_s * 1000000LL - (now_us() - s.t0);

		if (left <= 0) {
			fprintf(stderr, "boot-timer: timeout after %lds\n",
				o.timeout_s);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		pfd[0] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = err_open ? errpipe[0] : -1,
					  .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = fifo_fd, .events = POLLIN };
		if (poll(pfd, 3, (int)(left / 1000) + 1) < 0 && errno != EINTR)
			break;
		if (pfd[2].revents & POLLIN)
			read_fifo(fifo_fd, &s);
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			n = read_stderr(errpipe[0], &s, o.stderr_prefix);
			err_open = n > 0 || n == -EAGAIN || n == -EINTR;
		}
		if (pfd[0].revents & POLLIN) {
			s.exit_us = now_us() - s.t0;
			if (waitpid(pid, &wstatus, 0) == pid)
				status = WIFEXITED(wstatus) ?
						 WEXITSTATUS(wstatus) :
						 128 + WTERMSIG(wstatus);
		}
	}
	/* Whatever was written just before the exit. */
	while (err_open && read_stderr(errpipe[0], &s, o.stderr_prefix) > 0)
		;
	if (fifo_fd >= 0) {
		read_fifo(fifo_fd, &s);
		unlink(o.fifo);
	}

	printf("ready_us=%lld exit_us=%lld status=%d self_us=%lld\n",
	       s.ready_us, s.exit_us, status, s.self_us);
	if (s.ready_us >= 0 && status == 0)
		return 0;
	fprintf(stderr, "boot-timer: %s (status %d); its stderr:\n%s\n",
		s.ready_us < 0 ? "no boot-timer write seen" : "non-zero exit",
		status, s.errbuf);
	return 1;
}
