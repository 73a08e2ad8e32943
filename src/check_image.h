/* Image files that Debian's stb_image 2.27 mishandles, refused before it reads them (patch 0526). */
#ifndef CHECK_IMAGE_H
#define CHECK_IMAGE_H

#include <stdio.h>

/* The reason fp's image must not reach stb_image, or 0 when it may: a PNM header number above
 * INT_MAX (a signed overflow in stb_image), a PNM of 16 bits per sample (a heap overflow in its
 * 16-to-8-bit conversion when channels are added), a JPEG Huffman table of more than 256 codes (a
 * write past the decoder's tables), a JPEG scan using a Huffman table the file has not defined (the
 * decoder's uninitialised memory: an assertion, an abort, depending on earlier allocations). Reads
 * the file's markers only; the stream's position is kept. */
const char *check_image_stb_faults(FILE *fp);

#endif
