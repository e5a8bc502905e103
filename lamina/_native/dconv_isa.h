/* The direct convolution kernels for one instruction set (included by _dconv.c once per set).
 *
 * Before including, define: SFX(name) (the set's suffix), TGT (its target attribute), V, VL
 * (vector type, lanes), VZERO, VLOAD, VSTORE, VBCAST, VFMA, VADD, and the tile lists
 * FWD_TILES(X) / KG_TILES(X) as X(NZ, R) entries, widest first: a forward tile is R output
 * pixels x NZ vectors of channels, a kernel-gradient tile RC input channels x NZ vectors of
 * output channels, each sized to the set's registers (accumulators + loaded vectors). */

/* Forward tile: R consecutive output pixels (their windows at px[r]) x NZ*VL channels. */
#define FWD_TILE(NZ, R)                                                                          \
    static TGT void SFX(fwd_##NZ##_##R)(const float *const *px, const float *w, Py_ssize_t cout,  \
                                        const Py_ssize_t *toff, int taps, Py_ssize_t cin,        \
                                        float *out) {                                            \
        V acc[R][NZ];                                                                            \
        for (int r = 0; r < R; r++)                                                              \
            for (int z = 0; z < NZ; z++)                                                         \
                acc[r][z] = VZERO();                                                             \
        for (int t = 0; t < taps; t++) {                                                         \
            const float *wt = w + (Py_ssize_t)t * cin * cout;                                    \
            const float *q[R];                                                                   \
            for (int r = 0; r < R; r++)                                                          \
                q[r] = px[r] + toff[t];                                                          \
            for (Py_ssize_t c = 0; c < cin; c++) {                                               \
                V wv[NZ];                                                                        \
                for (int z = 0; z < NZ; z++)                                                     \
                    wv[z] = VLOAD(wt + c * cout + z * VL);                                       \
                for (int r = 0; r < R; r++) {                                                    \
                    V b = VBCAST(q[r][c]);                                                       \
                    for (int z = 0; z < NZ; z++)                                                 \
                        acc[r][z] = VFMA(b, wv[z], acc[r][z]);                                   \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int r = 0; r < R; r++)                                                              \
            for (int z = 0; z < NZ; z++)                                                         \
                VSTORE(out + r * cout + z * VL, acc[r][z]);                                      \
    }

/* Kernel-gradient tile: RC input channels x NZ*VL output channels at one kernel offset,
 * summed in registers from zero over the pixels of `rows` rows of one sample (~128 pixels),
 * then added to gk: a sum of block sums, as accurate as a blocked GEMM (a running sum over
 * 50,000 pixels lost a decimal digit). */
#define KG_TILE(NZ, RC)                                                                          \
    static TGT void SFX(kg_##NZ##_##RC)(const float *x, const float *g, float *gk,               \
                                        Py_ssize_t rows, Py_ssize_t wo, Py_ssize_t wp,           \
                                        Py_ssize_t cin, Py_ssize_t cout) {                       \
        V acc[RC][NZ];                                                                           \
        for (int r = 0; r < RC; r++)                                                             \
            for (int z = 0; z < NZ; z++)                                                         \
                acc[r][z] = VZERO();                                                             \
        for (Py_ssize_t h = 0; h < rows; h++) {                                                  \
            const float *xr = x + h * wp * cin, *gr = g + h * wo * cout;                         \
            for (Py_ssize_t j = 0; j < wo; j++) {                                                \
                V gv[NZ];                                                                        \
                for (int z = 0; z < NZ; z++)                                                     \
                    gv[z] = VLOAD(gr + j * cout + z * VL);                                       \
                for (int r = 0; r < RC; r++) {                                                   \
                    V b = VBCAST(xr[j * cin + r]);                                               \
                    for (int z = 0; z < NZ; z++)                                                 \
                        acc[r][z] = VFMA(b, gv[z], acc[r][z]);                                   \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int r = 0; r < RC; r++)                                                             \
            for (int z = 0; z < NZ; z++)                                                         \
                VSTORE(gk + r * cout + z * VL, VADD(VLOAD(gk + r * cout + z * VL), acc[r][z]));  \
    }

FWD_TILES(FWD_TILE)
KG_TILES(KG_TILE)

#define FWD_ENTRY(NZ, R) {NZ, R, SFX(fwd_##NZ##_##R)},
#define KG_ENTRY(NZ, RC) {NZ, RC, SFX(kg_##NZ##_##RC)},
static const FwdTile SFX(fwd_tiles)[] = {FWD_TILES(FWD_ENTRY){0, 0, NULL}};
static const KgTile SFX(kg_tiles)[] = {KG_TILES(KG_ENTRY){0, 0, NULL}};
#undef FWD_ENTRY
#undef KG_ENTRY
#undef FWD_TILE
#undef KG_TILE

static TGT void SFX(forward)(const float *x, const float *w, float *out, float *scratch,
                             const Geometry *q) {
    Py_ssize_t h = q->h, wd = q->w, cin = q->cin, kh = q->kh, kw = q->kw, cout = q->cout;
    Py_ssize_t ho = q->ho, wo = q->wo, hp = ho + kh - 1, wp = wo + kw - 1, pixels = ho * wo;
    int taps = (int)(kh * kw);
    Py_ssize_t toff[taps];
    for (Py_ssize_t a = 0; a < kh; a++)
        for (Py_ssize_t b = 0; b < kw; b++)
            toff[a * kw + b] = (a * wp + b) * cin;
    const float *px[MAX_R];
    for (Py_ssize_t n = q->s0; n < q->s1; n++) {
        const float *xn = padded(x + n * h * wd * cin, scratch, h, wd, cin, hp, wp, q->pt, q->pl);
        float *on = out + n * pixels * cout;
        for (Py_ssize_t co = 0; co < cout;) {
            const FwdTile *t = SFX(fwd_tiles); /* the widest channel block that fits */
            while (t[1].fn && t->nz * VL > cout - co)
                t++;
            for (Py_ssize_t p0 = 0; p0 < pixels; p0 += t->r) {
                /* the last tile overlaps the one before: its pixels get the same values */
                Py_ssize_t p = p0 + t->r <= pixels ? p0 : pixels - t->r;
                for (int r = 0; r < t->r; r++) {
                    Py_ssize_t q = p + r;
                    px[r] = xn + ((q / wo) * wp + q % wo) * cin;
                }
                t->fn(px, w + co, cout, toff, taps, cin, on + p * cout + co);
            }
            co += t->nz * VL;
        }
    }
}

static TGT void SFX(kernel_grad)(const float *x, const float *g, float *gk, float *scratch,
                                 const Geometry *q) {
    Py_ssize_t h = q->h, wd = q->w, cin = q->cin, kh = q->kh, kw = q->kw, cout = q->cout;
    Py_ssize_t ho = q->ho, wo = q->wo, hp = ho + kh - 1, wp = wo + kw - 1;
    memset(gk, 0, sizeof(float) * kh * kw * cin * cout);
    /* rows per block: ~128 pixels, so a block's inputs and gradients stay in L1/L2 */
    Py_ssize_t step = wo >= 128 ? 1 : 128 / wo;
    for (Py_ssize_t n = q->s0; n < q->s1; n++) {
        const float *xn = padded(x + n * h * wd * cin, scratch, h, wd, cin, hp, wp, q->pt, q->pl);
        for (Py_ssize_t h0 = 0; h0 < ho; h0 += step) {
            Py_ssize_t rows = h0 + step <= ho ? step : ho - h0;
            const float *gb = g + (n * ho + h0) * wo * cout;
            for (Py_ssize_t a = 0; a < kh; a++)
                for (Py_ssize_t b = 0; b < kw; b++) {
                    const float *xb = xn + ((h0 + a) * wp + b) * cin;
                    float *gt = gk + (a * kw + b) * cin * cout;
                    for (Py_ssize_t co = 0; co < cout;) {
                        int nz = SFX(kg_tiles)[0].nz;
                        while (nz * VL > cout - co)
                            nz--;
                        /* input channels in the widest tiles of this channel block that fit */
                        for (Py_ssize_t c = 0; c < cin;) {
                            const KgTile *t = SFX(kg_tiles);
                            while (t->nz != nz || t->r > cin - c)
                                t++;
                            t->fn(xb + c, gb + co, gt + c * cout + co, rows, wo, wp, cin, cout);
                            c += t->r;
                        }
                        co += nz * VL;
                    }
                }
        }
    }
}
