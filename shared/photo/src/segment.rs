//! Segmentation on a square region around the student, readable at any
//! source position: the person (MediaPipe selfie model, 256²) and the hair
//! (MediaPipe hair model, 512²).

use crate::error::PhotoError;
use crate::landmarks::{Mesh, idx};
use crate::models::Model;
use crate::raster::{Frame, Pyramid, floor_i32};

/// A probability per cell of an `n`×`n` grid laid over a square of the source.
#[derive(Clone)]
pub struct Grid {
    frame: Frame,
    n: u32,
    prob: Vec<f32>,
}

impl Grid {
    /// Probability at a source position (bilinear; 0 outside the region).
    pub fn at(&self, x: f32, y: f32) -> f32 {
        self.blend(self.tap(x, 0), self.tap(y, 1))
    }

    /// Probability at every point of a grid of source positions, `xs` across and `ys` down:
    /// [`Grid::at`] with each column's and row's taps found once.
    pub fn at_each(&self, xs: &[f32], ys: &[f32]) -> Vec<f32> {
        let cols: Vec<_> = xs.iter().map(|&x| self.tap(x, 0)).collect();
        ys.iter()
            .flat_map(|&y| {
                let row = self.tap(y, 1);
                cols.iter().map(move |&col| self.blend(col, row))
            })
            .collect()
    }

    /// The first cell along `axis` (0: x, 1: y) at or before a source coordinate, and the
    /// next one's weight.
    #[inline]
    fn tap(&self, p: f32, axis: usize) -> (i32, f32) {
        let t = (p - self.frame.origin[axis]) / self.frame.step() - 0.5;
        let i = floor_i32(t);
        (i, t - i as f32)
    }

    #[inline]
    fn blend(&self, (u0, au): (i32, f32), (v0, av): (i32, f32)) -> f32 {
        let n = self.n as i32;
        let get = |i: i32, j: i32| {
            if i < 0 || j < 0 || i >= n || j >= n {
                0.0
            } else {
                self.prob[(j * n + i) as usize]
            }
        };
        let top = get(u0, v0) * (1.0 - au) + get(u0 + 1, v0) * au;
        let bottom = get(u0, v0 + 1) * (1.0 - au) + get(u0 + 1, v0 + 1) * au;
        top * (1.0 - av) + bottom * av
    }

    /// The region's top edge in source pixels.
    fn top(&self) -> f32 {
        self.frame.origin[1]
    }

    /// Source position of cell `k`'s centre.
    fn centre(&self, k: usize) -> [f32; 2] {
        let n = self.n as usize;
        self.frame
            .to_source((k % n) as f32 + 0.5, (k / n) as f32 + 0.5)
    }
}

const N: u32 = 256;

/// Person probability over a square region of the source.
pub struct PersonMask(Grid);

impl PersonMask {
    /// Segment the square of side `side` with top-left corner `(x0, y0)`;
    /// outside the photo the region is black, which the model reads as
    /// background.
    pub fn run(
        model: &Model,
        img: &Pyramid,
        x0: f32,
        y0: f32,
        side: f32,
    ) -> Result<Self, PhotoError> {
        let frame = Frame::axis(x0, y0, side / N as f32);
        let px = img.sample(&frame, N, N, [0.0; 3]);
        // A person where both readings see one: the selfie model takes a
        // patch of gravel or a cup's rim for the student in one reading and
        // not in the other, and hair it misses is added back from the hair
        // mask (on the matting benchmark the stray background over gravel
        // fell from 0.98 to 0.29 per mille, the worst from 5.4 to 1.9).
        let prob = both_ways(
            &px,
            N as usize,
            |px| person_probability(model, px),
            f32::min,
        )?;
        let mut mask = Self(Grid { frame, n: N, prob });
        mask.keep_main_person_only();
        Ok(mask)
    }

    /// Person probability at a source position (0 outside the region).
    pub fn at(&self, x: f32, y: f32) -> f32 {
        self.0.at(x, y)
    }

    /// [`PersonMask::at`] at every point of a grid of source positions, row by row.
    pub fn at_each(&self, xs: &[f32], ys: &[f32]) -> Vec<f32> {
        self.0.at_each(xs, ys)
    }

