/* test-vsock.c - the virtio-vsock device end to end in-process: a test
 * guest on real rings (vsock-driver.c) against real host Unix sockets.
 * Handshakes both ways, data both ways, credit in both directions,
 * teardown from either side, hostile packets, many connections. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "virtio-mmio.h"
#include "vsock-conn.h"
#include "vsock-driver.h"

static struct td_pkt pkt;

TestSuite(vsock, .init = td_init, .fini = td_fini, .timeout = 60);

Test(vsock, identifies_as_vsock_with_guest_cid)
{
	uint64_t cid = 0;
	uint32_t id;

	virtio_mmio_read(td.dev, 0x008, &id, 4);
	cr_assert_eq(id, VIRTIO_ID_VSOCK);
	virtio_mmio_read(td.dev, 0x100, &cid, 8);
	cr_assert_eq(cid, TD_CID);
	cid = 0;
	virtio_mmio_read(td.dev, 0x100, &cid, 4);
	cr_assert_eq(cid, TD_CID);
}

Test(vsock, host_connect_gets_ok_and_data_flows_both_ways)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);
	char buf[16];

	td_host_write(fd, "ping", 4);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RW);
	cr_assert_eq(pkt.h.src_port, hp);
	cr_assert_eq(pkt.h.dst_port, 1234);
	cr_assert_eq(pkt.h.len, 4);
	cr_assert_eq(memcmp(pkt.data, "ping", 4), 0);
	cr_assert_eq(pkt.h.buf_alloc, VSOCK_BUF_ALLOC);

	td_send(VSOCK_OP_RW, 1234, hp, 0, "pong!", 5);
	cr_assert_eq(td_host_read(fd, buf, 5), 5);
	cr_assert_eq(memcmp(buf, "pong!", 5), 0);
	close(fd);
}

Test(vsock, bytes_behind_the_connect_line_are_payload)
{
	struct td_pkt *p = &pkt;
	char line[32];
	int fd = td_host_connect();
	uint32_t hp;
	int n;

	td_host_write(fd, "CONNECT 77\nhello", 16);
	cr_assert(td_recv(p));
	cr_assert_eq(p->h.op, VSOCK_OP_REQUEST);
	hp = p->h.src_port;
	td_send(VSOCK_OP_RESPONSE, 77, hp, 0, NULL, 0);
	n = snprintf(line, sizeof(line), "OK %u\n", hp);
	cr_assert_eq(td_host_read(fd, line, (size_t)n), (size_t)n);
	cr_assert(td_recv_skip_credit(p));
	cr_assert_eq(p->h.op, VSOCK_OP_RW);
	cr_assert_eq(p->h.len, 5);
	cr_assert_eq(memcmp(p->data, "hello", 5), 0);
	close(fd);
}

Test(vsock, host_ports_are_distinct_per_connection)
{
	uint32_t a, b;
	int fa = td_connect_established(1024, &a);
	int fb = td_connect_established(1024, &b);

	cr_assert_neq(a, b);
	close(fa);
	close(fb);
}

static void expect_closed_without_request(const char *line, size_t len)
{
	int fd = td_host_connect();

	td_host_write(fd, line, len);
	cr_assert(td_host_eof(fd), "client still connected after \"%.*s\"",
		  (int)len, line);
	cr_assert(td_quiet(50), "the guest heard of a bad CONNECT");
	close(fd);
}

Test(vsock, garbage_connect_lines_close_the_client)
{
	static const char long_line[] =
		"CONNECT 1111111111111111111111111111111111111111111111";

	expect_closed_without_request("HELLO\n", 6);
	expect_closed_without_request("CONNECT\n", 8);
	expect_closed_without_request("CONNECT -1\n", 11);
	expect_closed_without_request("CONNECT 4294967296\n", 19);
	expect_closed_without_request("CONNECT 12x\n", 12);
	expect_closed_without_request("connect 12\n", 11);
	expect_closed_without_request(long_line, sizeof(long_line) - 1);
	cr_assert_geq(virtio_vsock_stats(td.dev)->protocol, 7);
}

Test(vsock, guest_refusal_closes_the_client)
{
	int fd = td_host_connect();

	dprintf(fd, "CONNECT 9\n");
	cr_assert(td_recv(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_REQUEST);
	td_send(VSOCK_OP_RST, 9, pkt.h.src_port, 0, NULL, 0);
	cr_assert(td_host_eof(fd));
	close(fd);
}

Test(vsock, guest_connects_out_to_a_host_listener)
{
	int lfd = td_host_listen(5000), fd;
	char buf[8];

	td_send(VSOCK_OP_REQUEST, 40000, 5000, 0, NULL, 0);
	cr_assert(td_recv(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RESPONSE);
	cr_assert_eq(pkt.h.src_port, 5000);
	cr_assert_eq(pkt.h.dst_port, 40000);
	fd = td_host_accept(lfd);

	td_send(VSOCK_OP_RW, 40000, 5000, 0, "abc", 3);
	cr_assert_eq(td_host_read(fd, buf, 3), 3);
	cr_assert_eq(memcmp(buf, "abc", 3), 0);
	td_host_write(fd, "xyz", 3);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RW);
	cr_assert_eq(memcmp(pkt.data, "xyz", 3), 0);
	close(fd);
	close(lfd);
}

Test(vsock, guest_connect_without_listener_gets_rst)
{
	td_send(VSOCK_OP_REQUEST, 40001, 5001, 0, NULL, 0);
	cr_assert(td_recv(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
	cr_assert_eq(pkt.h.src_port, 5001);
	cr_assert_eq(pkt.h.dst_port, 40001);
}

Test(vsock, host_to_guest_never_exceeds_the_guest_window)
{
	static uint8_t big[64 << 10];
	uint32_t hp, got = 0, credit_requests = 0;
	int fd;

	td.guest_buf_alloc = 10000; /* the guest's window */
	fd = td_connect_established(1234, &hp);
	memset(big, 0x5a, sizeof(big));
	td_host_write(fd, big, sizeof(big));
	while (td_recv(&pkt)) {
		if (pkt.h.op == VSOCK_OP_CREDIT_REQUEST)
			credit_requests++;
		else if (pkt.h.op == VSOCK_OP_RW)
			got += pkt.h.len;
		if (credit_requests)
			break;
	}
	cr_assert_eq(got, 10000, "device sent %u bytes into a 10000 window",
		     got);
	cr_assert_eq(credit_requests, 1);
	cr_assert(td_quiet(100), "nothing more without credit");

	/* the guest consumed 6000 bytes */
	td.guest_fwd_cnt = 6000;
	td_send(VSOCK_OP_CREDIT_UPDATE, 1234, hp, 0, NULL, 0);
	got = 0;
	while (got < 6000 && td_recv_skip_credit(&pkt)) {
		cr_assert_eq(pkt.h.op, VSOCK_OP_RW);
		got += pkt.h.len;
	}
	cr_assert_eq(got, 6000);
	/* out of credit again: at most a CREDIT_REQUEST, never data */
	while (td_recv_wait(&pkt, 100))
		cr_assert_eq(pkt.h.op, VSOCK_OP_CREDIT_REQUEST);
	close(fd);
}

