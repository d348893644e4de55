//! The S3 notifications the uploads queue carries (DESIGN §4).
//!
//! Only the fields the processor needs are read, so both real S3 events and moto's trimmed
//! ones parse; S3 also sends one `s3:TestEvent` when the notification is configured.

use serde::Deserialize;

/// What one SQS message said.
#[derive(Debug, PartialEq, Eq)]
pub enum Notification {
    /// S3's check that the queue is reachable: nothing to do.
    Test,
    Uploads(Vec<Upload>),
}

/// One object created in a bucket.
#[derive(Debug, PartialEq, Eq)]
pub struct Upload {
    pub bucket: String,
    /// The key, URL-decoded.
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    #[error("not an S3 notification: {0}")]
    Json(#[from] serde_json::Error),
    #[error("object key {0:?} is not URL-encoded UTF-8")]
    Key(String),
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "Event")]
    event: Option<String>,
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Named,
    object: Object,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
}

pub fn parse(body: &str) -> Result<Notification, Malformed> {
    let body: Body = serde_json::from_str(body)?;
    if body.event.as_deref() == Some("s3:TestEvent") {
        return Ok(Notification::Test);
    }
    body.records
        .into_iter()
        // Deletions and other event types may share the queue's configuration one day.
        .filter(|r| r.event_name.starts_with("ObjectCreated"))
        .map(|r| {
            let key = url_decode(&r.s3.object.key).ok_or(Malformed::Key(r.s3.object.key))?;
            Ok(Upload {
                bucket: r.s3.bucket.name,
                key,
            })
        })
        .collect::<Result<_, _>>()
        .map(Notification::Uploads)
}

/// S3 event keys are form-encoded: `%XX` escapes and `+` for a space.
fn url_decode(key: &str) -> Option<String> {
    let mut out = Vec::with_capacity(key.len());
    let mut bytes = key.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_s3_event_gives_its_decoded_keys() {
        // The shape S3 documents, with every field real events carry.
        let body = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"cn-north-1",
            "eventTime":"2026-06-01T08:00:00.000Z","eventName":"ObjectCreated:Put",
            "userIdentity":{"principalId":"AWS:AIDA"},"requestParameters":{"sourceIPAddress":"10.0.0.1"},
            "responseElements":{"x-amz-request-id":"R","x-amz-id-2":"I"},
            "s3":{"s3SchemaVersion":"1.0","configurationId":"uploads",
              "bucket":{"name":"up","ownerIdentity":{"principalId":"A"},"arn":"arn:aws-cn:s3:::up"},
              "object":{"key":"attempts/01J%2FX/a+b%E5%9B%BE","size":1024,"eTag":"e","sequencer":"0A"}}}]}"#;
        assert_eq!(
            parse(body).unwrap(),
            Notification::Uploads(vec![Upload {
                bucket: "up".into(),
                key: "attempts/01J/X/a b图".into(),
            }])
        );
    }

    #[test]
    fn a_trimmed_event_and_the_test_event_parse() {
        let trimmed = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"up"},"object":{"key":"portraits/P"}}}]}"#;
        assert_eq!(
            parse(trimmed).unwrap(),
            Notification::Uploads(vec![Upload {
                bucket: "up".into(),
                key: "portraits/P".into(),
            }])
        );
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-06-01T08:00:00Z","Bucket":"up"}"#;
        assert_eq!(parse(test).unwrap(), Notification::Test);
    }

    #[test]
    fn other_events_are_ignored_and_garbage_is_malformed() {
        let removed = r#"{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"up"},"object":{"key":"k"}}}]}"#;
        assert_eq!(parse(removed).unwrap(), Notification::Uploads(vec![]));
        assert!(matches!(parse("not json"), Err(Malformed::Json(_))));
        assert!(matches!(
            parse(r#"{"Records":[{}]}"#),
            Err(Malformed::Json(_))
        ));
        let bad_escape = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"up"},"object":{"key":"a%G1"}}}]}"#;
        assert!(matches!(parse(bad_escape), Err(Malformed::Key(_))));
        let not_utf8 = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"up"},"object":{"key":"%FF"}}}]}"#;
        assert!(matches!(parse(not_utf8), Err(Malformed::Key(_))));
    }
}
