/* virtio-test.h - the criterion side of the test-side virtio driver
 * (tests/support/virtio-driver.h): its calls with the failures asserted. */
#ifndef LIGHTER_TEST_VIRTIO_TEST_H
#define LIGHTER_TEST_VIRTIO_TEST_H

#include <criterion/criterion.h>

#include "virtio-driver.h"

/* Guest memory the test needs: a host pointer, or the test fails. */
static inline void *vt_gpa(const struct guest_mem *mem, uint64_t a,
			   uint64_t len)
{
	void *p = vd_gpa(mem, a, len);

	cr_assert_not_null(p);
	return p;
}

#endif
