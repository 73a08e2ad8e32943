/* libFuzzer harness: the image loading wrapper. The input is an image file of any format stb_image
 * reads (JPEG, PNG, BMP, GIF, PSD, PIC, PNM, TGA, HDR); load_image_color loads it (patch 0104:
 * Debian's stb_image where installed, compiled into this harness with the sanitizers, stb_impl.c;
 * patch 0515: PNM files cut short), then as a grey image resized to 13x11 as the loaders do.
 *
 * Three bugs of Debian's stb_image 2.27 (libstb-dev 0.0~git20220908), not of Darknet, end a run within
 * seconds and would hide everything else; until Darknet refuses these files before stb_image sees
 * them (README.md, "Known crashes"), such inputs are skipped here, unless TTQ_FUZZ_KNOWN=1 is set
 * (to reproduce them: crashes/image/):
 *  - a JPEG DHT segment whose 16 code-length counts add up to more than 256 symbols:
 *    stbi__build_huffman and stbi__process_dht write past size[257] and values[256];
 *  - a 16-bit binary PNM (P5/P6 with maxval above 255) loaded with another number of channels: the
 *    pixels converted to 8 bits are read as 16-bit values (heap overflow in stbi__convert_16_to_8);
 *  - (a third, UB only) a PNM header number above INT_MAX: signed overflow in stbi__pnm_getinteger. */
#include "fuzz.h"
#include "darknet.h"

#include <limits.h>
#include <stdlib.h>

static void load(void *path)
{
    image im = load_image_color((char *)path, 0, 0);
    free_image(im);
    im = load_image((char *)path, 13, 11, 1);
    free_image(im);
}

/* 1 when a "FF C4" marker anywhere in the input starts a DHT segment with a table of more than 256
 * symbols (over-approximate: also inside entropy-coded data, where stb_image would not look). */
static int jpeg_dht_too_large(const uint8_t *d, size_t size)
{
    size_t i;
    for(i = 0; i + 4 <= size; ++i){
        if(d[i] != 0xFF || d[i+1] != 0xC4) continue;
        size_t end = i + 2 + ((size_t)d[i+2] << 8 | d[i+3]);
        size_t p = i + 4;
        while(p < end && p < size){
            int k, n = 0;
            ++p;                                            /* table class and id */
            for(k = 0; k < 16; ++k) n += p + k < size ? d[p + k] : 0;
            if(n > 256) return 1;
            p += 16 + n;
        }
    }
    return 0;
}

/* 1 for a binary PGM/PPM header with a maxval above 255 (stb_image's 16-bit PNM path) or a number
 * above INT_MAX (stbi__pnm_getinteger overflows int). */
static int pnm_known_bug(const uint8_t *d, size_t size)
{
    size_t p = 2;
    long v = 0;
    int i;
    if(size < 2 || d[0] != 'P' || (d[1] != '5' && d[1] != '6')) return 0;
    for(i = 0; i < 3; ++i){                                 /* width, height, maxval */
        for(;;){
            while(p < size && (d[p] == ' ' || (d[p] >= '\t' && d[p] <= '\r'))) ++p;
            if(p >= size || d[p] != '#') break;
            while(p < size && d[p] != '\n' && d[p] != '\r') ++p;
        }
        for(v = 0; p < size && d[p] >= '0' && d[p] <= '9'; ++p){
            v = 10*v + (d[p] - '0');
            if(v > INT_MAX) return 1;
        }
    }
    return v > 255;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int known = -1;
    if(known < 0) known = getenv("TTQ_FUZZ_KNOWN") && atoi(getenv("TTQ_FUZZ_KNOWN")) == 1;
    if(!known && (jpeg_dht_too_large(data, size) || pnm_known_bug(data, size))) return 0;
    fuzz_write("in.img", data, size);
    fuzz_guard(load, (void *)fuzz_path("in.img"));
    return 0;
}
