/* protocol.h - the lighter wire protocol between the host tool and the
 * guest agent, one implementation linked by both (meson: protocol_dep for
 * host tools, protocol_agent_dep for the static agent).
 *
 * Framing (protocol-frame.c): a 12-byte little-endian header
 * `u32 length, u16 type, u16 flags, u32 request id` and `length` bytes of
 * body (at most PROTO_MAX_BODY).  Control bodies are JSON objects, DATA
 * and OUTPUT bodies raw bytes.  An incremental reader turns a byte stream
 * into frames; writers build frames from a json_t or from iovecs.
 *
 * Messages (protocol-msg.c, protocol-spec.c, protocol-layer.c): typed
 * structs with to/from JSON functions, each message a table of its fields
 * for one codec (protocol-codec.c).  Decoders validate every field against
 * the limits below and name the field at fault (`SPEC:
 * containers[1].args[0]: not a string`); encoders run the decoder over
 * what they built, so anything an encoder returns is accepted by the
 * peer's decoder.
 *
 * Error contract (include/lighter/error.h): fallible functions return 0 (or
 * a count) or a negative errno and fill the struct lerr; nothing prints.
 * The errno values a malformed frame produces are fixed (PROTOCOL.md,
 * "Errors") and travel in ERROR frames by name ("EINVAL").  From-JSON
 * functions leave their output zeroed on failure; every *_free() accepts a
 * zeroed struct and zeroes what it frees.  Strings in decoded structs are
 * owned copies (malloc), never pointers into the JSON. */
#ifndef LIGHTER_PROTOCOL_H
#define LIGHTER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <jansson.h>

#include <lighter/digest.h>
#include <lighter/error.h>

#define PROTO_VERSION 1
/* The agent listens on this vsock port; the host reaches it through the
 * VMM's hybrid socket with `CONNECT 1024\n`. */
#define PROTO_VSOCK_PORT 1024
/* Exec sessions and stats: any number of connections, each one EXEC (and
 * its stream) or a series of STATS requests; no HELLO (PROTOCOL.md). */
#define PROTO_EXEC_VSOCK_PORT 1025

/* ---- frames ---- */

#define PROTO_HEADER_SIZE 12
#define PROTO_MAX_BODY (1u << 20)
#define PROTO_MAX_FRAME (PROTO_HEADER_SIZE + PROTO_MAX_BODY)

enum proto_type {
	PROTO_HELLO = 1,
	PROTO_ERROR = 2,
	PROTO_OK = 3,
	PROTO_SPEC = 4,
	PROTO_LAYER = 5,
	PROTO_DATA = 6,
	PROTO_LAYER_END = 7,
	PROTO_START = 8,
	PROTO_EVENT = 9,
	PROTO_OUTPUT = 10,
	PROTO_STOP = 11,
	PROTO_POWEROFF = 12,
	PROTO_SIGNAL = 13,
	/* 20-29: group life (PROTOCOL.md "Group life") */
	PROTO_RESTART = 20,
	PROTO_SECRET = 30,
	/* exec and stats (PROTOCOL.md "Exec and stats"): on connections to
	 * PROTO_EXEC_VSOCK_PORT only */
	PROTO_EXEC = 40,
	PROTO_EXEC_INPUT = 41,
	PROTO_EXEC_RESIZE = 42,
	PROTO_EXEC_EXIT = 43,
	PROTO_STATS = 44,
};
#define PROTO_TYPE_MAX PROTO_STATS

/* OUTPUT flags, the only type that has any: exactly one stream bit. */
#define PROTO_OUT_STDOUT 0x1u
#define PROTO_OUT_STDERR 0x2u
#define PROTO_OUT_EOF 0x4u
/* OUTPUT body: u64 LE timestamp (ns), u16 LE container index, the bytes. */
#define PROTO_OUTPUT_PREFIX 10
#define PROTO_OUTPUT_MAX_DATA (PROTO_MAX_BODY - PROTO_OUTPUT_PREFIX)

