/* bench-cold-start.c - `lighter bench cold-start [-n N] [--image REF]
 * [--qemu]`: N hello-world groups (`echo hello` in IMAGE), each created,
 * started, waited for and removed, with the phases their monitors
 * timestamp (state.json "timings") printed per run and as medians:
 *
 *   vmm       monitor start -> lighter-vmm spawned
 *   boot      spawned -> the agent answered HELLO (kernel and agent boot)
 *   deliver   HELLO -> SPEC and every layer answered (unpack: the
 *             agent's own figure, part of deliver)
 *   exec      layers -> START answered
 *   output    START -> first output byte
 *   exit      first output -> lighter-vmm exited
 *   total     monitor start -> lighter-vmm exited; cli: create + start +
 *             wait as the caller sees it
 *
 * --qemu adds QEMU's microvm booting the same kernel and initramfs to
 * the agent's ready line (a plain boot: no vsock device) beside
 * lighter-vmm doing the same, both with the console on a pipe and timed
 * from fork to the line, alternating runs; and the ratio of the
 * medians. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "timefmt.h"
#include "vmm-launch.h"

#define BENCH_TIMEOUT_NS (300 * NSEC_PER_SEC)
#define READY_LINE "lighter-agent: ready"

enum bench_col {
	COL_VMM,
	COL_BOOT,
	COL_DELIVER,
	COL_UNPACK,
	COL_EXEC,
	COL_OUTPUT,
	COL_EXIT,
	COL_TOTAL,
	COL_CLI,
	COL_COUNT,
};

static const char *const col_names[COL_COUNT] = {
	"vmm", "boot", "deliver", "unpack", "exec",
	"output", "exit", "total", "cli",
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, size_t n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_i64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int64_t phase_delta(const struct lighter_group_state *st,
			   enum lighter_phase a, enum lighter_phase b)
{
	if (!st->timings[a].mono_ns || !st->timings[b].mono_ns)
		return -1;
	return st->timings[b].mono_ns - st->timings[a].mono_ns;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wait (polling state.json) until the group has ended. */
static int wait_end(struct lighter_paths *p, const char *name,
		    struct lighter_group_state *st, struct lerr *e)
{
	int64_t deadline = time_mono_ns() + BENCH_TIMEOUT_NS;

	for (;;) {
		int r = lighter_group_load(p, name, st, e);

		if (r < 0)
			return r;
		if (st->state == LIGHTER_GROUP_EXITED ||
		    st->state == LIGHTER_GROUP_FAILED)
			return 0;
		lighter_group_state_free(st);
		if (time_mono_ns() > deadline)
			return lerr_fail(e, ETIMEDOUT,
					 "group \"%s\" did not end", name);
		sleep_ms(2);
	}
}

/* Did "hello" reach the log? */
static bool said_hello(const struct lighter_paths *p, const char *name)
{
	char path[4096], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/logs/main.log", p->run_dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " stdout F hello\n") != NULL;
	fclose(f);
	return found;
}

