//! The API calls the journey is made of, as the mini program and the operators' tools make
//! them: shared by the printed journey and by the seeding of local stacks.

use domain::{AttemptId, CollectionId, IdNumber};
use photo::card::synth;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Body, Error, LocalApi, LocalProcessor, put, text};

/// The student's phone photo, and the face on their ID card: a real photo of the engine's
/// test set (CC BY 4.0, see shared/photo/tests/fixtures/ATTRIBUTION.md).
pub const PHOTO: &[u8] =
    include_bytes!("../../shared/photo/tests/fixtures/pass_frontal_woman_02.jpg");

/// A photo of the ID card of `name` with `id_number`, with [`PHOTO`]'s face: synthetic (no
/// real card may be used), drawn with the font `photo::card::synth` names and photographed
/// on a table, seeded by the number so a person's card is the same on every run.
pub fn id_card(name: &str, id_number: &str) -> Result<Vec<u8>, Error> {
    id_card_of(&synth::person_with(
        name,
        &IdNumber::parse_stored(id_number)?,
    ))
}

/// A photo of `person`'s ID card, as [`id_card`]; the person may carry a number whose
/// checksum fails, as a misprinted or forged card would.
pub fn id_card_of(person: &synth::Person) -> Result<Vec<u8>, Error> {
    let font = synth::font().ok_or_else(|| {
        format!(
            "the card font is missing: {} (scripts/setup-font.sh installs it)",
            synth::FONT_PATH
        )
    })?;
    let face = synth::holder_photo(&image::load_from_memory(PHOTO)?.to_rgb8());
    let seed = person
        .id_number
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let card = synth::render(person, &face, &font, &mut synth::rng(seed));
    Ok(synth::careful_photo(&card, seed))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl LocalApi {
    /// `POST /v1/tasks`: a bachelor's collection open from yesterday for 60 days, ¥30, with
    /// printed photos (小二寸, mailed) offered at ¥15.
    pub async fn create_task(
        &self,
        school: &str,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Value, Error> {
        let body = json!({
            "session_code": code,
            "school": school,
            "education_level": "bachelor",
            "graduation_year": 2026,
            "fee_fen": 3000,
            "print": {"price_fen": 1500},
            "opens_at": rfc3339(now - time::Duration::days(1)),
            "closes_at": rfc3339(now + time::Duration::days(60)),
        });
        self.send(
            "POST",
            "/v1/tasks",
            Some(&self.operator_token()),
            Body::Json(body),
        )
        .await?
        .expect(201)
    }

    /// `PUT /v1/tasks/{id}/roster` with a CSV file.
    pub async fn import_roster(&self, task_id: &str, csv: &str) -> Result<Value, Error> {
        let path = format!("/v1/tasks/{task_id}/roster");
        self.send(
            "PUT",
            &path,
            Some(&self.operator_token()),
            Body::Csv(csv.to_owned()),
        )
        .await?
        .expect(200)
    }

    /// `POST /v1/identity/portrait` and the ID card's photo PUT to the presigned URL; returns
    /// the portrait id and the upload's status.
    pub async fn upload_id_card(&self, token: &str, card: &[u8]) -> Result<(String, u16), Error> {
        // The student read the privacy notice and consents to every purpose, as the mini
        // program asks before the card's photo.
        let consent = json!({
            "notice_version": domain::privacy::current().version,
            "purposes": ["identity_check", "face_photo", "face_comparison"],
        });
        let body =
            json!({"content_type": "image/jpeg", "content_length": card.len(), "consent": consent});
        let issued = self
            .send(
                "POST",
                "/v1/identity/portrait",
                Some(token),
                Body::Json(body),
            )
            .await?
            .expect(200)?;
        let status = put(&issued["upload"], card).await?;
        Ok((text(&issued["portrait_id"])?.to_owned(), status))
    }

    /// `POST /v1/identity`: the student confirms `name` and `id_number` from the card
    /// `portrait_id`.
    pub async fn confirm_identity(
        &self,
        token: &str,
        name: &str,
        id_number: &str,
        portrait_id: &str,
    ) -> Result<Value, Error> {
        let body = json!({"name": name, "id_number": id_number, "portrait_id": portrait_id});
        self.send("POST", "/v1/identity", Some(token), Body::Json(body))
            .await?
            .expect(200)
    }

    /// The whole identity step for a person the identity provider knows: a photo of their ID
    /// card uploaded, read by the photo processor, and what it says confirmed. Returns the
    /// confirmation's answer.
    pub async fn verify_identity(
        &self,
        photos: &LocalProcessor,
        token: &str,
        name: &str,
        id_number: &str,
    ) -> Result<Value, Error> {
        self.identity.register(name, id_number);
        let (portrait, _) = self
            .upload_id_card(token, &id_card(name, id_number)?)
            .await?;
        photos.process(1).await?;
        self.confirm_identity(token, name, id_number, &portrait)
            .await
    }

    /// `POST /v1/links/roster`: the student's case, found by their verified identity.
    pub async fn link_by_roster(&self, token: &str) -> Result<Value, Error> {
        self.send(
            "POST",
            "/v1/links/roster",
            Some(token),
            Body::Json(json!({})),
        )
        .await?
        .expect(200)
    }

    /// `POST …/payment`, and the student paying it at WeChat Pay, whose notification reaches
    /// the webhook; returns the checkout and the webhook's status.
    pub async fn pay_case(
        &self,
        token: &str,
        case_id: CollectionId,
    ) -> Result<(Value, u16), Error> {
        self.pay_case_with(token, case_id, false).await
    }

    /// As [`LocalApi::pay_case`]; with `prints`, the printed photos are in the same payment
    /// (the address must be on file).
    pub async fn pay_case_with(
        &self,
        token: &str,
        case_id: CollectionId,
        prints: bool,
    ) -> Result<(Value, u16), Error> {
        let path = format!("/v1/collections/{case_id}/payment");
        let body = json!({ "print": prints });
        let checkout = self
            .send("POST", &path, Some(token), Body::Json(body))
            .await?
            .expect(200)?;
        let notification = self
            .pay
            .pay(text(&checkout["order_no"])?)
            .ok_or("the local WeChat Pay does not know the order")?;
        let status = self.notify(&notification).await?;
        if status != 204 {
            return Err(format!("the payment webhook answered {status}, not 204").into());
        }
        Ok((checkout, status))
    }

    /// `PUT …/address`: where the student's printed photos go.
    pub async fn put_address(
        &self,
        token: &str,
        case_id: CollectionId,
        recipient: &str,
    ) -> Result<Value, Error> {
        let path = format!("/v1/collections/{case_id}/address");
        let body = json!({
            "recipient": recipient,
            "phone": "13800138000",
            "province": "广东省",
            "city": "广州市",
            "district": "天河区",
            "detail": "五山路381号华南理工大学32栋101",
        });
        self.send("PUT", &path, Some(token), Body::Json(body))
            .await?
            .expect(200)
    }

    /// `POST …/attempts` and the photo's upload; returns the attempt and the upload's status.
    pub async fn upload_photo(
        &self,
        token: &str,
        case_id: CollectionId,
    ) -> Result<(AttemptId, u16), Error> {
        let path = format!("/v1/collections/{case_id}/attempts");
        let body = json!({"content_type": "image/jpeg", "content_length": PHOTO.len()});
        let started = self
            .send("POST", &path, Some(token), Body::Json(body))
            .await?
            .expect(201)?;
        let attempt = text(&started["attempt_id"])?.parse()?;
        Ok((attempt, put(&started["upload"], PHOTO).await?))
    }

    /// The standardised photo of `attempt` as the student is shown it (`GET` the case, then
    /// its presigned link), and `POST …/submit` confirming it by its sha256.
    pub async fn submit(
        &self,
        token: &str,
        case_id: CollectionId,
        attempt: AttemptId,
    ) -> Result<Value, Error> {
        let case = self.case(token, case_id).await?;
        let shown = case["attempts"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["id"] == attempt.to_string()))
            .ok_or("the case does not list the attempt")?;
        let url = text(&shown["standardised"]["url"])?;
        let photo = localstack::http_client()
            .get(url)
            .send()
            .await?
            .bytes()
            .await?;
        let sha256 = store::Digest::of(&photo).to_string();
        let path = format!("/v1/collections/{case_id}/submit");
        let body = json!({ "attempt_id": attempt.to_string(), "standardised_sha256": sha256 });
        self.send("POST", &path, Some(token), Body::Json(body))
            .await?
            .expect(200)
    }
}
