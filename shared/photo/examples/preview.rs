//! Write a small PNG of any photo (EXIF orientation applied), to look at
//! inputs and outputs while developing: `cargo run --example preview IN OUT.png`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: preview IN OUT.png");
        std::process::exit(2);
    };
    let bytes = std::fs::read(input).expect("read input");
    let decoded = photo::decode::decode(&bytes, &Default::default()).expect("decode");
    let img = image::DynamicImage::ImageRgb8(decoded.image);
    let img = if img.width().max(img.height()) > 480 {
        img.thumbnail(480, 480)
    } else {
        img
    };
    img.save(output).expect("write png");
}
