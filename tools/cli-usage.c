/* cli-usage.c - the usage text of `lighter` and of each command. */
#include "cli.h"

#ifndef LIGHTER_LIBDIR
#define LIGHTER_LIBDIR "/usr/local/lib/lighter"
#endif

static const char overview[] =
	"usage: lighter [--run-dir DIR] [--data-dir DIR] COMMAND [OPTIONS]\n"
	"\n"
	"Container groups, each in its own KVM microVM.\n"
	"\n"
	"commands:\n"
	"  run       create and start a group, follow its output\n"
	"  create    create a group from a spec file or an image\n"
	"  start     start created groups\n"
	"  stop      stop running groups\n"
	"  restart   restart running groups' containers in place\n"
	"  rm        remove groups\n"
	"  ps        list groups\n"
	"  inspect   show groups' state as JSON\n"
	"  logs      show a group's container output\n"
	"  events    show (and follow) what happened to groups\n"
	"  exec      run a command in a running container\n"
	"  attach    follow a running group's output\n"
	"  stats     show containers' CPU, memory and pids, groups' network\n"
	"  bench     measure cold starts\n"
	"  volume    list, inspect and remove persistent volumes\n"
	"  help      show a command's usage\n"
	"\n"
	"global options:\n"
	"  --run-dir DIR   group state (LIGHTER_RUN_DIR; default\n"
	"                  /run/lighter, or $XDG_RUNTIME_DIR/lighter when\n"
	"                  not root)\n"
	"  --data-dir DIR  the image content store (LIGHTER_DATA_DIR;\n"
	"                  default /var/lib/lighter)\n"
	"  -h, --help      this text;  -v, --version  the version\n"
	"\n"
	"environment: LIGHTER_VMM, LIGHTER_KERNEL, LIGHTER_INITRD (the VMM,\n"
	"guest kernel and initramfs; default: beside the lighter executable\n"
	"in the build tree, then installed in " LIGHTER_LIBDIR "),\n"
	"LIGHTER_BOOT_TIMEOUT (seconds the guest agent has to answer,\n"
	"default 60).\n"
	"exit status: 0 success, 1 no such group, 125 lighter's own error;\n"
	"run passes on the first container's exit status.\n";

#define CREATE_FORMS(cmd)                                                      \
	"usage: lighter " cmd " [OPTIONS] SPEC.ini\n"                          \
	"       lighter " cmd " [OPTIONS] IMAGE [COMMAND [ARG...]]\n"

#define IMAGE_TEXT                                                             \
	"SPEC.ini is a group spec file; IMAGE a reference (oci:DIR[:TAG],\n"   \
	"oci-archive:FILE[:TAG]) run as the group's one container, \"main\".\n"

static const char create_usage[] =
	CREATE_FORMS("create")
	"\n"
	"Create a group: check the spec, bring its images into the content\n"
	"store and write its state under the run dir.\n"
	IMAGE_TEXT
	"\n"
	"options:\n"
	"  --name NAME        the group's name (default: the spec's, or one\n"
	"                     made up)\n"
	"  --cpus N           vCPUs of the group (IMAGE form; default 1)\n"
	"  -m, --memory SIZE  memory of the group (IMAGE form; default 512M)\n"
	"  -e, --env K=V      set a variable (IMAGE form; repeatable)\n"
	"  -h, --help         this text\n";

static const char run_usage[] =
	CREATE_FORMS("run")
	"\n"
	"Create and start a group.  In the foreground, its containers' output\n"
	"is followed (\"container | \" before each line when there are\n"
	"several), SIGINT and SIGTERM stop it, and lighter exits with the\n"
	"first container's exit status (128+N for signal N; 125 when the VM\n"
	"failed).\n"
	IMAGE_TEXT
	"\n"
	"options:\n"
	"  -d, --detach       print the group's name and return once started\n"
	"  --rm               remove the group when it ends\n"
	"  --name NAME        the group's name\n"
	"  --cpus N           vCPUs of the group (IMAGE form; default 1)\n"
	"  -m, --memory SIZE  memory of the group (IMAGE form; default 512M)\n"
	"  -e, --env K=V      set a variable (IMAGE form; repeatable)\n"
	"  -h, --help         this text\n";

