//! Write the photo models' NNEF (`models/compiled/`), after a model or tract
//! changes: `cargo run --release -p photo --example compile_models`.

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/models/compiled");
    for (source, compiled) in photo::models::PHOTO {
        let nnef = photo::models::compile(source).expect("compile");
        let path = format!("{dir}/{}", compiled.file);
        std::fs::write(&path, &nnef).expect("write");
        println!("{path}: {} KB", nnef.len() / 1024);
    }
}
