//! Synthetic ID cards, photographed synthetically, for testing the reader: no real card may
//! be committed or used. A card is drawn to the second-generation card's layout (fields at
//! their printed positions, 10 px per mm, labels in blue, values in black, the holder's photo
//! on the right), then laid on a table and photographed: perspective, a turn, glare, blur and
//! JPEG. Everything is drawn from a seed, so a failing card can be made again.
//!
//! The font is WenQuanYi Micro Hei from Debian's `fonts-wqy-microhei` (installed by
//! `scripts/setup-console.sh`; [`font`] says where it is looked for).

pub use ab_glyph::FontVec;

use ab_glyph::{Font, PxScale};
use domain::IdNumber;
use image::{Rgb, RgbImage, Rgba, RgbaImage, imageops};
use imageproc::drawing::draw_text_mut;
use imageproc::geometric_transformations::{Interpolation, Projection, warp_into};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Where the font is looked for: `GP_CARD_FONT`, else Debian's path.
pub const FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// The card at 10 px per mm.
const W: u32 = 856;
const H: u32 = 540;

/// The person a card is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub sex: &'static str,
    pub nation: &'static str,
    pub birth: (i32, u8, u8),
    pub address: String,
    pub id_number: String,
}

/// The font the cards are drawn with, if the machine has it.
pub fn font() -> Option<FontVec> {
    let path = std::env::var("GP_CARD_FONT").unwrap_or_else(|_| FONT_PATH.to_owned());
    let bytes = std::fs::read(path).ok()?;
    FontVec::try_from_vec_and_index(bytes, 0).ok()
}

/// The font, for a test: a test run on CI must have it (`scripts/setup-console.sh` installs
/// Debian's fonts-wqy-microhei before the tests run); elsewhere a test without it says so and
/// is skipped.
pub fn test_font() -> Option<FontVec> {
    let found = font();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the card font is missing: {FONT_PATH} (Debian's fonts-wqy-microhei; scripts/setup-console.sh installs it)"
        );
        eprintln!("skipped: no card font at {FONT_PATH}");
    }
    found
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "欧阳", "司马", "上官", "诸葛", "皇甫", "令狐",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "辉", "宇", "浩", "欣",
    "梓", "涵", "子", "轩", "睿", "一", "诺", "思", "雨", "嘉", "怡", "晨", "博", "文", "悦", "琪",
    // Rarer characters that names carry and the recogniser's dictionary holds.
    "堃", "喆", "赟", "昇", "燚", "犇", "垚", "淼", "鑫", "珺", "玥", "婧", "琰", "䶮", "㛃", "彧",
    "翀", "旻", "昱", "晟", "祎", "霂", "沄",
];
/// Parts of Uyghur, Kazakh and Tibetan names as they are written in Chinese, joined by `·`.
const ETHNIC: &[&str] = &[
    "阿依古丽",
    "买买提",
    "艾力",
    "热依拉",
    "努尔",
    "古丽",
    "阿不都",
    "吾买尔",
    "扎西",
    "卓玛",
    "巴特尔",
    "其木格",
    "迪丽热巴",
    "木合塔尔",
    "阿布都热合曼",
];
const NATIONS: &[&str] = &[
    "汉",
    "汉",
    "汉",
    "汉",
    "回",
    "满",
    "壮",
    "苗",
    "维吾尔",
    "藏",
    "蒙古",
    "土家",
];
const PLACES: &[(&str, &str)] = &[
    ("110101", "北京市东城区"),
    ("310104", "上海市徐汇区"),
    ("440106", "广东省广州市天河区"),
    ("510107", "四川省成都市武侯区"),
    ("650102", "新疆维吾尔自治区乌鲁木齐市天山区"),
    ("330106", "浙江省杭州市西湖区"),
    ("420111", "湖北省武汉市洪山区"),
    ("610113", "陕西省西安市雁塔区"),
];
const STREETS: &[&str] = &[
    "中山路",
    "人民大道",
    "解放街",
    "建设路",
    "学府路",
    "长江路",
    "和平里",
];

