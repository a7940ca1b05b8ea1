/* proc-threads.c - one line describing each thread of a process, from
 * /proc/PID/task: its name, scheduler state, kernel wait channel and the
 * system call it is in.  For the monitor's log when lighter-vmm has to be
 * killed: a vCPU thread that is not in KVM_RUN (syscall 16, ioctl) points
 * at lighter, all threads waiting where they should at the guest. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "proc-threads.h"

/* The first line of /proc/PID/task/TID/NAME, newline dropped. */
static void read_line(const char *dir, const char *name, char *out, size_t n)
{
	char path[512];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(out, (int)n, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

/* The state letter: the field after the parenthesised name in stat. */
static char stat_state(const char *stat)
{
	const char *p = strrchr(stat, ')');

	return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

size_t proc_threads_describe(int pid, char *out, size_t n)
{
	char task[64], dir[320], comm[32], stat[512], wchan[64], sc[64];
	struct dirent *d;
	size_t len = 0;
	DIR *dp;

	if (n)
		out[0] = '\0';
	snprintf(task, sizeof(task), "/proc/%d/task", pid);
	dp = opendir(task);
	if (!dp)
		return 0;
	while ((d = readdir(dp)) && len + 1 < n) {
		int w;

		if (d->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", task, d->d_name);
		read_line(dir, "comm", comm, sizeof(comm));
		read_line(dir, "stat", stat, sizeof(stat));
		read_line(dir, "wchan", wchan, sizeof(wchan));
		read_line(dir, "syscall", sc, sizeof(sc));
		sc[strcspn(sc, " ")] = '\0'; /* the number, or "running" */
		w = snprintf(out + len, n - len, "%s%s(%s) %c %s syscall %s",
			     len ? "; " : "", comm, d->d_name, stat_state(stat),
			     wchan[0] ? wchan : "-", sc[0] ? sc : "?");
		if (w < 0 || (size_t)w >= n - len) {
			len = n - 1;
			break;
		}
		len += (size_t)w;
	}
	closedir(dp);
	return len;
}