struct proto_header {
	uint32_t length; /* of the body */
	uint16_t type;
	uint16_t flags;
	uint32_t id; /* request id; 0 on EVENT and OUTPUT */
};

/* A complete frame; body points into the reader's buffer (h.length bytes)
 * and stays valid until the next call on that reader. */
struct proto_frame {
	struct proto_header h;
	const uint8_t *body;
};

/* "HELLO", "LAYER_END", ...; NULL for a type this side does not know. */
const char *proto_type_name(unsigned int type);
/* True when frames of this type carry a JSON object (all but DATA and
 * OUTPUT); false for unknown types too. */
bool proto_type_is_json(unsigned int type);

/* Writes h into out[0..11], little-endian; no validation. */
void proto_header_encode(const struct proto_header *h, uint8_t *out);
/* Reads 12 bytes into h; no validation (a rejected header's id is still
 * there to answer with). */
void proto_header_parse(const uint8_t *in, struct proto_header *h);
/* Validates a header: -EMSGSIZE length over PROTO_MAX_BODY, -EBADRQC
 * unknown type, -EPROTO flags the type does not allow (OUTPUT: exactly
 * one stream bit), -EPROTO a request id the type forbids (0 on a request
 * or reply, non-zero on EVENT or OUTPUT). */
int proto_header_check(const struct proto_header *h, struct lerr *e);
/* parse + check. */
int proto_header_decode(const uint8_t *in, struct proto_header *h,
			struct lerr *e);

/* Parses a JSON-typed frame's body into a new reference in *out:
 * -EBADMSG not JSON (syntax, truncation, duplicate key, \u0000, huge
 * integer), -EILSEQ invalid UTF-8, -EINVAL valid JSON but not an object,
 * -ENOTEMPTY bytes after the object, -EPROTO a frame type without a JSON
 * body.  Nesting is bounded by jansson's parser depth. */
int proto_frame_json(const struct proto_frame *f, json_t **out, struct lerr *e);

/* ---- incremental reader ---- */

/* Buffers at most one maximal frame (PROTO_MAX_FRAME bytes, allocated
 * once).  A malformed header is reported as soon as its 12 bytes are in,
 * before its body; the error is sticky: the caller answers with an ERROR
 * frame (the rejected header's id is in f->h) and closes. */
struct proto_reader {
	uint8_t *buf;
	size_t start; /* first byte not yet handed out as a frame */
	size_t end;   /* end of buffered bytes */
	int error;    /* 0, or the sticky negative errno */
	struct lerr err;
	struct proto_header bad; /* the header that caused error */
};

int proto_reader_init(struct proto_reader *r, struct lerr *e);
void proto_reader_free(struct proto_reader *r);
/* Forgets buffered bytes and any error (keeps the buffer). */
void proto_reader_reset(struct proto_reader *r);
/* Copies up to len bytes in; returns how many it took.  It takes fewer
 * (maybe 0) only when its buffer is full, and then proto_reader_next()
 * has a frame or an error to give: call it and feed the rest.  Takes
 * nothing after an error. */
size_t proto_reader_feed(struct proto_reader *r, const void *data, size_t len);
/* One read(2) from fd into the free space (EINTR retried): the byte count,
 * 0 at end of file, -EAGAIN when a non-blocking fd has nothing, -ENOBUFS
 * when the buffer is full (call proto_reader_next() first), -errno. */
ssize_t proto_reader_fill(struct proto_reader *r, int fd, struct lerr *e);
/* 1 and the next frame in f; 0 when the next frame is incomplete; or the
 * (sticky) negative errno of a malformed header, with f->h holding that
 * header.  Bodies are not parsed here (proto_frame_json()). */
int proto_reader_next(struct proto_reader *r, struct proto_frame *f,
		      struct lerr *e);
