/* net-probe.c - both ends of the virtio-net end-to-end test and benchmark,
 * in one static program.
 *
 * In the guest (run by lighter-agent, no arguments): configures eth0 as
 * 10.0.2.2/24 and lo (ioctl), pings the host at 10.0.2.1 with a raw ICMP
 * socket, then serves TCP on net_port= (kernel command line, default 5001)
 * until the host says quit:
 *   "R <bytes> <seed>\n"  guest sends <bytes> of the seed's stream, then
 *                         its 8-byte checksum
 *   "W <bytes> <seed>\n"  guest receives <bytes>, checks them against the
 *                         seed's stream, answers "OK <checksum>\n" or "BAD"
 *   "Q\n"                 guest exits 0 (the agent powers the VM off)
 *
 * On the host (inside the test host):
 *   net-probe --client ADDR PORT MIB [ROUNDS]
 * connects (retrying while the guest boots), runs ROUNDS (default 1) of
 * guest->host and host->guest transfers of MIB MiB each, verifies both
 * checksums, prints one line per transfer with its Mbit/s, and says quit.
 * `net-probe --serve PORT` runs the guest's server alone (for checking
 * the probe on any machine).
 *
 * Addresses are fixed private test addresses inside the test host's own
 * network namespace; nothing is routed anywhere else. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "probe-io.h"

#define GUEST_ADDR "10.0.2.2"
#define HOST_ADDR "10.0.2.1"
#define NETMASK "255.255.255.0"
#define CHUNK (256 * 1024)

static uint8_t buf[CHUNK], ref[CHUNK];

/* ---- the data stream and its checksum ---------------------------- */

struct stream {
	uint64_t x;   /* xorshift64 state */
	uint64_t sum; /* running checksum of everything produced/consumed */
};

static void stream_init(struct stream *s, uint32_t seed)
{
	s->x = 0x9e3779b97f4a7c15ULL ^ seed;
	s->sum = 0xcbf29ce484222325ULL;
}

/* Fill len bytes (a multiple of 8) with the next part of the stream. */
static void stream_fill(struct stream *s, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		s->x ^= s->x << 13;
		s->x ^= s->x >> 7;
		s->x ^= s->x << 17;
		memcpy(p + i, &s->x, 8);
	}
}

static void sum_add(uint64_t *sum, const uint8_t *p, size_t len)
{
	uint64_t h = *sum, w;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	*sum = h;
}

/* Send `bytes` of the seed's stream (multiples of 8), return its sum. */
static int send_stream(int fd, uint64_t bytes, uint32_t seed, uint64_t *sum)
{
	struct stream s;

	stream_init(&s, seed);
	while (bytes) {
		size_t n = bytes < CHUNK ? (size_t)bytes : CHUNK;

		stream_fill(&s, buf, n);
		sum_add(&s.sum, buf, n);
		if (write_all(fd, buf, n) < 0)
			return -1;
		bytes -= n;
	}
	*sum = s.sum;
	return 0;
}

/* Receive `bytes`, compare with the seed's stream; 0 if all equal. */
static int recv_stream(int fd, uint64_t bytes, uint32_t seed, uint64_t *sum)
{
	struct stream s;
	int bad = 0;

	stream_init(&s, seed);
	while (bytes) {
		size_t n = bytes < CHUNK ? (size_t)bytes : CHUNK;

		if (read_all(fd, buf, n) < 0)
			return -1;
		stream_fill(&s, ref, n);
		sum_add(&s.sum, buf, n);
		if (memcmp(buf, ref, n) != 0)
			bad = 1;
		bytes -= n;
	}
	*sum = s.sum;
	return bad ? -2 : 0;
}

/* ---- guest side ---------------------------------------------------- */

static int cmdline_int(const char *key, int def)
{
	char line[4096], *p;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return def;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return def;
	}
	fclose(f);
	for (p = strtok(line, " \n"); p; p = strtok(NULL, " \n")) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			return atoi(p + klen + 1);
	}
	return def;
}

static int set_addr(int s, const char *ifname, unsigned long req,
		    const char *addr)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	return ioctl(s, req, &ifr);
}