    /// The person as the output shows them: the selfie model's person, bound
    /// to where a head can be above the ear lobes ([`HeadShape`]), and all the
    /// hair model sees. What else the selfie model takes for person beside
    /// the head (a cup's rim, a chair back, a coat on a hook) is background;
    /// hair it misses against a textured background (a ponytail over gravel)
    /// is person. Above the hair model's square (a tall bun) the selfie mask
    /// stands; beside it (more than 1.2 fw from the face's centre) no hair
    /// can be. Also returns the area the bound took out, in fw².
    pub fn head_and_shoulders(&self, hair: &HairMask, mesh: &Mesh) -> (Self, f32) {
        let head = HeadShape::of(mesh);
        let mut grid = self.0.clone();
        let cell = grid.frame.step() / head.fw;
        let mut removed = 0.0;
        for k in 0..grid.prob.len() {
            let [x, y] = grid.centre(k);
            if y >= hair.0.top() {
                // Under 0.3 the hair model is in doubt about a textured
                // background, over 0.6 it sees hair: a ramp between, so its
                // doubt leaves no faint ghost of what stood there.
                let hair = ((hair.at(x, y) - 0.3) / 0.3).clamp(0.0, 1.0);
                let p = grid.prob[k];
                let bound = p.min(head.inside(x, y));
                let w = head.weight(y);
                let kept = w * bound + (1.0 - w) * p;
                removed += (p - kept.max(hair)).max(0.0) * cell * cell;
                grid.prob[k] = kept.max(hair);
            }
        }
        (Self(grid), removed)
    }

    /// The model marks anything person-like; a second person or a coat on a
    /// chair elsewhere in the region must not survive into the photo. Keep
    /// the connected part that holds the region's centre column (the region
    /// is centred on the student's face) and drop other islands.
    fn keep_main_person_only(&mut self) {
        let n = N as usize;
        let on: Vec<bool> = self.0.prob.iter().map(|&p| p > 0.5).collect();
        let mut label = vec![0u32; n * n];
        let mut next = 0u32;
        let mut sizes = vec![0usize];
        let mut stack = Vec::new();
        for start in 0..n * n {
            if !on[start] || label[start] != 0 {
                continue;
            }
            next += 1;
            sizes.push(0);
            label[start] = next;
            stack.push(start);
            while let Some(i) = stack.pop() {
                sizes[next as usize] += 1;
                let (x, y) = (i % n, i / n);
                let mut visit = |j: usize| {
                    if on[j] && label[j] == 0 {
                        label[j] = next;
                        stack.push(j);
                    }
                };
                if x > 0 {
                    visit(i - 1);
                }
                if x + 1 < n {
                    visit(i + 1);
                }
                if y > 0 {
                    visit(i - n);
                }
                if y + 1 < n {
                    visit(i + n);
                }
            }
        }
        // The label most present in the centre column's middle half.
        let mut votes = vec![0usize; sizes.len()];
        for y in n / 4..3 * n / 4 {
            votes[label[y * n + n / 2] as usize] += 1;
        }
        votes[0] = 0;
        let Some((main, _)) = votes
            .iter()
            .enumerate()
            .max_by_key(|(_, v)| **v)
            .filter(|(_, v)| **v > 0)
        else {
            return;
        };
        for (p, l) in self.0.prob.iter_mut().zip(&label) {
            if *l != 0 && *l as usize != main {
                *p = 0.0;
            }
        }
    }
}

/// Where the student's head can be, from the mesh, in face widths (fw,
/// cheek to cheek): the skull and face as an ellipse from 0.45 fw above the
/// mesh's forehead point (the crown of a shaved head) to the chin and 0.58
/// fw either side of the centre, with everything straight above it, and the
/// ears as a band out to 0.72 fw from the brows to below the lobes. It
/// bounds the person only above the lobes: lower, shoulders and collars may
/// rise beside the jaw (a shrug, a coat), so the bound fades out over the
/// 0.15 fw below them. Edges are soft over 0.05 fw.
struct HeadShape {
    centre_x: f32,
    fw: f32,
    top: f32,
    chin_y: f32,
    ears: [f32; 2],
    lobe_y: f32,
}

