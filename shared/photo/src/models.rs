//! The ONNX models (see `models/README.md` for provenance and licences),
//! compiled into the binary so a Lambda package or the CLI needs no model
//! files at run time, optimised once by [`Models::load`], and shared cheaply
//! (`Arc`) by every call after that.
//!
//! The photo models are compiled in as tract's NNEF of the ONNX files, already
//! typed and decluttered by [`compile`] (`cargo run -p photo --example
//! compile_models`; a test checks each runs as its ONNX file does), so a cold
//! start skips parsing, typing and decluttering: the seven load in about 495
//! ms on one thread instead of 630 (`cargo run --release -p photo --example
//! models_bench`).

use std::sync::Arc;

use tract_nnef::framework::Nnef;
use tract_onnx::WithOnnx;
use tract_onnx::prelude::*;

use crate::error::PhotoError;

mod prelu;

type Plan = Arc<TypedRunnableModel>;

/// One model file: its bytes, the input shape it is compiled for, and the
/// sha256 the provenance table states (checked by a test).
pub struct ModelFile {
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub input: [usize; 4],
    pub sha256: &'static str,
}

pub const SHORT_RANGE: ModelFile = ModelFile {
    name: "face_detection_short_range.onnx",
    bytes: include_bytes!("../models/face_detection_short_range.onnx"),
    input: [1, 3, 128, 128],
    sha256: "5004d4aae4b14572b400a7fb2aa43cf7eb90807edcdf177a06312b452a775eab",
};
pub const FULL_RANGE: ModelFile = ModelFile {
    name: "face_detection_full_range.onnx",
    bytes: include_bytes!("../models/face_detection_full_range.onnx"),
    input: [1, 3, 192, 192],
    sha256: "14e75e672ed9a2edf8b26dcc00500a47155b252568282c80d2ea53b2d6d7ded3",
};
pub const FACE_MESH: ModelFile = ModelFile {
    name: "face_landmark.onnx",
    bytes: include_bytes!("../models/face_landmark.onnx"),
    input: [1, 3, 192, 192],
    sha256: "dbee1cc5dab76c6d764928343b4c4c64b0653dc642d41f3ec254ab453505ce11",
};
pub const IRIS: ModelFile = ModelFile {
    name: "iris_landmark.onnx",
    bytes: include_bytes!("../models/iris_landmark.onnx"),
    input: [1, 3, 64, 64],
    sha256: "0827e160fa464613bc46493e71f79ecd171d6fed49318d2f650869f1615d0316",
};
pub const SELFIE: ModelFile = ModelFile {
    name: "selfie_segmentation.onnx",
    bytes: include_bytes!("../models/selfie_segmentation.onnx"),
    input: [1, 256, 256, 3],
    sha256: "69dd1f6d52bb7615bb27bae508913a31636d80fab29933472a2bc146e55fd2f2",
};
pub const HAIR: ModelFile = ModelFile {
    name: "hair_segmentation.onnx",
    bytes: include_bytes!("../models/hair_segmentation.onnx"),
    input: [1, 512, 512, 4],
    sha256: "9d3dd645dda71ca62bcc8c3eeeec026ca32cc6f6174a9ffc3a92539d76ebc163",
};
pub const DESCRIPTOR: ModelFile = ModelFile {
    name: "dlib_faceapi_rec150.onnx",
    bytes: include_bytes!("../models/dlib_faceapi_rec150.onnx"),
    input: [1, 150, 150, 3],
    sha256: "f8c0a6079fc9d1aee593f733e4eec75bbb837341f676dc1bb3cd35e90f7a5bfe",
};

/// PP-OCRv5 mobile text detector (DBNet), compiled for the rectified card at the size the
/// detector reads it, padded to its stride of 32 (288 × 181 → 288 × 192). Compiled for the
/// whole card, it spent most of its 316 ms on white padding.
pub const OCR_DETECT: ModelFile = ModelFile {
    name: "ppocrv5_det.onnx",
    bytes: include_bytes!("../models/ppocrv5_det.onnx"),
    input: [
        1,
        3,
        detect_side(crate::card::CARD_H),
        detect_side(crate::card::CARD_W),
    ],
    sha256: "d7fe3ea74652890722c0f4d02458b7261d9f5ae6c92904d05707c9eb155c7924",
};
/// One side of the detector's input: the card's side shrunk, up to the detector's stride.
const fn detect_side(card: u32) -> usize {
    (card / crate::card::ocr::DETECT_SCALE).div_ceil(32) as usize * 32
}