static int link_up(int s, const char *ifname)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int configure_eth0(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = -1;

	if (s < 0)
		return -1;
	if (link_up(s, "lo") == 0 &&
	    set_addr(s, "eth0", SIOCSIFADDR, GUEST_ADDR) == 0 &&
	    set_addr(s, "eth0", SIOCSIFNETMASK, NETMASK) == 0 &&
	    link_up(s, "eth0") == 0)
		r = 0;
	else
		printf("net-probe: FAIL configuring eth0: %s\n", strerror(errno));
	close(s);
	return r;
}

static uint16_t inet_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Echo request to the host until a reply comes (ARP needs the first). */
static int ping_host(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (s < 0) {
		printf("net-probe: FAIL raw ICMP socket: %s\n", strerror(errno));
		return -1;
	}
	inet_pton(AF_INET, HOST_ADDR, &to.sin_addr);
	for (uint16_t seq = 1; seq <= 30; seq++) {
		uint8_t pkt[64] = { 0 }, in[1500];
		struct icmphdr *ic = (struct icmphdr *)pkt;
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		double t0 = now_s();

		ic->type = ICMP_ECHO;
		ic->un.echo.id = htons(0x4c47);
		ic->un.echo.sequence = htons(seq);
		memcpy(pkt + sizeof(*ic), "lighter-net-probe", 17);
		ic->checksum = inet_csum(pkt, sizeof(pkt));
		sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
		       sizeof(to));
		while (poll(&pfd, 1, 1000) == 1) {
			ssize_t n = recv(s, in, sizeof(in), 0);
			struct iphdr *ip = (struct iphdr *)in;
			struct icmphdr *rep;

			if (n < (ssize_t)sizeof(*ip))
				continue;
			if (n < (ssize_t)(ip->ihl * 4 + sizeof(*rep)))
				continue;
			rep = (struct icmphdr *)(in + ip->ihl * 4);
			if (rep->type == ICMP_ECHOREPLY &&
			    rep->un.echo.id == htons(0x4c47) &&
			    rep->un.echo.sequence == htons(seq)) {
				printf("net-probe: ping %s ok: seq %u, %.1f ms\n",
				       HOST_ADDR, seq, (now_s() - t0) * 1e3);
				close(s);
				return 0;
			}
		}
	}
	close(s);
	printf("net-probe: FAIL no echo reply from %s\n", HOST_ADDR);
	return -1;
}

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	struct pollfd pfd;

	int ls, c, one = 1;

	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 1) < 0) {
		printf("net-probe: FAIL listen on %d: %s\n", port,
		       strerror(errno));
		return -1;
	}
	printf("net-probe: serving on %s:%d\n", GUEST_ADDR, port);
	fflush(stdout);
	pfd = (struct pollfd){ .fd = ls, .events = POLLIN };
	/* the host connects as soon as we answer; don't hang the VM forever */
	if (poll(&pfd, 1, 600 * 1000) != 1) {
		printf("net-probe: FAIL nobody connected\n");
		return -1;
	}
	c = accept(ls, NULL, NULL);
	close(ls);
	if (c < 0)
		return -1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		char line[128], reply[64];
		unsigned long long bytes;
		unsigned int seed;
		uint64_t sum;
		char op;
		int r;

		if (read_line(c, line, sizeof(line)) < 0) {
			printf("net-probe: FAIL host went away\n");
			return -1;
		}
		if (line[0] == 'Q')
			break;
		if (sscanf(line, "%c %llu %u", &op, &bytes, &seed) != 3 ||
		    (bytes & 7)) {
			printf("net-probe: FAIL bad command \"%s\"\n", line);
			return -1;
		}
		if (op == 'R') {
			if (send_stream(c, bytes, seed, &sum) < 0 ||
			    write_all(c, &sum, 8) < 0)
				return -1;
			printf("net-probe: sent %llu bytes\n", bytes);
		} else {
			r = recv_stream(c, bytes, seed, &sum);
			if (r == -1)
				return -1;
			snprintf(reply, sizeof(reply), r ? "BAD\n" : "OK %016llx\n",
				 (unsigned long long)sum);
			if (write_all(c, reply, strlen(reply)) < 0)
				return -1;
			printf("net-probe: received %llu bytes: %s", bytes,
			       r ? "MISMATCH\n" : "intact\n");
			if (r)
				return -1;
		}
		fflush(stdout);
	}
	close(c);
	return 0;
}

