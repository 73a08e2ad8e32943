/* libFuzzer harness: the image loading wrapper. The input is an image file of any format stb_image
 * reads (JPEG, PNG, BMP, GIF, PSD, PIC, PNM, TGA, HDR); load_image_color loads it (patch 0104:
 * Debian's stb_image where installed, compiled into this harness with the sanitizers, stb_impl.c;
 * patch 0515: PNM files cut short), then as a grey image resized to 13x11 as the loaders do.
 *
 * Four bugs of Debian's stb_image 2.27 (libstb-dev 0.0~git20220908), not of Darknet, were found
 * here (now regression inputs in corpus/image/): a JPEG DHT table of more than 256 symbols, a 16-bit
 * PNM loaded with channels added, a PNM header number above INT_MAX, a JPEG scan using a Huffman
 * table never defined (decoded from uninitialised heap memory: an assertion failure only after
 * earlier inputs left the right bytes there). Darknet refuses such files before stb_image reads
 * them since patch 0526 (src/check_image.c). */
#include "fuzz.h"
#include "darknet.h"

#include <stdlib.h>

static void load(void *path)
{
    image im = load_image_color((char *)path, 0, 0);
    free_image(im);
    im = load_image((char *)path, 13, 11, 1);
    free_image(im);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* images up to 1 Mpixel: a few bytes of TGA or PNM can claim tens of megapixels within the
       shipped cap (patch 0523), whose decoding takes seconds under the sanitizers and tells the
       fuzzer nothing new (corpus/image/slow-tga-rle-large.tga) */
    setenv("DARKNET_MAX_IMAGE_PIXELS", "1048576", 0);
    fuzz_write("in.img", data, size);
    fuzz_guard(load, (void *)fuzz_path("in.img"));
    return 0;
}
