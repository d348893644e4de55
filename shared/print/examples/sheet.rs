//! Renders a sheet of one photo, to look at: `cargo run -p print --example sheet IN.jpg NUMBER OUT [pdf]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, number, output, rest @ ..] = args.as_slice() else {
        eprintln!("usage: sheet IN.jpg STUDENT_NUMBER OUT [pdf]");
        std::process::exit(2);
    };
    let format = if rest.first().is_some_and(|f| f == "pdf") {
        print::Format::Pdf
    } else {
        print::Format::Jpeg
    };
    let photo = image::open(input).expect("a photo").to_rgb8();
    let sheet =
        print::render(&photo, number, &print::Settings::four_r(33, 48, format)).expect("a sheet");
    // A PNG beside a JPEG sheet, for viewers that show PNG only.
    if format == print::Format::Jpeg {
        let png = std::path::Path::new(output).with_extension("png");
        image::load_from_memory(&sheet.bytes)
            .expect("the sheet decodes")
            .save(png)
            .expect("PNG written");
    }
    std::fs::write(output, sheet.bytes).expect("written");
}
