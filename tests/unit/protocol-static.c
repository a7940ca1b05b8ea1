/* protocol-static.c - the protocol library linked the way the agent links
 * it (-static, jansson's archive, protocol_agent_dep): a HELLO, a SPEC
 * and an OUTPUT frame through a socketpair and back.  Plain C, not
 * criterion (which has no static library); exits 0 when every step held,
 * else prints the failing step. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol.h"

#define CHECK(cond, what)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "protocol-static: %s failed: %s\n",    \
				what, e.msg);                                  \
			return 1;                                              \
		}                                                              \
	} while (0)

int main(void)
{
	static char *args[] = { "/bin/true" };
	static char *layers[] = { "sha256:e3b0c44298fc1c149afbf4c8996fb924"
				  "27ae41e4649b934ca495991b7852b855" };
	struct proto_container c = { .name = "app",
				     .args = args,
				     .n_args = 1,
				     .workdir = "/",
				     .user = "0:0",
				     .layers = layers,
				     .n_layers = 1 };
	struct proto_group g = { .name = "g",
				 .hostname = "g",
				 .containers = &c,
				 .n_containers = 1 },
			   got;
	struct proto_hello h = { .client = "static", .time_ns = 1 }, hgot;
	struct proto_reader r;
	struct proto_frame f;
	struct proto_output out;
	struct proto_out o;
	struct lerr e = { 0 };
	json_t *j;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(proto_hello_to_json(&h, &j, &e) == 0, "HELLO encode");
	CHECK(proto_send_json(sv[0], PROTO_HELLO, 1, j, &e) == 0, "HELLO send");
	json_decref(j);
	CHECK(proto_group_to_json(&g, &j, &e) == 0, "SPEC encode");
	CHECK(proto_send_json(sv[0], PROTO_SPEC, 2, j, &e) == 0, "SPEC send");
	json_decref(j);
	CHECK(proto_out_output(&o, 5, 0, PROTO_OUT_STDOUT, "hi", 2, &e) == 0,
	      "OUTPUT build");
	CHECK(proto_out_write(&o, sv[0], &e) == 1, "OUTPUT send");
	close(sv[0]);

	CHECK(proto_reader_init(&r, &e) == 0, "reader");
	CHECK(proto_read_frame(&r, sv[1], &f, &e) == 1, "HELLO read");
	CHECK(proto_frame_json(&f, &j, &e) == 0, "HELLO body");
	CHECK(proto_hello_from_json(j, &hgot, &e) == 0, "HELLO decode");
	CHECK(strcmp(hgot.client, "static") == 0, "HELLO client");
	proto_hello_free(&hgot);
	json_decref(j);
	CHECK(proto_read_frame(&r, sv[1], &f, &e) == 1, "SPEC read");
	CHECK(proto_frame_json(&f, &j, &e) == 0, "SPEC body");
	CHECK(proto_group_from_json(j, &got, &e) == 0, "SPEC decode");
	CHECK(strcmp(got.containers[0].args[0], "/bin/true") == 0, "SPEC args");
	proto_group_free(&got);
	json_decref(j);
	CHECK(proto_read_frame(&r, sv[1], &f, &e) == 1, "OUTPUT read");
	CHECK(proto_output_decode(&f, &out, &e) == 0, "OUTPUT decode");
	CHECK(out.len == 2 && memcmp(out.data, "hi", 2) == 0, "OUTPUT data");
	CHECK(proto_read_frame(&r, sv[1], &f, &e) == 0, "end of file");
	proto_reader_free(&r);
	close(sv[1]);
	return 0;
}
