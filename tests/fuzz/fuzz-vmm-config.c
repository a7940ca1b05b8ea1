/* fuzz-vmm-config.c - libFuzzer harness for lighter-vmm's configuration
 * (vmm/config.c): the input is an INI file given as
 * `--config FILE --kernel /dev/null`, FILE a memfd behind /proc/self/fd/N.
 *
 * vmm_config_parse()'s contract (vmm/config.h): 0 with a valid config,
 * or -errno with a message and the config freed and zeroed; never 1 here
 * (no --help); vmm_config_free() is safe either way.  iniparser reports
 * syntax errors through the callback config.c installs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz-input.h"
#include "guest-mem.h"

static struct fuzz_file ini;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_config(const struct vmm_config *c)
{
	FUZZ_CHECK(c->vcpus >= 1 && c->vcpus <= VMM_MAX_VCPUS);
	FUZZ_CHECK(c->mem_bytes >= GUEST_MEM_MIN &&
		   c->mem_bytes <= GUEST_MEM_MAX && c->mem_bytes % 4096 == 0);
	FUZZ_CHECK(c->kernel && strcmp(c->kernel, "/dev/null") == 0);
	FUZZ_CHECK(c->cmdline);
	FUZZ_CHECK((c->console == CONSOLE_FILE) == (c->console_path != NULL));
	FUZZ_CHECK(c->protocol == BOOT_AUTO || c->protocol == BOOT_PVH ||
		   c->protocol == BOOT_LINUX64);
	FUZZ_CHECK(c->config_file && strcmp(c->config_file, ini.path) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "lighter-vmm", "--config", ini.path, "--kernel",
			 "/dev/null", NULL };
	struct vmm_config c;
	struct lerr e = { 0 };
	int r;

	fuzz_file_put(&ini, "fuzz-vm.ini", data, size);

	r = vmm_config_parse(&c, 5, argv, &e);
	FUZZ_CHECK(r == 0 || r < 0);
	if (r == 0) {
		check_config(&c);
	} else {
		FUZZ_CHECK(e.code == -r && e.msg[0]);
		FUZZ_CHECK(memchr(e.msg, '\n', sizeof(e.msg)) == NULL);
		FUZZ_CHECK(!c.kernel && !c.cmdline && !c.config_file);
	}
	vmm_config_free(&c);
	return 0;
}