static int one_run(struct lighter_paths *p, const char *image, unsigned int i,
		   int64_t *cols)
{
	static const char *const argv[] = { "echo", "hello", NULL };
	struct lighter_create_opts o = { .image = image, .argv = argv };
	char name[LIGHTER_NAME_MAX + 1], want[LIGHTER_NAME_MAX + 1];
	struct lighter_group_state st = { 0 };
	struct lerr e = { 0 };
	int64_t t0 = time_mono_ns();
	int code, r;

	snprintf(want, sizeof(want), "bench-%d-%u", (int)getpid(), i);
	o.name = want;
	r = lighter_group_create(p, &o, name, &e);
	if (r == 0)
		r = lighter_group_start(p, name, &code, &e);
	if (r == 0)
		r = wait_end(p, name, &st, &e);
	cols[COL_CLI] = time_mono_ns() - t0;
	if (r == 0 && st.state == LIGHTER_GROUP_FAILED)
		r = lerr_fail(&e, EIO, "group failed: %s",
			      st.reason ? st.reason : "?");
	if (r == 0 && !said_hello(p, name))
		r = lerr_fail(&e, EIO, "no \"hello\" in the group's log");
	if (r == 0) {
		cols[COL_VMM] = phase_delta(&st, LIGHTER_PHASE_MONITOR_START,
					    LIGHTER_PHASE_VMM_SPAWNED);
		cols[COL_BOOT] = phase_delta(&st, LIGHTER_PHASE_VMM_SPAWNED,
					     LIGHTER_PHASE_AGENT_CONNECTED);
		cols[COL_DELIVER] =
			phase_delta(&st, LIGHTER_PHASE_AGENT_CONNECTED,
				    LIGHTER_PHASE_LAYERS_DELIVERED);
		cols[COL_UNPACK] = (int64_t)st.unpack_us * 1000;
		cols[COL_EXEC] =
			phase_delta(&st, LIGHTER_PHASE_LAYERS_DELIVERED,
				    LIGHTER_PHASE_CONTAINERS_STARTED);
		cols[COL_OUTPUT] =
			phase_delta(&st, LIGHTER_PHASE_CONTAINERS_STARTED,
				    LIGHTER_PHASE_FIRST_OUTPUT);
		cols[COL_EXIT] = phase_delta(&st, LIGHTER_PHASE_FIRST_OUTPUT,
					     LIGHTER_PHASE_VMM_EXITED);
		cols[COL_TOTAL] = phase_delta(&st, LIGHTER_PHASE_MONITOR_START,
					      LIGHTER_PHASE_VMM_EXITED);
	}
	lighter_group_state_free(&st);
	if (lighter_group_exists(p, want)) {
		struct lerr ignored;

		lighter_group_remove(p, want, true, &ignored);
	}
	if (r < 0)
		cmd_error("run %u: %s", i, e.msg);
	return r;
}

static void print_cols(const char *label, const int64_t *cols)
{
	printf("%-6s", label);
	for (int c = 0; c < COL_COUNT; c++)
		printf(" %9.1f", cols[c] < 0 ? -1.0 : (double)cols[c] / 1e6);
	printf("\n");
}

/* ---- --qemu: both VMMs to the agent's ready line ---- */

/* Fork+exec argv with stdout on a pipe; ns from fork to READY_LINE on
 * it (-1 if never).  Then it is told to stop (SIGTERM: both VMMs end the
 * VM cleanly) rather than waited for: the guest's way down is not what
 * is measured, and an agent that serves instead of powering off would
 * keep it up. */
