/* fuzz-oci.c - libFuzzer harness for the OCI document parsers
 * (tools/oci-json.c) and the manifest choice in an index
 * (tools/oci-pick.c).
 *
 * Input: byte 0 picks the parser and the media type the "descriptor"
 * promised (low two bits: 0 index, 1 manifest, 2 config, 3 index then
 * both picks; bits 2-3: expect unknown / OCI / Docker / wrong kind), the
 * rest is the JSON document.  Accepted documents must satisfy what the
 * resolver relies on (valid digests, media types of the right kind,
 * bounded counts, linux/amd64 configs, NAME=VALUE env); rejected ones
 * get a one-line message naming the document. */
#include <stdint.h>
#include <string.h>

#include "fuzz-input.h"
#include "oci-image.h"

#define WHAT "doc"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int r, const struct lerr *e)
{
	FUZZ_CHECK(r < 0 && e->code == -r);
	FUZZ_CHECK(strncmp(e->msg, WHAT ": ", strlen(WHAT ": ")) == 0);
	FUZZ_CHECK(memchr(e->msg, '\n', sizeof(e->msg)) == NULL);
}

static void check_desc(const struct oci_desc *d)
{
	FUZZ_CHECK(ldigest_valid(d->digest));
	FUZZ_CHECK(strlen(d->media_type) < OCI_MEDIA_TYPE_MAX);
	FUZZ_CHECK(d->media == oci_media_lookup(d->media_type));
}

static void fuzz_index(const uint8_t *doc, size_t len, enum oci_media expect,
		       int pick)
{
	struct oci_index ix;
	struct lerr e = { 0 };
	int r = oci_index_parse(&ix, doc, len, expect, WHAT, &e);

	if (r < 0) {
		check_error(r, &e);
		oci_index_free(&ix);
		return;
	}
	FUZZ_CHECK(ix.nr_entries <= OCI_INDEX_MAX_ENTRIES);
	for (size_t i = 0; i < ix.nr_entries; i++)
		check_desc(&ix.entries[i].desc);
	if (pick) {
		const char *tag = ix.nr_entries && ix.entries[0].ref_name
					  ? ix.entries[0].ref_name
					  : NULL;

		r = oci_index_pick_tag(&ix, tag, WHAT, &e);
		if (r >= 0) {
			FUZZ_CHECK((size_t)r < ix.nr_entries);
			FUZZ_CHECK(!tag ||
				   !strcmp(ix.entries[r].ref_name, tag));
		} else {
			check_error(r, &e);
		}
		r = oci_index_pick_platform(&ix, WHAT, &e);
		if (r >= 0)
			FUZZ_CHECK((size_t)r < ix.nr_entries);
		else
			check_error(r, &e);
	}
	oci_index_free(&ix);
}

static void fuzz_manifest(const uint8_t *doc, size_t len,
			  enum oci_media expect)
{
	struct oci_manifest m;
	struct lerr e = { 0 };
	int r = oci_manifest_parse(&m, doc, len, expect, WHAT, &e);

	if (r < 0) {
		check_error(r, &e);
		oci_manifest_free(&m);
		return;
	}
	FUZZ_CHECK(oci_media_is_manifest(m.media));
	FUZZ_CHECK(expect == OCI_MEDIA_UNKNOWN || m.media == expect);
	check_desc(&m.config);
	FUZZ_CHECK(oci_media_is_config(m.config.media));
	FUZZ_CHECK(m.nr_layers <= OCI_MAX_LAYERS);
	for (size_t i = 0; i < m.nr_layers; i++) {
		check_desc(&m.layers[i]);
		FUZZ_CHECK(oci_media_is_layer(m.layers[i].media));
	}
	oci_manifest_free(&m);
}

static void fuzz_config(const uint8_t *doc, size_t len)
{
	struct oci_config c;
	struct lerr e = { 0 };
	int r = oci_config_parse(&c, doc, len, WHAT, &e);

	if (r < 0) {
		check_error(r, &e);
		FUZZ_CHECK(!c.env && !c.cmd && !c.diff_ids);
		return;
	}
	FUZZ_CHECK(!strcmp(c.os, "linux") && !strcmp(c.arch, "amd64"));
	FUZZ_CHECK(c.nr_diff_ids <= OCI_MAX_LAYERS);
	for (size_t i = 0; i < c.nr_diff_ids; i++)
		FUZZ_CHECK(ldigest_valid(c.diff_ids[i]));
	for (size_t i = 0; c.env && c.env[i]; i++)
		FUZZ_CHECK(strchr(c.env[i], '=') && c.env[i][0] != '=');
	FUZZ_CHECK(!c.workdir || c.workdir[0]);
	FUZZ_CHECK(!c.user || c.user[0]);
	oci_config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum oci_media expect_index[] = {
		OCI_MEDIA_UNKNOWN, OCI_MEDIA_INDEX, DOCKER_MEDIA_MANIFEST_LIST,
		OCI_MEDIA_MANIFEST,
	};
	static const enum oci_media expect_manifest[] = {
		OCI_MEDIA_UNKNOWN, OCI_MEDIA_MANIFEST, DOCKER_MEDIA_MANIFEST,
		OCI_MEDIA_INDEX,
	};
	struct fuzz_in in = { data, size };
	uint8_t sel = fuzz_u8(&in);
	unsigned int kind = sel & 3, exp = (sel >> 2) & 3;

	switch (kind) {
	case 0:
		fuzz_index(in.p, in.left, expect_index[exp], 0);
		break;
	case 1:
		fuzz_manifest(in.p, in.left, expect_manifest[exp]);
		break;
	case 2:
		fuzz_config(in.p, in.left);
		break;
	default:
		fuzz_index(in.p, in.left, expect_index[exp], 1);
		break;
	}
	return 0;
}