impl HeadShape {
    fn of(mesh: &Mesh) -> Self {
        let fw = mesh.face_width();
        let lobe_y = mesh.xy(idx::LOBE_LEFT)[1].max(mesh.xy(idx::LOBE_RIGHT)[1]);
        Self {
            centre_x: mesh.centre_x(),
            fw,
            top: mesh.xy(idx::FOREHEAD)[1] - 0.45 * fw,
            chin_y: mesh.xy(idx::CHIN)[1],
            ears: [mesh.eye_line() - 0.25 * fw, lobe_y + 0.1 * fw],
            lobe_y,
        }
    }

    /// How much the shape bounds the person at height `y`: 1 above the
    /// lobes, fading to 0 over the next 0.15 fw.
    fn weight(&self, y: f32) -> f32 {
        (1.0 - (y - self.lobe_y) / (0.15 * self.fw)).clamp(0.0, 1.0)
    }

    /// 1 inside, 0 beyond the soft edge.
    fn inside(&self, x: f32, y: f32) -> f32 {
        let fw = self.fw;
        let soft = |d: f32| (0.5 - d / (0.05 * fw)).clamp(0.0, 1.0);
        let dx = (x - self.centre_x).abs();
        let (cy, hy) = (
            (self.top + self.chin_y) / 2.0,
            (self.chin_y - self.top) / 2.0,
        );
        let r = ((dx / (0.58 * fw)).powi(2) + ((y - cy) / hy).powi(2)).sqrt();
        let skull = soft((r - 1.0) * 0.58 * fw);
        // Straight above the skull nothing is taken out: a hat or a hood
        // is the student's, stays in the photo and is judged there.
        let crown = if y < cy { soft(dx - 0.58 * fw) } else { 0.0 };
        let ears = if (self.ears[0]..self.ears[1]).contains(&y) {
            soft(dx - 0.72 * fw)
        } else {
            0.0
        };
        skull.max(crown).max(ears)
    }
}

/// The hair model's input side.
const HAIR_N: u32 = 512;

/// Hair probability over a square region around the head.
pub struct HairMask(Grid);

impl HairMask {
    /// Segment the square of side `side` centred on `centre`. Outside the
    /// photo the crop is mid-grey: black would read as dark hair, and a tight
    /// crop would seem to have hair beyond its edge.
    pub fn run(
        model: &Model,
        img: &Pyramid,
        centre: [f32; 2],
        side: f32,
    ) -> Result<Self, PhotoError> {
        let frame = Frame::axis(
            centre[0] - side / 2.0,
            centre[1] - side / 2.0,
            side / HAIR_N as f32,
        );
        let px = img.sample(&frame, HAIR_N, HAIR_N, [128.0; 3]);
        let prob = both_ways(&px, HAIR_N as usize, |px| hair_probability(model, px), mean)?;
        Ok(Self(Grid {
            frame,
            n: HAIR_N,
            prob,
        }))
    }

    /// Hair probability at a source position (0 outside the region).
    pub fn at(&self, x: f32, y: f32) -> f32 {
        self.0.at(x, y)
    }
}

/// A model's probability per pixel of an `n`×`n` crop centred on the face,
/// read on the crop and on its mirror image and combined back in place:
/// alone, the hair model's answer at a strand's edge differs by up to 0.26
/// between a photo and its mirror (tests/mirror.rs), and every check read
/// from these masks (hair over brows or ears, an earring beside the person,
/// an object beside the head) is about the face's two sides alike, so it
/// must not change when the photo is mirrored. `combine` is symmetric.
fn both_ways(
    px: &[[f32; 3]],
    n: usize,
    probability: impl Fn(&[[f32; 3]]) -> Result<Vec<f32>, PhotoError>,
    combine: impl Fn(f32, f32) -> f32,
) -> Result<Vec<f32>, PhotoError> {
    let mirrored: Vec<[f32; 3]> = px
        .chunks_exact(n)
        .flat_map(|row| row.iter().rev().copied())
        .collect();
    let straight = probability(px)?;
    let flipped = probability(&mirrored)?;
    Ok(straight
        .chunks_exact(n)
        .zip(flipped.chunks_exact(n))
        .flat_map(|(a, b)| a.iter().zip(b.iter().rev()).map(|(a, b)| combine(*a, *b)))
        .collect())
}