/// PP-OCRv5 mobile text-line recogniser (CTC over 18,385 classes), compiled per line width.
pub const OCR_RECOGNISE: ModelFile = ModelFile {
    name: "ppocrv5_rec.onnx",
    bytes: include_bytes!("../models/ppocrv5_rec.onnx"),
    input: [1, 3, 48, 0],
    sha256: "bf66820f48fa99f779974c4df78e5274a9d8e0458c4137e8c5357e40e2c3faf2",
};
/// The recogniser's characters, one per line (class k is line k − 1; 0 is the CTC blank).
pub const OCR_DICTIONARY: ModelFile = ModelFile {
    name: "ppocrv5_dict.txt",
    bytes: include_bytes!("../models/ppocrv5_dict.txt"),
    input: [0; 4],
    sha256: "d1979e9f794c464c0d2e0b70a7fe14dd978e9dc644c0e71f14158cdf8342af1b",
};

/// OpenCC's traditional → simplified character table: names on a mainland card are printed in
/// simplified characters, and the recogniser sometimes prefers a traditional form (傑 for 杰).
pub const TRADITIONAL_TO_SIMPLIFIED: ModelFile = ModelFile {
    name: "opencc_TSCharacters.txt",
    bytes: include_bytes!("../models/opencc_TSCharacters.txt"),
    input: [0; 4],
    sha256: "6b5a0a799bea2bb22c001f635eaa3fc2904310f0c08addbff275477a80ecf09a",
};

/// Every file compiled in: the photo models, then the card reader's.
pub const FILES: [&ModelFile; 11] = [
    &SHORT_RANGE,
    &FULL_RANGE,
    &FACE_MESH,
    &IRIS,
    &SELFIE,
    &HAIR,
    &DESCRIPTOR,
    &OCR_DETECT,
    &OCR_RECOGNISE,
    &OCR_DICTIONARY,
    &TRADITIONAL_TO_SIMPLIFIED,
];

/// A photo model as the engine loads it: the NNEF [`compile`] made of the ONNX
/// file named `source`, kept as `models/compiled/{file}`. Its source's name and
/// input are copied, not referenced: a reference to the [`ModelFile`] would
/// link the ONNX bytes into every binary beside the NNEF.
pub struct Compiled {
    pub source: &'static str,
    pub file: &'static str,
    pub input: [usize; 4],
    pub nnef: &'static [u8],
}

macro_rules! compiled {
    ($file:ident, $stem:literal) => {
        Compiled {
            source: $file.name,
            file: concat!($stem, ".nnef.tar"),
            input: $file.input,
            nnef: include_bytes!(concat!("../models/compiled/", $stem, ".nnef.tar")),
        }
    };
}

pub const SHORT_RANGE_NNEF: Compiled = compiled!(SHORT_RANGE, "face_detection_short_range");
pub const FULL_RANGE_NNEF: Compiled = compiled!(FULL_RANGE, "face_detection_full_range");
pub const FACE_MESH_NNEF: Compiled = compiled!(FACE_MESH, "face_landmark");
pub const IRIS_NNEF: Compiled = compiled!(IRIS, "iris_landmark");
pub const SELFIE_NNEF: Compiled = compiled!(SELFIE, "selfie_segmentation");
pub const HAIR_NNEF: Compiled = compiled!(HAIR, "hair_segmentation");
pub const DESCRIPTOR_NNEF: Compiled = compiled!(DESCRIPTOR, "dlib_faceapi_rec150");

/// Every photo model: its ONNX source and its compiled form.
pub const PHOTO: [(&ModelFile, &Compiled); 7] = [
    (&SHORT_RANGE, &SHORT_RANGE_NNEF),
    (&FULL_RANGE, &FULL_RANGE_NNEF),
    (&FACE_MESH, &FACE_MESH_NNEF),
    (&IRIS, &IRIS_NNEF),
    (&SELFIE, &SELFIE_NNEF),
    (&HAIR, &HAIR_NNEF),
    (&DESCRIPTOR, &DESCRIPTOR_NNEF),
];

/// tract's reader of ONNX, with our PRelu.
fn onnx() -> tract_onnx::Onnx {
    let mut onnx = tract_onnx::onnx();
    prelu::register(&mut onnx);
    onnx
}

/// tract's NNEF with the ONNX operators it has no core form for (Resize).
fn nnef() -> Nnef {
    tract_nnef::nnef().with_onnx()
}

fn typed(file: &ModelFile) -> Result<TypedModel, PhotoError> {
    let err = |e: TractError| PhotoError::model(file.name, e);
    onnx()
        .model_for_read(&mut &file.bytes[..])
        .map_err(err)?
        .with_input_fact(0, f32::fact(file.input).into())
        .map_err(err)?
        .into_typed()
        .map_err(err)
}