/* Bytes buffered and not yet handed out (non-zero at end of file means
 * the peer stopped inside a frame). */
size_t proto_reader_buffered(const struct proto_reader *r);

/* Reads until one frame is complete: 1 and the frame, 0 at end of file
 * between frames, -ECONNRESET at end of file inside a frame, or the
 * reader's and read(2)'s errors.  Waits with poll(2) when fd is
 * non-blocking; frames read past this one stay buffered in r. */
int proto_read_frame(struct proto_reader *r, int fd, struct proto_frame *f,
		     struct lerr *e);

/* ---- writers ---- */

#define PROTO_OUT_MAX_IOV 4 /* body pieces of a raw frame */

/* An outgoing frame as iovecs: the header, then the body.  Raw bodies are
 * the caller's buffers (not copied: keep them alive until written); JSON
 * bodies are a compact dump owned here.  The iovecs point into the struct
 * itself: build it where it will stay until written (no copies). */
struct proto_out {
	uint8_t header[PROTO_HEADER_SIZE];
	uint8_t prefix[PROTO_OUTPUT_PREFIX]; /* OUTPUT frames' prefix */
	struct iovec iov[1 + PROTO_OUT_MAX_IOV];
	int iovcnt; /* iovecs not yet fully written, from iov[first] */
	int first;
	size_t left; /* bytes not yet written */
	char *json;
};

/* A frame of a JSON type from an object (compact dump): -EPROTO for a
 * type without a JSON body or an id the type forbids, -EINVAL when body
 * is not an object, -EMSGSIZE over PROTO_MAX_BODY. */
int proto_out_json(struct proto_out *o, uint16_t type, uint32_t id,
		   const json_t *body, struct lerr *e);
/* A frame from n (<= PROTO_OUT_MAX_IOV) body pieces; the header is
 * validated as the reader would. */
int proto_out_raw(struct proto_out *o, uint16_t type, uint16_t flags,
		  uint32_t id, const struct iovec *body, int n, struct lerr *e);
/* Writes what is left (sendmsg with MSG_NOSIGNAL on sockets, so a gone
 * peer is -EPIPE rather than SIGPIPE; writev on other fds; EINTR retried,
 * short writes resumed): 1 when the whole frame is out, 0 when a
 * non-blocking fd would block (progress is kept in o: call again when
 * writable), -errno. */
int proto_out_write(struct proto_out *o, int fd, struct lerr *e);
/* Frees the JSON dump, if any, and zeroes o. */
void proto_out_free(struct proto_out *o);
/* The frame's bytes in one malloc'd buffer (for tests and queues). */
int proto_out_flatten(const struct proto_out *o, uint8_t **buf, size_t *len,
		      struct lerr *e);

/* Build and write a whole frame, waiting with poll(2) if fd is
 * non-blocking. */
int proto_send_json(int fd, uint16_t type, uint32_t id, const json_t *body,
		    struct lerr *e);
int proto_send_raw(int fd, uint16_t type, uint16_t flags, uint32_t id,
		   const void *body, size_t len, struct lerr *e);

/* ---- messages: limits ---- */

#define PROTO_NAME_MAX 63 /* [a-zA-Z0-9][a-zA-Z0-9_.-]* */
#define PROTO_MAX_CONTAINERS 16
#define PROTO_MAX_ARGS 256
#define PROTO_MAX_ENV 1024
#define PROTO_STRING_MAX 4096 /* bytes of any other string */
#define PROTO_MAX_LAYERS 128
#define PROTO_HOSTNAME_MAX 63
#define PROTO_USER_PART_MAX 32 /* a user or group name */
#define PROTO_MEDIA_TYPE_MAX 255
#define PROTO_ERRNAME_MAX 31
#define PROTO_SIGNAL_MAX 64
#define PROTO_PID_MAX 4194304 /* the kernel's PID_MAX_LIMIT */
#define PROTO_CPU_MILLIS_MAX (1024 * 1000)
#define PROTO_GRACE_MS_MAX (3600 * 1000)
#define PROTO_MAX_VOLUMES 16
#define PROTO_MAX_MOUNTS 16	     /* per container */
#define PROTO_DEVICE_ID_MAX 20	     /* a virtio-blk serial */
#define PROTO_FILE_NAME_MAX 255	     /* a secret's file name */
#define PROTO_SECRET_MAX (256u << 10) /* bytes of one secret file */