static int64_t time_to_ready(char *const *argv)
{
	const size_t want = strlen(READY_LINE);
	char win[4096 + sizeof(READY_LINE)];
	int64_t t0, ready = -1, deadline;
	size_t carry = 0;
	int out[2], ws;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	t0 = time_mono_ns();
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	if (pid < 0) {
		close(out[0]);
		return -1;
	}
	deadline = t0 + BENCH_TIMEOUT_NS;
	for (;;) {
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		ssize_t n;
		size_t total;

		if (time_mono_ns() > deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(out[0], win + carry, 4096);
		if (n <= 0)
			break;
		total = carry + (size_t)n;
		if (ready < 0 && memmem(win, total, READY_LINE, want)) {
			ready = time_mono_ns() - t0;
			kill(pid, SIGTERM);
			/* and SIGKILL if that is not enough */
			deadline = time_mono_ns() + 10 * NSEC_PER_SEC;
		}
		/* the line may straddle two reads: keep its length less one */
		carry = total < want - 1 ? total : want - 1;
		memmove(win, win + total - carry, carry);
	}
	close(out[0]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return ready;
}

static int bench_qemu(struct lighter_paths *p, unsigned int runs)
{
	const char *qemu = getenv("LIGHTER_QEMU");
	char *const vmm_argv[] = {
		p->vmm, "--kernel", p->kernel, "--initrd", p->initrd,
		"--cpus", "1", "--memory", "512M", "--console", "stdout",
		"--cmdline", VMM_CMDLINE, NULL,
	};
	char *const qemu_argv[] = {
		(char *)(qemu && qemu[0] ? qemu : "qemu-system-x86_64"),
		"-M",
		"microvm,x-option-roms=off,rtc=off,isa-serial=on,acpi=off",
		"-enable-kvm", "-cpu", "host", "-nodefaults", "-no-user-config",
		"-nographic", "-no-reboot", "-L", "/usr/share/qemu",
		"-smp", "1", "-m", "512M", "-serial", "stdio",
		"-kernel", p->kernel, "-initrd", p->initrd,
		"-append", VMM_CMDLINE, NULL,
	};
	int64_t *l = calloc(runs, sizeof(*l)), *q = calloc(runs, sizeof(*q));
	size_t nl = 0, nq = 0;
	int64_t ml, mq;

	if (!l || !q) {
		free(l);
		free(q);
		cmd_error("out of memory");
		return EXIT_LIGHTER;
	}
	/* one untimed boot each: page cache */
	time_to_ready(vmm_argv);
	time_to_ready(qemu_argv);
	printf("\nboot to \"%s\" (ms), 1 vCPU, 512 MiB, console on a pipe\n",
	       READY_LINE);
	printf("%-6s %12s %12s\n", "run", "lighter-vmm", "qemu-microvm");
	for (unsigned int i = 0; i < runs; i++) {
		int64_t a = time_to_ready(vmm_argv);
		int64_t b = time_to_ready(qemu_argv);

		printf("%-6u %12.1f %12.1f\n", i + 1, a < 0 ? -1.0 : a / 1e6,
		       b < 0 ? -1.0 : b / 1e6);
		fflush(stdout);
		if (a >= 0)
			l[nl++] = a;
		if (b >= 0)
			q[nq++] = b;
	}
	ml = median(l, nl);
	mq = median(q, nq);
	printf("%-6s %12.1f %12.1f\n", "median", ml / 1e6, mq / 1e6);
	if (ml > 0 && mq > 0)
		printf("ratio lighter-vmm/qemu-microvm: %.2f\n",
		       (double)ml / (double)mq);
	free(l);
	free(q);
	return nl == runs && nq == runs ? 0 : EXIT_LIGHTER;
}

int cmd_bench(const struct cli *c, struct lighter_paths *p)
{
	const char *image = c->bench_image ? c->bench_image
					   : getenv("LIGHTER_BENCH_IMAGE");
	int64_t (*cols)[COL_COUNT], med[COL_COUNT], *v;
	unsigned int runs = c->runs, ok = 0;
	struct lerr e = { 0 };
	int status = 0;

	if (!image || !image[0]) {
		cmd_error("bench: no image: --image REF or "
			  "LIGHTER_BENCH_IMAGE");
		return EXIT_LIGHTER;
	}
	if (lighter_paths_runtime(p, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_LIGHTER;
	}
	cols = calloc(runs, sizeof(*cols));
	v = calloc(runs, sizeof(*v));
	if (!cols || !v) {
		free(cols);
		free(v);
		cmd_error("out of memory");
		return EXIT_LIGHTER;
	}
	printf("cold start of \"echo hello\" in %s, %u runs (ms)\n", image,
	       runs);
	printf("%-6s", "run");
	for (int k = 0; k < COL_COUNT; k++)
		printf(" %9s", col_names[k]);
	printf("\n");
	for (unsigned int i = 0; i < runs; i++) {
		char label[16];

		if (one_run(p, image, i + 1, cols[ok]) < 0) {
			status = EXIT_LIGHTER;
			continue;
		}
		snprintf(label, sizeof(label), "%u", i + 1);
		print_cols(label, cols[ok]);
		fflush(stdout);
		ok++;
	}
	for (int k = 0; k < COL_COUNT; k++) {
		size_t n = 0;

		for (unsigned int i = 0; i < ok; i++) {
			if (cols[i][k] >= 0)
				v[n++] = cols[i][k];
		}
		med[k] = median(v, n);
	}
	if (ok)
		print_cols("median", med);
	free(cols);
	free(v);
	if (c->qemu && bench_qemu(p, runs) != 0)
		status = EXIT_LIGHTER;
	return status;
}