Test(vsock, guest_credit_request_is_answered)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);

	td_send(VSOCK_OP_CREDIT_REQUEST, 1234, hp, 0, NULL, 0);
	cr_assert(td_recv(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_CREDIT_UPDATE);
	cr_assert_eq(pkt.h.buf_alloc, VSOCK_BUF_ALLOC);
	cr_assert_eq(pkt.h.fwd_cnt, 0);
	close(fd);
}

Test(vsock, forwarding_guest_data_sends_credit_updates)
{
	static uint8_t chunk[32 << 10], sink[256 << 10];
	uint32_t hp, sent = 0, last_fwd = 0;
	int fd = td_connect_established(1234, &hp);

	memset(chunk, 0x33, sizeof(chunk));
	while (sent < sizeof(sink)) {
		td_send(VSOCK_OP_RW, 1234, hp, 0, chunk, sizeof(chunk));
		sent += sizeof(chunk);
		cr_assert_eq(td_host_read(fd, sink, sizeof(chunk)),
			     sizeof(chunk));
	}
	while (td_recv(&pkt)) {
		cr_assert_eq(pkt.h.op, VSOCK_OP_CREDIT_UPDATE);
		cr_assert_geq(pkt.h.fwd_cnt, last_fwd);
		last_fwd = pkt.h.fwd_cnt;
		if (last_fwd >= sizeof(sink) - VSOCK_CREDIT_UPDATE_BYTES)
			break;
	}
	cr_assert_geq(last_fwd, sizeof(sink) - VSOCK_CREDIT_UPDATE_BYTES,
		      "credit updates stopped at %u", last_fwd);
	close(fd);
}