/* True for 1-63 chars of [a-zA-Z0-9][a-zA-Z0-9_.-]* (groups, containers). */
bool proto_name_valid(const char *s);
/* True for 1-63 bytes of dot-separated labels of [a-zA-Z0-9-] that neither
 * start nor end with '-'. */
bool proto_hostname_valid(const char *s);
/* True for "USER" or "USER:GROUP", each a decimal id below 2^32-1 or a
 * name of 1-32 chars [a-zA-Z0-9_.-] not starting with '-'. */
bool proto_user_valid(const char *s);

/* "EINVAL" for EINVAL (any errno glibc names), "EIO" for one it does not;
 * the value for a name, 0 when unknown. */
const char *proto_errno_name(int errnum);
int proto_errno_value(const char *name);

/* ---- HELLO (1) ---- */

/* Host to agent: {"version":1,"client":STR,"time_ns":INT}.  A version
 * other than 1 fails with -EPROTONOSUPPORT before anything else. */
struct proto_hello {
	char *client;	 /* 1..PROTO_STRING_MAX bytes */
	int64_t time_ns; /* host wall clock, ns since the epoch, >= 0 */
};
int proto_hello_from_json(const json_t *body, struct proto_hello *out,
			  struct lerr *e);
int proto_hello_to_json(const struct proto_hello *h, json_t **out,
			struct lerr *e);
void proto_hello_free(struct proto_hello *h);

/* Agent's reply: {"version":1,"agent":STR,"kernel":STR}. */
struct proto_hello_reply {
	char *agent;  /* 1..PROTO_STRING_MAX bytes */
	char *kernel; /* 1..PROTO_STRING_MAX bytes */
};
int proto_hello_reply_from_json(const json_t *body,
				struct proto_hello_reply *out, struct lerr *e);
int proto_hello_reply_to_json(const struct proto_hello_reply *h, json_t **out,
			      struct lerr *e);
void proto_hello_reply_free(struct proto_hello_reply *h);

/* ---- ERROR (2) ---- */

struct proto_error {
	char code[PROTO_ERRNAME_MAX + 1]; /* "E" + [A-Z0-9]+ */
	int errnum;    /* proto_errno_value(code): 0 for a name unknown here */
	char *message; /* 0..PROTO_STRING_MAX bytes */
};
int proto_error_from_json(const json_t *body, struct proto_error *out,
			  struct lerr *e);
int proto_error_to_json(const struct proto_error *pe, json_t **out,
			struct lerr *e);
void proto_error_free(struct proto_error *pe);
/* The ERROR body for an lerr: its code's name and its message (newlines
 * become spaces). */
int proto_error_from_lerr(const struct lerr *err, json_t **out, struct lerr *e);

/* ---- bodies that must be {} (LAYER_END, START, POWEROFF) ---- */

int proto_empty_from_json(uint16_t type, const json_t *body, struct lerr *e);

/* ---- SPEC (4) ---- */

enum proto_restart {
	PROTO_RESTART_NEVER,
	PROTO_RESTART_ON_FAILURE,
	PROTO_RESTART_ALWAYS,
};

/* A health probe (group life): every period_ms from delay_ms after the
 * container started, run exec (argv, in the container's namespaces; exit
 * 0 passes) or GET http://127.0.0.1:http_port/http_path (a status of
 * 200-399 passes), failing after timeout_ms; `failures` failures in a row
 * make it fail, `successes` passes in a row make it pass. */
