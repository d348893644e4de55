//! Session tokens: compact JWTs signed with HMAC-SHA256 (RFC 7519, `alg` HS256 only). A
//! student gets one for two hours at login; reviewers and operators get theirs from the
//! `mint-token` command, with the role in a claim. Only HS256 is accepted, whatever the header
//! says, so `alg: none` and key-confusion tricks have nothing to work with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

const ISSUER: &str = "graduate-photo";
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// Clock skew allowed between the function's containers.
const LEEWAY_SECONDS: i64 = 30;
/// How long a student stays logged in after `wx.login()`.
pub const STUDENT_TTL: Duration = Duration::hours(2);
/// The longest a reviewer's or an operator's token lives: one working day. A token claiming
/// more is refused, however it was minted.
pub const STAFF_MAX_TTL: Duration = Duration::hours(12);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Student,
    Reviewer,
    Operator,
    /// Corrects photos a reviewer sent to retouching (修图); sees only those.
    Retoucher,
}

impl Role {
    /// Who a token is for: students' tokens and staff tokens name different audiences, so
    /// one can never stand in for the other, whatever its role claim says.
    fn audience(self) -> &'static str {
        match self {
            Self::Student => "students",
            Self::Reviewer | Self::Operator | Self::Retoucher => "staff",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Student => "student",
            Self::Reviewer => "reviewer",
            Self::Operator => "operator",
            Self::Retoucher => "retoucher",
        }
    }

    pub fn is_staff(self) -> bool {
        self != Self::Student
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "student" => Ok(Self::Student),
            "reviewer" => Ok(Self::Reviewer),
            "operator" => Ok(Self::Operator),
            "retoucher" => Ok(Self::Retoucher),
            other => Err(format!(
                "unknown role {other:?} (student, reviewer, operator, retoucher)"
            )),
        }
    }
}

/// Who is calling: an openid for a student, a staff id for reviewers and operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    role: Role,
    iat: i64,
    exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature is wrong")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

/// Signs and checks tokens with the service's secret (at least 32 bytes).
#[derive(Clone)]
pub struct Tokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

impl Tokens {
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the session secret must be at least 32 bytes".into());
        }
        Ok(Self {
            key: secret.to_vec(),
        })
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    /// A token for `principal` valid for `ttl` (for staff, at most [`STAFF_MAX_TTL`]).
    pub fn mint(&self, principal: &Principal, now: OffsetDateTime, ttl: Duration) -> String {
        let ttl = if principal.role.is_staff() {
            ttl.min(STAFF_MAX_TTL)
        } else {
            ttl
        };
        let claims = Claims {
            iss: ISSUER.into(),
            aud: principal.role.audience().into(),
            sub: principal.subject.clone(),
            role: principal.role,
            iat: now.unix_timestamp(),
            exp: (now + ttl).unix_timestamp(),
        };
        let claims = serde_json::to_vec(&claims).expect("claims serialise");
        let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(claims));
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = B64.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Principal, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(claims.as_bytes());
        // Constant-time comparison, before anything in the token is trusted.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let header = B64.decode(header).map_err(|_| TokenError::Malformed)?;
        let header: serde_json::Value =
            serde_json::from_slice(&header).map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::Malformed);
        }
        let claims = B64.decode(claims).map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&claims).map_err(|_| TokenError::Malformed)?;
        if claims.iss != ISSUER
            || claims.sub.is_empty()
            || claims.aud != claims.role.audience()
            || (claims.role.is_staff() && claims.exp - claims.iat > STAFF_MAX_TTL.whole_seconds())
        {
            return Err(TokenError::Malformed);
        }
        let now = now.unix_timestamp();
        if claims.exp + LEEWAY_SECONDS <= now || claims.iat - LEEWAY_SECONDS > now {
            return Err(TokenError::Expired);
        }
        Ok(Principal {
            subject: claims.sub,
            role: claims.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(&[7u8; 32]).unwrap()
    }

    fn operator() -> Principal {
        Principal {
            subject: "ops-1".into(),
            role: Role::Operator,
        }
    }

    #[test]
    fn a_minted_token_verifies_until_it_expires() {
        let now = OffsetDateTime::now_utc();
        let token = tokens().mint(&operator(), now, Duration::hours(1));
        assert_eq!(tokens().verify(&token, now), Ok(operator()));
        assert_eq!(
            tokens().verify(&token, now + Duration::minutes(61)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_changed_claim_or_another_key_is_refused() {
        let now = OffsetDateTime::now_utc();
        let token = tokens().mint(&operator(), now, Duration::hours(1));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let forged = br#"{"iss":"graduate-photo","sub":"ops-1","role":"operator","iat":0,"exp":99999999999}"#;
        parts[1] = B64.encode(forged);
        assert_eq!(
            tokens().verify(&parts.join("."), now),
            Err(TokenError::BadSignature)
        );
        let other = Tokens::new(&[8u8; 32]).unwrap();
        assert_eq!(other.verify(&token, now), Err(TokenError::BadSignature));
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let now = OffsetDateTime::now_utc();
        let claims = format!(
            r#"{{"iss":"graduate-photo","sub":"x","role":"operator","iat":{},"exp":{}}}"#,
            now.unix_timestamp(),
            now.unix_timestamp() + 60
        );
        let token = format!(
            "{}.{}.",
            B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            B64.encode(claims)
        );
        assert_eq!(tokens().verify(&token, now), Err(TokenError::BadSignature));
        assert_eq!(tokens().verify("a.b", now), Err(TokenError::Malformed));
        assert_eq!(tokens().verify("", now), Err(TokenError::Malformed));
    }

    /// A token with these claims, properly signed: what a holder of the secret could mint.
    fn signed(claims: &str) -> String {
        let input = format!("{}.{}", B64.encode(HEADER), B64.encode(claims));
        let mut mac = tokens().mac();
        mac.update(input.as_bytes());
        format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn an_audience_that_does_not_fit_the_role_is_refused() {
        let now = OffsetDateTime::now_utc();
        let (iat, exp) = (now.unix_timestamp(), now.unix_timestamp() + 600);
        for (aud, role) in [
            ("students", "operator"),
            ("staff", "student"),
            ("", "reviewer"),
        ] {
            let token = signed(&format!(
                r#"{{"iss":"graduate-photo","aud":"{aud}","sub":"x","role":"{role}","iat":{iat},"exp":{exp}}}"#
            ));
            assert_eq!(
                tokens().verify(&token, now),
                Err(TokenError::Malformed),
                "{aud} {role}"
            );
        }
        // The claims a student's token carries pass only as a student.
        let student = Principal {
            subject: "o-1".into(),
            role: Role::Student,
        };
        let token = tokens().mint(&student, now, STUDENT_TTL);
        assert_eq!(tokens().verify(&token, now).unwrap().role, Role::Student);
    }

    #[test]
    fn staff_tokens_live_twelve_hours_at_most() {
        let now = OffsetDateTime::now_utc();
        let token = tokens().mint(&operator(), now, Duration::hours(24));
        assert_eq!(tokens().verify(&token, now), Ok(operator()));
        assert_eq!(
            tokens().verify(&token, now + Duration::hours(12) + Duration::minutes(1)),
            Err(TokenError::Expired)
        );
        let day = signed(&format!(
            r#"{{"iss":"graduate-photo","aud":"staff","sub":"ops-1","role":"operator","iat":{},"exp":{}}}"#,
            now.unix_timestamp(),
            now.unix_timestamp() + 24 * 3600
        ));
        assert_eq!(tokens().verify(&day, now), Err(TokenError::Malformed));
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(Tokens::new(b"too short").is_err());
    }
}
