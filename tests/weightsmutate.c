/* Writes a mutated copy of a Darknet .weights file, for t_weights_fuzz: 1 to 3 random edits, chosen
 * by the seed alone (the same seed gives the same file on every machine). An edit truncates the
 * file, appends, inserts or deletes bytes, copies a chunk over another place, flips one bit, sets
 * a header field (major, minor, revision, seen) or a float to an awkward value (NaN, Inf, negative,
 * zero, denormal, huge), or edits a [ternary] record's trailer (tag, version, number of scales,
 * Wp, Wn), found by its tag, or a packed [ternary] record (`ternary pack`: tag, version, number of
 * scales, number of weights, Wp, Wn, a code byte), found by its tag at any byte offset.
 *
 *   weightsmutate <in.weights> <out.weights> <seed>
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG 0x7FC05154u     /* the [ternary] trailer's tag: src/ternary_layer.h */
#define PTAG 0x7FC0504Bu    /* the packed [ternary] record's tag */
#define HEADER 20           /* int32 major, minor, revision; 64-bit seen */

static unsigned long long rng;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (unsigned)(rng % (unsigned long long)n);
}
#define PICK(a) (a[rnd((unsigned)(sizeof a/sizeof *a))])

static unsigned char *buf;
static size_t size, cap;

static void reserve(size_t n)
{
    if(n <= cap) return;
    cap = 2*n;
    buf = realloc(buf, cap);
    if(!buf){ fprintf(stderr, "weightsmutate: out of memory\n"); exit(1); }
}