static int guest_main(void)
{
	int port = cmdline_int("net_port", 5001);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (configure_eth0() < 0 || ping_host() < 0 || serve(port) < 0)
		return 1;
	printf("net-probe: ok\n");
	return 0;
}

/* ---- host side ----------------------------------------------------- */

static int connect_retry(const char *addr, int port, int timeout_s)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	double until = now_s() + timeout_s;
	int one = 1;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return -1;
	while (now_s() < until) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			/* a stalled transfer must fail the test in a minute,
			 * not wait out TCP's retransmission timeout */
			struct timeval stall = { .tv_sec = 60 };

			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &stall,
				   sizeof(stall));
			setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &stall,
				   sizeof(stall));
			return s;
		}
		if (s >= 0)
			close(s);
		usleep(250 * 1000);
	}
	return -1;
}

static double mbit(uint64_t bytes, double secs)
{
	return (double)bytes * 8 / 1e6 / secs;
}

static int client_main(const char *addr, int port, unsigned int mib,
		       unsigned int rounds)
{
	uint64_t bytes = (uint64_t)mib << 20, sum, theirs;
	char line[128];
	int s = connect_retry(addr, port, 300), r;
	double t0, dt;

	if (s < 0) {
		printf("net-probe: FAIL cannot connect to %s:%d\n", addr, port);
		return 1;
	}
	for (unsigned int i = 0; i < rounds; i++) {
		uint32_t seed = 1000 + i;

		/* guest -> host */
		snprintf(line, sizeof(line), "R %llu %u\n",
			 (unsigned long long)bytes, seed);
		t0 = now_s();
		if (write_all(s, line, strlen(line)) < 0)
			return 1;
		r = recv_stream(s, bytes, seed, &sum);
		dt = now_s() - t0;
		if (r == -1 || read_all(s, &theirs, 8) < 0) {
			printf("net-probe: FAIL guest->host transfer broke\n");
			return 1;
		}
		if (r || theirs != sum) {
			printf("net-probe: FAIL guest->host data differ (checksum %016llx vs %016llx)\n",
			       (unsigned long long)sum,
			       (unsigned long long)theirs);
			return 1;
		}
		printf("net-probe: guest->host %u MiB in %.3f s: %.1f Mbit/s, checksum %016llx ok\n",
		       mib, dt, mbit(bytes, dt), (unsigned long long)sum);

		/* host -> guest */
		snprintf(line, sizeof(line), "W %llu %u\n",
			 (unsigned long long)bytes, seed + 500);
		t0 = now_s();
		if (write_all(s, line, strlen(line)) < 0 ||
		    send_stream(s, bytes, seed + 500, &sum) < 0 ||
		    read_line(s, line, sizeof(line)) < 0) {
			printf("net-probe: FAIL host->guest transfer broke\n");
			return 1;
		}
		dt = now_s() - t0;
		if (strncmp(line, "OK ", 3) != 0 ||
		    strtoull(line + 3, NULL, 16) != sum) {
			printf("net-probe: FAIL host->guest: guest says \"%s\" (checksum %016llx)\n",
			       line, (unsigned long long)sum);
			return 1;
		}
		printf("net-probe: host->guest %u MiB in %.3f s: %.1f Mbit/s, checksum %016llx ok\n",
		       mib, dt, mbit(bytes, dt), (unsigned long long)sum);
		fflush(stdout);
	}
	write_all(s, "Q\n", 2);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "--client") == 0)
		return client_main(argv[2], atoi(argv[3]),
				   (unsigned int)atoi(argv[4]),
				   argc > 5 ? (unsigned int)atoi(argv[5]) : 1);
	/* the server alone, on any address: for checking the probe itself */
	if (argc == 3 && strcmp(argv[1], "--serve") == 0)
		return serve(atoi(argv[2])) < 0;
	if (argc > 1) {
		fprintf(stderr,
			"usage: net-probe (in the guest, no arguments)\n"
			"       net-probe --client ADDR PORT MIB [ROUNDS]\n"
			"       net-probe --serve PORT\n");
		return 2;
	}
	return guest_main();
}
