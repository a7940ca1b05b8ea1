/* test-config.c - lighter-vmm's flags and INI file: defaults, overrides,
 * relative paths, and a table of bad inputs whose messages must name the
 * flag, or the file, section and key. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fixture.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct vmm_config c;

static void teardown(void)
{
	vmm_config_free(&c);
	fix_cleanup();
}

TestSuite(config, .fini = teardown);

#define PARSE(e, ...)                                                          \
	fix_config_parse(&c, e, (const char *const[]){ __VA_ARGS__, NULL })

static char *write_ini(const char *text)
{
	return fix_write_file("vm.ini", text, strlen(text));
}

Test(config, defaults)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--kernel", "vmlinux"), 0, "%s", e.msg);
	cr_expect_eq(c.vcpus, 1);
	cr_expect_eq(c.mem_bytes, 128 * MiB);
	cr_expect_str_eq(c.kernel, "vmlinux");
	cr_expect_null(c.initrd);
	cr_expect_str_eq(c.cmdline, "console=ttyS0 reboot=t panic=-1");
	cr_expect_eq(c.console, CONSOLE_STDOUT);
	cr_expect_null(c.console_path);
	cr_expect_eq(c.protocol, BOOT_AUTO);
	cr_expect_null(c.config_file);
	cr_expect(c.seccomp, "seccomp filters are on by default");
}

Test(config, all_flags)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--kernel", "/k", "--initrd", "rd.cpio",
			   "--cmdline", "quiet", "--cpus", "4", "--memory",
			   "2G", "--console", "/tmp/con.log", "--boot",
			   "linux64"),
		     0, "%s", e.msg);
	cr_expect_eq(c.vcpus, 4);
	cr_expect_eq(c.mem_bytes, 2 * GiB);
	cr_expect_str_eq(c.initrd, "rd.cpio", "flag paths stay as given");
	cr_expect_str_eq(c.cmdline, "quiet");
	cr_expect_eq(c.console, CONSOLE_FILE);
	cr_expect_str_eq(c.console_path, "/tmp/con.log");
	cr_expect_eq(c.protocol, BOOT_LINUX64);
}

Test(config, equals_syntax_and_vcpus_alias)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--kernel=/k", "--vcpus=64", "--memory=65536K",
			   "--console=off", "--boot=pvh", "--cmdline="),
		     0, "%s", e.msg);
	cr_expect_eq(c.vcpus, 64);
	cr_expect_eq(c.mem_bytes, 64 * MiB);
	cr_expect_eq(c.console, CONSOLE_OFF);
	cr_expect_eq(c.protocol, BOOT_PVH);
	cr_expect_str_eq(c.cmdline, "");
}

Test(config, file_then_flags_override)
{
	struct lerr e;
	char *ini = write_ini("; lighter-vmm config\n"
			      "[vm]\n"
			      "vcpus   = 2\n"
			      "memory  = 512M\n"
			      "kernel  = vmlinux\n"
			      "initrd  = /abs/init.cpio\n"
			      "cmdline = \"console=ttyS0 quiet\"\n"
			      "console = console.log\n"
			      "boot    = pvh\n");
	char *want_kernel, *want_console;
	const char *dir = fix_dir_path();

	cr_assert(asprintf(&want_kernel, "%s/vmlinux", dir) > 0);
	cr_assert(asprintf(&want_console, "%s/console.log", dir) > 0);
	cr_assert_eq(PARSE(&e, "--config", ini, "--cpus", "3"), 0, "%s", e.msg);
	cr_expect_eq(c.vcpus, 3, "the flag wins");
	cr_expect_eq(c.mem_bytes, 512 * MiB);
	cr_expect_str_eq(c.kernel, want_kernel, "relative to the file");
	cr_expect_str_eq(c.initrd, "/abs/init.cpio");
	cr_expect_str_eq(c.cmdline, "console=ttyS0 quiet");
	cr_expect_eq(c.console, CONSOLE_FILE);
	cr_expect_str_eq(c.console_path, want_console);
	cr_expect_eq(c.protocol, BOOT_PVH);
	cr_expect_str_eq(c.config_file, ini);

	/* Flags given before --config still win over the file. */
	vmm_config_free(&c);
	cr_assert_eq(PARSE(&e, "--memory", "1G", "--kernel", "k2",
			   "--console", "stdout", "--config", ini),
		     0, "%s", e.msg);
	cr_expect_eq(c.mem_bytes, GiB);
	cr_expect_str_eq(c.kernel, "k2");
	cr_expect_eq(c.console, CONSOLE_STDOUT);
	cr_expect_null(c.console_path);
	cr_expect_eq(c.vcpus, 2);
	free(want_kernel);
	free(want_console);
	free(ini);
}

