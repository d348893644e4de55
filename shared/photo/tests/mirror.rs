//! The standard is symmetric, and every check read from the face mesh, the
//! person mask and the hair mask concerns both sides of the face alike (hair
//! over the brows, the eyes, the ears; an earring below either lobe; what is
//! beside the head), so what the models say must not depend on which way
//! the photo faces: each is read on the crop and on its mirror image and
//! averaged. Without that, the mesh put a lobe a few pixels elsewhere on a
//! mirrored photo and the hair model's answer at a strand's edge differed by
//! up to 0.26, enough to turn a refusal into a pass.

mod common;

use common::{read, repo_fixtures};
use image::RgbImage;
use photo::Models;
use photo::landmarks::{self, mirror::PARTNER};
use photo::raster::Pyramid;
use photo::segment::{HairMask, PersonMask};

/// A compliant photo cut to whole 64-pixel blocks (so every level of the
/// pyramid mirrors exactly too), its mirror image, and its width and height.
fn photo_and_mirror() -> (RgbImage, RgbImage, f32, f32) {
    let photo = read(&repo_fixtures(), "pass_frontal_woman_02.jpg");
    let img = image::load_from_memory(&photo).unwrap().to_rgb8();
    let (w, h) = (img.width() / 64 * 64, img.height() / 64 * 64);
    let img = image::imageops::crop_imm(&img, 0, 0, w, h).to_image();
    let mirrored = image::imageops::flip_horizontal(&img);
    (img, mirrored, w as f32, h as f32)
}

/// The largest difference between `straight` at (x, y) and `turned` at the
/// mirrored position, over a 64² grid on the square at (x0, y0) of `side`.
fn worst_difference(
    straight: impl Fn(f32, f32) -> f32,
    turned: impl Fn(f32, f32) -> f32,
    w: f32,
    [x0, y0]: [f32; 2],
    side: f32,
) -> f32 {
    let mut worst = 0f32;
    for i in 0..64 {
        for j in 0..64 {
            let x = x0 + (i as f32 + 0.5) * side / 64.0;
            let y = y0 + (j as f32 + 0.5) * side / 64.0;
            worst = worst.max((straight(x, y) - turned(w - x, y)).abs());
        }
    }
    worst
}

#[test]
fn the_hair_mask_of_a_mirrored_photo_is_the_mirrored_hair_mask() {
    let models = Models::load().unwrap();
    let (img, mirrored, w, h) = photo_and_mirror();
    // Off the middle, so the crop itself is not its own mirror image.
    let (cx, cy, side) = (w * 0.45, h * 0.4, w * 0.6);
    let straight = HairMask::run(&models.hair, &Pyramid::new(&img), [cx, cy], side).unwrap();
    let turned = HairMask::run(&models.hair, &Pyramid::new(&mirrored), [w - cx, cy], side).unwrap();
    let corner = [cx - side / 2.0, cy - side / 2.0];
    let worst = worst_difference(
        |x, y| straight.at(x, y),
        |x, y| turned.at(x, y),
        w,
        corner,
        side,
    );
    assert!(
        worst < 0.01,
        "hair probability differs by {worst} when mirrored"
    );
}

#[test]
fn the_person_mask_of_a_mirrored_photo_is_the_mirrored_person_mask() {
    let models = Models::load().unwrap();
    let (img, mirrored, w, h) = photo_and_mirror();
    let (x0, y0, side) = (w * 0.1, h * 0.05, w * 0.7);
    let straight = PersonMask::run(&models.selfie, &Pyramid::new(&img), x0, y0, side).unwrap();
    let turned = PersonMask::run(
        &models.selfie,
        &Pyramid::new(&mirrored),
        w - x0 - side,
        y0,
        side,
    )
    .unwrap();
    let worst = worst_difference(
        |x, y| straight.at(x, y),
        |x, y| turned.at(x, y),
        w,
        [x0, y0],
        side,
    );
    assert!(
        worst < 0.01,
        "person probability differs by {worst} when mirrored"
    );
}

#[test]
fn the_mesh_of_a_mirrored_photo_is_the_mirrored_mesh() {
    let models = Models::load().unwrap();
    let (img, mirrored, w, h) = photo_and_mirror();
    // Off the face's middle and turned, so the crop is not its own mirror image.
    let (cx, cy, side, angle) = (w * 0.48, h * 0.4, w * 0.5, 0.05);
    let mesh = |img: &RgbImage, cx: f32, angle: f32| {
        landmarks::symmetric_mesh_at(&models.face_mesh, &Pyramid::new(img), [cx, cy], side, angle)
            .unwrap()
    };
    let straight = mesh(&img, cx, angle);
    let turned = mesh(&mirrored, w - cx, -angle);
    let worst = straight
        .points
        .iter()
        .zip(PARTNER)
        .map(|(p, j)| {
            let q = turned.points[j as usize];
            (p[0] - (w - q[0])).abs().max((p[1] - q[1]).abs())
        })
        .fold(0f32, f32::max);
    let fw = straight.face_width();
    assert!(fw > 100.0, "the face is found (width {fw} px)");
    assert!(
        worst < 0.01 * fw,
        "a mesh point moves {worst} px of a {fw} px face when mirrored"
    );
}
