/* config.c - lighter-vmm's configuration from flags and an INI file.
 *
 * Flags are collected first; when --config names a file, its [vm] section
 * is applied, then the flags on top (flags win).  Every value goes through
 * one setter that validates it and, on error, names where it came from:
 * the flag (`--memory: "12Q" is not a size`) or the file, section and key
 * (`"vm.ini": [vm] memory: ...`).  Relative paths in the file resolve
 * against the file's directory; relative paths in flags stay relative to
 * the working directory. */
#include <ctype.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lighter/cleanup.h>
#include <lighter/ini-util.h>

#include "config-value.h"
#include "config.h"

#define DEFAULT_MEM_BYTES (128ULL << 20)
#define DEFAULT_CMDLINE "console=ttyS0 reboot=t panic=-1"

enum cfg_key {
	KEY_VCPUS,
	KEY_MEMORY,
	KEY_KERNEL,
	KEY_INITRD,
	KEY_CMDLINE,
	KEY_CONSOLE,
	KEY_BOOT,
	KEY_RNG,
	KEY_VSOCK_UDS,
	KEY_VSOCK_CID,
	KEY_NET,
	KEY_SECCOMP,
	KEY_COUNT,
};

/* Names of the [vm] keys; the flag for key k is "--" + cfg_key_name[k]
 * except for vcpus, whose flag is --cpus (with --vcpus as an alias), and
 * seccomp, whose only flag is --no-seccomp (seccomp = off). */
static const char *const cfg_key_name[KEY_COUNT] = {
	[KEY_VCPUS] = "vcpus",     [KEY_MEMORY] = "memory",
	[KEY_KERNEL] = "kernel",   [KEY_INITRD] = "initrd",
	[KEY_CMDLINE] = "cmdline", [KEY_CONSOLE] = "console",
	[KEY_BOOT] = "boot",       [KEY_RNG] = "rng",
	[KEY_VSOCK_UDS] = "vsock_uds", [KEY_VSOCK_CID] = "vsock_cid",
	[KEY_NET] = "net",         [KEY_SECCOMP] = "seccomp",
};

static const char *const cfg_flag_name[KEY_COUNT] = {
	[KEY_VCPUS] = "--cpus",       [KEY_MEMORY] = "--memory",
	[KEY_KERNEL] = "--kernel",    [KEY_INITRD] = "--initrd",
	[KEY_CMDLINE] = "--cmdline",  [KEY_CONSOLE] = "--console",
	[KEY_BOOT] = "--boot",        [KEY_RNG] = "--rng",
	[KEY_VSOCK_UDS] = "--vsock-uds", [KEY_VSOCK_CID] = "--vsock-cid",
	[KEY_NET] = "--net",          [KEY_SECCOMP] = "--no-seccomp",
};

