"""Ground-truth cut-outs for the matting benchmark (run once; the results are committed).

A plain-background studio portrait is keyed against its own backdrop: the backdrop is
followed by a smooth local average grown from the border, every pixel clearly off it and
enclosed by the person is sure foreground, the backdrop connected to the border is sure
background, and the band between is solved by closed-form matting (Levin, Lischinski and
Weiss 2008) with foreground colours estimated by pymatting's multi-level method. The
result is an RGBA PNG: straight (not premultiplied) foreground colour and alpha.

    pip install pymatting pillow numpy scipy
    python3 tools/matting_truth.py OUT_DIR PHOTO.jpg...

It also writes OUT_DIR/check.png: every cut-out over red, green and black, the way to
check the alpha by eye (a halo of the old grey or holes in the hair show at once).
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from pymatting import estimate_alpha_cf, estimate_foreground_ml
from scipy import ndimage

SIDE = 675  # half the London Set's 1350 px: hair strands stay 1-2 px wide


def backdrop(img: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """The backdrop colour everywhere: a normalised Gaussian average of the pixels in
    `sel`, so its shading (vignette, the person's shadow) is followed, not fitted."""
    w = ndimage.gaussian_filter(sel.astype(float), 25)
    sums = np.dstack([ndimage.gaussian_filter(img[..., c] * sel, 25) for c in range(3)])
    far = ndimage.gaussian_filter(sel.astype(float), 120)
    sums_far = np.dstack([ndimage.gaussian_filter(img[..., c] * sel, 120) for c in range(3)])
    near = sums / np.maximum(w, 1e-6)[..., None]
    wide = sums_far / np.maximum(far, 1e-6)[..., None]
    return np.where((w > 0.05)[..., None], near, wide)


def connected_to_border(mask: np.ndarray) -> np.ndarray:
    labels, _ = ndimage.label(mask)
    h = mask.shape[0]
    border = set(labels[0, :]) | set(labels[: int(h * 0.8), 0]) | set(labels[: int(h * 0.8), -1])
    border.discard(0)
    return np.isin(labels, list(border))


def trimap(img: np.ndarray) -> np.ndarray:
    """Grow the backdrop from the top and the sides above the shoulders: each round
    re-estimates its local colour from what is already backdrop and takes in every
    pixel within ΔRGB 10 of it that touches the border."""
    h, w, _ = img.shape
    bg = np.zeros((h, w), bool)
    bg[: h // 14, :] = True
    bg[: int(h * 0.5), : w // 16] = True
    bg[: int(h * 0.5), -w // 16 :] = True
    for _ in range(4):
        d = np.linalg.norm(img - backdrop(img, bg), axis=-1) * 255
        bg = connected_to_border(d < 10)
    # Backdrop seen through hair but enclosed by it is not sure of either: the
    # closed-form solution decides it. Below the hair (the London Set's shoulders
    # start at two thirds of the height) a white shirt can shade to the backdrop's
    # grey, so there the whole enclosed silhouette is sure.
    sure = ndimage.binary_opening(d >= 10, iterations=2) & ~bg
    body = ndimage.binary_fill_holes(~bg)
    sure[int(h * 0.68) :] = body[int(h * 0.68) :]
    tri = np.full(bg.shape, 0.5)
    tri[ndimage.binary_erosion(bg, iterations=10)] = 0.0
    tri[ndimage.binary_erosion(sure, iterations=8)] = 1.0
    return tri


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    check = []
    for path in map(Path, sys.argv[2:]):
        img = Image.open(path).convert("RGB").resize((SIDE, SIDE), Image.LANCZOS)
        rgb = np.asarray(img, np.float64) / 255
        # Alpha from luma alone: the JPEG's chroma is stored at half resolution in
        # 16 px blocks, which a colour solve turns into a staircase along the hair.
        luma = np.repeat((rgb @ [0.299, 0.587, 0.114])[..., None], 3, -1)
        alpha = estimate_alpha_cf(luma, trimap(rgb))
        alpha = np.where(alpha < 0.01, 0.0, np.where(alpha > 0.99, 1.0, alpha))
        fg = estimate_foreground_ml(rgb, alpha) * (alpha[..., None] > 0)
        rgba = np.dstack([fg, alpha])
        Image.fromarray(np.round(rgba * 255).astype(np.uint8), "RGBA").save(
            out / (path.stem + ".png"), optimize=True
        )
        row = [
            fg * alpha[..., None] + np.array(c) * (1 - alpha[..., None])
            for c in ([1.0, 0.0, 0.0], [0.0, 0.8, 0.0], [0.0, 0.0, 0.0])
        ]
        check.append(np.hstack(row))
    sheet = np.vstack(check)
    Image.fromarray(np.round(sheet * 255).astype(np.uint8)).save(out / "check.png")


if __name__ == "__main__":
    main()
