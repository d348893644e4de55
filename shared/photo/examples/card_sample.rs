//! One synthetic ID-card photo, as the reader's tests make it: `cargo run -p photo --features
//! synth --example card_sample -- SEED OUT.jpg [WIDTHxHEIGHT]` (the tests' card `i` is seed
//! 20261205 + i; a size such as 4000x3000 makes the 12-megapixel photo of the speed goal).
//! Prints the person drawn, so the reading can be compared by eye.

use photo::card::synth::{self, Shot};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(seed), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: card_sample SEED OUT.jpg [WIDTHxHEIGHT]".into());
    };
    let size = args
        .next()
        .map(|size| {
            let (w, h) = size.split_once('x').ok_or("size is WIDTHxHEIGHT")?;
            Ok::<_, String>((
                w.parse::<u32>().map_err(|e| e.to_string())?,
                h.parse::<u32>().map_err(|e| e.to_string())?,
            ))
        })
        .transpose()?;
    let seed: u64 = seed.parse().map_err(|_| "SEED is a number")?;
    let font = synth::font().ok_or(format!("no font at {}", synth::FONT_PATH))?;
    let portrait = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pass_frontal_woman_02.jpg"
    );
    let face = synth::holder_photo(&image::open(portrait).map_err(|e| e.to_string())?.to_rgb8());
    let mut rng = synth::rng(seed);
    let person = synth::person(&mut rng, &font);
    let card = synth::render(&person, &face, &font, &mut rng);
    let mut shot = Shot::random(&mut rng);
    if let Some((width, height)) = size {
        (shot.width, shot.height) = (width, height);
    }
    let (jpeg, _) = synth::photograph(&card, &shot, &mut rng);
    std::fs::write(&out, jpeg).map_err(|e| e.to_string())?;
    println!("{person:?}");
    Ok(())
}
