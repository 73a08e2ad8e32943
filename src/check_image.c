/* Image files refused before Debian's stb_image (2.27) decodes them: the inputs on which the fuzz
 * harness fuzz_image found faults in stb_image itself (now regression inputs in
 * tests/fuzz/corpus/image/). Each check reads only the file's headers and markers, never its pixels,
 * and restores the stream's position. */
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
   stuffed byte and RSTn has no length). Each scan (SOS) must use only Huffman tables defined by a
   DHT before it: stb_image 2.27 does not clear its decoder (one malloc), so a scan naming a table
   the file never defined decodes with whatever an earlier allocation left there, and then fails
   an assertion in stbi__jpeg_huff_decode (an abort), reads outside the tables or decodes garbage,
   depending on what ran before (stb_image 2.28 clears it). A baseline scan (SOF0, SOF1) uses the DC
   and AC tables of each of its components; a progressive one (SOF2) the DC tables in a first DC
   scan (Ss = 0, Ah = 0), none in a DC refinement, the AC tables in an AC scan (Ss > 0): valid
   progressive files name AC tables in their DC scans before defining them. The same holds for
   quantisation tables: each component of a scan must have its table (Tq of the frame header)
   defined by a DQT before the scan, or stb_image dequantises with uninitialised memory (UBSan:
   signed overflow in `dc * dequant[0]` in stbi__jpeg_decode_block, image fuzzing 2026-12-05). */
static const char *check_jpeg(FILE *fp)
{
    int c, defined[2][4] = {{0}}, frame = 0, progressive = 0;
    int qdefined[4] = {0}, ncomp = 0, comp_id[4], comp_tq[4];
    for(;;){
        do c = fgetc(fp); while(c != EOF && c != 0xFF);
        do c = fgetc(fp); while(c == 0xFF);
        if(c == EOF || c == 0xD9) return 0;                         /* EOI */
        if(c == 0x00 || c == 0x01 || (c >= 0xD0 && c <= 0xD7)) continue;
        int hi = fgetc(fp), lo = fgetc(fp);
        if(hi == EOF || lo == EOF) return 0;
        long len = ((long)hi << 8 | lo) - 2;
        if(len < 0) continue;                                        /* stb_image reports it */
        if(c == 0xC0 || c == 0xC1 || c == 0xC2){                     /* the frames stb_image reads */
            if(!frame) progressive = c == 0xC2;
            frame = 1;
            if(len >= 6){                                            /* P, Y, X, Nf, then 3 bytes a component */
                int i, b[6];
                for(i = 0; i < 6; ++i) b[i] = fgetc(fp);
                if(b[5] == EOF) return 0;
                len -= 6;
                ncomp = 0;
                for(i = 0; i < b[5] && len >= 3; ++i, len -= 3){
                    int id = fgetc(fp), hv = fgetc(fp), tq = fgetc(fp);
                    (void)hv;
                    if(tq == EOF) return 0;
                    if(ncomp < 4){
                        comp_id[ncomp] = id;
                        comp_tq[ncomp] = tq;
                        ++ncomp;
                    }
                }
            }
        }
        if(c == 0xDB){                                               /* DQT: one or more tables */
            while(len > 0){
                int pqtq = fgetc(fp);
                if(pqtq == EOF) return 0;
                int size = (pqtq >> 4) == 0 ? 64 : 128;              /* Pq above 1: stb_image refuses */
                if((pqtq >> 4) <= 1 && (pqtq & 15) <= 3) qdefined[pqtq & 15] = 1;
                if(fseek(fp, size, SEEK_CUR) != 0) return 0;
                len -= 1 + size;
            }
            continue;
        }
        if(c == 0xDA && frame && len >= 1){                          /* SOS */
            int ns = fgetc(fp), i, td[4], ta[4], cid[4];
            if(ns == EOF) return 0;
            --len;
            if(ns >= 1 && ns <= 4 && len == 2*ns + 3){               /* else stb_image refuses it */
                for(i = 0; i < ns; ++i){                             /* past the end: 0, as stb_image reads */
                    cid[i] = fgetc(fp);                              /* the component */
                    int q = fgetc(fp);
                    if(q == EOF) q = 0;
                    td[i] = q >> 4;
                    ta[i] = q & 15;
                }
                int ss = fgetc(fp);
                fgetc(fp);                                           /* Se */
                int a = fgetc(fp);
                if(ss == EOF) ss = 0;
                if(a == EOF) a = 0;
                int dc = !progressive || (ss == 0 && (a >> 4) == 0), ac = !progressive || ss != 0;
                for(i = 0; i < ns; ++i){                             /* numbers above 3: stb_image refuses */
                    if((dc && td[i] <= 3 && !defined[0][td[i]]) || (ac && ta[i] <= 3 && !defined[1][ta[i]]))
                        return "a JPEG scan uses a Huffman table (DHT) that the file does not define before it";
                    int k;
                    for(k = 0; k < ncomp && comp_id[k] != cid[i]; ++k) {}
                    if(k < ncomp && comp_tq[k] <= 3 && !qdefined[comp_tq[k]])   /* else stb_image refuses */
                        return "a JPEG scan uses a quantisation table (DQT) that the file does not define before it";
                }
                continue;
            }
        }
        if(c != 0xC4){                                               /* SOS too: its header */
            if(fseek(fp, len, SEEK_CUR) != 0) return 0;
            continue;
        }
        while(len > 0){                                              /* DHT: one or more tables */
            int tcth = fgetc(fp);
            if(tcth == EOF) return 0;
            int i, sum = 0, end = 0;
            for(i = 0; i < 16; ++i){          /* stb_image reads bytes past the end as 0 */
                int n = fgetc(fp);
                if(n == EOF) end = 1;
                else sum += n;
            }
            if(sum > 256) return "a JPEG Huffman table (DHT) of more than 256 codes";
            if(end) return 0;
            if((tcth >> 4) <= 1 && (tcth & 15) <= 3) defined[tcth >> 4][tcth & 15] = 1;
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
