//! Why the photo engine refuses a photo (DESIGN §5).
//!
//! The codes are stable: clients, stored attempts and reviewer decisions key on
//! their snake_case names, so variants may be added but never renamed. Each
//! code enforces a rule of the graduate photo standard 教毕指〔2017〕99号 and
//! carries a short title and a hint the student can act on, in Simplified
//! Chinese and English.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A reason the engine or a reviewer refuses a photo.
///
/// Declaration order is the order checks are reported in: file problems
/// first, then the face, pose, accessories, light and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Not a JPEG or PNG file.
    UnsupportedFormat,
    /// The file claims a supported format but cannot be decoded.
    CorruptImage,
    /// Over the upload limit, refused before decoding to bound memory.
    FileTooLarge,
    /// Too few pixels to reach 480×640 without visible upscaling.
    LowResolution,
    /// The face is sideways or upside down; the standard forbids rotating
    /// the photo, so the student must upload it upright.
    Rotated,
    NoFace,
    /// Also raised by faces in the background (other people, posters).
    MultipleFaces,
    /// The face cannot reach 180 px wide without upscaling beyond the limit.
    FaceTooSmall,
    /// Head top or shoulders outside the frame: no placement fits the rules.
    FaceCutOff,
    /// Yaw or pitch too large: the standard asks for a frontal portrait.
    NotFrontal,
    /// Roll too large: eyes and shoulders must be level.
    HeadTilted,
    EyesClosed,
    /// Lips must be closed.
    MouthOpen,
    /// 免冠: no hats or head ornaments.
    Headwear,
    Earrings,
    Necklace,
    TintedGlasses,
    /// Glare on the lenses hides the eyes.
    GlassesGlare,
    /// Hair must not cover eyebrows, eyes or ears.
    HairCoversFace,
    /// One-sided shadow (阴阳脸) or hot spots.
    UnevenLighting,
    Underexposed,
    Overexposed,
    Blurry,
    /// The standard requires a colour photo.
    Grayscale,
    /// Clothes too close to the background colour to stay distinct after
    /// the background is replaced.
    ClothingMatchesBackground,
    /// The person cannot be matted from the background reliably. A busy
    /// background alone is not a reason: the engine replaces it.
    BackgroundNotSeparable,
    /// The face is not the student's on the ID card: decided by a reviewer, never by the
    /// engine alone (the face match only flags it).
    NotTheStudent,
    /// Not about the photo: our processing did not finish (it failed every retry), so the
    /// student uploads again. Set by the sweeper, never by the engine or a reviewer.
    ProcessingTimeout,
}

/// The part of the face or head a reason is about, for a client to point at on the photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    Eyes,
    Mouth,
    Ears,
    TopOfHead,
}

/// A string that is not one of the [`ReasonCode`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown reason code {0:?}")]
pub struct UnknownReasonCode(pub String);

/// The human-facing texts of one code, kept together so that a new code
/// cannot be added with a title but no hint.
#[derive(Clone, Copy)]
struct Texts {
    title_zh: &'static str,
    title_en: &'static str,
    hint_zh: &'static str,
    hint_en: &'static str,
}

impl ReasonCode {
    /// Every code, in declaration order.
    pub const ALL: [ReasonCode; 28] = [
        Self::UnsupportedFormat,
        Self::CorruptImage,
        Self::FileTooLarge,
        Self::LowResolution,
        Self::Rotated,
        Self::NoFace,
        Self::MultipleFaces,
        Self::FaceTooSmall,
        Self::FaceCutOff,
        Self::NotFrontal,
        Self::HeadTilted,
        Self::EyesClosed,
        Self::MouthOpen,
        Self::Headwear,
        Self::Earrings,
        Self::Necklace,
        Self::TintedGlasses,
        Self::GlassesGlare,
        Self::HairCoversFace,
        Self::UnevenLighting,
        Self::Underexposed,
        Self::Overexposed,
        Self::Blurry,
        Self::Grayscale,
        Self::ClothingMatchesBackground,
        Self::BackgroundNotSeparable,
        Self::NotTheStudent,
        Self::ProcessingTimeout,
    ];

