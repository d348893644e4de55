//! Every check read from the hair mask concerns both sides of the face alike
//! (hair over the brows, the eyes, the ears; what is on the crown), so the
//! mask must not depend on which way the photo faces.

mod common;

use common::{read, repo_fixtures};
use photo::Models;
use photo::raster::Pyramid;
use photo::segment::HairMask;

#[test]
fn the_hair_mask_of_a_mirrored_photo_is_the_mirrored_hair_mask() {
    let models = Models::load().unwrap();
    let photo = read(&repo_fixtures(), "pass_frontal_woman_02.jpg");
    let img = image::load_from_memory(&photo).unwrap().to_rgb8();
    // Whole 64-pixel blocks, so every level of the pyramid mirrors exactly too.
    let (w, h) = (img.width() / 64 * 64, img.height() / 64 * 64);
    let img = image::imageops::crop_imm(&img, 0, 0, w, h).to_image();
    let mirrored = image::imageops::flip_horizontal(&img);
    let (w, h) = (w as f32, h as f32);
    // Off the middle, so the crop itself is not its own mirror image.
    let (cx, cy, side) = (w * 0.45, h * 0.4, w * 0.6);
    let straight = HairMask::run(&models.hair, &Pyramid::new(&img), [cx, cy], side).unwrap();
    let turned = HairMask::run(&models.hair, &Pyramid::new(&mirrored), [w - cx, cy], side).unwrap();
    let mut worst = 0f32;
    for i in 0..64 {
        for j in 0..64 {
            let x = cx - side / 2.0 + (i as f32 + 0.5) * side / 64.0;
            let y = cy - side / 2.0 + (j as f32 + 0.5) * side / 64.0;
            worst = worst.max((straight.at(x, y) - turned.at(w - x, y)).abs());
        }
    }
    assert!(
        worst < 0.01,
        "hair probability differs by {worst} when mirrored"
    );
}