static void put32(size_t at, uint32_t v)
{
    if(at + 4 <= size) memcpy(buf + at, &v, 4);
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static uint32_t awkward_float(void)
{
    static const uint32_t special[] = {0x7FC00000u, 0x7F800000u, 0xFF800000u, 0x80000000u, 0x00000001u, TAG};
    switch(rnd(4)){
    case 0: return PICK(special);
    case 1: { static const float v[] = {-1.f, 0.f, -1e-7f, 1e-7f, 3e38f, -3e38f, 1e6f, -0.5f}; return fbits(PICK(v)); }
    case 2: return (uint32_t)rnd(0xFFFFu) << 16 | rnd(0xFFFFu);
    default: return fbits((float)rnd(2000)/1000.f - 1.f);
    }
}

static int32_t awkward_int(void)
{
    static const int32_t v[] = {-1, 0, 1, 2, 3, 999, 1000, 1001, 5000, INT_MAX, INT_MIN, 0x7FC05154};
    return PICK(v);
}

/* Byte offsets of the [ternary] trailers' tags (4-aligned: every record is a run of 4-byte fields
 * after the 20-byte header). */
static size_t tags[4096];
static int ntags;
static void find_tags(void)
{
    size_t at;
    ntags = 0;
    for(at = HEADER; at + 4 <= size && ntags < 4096; at += 4){
        uint32_t u;
        memcpy(&u, buf + at, 4);
        if(u == TAG) tags[ntags++] = at;
    }
}

/* Byte offsets of packed records' tags: after a record's codes nothing is 4-aligned any more. */
static size_t ptags[4096];
static int nptags;
static void find_ptags(void)
{
    size_t at;
    nptags = 0;
    for(at = HEADER; at + 4 <= size && nptags < 4096; ++at){
        uint32_t u;
        memcpy(&u, buf + at, 4);
        if(u == PTAG) ptags[nptags++] = at;
    }
}

static void edit(void)
{
    unsigned kind = rnd(12);
    size_t at = size ? rnd((unsigned)size) : 0;
    size_t n = 1 + rnd(16), i;
    switch(kind){
    case 0:                                     /* truncate anywhere */
        size = at;
        break;
    case 1:                                     /* truncate at a field boundary */
        size = size >= HEADER + 4 ? HEADER + 4*rnd((unsigned)(size - HEADER)/4) : at;
        break;
    case 2:                                     /* append */
        n = 1 + rnd(64);
        reserve(size + n);
        for(i = 0; i < n; ++i) buf[size + i] = (unsigned char)rnd(256);
        size += n;
        break;
    case 3:                                     /* insert */
        reserve(size + n);
        memmove(buf + at + n, buf + at, size - at);
        for(i = 0; i < n; ++i) buf[at + i] = (unsigned char)rnd(256);
        size += n;
        break;
    case 4:                                     /* delete */
        if(at + n > size) n = size - at;
        memmove(buf + at, buf + at + n, size - at - n);
        size -= n;
        break;
    case 5:                                     /* copy a chunk over another place */
        n = 4 + 4*rnd(64);
        if(size > n){
            size_t from = rnd((unsigned)(size - n)), to = rnd((unsigned)(size - n));
            memmove(buf + to, buf + from, n);
        }
        break;
    case 6:                                     /* flip one bit */
        if(size) buf[at] ^= (unsigned char)(1u << rnd(8));
        break;
    case 7:                                     /* a header field */
        if(rnd(4) < 3){
            put32(4*rnd(3), (uint32_t)awkward_int());
        } else if(size >= HEADER){
            uint64_t seen = rnd(2) ? (uint64_t)rnd(1u << 30)*rnd(1u << 30) : ~(uint64_t)rnd(16);
            memcpy(buf + 12, &seen, 8);
        }
        break;
    case 8: case 9:                             /* a float in a record */
        if(size >= HEADER + 4) put32(HEADER + 4*rnd((unsigned)(size - HEADER)/4), awkward_float());
        break;
    default:                                    /* a [ternary] trailer: tag, version, k, Wp, Wn */
        find_ptags();
        if(nptags && rnd(2)){                   /* or a packed record: tag, version, k, N, Wp, Wn, codes */
            size_t t = ptags[rnd((unsigned)nptags)];
            unsigned field = rnd(7);
            if(field == 0) put32(t, fbits(0.f));
            else if(field < 4) put32(t + 4*field, (uint32_t)awkward_int());
            else if(field < 6) put32(t + 4*field, awkward_float());
            else if(t + 24 < size) buf[t + 24 + rnd((unsigned)(size - t - 24))] = (unsigned char)(243 + rnd(13));
            break;
        }
        find_tags();
        if(ntags){
            size_t t = tags[rnd((unsigned)ntags)];
            unsigned field = rnd(5);
            if(field == 0) put32(t, fbits(0.f));
            else if(field < 3) put32(t + 4*field, (uint32_t)awkward_int());
            else put32(t + 4*field, awkward_float());
        }
        break;
    }
}

int main(int argc, char **argv)
{
    if(argc != 4){
        fprintf(stderr, "usage: weightsmutate <in.weights> <out.weights> <seed>\n");
        return 2;
    }
    rng = strtoull(argv[3], 0, 10)*0x9E3779B97F4A7C15ull + 7;
    FILE *in = fopen(argv[1], "rb");
    if(!in){ fprintf(stderr, "weightsmutate: %s: %s\n", argv[1], strerror(errno)); return 1; }
    size_t got;
    reserve(1 << 16);
    while((got = fread(buf + size, 1, cap - size, in)) > 0){
        size += got;
        reserve(size + 1);
    }
    fclose(in);
    int edits = 1 + (int)rnd(3), e;
    for(e = 0; e < edits; ++e) edit();
    FILE *out = fopen(argv[2], "wb");
    if(!out){ fprintf(stderr, "weightsmutate: %s: %s\n", argv[2], strerror(errno)); return 1; }
    if(size && fwrite(buf, 1, size, out) != size){ fprintf(stderr, "weightsmutate: %s: %s\n", argv[2], strerror(errno)); return 1; }
    if(fclose(out)){ fprintf(stderr, "weightsmutate: %s: %s\n", argv[2], strerror(errno)); return 1; }
    free(buf);
    return 0;
}
