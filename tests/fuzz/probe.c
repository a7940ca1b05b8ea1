/* probe.c - configure-time check that clang can build and link a libFuzzer
 * harness with ASan and UBSan (tests/fuzz/meson.build). */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return 0;
}