static const char start_usage[] =
	"usage: lighter start GROUP...\n"
	"\n"
	"Boot each group's microVM and start its containers; returns once\n"
	"they run.  Exit status 127 when a command was not found, 126 when it\n"
	"could not be executed, 125 for other failures.\n";

static const char stop_usage[] =
	"usage: lighter stop [-t SECS] GROUP...\n"
	"\n"
	"Stop each group: SIGTERM to every container, SIGKILL after the grace\n"
	"time, then power the VM off.  Stopping a stopped group is no error.\n"
	"\n"
	"options:\n"
	"  -t, --time SECS  grace time (default 10)\n"
	"  -h, --help       this text\n";

static const char restart_usage[] =
	"usage: lighter restart [-t SECS] GROUP...\n"
	"\n"
	"Restart every container of each running group in place, in the same\n"
	"VM and whatever the restart policy: SIGTERM, SIGKILL after the grace\n"
	"time, then each starts again with its restart count one higher.\n"
	"Init containers are not run again.\n"
	"\n"
	"options:\n"
	"  -t, --time SECS  grace time (default 10)\n"
	"  -h, --help       this text\n";

static const char events_usage[] =
	"usage: lighter events [-f] [GROUP]\n"
	"\n"
	"Show the events of a group (or of every group), one line each:\n"
	"TIME GROUP CONTAINER TYPE MESSAGE, with (xN) when it happened N\n"
	"times (types: Pulled, Created, Started, Exited, BackOff, Killing,\n"
	"Unhealthy, Ready, NotReady, Stopping, Restarting).\n"
	"\n"
	"options:\n"
	"  -f, --follow  print new events as they happen: until GROUP has\n"
	"                ended or is removed, or until interrupted\n"
	"  -h, --help    this text\n";

static const char rm_usage[] =
	"usage: lighter rm [-f] GROUP...\n"
	"\n"
	"Remove each group's state, logs and sockets (image blobs stay).\n"
	"\n"
	"options:\n"
	"  -f, --force  kill a running group first\n"
	"  -h, --help   this text\n";

static const char ps_usage[] =
	"usage: lighter ps [-a] [--format table|json]\n"
	"\n"
	"List running groups: NAME STATE CONTAINERS CREATED STATUS.\n"
	"\n"
	"options:\n"
	"  -a, --all      every group, not only running ones\n"
	"  --format json  a JSON array of the groups' inspect objects\n"
	"  -h, --help     this text\n";

static const char inspect_usage[] =
	"usage: lighter inspect GROUP...\n"
	"\n"
	"Print a JSON array with each group's state: name, state, reason,\n"
	"pids, times, sizes, phase timings and containers.\n";

static const char logs_usage[] =
	"usage: lighter logs [-f] [--tail N] [-t] GROUP [CONTAINER]\n"
	"\n"
	"Show the output of a group's container (all of them, interleaved by\n"
	"time and prefixed with their names, when the group has several and\n"
	"no CONTAINER is named).\n"
	"\n"
	"options:\n"
	"  -f, --follow      keep following until the group ends\n"
	"  -n, --tail N      only the last N lines (per container; \"all\")\n"
	"  -t, --timestamps  show each line's time\n"
	"  -h, --help        this text\n";

static const char bench_usage[] =
	"usage: lighter bench cold-start [-n N] [--image REF] [--qemu]\n"
	"\n"
	"Run N hello-world groups (echo hello) and print the median of each\n"
	"start phase.  With --qemu, also time qemu-system-x86_64 -M microvm\n"
	"and lighter-vmm booting the same kernel and initramfs to the agent's\n"
	"ready line, and their ratio.\n"
	"\n"
	"options:\n"
	"  -n, --runs N   runs (default 10)\n"
	"  --image REF    the image (default $LIGHTER_BENCH_IMAGE)\n"
	"  --qemu         compare with QEMU's microvm\n"
	"  -h, --help     this text\n";

