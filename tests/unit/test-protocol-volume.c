/* test-protocol-volume.c - volumes in the protocol (protocol-volume.c):
 * a SPEC with every volume type and mounts survives a round trip, an
 * empty list is left out, each cross check and field rule has its
 * message naming the entry, and SECRET carries bytes (any, NUL
 * included) as base64 without ever quoting them in an error. */
#include "test-protocol.h"

TestSuite(protocol_volume);

#define VOLS_SPEC(VOLUMES, MOUNTS)                                              \
	"{\"name\":\"g\",\"hostname\":\"g\",\"restart\":\"never\","            \
	"\"containers\":[{\"name\":\"a\",\"args\":[\"sh\"],\"env\":[],"        \
	"\"workdir\":\"/\",\"user\":\"0\",\"cpu_millis\":0,"                   \
	"\"memory_bytes\":0,\"pids_max\":0,\"layers\":[\"" DIGEST_A "\"]"      \
	MOUNTS "}]" VOLUMES "}"

#define ALL_VOLUMES                                                            \
	",\"volumes\":["                                                       \
	"{\"name\":\"t\",\"type\":\"emptydir\",\"size_bytes\":1048576},"       \
	"{\"name\":\"s\",\"type\":\"secret\",\"size_bytes\":0},"               \
	"{\"name\":\"p\",\"type\":\"persistent\",\"size_bytes\":0,"            \
	"\"device\":\"lv0\"},"                                                 \
	"{\"name\":\"r\",\"type\":\"gitrepo\",\"size_bytes\":0,"               \
	"\"layer\":\"" DIGEST_B "\"}]"

#define ALL_MOUNTS                                                             \
	",\"mounts\":[{\"volume\":\"t\",\"path\":\"/t\",\"readonly\":false},"  \
	"{\"volume\":\"s\",\"path\":\"/run/s\",\"readonly\":true},"            \
	"{\"volume\":\"p\",\"path\":\"/var/p\",\"readonly\":false},"           \
	"{\"volume\":\"r\",\"path\":\"/src\",\"readonly\":false}]"

Test(protocol_volume, round_trip)
{
	struct proto_group g, g2;
	struct lerr e = { 0 };
	json_t *j = tp_json(VOLS_SPEC(ALL_VOLUMES, ALL_MOUNTS)), *out;

	cr_assert_eq(proto_group_from_json(j, &g, &e), 0, "%s", e.msg);
	cr_assert_eq(g.n_volumes, 4);
	cr_expect_eq(g.volumes[0].type, PROTO_VOLUME_EMPTYDIR);
	cr_expect_eq(g.volumes[0].size_bytes, 1048576);
	cr_expect_eq(g.volumes[1].type, PROTO_VOLUME_SECRET);
	cr_expect_str_eq(g.volumes[2].device, "lv0");
	cr_expect_str_eq(g.volumes[3].layer, DIGEST_B);
	cr_assert_eq(g.containers[0].n_mounts, 4);
	cr_expect_str_eq(g.containers[0].mounts[1].volume, "s");
	cr_expect_str_eq(g.containers[0].mounts[1].path, "/run/s");
	cr_expect(g.containers[0].mounts[1].readonly);
	cr_expect_not(g.containers[0].mounts[0].readonly);
	cr_assert_eq(proto_group_to_json(&g, &out, &e), 0, "%s", e.msg);
	cr_expect(json_equal(out, j), "the encoder gives back the input");
	cr_assert_eq(proto_group_from_json(tp_wire(PROTO_SPEC, 1, out), &g2,
					   &e), 0, "%s", e.msg);
	cr_expect_eq(g2.n_volumes, 4);
	proto_group_free(&g);
	proto_group_free(&g2);
	json_decref(j);
}

Test(protocol_volume, empty_lists_are_left_out)
{
	struct proto_group g;
	struct lerr e = { 0 };
	json_t *j = tp_json(VOLS_SPEC("", "")), *out;

	cr_assert_eq(proto_group_from_json(j, &g, &e), 0, "%s", e.msg);
	cr_expect_eq(g.n_volumes, 0);
	cr_expect_eq(g.containers[0].n_mounts, 0);
	cr_assert_eq(proto_group_to_json(&g, &out, &e), 0, "%s", e.msg);
	cr_expect_null(json_object_get(out, "volumes"));
	cr_expect(json_equal(out, j));
	json_decref(out);
	json_decref(j);
	proto_group_free(&g);
}

struct bad {
	const char *text;
	int err;
	const char *msg;
};

