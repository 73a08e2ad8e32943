/* Image files refused before Debian's stb_image (2.27) decodes them: the inputs on which the fuzz
 * harness fuzz_image found faults in stb_image itself (tests/fuzz/crashes/image/). Each check reads
 * only the file's header bytes and restores the stream's position. */
#include "check_image.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* the next number of a PNM header (after white space and # comments); -1 when there is none,
   -2 when it does not fit an int */
static long long pnm_number(FILE *fp)
{
    int c = fgetc(fp);
    for(;;){
        while(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') c = fgetc(fp);
        if(c != '#') break;
        while(c != EOF && c != '\n' && c != '\r') c = fgetc(fp);
    }
    if(c < '0' || c > '9') return -1;
    long long v = 0;
    while(c >= '0' && c <= '9'){
        v = 10*v + (c - '0');
        if(v > INT_MAX) return -2;
        c = fgetc(fp);
    }
    if(c != EOF) ungetc(c, fp);     /* "2#..." : the '#' after a number starts a comment */
    return v;
}

static const char *check_pnm(FILE *fp, int kind)
{
    long long w = pnm_number(fp), h = pnm_number(fp), maxval = (kind == '4' || kind == '1') ? 1 : pnm_number(fp);
    if(w == -2 || h == -2 || maxval == -2) return "a PNM header number does not fit an int";
    if(maxval > 255) return "a PNM with more than 8 bits per sample (maxval above 255) is not supported";
    return 0;
}

/* Every DHT segment of the file, also those between the scans of a progressive JPEG: markers are
   found as stb_image finds them (FF, fill bytes FF, a code; FF 00 inside entropy-coded data is a
   stuffed byte and RSTn has no length). */
static const char *check_jpeg(FILE *fp)
{
    int c;
    for(;;){
        do c = fgetc(fp); while(c != EOF && c != 0xFF);
        do c = fgetc(fp); while(c == 0xFF);
        if(c == EOF || c == 0xD9) return 0;                         /* EOI */
        if(c == 0x00 || c == 0x01 || (c >= 0xD0 && c <= 0xD7)) continue;
        int hi = fgetc(fp), lo = fgetc(fp);
        if(hi == EOF || lo == EOF) return 0;
        long len = ((long)hi << 8 | lo) - 2;
        if(len < 0) continue;                                        /* stb_image reports it */
        if(c != 0xC4){                                               /* SOS too: its header */
            if(fseek(fp, len, SEEK_CUR) != 0) return 0;
            continue;
        }
        while(len > 0){                                              /* DHT: one or more tables */
            if(fgetc(fp) == EOF) return 0;
            int i, sum = 0, end = 0;
            for(i = 0; i < 16; ++i){          /* stb_image reads bytes past the end as 0 */
                int n = fgetc(fp);
                if(n == EOF) end = 1;
                else sum += n;
            }
            if(sum > 256) return "a JPEG Huffman table (DHT) of more than 256 codes";
            if(end) return 0;
            if(fseek(fp, sum, SEEK_CUR) != 0) return 0;
            len -= 17 + sum;
        }
    }
}

const char *check_image_stb_faults(FILE *fp)
{
    long at = ftell(fp);
    unsigned char m[2] = {0, 0};
    const char *why = 0;
    if(fread(m, 1, 2, fp) == 2){
        if(m[0] == 'P' && m[1] >= '1' && m[1] <= '6') why = check_pnm(fp, m[1]);
        else if(m[0] == 0xFF){
            int c = m[1];
            while(c == 0xFF) c = fgetc(fp);       /* stb_image takes FF ... FF D8 as the start, too */
            if(c == 0xD8) why = check_jpeg(fp);
        }
    }
    clearerr(fp);
    fseek(fp, at, SEEK_SET);
    return why;
}