Test(config, file_without_kernel_needs_flag)
{
	struct lerr e;
	char *ini = write_ini("[vm]\nvcpus = 2\n");

	cr_expect_eq(PARSE(&e, "--config", ini), -EINVAL);
	cr_expect(strstr(e.msg, "--kernel") != NULL, "%s", e.msg);
	cr_expect_eq(PARSE(&e, "--config", ini, "--kernel", "/k"), 0, "%s",
		     e.msg);
	free(ini);
}

Test(config, empty_file_is_fine)
{
	struct lerr e;
	char *ini = write_ini("");

	cr_expect_eq(PARSE(&e, "--config", ini, "--kernel", "/k"), 0, "%s",
		     e.msg);
	free(ini);
}

Test(config, help)
{
	/* Each criterion test runs in its own process: stdout is ours. */
	char *out = fix_write_file("help.txt", "", 0), text[4096];
	struct lerr e;
	FILE *f;
	size_t n;

	cr_assert_not_null(freopen(out, "w", stdout));
	cr_expect_eq(PARSE(&e, "--help"), 1);
	vmm_config_free(&c);
	cr_expect_eq(PARSE(&e, "--kernel", "/k", "-h"), 1);
	cr_expect_not_null(c.cmdline, "a --help config is still freeable");
	fflush(stdout);
	f = fopen(out, "r");
	cr_assert_not_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	cr_expect(strstr(text, "usage: lighter-vmm") != NULL, "%s", text);
	cr_expect(strstr(text, "--memory SIZE") != NULL);
	cr_expect(strstr(text, "--boot PROTO") != NULL);
	free(out);
}

struct bad_flags {
	const char *args[6];
	const char *want;
};

