//! Each photo model alone: its load from the ONNX file and from the compiled
//! NNEF the engine uses (one thread), how far apart the two run on a varied
//! input, and its run time on that input (median of 30 runs), to separate
//! inference from the pixel work around it. Then the engine's load of all
//! seven (two threads).

use std::time::Instant;

use photo::models::{Model, PHOTO};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    // As `Engine::load` does first.
    photo::heap::hold_large_buffers();
    println!("model                              onnx load  compiled load  max |Δ| / range   run");
    let (mut onnx_total, mut compiled_total) = (0.0, 0.0);
    for (source, compiled) in PHOTO {
        let t = Instant::now();
        let from_onnx = Model::load(source).expect("onnx");
        let onnx_ms = ms(t);
        let t = Instant::now();
        let model = Model::load_compiled(compiled).expect("compiled");
        let compiled_ms = ms(t);
        onnx_total += onnx_ms;
        compiled_total += compiled_ms;
        let n: usize = source.input.iter().product();
        let input: Vec<f32> = (0..n).map(|i| ((i * 7919) % 255) as f32 / 255.0).collect();
        let want = from_onnx.run(input.clone()).expect("run");
        let got = model.run(input.clone()).expect("run");
        let range = want.iter().flatten().fold(0f32, |m, v| m.max(v.abs()));
        let apart = got
            .iter()
            .flatten()
            .zip(want.iter().flatten())
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        let mut times: Vec<f64> = (0..30)
            .map(|_| {
                let t = Instant::now();
                model.run(input.clone()).expect("run");
                ms(t)
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{:<34} {onnx_ms:7.1} ms {compiled_ms:10.1} ms   {apart:.1e} / {range:<7.3} {:6.1} ms",
            source.name, times[15]
        );
    }
    println!("one thread, all seven: onnx {onnx_total:.0} ms, compiled {compiled_total:.0} ms");
    let t = Instant::now();
    photo::Models::load().expect("models");
    println!("engine's load (two threads): {:.0} ms", ms(t));
}