static const char usage_text[] =
	"usage: lighter-vmm [--config FILE] --kernel PATH [options]\n"
	"  --config FILE     read [vm] settings from an INI file (flags win)\n"
	"  --kernel PATH     ELF64 vmlinux (required)\n"
	"  --initrd PATH     initramfs\n"
	"  --cmdline STR     kernel command line\n"
	"                    (default \"" DEFAULT_CMDLINE "\")\n"
	"  --cpus N          vCPUs, 1..64 (alias --vcpus; default 1)\n"
	"  --memory SIZE     guest RAM: bytes or K/M/G suffix, 64M..64G,\n"
	"                    a multiple of 4K (default 128M)\n"
	"  --console MODE    stdout | off | PATH (default stdout); off leaves\n"
	"                    out the UART (fast mode: a guest panic is then\n"
	"                    reported as the triple fault that follows it)\n"
	"  --boot PROTO      auto | pvh | linux64 (default auto)\n"
	"  --rng on|off      virtio-rng entropy device (default off)\n"
	"  --vsock-uds PATH  virtio-vsock device, host side on the Unix socket\n"
	"                    PATH (CONNECT <port> to reach the guest; guest\n"
	"                    connections to port P go to PATH_P)\n"
	"  --vsock-cid N     the guest's vsock CID, >= 3 (default 3)\n"
	"  --net tap=NAME[,mac=AA:BB:CC:DD:EE:FF]\n"
	"                    virtio-net device on TAP NAME (an existing TAP, or\n"
	"                    one created; needs CAP_NET_ADMIN); default MAC\n"
	"                    06:00:AC:10:00:02\n"
	"  --drive path=FILE[,ro][,id=SERIAL]\n"
	"                    virtio-blk disk on a raw image (a multiple of\n"
	"                    512 bytes); repeat for up to 8; [vm] drive0..drive7\n"
	"  --no-seccomp      debugging: run every thread without its seccomp\n"
	"                    allowlist ([vm] seccomp = off; default on)\n"
	"  --help            show this help\n"
	"exit status: 0 guest powered off or reset, or stopped by SIGINT/SIGTERM;\n"
	"  1 setup error; 2 guest triple fault, crash or kernel panic;\n"
	"  3 KVM internal error or VM-entry failure\n";

static int set_vcpus(struct vmm_config *c, const char *val,
		     const struct cfg_origin *o, struct lerr *e)
{
	uint64_t v;
	int r = cfg_uint(val, 1, VMM_MAX_VCPUS, o, &v, e);

	if (r < 0)
		return r;
	c->vcpus = (unsigned int)v;
	return 0;
}

static int set_memory(struct vmm_config *c, const char *val,
		      const struct cfg_origin *o, struct lerr *e)
{
	uint64_t v;
	int r = cfg_size(val, UINT64_MAX, o, &v, e);

	if (r < 0)
		return r;
	if (v < GUEST_MEM_MIN)
		return cfg_error(e, ERANGE, o,
				 "\"%s\" is below the minimum of %lluM", val,
				 GUEST_MEM_MIN >> 20);
	if (v > GUEST_MEM_MAX)
		return cfg_error(e, ERANGE, o,
				 "\"%s\" is above the maximum of %lluG", val,
				 GUEST_MEM_MAX >> 30);
	if (v % 4096)
		return cfg_error(e, EINVAL, o,
				 "\"%s\" is not a multiple of 4K", val);
	c->mem_bytes = v;
	return 0;
}

static int set_console(struct vmm_config *c, const char *val,
		       const struct cfg_origin *o, struct lerr *e)
{
	int r;

	if (strcmp(val, "stdout") == 0) {
		c->console = CONSOLE_STDOUT;
	} else if (strcmp(val, "off") == 0) {
		c->console = CONSOLE_OFF;
	} else {
		r = cfg_set_path(&c->console_path, val, o, e);
		if (r < 0)
			return r;
		c->console = CONSOLE_FILE;
		return 0;
	}
	free(c->console_path);
	c->console_path = NULL;
	return 0;
}

static int set_boot(struct vmm_config *c, const char *val,
		    const struct cfg_origin *o, struct lerr *e)
{
	if (strcmp(val, "auto") == 0)
		c->protocol = BOOT_AUTO;
	else if (strcmp(val, "pvh") == 0)
		c->protocol = BOOT_PVH;
	else if (strcmp(val, "linux64") == 0)
		c->protocol = BOOT_LINUX64;
	else
		return cfg_error(e, EINVAL, o,
				 "\"%s\" is not one of auto, pvh, linux64",
				 val);
	return 0;
}

static int set_switch(bool *dst, const char *val, const struct cfg_origin *o,
		      struct lerr *e)
{
	if (strcmp(val, "on") == 0)
		*dst = true;
	else if (strcmp(val, "off") == 0)
		*dst = false;
	else
		return cfg_error(e, EINVAL, o, "\"%s\" is not on or off", val);
	return 0;
}

