/* libFuzzer harness: the image loading wrapper. The input is an image file of any format stb_image
 * reads (JPEG, PNG, BMP, GIF, PSD, PIC, PNM, TGA, HDR); load_image_color loads it (patch 0104:
 * Debian's stb_image where installed, compiled into this harness with the sanitizers, stb_impl.c;
 * patch 0515: PNM files cut short), then as a grey image resized to 13x11 as the loaders do. */
#include "fuzz.h"
#include "darknet.h"

static void load(void *path)
{
    image im = load_image_color((char *)path, 0, 0);
    free_image(im);
    im = load_image((char *)path, 13, 11, 1);
    free_image(im);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("in.img", data, size);
    fuzz_guard(load, (void *)fuzz_path("in.img"));
    return 0;
}
