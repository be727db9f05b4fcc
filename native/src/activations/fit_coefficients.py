#!/usr/bin/env python3
"""Derives the polynomial / rational coefficients used by native/src/activations/act_math.h.

Near-minimax fits by Lawson's algorithm (iteratively reweighted least squares) in x87 long double on
Chebyshev nodes, with targets from mpmath at 40 digits. Prints C++ initialisers and the fit errors.
Run: python3 native/src/activations/fit_coefficients.py   (needs numpy + mpmath; takes ~1 minute)
"""
import numpy as np, mpmath as mp
mp.mp.dps = 40
L = np.longdouble

def ld2mp(x): return mp.mpf(np.format_float_scientific(x, unique=True))
def mp2ld(v): return L(mp.nstr(v, 25))

def lstsq(A, b):
    """Householder QR least squares in long double."""
    A = A.copy(); b = b.copy(); m, n = A.shape
    for k in range(n):
        x = A[k:, k]; nx = np.sqrt((x * x).sum())
        v = x.copy(); v[0] += nx if x[0] >= 0 else -nx
        v /= np.sqrt((v * v).sum())
        A[k:, k:] -= 2 * np.outer(v, v @ A[k:, k:]); b[k:] -= 2 * v * (v @ b[k:])
    c = np.zeros(n, dtype=L)
    for k in range(n - 1, -1, -1): c[k] = (b[k] - A[k, k + 1:] @ c[k + 1:]) / A[k, k]
    return c

def lawson(A, b, iters=80):
    w = np.ones(A.shape[0], dtype=L) / A.shape[0]; best = (None, np.inf)
    for _ in range(iters):
        sw = np.sqrt(w); c = lstsq(A * sw[:, None], b * sw); e = np.abs(A @ c - b); E = float(e.max())
        if E < best[1]: best = (c, E)
        w = w * e; w /= w.sum()
    return best

def nodes(lo, hi, n):
    lo, hi = L(lo), L(hi)
    return np.array([lo + (hi - lo) * (1 - np.cos(np.pi * L(i) / (n - 1))) / 2 for i in range(n)], dtype=L)

def vander(u, d):
    V = np.empty((len(u), d + 1), dtype=L); V[:, 0] = 1
    if d > 0: V[:, 1] = u
    for j in range(2, d + 1): V[:, j] = 2 * u * V[:, j - 1] - V[:, j - 2]
    return V

def cheb_to_mono(c, lo, hi):
    """Chebyshev series on [lo,hi] -> monomial coefficients in x (lowest first)."""
    d = len(c) - 1
    T = [np.zeros(d + 1, dtype=L) for _ in range(d + 1)]; T[0][0] = 1
    if d > 0: T[1][1] = 1
    for j in range(2, d + 1): T[j][1:] = 2 * T[j - 1][:-1]; T[j] -= T[j - 2]
    m = sum(c[j] * T[j] for j in range(d + 1))
    a = 2 / (L(hi) - L(lo)); b = -(L(lo) + L(hi)) / (L(hi) - L(lo))
    out = np.zeros(d + 1, dtype=L)
    for n in range(d + 1):
        for k in range(n + 1): out[k] += m[n] * L(int(mp.binomial(n, k))) * a ** k * b ** (n - k)
    return out

def poly_fit(x, f, w, deg, lo, hi):
    u = (2 * x - L(lo) - L(hi)) / (L(hi) - L(lo))
    c, E = lawson(vander(u, deg) * w[:, None], f * w)
    return cheb_to_mono(c, lo, hi), E

def horner(c, x, dt):
    r = np.zeros(len(x), dtype=dt); x = x.astype(dt)
    for cc in c[::-1]: r = (r * x + dt(cc)).astype(dt)
    return r

def show(name, c, dt):
    fmt = (lambda v: np.format_float_scientific(np.float32(v), unique=True) + 'f') if dt == np.float32 else \
          (lambda v: np.format_float_scientific(np.float64(v), unique=True))
    print('  // %s' % name); print('  ' + ', '.join(fmt(v) for v in c))

