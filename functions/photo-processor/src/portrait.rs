//! A student's ID-card photo (身份证人像面): read the card, store what it says and its face's
//! descriptor, or mark it unusable with what to retake.

use domain::{CardProblem, CardText, IdNumber, PortraitId, PortraitStatus};
use photo::card::CardReading;
use store::{Digest, FaceOf, ImageType, PortraitChecked, UploadKey};

use crate::{Done, Processor, Retry};

impl Processor {
    pub(crate) async fn portrait(&self, portrait: PortraitId) -> Result<Done, Retry> {
        let table = &self.store.table;
        let Some(openid) = table.portrait_owner(portrait).await? else {
            return Ok(Done::Orphan);
        };
        if table.consents(&openid).await?.is_empty() {
            return Ok(Done::NoConsent);
        }
        let current = table
            .student(&openid)
            .await?
            .and_then(|s| s.portrait)
            .filter(|p| p.id == portrait);
        match current.map(|p| p.status) {
            // Replaced by a newer portrait: that one counts.
            None => return Ok(Done::Orphan),
            Some(PortraitStatus::Pending) => {}
            Some(_) => return Ok(Done::Duplicate),
        }
        let Some(bytes) = self
            .store
            .objects
            .read_upload(UploadKey::Portrait(portrait))
            .await?
        else {
            return Ok(Done::Orphan);
        };
        // As for attempts: the copy, the descriptor and the card's text are named by the
        // digest of the bytes read, and the decision records it, so a replayed upload changes
        // nothing it names.
        let checked = PortraitChecked {
            portrait,
            digest: Digest::of(&bytes),
        };
        let content_type =
            ImageType::sniff(&bytes).map_or("application/octet-stream", ImageType::content_type);
        self.store
            .objects
            .put_photo_object(&checked.copy_key(), content_type, bytes.clone())
            .await?;
        let reading = self
            .run(move |engine, _| engine.read_id_card(&bytes))
            .await?;
        let (status, problem, done) = match judged(reading) {
            Ok((descriptor, text)) => {
                // The text first: a usable card always has its text stored.
                table.put_card_text(&checked, &text).await?;
                table
                    .put_face(FaceOf::Portrait(portrait, checked.digest), &descriptor)
                    .await?;
                let problem = match text {
                    CardText::Unread(problem) => Some(problem),
                    CardText::Read { .. } => None,
                };
                (PortraitStatus::Usable, problem, Done::PortraitUsable)
            }
            Err(problem) => (
                PortraitStatus::Unusable,
                Some(problem),
                Done::PortraitUnusable,
            ),
        };
        Ok(
            if table
                .decide_portrait(&openid, &checked, status, problem)
                .await?
            {
                done
            } else {
                Done::Duplicate
            },
        )
    }
}

/// The card's face descriptor and text, or why the photo cannot serve as the card. A card
/// whose text was not read still serves when its face was found ([`CardProblem::face_usable`]);
/// a photo with no card, the emblem side or a card without a face does not.
fn judged(reading: CardReading) -> Result<(Vec<f32>, CardText), CardProblem> {
    let problem = reading.problem;
    let face = reading.face.map(|d| d.0);
    match (problem, face) {
        (None, Some(face)) => {
            let text = match (reading.fields.name, reading.fields.id_number) {
                (Some(name), Some(number)) => IdNumber::parse_stored(&number.value)
                    .map(|id_number| CardText::Read {
                        name: name.value,
                        id_number,
                    })
                    .unwrap_or(CardText::Unread(CardProblem::ChecksumFailed)),
                _ => CardText::Unread(CardProblem::FieldsUnread),
            };
            Ok((face, text))
        }
        (Some(problem), Some(face)) if problem.face_usable() => {
            Ok((face, CardText::Unread(problem)))
        }
        (Some(problem), _) => Err(problem),
        (None, None) => Err(CardProblem::NoFace),
    }
}
