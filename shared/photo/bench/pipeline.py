#!/usr/bin/env python3
"""A Python reference of the photo engine (shared/photo/src/engine), for the side-by-side speed
benchmark of issue 22: the same ONNX models, run as many times and on inputs of the same sizes,
with Pillow, numpy and onnxruntime on one thread (the engine runs a photo on one thread too).

Stages, and the engine's laps (`idphoto bench`) they stand for:
  decode      decode       Pillow, EXIF orientation applied; full-size decode (no draft())
  detect      detect       short- and full-range BlazeFace on a copy at most 640 px long
  resample    resample     320 px preview JPEG, working copy, its pyramid of halvings
  landmarks   landmarks    face mesh 2 passes x (crop + mirror) = 4 runs, 1 per other face, 2 iris
  segment     segment      selfie 256² and hair 512², each on the crop and its mirror (4 runs)
  descriptor  (in measure) dlib descriptor on a 150² chip aligned to 7 mesh points
  composite   place+matte  480×640 frame, coarse alpha, guided filter and blur-fusion (numpy)
  encode      encode       the lowest JPEG quality >= 60 whose file reaches the 20 KB floor

Left out, being checks rather than pipeline: the measurements and face checks of `measure`,
the framing solver (a fixed placement stands in), the person mask's island removal and head
bound, the clothes continued below a short photo, and the output QA.

  python pipeline.py [--runs N] [--json] [--save OUT.jpg] FILES...
  python pipeline.py --cold FILE [--json]
  python pipeline.py --models             each model alone (median of 30 runs)

--cold reads the process's age from /proc (10 ms steps), so it counts the interpreter's start and
the imports; a caller that times the whole command also counts the interpreter's exit.
"""

import os

# One core, like the engine: keep numpy's BLAS from starting its own threads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

PHOTO = Path(__file__).resolve().parent.parent
MODELS = PHOTO / "models"

DETECT_SIDE = 640  # engine/mod.rs
PREVIEW_SIDE, PREVIEW_QUALITY = 320, 80
WORK_FACE_PX = 360.0  # engine/find.rs: pixels kept across the face
OUT_W, OUT_H = 480, 640
BLUE = (100, 197, 255)  # profile.rs, Profile::blue()
SIZE_FLOOR = 20 * 1024  # the blue profile's size window starts here
MIN_QUALITY, MAX_QUALITY = 60, 98  # encode.rs

# Face-mesh indices (MediaPipe topology; "left" is image-left).
L_OUT, L_IN, R_IN, R_OUT = 33, 133, 362, 263
CHEEK_L, CHEEK_R = 234, 454
# dlib's mean face at seven mesh points, unit square (as descriptor.rs), padded by 0.25.
CHIP_POINTS = {L_OUT: (0.121737, 0.216423), L_IN: (0.334606, 0.231733),
               R_IN: (0.645647, 0.231733), R_OUT: (0.858516, 0.216423),
               2: (0.490127, 0.628106), 61: (0.254149, 0.780233), 291: (0.726104, 0.780233)}


# --- frames: destination pixel (u, v) reads source origin + u·ux + v·vy, pixel centres at
# +0.5 on both sides, which is also Pillow's affine convention. Stored as a 2×3 matrix.

def frame(origin, ux, vy):
    return np.array([[ux[0], vy[0], origin[0]], [ux[1], vy[1], origin[1]]])


def axis(x0, y0, step):
    return frame((x0, y0), (step, 0.0), (0.0, step))


def rotated_square(centre, side, angle, n):
    """A square `side` px wide on `centre`, turned by `angle`, read at n² pixels."""
    step = side / n
    s, c = math.sin(angle), math.cos(angle)
    ux, vy = (c * step, s * step), (-s * step, c * step)
    return frame((centre[0] - n / 2 * (ux[0] + vy[0]), centre[1] - n / 2 * (ux[1] + vy[1])), ux, vy)


def mirrored(m, n):
    m = m.copy()
    m[:, 2] += n * m[:, 0]
    m[:, 0] *= -1
    return m


def to_source(m, pts):
    return pts @ m[:, :2].T + m[:, 2]