static const char exec_usage[] =
	"usage: lighter exec [-i] [-t] GROUP CONTAINER [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in a running container of GROUP: in its namespaces and\n"
	"cgroup, with its environment, user and working directory.  The exit\n"
	"status is the command's; 127 when it is not found, 126 when it\n"
	"cannot be run, 125 for lighter's own errors.\n"
	"\n"
	"options:\n"
	"  -i, --interactive  pass stdin to the command\n"
	"  -t, --tty          a pseudo-terminal in the guest (this terminal in\n"
	"                     raw mode meanwhile: Ctrl-C goes to the command,\n"
	"                     window size changes follow)\n"
	"  -h, --help         this text\n";

static const char attach_usage[] =
	"usage: lighter attach GROUP [CONTAINER]\n"
	"\n"
	"Show how a running group's containers started (on stderr), then\n"
	"their output from now on, until the container (when named) or the\n"
	"group exits, or Ctrl-C.\n"
	"\n"
	"options:\n"
	"  -h, --help  this text\n";

static const char stats_usage[] =
	"usage: lighter stats [--no-stream] [--format FORMAT] [GROUP]\n"
	"\n"
	"Each container's CPU (millicores, 1000 = one CPU), memory and pids\n"
	"from its cgroup in the guest, and each group's network traffic (the\n"
	"guest's Ethernet interfaces; lo while it has none) and its VMM's\n"
	"resident memory on the host; every running group, or GROUP.  Rates\n"
	"are over one second; a new sample every second until Ctrl-C.\n"
	"\n"
	"options:\n"
	"  --no-stream      one sample, then exit\n"
	"  --format FORMAT  table (default), json (one line per sample) or\n"
	"                   prometheus (text exposition format)\n"
	"  -h, --help       this text\n";

static const char volume_usage[] =
	"usage: lighter volume ls\n"
	"       lighter volume inspect NAME...\n"
	"       lighter volume rm NAME...\n"
	"\n"
	"Persistent volumes ([volume.NAME] type = persistent in a spec): ext4\n"
	"images under the data dir's volumes/, made the first time a group\n"
	"starts with one and kept when groups are removed.  ls lists NAME\n"
	"SIZE ON-DISK STATUS (\"in use\" while a running group holds it);\n"
	"inspect prints a JSON array; rm deletes images no group holds.\n"
	"\n"
	"options:\n"
	"  -h, --help  this text\n";

static const char help_usage[] =
	"usage: lighter help [COMMAND]\n";

static const char version_usage[] =
	"usage: lighter version\n";

const char *cli_usage(enum cli_command cmd)
{
	switch (cmd) {
	case CLI_CREATE:
		return create_usage;
	case CLI_RUN:
		return run_usage;
	case CLI_START:
		return start_usage;
	case CLI_STOP:
		return stop_usage;
	case CLI_RM:
		return rm_usage;
	case CLI_PS:
		return ps_usage;
	case CLI_INSPECT:
		return inspect_usage;
	case CLI_LOGS:
		return logs_usage;
	case CLI_BENCH:
		return bench_usage;
	case CLI_EXEC:
		return exec_usage;
	case CLI_ATTACH:
		return attach_usage;
	case CLI_STATS:
		return stats_usage;
	case CLI_VOLUME:
		return volume_usage;
	case CLI_RESTART:
		return restart_usage;
	case CLI_EVENTS:
		return events_usage;
	case CLI_HELP:
		return help_usage;
	case CLI_VERSION:
		return version_usage;
	case CLI_NONE:
	case CLI_COMMAND_COUNT:
	default:
		return overview;
	}
}
