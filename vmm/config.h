/* config.h - lighter-vmm's configuration: command-line flags and/or an INI
 * file (iniparser).  Flags override the file.  Every rejected value yields
 * a message naming the flag or the file, section and key. */
#ifndef LIGHTER_VMM_CONFIG_H
#define LIGHTER_VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <lighter/error.h>
#include <lighter/size.h>

#include "boot.h"
#include "jail-config.h"

#define VMM_MAX_VCPUS 64
#define VMM_MAX_DRIVES 8
#define VMM_DRIVE_ID_MAX 20 /* virtio-blk serial bytes */

/* A virtio-blk disk: --drive path=FILE[,ro][,id=SERIAL] or [vm] driveN. */
struct vmm_drive {
	char *path;  /* raw image */
	bool ro;     /* read-only (VIRTIO_BLK_F_RO) */
	char *id;    /* serial for GET_ID; NULL: the image's base name */
};

enum console_mode {
	CONSOLE_STDOUT = 0, /* default */
	CONSOLE_FILE,       /* console_path */
	CONSOLE_OFF,        /* fast mode: no serial device output at all */
};

struct vmm_config {
	unsigned int vcpus;          /* 1..VMM_MAX_VCPUS, default 1 */
	uint64_t mem_bytes;          /* default 128 MiB */
	char *kernel;                /* required */
	char *initrd;                /* optional */
	char *cmdline;               /* default "console=ttyS0 reboot=t panic=-1" */
	enum console_mode console;
	char *console_path;          /* for CONSOLE_FILE */
	enum boot_protocol protocol; /* --boot=auto|pvh|linux64 */
	char *config_file;           /* --config FILE, NULL if none */
	bool rng;                    /* --rng on: a virtio-rng device */
	char *vsock_uds;             /* --vsock-uds: a virtio-vsock device */
	uint64_t vsock_cid;          /* --vsock-cid, >= 3, default 3 */
	char *net_tap;               /* --net tap=NAME: a virtio-net device */
	uint8_t net_mac[6];          /* --net ...,mac=; default 06:00:AC:10:00:02 */
	/* disks: the file's drive0..drive7 in that order, then each --drive */
	struct vmm_drive drives[VMM_MAX_DRIVES];
	unsigned int nr_drives;
	struct jail_config jail;     /* --jail* flags (jail-config.c) */
	bool seccomp;                /* per-thread allowlists; default on,
				      * --no-seccomp or [vm] seccomp = off */
};

/* Parse argv (argv[0] is the program name). Returns 0, 1 when --help was
 * printed (caller exits 0), or -errno with e filled.  c is initialised by
 * the call (old contents are not freed); after an error it is already
 * freed and zeroed, after --help it holds the defaults; vmm_config_free()
 * is safe in every case. */
int vmm_config_parse(struct vmm_config *c, int argc, char **argv, struct lerr *e);

void vmm_config_free(struct vmm_config *c);

#endif