/* The guest's MAC when --net names none: locally administered (bit 1 of
 * the first octet), unicast, and the same for every VM (each VM has its
 * own TAP, so they never share a link). */
static const uint8_t default_net_mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

/* "AA:BB:CC:DD:EE:FF" -> mac; a NIC's own address must be unicast and not
 * all zeroes. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int v[6];
	int used = 0;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &used) != 6 || used != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[3 * i]) ||
		    !isxdigit((unsigned char)s[3 * i + 1]))
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* An interface name the kernel takes: 1..15 of [A-Za-z0-9_.-], not "."
 * or ".." (stricter than the kernel, which also allows odd bytes). */
static bool ifname_valid(const char *s)
{
	return cfg_name_valid(s, 15) && strcmp(s, ".") && strcmp(s, "..");
}

/* The network device from "tap=NAME[,mac=AA:BB:CC:DD:EE:FF]". */
static int set_net(struct vmm_config *c, const char *val,
		   const struct cfg_origin *o, struct lerr *e)
{
	_cleanup_free_ char *spec = strdup(val);
	uint8_t mac[6];
	const char *tap = NULL;
	char *tok, *save = NULL;

	if (!spec)
		return lerr_fail(e, ENOMEM, "out of memory");
	memcpy(mac, default_net_mac, 6);
	for (tok = strtok_r(spec, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "tap=", 4) == 0) {
			tap = tok + 4;
			if (!ifname_valid(tap))
				return cfg_error(e, EINVAL, o,
						 "\"%s\": tap name \"%s\" is not 1..15 of A-Z a-z 0-9 _ . -",
						 val, tap);
		} else if (strncmp(tok, "mac=", 4) == 0) {
			if (!parse_mac(tok + 4, mac))
				return cfg_error(e, EINVAL, o,
						 "\"%s\": \"%s\" is not a unicast MAC address (AA:BB:CC:DD:EE:FF)",
						 val, tok + 4);
		} else {
			return cfg_error(e, EINVAL, o,
					 "\"%s\": unknown net option \"%s\" (tap=NAME, mac=AA:BB:CC:DD:EE:FF)",
					 val, tok);
		}
	}
	if (!tap)
		return cfg_error(e, EINVAL, o, "\"%s\": no tap=NAME", val);
	memcpy(c->net_mac, mac, 6);
	return cfg_set_string(&c->net_tap, tap, e);
}

/* One disk from "path=FILE[,ro][,id=SERIAL]" (no commas in FILE). */
static int add_drive(struct vmm_config *c, const char *val,
		     const struct cfg_origin *o, struct lerr *e)
{
	_cleanup_free_ char *spec = strdup(val);
	struct vmm_drive d = { 0 };
	char *tok, *save = NULL;
	int r = 0;

	if (!spec)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (c->nr_drives == VMM_MAX_DRIVES)
		return cfg_error(e, E2BIG, o, "more than %d drives",
				 VMM_MAX_DRIVES);
	for (tok = strtok_r(spec, ",", &save); tok && r == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "path=", 5) == 0) {
			r = cfg_set_path(&d.path, tok + 5, o, e);
		} else if (strcmp(tok, "ro") == 0) {
			d.ro = true;
		} else if (strncmp(tok, "id=", 3) == 0) {
			size_t n = strlen(tok + 3);

			for (size_t i = 0; i < n; i++) {
				if (tok[3 + i] < 0x20 || tok[3 + i] > 0x7e) {
					n = SIZE_MAX; /* refused below */
					break;
				}
			}
			if (n == 0 || n > VMM_DRIVE_ID_MAX)
				r = cfg_error(e, EINVAL, o,
					      "\"%s\": id must be 1..%d printable ASCII characters",
					      val, VMM_DRIVE_ID_MAX);
			else
				r = cfg_set_string(&d.id, tok + 3, e);
		} else {
			r = cfg_error(e, EINVAL, o,
				      "\"%s\": unknown drive option \"%s\" (path=FILE, ro, id=SERIAL)",
				      val, tok);
		}
	}
	if (r == 0 && !d.path)
		r = cfg_error(e, EINVAL, o, "\"%s\": no path=FILE", val);
	if (r < 0) {
		free(d.path);
		free(d.id);
		return r;
	}
	c->drives[c->nr_drives++] = d;
	return 0;
}

