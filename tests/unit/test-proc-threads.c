/* test-proc-threads.c - tools/proc-threads.c on a live process: this one,
 * with a second thread parked in a known system call, and a process that
 * is gone. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc-threads.h"

static int pipe_fds[2];

static void *parked(void *arg)
{
	char c;

	(void)arg;
	prctl(PR_SET_NAME, "parked");
	/* read(2), number 0 on x86-64, until the test writes */
	cr_assert_eq(read(pipe_fds[0], &c, 1), 1);
	return NULL;
}

Test(proc_threads, names_states_and_syscalls)
{
	char out[1024];
	pthread_t t;

	cr_assert_eq(pipe(pipe_fds), 0);
	cr_assert_eq(pthread_create(&t, NULL, parked, NULL), 0);
	/* wait until the thread is asleep in read */
	for (int i = 0; i < 200; i++) {
		proc_threads_describe(getpid(), out, sizeof(out));
		if (strstr(out, "parked(") && strstr(out, " S "))
			break;
		usleep(10000);
	}
	cr_assert_gt(proc_threads_describe(getpid(), out, sizeof(out)), 0);
	cr_expect(strstr(out, "test-proc-threa(") != NULL, "%s", out);
	cr_expect(strstr(out, "; ") != NULL, "two threads: %s", out);
	cr_expect(strstr(out, "syscall 0") != NULL, "parked in read: %s", out);
	cr_expect(strstr(out, ") R ") != NULL, "this thread runs: %s", out);
	cr_expect(strstr(out, "parked(") && strstr(out, "pipe_read"),
		  "parked's wait channel: %s", out);
	cr_assert_eq(write(pipe_fds[1], "x", 1), 1);
	pthread_join(t, NULL);
}

Test(proc_threads, cut_to_size_and_gone)
{
	char out[16];
	pid_t pid;

	cr_assert_gt(proc_threads_describe(getpid(), out, sizeof(out)), 0);
	cr_expect_eq(strlen(out), sizeof(out) - 1);
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	cr_expect_eq(proc_threads_describe(pid, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "");
}
