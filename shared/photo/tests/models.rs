//! The models compiled into the engine are the files the provenance table
//! in `models/README.md` describes, byte for byte.

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
