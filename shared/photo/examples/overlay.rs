//! Draw where the earring and neck measurements look, on a photo, to check
//! the geometry by eye: `cargo run --release --example overlay IN OUT.png`.

use photo::landmarks::idx;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: overlay IN OUT.png");
        std::process::exit(2);
    };
    let engine = photo::Engine::load().expect("models");
    let bytes = std::fs::read(input).expect("read input");
    let mut img = photo::decode::decode(&bytes, &Default::default())
        .expect("decode")
        .image;
    let mesh = engine.find_face(&img).expect("run").expect("a face");
    let (l, r) = (mesh.xy(idx::CHEEK_LEFT), mesh.xy(idx::CHEEK_RIGHT));
    let fw = ((l[0] - r[0]).powi(2) + (l[1] - r[1]).powi(2)).sqrt();
    let roll = mesh.roll();
    let right = [roll.cos(), roll.sin()];
    let along = |p: [f32; 2], kx: f32, ky: f32| {
        let down = [-right[1], right[0]];
        [
            p[0] + fw * (kx * right[0] + ky * down[0]),
            p[1] + fw * (kx * right[1] + ky * down[1]),
        ]
    };
    let mut ring = |c: [f32; 2], rad: f32, colour: [u8; 3]| {
        for k in 0..64 {
            let a = k as f32 / 64.0 * std::f32::consts::TAU;
            let (x, y) = (c[0] + rad * a.cos(), c[1] + rad * a.sin());
            if x >= 0.0 && y >= 0.0 && (x as u32) < img.width() && (y as u32) < img.height() {
                img.put_pixel(x as u32, y as u32, image::Rgb(colour));
            }
        }
    };
    // The earring strips (measure.rs): image axes, because a pendant hangs
    // plumb; from 0.10 fw inside each lobe point to 0.20 fw outside it, and
    // from 0.02 fw above it to 0.50 fw below.
    for (k, outward) in [(idx::LOBE_LEFT, -1.0f32), (idx::LOBE_RIGHT, 1.0)] {
        let p = mesh.xy(k);
        let (xa, xb) = (p[0] - outward * 0.10 * fw, p[0] + outward * 0.20 * fw);
        let (ya, yb) = (p[1] - 0.02 * fw, p[1] + 0.50 * fw);
        for t in 0..=100 {
            let t = t as f32 / 100.0;
            for q in [
                [xa + (xb - xa) * t, ya],
                [xa + (xb - xa) * t, yb],
                [xa, ya + (yb - ya) * t],
                [xb, ya + (yb - ya) * t],
            ] {
                ring(q, 1.0, [255, 0, 0]);
            }
        }
        ring(p, fw * 0.02, [255, 0, 0]);
    }
    // The neck discs of the necklace measure.
    for kx in [-0.15f32, 0.0, 0.15] {
        ring(along(mesh.xy(idx::CHIN), kx, 0.3), fw * 0.08, [0, 128, 255]);
    }
    for i in [idx::CHEEK_LEFT, idx::CHEEK_RIGHT, idx::CHIN, idx::FOREHEAD] {
        ring(mesh.xy(i), fw * 0.02, [0, 255, 0]);
    }
    let img = image::DynamicImage::ImageRgb8(img).thumbnail(480, 480);
    img.save(output).expect("write png");
}
