//! The API calls the journey is made of, as the mini program and the operators' tools make
//! them: shared by the printed journey and by the seeding of local stacks.

use domain::{AttemptId, CollectionId};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Body, Error, LocalApi, put, text};

/// The student's phone photo and ID-card portrait: a real photo of the engine's test set
/// (CC BY 4.0, see shared/photo/tests/fixtures/ATTRIBUTION.md).
pub const PHOTO: &[u8] =
    include_bytes!("../../shared/photo/tests/fixtures/pass_frontal_woman_02.jpg");

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl LocalApi {
    /// `POST /v1/tasks`: a bachelor's collection open from yesterday for 60 days, ¥30.
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

    /// `POST /v1/identity` for a person the identity provider knows, then the ID-card
    /// portrait's upload; returns the answer and the upload's status.
    pub async fn verify_identity(
        &self,
        token: &str,
        name: &str,
        id_number: &str,
    ) -> Result<(Value, u16), Error> {
        self.identity.register(name, id_number);
        let body = json!({
            "name": name,
            "id_number": id_number,
            "portrait": {"content_type": "image/jpeg", "content_length": PHOTO.len()},
        });
        let identity = self
            .send("POST", "/v1/identity", Some(token), Body::Json(body))
            .await?
            .expect(200)?;
        let status = put(&identity["upload"], PHOTO).await?;
        Ok((identity, status))
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
        let path = format!("/v1/collections/{case_id}/payment");
        let checkout = self
            .send("POST", &path, Some(token), Body::Json(json!({})))
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

    /// `POST …/submit`.
    pub async fn submit(
        &self,
        token: &str,
        case_id: CollectionId,
        attempt: AttemptId,
    ) -> Result<Value, Error> {
        let path = format!("/v1/collections/{case_id}/submit");
        let body = json!({ "attempt_id": attempt.to_string() });
        self.send("POST", &path, Some(token), Body::Json(body))
            .await?
            .expect(200)
    }
}
