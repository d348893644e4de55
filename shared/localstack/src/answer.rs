//! An HTTP function's JSON answer in tests, with the checks every route test makes.

use serde_json::Value;

/// A response: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// Asserts an error response with `status` and `code`, with both messages present.
    #[track_caller]
    pub fn refused(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "{:#}",
            self.body
        );
        assert!(
            self.body["message_zh"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
                && self.body["message_en"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
            "error without messages: {}",
            self.body
        );
    }

    /// The body, after asserting the answer had `status`.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{:#}", self.body);
        &self.body
    }
}