/// An ONNX model typed for its input and decluttered, as an NNEF archive:
/// what the engine then only has to generate code for. Its outputs match the
/// ONNX file's (`tests/models.rs`); its bytes vary from one compile to the
/// next, as tract names some nodes in no fixed order.
pub fn compile(file: &ModelFile) -> Result<Vec<u8>, PhotoError> {
    let err = |e: TractError| PhotoError::model(file.name, e);
    let model = typed(file)?.into_decluttered().map_err(err)?;
    nnef()
        .write_to_tar_with_config(&model, Vec::new(), false, true)
        .map_err(err)
}

/// A compiled model ready to run.
#[derive(Clone)]
pub struct Model {
    name: &'static str,
    input: [usize; 4],
    plan: Plan,
}

impl Model {
    /// Straight from ONNX: the card reader's models, compiled per line width.
    pub fn load(file: &ModelFile) -> Result<Self, PhotoError> {
        let err = |e: TractError| PhotoError::model(file.name, e);
        let model = typed(file)?.into_optimized().map_err(err)?;
        Self::runnable(file.name, file.input, model)
    }

    /// From [`compile`]'s NNEF: only code generation is left to do.
    pub fn load_compiled(file: &Compiled) -> Result<Self, PhotoError> {
        let err = |e: TractError| PhotoError::model(file.source, e);
        let mut model = nnef().model_for_read(&mut &file.nnef[..]).map_err(err)?;
        model.optimize().map_err(err)?;
        Self::runnable(file.source, file.input, model)
    }

    fn runnable(
        name: &'static str,
        input: [usize; 4],
        model: TypedModel,
    ) -> Result<Self, PhotoError> {
        let plan = model
            .into_runnable()
            .map_err(|e| PhotoError::model(name, e))?;
        Ok(Self { name, input, plan })
    }

    /// Run on one input laid out as the model's input shape; returns every
    /// output flattened.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, PhotoError> {
        let err = |e: TractError| PhotoError::model(self.name, e);
        let tensor = tract_ndarray::Array4::from_shape_vec(self.input, input)
            .map_err(|e| PhotoError::model(self.name, e))?;
        let outputs = self.plan.run(tvec!(Tensor::from(tensor).into_tvalue()));
        clear_upper_vector_state();
        outputs
            .map_err(err)?
            .iter()
            .map(|o| {
                Ok(o.to_plain_array_view::<f32>()
                    .map_err(err)?
                    .iter()
                    .copied()
                    .collect())
            })
            .collect()
    }
}

/// tract's AVX kernels return with the upper halves of the 256-bit vector
/// registers in use. Until they are cleared, every SSE instruction of the
/// code after them (ours is built for baseline x86-64) pays a transition
/// penalty: the matte stage ran three times slower after a model than
/// before one (36 → 13 ms resampling, 83 → 30 ms compositing on a 2 MP
/// photo). `vzeroupper` clears them; it is free when nothing is dirty.
#[inline]
fn clear_upper_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the instruction exists on every CPU with AVX, checked
        // above, and only zeroes register halves no Rust value lives in
        // across this call.
        unsafe { std::arch::x86_64::_mm256_zeroupper() };
    }
}

/// Every model the engine uses. Cloning shares the compiled plans.
#[derive(Clone)]
pub struct Models {
    pub short_range: Model,
    pub full_range: Model,
    pub face_mesh: Model,
    pub iris: Model,
    pub selfie: Model,
    pub hair: Model,
    pub descriptor: Model,
}

impl Models {
    /// Load and optimise all models, on two threads: a Lambda cold start is
    /// paid once per container. The halves are about equal (hair, short range
    /// and mesh ≈ 170 ms; descriptor, full range, iris and selfie ≈ 190 ms on
    /// this machine).
    pub fn load() -> Result<Self, PhotoError> {
        std::thread::scope(|s| {
            let other = s.spawn(|| -> Result<_, PhotoError> {
                Ok((
                    Model::load_compiled(&HAIR_NNEF)?,
                    Model::load_compiled(&SHORT_RANGE_NNEF)?,
                    Model::load_compiled(&FACE_MESH_NNEF)?,
                ))
            });
            let descriptor = Model::load_compiled(&DESCRIPTOR_NNEF)?;
            let full_range = Model::load_compiled(&FULL_RANGE_NNEF)?;
            let iris = Model::load_compiled(&IRIS_NNEF)?;
            let selfie = Model::load_compiled(&SELFIE_NNEF)?;
            let (hair, short_range, face_mesh) = other
                .join()
                .map_err(|_| PhotoError::model("loader", "thread panicked"))??;
            Ok(Self {
                short_range,
                full_range,
                face_mesh,
                iris,
                selfie,
                hair,
                descriptor,
            })
        })
    }
}
