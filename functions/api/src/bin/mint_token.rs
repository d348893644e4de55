//! Mints a session token for a reviewer or an operator (students get theirs at login):
//!
//! ```text
//! mint-token --role operator --subject alice [--hours 8]
//! ```
//!
//! The signing secret comes from `SESSION_SECRET`, or from the SSM SecureString named by
//! `SESSION_SECRET_PARAMETER` (with the caller's AWS credentials), as in the function.

use std::process::ExitCode;

use api::auth::{Principal, Role, Tokens};
use time::{Duration, OffsetDateTime};

const USAGE: &str = "usage: mint-token --role reviewer|operator --subject ID [--hours N]";

fn parse(args: &[String]) -> Result<(Role, String, i64), String> {
    let (mut role, mut subject, mut hours) = (None, None, 8);
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--role" => role = Some(value.parse::<Role>()?),
            "--subject" => subject = Some(value.clone()),
            "--hours" => {
                hours = value
                    .parse()
                    .ok()
                    .filter(|h| (1..=12).contains(h))
                    .ok_or("--hours must be 1 to 12 (a staff token lives one working day)")?
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let role = role.ok_or("--role is required")?;
    if role == Role::Student {
        return Err("students get their tokens by logging in".into());
    }
    let subject = subject
        .filter(|s| !s.trim().is_empty())
        .ok_or("--subject is required")?;
    Ok((role, subject, hours))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (role, subject, hours) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sdk = aws_config::load_from_env().await;
    let tokens = match store::secret(&sdk, "SESSION_SECRET")
        .await
        .map_err(|e| e.to_string())
        .and_then(|secret| Tokens::new(secret.as_bytes()))
    {
        Ok(tokens) => tokens,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let principal = Principal { subject, role };
    println!(
        "{}",
        tokens.mint(
            &principal,
            OffsetDateTime::now_utc(),
            Duration::hours(hours)
        )
    );
    ExitCode::SUCCESS
}
