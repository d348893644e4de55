//! What went wrong reading JSON, said without the JSON: serde_json's own messages quote the
//! offending value (`invalid type: string "4401…", expected …`), and the bodies read here
//! carry openids, names, payment amounts and transaction ids. Errors end up in logs.

/// The kind of problem and where, naming a field only when it is ours (a missing one).
pub fn problem(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match error.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not JSON",
        Category::Eof => "cut short",
        Category::Data => {
            let message = error.to_string();
            if message.starts_with("missing field") {
                // "missing field `openid` at line …": the name is one of our struct's.
                return message;
            }
            "a value of the wrong type or form"
        }
    };
    format!("{kind} (line {}, column {})", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Reply {
        openid: String,
        amount: u32,
    }

    #[test]
    fn no_value_of_the_body_is_repeated() {
        for body in [
            r#"{"openid": "o-secret-openid", "amount": "4401061990"}"#,
            r#"{"openid": 4401061990, "amount": 1}"#,
            r#"{"openid": "o-secret-openid""#,
        ] {
            let error = serde_json::from_str::<Reply>(body).unwrap_err();
            let said = problem(&error);
            assert!(
                !said.contains("4401061990") && !said.contains("o-secret"),
                "{said}"
            );
            assert!(said.contains("line 1"), "{said}");
        }
        let missing = serde_json::from_str::<Reply>(r#"{"amount": 1}"#).unwrap_err();
        assert!(problem(&missing).starts_with("missing field `openid`"));
    }
}
