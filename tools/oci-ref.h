/* oci-ref.h - image references by transport prefix, skopeo's convention:
 * `oci:DIR[:TAG]` (an OCI image layout directory) and
 * `oci-archive:FILE[:TAG]` (a tar of one).  The tag is what follows the
 * last ':' after the last '/', so a directory may contain ':' only when a
 * tag follows; it is matched against the index's
 * org.opencontainers.image.ref.name annotations. */
#ifndef LIGHTER_TOOLS_OCI_REF_H
#define LIGHTER_TOOLS_OCI_REF_H

#include <lighter/error.h>

#define OCI_TAG_MAX 128

enum oci_transport {
	OCI_TRANSPORT_LAYOUT,  /* oci: */
	OCI_TRANSPORT_ARCHIVE, /* oci-archive: */
};

struct oci_ref {
	enum oci_transport transport;
	char *path; /* DIR or FILE, never empty */
	char *tag;  /* NULL when none was given */
};

/* Parse s.  Returns 0, or -EINVAL with e saying '"S": why' (unknown
 * transport, empty path, a tag that is not [A-Za-z0-9_][A-Za-z0-9_.-]*
 * of at most 128 characters), or -ENOMEM.  r is zeroed first and safe to
 * free in every case. */
int oci_ref_parse(struct oci_ref *r, const char *s, struct lerr *e);

/* Make a relative path relative to dir instead (a spec file's images are
 * found next to it).  Absolute paths and dir "." are left alone. */
int oci_ref_rebase(struct oci_ref *r, const char *dir, struct lerr *e);

/* The reference as text ("oci:PATH:TAG"), malloc'd, or NULL. */
char *oci_ref_format(const struct oci_ref *r);

/* A deep copy; -ENOMEM leaves dst zeroed. */
int oci_ref_copy(struct oci_ref *dst, const struct oci_ref *src);

void oci_ref_free(struct oci_ref *r);

#endif