Test(vsock, slow_host_reader_is_buffered_up_to_the_window)
{
	static uint8_t chunk[64 << 10], sink[64 << 10];
	uint32_t hp, sent = 0, total_in = 0;
	int fd = td_connect_established(1234, &hp);
	int sndbuf = 4096;

	/* a host reader that takes nothing: the socket fills, then the
	 * device's ring; the guest within its credit is never refused */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
	for (unsigned int i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 7);
	for (int i = 0; i < 4; i++) {
		td_send(VSOCK_OP_RW, 1234, hp, 0, chunk, sizeof(chunk));
		sent += sizeof(chunk);
	}
	cr_assert_eq(virtio_vsock_stats(td.dev)->protocol, 0);
	/* now drain it all and check order */
	while (total_in < sent) {
		size_t n = td_host_read(fd, sink, sizeof(sink));

		cr_assert_eq(n, sizeof(sink));
		cr_assert_eq(memcmp(sink, chunk, n), 0, "stream corrupted at %u",
			     total_in);
		total_in += (uint32_t)n;
	}
	close(fd);
}

Test(vsock, guest_beyond_its_credit_is_reset)
{
	static uint8_t chunk[64 << 10];
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);
	int small = 4096;
	bool rst = false;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* the host never reads: socket buffers, then the 256 KiB window */
	for (int i = 0; i < 64 && !rst; i++) {
		td_send(VSOCK_OP_RW, 1234, hp, 0, chunk, sizeof(chunk));
		while (!rst && td_recv_wait(&pkt, 0))
			rst = pkt.h.op == VSOCK_OP_RST;
	}
	while (!rst && td_recv(&pkt))
		rst = pkt.h.op == VSOCK_OP_RST;
	cr_assert(rst, "a guest sending 4 MiB past its window was not reset");
	cr_assert_eq(virtio_vsock_stats(td.dev)->protocol, 1);
	cr_assert(td_host_eof(fd), "host socket closed on the reset");
	close(fd);
}

Test(vsock, guest_shutdown_both_closes_host_socket_and_rsts)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);

	td_send(VSOCK_OP_SHUTDOWN, 1234, hp, VSOCK_SHUTDOWN_BOTH, NULL, 0);
	cr_assert(td_host_eof(fd));
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
	close(fd);
}

Test(vsock, guest_shutdown_send_is_a_half_close)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);

	td_send(VSOCK_OP_RW, 1234, hp, 0, "last", 4);
	td_send(VSOCK_OP_SHUTDOWN, 1234, hp, VSOCK_SHUTDOWN_SEND, NULL, 0);
	char buf[4];
	cr_assert_eq(td_host_read(fd, buf, 4), 4);
	cr_assert(td_host_eof(fd), "host sees EOF after the guest's SEND shutdown");
	/* the other direction still works */
	td_host_write(fd, "more", 4);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RW);
	cr_assert_eq(memcmp(pkt.data, "more", 4), 0);
	/* host closes too: both directions shut, RST */
	close(fd);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
}

Test(vsock, guest_rst_closes_host_socket)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);

	td_send(VSOCK_OP_RST, 1234, hp, 0, NULL, 0);
	cr_assert(td_host_eof(fd));
	cr_assert(td_quiet(50), "no answer to an RST");
	close(fd);
}

Test(vsock, host_close_sends_shutdown_then_rst_on_guest_close)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);

	close(fd);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_SHUTDOWN);
	cr_assert_eq(pkt.h.flags, VSOCK_SHUTDOWN_SEND);
	td_send(VSOCK_OP_SHUTDOWN, 1234, hp, VSOCK_SHUTDOWN_BOTH, NULL, 0);
	cr_assert(td_recv_skip_credit(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RST);
}

Test(vsock, request_timeout_closes_client)
{
	int fd = td_host_connect();
	struct td_pkt *p = &pkt;
	uint64_t t0;

	dprintf(fd, "CONNECT 4\n");
	cr_assert(td_recv(p));
	cr_assert_eq(p->h.op, VSOCK_OP_REQUEST);
	/* the guest never answers: client closed, RST to the guest */
	t0 = uv_now(&td.loop);
	while (!td_host_eof(fd))
		cr_assert_lt(uv_now(&td.loop) - t0, 10000);
	cr_assert(td_recv(p));
	cr_assert_eq(p->h.op, VSOCK_OP_RST);
	close(fd);
}