/// Chars the font cannot draw are never chosen: a name must be drawable to be read back.
fn drawable(font: &FontVec, s: &str) -> bool {
    s.chars().all(|c| font.glyph_id(c).0 != 0)
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// A made-up person with a valid number (region, birth date, sequence, GB 11643 check).
pub fn person(rng: &mut StdRng, font: &FontVec) -> Person {
    let name = loop {
        let name = if rng.random_bool(0.12) {
            format!("{}·{}", pick(rng, ETHNIC), pick(rng, ETHNIC))
        } else {
            let surname = pick(rng, SURNAMES);
            let total = rng.random_range(2..=4usize);
            let given = total.saturating_sub(surname.chars().count()).max(1);
            let mut name = surname.to_owned();
            for _ in 0..given {
                name.push_str(pick(rng, GIVEN));
            }
            name
        };
        if drawable(font, &name) {
            break name;
        }
    };
    let (region, place) = PLACES[rng.random_range(0..PLACES.len())];
    let birth = (
        rng.random_range(1996..=2006),
        rng.random_range(1..=12u8),
        rng.random_range(1..=28u8),
    );
    let male = rng.random_bool(0.5);
    let sequence = rng.random_range(0..50u32) * 2 + 1;
    let seventeenth = rng.random_range(0..5u32) * 2 + u32::from(male);
    let body = format!(
        "{region}{:04}{:02}{:02}{:02}{seventeenth}",
        birth.0,
        birth.1,
        birth.2,
        sequence % 100
    );
    let id_number = IdNumber::complete(&body).expect("17 digits");
    let address = format!(
        "{place}{}{}号{}栋{}室",
        pick(rng, STREETS),
        rng.random_range(1..300),
        rng.random_range(1..30),
        rng.random_range(101..2000)
    );
    Person {
        name,
        sex: if male { "男" } else { "女" },
        nation: pick(rng, NATIONS),
        birth,
        address,
        id_number,
    }
}

/// A person with this name and number, sex and birth date taken from the number: for a test
/// that needs the card of someone the identity provider knows.
pub fn person_with(name: &str, id_number: &IdNumber) -> Person {
    let number = id_number.as_str();
    let birth = id_number.birth_date();
    let male = (number.as_bytes()[16] - b'0') % 2 == 1;
    Person {
        name: name.to_owned(),
        sex: if male { "男" } else { "女" },
        nation: "汉",
        birth: (birth.year(), u8::from(birth.month()), birth.day()),
        address: "北京市海淀区中关村大街27号".to_owned(),
        id_number: number.to_owned(),
    }
}

/// A careful phone photo of `card` (seeded): the card filling most of the frame, a little
/// turned and tilted, light blur and glare.
pub fn careful_photo(card: &RgbImage, seed: u64) -> Vec<u8> {
    let shot = Shot {
        width: 1600,
        height: 1200,
        fill: 0.7,
        turn: 3.0,
        tilt: 0.02,
        blur: 0.4,
        glare: 0.1,
        jpeg_quality: 85,
    };
    photograph(card, &shot, &mut rng(seed)).0
}

const LABEL: Rgb<u8> = Rgb([30, 110, 180]);
const VALUE: Rgb<u8> = Rgb([20, 20, 24]);

/// Draws `text` with its top left at (`x`, `y`) mm, `size` mm tall.
fn text(card: &mut RgbImage, font: &FontVec, x: f32, y: f32, size: f32, colour: Rgb<u8>, s: &str) {
    let (x, y) = ((x * 10.0).round() as i32, (y * 10.0).round() as i32);
    draw_text_mut(card, colour, x, y, PxScale::from(size * 10.0), font, s);
}

/// The portrait side, flat, 856 × 540.
pub fn render(person: &Person, face: &RgbImage, font: &FontVec, rng: &mut StdRng) -> RgbImage {
    // A pale background with the faint waves of the security print.
    let phase = rng.random_range(0.0..std::f32::consts::TAU);
    let mut card = RgbImage::from_fn(W, H, |x, y| {
        let wave = ((x as f32 / 37.0 + (y as f32 / 53.0).sin() * 2.0 + phase).sin() + 1.0) * 4.0;
        let fade = y as f32 / H as f32 * 10.0;
        Rgb([
            (238.0 - wave - fade * 0.4) as u8,
            (240.0 - wave * 0.6) as u8,
            (236.0 + wave * 0.8 - fade) as u8,
        ])
    });
    text(&mut card, font, 5.0, 6.5, 2.6, LABEL, "姓  名");
    text(&mut card, font, 16.0, 6.0, 3.4, VALUE, &person.name);
    text(&mut card, font, 5.0, 13.5, 2.6, LABEL, "性  别");
    text(&mut card, font, 16.0, 13.2, 3.0, VALUE, person.sex);
    text(&mut card, font, 25.0, 13.5, 2.6, LABEL, "民  族");
    text(&mut card, font, 36.0, 13.2, 3.0, VALUE, person.nation);
    text(&mut card, font, 5.0, 20.5, 2.6, LABEL, "出  生");
    let (y, m, d) = person.birth;
    text(
        &mut card,
        font,
        16.0,
        20.2,
        3.0,
        VALUE,
        &format!("{y} 年 {m} 月 {d} 日"),
    );
    text(&mut card, font, 5.0, 27.5, 2.6, LABEL, "住  址");
    // The address wraps at eleven characters, as the card's field does.
    let chars: Vec<char> = person.address.chars().collect();
    for (i, line) in chars.chunks(11).enumerate().take(3) {
        let line: String = line.iter().collect();
        text(
            &mut card,
            font,
            16.0,
            27.2 + i as f32 * 4.6,
            3.0,
            VALUE,
            &line,
        );
    }
    text(&mut card, font, 5.0, 46.0, 2.6, LABEL, "公民身份号码");
    text(&mut card, font, 27.0, 45.5, 3.6, VALUE, &person.id_number);
    // The holder's photo: 26 × 32 mm on the right, on a light background.
    let photo = imageops::resize(face, 260, 320, imageops::FilterType::Triangle);
    imageops::overlay(&mut card, &photo, 555, 55);
    card
}

/// How a card is photographed.
#[derive(Debug, Clone, Copy)]
pub struct Shot {
    /// The photo's size.
    pub width: u32,
    pub height: u32,
    /// The card's width as a share of the photo's.
    pub fill: f32,
    /// Degrees the card is turned in the photo.
    pub turn: f32,
    /// Corner displacement by perspective, as a share of the card's size.
    pub tilt: f32,
    pub blur: f32,
    /// Strength of a glare spot (0 none, 1 white).
    pub glare: f32,
    pub jpeg_quality: u8,
}

impl Shot {
    /// A phone photo as a student would take it: mostly the card, a little turned and tilted.
    pub fn random(rng: &mut StdRng) -> Self {
        Self {
            width: 1600,
            height: 1200,
            fill: rng.random_range(0.55..0.8),
            turn: rng.random_range(-7.0..7.0),
            tilt: rng.random_range(0.0..0.05),
            blur: rng.random_range(0.0..1.1),
            glare: rng.random_range(0.0..0.3),
            jpeg_quality: rng.random_range(60..92),
        }
    }
}

/// The card on a wooden table, photographed; returns the JPEG and the card's corners.
pub fn photograph(card: &RgbImage, shot: &Shot, rng: &mut StdRng) -> (Vec<u8>, [(f32, f32); 4]) {
    let (pw, ph) = (shot.width, shot.height);
    let tone = rng.random_range(40.0..95.0f32);
    let grain = rng.random_range(0.0..std::f32::consts::TAU);
    let table = RgbImage::from_fn(pw, ph, |x, y| {
        let g = ((y as f32 / 9.0 + (x as f32 / 140.0 + grain).sin() * 3.0).sin() + 1.0) * 8.0;
        Rgb([
            (tone + g) as u8,
            (tone * 0.7 + g * 0.8) as u8,
            (tone * 0.45 + g * 0.5) as u8,
        ])
    });
    // Where the card's corners land: centred, scaled, turned, each nudged by the tilt.
    let cw = shot.fill * pw as f32;
    let ch = cw * H as f32 / W as f32;
    let (cx, cy) = (
        pw as f32 / 2.0 + rng.random_range(-0.05..0.05) * pw as f32,
        ph as f32 / 2.0 + rng.random_range(-0.05..0.05) * ph as f32,
    );
    let (sin, cos) = shot.turn.to_radians().sin_cos();
    let corners = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)].map(|(u, v): (f32, f32)| {
        let (dx, dy) = (
            rng.random_range(-shot.tilt..=shot.tilt) * cw,
            rng.random_range(-shot.tilt..=shot.tilt) * ch,
        );
        let (x, y) = (u * cw + dx, v * ch + dy);
        (cx + x * cos - y * sin, cy + x * sin + y * cos)
    });
    // The card with rounded corners (3 mm), as an alpha mask, warped onto the table.
    let radius = 30.0f32;
    let rgba = RgbaImage::from_fn(W, H, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let nx = fx.clamp(radius, W as f32 - radius);
        let ny = fy.clamp(radius, H as f32 - radius);
        let inside = (fx - nx).hypot(fy - ny) <= radius;
        let [r, g, b] = card.get_pixel(x, y).0;
        Rgba([r, g, b, if inside { 255 } else { 0 }])
    });
    let projection = Projection::from_control_points(
        [
            (0.0, 0.0),
            (W as f32, 0.0),
            (W as f32, H as f32),
            (0.0, H as f32),
        ],
        corners,
    )
    .expect("a card's corners are never collinear");
    let mut warped = RgbaImage::new(pw, ph);
    warp_into(
        &rgba,
        &projection,
        Interpolation::Bilinear,
        Rgba([0, 0, 0, 0]),
        &mut warped,
    );
    let (gx, gy, gr) = (
        rng.random_range(0.0..pw as f32),
        rng.random_range(0.0..ph as f32),
        rng.random_range(0.1..0.3) * pw as f32,
    );
    let mut photo = RgbImage::from_fn(pw, ph, |x, y| {
        let t = table.get_pixel(x, y).0;
        let c = warped.get_pixel(x, y).0;
        let a = c[3] as f32 / 255.0;
        let glare = shot.glare * (-((x as f32 - gx).hypot(y as f32 - gy) / gr).powi(2)).exp();
        Rgb(std::array::from_fn(|i| {
            let v = t[i] as f32 * (1.0 - a) + c[i] as f32 * a;
            (v + (255.0 - v) * glare * a).round().clamp(0.0, 255.0) as u8
        }))
    });
    if shot.blur > 0.05 {
        photo = imageproc::filter::gaussian_blur_f32(&photo, shot.blur);
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, shot.jpeg_quality)
        .encode_image(&photo)
        .expect("encoding to memory");
    (jpeg, corners)
}

