//! What the student's ID card says, as the photo processor read it (DESIGN §7). Name and
//! number are personal data: sealed like the verified identity, under a context naming the
//! exact upload they were read from, so a record cannot be passed off as another upload's.

use domain::{CardProblem, CardText, IdNumber};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::evidence::PortraitChecked;
use crate::keys;
use crate::table::{Table, from_record, record};

const ENTITY: &str = "card text";

#[derive(Serialize, Deserialize)]
struct CardRecord {
    /// The sealed JSON of [`Plain`].
    text_sealed: String,
}

/// The record's plain form, only ever held sealed.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Plain {
    Read { name: String, id_number: String },
    Unread { problem: CardProblem },
}

fn seal_context(card: &PortraitChecked) -> String {
    format!("card/{}#{}", card.portrait, card.digest)
}

fn owner(card: &PortraitChecked) -> String {
    format!("{}#{}", card.portrait, card.digest)
}

impl Table {
    /// Stores (or replaces: the same upload reads the same) what `card` says.
    pub async fn put_card_text(
        &self,
        card: &PortraitChecked,
        text: &CardText,
    ) -> Result<(), StoreError> {
        let plain = match text {
            CardText::Read { name, id_number } => Plain::Read {
                name: name.clone(),
                id_number: id_number.as_str().to_owned(),
            },
            CardText::Unread(problem) => Plain::Unread { problem: *problem },
        };
        let plain = serde_json::to_string(&plain).map_err(StoreError::request)?;
        let sealed = CardRecord {
            text_sealed: self.pii()?.seal(&seal_context(card), &plain),
        };
        self.put_unconditional(record(ENTITY, keys::card_text(owner(card)), &sealed)?)
            .await
    }

    /// Deletes what `card` says (the purger's: its purpose ended).
    pub async fn delete_card_text(&self, card: &PortraitChecked) -> Result<(), StoreError> {
        self.delete_unconditional(keys::card_text(owner(card)))
            .await
    }

    /// What `card` says, if the processor read it.
    pub async fn card_text(&self, card: &PortraitChecked) -> Result<Option<CardText>, StoreError> {
        let Some(item) = self.get(keys::card_text(owner(card))).await? else {
            return Ok(None);
        };
        let r: CardRecord = from_record(ENTITY, item)?;
        let plain = self.pii()?.open(&seal_context(card), &r.text_sealed)?;
        let plain: Plain =
            serde_json::from_str(&plain).map_err(|e| StoreError::corrupt(ENTITY, e))?;
        Ok(Some(match plain {
            Plain::Read { name, id_number } => CardText::Read {
                name,
                id_number: IdNumber::parse_stored(&id_number)
                    .map_err(|e| StoreError::corrupt(ENTITY, e))?,
            },
            Plain::Unread { problem } => CardText::Unread(problem),
        }))
    }
}
