//! Time each model alone on a zero input (median of 30 runs), to separate
//! inference from the pixel work around it.

use std::time::Instant;

fn main() {
    let t = Instant::now();
    let m = photo::Models::load().expect("models");
    println!("load {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let all = [
        ("short_range", &m.short_range, 3 * 128 * 128),
        ("full_range", &m.full_range, 3 * 192 * 192),
        ("face_mesh", &m.face_mesh, 3 * 192 * 192),
        ("iris", &m.iris, 3 * 64 * 64),
        ("selfie", &m.selfie, 3 * 256 * 256),
        ("hair", &m.hair, 4 * 512 * 512),
        ("descriptor", &m.descriptor, 3 * 150 * 150),
    ];
    for (name, model, n) in all {
        let mut times: Vec<f64> = (0..30)
            .map(|_| {
                let t = Instant::now();
                model.run(vec![0.5; n]).expect("run");
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!("{name:<12} {:.1} ms", times[15]);
    }
}
