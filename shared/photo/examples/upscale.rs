//! Make a large benchmark photo from a fixture when no real 12-megapixel
//! photo is at hand: `cargo run --release --example upscale IN OUT.jpg WIDTH HEIGHT`.
//! (Lanczos enlargement, JPEG quality 92, like a phone's output.)

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, w, h] = args.as_slice() else {
        eprintln!("usage: upscale IN OUT.jpg WIDTH HEIGHT");
        std::process::exit(2);
    };
    let img = image::open(input).expect("read input");
    let big = img.resize_exact(
        w.parse().expect("width"),
        h.parse().expect("height"),
        image::imageops::FilterType::Lanczos3,
    );
    let mut out = std::fs::File::create(output).expect("create output");
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&big.to_rgb8())
        .expect("encode");
}