# 1. exp / expm1 on |r| <= ln2/2:  expm1(r) = r + r^2 q(r),  exp(r) = 1 + r + r^2 q(r).
h = L(np.log(2)) / 2 * L(1.0002)
rs = nodes(-float(h), float(h), 1200); rs = rs[np.abs(rs) > 1e-7]
q = np.array([mp2ld((mp.expm1(ld2mp(r)) - ld2mp(r)) / ld2mp(r) ** 2) for r in rs])
w = np.array([mp2ld(ld2mp(r) ** 2 / abs(mp.expm1(ld2mp(r)))) for r in rs])
for deg, dt in ((4, np.float32), (9, np.float64)):
    c, E = poly_fit(rs, q, w, deg, -h, h)
    show('expm1 q(r), degree %d, max rel. error of expm1 %.2e' % (deg, E), c, dt)
#  float32 derivatives (8 ULP budget): exp(r) = 1 + r + r^2 q(r), q degree 3, fitted for the relative error of exp.
qe = np.array([mp2ld((mp.exp(ld2mp(r)) - 1 - ld2mp(r)) / ld2mp(r) ** 2) for r in rs])
we = np.array([mp2ld(ld2mp(r) ** 2 / mp.exp(ld2mp(r))) for r in rs])
c, E = poly_fit(rs, qe, we, 3, -h, h)
show('exp q(r) (derivative grade), degree 3, max rel. error of exp %.2e' % E, c, np.float32)

#  float32 exp2 (exp2_unit, ops that reduce in log2 units): 2^r = 1 + r P(r), |r| <= 1/2, fitted for the relative
#  error of 2^r with the coefficients rounded to float32 one at a time (lowest first), the rest refitted each
#  time. Degree 5 (3.0e-9) and 4 (derivatives and the gelu_tanh forward, 9.3e-8).
h2 = L(0.5) * L(1.0002)
r2s = nodes(-float(h2), float(h2), 1500); r2s = r2s[np.abs(r2s) > 1e-7]
P2 = np.array([mp2ld((mp.power(2, ld2mp(r)) - 1) / ld2mp(r)) for r in r2s])
w2 = np.array([mp2ld(ld2mp(r) / mp.power(2, ld2mp(r))) for r in r2s])
u2 = r2s / h2
for deg in (5, 4):
    fixed = []
    for k in range(deg + 1):
        tgt = P2 - sum(L(c) * r2s ** i for i, c in enumerate(fixed))
        c, E = lawson(vander(u2, deg - k) * (r2s ** k)[:, None] * w2[:, None], tgt * w2)
        fixed.append(np.float32(cheb_to_mono(c, -h2, h2)[0]))
    xs = np.linspace(-float(h2), float(h2), 4001).astype(L)
    approx = 1 + xs * horner([L(v) for v in fixed], xs, L)
    E = float(np.abs(approx / np.array([mp2ld(mp.power(2, ld2mp(x))) for x in xs]) - 1).max())
    show('exp2 P(r) (float32, 2^r = 1 + r P(r)), degree %d, max rel. error of 2^r %.2e' % (deg, E), fixed, np.float32)

#  float32 tanh (expm1_half32): expm1(2 rho)/2 = rho + rho^2 Q(rho), |rho| <= ln2/4, Q of degree 4, fitted for the
#  relative error of expm1(2 rho)/2 with the coefficients rounded to float32 one at a time (lowest first), the rest
#  refitted each time (1.4e-8). The reduction rho = a - n ln2/2 uses the float32 constants 2 log2e = 2.88539f and
#  ln2/2 = 0.3465736f (relative errors -1.3e-8 and 2.7e-9: np.float32 of the exact values).
ht = L(np.log(2)) / 4 * L(1.0005)
rts = nodes(-float(ht), float(ht), 2000); rts = rts[np.abs(rts) > 1e-7]
Qt = np.array([mp2ld((mp.expm1(2 * ld2mp(r)) / 2 - ld2mp(r)) / ld2mp(r) ** 2) for r in rts])
wtt = np.array([mp2ld(ld2mp(r) ** 2 / (mp.expm1(2 * ld2mp(r)) / 2)) for r in rts])
fixed = []
for k in range(5):
    tgt = Qt - sum(L(c) * rts ** i for i, c in enumerate(fixed))
    c, E = lawson(vander(rts / ht, 4 - k) * (rts ** k)[:, None] * wtt[:, None], tgt * wtt)
    fixed.append(np.float32(cheb_to_mono(c, -ht, ht)[0]))
xs = np.linspace(-float(ht), float(ht), 4001).astype(L); xs = xs[xs != 0]
E = float(np.abs((xs + xs * xs * horner([L(v) for v in fixed], xs, L)) /
                 np.array([mp2ld(mp.expm1(2 * ld2mp(x)) / 2) for x in xs]) - 1).max())
