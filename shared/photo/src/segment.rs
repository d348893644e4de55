//! Segmentation on a square region around the student, readable at any
//! source position: the person (MediaPipe selfie model, 256²) and the hair
//! (MediaPipe hair model, 512²).

use crate::error::PhotoError;
use crate::models::Model;
use crate::raster::{Frame, Pyramid, floor_i32};

/// A probability per cell of an `n`×`n` grid laid over a square of the source.
pub struct Grid {
    frame: Frame,
    n: u32,
    prob: Vec<f32>,
}

impl Grid {
    /// Probability at a source position (bilinear; 0 outside the region).
    pub fn at(&self, x: f32, y: f32) -> f32 {
        let s = self.frame.step();
        let u = (x - self.frame.origin[0]) / s - 0.5;
        let v = (y - self.frame.origin[1]) / s - 0.5;
        let n = self.n as i32;
        let (u0, v0) = (floor_i32(u), floor_i32(v));
        let (au, av) = (u - u0 as f32, v - v0 as f32);
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
        let input: Vec<f32> = px.iter().flat_map(|p| p.map(|c| c / 255.0)).collect();
        let out = model.run(input)?;
        let prob = out
            .into_iter()
            .find(|o| o.len() == (N * N) as usize)
            .ok_or_else(|| PhotoError::model("selfie segmentation", "unexpected output shape"))?;
        let mut mask = Self(Grid { frame, n: N, prob });
        mask.keep_main_person_only();
        Ok(mask)
    }

    /// Person probability at a source position (0 outside the region).
    pub fn at(&self, x: f32, y: f32) -> f32 {
        self.0.at(x, y)
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
        let prob = logits
            .chunks_exact(2)
            .map(|l| 1.0 / (1.0 + (l[0] - l[1]).exp()))
            .collect();
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