Test(config, bad_flags)
{
	static const struct bad_flags cases[] = {
		{ { "--memory", "12Q" }, "--memory: \"12Q\" is not a size" },
		{ { "--memory", "" }, "--memory: \"\" is not a size" },
		{ { "--memory", "-1G" }, "--memory: \"-1G\" is not a size" },
		{ { "--memory", "1G2" }, "--memory: \"1G2\" is not a size" },
		{ { "--memory", "32M" }, "--memory: \"32M\" is below the minimum" },
		{ { "--memory", "65G" }, "--memory: \"65G\" is above the maximum" },
		{ { "--memory", "99999999999999999999" },
		  "--memory: \"99999999999999999999\" is too large" },
		{ { "--memory", "99999999999T" }, "--memory: \"99999999999T\" is too large" },
		{ { "--memory", "67108865" }, "--memory: \"67108865\" is not a multiple of 4K" },
		{ { "--cpus", "0" }, "--cpus: \"0\" is out of range (1..64)" },
		{ { "--cpus", "65" }, "--cpus: \"65\" is out of range" },
		{ { "--vcpus", "two" }, "--cpus: \"two\" is not a number" },
		{ { "--cpus", "2x" }, "--cpus: \"2x\" is not a number" },
		{ { "--cpus", "-1" }, "--cpus: \"-1\" is not a number" },
		{ { "--boot", "bios" }, "--boot: \"bios\" is not one of auto, pvh, linux64" },
		{ { "--console", "" }, "--console: empty path" },
		{ { "--kernel", "" }, "--kernel: empty path" },
		{ { "--frobnicate" }, "unknown option \"--frobnicate\"" },
		{ { "--memory" }, "--memory: missing argument" },
		{ { "--kernel", "/k", "extra" }, "unexpected argument \"extra\"" },
		{ { "--config", "/nonexistent/vm.ini" },
		  "\"/nonexistent/vm.ini\": No such file" },
		{ { "--cpus", "2" }, "no kernel" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lerr e;
		int r = fix_config_parse(&c, &e, cases[i].args);

		cr_expect_lt(r, 0, "case %zu accepted", i);
		cr_expect_gt(e.code, 0, "case %zu: no errno", i);
		cr_expect(strstr(e.msg, cases[i].want) != NULL,
			  "case %zu: \"%s\" lacks \"%s\"", i, e.msg,
			  cases[i].want);
		cr_expect_null(c.kernel, "case %zu: config not freed", i);
	}
}

#define X16 "xxxxxxxxxxxxxxxx"
#define X256 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16 X16
#define LONG_LINE X256 X256 X256 X256 /* iniparser's limit is 1024 */

struct bad_file {
	const char *text;
	const char *want; /* after "\"<path>\": " */
};

Test(config, bad_files)
{
	static const struct bad_file cases[] = {
		{ "[vm]\nmemory = 12Q\n", "[vm] memory: \"12Q\" is not a size" },
		{ "[vm]\nmemory = 1M\n", "[vm] memory: \"1M\" is below the minimum" },
		{ "[vm]\nvcpus = 100\n", "[vm] vcpus: \"100\" is out of range" },
		{ "[vm]\nvcpus =\n", "[vm] vcpus: \"\" is not a number" },
		{ "[vm]\nboot = efi\n", "[vm] boot: \"efi\" is not one of" },
		{ "[vm]\nseccomp = no\n", "[vm] seccomp: \"no\" is not on or off" },
		{ "[vm]\nkernel =\n", "[vm] kernel: empty path" },
		{ "[vm]\nmemroy = 1G\n", "[vm] unknown key \"memroy\"" },
		{ "[vm]\nkernel = k\n[net]\ntap = tap0\n",
		  "unknown section [net] (only [vm])" },
		{ "kernel = k\n", "key \"kernel\" outside the [vm] section" },
		{ "[vm]\nthis line is not ini\n",
		  "line 2: syntax error: \"this line is not ini\"" },
		{ "[vm]\nfirst bad line\nsecond bad line\n",
		  "line 2: syntax error: \"first bad line\"" },
		{ "[vm]\ncmdline = " LONG_LINE "\n",
		  "line 2: input line too long" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ini = write_ini(cases[i].text), *want;
		struct lerr e;
		int r = PARSE(&e, "--config", ini, "--kernel", "/k");

		cr_assert(asprintf(&want, "\"%s\": %s", ini, cases[i].want) > 0);
		cr_expect_lt(r, 0, "case %zu accepted", i);
		cr_expect(strstr(e.msg, want) != NULL,
			  "case %zu: \"%s\" lacks \"%s\"", i, e.msg, want);
		cr_expect_null(strchr(e.msg, '\n'), "case %zu: not one line", i);
		free(want);
		free(ini);
	}
}

Test(config, flag_fixes_bad_file_value_is_still_an_error)
{
	/* A bad file value is reported even when a flag would override it:
	 * the file is wrong and should be fixed. */
	struct lerr e;
	char *ini = write_ini("[vm]\nmemory = lots\n");

	cr_expect_lt(PARSE(&e, "--config", ini, "--memory", "1G", "--kernel",
			   "/k"),
		     0);
	cr_expect(strstr(e.msg, "[vm] memory") != NULL, "%s", e.msg);
	free(ini);
}

Test(config, parse_size_table)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
		{ "4096", 0, 4096 },
		{ "512K", 0, 512ULL << 10 },
		{ "512k", 0, 512ULL << 10 },
		{ "128M", 0, 128 * MiB },
		{ "2G", 0, 2 * GiB },
		{ "1T", 0, 1ULL << 40 },
		{ "0", 0, 0 },
		{ "12Q", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ " 1M", -EINVAL, 0 },
		{ "1M ", -EINVAL, 0 },
		{ "+1M", -EINVAL, 0 },
		{ "1MB", -EINVAL, 0 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		int r = parse_size(cases[i].s, &v);

		cr_expect_eq(r, cases[i].r, "\"%s\": %d", cases[i].s, r);
		if (r == 0)
			cr_expect_eq(v, cases[i].v, "\"%s\"", cases[i].s);
	}
	cr_expect_eq(parse_size(NULL, NULL), -EINVAL);
}

Test(config, reparse_in_one_process)
{
	struct lerr e;

	cr_assert_eq(PARSE(&e, "--kernel", "/a", "--cpus", "2"), 0, "%s", e.msg);
	vmm_config_free(&c);
	cr_assert_eq(PARSE(&e, "--kernel", "/b"), 0, "%s", e.msg);
	cr_expect_str_eq(c.kernel, "/b");
	cr_expect_eq(c.vcpus, 1);
}

/* Found by tests/fuzz/fuzz-vmm-config: a non-printable character in a
 * drive id used to send the id check past the end of the string. */
Test(config, drive_id_with_a_control_character_is_refused)
{
	struct lerr e;

	cr_assert_lt(PARSE(&e, "--kernel", "/k", "--drive",
			   "path=/d,id=ab\x01" "cd,ro"), 0);
	cr_expect(strstr(e.msg, "id must be 1..") != NULL, "%s", e.msg);
	cr_assert_lt(PARSE(&e, "--kernel", "/k", "--drive", "path=/d,id=\xff"), 0);
	cr_expect(strstr(e.msg, "id must be 1..") != NULL, "%s", e.msg);
}

Test(config, net_tap_and_mac)
{
	static const uint8_t dflt[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };
	static const uint8_t mine[6] = { 0x02, 0xab, 0xcd, 0xef, 0x01, 0x23 };
	struct lerr e;
	char *ini;

	cr_assert_eq(PARSE(&e, "--kernel", "/k"), 0, "%s", e.msg);
	cr_expect_null(c.net_tap, "no network device by default");
	cr_assert_eq(PARSE(&e, "--kernel", "/k", "--net", "tap=ltap0"), 0,
		     "%s", e.msg);
	cr_expect_str_eq(c.net_tap, "ltap0");
	cr_expect_arr_eq(c.net_mac, dflt, 6, "locally administered default");
	cr_assert_eq(PARSE(&e, "--kernel", "/k", "--net",
			   "mac=02:AB:cd:EF:01:23,tap=t-1.x_y"),
		     0, "%s", e.msg);
	cr_expect_str_eq(c.net_tap, "t-1.x_y");
	cr_expect_arr_eq(c.net_mac, mine, 6);
	ini = write_ini("[vm]\nkernel = /k\nnet = tap=fromfile,mac=02:ab:cd:ef:01:23\n");
	cr_assert_eq(PARSE(&e, "--config", ini), 0, "%s", e.msg);
	cr_expect_str_eq(c.net_tap, "fromfile");
	cr_assert_eq(PARSE(&e, "--config", ini, "--net", "tap=flag"), 0, "%s",
		     e.msg);
	cr_expect_str_eq(c.net_tap, "flag", "the flag wins");
	cr_expect_arr_eq(c.net_mac, dflt, 6, "and brings its own MAC");
}

Test(config, bad_net_values_name_the_flag_or_key)
{
	static const char *const bad[][2] = {
		{ "tap=", "tap name \"\" is not" },
		{ "tap=bad/name", "tap name \"bad/name\" is not" },
		{ "tap=sixteen-chars-xy", "is not 1..15" },
		{ "tap=..", "tap name \"..\"" },
		{ "tap=t0,mac=01:00:5e:00:00:01", "not a unicast MAC" },
		{ "tap=t0,mac=00:00:00:00:00:00", "not a unicast MAC" },
		{ "tap=t0,mac=02:00:00:00:00", "not a unicast MAC" },
		{ "tap=t0,mac=02:00:00:00:00:0g", "not a unicast MAC" },
		{ "tap=t0,mac=02-00-00-00-00-01", "not a unicast MAC" },
		{ "tap=t0,mac= 2:00:00:00:00:01", "not a unicast MAC" },
		{ "tap=t0,vhost=on", "unknown net option \"vhost=on\"" },
		{ "mac=02:00:00:00:00:01", "no tap=NAME" },
		{ "", "no tap=NAME" },
	};
	struct lerr e;
	char *ini;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_lt(PARSE(&e, "--kernel", "/k", "--net", bad[i][0]), 0,
			     "\"%s\" accepted", bad[i][0]);
		cr_expect(strncmp(e.msg, "--net: ", 7) == 0 &&
				  strstr(e.msg, bad[i][1]) != NULL,
			  "\"%s\": \"%s\" lacks \"%s\"", bad[i][0], e.msg,
			  bad[i][1]);
	}
	ini = write_ini("[vm]\nkernel = /k\nnet = tap=t0,mac=ff:ff:ff:ff:ff:ff\n");
	cr_assert_lt(PARSE(&e, "--config", ini), 0);
	cr_expect(strstr(e.msg, "[vm] net: ") != NULL &&
			  strstr(e.msg, "not a unicast MAC") != NULL,
		  "%s", e.msg);
}

Test(config, seccomp_off_by_flag_or_key)
{
	struct lerr e;
	char *ini;

	cr_assert_eq(PARSE(&e, "--kernel", "k", "--no-seccomp"), 0, "%s",
		     e.msg);
	cr_expect_not(c.seccomp);
	vmm_config_free(&c);

	ini = write_ini("[vm]\nkernel = k\nseccomp = off\n");
	cr_assert_eq(PARSE(&e, "--config", ini), 0, "%s", e.msg);
	cr_expect_not(c.seccomp);
	vmm_config_free(&c);

	/* the file may turn them on explicitly; the flag still wins */
	free(ini);
	ini = write_ini("[vm]\nkernel = k\nseccomp = on\n");
	cr_assert_eq(PARSE(&e, "--config", ini), 0, "%s", e.msg);
	cr_expect(c.seccomp);
	vmm_config_free(&c);
	cr_assert_eq(PARSE(&e, "--config", ini, "--no-seccomp"), 0, "%s",
		     e.msg);
	cr_expect_not(c.seccomp);

	/* --no-seccomp takes no argument */
	vmm_config_free(&c);
	cr_expect_lt(PARSE(&e, "--kernel", "k", "--no-seccomp=on"), 0);
	free(ini);
}