#define PROTO_PROBE_KIND_MAX 15
#define PROTO_PROBE_MS_MAX (3600 * 1000)
#define PROTO_PROBE_COUNT_MAX 1000

struct proto_probe {
	char kind[PROTO_PROBE_KIND_MAX + 1]; /* "liveness" or "readiness" */
	char **exec;			     /* 1..PROTO_MAX_ARGS, or NULL */
	size_t n_exec;
	uint32_t http_port; /* 1..65535 when exec is NULL */
	char *http_path;    /* absolute, NULL: "/" */
	uint32_t delay_ms;  /* 0..PROTO_PROBE_MS_MAX */
	uint32_t period_ms; /* 1..PROTO_PROBE_MS_MAX */
	uint32_t timeout_ms;
	uint32_t failures;  /* 1..PROTO_PROBE_COUNT_MAX */
	uint32_t successes; /* 1..PROTO_PROBE_COUNT_MAX; 1 for liveness */
};

enum proto_volume_type {
	PROTO_VOLUME_EMPTYDIR,
	PROTO_VOLUME_SECRET,
	PROTO_VOLUME_PERSISTENT,
	PROTO_VOLUME_GITREPO,
};

/* A volume of the group (protocol-volume.c).  device only for
 * persistent (required there), layer only for gitrepo (required there),
 * size_bytes only for emptydir and persistent. */
struct proto_volume {
	char name[PROTO_NAME_MAX + 1];
	enum proto_volume_type type;
	uint64_t size_bytes; /* emptydir: the tmpfs' size, 0 = default */
	char device[PROTO_DEVICE_ID_MAX + 1]; /* virtio-blk serial */
	char layer[LDIGEST_STR_LEN]; /* diff_id of the tar sent as a LAYER */
};

/* A volume mounted in a container. */
struct proto_mount {
	char volume[PROTO_NAME_MAX + 1]; /* one of the group's volumes */
	char *path;			 /* absolute, clean, not "/" */
	bool readonly;
};

struct proto_container {
	char name[PROTO_NAME_MAX + 1];
	char **args; /* 1..PROTO_MAX_ARGS, args[0] not empty */
	size_t n_args;
	char **env; /* 0..PROTO_MAX_ENV of "K=V", K not empty */
	size_t n_env;
	char *workdir;	       /* absolute */
	char *user;	       /* proto_user_valid() */
	uint64_t cpu_millis;   /* 0 = unlimited, <= PROTO_CPU_MILLIS_MAX */
	uint64_t memory_bytes; /* 0 = unlimited, <= INT64_MAX */
	uint64_t pids_max;     /* 0 = unlimited, <= PROTO_PID_MAX */
	/* An init container: the inits run one at a time in SPEC order,
	 * each to a zero exit, before any other container starts.  JSON
	 * "init": true; absent means false. */
	bool init;
	/* JSON "probes": [...], at most one of each kind; absent: none.
	 * Inits have none. */
	struct proto_probe probes[2];
	size_t n_probes;
	char **layers;	       /* 1..PROTO_MAX_LAYERS diff_ids, bottom first */
	size_t n_layers;
	struct proto_mount *mounts; /* 0..PROTO_MAX_MOUNTS, paths unique */
	size_t n_mounts;
};

struct proto_group {
	char name[PROTO_NAME_MAX + 1];
	char hostname[PROTO_HOSTNAME_MAX + 1];
	enum proto_restart restart;
	struct proto_container *containers; /* 1..PROTO_MAX_CONTAINERS, */
	size_t n_containers;		    /* names unique */
	struct proto_volume *volumes; /* 0..PROTO_MAX_VOLUMES, names */
	size_t n_volumes;	      /* unique, each mount's volume here */
};

int proto_group_from_json(const json_t *body, struct proto_group *out,
			  struct lerr *e);
int proto_group_to_json(const struct proto_group *g, json_t **out,
			struct lerr *e);
