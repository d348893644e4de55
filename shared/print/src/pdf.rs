//! The sheet as a one-page PDF of the paper's size: the JPEG placed edge to edge, unchanged
//! (DCTDecode), so the PDF prints the same pixels as the JPEG. No dates and no document id are
//! written, so the same sheet gives the same bytes.

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};

use crate::{Layout, Settings};

pub(crate) fn page(jpeg: &[u8], layout: &Layout, settings: &Settings) -> Vec<u8> {
    let (catalog, pages, page_id, image, content) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    let name = Name(b"Sheet");
    // PDF counts in points, 72 to the inch.
    let points = |px: u32| px as f32 * 72.0 / settings.dpi as f32;
    let (w, h) = (points(layout.width), points(layout.height));

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, w, h));
    page.parent(pages);
    page.contents(content);
    page.resources().x_objects().pair(name, image);
    page.finish();

    let mut xobject = pdf.image_xobject(image, jpeg);
    xobject.filter(Filter::DctDecode);
    xobject.width(layout.width as i32);
    xobject.height(layout.height as i32);
    xobject.color_space().device_rgb();
    xobject.bits_per_component(8);
    xobject.finish();

    let mut draw = Content::new();
    draw.save_state();
    draw.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
    draw.x_object(name);
    draw.restore_state();
    pdf.stream(content, &draw.finish());
    pdf.finish()
}