/* "drive0".."drive7" -> 0..7, else -1. */
static int drive_key_index(const char *name)
{
	if (strncmp(name, "drive", 5) != 0 || name[5] < '0' ||
	    name[5] >= '0' + VMM_MAX_DRIVES || name[6] != '\0')
		return -1;
	return name[5] - '0';
}

static int set_vsock_cid(struct vmm_config *c, const char *val,
			 const struct cfg_origin *o, struct lerr *e)
{
	uint64_t v;
	/* 0-2 are the hypervisor, local and host; 2^32-1 is VMADDR_CID_ANY */
	int r = cfg_uint(val, 3, 0xfffffffeULL, o, &v, e);

	if (r < 0)
		return r;
	c->vsock_cid = v;
	return 0;
}

static int cfg_set(struct vmm_config *c, enum cfg_key k, const char *val,
		   const struct cfg_origin *o, struct lerr *e)
{
	switch (k) {
	case KEY_VCPUS:
		return set_vcpus(c, val, o, e);
	case KEY_MEMORY:
		return set_memory(c, val, o, e);
	case KEY_KERNEL:
		return cfg_set_path(&c->kernel, val, o, e);
	case KEY_INITRD:
		return cfg_set_path(&c->initrd, val, o, e);
	case KEY_CMDLINE:
		return cfg_set_string(&c->cmdline, val, e);
	case KEY_CONSOLE:
		return set_console(c, val, o, e);
	case KEY_BOOT:
		return set_boot(c, val, o, e);
	case KEY_RNG:
		return set_switch(&c->rng, val, o, e);
	case KEY_VSOCK_UDS:
		return cfg_set_path(&c->vsock_uds, val, o, e);
	case KEY_VSOCK_CID:
		return set_vsock_cid(c, val, o, e);
	case KEY_NET:
		return set_net(c, val, o, e);
	case KEY_SECCOMP:
		return set_switch(&c->seccomp, val, o, e);
	case KEY_COUNT:
	default:
		break;
	}
	return lerr_fail(e, EINVAL, "internal: bad config key %d", (int)k);
}

static int cfg_key_lookup(const char *name)
{
	int k;

	for (k = 0; k < KEY_COUNT; k++) {
		if (strcmp(name, cfg_key_name[k]) == 0)
			return k;
	}
	return -1;
}

static int cfg_apply_file(struct vmm_config *c, const char *path,
			  struct lerr *e)
{
	_cleanup_dict_ dictionary *d = NULL;
	_cleanup_free_ const char **keys = NULL;
	_cleanup_free_ char *dir = NULL;
	struct cfg_origin o = { .file = path };
	const char *slash, *drive_val[VMM_MAX_DRIVES] = { NULL };
	const char *drive_key[VMM_MAX_DRIVES] = { NULL };
	struct ini_fault fault;
	int nsec, nkeys, i, r;

	r = ini_util_load(path, &d, &fault);
	if (r == -EINVAL && fault.line)
		return lerr_fail(e, EINVAL, "\"%s\": line %u: %s", path,
				 fault.line, fault.msg);
	if (r < 0)
		return lerr_fail(e, -r, "\"%s\": %s", path, fault.msg);

	slash = strrchr(path, '/');
	dir = slash ? strndup(path, (size_t)(slash - path == 0 ? 1 : slash - path))
		    : strdup(".");
	if (!dir)
		return lerr_fail(e, ENOMEM, "out of memory");
	o.dir = dir;