show('tanh Q(rho) (float32, expm1(2 rho)/2 = rho + rho^2 Q(rho)), degree 4, max rel. error %.2e' % E, fixed,
     np.float32)

# 2. log1p(f) = 2 atanh(s) = 2s + s^3 P(s^2), s = f/(2+f), |s| <= (sqrt2-1)/(sqrt2+1).
smax = (np.sqrt(L(2)) - 1) / (np.sqrt(L(2)) + 1) * L(1.0002)
ss = nodes(1e-5, float(smax), 1000); ws = ss * ss
P = np.array([mp2ld((2 * mp.atanh(ld2mp(s)) - 2 * ld2mp(s)) / ld2mp(s) ** 3) for s in ss])
wt = np.array([mp2ld(ld2mp(s) ** 3 / (2 * mp.atanh(ld2mp(s)))) for s in ss])
c, E = poly_fit(ws, P, wt, 6, 0, smax * smax)
show('log1p P(w) (float64, split at sqrt2), degree 6, max rel. error %.2e' % E, c, np.float64)
#  float32: no splitting, s = e / (2 + e) in [0, 1/3].
smax3 = L(1) / 3 * L(1.0002)
ss3 = nodes(1e-5, float(smax3), 1000)
P3 = np.array([mp2ld((2 * mp.atanh(ld2mp(s)) - 2 * ld2mp(s)) / ld2mp(s) ** 3) for s in ss3])
wt3 = np.array([mp2ld(ld2mp(s) ** 3 / (2 * mp.atanh(ld2mp(s)))) for s in ss3])
c, E = poly_fit(ss3 * ss3, P3, wt3, 3, 0, smax3 * smax3)
show('log1p P(w) (float32, s in [0, 1/3]), degree 3, max rel. error of log1p %.2e' % E, c, np.float32)

# 3. Scaled normal tail G(v) = exp(v^2/2) Q(v), Q(v) = erfc(v/sqrt2)/2 = P(X > v), v >= 0.
def G(v): return mp.exp(v * v / 2) * mp.erfc(v / mp.sqrt(2)) / 2
#  float32 (evaluated in float64, rounded once): G(v) = P(v)/Q(v), degree (4, 5), v in [0, 13.25] (beyond, v Q(v)
#  is below FLT_MIN); linearized Lawson iterations on the relative error.
V32, M32, N32 = 13.25, 4, 5
vs = nodes(0, V32, 1500); Gv = np.array([mp2ld(G(ld2mp(v))) for v in vs])
u32 = (2 * vs - L(V32)) / L(V32)
Qp = np.ones(len(vs), dtype=L); best = (np.inf, None)
for outer in range(8):
    Bp = vander(u32, M32); Bq = vander(u32, N32)[:, 1:]
    wt = 1 / (np.abs(Qp) * Gv)
    cc, _ = lawson(np.hstack([Bp, -Bq * Gv[:, None]]) * wt[:, None], Gv * wt, 60)
    Pu = Bp @ cc[:M32 + 1]; Qu = 1 + Bq @ cc[M32 + 1:]; Qp = Qu
    err = float(np.abs(Pu / Qu / Gv - 1).max())
    if err < best[0]: best = (err, cc)
cc = best[1]
pm = cheb_to_mono(cc[:M32 + 1], 0, V32); qm = cheb_to_mono(np.concatenate([[L(1)], cc[M32 + 1:]]), 0, V32)
pm, qm = pm / qm[0], qm / qm[0]
show('G(v) = P(v)/Q(v) (float32 gelu, in float64): P, degree 4, max rel. error %.2e' % best[0], pm, np.float64)
show('Q, degree 5', qm, np.float64)