void proto_group_free(struct proto_group *g);
const char *proto_restart_name(enum proto_restart r);
const char *proto_volume_type_name(enum proto_volume_type t);
/* True for an absolute path without empty, '.' or '..' components, not
 * "/", no trailing '/', no control characters. */
bool proto_mount_path_valid(const char *s);

/* ---- LAYER (5), DATA (6), LAYER_END (7) ---- */

struct proto_layer {
	char diff_id[LDIGEST_STR_LEN]; /* ldigest_valid() */
	char *media_type; /* type/subtype, 1..PROTO_MEDIA_TYPE_MAX bytes */
	uint64_t size;	  /* bytes the DATA frames carry, <= INT64_MAX */
};
int proto_layer_from_json(const json_t *body, struct proto_layer *out,
			  struct lerr *e);
int proto_layer_to_json(const struct proto_layer *l, json_t **out,
			struct lerr *e);
void proto_layer_free(struct proto_layer *l);

/* The OK reply to LAYER_END: {"unpack_us":INT,"bytes":INT}. */
struct proto_layer_done {
	uint64_t unpack_us;
	uint64_t bytes;
};
int proto_layer_done_from_json(const json_t *body, struct proto_layer_done *out,
			       struct lerr *e);
int proto_layer_done_to_json(const struct proto_layer_done *d, json_t **out,
			     struct lerr *e);

/* Receiving side of one layer transfer: DATA frames under the LAYER's id
 * adding up to exactly its size, then LAYER_END. */
struct proto_layer_rx {
	uint32_t id;
	uint64_t size;
	uint64_t received;
	char diff_id[LDIGEST_STR_LEN];
};
void proto_layer_rx_begin(struct proto_layer_rx *t, uint32_t id,
			  const struct proto_layer *l);
/* A DATA frame: -EPROTO for another id, -E2BIG past the announced size. */
int proto_layer_rx_data(struct proto_layer_rx *t, const struct proto_header *h,
			struct lerr *e);
/* LAYER_END: -EPROTO for another id, -ENODATA when bytes are missing. */
int proto_layer_rx_end(struct proto_layer_rx *t, const struct proto_header *h,
		       struct lerr *e);

/* ---- START (8) reply ---- */

/* {"containers":[{"name":STR,"pid":INT}...]} */
struct proto_started {
	size_t n;
	struct {
		char name[PROTO_NAME_MAX + 1];
		int64_t pid; /* 1..PROTO_PID_MAX */
	} c[PROTO_MAX_CONTAINERS];
};
int proto_started_from_json(const json_t *body, struct proto_started *out,
			    struct lerr *e);
int proto_started_to_json(const struct proto_started *s, json_t **out,
			  struct lerr *e);

/* ---- EVENT (9) ---- */

enum proto_event_kind {
	PROTO_EVENT_STARTED,
	PROTO_EVENT_EXITED,
	PROTO_EVENT_RESTARTING,
	PROTO_EVENT_GROUP_EXITED,
	/* group life (20-29): the agent kills a container to restart it
	 * in place (RESTART, a failed liveness probe); "reason" says why */
	PROTO_EVENT_KILLING,
	/* a probe attempt failed; "reason" says which and why */
	PROTO_EVENT_UNHEALTHY,
	/* the readiness probe's verdict changed: "ready" */
	PROTO_EVENT_READINESS,
};

/* Which optional fields an event carries (proto_event.has). */
#define PROTO_EV_PID 0x1u
#define PROTO_EV_EXIT_CODE 0x2u
#define PROTO_EV_SIGNAL 0x4u
#define PROTO_EV_OOM_KILLED 0x8u
#define PROTO_EV_RESTART_COUNT 0x10u
#define PROTO_EV_READY 0x20u

