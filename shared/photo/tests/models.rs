//! The model files are those the provenance table in `models/README.md`
//! describes, byte for byte, and the compiled forms the engine loads run as
//! they do.

use sha2::{Digest, Sha256};

#[test]
fn every_model_matches_the_sha256_in_its_provenance_table() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/README.md")).unwrap();
    for m in photo::models::FILES {
        let digest: String = Sha256::digest(m.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, m.sha256, "{} changed", m.name);
        let on_disk =
            std::fs::read(format!("{}/models/{}", env!("CARGO_MANIFEST_DIR"), m.name)).unwrap();
        assert_eq!(
            on_disk, m.bytes,
            "{} on disk differs from the compiled copy",
            m.name
        );
        assert!(
            readme.contains(&format!("| {} |", m.name)) && readme.contains(m.sha256),
            "{} not in the provenance table",
            m.name
        );
    }
}

/// The engine loads the photo models from `models/compiled/`: each must run as
/// its ONNX file does, on an input varied enough to reach every branch. Six give
/// the same floats; in the hair model tract generates one convolution of the
/// reloaded graph as a direct convolution instead of im2col and a matrix
/// product, a different order of the same sums (3·10⁻⁶ on logits up to 6.6).
/// (tract names a model's nodes differently from one compile to the next, so
/// the archives themselves cannot be compared byte for byte.)
#[test]
fn each_compiled_model_runs_as_its_onnx_file_does() {
    use photo::models::{Model, PHOTO};
    for (source, compiled) in PHOTO {
        assert_eq!(
            (compiled.source, compiled.input),
            (source.name, source.input)
        );
        let n: usize = source.input.iter().product();
        let input: Vec<f32> = (0..n).map(|i| ((i * 7919) % 255) as f32 / 255.0).collect();
        let want = Model::load(source).unwrap().run(input.clone()).unwrap();
        let got = Model::load_compiled(compiled).unwrap().run(input).unwrap();
        assert_eq!(got.len(), want.len());
        for (got, want) in got.iter().zip(&want) {
            assert_eq!(got.len(), want.len());
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            let worst = got
                .iter()
                .zip(want)
                .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                worst <= 1e-5 * scale,
                "{}: {worst} apart on outputs up to {scale}",
                compiled.file
            );
        }
    }
}