/// The holder's photo from a portrait: head and shoulders in the card photo's 26:32 shape.
pub fn holder_photo(portrait: &RgbImage) -> RgbImage {
    let (w, h) = portrait.dimensions();
    let cw = w * 3 / 4;
    let ch = (cw * 32 / 26).min(h);
    imageops::crop_imm(portrait, (w - cw) / 2, 0, cw, ch).to_image()
}

/// A seeded generator of cards.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// The national-emblem side, flat: what the reader must tell apart and refuse.
pub fn render_emblem(font: &FontVec, rng: &mut StdRng) -> RgbImage {
    let tint = rng.random_range(0..12u8);
    let mut card = RgbImage::from_fn(W, H, |x, y| {
        let wave = (((x + y) as f32 / 29.0).sin() + 1.0) * 5.0;
        Rgb([230 - tint, (236.0 - wave) as u8, 228])
    });
    // The emblem: a red disc where the real card prints it.
    for (x, y, p) in card.enumerate_pixels_mut() {
        if (x as f32 - 140.0).hypot(y as f32 - 140.0) < 95.0 {
            *p = Rgb([200, 40, 40]);
        }
    }
    text(&mut card, font, 31.0, 9.0, 5.0, VALUE, "中华人民共和国");
    text(&mut card, font, 31.0, 18.0, 6.0, VALUE, "居民身份证");
    text(
        &mut card,
        font,
        14.0,
        38.0,
        2.8,
        VALUE,
        "签发机关  广州市公安局天河分局",
    );
    text(
        &mut card,
        font,
        14.0,
        45.0,
        2.8,
        VALUE,
        "有效期限  2021.09.01-2031.09.01",
    );
    card
}