struct proto_event {
	enum proto_event_kind kind;
	char container[PROTO_NAME_MAX + 1]; /* "" exactly for group-exited */
	int64_t time_ns;		    /* >= 0 */
	unsigned int has;		    /* PROTO_EV_* */
	int64_t pid;			    /* 1..PROTO_PID_MAX */
	int exit_code;			    /* 0..255 */
	int signal;			    /* 1..PROTO_SIGNAL_MAX */
	bool oom_killed;
	int64_t restart_count; /* >= 0 */
	bool ready;	       /* readiness */
	char *error;	       /* exec failure reason, NULL when absent */
	char *reason;	       /* killing: why, NULL when absent */
};
int proto_event_from_json(const json_t *body, struct proto_event *out,
			  struct lerr *e);
int proto_event_to_json(const struct proto_event *ev, json_t **out,
			struct lerr *e);
void proto_event_free(struct proto_event *ev);
const char *proto_event_kind_name(enum proto_event_kind k);

/* ---- OUTPUT (10) ---- */

struct proto_output {
	uint64_t time_ns;
	uint16_t container;  /* index into SPEC's containers[] */
	uint16_t flags;	     /* PROTO_OUT_*: one stream bit, maybe EOF */
	const uint8_t *data; /* into the frame's body */
	size_t len;
};
/* -EPROTO for another type, bad flags or a non-zero id, -EBADMSG for a
 * body shorter than the prefix, -ERANGE for an index >=
 * PROTO_MAX_CONTAINERS. */
int proto_output_decode(const struct proto_frame *f, struct proto_output *out,
			struct lerr *e);
/* The 10-byte prefix. */
void proto_output_prefix(uint8_t *out, uint64_t time_ns, uint16_t container);
/* An OUTPUT frame: the prefix (kept in o) and data (not copied: it must
 * outlive o); -EMSGSIZE over PROTO_OUTPUT_MAX_DATA, -ERANGE for an index
 * >= PROTO_MAX_CONTAINERS, -EPROTO for bad flags. */
int proto_out_output(struct proto_out *o, uint64_t time_ns, uint16_t container,
		     uint16_t flags, const void *data, size_t len,
		     struct lerr *e);

/* ---- STOP (11), SIGNAL (13) ---- */

struct proto_stop {
	uint32_t grace_ms; /* 0..PROTO_GRACE_MS_MAX */
};
int proto_stop_from_json(const json_t *body, struct proto_stop *out,
			 struct lerr *e);
int proto_stop_to_json(const struct proto_stop *s, json_t **out,
		       struct lerr *e);

struct proto_signal {
	char container[PROTO_NAME_MAX + 1];
	int signal; /* 1..PROTO_SIGNAL_MAX */
};
int proto_signal_from_json(const json_t *body, struct proto_signal *out,
			   struct lerr *e);
int proto_signal_to_json(const struct proto_signal *s, json_t **out,
			 struct lerr *e);

/* ---- RESTART (20) ---- */

/* Host to agent: {"grace_ms":INT}.  Every container that is not an init
 * is restarted in place: SIGTERM, SIGKILL after grace_ms, then started
 * again at once (no back-off), its restart count one higher, whatever
 * the restart policy.  OK once the signals are sent. */
int proto_restart_from_json(const json_t *body, struct proto_stop *out,
			    struct lerr *e);
int proto_restart_to_json(const struct proto_stop *s, json_t **out,
			  struct lerr *e);

/* ---- SECRET (30) ---- */

/* Host to agent, after SPEC and before START: one file of a secret
 * volume, {"volume":NAME,"name":FILE,"mode":INT,"data":BASE64}; OK {}.
 * name is 1..PROTO_FILE_NAME_MAX of [A-Za-z0-9._-], not "." or "..";
 * mode 0..0777; data at most PROTO_SECRET_MAX bytes once decoded.  The
 * bytes are never put in an error message. */