	nsec = iniparser_getnsec(d);
	for (i = 0; i < nsec; i++) {
		const char *sec = iniparser_getsecname(d, i);

		if (sec && strcmp(sec, "vm") != 0)
			return lerr_fail(e, EINVAL,
					"\"%s\": unknown section [%s] (only [vm])",
					path, sec);
	}
	/* Keys before any section are stored as ":key". */
	for (i = 0; i < d->size; i++) {
		if (d->key[i] && d->key[i][0] == ':')
			return lerr_fail(e, EINVAL,
					"\"%s\": key \"%s\" outside the [vm] section",
					path, d->key[i] + 1);
	}
	nkeys = iniparser_getsecnkeys(d, "vm");
	if (nkeys <= 0)
		return 0;
	keys = calloc((size_t)nkeys, sizeof(*keys));
	if (!keys)
		return lerr_fail(e, ENOMEM, "out of memory");
	if (!iniparser_getseckeys(d, "vm", keys))
		return lerr_fail(e, EINVAL, "\"%s\": cannot list [vm]", path);

	for (i = 0; i < nkeys; i++) {
		const char *name = keys[i] + strlen("vm:");
		const char *val = iniparser_getstring(d, keys[i], NULL);
		int k = cfg_key_lookup(name), drive = drive_key_index(name);

		if (drive >= 0) {
			/* applied below, in drive number order */
			drive_key[drive] = name;
			drive_val[drive] = val ? val : "";
			continue;
		}
		if (k < 0)
			return lerr_fail(e, EINVAL, "\"%s\": [vm] unknown key \"%s\"",
					path, name);
		o.key = name;
		r = cfg_set(c, (enum cfg_key)k, val ? val : "", &o, e);
		if (r < 0)
			return r;
	}
	for (i = 0; i < VMM_MAX_DRIVES; i++) {
		if (!drive_val[i])
			continue;
		o.key = drive_key[i];
		r = add_drive(c, drive_val[i], &o, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cfg_defaults(struct vmm_config *c, struct lerr *e)
{
	memset(c, 0, sizeof(*c));
	c->vcpus = 1;
	c->mem_bytes = DEFAULT_MEM_BYTES;
	c->console = CONSOLE_STDOUT;
	c->protocol = BOOT_AUTO;
	c->vsock_cid = 3;
	c->seccomp = true;
	return cfg_set_string(&c->cmdline, DEFAULT_CMDLINE, e);
}

enum {
	OPT_HELP = 'h',
	OPT_CONFIG = 0x100,
	OPT_DRIVE = 0x101,
	OPT_NO_SECCOMP = 0x102,
	OPT_KEY_BASE = 0x200,
	OPT_JAIL_BASE = 0x300, /* + enum jail_opt */
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	JAIL_LONG_OPTIONS(OPT_JAIL_BASE),
	{ "kernel", required_argument, NULL, OPT_KEY_BASE + KEY_KERNEL },
	{ "initrd", required_argument, NULL, OPT_KEY_BASE + KEY_INITRD },
	{ "cmdline", required_argument, NULL, OPT_KEY_BASE + KEY_CMDLINE },
	{ "cpus", required_argument, NULL, OPT_KEY_BASE + KEY_VCPUS },
	{ "vcpus", required_argument, NULL, OPT_KEY_BASE + KEY_VCPUS },
	{ "memory", required_argument, NULL, OPT_KEY_BASE + KEY_MEMORY },
	{ "console", required_argument, NULL, OPT_KEY_BASE + KEY_CONSOLE },
	{ "boot", required_argument, NULL, OPT_KEY_BASE + KEY_BOOT },
	{ "rng", required_argument, NULL, OPT_KEY_BASE + KEY_RNG },
	{ "vsock-uds", required_argument, NULL, OPT_KEY_BASE + KEY_VSOCK_UDS },
	{ "vsock-cid", required_argument, NULL, OPT_KEY_BASE + KEY_VSOCK_CID },
	{ "net", required_argument, NULL, OPT_KEY_BASE + KEY_NET },
	{ "drive", required_argument, NULL, OPT_DRIVE },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cfg_parse(struct vmm_config *c, int argc, char **argv,
		     struct lerr *e)
{
	const char *flag_val[KEY_COUNT] = { NULL };
	const char *config_file = NULL, *drive_flag[VMM_MAX_DRIVES];
	unsigned int nr_drive_flags = 0;
	int opt, k, r;

	optind = 0; /* full re-initialisation: callers may parse twice */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case OPT_HELP:
			fputs(usage_text, stdout);
			fputs(jail_usage_text, stdout);
			return 1;
		case OPT_CONFIG:
			config_file = optarg;
			break;
		case OPT_DRIVE:
			if (nr_drive_flags == VMM_MAX_DRIVES)
				return lerr_fail(e, E2BIG,
						"--drive: more than %d drives",
						VMM_MAX_DRIVES);
			drive_flag[nr_drive_flags++] = optarg;
			break;
		case OPT_NO_SECCOMP:
			flag_val[KEY_SECCOMP] = "off";
			break;
		case ':':
			return lerr_fail(e, EINVAL, "%s: missing argument",
					argv[optind - 1]);
		case '?':
			return lerr_fail(e, EINVAL,
					"unknown option \"%s\" (see --help)",
					argv[optind - 1]);
		default:
			if (opt >= OPT_JAIL_BASE &&
			    opt < OPT_JAIL_BASE + JAIL_OPT_COUNT) {
				r = jail_config_set(&c->jail,
						    (enum jail_opt)(opt - OPT_JAIL_BASE),
						    optarg, e);
				if (r < 0)
					return r;
				break;
			}
			if (opt < OPT_KEY_BASE || opt >= OPT_KEY_BASE + KEY_COUNT)
				return lerr_fail(e, EINVAL,
						"internal: option %d", opt);
			flag_val[opt - OPT_KEY_BASE] = optarg;
			break;
		}
	}
	if (optind < argc)
		return lerr_fail(e, EINVAL, "unexpected argument \"%s\"",
				argv[optind]);

	if (config_file) {
		r = cfg_set_string(&c->config_file, config_file, e);
		if (r < 0)
			return r;
		r = cfg_apply_file(c, config_file, e);
		if (r < 0)
			return r;
	}
	for (k = 0; k < KEY_COUNT; k++) {
		struct cfg_origin o = { .flag = cfg_flag_name[k] };

		if (!flag_val[k])
			continue;
		r = cfg_set(c, (enum cfg_key)k, flag_val[k], &o, e);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < nr_drive_flags; i++) {
		struct cfg_origin o = { .flag = "--drive" };

		r = add_drive(c, drive_flag[i], &o, e);
		if (r < 0)
			return r;
	}
	if (!c->kernel)
		return lerr_fail(e, EINVAL,
				"no kernel: pass --kernel PATH or set [vm] kernel");
	return jail_config_finish(&c->jail, e);
}

int vmm_config_parse(struct vmm_config *c, int argc, char **argv,
		     struct lerr *e)
{
	int r = cfg_defaults(c, e);

	if (r == 0)
		r = cfg_parse(c, argc, argv, e);
	if (r != 0)
		vmm_config_free(c);
	if (r == 1) /* --help: leave a usable default config behind */
		r = cfg_defaults(c, e) < 0 ? -ENOMEM : 1;
	return r;
}

void vmm_config_free(struct vmm_config *c)
{
	free(c->kernel);
	free(c->initrd);
	free(c->cmdline);
	free(c->console_path);
	free(c->config_file);
	free(c->vsock_uds);
	free(c->net_tap);
	for (unsigned int i = 0; i < c->nr_drives; i++) {
		free(c->drives[i].path);
		free(c->drives[i].id);
	}
	jail_config_free(&c->jail);
	memset(c, 0, sizeof(*c));
}