#  float32 forward (evaluated in float32, normal_tail_ratio32): G = P / (2 v P + R), P = 1/2 + v P1 (degree 4),
#  R = 1 + v R1 (degree 5), float32 coefficients: linearized Lawson on P (1 - 2 v G) - G R = 0 in float64, the
#  coefficients rounded to float32 one at a time (p0, r1, p1, r2, ...), the rest refitted each time.
def fit_split(vs, Gt, fP, fR, MP=4, MR=5, iters=8):
    Dv = np.ones_like(vs); best = (np.inf, None, None)
    for _ in range(iters):
        cols, names, rhs = [], [], Gt.copy()
        for k in range(MP + 1):
            col = vs ** k * (1 - 2 * vs * Gt)
            if k in fP: rhs = rhs - fP[k] * col
            else: cols.append(col); names.append(('p', k))
        for k in range(1, MR + 1):
            col = -Gt * vs ** k
            if k in fR: rhs = rhs - fR[k] * col
            else: cols.append(col); names.append(('r', k))
        A = np.array(cols).T; wt = 1 / (np.abs(Dv) * Gt); sc = np.abs(A).max(0)
        w = np.ones(len(vs)) / len(vs); bc, bE = None, np.inf
        for _ in range(60):
            sw = np.sqrt(w) * wt
            c = np.linalg.lstsq(A / sc * sw[:, None], rhs * sw, rcond=None)[0]
            e = np.abs((A / sc) @ c - rhs) * wt
            if e.max() < bE: bE, bc = e.max(), c / sc
            w = w * e; w /= w.sum()
        p = [fP.get(k, 0.0) for k in range(MP + 1)]; r = [1.0] + [fR.get(k, 0.0) for k in range(1, MR + 1)]
        for (t, k), val in zip(names, bc):
            if t == 'p': p[k] = val
            else: r[k] = val
        P = np.polyval(p[::-1], vs); Dv = 2 * vs * P + np.polyval(r[::-1], vs)
        err = float(np.abs(P / Dv / Gt - 1).max())
        if err < best[0]: best = (err, p, r)
    return best
vsf = (V32 * (1 - np.cos(np.pi * np.arange(3000) / 2999)) / 2).astype(np.float64)
Gf = np.array([float(G(mp.mpf(float(v)))) for v in vsf])
fP, fR = {}, {}
for t, k in (('p', 0), ('r', 1), ('p', 1), ('r', 2), ('p', 2), ('r', 3), ('p', 3), ('r', 4), ('p', 4), ('r', 5)):
    _, p, r = fit_split(vsf, Gf, fP, fR)
    if t == 'p': fP[k] = float(np.float32(p[k]))
    else: fR[k] = float(np.float32(r[k]))
p = [fP[k] for k in range(5)]; r = [1.0] + [fR[k] for k in range(1, 6)]
vv = np.linspace(0, V32, 20001)
Pv = np.polyval(p[::-1], vv); Ev = np.abs(Pv / (2 * vv * Pv + np.polyval(r[::-1], vv)) /
                                         np.array([float(G(mp.mpf(float(v)))) for v in vv]) - 1).max()
show('G(v) = P/(2vP + R) (float32 gelu forward): P1 = (P - 1/2)/v, degree 3, max rel. error %.2e' % Ev, p[1:],
     np.float32)
show('R1 = (R - 1)/v, degree 4', r[1:], np.float32)

#  float64: G(v) = t P(u)/Q(u), t = 1/(1 + v/4), u = A t + B in [-1, 1], v in [0, 38.7]; degree (10, 10).
K64, V64, M = L('0.25'), 38.7, 10
vs = nodes(0, V64, 800); Gv = np.array([mp2ld(G(ld2mp(v))) for v in vs])
t = 1 / (1 + K64 * vs); tmin = 1 / (1 + K64 * L(V64))
A = 2 / (1 - tmin); Bc = -(1 + tmin) / (1 - tmin); u = A * t + Bc
R = Gv / t
Qp = np.ones(len(vs), dtype=L); best = (np.inf, None)
for outer in range(5):
    Bp = vander(u, M); Bq = Bp[:, 1:]
    wt = 1 / (np.abs(Qp) * R)
    cc, _ = lawson(np.hstack([Bp, -Bq * R[:, None]]) * wt[:, None], R * wt, 60)
    Pu = Bp @ cc[:M + 1]; Qu = 1 + Bq @ cc[M + 1:]; Qp = Qu
    err = float(np.abs(Pu / Qu / R - 1).max())
    if err < best[0]: best = (err, cc)
cc = best[1]
pm = cheb_to_mono(cc[:M + 1], -1, 1); qm = cheb_to_mono(np.concatenate([[L(1)], cc[M + 1:]]), -1, 1)
print('  // u = A t + B: A = %s, B = %s' % (np.format_float_scientific(np.float64(A), unique=True),
                                          np.format_float_scientific(np.float64(Bc), unique=True)))
show('G(v) = t P(u)/Q(u): P, degree 10, max rel. error %.2e' % best[0], pm, np.float64)
show('Q, degree 10', qm, np.float64)