class Pyramid:
    """An image and its halvings: Pillow's affine transform takes one bilinear tap per pixel, so
    a crop reads the level at most twice as fine as it needs, as the engine's Pyramid does."""

    def __init__(self, img):
        self.levels = [img]
        while min(self.levels[-1].size) >= 128:
            self.levels.append(self.levels[-1].reduce(2))

    @property
    def size(self):
        return self.levels[0].size

    def sample(self, m, w, h, fill):
        """w×h float32 RGB in 0..255 through frame `m`; `fill` outside the image."""
        step = math.hypot(m[0, 0], m[1, 0])
        level = min(int(math.log2(max(step, 1.0))), len(self.levels) - 1)
        data = tuple((m / 2**level).ravel())
        img = self.levels[level].transform((w, h), Image.AFFINE, data, Image.BILINEAR, fillcolor=fill)
        return np.asarray(img, dtype=np.float32)


def nchw01(px):
    return np.ascontiguousarray((px / 255.0).transpose(2, 0, 1)[None], dtype=np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))


def anchors(n, layers):
    """BlazeFace anchor centres (normalised), row by row, `per_cell` per grid cell."""
    out = []
    for stride, per_cell in layers:
        c = (np.arange(n // stride) + 0.5) / (n // stride)
        xy = np.stack(np.meshgrid(c, c), -1).reshape(-1, 2)
        out.append(np.repeat(xy, per_cell, axis=0))
    return np.concatenate(out)


def suppress(d):
    """Weighted NMS as MediaPipe (and detect.rs): overlapping boxes averaged by score.
    Rows: centre x, y, width, height, 6 keypoints × (x, y), score."""
    d = d[np.argsort(-d[:, 16])]
    lo, hi = d[:, :2] - d[:, 2:4] / 2, d[:, :2] + d[:, 2:4] / 2
    used, kept = np.zeros(len(d), bool), []
    for i in range(len(d)):
        if used[i]:
            continue
        inter = np.clip(np.minimum(hi[i], hi) - np.maximum(lo[i], lo), 0, None).prod(1)
        iou = inter / np.maximum(d[i, 2] * d[i, 3] + d[:, 2] * d[:, 3] - inter, 1e-6)
        group = ~used & (iou >= 0.3)
        used |= group
        wgt = d[group, 16:17]
        kept.append(np.append((d[group, :16] * wgt).sum(0) / wgt.sum(), d[i, 16]))
    kept = np.array(kept).reshape(-1, 17)
    return kept[np.argsort(-kept[:, 2] * kept[:, 3])]  # largest first


def eye_angle(det):
    (rx, ry), (lx, ly) = det[4:6], det[6:8]
    return math.atan2(ly - ry, lx - rx)


def box_mean(a, r):
    """Mean over a (2r+1)² window, shrunk at the edges, along the first two axes."""
    for ax in (0, 1):
        n = a.shape[ax]
        c = np.concatenate([np.zeros_like(a.take([0], ax)), np.cumsum(a, ax)], ax)
        i = np.arange(n)
        lo, hi = np.maximum(i - r, 0), np.minimum(i + r + 1, n)
        count = (hi - lo).reshape((-1,) + (1,) * (a.ndim - 1 - ax)).astype(a.dtype)
        a = (c.take(hi, ax) - c.take(lo, ax)) / count
    return a


def resize_f(a, w, h):
    """Bilinear resize of a float map (each trailing channel alone) with Pillow."""
    if a.ndim == 2:
        return np.asarray(Image.fromarray(a.astype(np.float32), "F").resize((w, h), Image.BILINEAR))
    return np.stack([resize_f(a[..., c], w, h) for c in range(a.shape[-1])], -1)


def half(a):
    """Mean of each 2×2 block (the frame's sides are even)."""
    return (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) / 4


def refine(rgb, coarse, r=6, eps=1e-4):
    """Colour guided filter (He et al.) of the coarse alpha, its coefficients fitted at half
    resolution as the engine's matte.rs does; near-certain values snapped to 0 and 1."""
    h, w = coarse.shape
    guide = rgb / 255.0
    g, p = half(guide), half(coarse)
    mg, mp = box_mean(g, r // 2), box_mean(p, r // 2)
    cov = box_mean(g[..., :, None] * g[..., None, :], r // 2) - mg[..., :, None] * mg[..., None, :]
    cgp = box_mean(g * p[..., None], r // 2) - mg * mp[..., None]
    a = np.linalg.solve(cov + eps * np.eye(3), cgp[..., None])[..., 0]
    b = mp - (a * mg).sum(-1)
    q = resize_f(box_mean(b, r // 2), w, h) + (resize_f(box_mean(a, r // 2), w, h) * guide).sum(-1)
    return np.where(q < 0.04, 0.0, np.where(q > 0.96, 1.0, q)).astype(np.float32)


def weighted_mean(src, wt, r):
    """Mean colour of `src` weighted by `wt` over a (2r+1)² window; a wide one at half
    resolution, as matte.rs takes it (it averages what is smooth anyway)."""
    if r < 8:
        return box_mean(src * wt[..., None], r) / (box_mean(wt, r)[..., None] + 1e-5)
    h, w = wt.shape
    m = box_mean(half(src * wt[..., None]), r // 2) / (box_mean(half(wt), r // 2)[..., None] + 1e-5)
    return resize_f(m, w, h)


def foreground(rgb, in_photo, alpha):
    """Blur-fusion (Forte and Pitié): the person's own colour where alpha is partial, from local
    means of the person and of the old background, corrected by what the pixel shows."""
    f = b = rgb
    wb = np.where(in_photo, 1 - alpha, 0).astype(np.float32)
    a = alpha[..., None]
    for r in (30, 3):
        fbar, bbar = weighted_mean(f, alpha, r), weighted_mean(b, wb, r)
        f = np.clip(fbar + a * (rgb - a * fbar - (1 - a) * bbar), 0, 255)
        b = bbar
    return f


def jpeg(img, quality):
    # 4:4:4 like the image crate's encoder the engine uses, 300 dpi as the standard asks.
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, subsampling=0, dpi=(300, 300))
    return buf.getvalue()


def encode(img):
    """As encode.rs: quality 60 if its file reaches the size floor, else a binary search for the
    lowest quality that does."""
    lo, hi = MIN_QUALITY, MAX_QUALITY
    best = jpeg(img, lo)
    if len(best) >= SIZE_FLOOR:
        return best
    best = jpeg(img, hi)
    if len(best) < SIZE_FLOOR:
        return best
    while hi - lo > 1:
        q = (lo + hi) // 2
        j = jpeg(img, q)
        if len(j) >= SIZE_FLOOR:
            hi, best = q, j
        else:
            lo = q
    return best


class Laps:
    def __init__(self):
        self.stages, self.t = {}, time.perf_counter()

    def __call__(self, name):
        now = time.perf_counter()
        self.stages[name] = (now - self.t) * 1e3
        self.t = now


def session(name):
    """One model in onnxruntime on one thread, as the engine runs a photo."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(MODELS / name), opts, providers=["CPUExecutionProvider"])


MODEL_FILES = {"short_range": "face_detection_short_range.onnx",
               "full_range": "face_detection_full_range.onnx", "face_mesh": "face_landmark.onnx",
               "iris": "iris_landmark.onnx", "selfie": "selfie_segmentation.onnx",
               "hair": "hair_segmentation.onnx", "descriptor": "dlib_faceapi_rec150.onnx"}


def time_models():
    """Each model alone on a constant input, median of 30 runs: the twin of the engine's
    `cargo run --release -p photo --example models_bench`."""
    for name, file in MODEL_FILES.items():
        s = session(file)
        feed = s.get_inputs()[0]
        x = np.full(feed.shape, 0.5, np.float32)
        times = []
        for _ in range(30):
            t = time.perf_counter()
            s.run(None, {feed.name: x})
            times.append((time.perf_counter() - t) * 1e3)
        print(f"{name:<12} {quantile(times, 0.5):.1f} ms")


class Pipeline:
    def __init__(self):
        def load(name):
            s = session(name)
            feed = s.get_inputs()[0].name
            return lambda x: s.run(None, {feed: x})

        f = MODEL_FILES
        self.short, self.full = load(f["short_range"]), load(f["full_range"])
        self.mesh_model, self.iris_model = load(f["face_mesh"]), load(f["iris"])
        self.selfie, self.hair = load(f["selfie"]), load(f["hair"])
        self.descriptor = load(f["descriptor"])
        self.detectors = [(self.short, 128, anchors(128, [(8, 2), (16, 6)])),
                          (self.full, 192, anchors(192, [(4, 1)]))]
        # Each mesh point's mirror partner: the engine's own table, so the two stay in step.
        table = (PHOTO / "src/landmarks/mirror.rs").read_text()
        self.partner = np.array([int(v) for v in re.findall(r"\d+", table.split("= [", 1)[1])][:468])

    # --- stages

    def detect(self, img):
        """All faces in `img` from both detectors, largest first (rows as in `suppress`)."""
        pyr, (w, h) = Pyramid(img), img.size
        side = max(w, h)
        found = []
        for model, n, anc in self.detectors:
            m = axis(-(side - w) / 2, -(side - h) / 2, side / n)  # letterboxed to a square
            regs, logits = model(np.ascontiguousarray(
                (pyr.sample(m, n, n, (0, 0, 0)) / 127.5 - 1).transpose(2, 0, 1)[None]))
            score = sigmoid(logits[0, :, 0])
            keep = score >= 0.5
            r, a = regs[0][keep], anc[keep]
            # Offsets are in input pixels from the anchor centre.
            pts = a[:, None] * n + r[:, [0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]].reshape(-1, 7, 2)
            pts = to_source(m, pts)
            size = r[:, 2:4] * side / n
            found.append(np.column_stack([pts[:, 0], size, pts[:, 1:].reshape(-1, 12), score[keep]]))
        return suppress(np.concatenate(found))

    def read_mesh(self, pyr, m):
        pts, presence = self.mesh_model(nchw01(pyr.sample(m, 192, 192, (0, 0, 0))))
        return to_source(m, pts.reshape(468, 3)[:, :2]), float(sigmoid(presence.ravel()[0]))

    def symmetric_mesh(self, pyr, centre, side, angle):
        """The mesh read on the crop and on its mirror, each point averaged with its partner."""
        m = rotated_square(centre, side, angle, 192)
        a, pa = self.read_mesh(pyr, m)
        b, pb = self.read_mesh(pyr, mirrored(m, 192))
        return (a + b[self.partner]) / 2, (pa + pb) / 2

    def face_mesh(self, pyr, det):
        """Two passes: on the detector's box, then on the first mesh's box (as landmarks.rs)."""
        first, _ = self.symmetric_mesh(pyr, det[:2], det[2:4].max() * 1.5, eye_angle(det))
        lo, hi = first.min(0), first.max(0)
        (ax, ay), (bx, by) = first[L_OUT], first[R_OUT]
        return self.symmetric_mesh(pyr, (lo + hi) / 2, (hi - lo).max() * 1.5, math.atan2(by - ay, bx - ax))

    def iris(self, pyr, outer, inner, mirror):
        """Iris centre and edge on a 64² crop 2.3× the eye's width; the right eye mirrored."""
        a, b = sorted([outer, inner], key=lambda p: p[0])
        m = rotated_square((outer + inner) / 2, np.linalg.norm(outer - inner) * 2.3,
                           math.atan2(b[1] - a[1], b[0] - a[0]), 64)
        if mirror:
            m = mirrored(m, 64)
        _, iris = self.iris_model(nchw01(pyr.sample(m, 64, 64, (0, 0, 0))))
        return to_source(m, iris.reshape(5, 3)[:, :2])

    def segment(self, pyr, pts):
        """Person (selfie) and hair probability grids, each read both ways (selfie: the
        minimum; hair: the mean), with the frames they were read through."""
        fw, cx, eye_y = face_geometry(pts)
        side = fw * 3.6
        mp = axis(cx - side / 2, eye_y - 1.6 * fw, side / 256)
        px = pyr.sample(mp, 256, 256, (0, 0, 0)) / 255.0
        person = [self.selfie(np.ascontiguousarray(x[None], dtype=np.float32))[0][0, :, :, 0]
                  for x in (px, px[:, ::-1])]
        person = np.minimum(person[0], person[1][:, ::-1])
        side = fw * 2.4
        mh = axis(cx - side / 2, eye_y - 0.1 * fw - side / 2, side / 512)
        px = pyr.sample(mh, 512, 512, (128, 128, 128)) / 255.0  # grey: black reads as hair
        px = np.concatenate([px, np.zeros_like(px[..., :1])], -1)  # no previous frame's mask
        hair = []
        for x in (px, px[:, ::-1]):
            logits = self.hair(np.ascontiguousarray(x[None], dtype=np.float32))[0][0]
            hair.append(sigmoid(logits[..., 1] - logits[..., 0]))  # two-way softmax
        return (person, mp), ((hair[0] + hair[1][:, ::-1]) / 2, mh)

    def describe(self, pyr, pts):
        """128-d descriptor of a 150² chip: the similarity (Umeyama, as complex numbers) taking
        seven mesh points onto dlib's padded mean face."""
        src = pts[list(CHIP_POINTS), 0] + 1j * pts[list(CHIP_POINTS), 1]
        t = (np.array(list(CHIP_POINTS.values())) + 0.25) / 1.5 * 150
        dst = t[:, 0] + 1j * t[:, 1]
        ms, md = src.mean(), dst.mean()
        a = np.vdot(src - ms, dst - md) / np.vdot(src - ms, src - ms).real
        o, ux, vy = ms - md / a, 1 / a, 1j / a  # the inverse map: chip → photo
        m = frame((o.real, o.imag), (ux.real, ux.imag), (vy.real, vy.imag))
        chip = pyr.sample(m, 150, 150, (0, 0, 0))
        return self.descriptor(np.ascontiguousarray(chip[None]))[0][0]

    def composite(self, pyr, pts, k_work, person, hair):
        """The 480×640 frame on the profile colour. Placement is simple: face 240 px wide
        (never enlarging the upload), centred, eyes at 250 px."""
        fw, cx, eye_y = face_geometry(pts)
        s = min(240 / fw, k_work)  # output px per working px
        mo = axis(cx - OUT_W / 2 / s, eye_y - 250 / s, 1 / s)
        rgb = pyr.sample(mo, OUT_W, OUT_H, BLUE)
        ww, wh = pyr.size
        xs = mo[0, 2] + (np.arange(OUT_W) + 0.5) * mo[0, 0]
        ys = mo[1, 2] + (np.arange(OUT_H) + 0.5) * mo[1, 1]
        in_photo = ((ys >= 0) & (ys < wh))[:, None] & ((xs >= 0) & (xs < ww))[None]
        # Coarse alpha: the person, plus what the hair model is sure is hair (0.3..0.6 a ramp).
        coarse = np.maximum(grid_at(*person, mo), np.clip((grid_at(*hair, mo) - 0.3) / 0.3, 0, 1))
        alpha = refine(rgb, np.where(in_photo, coarse, 0).astype(np.float32))
        fg = foreground(rgb, in_photo, alpha)
        a, bg = alpha[..., None], np.array(BLUE, np.float32)
        out = np.where(a <= 0, bg, np.where(a >= 1, rgb, a * fg + (1 - a) * bg))
        return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))

    # --- the whole run

    def run(self, data):
        """One photo through every stage; returns (stage times in ms, output JPEG)."""
        lap = Laps()
        src = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
        lap("decode")

        k_det = max(1, -(-max(src.size) // DETECT_SIDE))
        det_img = src.reduce(k_det) if k_det > 1 else src
        faces = self.detect(det_img)
        if not len(faces):
            raise ValueError("no face found")
        lap("detect")

        preview = det_img.copy()
        preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.BILINEAR)
        jpeg(preview, PREVIEW_QUALITY)
        # The working copy: enough pixels across the face (find.rs, work_factor).
        k_work = int(np.clip(faces[0, 2] * k_det // WORK_FACE_PX, 1, k_det * 4))
        work = src if k_work == 1 else det_img if k_work == k_det else src.reduce(k_work)
        pyr = Pyramid(work)
        faces[:, :16] *= k_det / k_work
        lap("resample")

        pts, presence = self.face_mesh(pyr, faces[0])
        if presence < 0.9:
            raise ValueError(f"not a human face (presence {presence:.2f})")
        for d in faces[1:]:  # other people, each confirmed by one mesh reading
            self.read_mesh(pyr, rotated_square(d[:2], d[2:4].max() * 1.5, eye_angle(d), 192))
        self.iris(pyr, pts[L_OUT], pts[L_IN], False)
        self.iris(pyr, pts[R_OUT], pts[R_IN], True)
        lap("landmarks")

        person, hair = self.segment(pyr, pts)
        lap("segment")

        self.describe(pyr, pts)
        lap("descriptor")

        out = self.composite(pyr, pts, k_work, person, hair)
        lap("composite")

        data = encode(out)
        lap("encode")
        return lap.stages, data


def face_geometry(pts):
    """Face width (cheek to cheek), its centre x and the eye line's height."""
    return (float(np.linalg.norm(pts[CHEEK_L] - pts[CHEEK_R])),
            float(pts[[CHEEK_L, CHEEK_R], 0].mean()), float(pts[[L_OUT, R_OUT], 1].mean()))


def grid_at(prob, mg, mo):
    """Probability grid `prob`, read through axis frame `mg`, at each pixel of output frame `mo`
    (bilinear, 0 outside the grid)."""
    k = mo[0, 0] / mg[0, 0]
    data = (k, 0, (mo[0, 2] - mg[0, 2]) / mg[0, 0], 0, k, (mo[1, 2] - mg[1, 2]) / mg[0, 0])
    img = Image.fromarray(prob.astype(np.float32), "F")
    return np.asarray(img.transform((OUT_W, OUT_H), Image.AFFINE, data, Image.BILINEAR, fillcolor=0.0))


def quantile(v, q):
    """The q-quantile as `idphoto bench` takes it: the nearest rank, no interpolation, a half
    rounded up as Rust's `f64::round` does (Python's `round` goes to the even one)."""
    v = sorted(v)
    return v[math.floor((len(v) - 1) * q + 0.5)]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def process_age_ms():
    """Time since this process started (from /proc/self/stat's start time, in clock ticks,
    against /proc/uptime): 10 ms resolution on a usual kernel. Counts the interpreter's own
    start-up and the imports, which a timer inside the script would miss."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--save", metavar="OUT.jpg", help="write the first run's output JPEG")
    ap.add_argument("--cold", metavar="FILE", help="load the models, run FILE once, report the process's age")
    ap.add_argument("--models", action="store_true", help="time each model alone and stop")
    a = ap.parse_args()
    if a.models:
        return time_models()
    if not a.files and not a.cold:
        ap.error("give FILES or --cold FILE")

    t = time.perf_counter()
    pipe = Pipeline()
    load_ms = (time.perf_counter() - t) * 1e3

    if a.cold:
        data = Path(a.cold).read_bytes()
        t = time.perf_counter()
        try:
            pipe.run(data)
        except ValueError as e:
            sys.exit(f"{a.cold}: {e}")
        run_ms = (time.perf_counter() - t) * 1e3
        age = process_age_ms()
        if a.json:
            print(json.dumps({"load_ms": load_ms, "run_ms": run_ms, "process_ms": age,
                              "peak_rss_mb": peak_rss_mb()}))
        else:
            print(f"models loaded in {load_ms:.0f} ms, {a.cold} checked in {run_ms:.0f} ms, "
                  f"{age:.0f} ms since the process started; peak RSS {peak_rss_mb():.0f} MB")
        return

    if not a.json:
        print(f"models loaded in {load_ms:.0f} ms")
    report = {"load_ms": load_ms, "files": {}}
    for path in a.files:
        data = Path(path).read_bytes()
        laps, totals = {}, []
        for i in range(a.runs):  # every run counted, as idphoto bench does: p50 hides the first
            t = time.perf_counter()
            try:
                stages, out = pipe.run(data)
            except ValueError as e:  # a refused photo: the bench is for photos that pass
                sys.exit(f"{path}: {e}")
            totals.append((time.perf_counter() - t) * 1e3)
            for s, ms in stages.items():
                laps.setdefault(s, []).append(ms)
            if i == 0 and a.save:
                Path(a.save).write_bytes(out)
                a.save = None
        report["files"][path] = {"stages": {s: quantile(v, 0.5) for s, v in laps.items()},
                                 "total_p50": quantile(totals, 0.5), "runs": a.runs}
        if not a.json:
            w, h = ImageOps.exif_transpose(Image.open(path)).size
            print(f"{path}: {w}×{h} ({w * h / 1e6:.1f} MP), {a.runs} runs")
            for s, v in list(laps.items()) + [("total", totals)]:
                print(f"  {s:<10} p50 {quantile(v, 0.5):7.1f} ms  p95 {quantile(v, 0.95):7.1f} ms")
    report["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(report) if a.json else f"peak RSS {report['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
