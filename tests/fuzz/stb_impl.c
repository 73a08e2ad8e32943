/* Debian's stb_image (libstb-dev), compiled here with the sanitizers and the fuzzer's coverage in
 * place of -lstb, for the fuzz build of Darknet with SYSTEM_STB=1 (patch 0104): the image harness
 * then fuzzes the decoder the shipped build uses, instrumented. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