struct proto_secret {
	char volume[PROTO_NAME_MAX + 1];
	char name[PROTO_FILE_NAME_MAX + 1];
	uint32_t mode;
	unsigned char *data; /* decoded; zeroed by proto_secret_free() */
	size_t len;
};
int proto_secret_from_json(const json_t *body, struct proto_secret *out,
			   struct lerr *e);
int proto_secret_to_json(const struct proto_secret *s, json_t **out,
			 struct lerr *e);
void proto_secret_free(struct proto_secret *s);
bool proto_file_name_valid(const char *s);
/* ---- EXEC (40), EXEC_INPUT (41), EXEC_RESIZE (42), EXEC_EXIT (43) ---- */

#define PROTO_WINSIZE_MAX 65535

/* {"container":STR,"args":[STR],"tty":BOOL,"stdin":BOOL,"rows":INT,
 * "cols":INT}: run args in a running container's namespaces and cgroup
 * with its env, user and workdir. */
struct proto_exec {
	char container[PROTO_NAME_MAX + 1];
	char **args; /* 1..PROTO_MAX_ARGS, args[0] not empty */
	size_t n_args;
	bool tty;   /* a pty: stdout and stderr are one stream (stdout) */
	bool stdin; /* EXEC_INPUT frames feed stdin; else /dev/null */
	uint32_t rows, cols; /* the pty's size; 0..PROTO_WINSIZE_MAX */
};
int proto_exec_from_json(const json_t *body, struct proto_exec *out,
			 struct lerr *e);
int proto_exec_to_json(const struct proto_exec *x, json_t **out,
		       struct lerr *e);
void proto_exec_free(struct proto_exec *x);

/* EXEC_RESIZE: {"rows":INT,"cols":INT}, no answer. */
struct proto_exec_resize {
	uint32_t rows, cols; /* 1..PROTO_WINSIZE_MAX */
};
int proto_exec_resize_from_json(const json_t *body,
				struct proto_exec_resize *out, struct lerr *e);
int proto_exec_resize_to_json(const struct proto_exec_resize *r, json_t **out,
			      struct lerr *e);

/* EXEC_EXIT: {"exit_code":INT,"signal":INT?,"error":STR?}.  exit_code is
 * the shell's (128 + signal for a killed process; 126, 127 or 125 with
 * error when the command could not be run). */
#define PROTO_EXIT_SIGNAL 0x1u
struct proto_exec_exit {
	unsigned int has; /* PROTO_EXIT_SIGNAL */
	int exit_code;	  /* 0..255 */
	int signal;	  /* 1..PROTO_SIGNAL_MAX */
	char *error;	  /* NULL when the command ran */
};
int proto_exec_exit_from_json(const json_t *body, struct proto_exec_exit *out,
			      struct lerr *e);
int proto_exec_exit_to_json(const struct proto_exec_exit *x, json_t **out,
			    struct lerr *e);
void proto_exec_exit_free(struct proto_exec_exit *x);

/* ---- STATS (44) ---- */

#define PROTO_MAX_NETIFS 8
#define PROTO_IFNAME_MAX 15

/* The OK reply to STATS (body {}): counters, not rates; the host divides
 * the difference of two replies by the difference of their time_ns. */
struct proto_stats {
	int64_t time_ns; /* agent CLOCK_REALTIME when read */
	size_t n;
	struct proto_ctr_stats {
		char name[PROTO_NAME_MAX + 1];
		bool running;
		int64_t cpu_usec;     /* CPU time of this run (its cgroup) */
		int64_t memory_bytes; /* now */
		int64_t pids;	      /* now */
	} c[PROTO_MAX_CONTAINERS];
	size_t n_net;
	struct proto_net_stats {
		char name[PROTO_IFNAME_MAX + 1];
		int64_t rx_bytes, tx_bytes;
	} net[PROTO_MAX_NETIFS];
};
int proto_stats_from_json(const json_t *body, struct proto_stats *out,
			  struct lerr *e);
int proto_stats_to_json(const struct proto_stats *s, json_t **out,
			struct lerr *e);

#endif