    /// The stable snake_case name, identical to the serde representation.
    /// Where on the photo the problem is, for the reasons that sit in one place.
    pub const fn region(&self) -> Option<Region> {
        match self {
            Self::EyesClosed | Self::TintedGlasses | Self::GlassesGlare | Self::HairCoversFace => {
                Some(Region::Eyes)
            }
            Self::MouthOpen => Some(Region::Mouth),
            Self::Earrings => Some(Region::Ears),
            Self::Headwear => Some(Region::TopOfHead),
            _ => None,
        }
    }

    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedFormat => "unsupported_format",
            Self::CorruptImage => "corrupt_image",
            Self::FileTooLarge => "file_too_large",
            Self::LowResolution => "low_resolution",
            Self::Rotated => "rotated",
            Self::NoFace => "no_face",
            Self::MultipleFaces => "multiple_faces",
            Self::FaceTooSmall => "face_too_small",
            Self::FaceCutOff => "face_cut_off",
            Self::NotFrontal => "not_frontal",
            Self::HeadTilted => "head_tilted",
            Self::EyesClosed => "eyes_closed",
            Self::MouthOpen => "mouth_open",
            Self::Headwear => "headwear",
            Self::Earrings => "earrings",
            Self::Necklace => "necklace",
            Self::TintedGlasses => "tinted_glasses",
            Self::GlassesGlare => "glasses_glare",
            Self::HairCoversFace => "hair_covers_face",
            Self::UnevenLighting => "uneven_lighting",
            Self::Underexposed => "underexposed",
            Self::Overexposed => "overexposed",
            Self::Blurry => "blurry",
            Self::Grayscale => "grayscale",
            Self::ClothingMatchesBackground => "clothing_matches_background",
            Self::BackgroundNotSeparable => "background_not_separable",
            Self::NotTheStudent => "not_the_student",
            Self::ProcessingTimeout => "processing_timeout",
        }
    }

    /// A short Chinese label for reviewer screens and WeChat subscription
    /// messages (whose `thing` values allow at most 20 characters).
    pub const fn title_zh(&self) -> &'static str {
        self.texts().title_zh
    }

    /// A short English label for reviewer screens.
    pub const fn title_en(&self) -> &'static str {
        self.texts().title_en
    }

    /// What the student should change before retaking, in Chinese.
    pub const fn hint_zh(&self) -> &'static str {
        self.texts().hint_zh
    }

    /// What the student should change before retaking, in English.
    pub const fn hint_en(&self) -> &'static str {
        self.texts().hint_en
    }

    /// Whether the code is about the file rather than the photo in it, and
    /// so is decided on upload before any image processing is paid for.
    pub const fn is_decided_before_processing(&self) -> bool {
        matches!(
            self,
            Self::UnsupportedFormat | Self::CorruptImage | Self::FileTooLarge
        )
    }

    /// Whether a reviewer may give it: a reason about the photo that needs no file check.
    pub const fn is_reviewers_call(&self) -> bool {
        !self.is_decided_before_processing() && !matches!(self, Self::ProcessingTimeout)
    }

    const fn texts(&self) -> Texts {
        match self {
            Self::UnsupportedFormat => Texts {
                title_zh: "格式不支持",
                title_en: "Unsupported format",
                hint_zh: "请上传 JPEG 或 PNG 格式的照片；苹果手机可在“设置—相机—格式”中选择“兼容性最佳”后重新拍摄。",
                hint_en: "Upload a JPEG or PNG photo. On an iPhone, set Settings > Camera > Formats to \"Most Compatible\" and retake it.",
            },
            Self::CorruptImage => Texts {
                title_zh: "文件已损坏",
                title_en: "Corrupt file",
                hint_zh: "照片文件已损坏或不完整，请重新拍摄，或从相册重新选择原图上传。",
                hint_en: "The file is damaged or incomplete. Retake the photo, or choose the original from your album again.",
            },
            Self::FileTooLarge => Texts {
                title_zh: "文件过大",
                title_en: "File too large",
                hint_zh: "照片文件超过 15 MB，请上传 15 MB 以内的照片，可降低相机分辨率后重新拍摄。",
                hint_en: "The file is larger than 15 MB. Upload a photo under 15 MB, for example by retaking it at a lower camera resolution.",
            },
            Self::LowResolution => Texts {
                title_zh: "分辨率过低",
                title_en: "Low resolution",
                hint_zh: "照片清晰度不足，请用手机后置摄像头拍摄并上传原图，不要使用截图或压缩过的图片。",
                hint_en: "The resolution is too low. Take the photo with the phone's rear camera and upload the original, not a screenshot or a compressed copy.",
            },
            Self::Rotated => Texts {
                title_zh: "照片方向不正",
                title_en: "Photo rotated",
                hint_zh: "照片是横向或倒置的，请竖直握持手机拍摄，并上传头部朝上的正向照片。",
                hint_en: "The photo is sideways or upside down. Hold the phone upright and upload the photo with your head at the top.",
            },
            Self::NoFace => Texts {
                title_zh: "未检测到人脸",
                title_en: "No face found",
                hint_zh: "未检测到人脸，请正对镜头拍摄本人正面免冠照片，确保整张脸清晰可见、光线充足。",
                hint_en: "No face was found. Take a frontal photo of yourself facing the camera, with your whole face visible and well lit.",
            },
            Self::MultipleFaces => Texts {
                title_zh: "多张人脸",
                title_en: "Multiple faces",
                hint_zh: "画面中只能有本人，请避开其他人和带人像的海报、照片后重新拍摄。",
                hint_en: "Only you may be in the frame. Move away from other people and from posters or pictures showing faces, then retake.",
            },
            Self::FaceTooSmall => Texts {
                title_zh: "人脸过小",
                title_en: "Face too small",
                hint_zh: "人脸在画面中太小，请让拍摄者靠近一些，使头部和肩部占满画面的大部分后重新拍摄。",
                hint_en: "Your face is too small in the photo. Have the photographer come closer so your head and shoulders fill most of the frame, then retake.",
            },
            Self::FaceCutOff => Texts {
                title_zh: "头肩不完整",
                title_en: "Partly out of frame",
                hint_zh: "头部或肩部没有完整入镜，请让拍摄者后退一些，头顶上方留出空白、双肩完整入镜后重新拍摄。",
                hint_en: "Part of your head or shoulders is outside the frame. Have the photographer step back, leaving space above your head and both shoulders in view, then retake.",
            },
            Self::NotFrontal => Texts {
                title_zh: "未正对镜头",
                title_en: "Not facing the camera",
                hint_zh: "脸部没有正对镜头，请坐正，面向镜头平视前方，不要侧脸、仰头或低头后重新拍摄。",
                hint_en: "You are not facing the camera. Sit upright and look straight into the lens without turning, raising or lowering your head, then retake.",
            },
            Self::HeadTilted => Texts {
                title_zh: "头部歪斜",
                title_en: "Head tilted",
                hint_zh: "头部向一侧歪斜，请保持头部端正、双眼水平、双肩放平后重新拍摄。",
                hint_en: "Your head is tilted to one side. Keep it straight with your eyes and shoulders level, then retake.",
            },
            Self::EyesClosed => Texts {
                title_zh: "闭眼",
                title_en: "Eyes closed",
                hint_zh: "照片中眼睛闭合，请自然睁开双眼、注视镜头后重新拍摄。",
                hint_en: "Your eyes are closed. Open them naturally and look at the lens, then retake.",
            },
            Self::MouthOpen => Texts {
                title_zh: "嘴巴张开",
                title_en: "Mouth open",
                hint_zh: "嘴巴张开，请自然闭合双唇、保持平和表情，不要露齿大笑后重新拍摄。",
                hint_en: "Your mouth is open. Close your lips and keep a natural expression without a broad smile, then retake.",
            },
            Self::Headwear => Texts {
                title_zh: "佩戴头饰",
                title_en: "Headwear",
                hint_zh: "请摘下帽子、发箍、发夹等头饰后重新拍摄。",
                hint_en: "Remove your hat, headband, hair clips or other head ornaments, then retake.",
            },
            Self::Earrings => Texts {
                title_zh: "佩戴耳饰",
                title_en: "Earrings",
                hint_zh: "请摘下耳饰后重新拍摄。",
                hint_en: "Remove earrings and retake the photo.",
            },
            Self::Necklace => Texts {
                title_zh: "佩戴项链",
                title_en: "Necklace",
                hint_zh: "请摘下项链、吊坠等颈部饰品后重新拍摄。",
                hint_en: "Remove your necklace or pendant, then retake the photo.",
            },
            Self::TintedGlasses => Texts {
                title_zh: "有色眼镜",
                title_en: "Tinted glasses",
                hint_zh: "不能佩戴墨镜或有色镜片，请摘下眼镜，或换戴透明镜片的眼镜后重新拍摄。",
                hint_en: "Sunglasses and tinted lenses are not allowed. Take them off or wear glasses with clear lenses, then retake.",
            },
            Self::GlassesGlare => Texts {
                title_zh: "镜片反光",
                title_en: "Glare on glasses",
                hint_zh: "眼镜片反光遮挡了眼睛，请避开正面的灯光、把镜腿稍微抬高让镜片略向下倾斜，或摘下眼镜后重新拍摄。",
                hint_en: "Glare on your lenses hides your eyes. Avoid lights in front of you, lift the arms of your glasses slightly so the lenses tilt down, or take them off, then retake.",
            },
            Self::HairCoversFace => Texts {
                title_zh: "头发遮挡面部",
                title_en: "Hair covers face",
                hint_zh: "头发遮挡了眉毛、眼睛或耳朵，请将刘海梳起、头发拢到耳后，露出眉毛和双耳后重新拍摄。",
                hint_en: "Hair covers your eyebrows, eyes or ears. Move your fringe aside and tuck your hair behind your ears so both are visible, then retake.",
            },
            Self::UnevenLighting => Texts {
                title_zh: "面部光线不均",
                title_en: "Uneven lighting",
                hint_zh: "脸部一侧亮一侧暗，请面向窗户或在均匀柔和的光线下拍摄，避免侧光和头顶直射的灯光。",
                hint_en: "One side of your face is darker than the other. Face a window or stand in soft, even light, away from light from one side or directly overhead, then retake.",
            },
            Self::Underexposed => Texts {
                title_zh: "照片过暗",
                title_en: "Too dark",
                hint_zh: "照片太暗，请在光线充足的地方拍摄，例如白天面向窗户，不要背对光源。",
                hint_en: "The photo is too dark. Retake it in good light, for example facing a window in daytime, not with the light behind you.",
            },
            Self::Overexposed => Texts {
                title_zh: "照片过亮",
                title_en: "Too bright",
                hint_zh: "照片过亮、脸部细节丢失，请避开阳光直射和强光，关闭闪光灯后重新拍摄。",
                hint_en: "The photo is too bright and detail in your face is lost. Avoid direct sunlight and strong lamps, turn off the flash, then retake.",
            },
            Self::Blurry => Texts {
                title_zh: "照片模糊",
                title_en: "Blurry",
                hint_zh: "照片模糊，请擦净镜头、拿稳手机，点击屏幕对焦到脸部后重新拍摄。",
                hint_en: "The photo is blurry. Clean the lens, hold the phone steady and tap your face on the screen to focus, then retake.",
            },
            Self::Grayscale => Texts {
                title_zh: "非彩色照片",
                title_en: "Not in colour",
                hint_zh: "照片须为彩色，请关闭黑白滤镜和美颜效果，拍摄彩色原图后重新上传。",
                hint_en: "The photo must be in colour. Turn off black-and-white filters and beauty effects, then retake it in colour.",
            },
            Self::ClothingMatchesBackground => Texts {
                title_zh: "衣服与背景同色",
                title_en: "Clothing matches background",
                hint_zh: "上衣颜色与背景色太接近，请换一件深色等与浅蓝色背景反差明显的上衣，避免浅蓝色和白色，然后重新拍摄。",
                hint_en: "Your top is too close to the background colour. Wear a darker top that contrasts with the light-blue background (not light blue or white), then retake.",
            },
            Self::BackgroundNotSeparable => Texts {
                title_zh: "人像与背景难分离",
                title_en: "Background not separable",
                hint_zh: "无法把人像与背景分开，请站在纯色、无杂物的墙面前约半米处，在光线充足的地方重新拍摄。",
                hint_en: "Your outline could not be separated from the background. Stand about half a metre in front of a plain, uncluttered wall in good light, then retake.",
            },
            Self::NotTheStudent => Texts {
                title_zh: "与身份证人像不符",
                title_en: "Not the student",
                hint_zh: "照片中的人与身份证人像不是同一人，请本人拍摄并上传自己的照片。",
                hint_en: "The person in the photo does not match the ID card. Take and upload a photo of yourself.",
            },
            Self::ProcessingTimeout => Texts {
                title_zh: "处理超时",
                title_en: "Processing timed out",
                hint_zh: "处理超时，请重新上传。",
                hint_en: "Processing timed out; please upload the photo again.",
            },
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ReasonCode {
    type Err = UnknownReasonCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.code() == s)
            .ok_or_else(|| UnknownReasonCode(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The list of DESIGN §5, which clients already key on.
    const DESIGN_CODES: [&str; 28] = [
        "unsupported_format",
        "corrupt_image",
        "file_too_large",
        "low_resolution",
        "rotated",
        "no_face",
        "multiple_faces",
        "face_too_small",
        "face_cut_off",
        "not_frontal",
        "head_tilted",
        "eyes_closed",
        "mouth_open",
        "headwear",
        "earrings",
        "necklace",
        "tinted_glasses",
        "glasses_glare",
        "hair_covers_face",
        "uneven_lighting",
        "underexposed",
        "overexposed",
        "blurry",
        "grayscale",
        "clothing_matches_background",
        "background_not_separable",
        "not_the_student",
        "processing_timeout",
    ];

    fn is_cjk(c: char) -> bool {
        matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
    }

    /// Chinese text may use Latin letters only for file formats and units.
    fn latin_outside_allowed_words(text: &str) -> bool {
        ["JPEG", "PNG", "MB"]
            .iter()
            .fold(text.to_owned(), |rest, word| rest.replace(word, ""))
            .chars()
            .any(|c| c.is_ascii_alphabetic())
    }

    #[test]
    fn codes_are_exactly_those_of_the_design_in_order() {
        let codes: Vec<&str> = ReasonCode::ALL.iter().map(ReasonCode::code).collect();
        assert_eq!(codes, DESIGN_CODES);
    }

    #[test]
    fn all_lists_28_distinct_codes_in_declaration_order() {
        assert_eq!(ReasonCode::ALL.len(), 28);
        let distinct: HashSet<ReasonCode> = ReasonCode::ALL.into_iter().collect();
        assert_eq!(distinct.len(), 28);
        // Derived `Ord` follows declaration order.
        assert!(ReasonCode::ALL.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn serde_name_of_every_code_is_its_code() {
        for reason in ReasonCode::ALL {
            let json = serde_json::to_string(&reason).expect("serialise");
            assert_eq!(json, format!("\"{}\"", reason.code()));
            let back: ReasonCode = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, reason);
        }
    }

    #[test]
    fn from_str_round_trips_every_code() {
        for reason in ReasonCode::ALL {
            assert_eq!(reason.code().parse::<ReasonCode>(), Ok(reason));
            assert_eq!(reason.to_string(), reason.code());
        }
    }

    #[test]
    fn unknown_codes_are_a_typed_error() {
        assert_eq!(
            "sunglasses".parse::<ReasonCode>(),
            Err(UnknownReasonCode("sunglasses".to_owned()))
        );
        assert!(
            "Earrings".parse::<ReasonCode>().is_err(),
            "names are case-sensitive"
        );
        assert!("".parse::<ReasonCode>().is_err());
        assert!(serde_json::from_str::<ReasonCode>("\"sunglasses\"").is_err());
        assert_eq!(
            UnknownReasonCode("x".to_owned()).to_string(),
            "unknown reason code \"x\""
        );
    }

    #[test]
    fn every_code_has_titles_and_hints() {
        for reason in ReasonCode::ALL {
            for text in [
                reason.title_zh(),
                reason.title_en(),
                reason.hint_zh(),
                reason.hint_en(),
            ] {
                assert!(!text.trim().is_empty(), "{reason}");
                assert_eq!(text, text.trim(), "{reason}");
            }
        }
    }

    #[test]
    fn chinese_texts_are_chinese() {
        for reason in ReasonCode::ALL {
            for text in [reason.title_zh(), reason.hint_zh()] {
                assert!(text.chars().any(is_cjk), "{reason}: {text}");
                assert!(!latin_outside_allowed_words(text), "{reason}: {text}");
            }
        }
    }

    #[test]
    fn chinese_titles_fit_a_wechat_thing_value() {
        for reason in ReasonCode::ALL {
            let len = reason.title_zh().chars().count();
            assert!((2..=8).contains(&len), "{reason}: {len} characters");
            assert!(len <= 20);
        }
    }

    #[test]
    fn english_titles_are_short_labels() {
        for reason in ReasonCode::ALL {
            let words = reason.title_en().split_whitespace().count();
            assert!((1..=4).contains(&words), "{reason}");
            assert!(!reason.title_en().ends_with('.'), "{reason}");
        }
    }

    #[test]
    fn hints_are_sentences_with_consistent_punctuation() {
        for reason in ReasonCode::ALL {
            assert!(reason.hint_zh().ends_with('。'), "{reason}");
            assert!(!reason.title_zh().ends_with('。'), "{reason}");
            assert!(reason.hint_en().ends_with('.'), "{reason}");
        }
    }

    #[test]
    fn each_code_has_its_own_hint() {
        let zh: HashSet<&str> = ReasonCode::ALL.iter().map(ReasonCode::hint_zh).collect();
        let en: HashSet<&str> = ReasonCode::ALL.iter().map(ReasonCode::hint_en).collect();
        let titles: HashSet<&str> = ReasonCode::ALL.iter().map(ReasonCode::title_zh).collect();
        assert_eq!(zh.len(), 28);
        assert_eq!(en.len(), 28);
        assert_eq!(titles.len(), 28);
    }

    #[test]
    fn earrings_hint_is_the_one_of_the_design() {
        assert_eq!(ReasonCode::Earrings.hint_zh(), "请摘下耳饰后重新拍摄。");
        assert_eq!(
            ReasonCode::Earrings.hint_en(),
            "Remove earrings and retake the photo."
        );
        assert_eq!(ReasonCode::Earrings.title_zh(), "佩戴耳饰");
    }

    #[test]
    fn file_hints_state_the_accepted_formats_and_limit() {
        for hint in [
            ReasonCode::UnsupportedFormat.hint_zh(),
            ReasonCode::UnsupportedFormat.hint_en(),
        ] {
            assert!(hint.contains("JPEG") && hint.contains("PNG"), "{hint}");
        }
        for hint in [
            ReasonCode::FileTooLarge.hint_zh(),
            ReasonCode::FileTooLarge.hint_en(),
        ] {
            assert!(hint.contains("15 MB"), "{hint}");
        }
    }

    #[test]
    fn only_file_level_problems_are_decided_before_processing() {
        let early: Vec<ReasonCode> = ReasonCode::ALL
            .into_iter()
            .filter(ReasonCode::is_decided_before_processing)
            .collect();
        assert_eq!(
            early,
            [
                ReasonCode::UnsupportedFormat,
                ReasonCode::CorruptImage,
                ReasonCode::FileTooLarge
            ]
        );
    }
}