fn mean(a: f32, b: f32) -> f32 {
    (a + b) / 2.0
}

/// The selfie model's person probability per pixel of an `N`² crop.
fn person_probability(model: &Model, px: &[[f32; 3]]) -> Result<Vec<f32>, PhotoError> {
    let input: Vec<f32> = px.iter().flat_map(|p| p.map(|c| c / 255.0)).collect();
    model
        .run(input)?
        .into_iter()
        .find(|o| o.len() == (N * N) as usize)
        .ok_or_else(|| PhotoError::model("selfie segmentation", "unexpected output shape"))
}

/// The hair model's probability per pixel of a `HAIR_N`² crop.
fn hair_probability(model: &Model, px: &[[f32; 3]]) -> Result<Vec<f32>, PhotoError> {
    // RGB in [0, 1] and the previous frame's mask, none for a still.
    let input: Vec<f32> = px
        .iter()
        .flat_map(|p| [p[0] / 255.0, p[1] / 255.0, p[2] / 255.0, 0.0])
        .collect();
    let out = model.run(input)?;
    let logits = out
        .into_iter()
        .find(|o| o.len() == (2 * HAIR_N * HAIR_N) as usize)
        .ok_or_else(|| PhotoError::model("hair segmentation", "unexpected output shape"))?;
    // Softmax of two logits: the hair channel is 1.
    Ok(logits
        .chunks_exact(2)
        .map(|l| 1.0 / (1.0 + (l[0] - l[1]).exp()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A face 100 px wide centred at x = 200: forehead point at y = 100,
    /// eyes at 140, lobes at 190, chin at 230.
    fn mesh() -> Mesh {
        let mut points = vec![[200.0, 160.0, 0.0]; 468];
        let mut put = |i: usize, x: f32, y: f32| points[i] = [x, y, 0.0];
        put(idx::CHEEK_LEFT, 150.0, 150.0);
        put(idx::CHEEK_RIGHT, 250.0, 150.0);
        put(idx::FOREHEAD, 200.0, 100.0);
        put(idx::CHIN, 200.0, 230.0);
        put(idx::LOBE_LEFT, 155.0, 190.0);
        put(idx::LOBE_RIGHT, 245.0, 190.0);
        put(idx::LEFT_EYE_OUTER, 165.0, 140.0);
        put(idx::RIGHT_EYE_OUTER, 235.0, 140.0);
        Mesh {
            points,
            presence: 1.0,
        }
    }

    /// A grid of `n`² cells of 2 px over the square from (0, 0), with
    /// probability `p(x, y)` at each cell's centre.
    fn grid(n: u32, p: impl Fn(f32, f32) -> f32) -> Grid {
        let frame = Frame::axis(0.0, 0.0, 2.0);
        let prob = (0..n * n)
            .map(|k| p((k % n) as f32 * 2.0 + 1.0, (k / n) as f32 * 2.0 + 1.0))
            .collect();
        Grid { frame, n, prob }
    }

    #[test]
    fn objects_beside_the_head_go_hair_and_hats_stay() {
        // The selfie model calls everything person; the hair model sees a
        // lock at (120, 150), beside the head.
        let person = PersonMask(grid(200, |_, _| 1.0));
        let hair = HairMask(grid(200, |x, y| {
            if (x - 120.0).abs() < 6.0 && (y - 150.0).abs() < 6.0 {
                1.0
            } else {
                0.0
            }
        }));
        let (bound, removed) = person.head_and_shoulders(&hair, &mesh());
        // Beside the head above the lobes (80 px = 0.8 fw from the centre):
        // a cup's rim, gone.
        assert_eq!(bound.at(280.0, 150.0), 0.0);
        // The face, the ear (0.65 fw out at eye height), straight above the
        // skull (a hat) and the lock of hair stay.
        for (x, y) in [
            (200.0, 150.0),
            (265.0, 150.0),
            (200.0, 20.0),
            (120.0, 150.0),
        ] {
            assert_eq!(bound.at(x, y), 1.0, "({x}, {y})");
        }
        // Below the lobes the shoulders may be anywhere.
        assert_eq!(bound.at(330.0, 260.0), 1.0);
        // What was taken out is counted, in face widths².
        assert!(removed > 1.0 && removed < 16.0, "{removed}");
    }
}
