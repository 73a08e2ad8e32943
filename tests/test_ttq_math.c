/* The scalar TTQ rules of src/ttq.c against hand-worked values and their defining properties:
 * threshold and sparsity modes give the stated delta / zero fraction, ternarisation maps each
 * region to +Wp, 0, -Wn, and the backward rule gives the closed-form updates; the base-3 packing
 * round-trips and rejects invalid bytes. */
#include "testutil.h"
#include "ttq.h"

static float frand(unsigned *s)
{
    *s = *s*1103515245u + 12345u;
    return ((*s >> 8) & 0xFFFF)/65536.f*2 - 1;
}

static void test_threshold(void)
{
    float w[] = {0.5f, -2.0f, 1.0f, 0.01f, -0.1f};
    float d = ttq_threshold_ref(w, 5, 0.05f);
    CHECK(fabsf(d - 0.1f) < 1e-7f, "threshold: delta %g, want 0.1 (0.05*max|w| = 0.05*2)", d);
    float q[5];
    ttq_ternarize_ref(q, w, 5, d, 1.5f, 0.5f);
    float want[] = {1.5f, -0.5f, 1.5f, 0.f, 0.f}; /* -0.1 has |w| <= delta: zero */
    CHECK_CLOSE("ternarize", q, want, 5, 0, 0);
    CHECK(ttq_count_zeros_ref(q, 5) == 2, "zeros");
    float z[3] = {0, 0, 0};
    CHECK(ttq_threshold_ref(z, 3, 0.05f) == 0, "all-zero weights give delta 0");
}

static void test_sparsity(void)
{
    enum { N = 1000 };
    static float w[N], q[N];
    unsigned s = 7;
    int i;
    for(i = 0; i < N; ++i) w[i] = frand(&s);
    float rs[] = {0.f, 0.1f, 0.3f, 0.5f, 0.75f, 0.999f};
    for(i = 0; i < (int)(sizeof rs/sizeof rs[0]); ++i){
        float d = ttq_sparsity_threshold_ref(w, N, rs[i]);
        ttq_ternarize_ref(q, w, N, d, 1, 1);
        size_t z = ttq_count_zeros_ref(q, N);
        size_t want = (size_t)floor(rs[i]*N + 0.5);
        CHECK(z == want, "sparsity %g: %zu zeros of %d, want %zu (delta %g)", rs[i], z, N, want, d);
    }
    /* odd sizes and a single weight */
    float one[1] = {-0.3f};
    float d = ttq_sparsity_threshold_ref(one, 1, 0.4f);
    ttq_ternarize_ref(q, one, 1, d, 2, 3);
    CHECK(q[0] == -3, "n=1, r=0.4 keeps the weight: q %g", q[0]);
    d = ttq_sparsity_threshold_ref(one, 1, 0.6f);
    ttq_ternarize_ref(q, one, 1, d, 2, 3);
    CHECK(q[0] == 0, "n=1, r=0.6 zeroes the weight: q %g", q[0]);
}

/* The backward rule in closed form, written out independently element by element. */
static void test_backward(void)
{
    float w[] = {0.9f, -0.8f, 0.02f, -0.03f, 0.5f, -0.6f};
    float u[] = {1.f, 2.f, 3.f, 4.f, -5.f, 6.f};
    float lat[6] = {10, 10, 10, 10, 10, 10};
    float wp_u = 100, wn_u = 100;
    float delta = 0.1f, wp = 2.f, wn = 0.5f;
    ttq_backward_ref(lat, &wp_u, &wn_u, u, w, 6, delta, wp, wn);
    float want[] = {10 + 2*1.f, 10 + 0.5f*2, 10 + 3, 10 + 4, 10 + 2*-5.f, 10 + 0.5f*6};
    CHECK_CLOSE("latent updates", lat, want, 6, 1e-6, 0);
    /* Wp update: + sum of u over positives (1 - 5); Wn update: - sum over negatives (2 + 6) */
    CHECK(fabsf(wp_u - (100 + 1 - 5)) < 1e-5f, "wp update %g, want %g", wp_u, 100 + 1 - 5.f);
    CHECK(fabsf(wn_u - (100 - (2 + 6))) < 1e-5f, "wn update %g, want %g", wn_u, 100 - 8.f);
    CHECK(ttq_region(0.1f, 0.1f) == TTQ_ZERO && ttq_region(-0.1f, 0.1f) == TTQ_ZERO,
          "|w| == delta is zero");
}

/* Base-3 packing: a hand-worked byte, the round trip for every length 0..23 and random codes,
 * all 243 byte values decode and re-encode to themselves, 243..255 and non-zero unused digits are
 * rejected with the byte's index. */
static void test_pack(void)
{
    float q[] = {0.7f, -1.3f, 0.f, 0.7f, -1.3f, 0.f, 0.7f};
    unsigned char b[2];
    ttq_pack_ref(b, q, 7);
    CHECK(ttq_packed_size(7) == 2 && ttq_packed_size(0) == 0 && ttq_packed_size(5) == 1 &&
          ttq_packed_size(6) == 2, "packed sizes");
    /* digits 1,2,0,1,2 -> 1 + 3*2 + 27*1 + 81*2 = 196; then 0,1 -> 3 */
    CHECK(b[0] == 196 && b[1] == 3, "packed bytes %d %d, want 196 3", b[0], b[1]);
    unsigned s = 7, n, i;
    for(n = 0; n < 24; ++n){
        float x[24], y[24];
        unsigned char p[5];
        for(i = 0; i < n; ++i){
            float r = frand(&s);
            x[i] = r > 0.3f ? 0.9f : r < -0.3f ? -0.4f : 0.f;
        }
        ttq_pack_ref(p, x, n);
        long bad = ttq_unpack_ref(y, p, n);
        CHECK(bad == -1, "n=%u: valid packing rejected at byte %ld", n, bad);
        for(i = 0; i < n; ++i){
            float want = x[i] > 0 ? 1.f : x[i] < 0 ? -1.f : 0.f;
            CHECK(y[i] == want, "n=%u: weight %u unpacked to %g, want %g", n, i, y[i], want);
        }
    }
    for(i = 0; i < 256; ++i){
        unsigned char one = (unsigned char)i, again;
        float y[5];
        long bad = ttq_unpack_ref(y, &one, 5);
        if(i < 243){
            ttq_pack_ref(&again, y, 5);
            CHECK(bad == -1 && again == one, "byte %u: rejected or not re-encoded (%d)", i, again);
        } else {
            CHECK(bad == 0, "byte %u accepted", i);
        }
    }
    unsigned char tail[2] = {0, 9};  /* 9 = digit 2 set: weight 7 of 7 does not exist */
    float y[10];
    CHECK(ttq_unpack_ref(y, tail, 7) == 1, "a non-zero unused digit is accepted");
    tail[1] = 2;
    CHECK(ttq_unpack_ref(y, tail, 7) == -1 && y[5] == -1.f && y[6] == 0.f, "last byte's used digits");
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    test_threshold();
    test_sparsity();
    test_backward();
    test_pack();
    return t_finish();
}