Test(protocol_volume, errors_name_the_entry)
{
	static const struct bad cases[] = {
		{ VOLS_SPEC(ALL_VOLUMES,
			    ",\"mounts\":[{\"volume\":\"x\",\"path\":\"/x\","
			    "\"readonly\":false}]"),
		  EINVAL,
		  "SPEC: containers[0].mounts[0].volume: no volume \"x\" in "
		  "the group" },
		{ VOLS_SPEC(ALL_VOLUMES,
			    ",\"mounts\":[{\"volume\":\"t\",\"path\":\"/x\","
			    "\"readonly\":false},{\"volume\":\"s\",\"path\":"
			    "\"/x\",\"readonly\":true}]"),
		  EINVAL,
		  "SPEC: containers[0].mounts[1].path: mounted twice in the "
		  "container" },
		{ VOLS_SPEC(ALL_VOLUMES,
			    ",\"mounts\":[{\"volume\":\"t\",\"path\":\"/a/../b\","
			    "\"readonly\":false}]"),
		  EINVAL,
		  "SPEC: containers[0].mounts[0].path: \"/a/../b\" is not a "
		  "clean absolute path other than /" },
		{ VOLS_SPEC(ALL_VOLUMES,
			    ",\"mounts\":[{\"volume\":\"t\",\"path\":\"/\","
			    "\"readonly\":false}]"),
		  EINVAL,
		  "SPEC: containers[0].mounts[0].path: \"/\" is not a clean "
		  "absolute path other than /" },
		{ VOLS_SPEC(",\"volumes\":[{\"name\":\"p\",\"type\":"
			    "\"persistent\",\"size_bytes\":0}]", ""),
		  EINVAL, "SPEC: volumes[0].device: missing" },
		/* an empty list is left out, never sent */
		{ VOLS_SPEC(",\"volumes\":[]", ""), EINVAL,
		  "SPEC: volumes: 0 entries, at least 1 needed" },
		{ VOLS_SPEC("", ",\"mounts\":[]"), EINVAL,
		  "SPEC: containers[0].mounts: 0 entries, at least 1 needed" },
		{ VOLS_SPEC(",\"volumes\":[{\"name\":\"r\",\"type\":\"gitrepo\","
			    "\"size_bytes\":0}]", ""),
		  EINVAL, "SPEC: volumes[0].layer: missing" },
		{ VOLS_SPEC(",\"volumes\":[{\"name\":\"t\",\"type\":"
			    "\"emptydir\",\"size_bytes\":0,\"device\":\"d\"}]",
			    ""),
		  EINVAL,
		  "SPEC: volumes[0].device: not allowed for a volume that is "
		  "not persistent" },
		{ VOLS_SPEC(",\"volumes\":[{\"name\":\"t\",\"type\":\"nfs\","
			    "\"size_bytes\":0}]", ""),
		  EINVAL,
		  "SPEC: volumes[0].type: \"nfs\" is not emptydir, secret, "
		  "persistent or gitrepo" },
		{ VOLS_SPEC(",\"volumes\":[{\"name\":\"p\",\"type\":"
			    "\"persistent\",\"size_bytes\":0,\"device\":"
			    "\"a/b\"}]", ""),
		  EINVAL,
		  "SPEC: volumes[0].device: \"a/b\" is not a device id (1-20 "
		  "of [A-Za-z0-9._-])" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proto_group g;
		struct lerr e = { 0 };
		json_t *j = tp_json(cases[i].text);
		int rc = proto_group_from_json(j, &g, &e);

		cr_expect_eq(rc, -cases[i].err, "case %zu: %d (%s)", i, rc,
			     e.msg);
		cr_expect_str_eq(e.msg, cases[i].msg, "case %zu", i);
		cr_expect_null(g.volumes, "case %zu: zeroed", i);
		json_decref(j);
	}
}

Test(protocol_volume, secret_round_trip)
{
	static const unsigned char bytes[] = { 's', 0, 0xff, '\n', 'x' };
	struct proto_secret s = { .volume = "creds", .name = "tok.en",
				  .mode = 0400 };
	struct proto_secret got;
	struct lerr e = { 0 };
	json_t *j;

	for (size_t n = 0; n <= sizeof(bytes); n++) {
		s.data = (unsigned char *)bytes;
		s.len = n;
		cr_assert_eq(proto_secret_to_json(&s, &j, &e), 0, "%s", e.msg);
		cr_assert_eq(proto_secret_from_json(tp_wire(PROTO_SECRET, 7, j),
						    &got, &e),
			     0, "%s", e.msg);
		cr_expect_str_eq(got.volume, "creds");
		cr_expect_str_eq(got.name, "tok.en");
		cr_expect_eq(got.mode, 0400);
		cr_assert_eq(got.len, n);
		cr_expect(n == 0 || memcmp(got.data, bytes, n) == 0);
		proto_secret_free(&got);
		cr_expect_null(got.data);
	}
}

Test(protocol_volume, secret_errors_never_quote_the_data)
{
	static const struct bad cases[] = {
		{ "{\"volume\":\"s\",\"name\":\"k\",\"mode\":256,"
		  "\"data\":\"c2VjcmV0*\"}",
		  EINVAL, "SECRET: data: not base64" },
		/* not canonical: "YQ==" re-encodes differently */
		{ "{\"volume\":\"s\",\"name\":\"k\",\"mode\":256,"
		  "\"data\":\"YR==\"}",
		  EINVAL, "SECRET: data: not base64" },
		{ "{\"volume\":\"s\",\"name\":\"..\",\"mode\":256,\"data\":\"\"}",
		  EINVAL,
		  "SECRET: name: \"..\" is not a file name (1-255 of "
		  "[A-Za-z0-9._-], not . or ..)" },
		{ "{\"volume\":\"s\",\"name\":\"k\",\"mode\":512,\"data\":\"\"}",
		  ERANGE, "SECRET: mode: 512 out of range 0..511" },
		{ "{\"volume\":\"s\",\"name\":\"k\",\"mode\":256}", EINVAL,
		  "SECRET: data: missing" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proto_secret got;
		struct lerr e = { 0 };
		json_t *j = tp_json(cases[i].text);
		int rc = proto_secret_from_json(j, &got, &e);

		cr_expect_eq(rc, -cases[i].err, "case %zu: %d (%s)", i, rc,
			     e.msg);
		cr_expect_str_eq(e.msg, cases[i].msg, "case %zu", i);
		cr_expect_null(strstr(e.msg, "c2Vj"), "case %zu", i);
		cr_expect_null(got.data);
		json_decref(j);
	}
}

Test(protocol_volume, secret_type_is_known_and_gaps_are_not)
{
	cr_expect_str_eq(proto_type_name(PROTO_SECRET), "SECRET");
	cr_expect(proto_type_is_json(PROTO_SECRET));
	cr_expect_null(proto_type_name(PROTO_SECRET - 1));
	cr_expect_not(proto_type_is_json(PROTO_SECRET - 1));
}