Test(vsock, many_connections_at_once)
{
	enum { N = 48 };
	int fds[N];
	uint32_t hps[N];
	char buf[24], want[24];

	for (int i = 0; i < N; i++)
		fds[i] = td_connect_established(2000 + (uint32_t)i, &hps[i]);
	/* guest -> host on every one, interleaved */
	for (int i = 0; i < N; i++) {
		int n = snprintf(want, sizeof(want), "to-%d", i);

		td_send(VSOCK_OP_RW, 2000 + (uint32_t)i, hps[i], 0, want,
			(uint32_t)n);
	}
	for (int i = 0; i < N; i++) {
		size_t n = (size_t)snprintf(want, sizeof(want), "to-%d", i);

		cr_assert_eq(td_host_read(fds[i], buf, n), n);
		cr_assert_eq(memcmp(buf, want, n), 0);
	}
	/* host -> guest on every one */
	for (int i = 0; i < N; i++) {
		int n = snprintf(want, sizeof(want), "from-%d", i);

		td_host_write(fds[i], want, (size_t)n);
	}
	for (int got = 0; got < N;) {
		int i;

		cr_assert(td_recv_skip_credit(&pkt));
		cr_assert_eq(pkt.h.op, VSOCK_OP_RW);
		i = (int)pkt.h.dst_port - 2000;
		cr_assert(i >= 0 && i < N);
		cr_assert_eq(pkt.h.src_port, hps[i]);
		snprintf(want, sizeof(want), "from-%d", i);
		cr_assert_eq(pkt.h.len, strlen(want));
		cr_assert_eq(memcmp(pkt.data, want, pkt.h.len), 0);
		got++;
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
}

Test(vsock, many_guest_initiated_connections)
{
	enum { N = 32 };
	int lfd = td_host_listen(5002), fds[N];
	char buf[8];

	for (int i = 0; i < N; i++)
		td_send(VSOCK_OP_REQUEST, 50000 + (uint32_t)i, 5002, 0, NULL, 0);
	for (int i = 0; i < N; i++) {
		cr_assert(td_recv(&pkt));
		cr_assert_eq(pkt.h.op, VSOCK_OP_RESPONSE);
		cr_assert_eq(pkt.h.dst_port, 50000 + (uint32_t)i);
		fds[i] = td_host_accept(lfd);
	}
	for (int i = 0; i < N; i++) {
		uint8_t b = (uint8_t)i;

		td_send(VSOCK_OP_RW, 50000 + (uint32_t)i, 5002, 0, &b, 1);
	}
	/* accept order is connect order: fds[i] belongs to port 50000+i */
	for (int i = 0; i < N; i++) {
		cr_assert_eq(td_host_read(fds[i], buf, 1), 1);
		cr_assert_eq((uint8_t)buf[0], (uint8_t)i);
		close(fds[i]);
	}
	close(lfd);
}

Test(vsock, driver_reset_closes_every_connection)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);
	uint32_t zero = 0;

	virtio_mmio_write(td.dev, 0x070, &zero, 4);
	cr_assert(td_host_eof(fd));
	close(fd);
}

Test(vsock, guest_shutdown_rcv_stops_host_to_guest_data)
{
	uint32_t hp;
	int fd = td_connect_established(1234, &hp);
	char buf[2];

	td_send(VSOCK_OP_SHUTDOWN, 1234, hp, VSOCK_SHUTDOWN_RCV, NULL, 0);
	td_host_write(fd, "unwanted", 8);
	cr_assert(td_quiet(100), "data sent to a guest that receives no more");
	/* the other direction still flows */
	td_send(VSOCK_OP_RW, 1234, hp, 0, "ok", 2);
	cr_assert_eq(td_host_read(fd, buf, 2), 2);
	cr_assert_eq(memcmp(buf, "ok", 2), 0);
	close(fd);
}

/* lighter-vmm's teardown with live connections: every host socket closed,
 * the listening socket's file removed, nothing leaked (ASan/valgrind). */
Test(vsock, vmm_teardown_closes_everything)
{
	uint32_t hp;
	int a = td_connect_established(1234, &hp);
	int lfd = td_host_listen(5004), b;
	char c;

	td_send(VSOCK_OP_REQUEST, 40000, 5004, 0, NULL, 0);
	cr_assert(td_recv(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_RESPONSE);
	b = td_host_accept(lfd);
	td_send(VSOCK_OP_RW, 40000, 5004, 0, "x", 1); /* some state in flight */

	td_fini_like_vmm();
	cr_assert_eq(recv(a, &c, 1, 0), 0, "client sees EOF");
	cr_assert_eq(recv(b, &c, 1, 0), 1);
	cr_assert_eq(recv(b, &c, 1, 0), 0, "accepted socket sees EOF");
	cr_assert_neq(access(td.uds, F_OK), 0, "socket file removed");
	close(a);
	close(b);
	close(lfd);
	td_init(); /* for the suite's fini */
}

Test(vsock, connect_line_may_arrive_in_pieces)
{
	int fd = td_host_connect();

	td_host_write(fd, "CONN", 4);
	cr_assert(td_quiet(50));
	td_host_write(fd, "ECT 5", 5);
	cr_assert(td_quiet(50));
	td_host_write(fd, "\r\n", 2);
	cr_assert(td_recv(&pkt));
	cr_assert_eq(pkt.h.op, VSOCK_OP_REQUEST);
	cr_assert_eq(pkt.h.dst_port, 5);
	close(fd);
}
