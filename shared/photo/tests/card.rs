//! The ID-card reader on synthetic cards (`photo::card::synth`): drawn to the real card's
//! layout with made-up people, photographed on a table with perspective, a turn, glare, blur
//! and JPEG. Seeded: card `i` of a run is made from seed `SEED + i`, so a card that fails can
//! be made again (`cargo run -p photo --features synth --example card_sample -- SEED OUT.jpg`).

use photo::card::synth::{self, Shot};
use photo::card::{CardProblem, CardSide};
use photo::engine::Engine;

const SEED: u64 = 20_261_205;
const CARDS: u64 = 50;

fn engine() -> Engine {
    Engine::load().expect("models load")
}

fn font() -> Option<synth::FontVec> {
    synth::test_font()
}

/// A holder's photo for the cards: a compliant portrait from the fixtures.
fn face() -> image::RgbImage {
    let bytes = include_bytes!("fixtures/pass_frontal_woman_02.jpg");
    synth::holder_photo(&image::load_from_memory(bytes).unwrap().to_rgb8())
}

#[test]
fn fifty_synthetic_cards_read_back_exactly() {
    let Some(font) = font() else { return };
    let engine = engine();
    let face = face();
    let (mut names, mut numbers, mut faces) = (0, 0, 0);
    let mut misses = Vec::new();
    for i in 0..CARDS {
        let mut rng = synth::rng(SEED + i);
        let person = synth::person(&mut rng, &font);
        let card = synth::render(&person, &face, &font, &mut rng);
        let shot = Shot::random(&mut rng);
        let (jpeg, _) = synth::photograph(&card, &shot, &mut rng);
        let reading = engine.read_id_card(&jpeg).unwrap();
        let name = reading.fields.name.as_ref().map(|f| f.value.as_str());
        let number = reading.fields.id_number.as_ref().map(|f| f.value.as_str());
        names += usize::from(name == Some(person.name.as_str()));
        numbers += usize::from(number == Some(person.id_number.as_str()));
        faces += usize::from(reading.face.is_some());
        if name != Some(person.name.as_str()) || number != Some(person.id_number.as_str()) {
            misses.push(format!(
                "seed {}: {} {} read {name:?} {number:?} ({:?})",
                SEED + i,
                person.name,
                person.id_number,
                reading.problem
            ));
        }
    }
    let n = CARDS as f64;
    println!(
        "names {names}/{CARDS} ({:.1} %), numbers {numbers}/{CARDS} ({:.1} %), faces {faces}/{CARDS}",
        100.0 * names as f64 / n,
        100.0 * numbers as f64 / n
    );
    for miss in &misses {
        println!("{miss}");
    }
    assert!(
        names as f64 >= 0.98 * n,
        "names {names}/{CARDS}: {misses:#?}"
    );
    assert!(
        numbers as f64 >= 0.99 * n,
        "numbers {numbers}/{CARDS}: {misses:#?}"
    );
    assert!(faces as f64 >= 0.98 * n, "faces {faces}/{CARDS}");
}

#[test]
fn what_is_not_a_readable_portrait_side_is_refused_with_its_reason() {
    let Some(font) = font() else { return };
    let engine = engine();
    let face = face();
    let shot = |rng: &mut _| Shot {
        blur: 0.3,
        glare: 0.0,
        ..Shot::random(rng)
    };

    let mut rng = synth::rng(SEED);
    let emblem = synth::render_emblem(&font, &mut rng);
    let (jpeg, _) = synth::photograph(&emblem, &shot(&mut rng), &mut rng);
    let reading = engine.read_id_card(&jpeg).unwrap();
    assert_eq!(reading.problem, Some(CardProblem::EmblemSide));
    assert_eq!(reading.side, CardSide::Emblem);

    // A number whose check character is wrong.
    let mut rng = synth::rng(SEED + 1);
    let mut person = synth::person(&mut rng, &font);
    let last = person.id_number.pop().unwrap();
    person.id_number.push(if last == '1' { '2' } else { '1' });
    let card = synth::render(&person, &face, &font, &mut rng);
    let (jpeg, _) = synth::photograph(&card, &shot(&mut rng), &mut rng);
    let reading = engine.read_id_card(&jpeg).unwrap();
    assert_eq!(reading.problem, Some(CardProblem::ChecksumFailed));

    // A card without its photo.
    let mut rng = synth::rng(SEED + 2);
    let person = synth::person(&mut rng, &font);
    let blank = image::RgbImage::from_pixel(260, 320, image::Rgb([236, 238, 236]));
    let card = synth::render(&person, &blank, &font, &mut rng);
    let (jpeg, _) = synth::photograph(&card, &shot(&mut rng), &mut rng);
    let reading = engine.read_id_card(&jpeg).unwrap();
    assert_eq!(reading.problem, Some(CardProblem::NoFace));

    // A portrait, not a card; and a file that is not an image.
    let portrait = include_bytes!("fixtures/pass_frontal_man_01.jpg");
    let reading = engine.read_id_card(portrait).unwrap();
    assert!(
        matches!(
            reading.problem,
            Some(CardProblem::NoCard | CardProblem::Unreadable)
        ),
        "{:?}",
        reading.problem
    );
    let reading = engine.read_id_card(b"not an image").unwrap();
    assert_eq!(reading.problem, Some(CardProblem::NoCard));
}
