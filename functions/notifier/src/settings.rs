//! The notifier's own configuration: a template per kind of notice, and where messages lead.

use std::collections::HashMap;

use store::NoticeKind;
use wechat::MiniProgramState;

use crate::news::Landing;

const DEFAULT_PAGE: &str = "pages/case/index";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("NOTIFY_STATE must be formal, trial or developer")]
    State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Template ids by kind; a kind without one is not sent (its template is not approved
    /// yet, say), which is a decision, not a failure.
    pub templates: HashMap<NoticeKind, String>,
    pub landing: Landing,
}

/// The variable holding the template id for `kind`.
pub fn template_var(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::AutoRejected => "NOTIFY_TEMPLATE_AUTO_REJECTED",
        NoticeKind::Approved => "NOTIFY_TEMPLATE_APPROVED",
        NoticeKind::Rejected => "NOTIFY_TEMPLATE_REJECTED",
        NoticeKind::Published => "NOTIFY_TEMPLATE_PUBLISHED",
        NoticeKind::Retouching => "NOTIFY_TEMPLATE_RETOUCHING",
        NoticeKind::Retouched => "NOTIFY_TEMPLATE_RETOUCHED",
        NoticeKind::Printed => "NOTIFY_TEMPLATE_PRINTED",
        NoticeKind::Shipped => "NOTIFY_TEMPLATE_SHIPPED",
        NoticeKind::Delivered => "NOTIFY_TEMPLATE_DELIVERED",
    }
}

impl Settings {
    /// Reads `NOTIFY_TEMPLATE_*` (empty or unset: that kind is not sent), `NOTIFY_PAGE`
    /// (default `pages/case/index`) and `NOTIFY_STATE` (`formal`, `trial` or `developer`;
    /// default `formal`) through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let templates = [
            NoticeKind::AutoRejected,
            NoticeKind::Approved,
            NoticeKind::Rejected,
            NoticeKind::Published,
            NoticeKind::Retouching,
            NoticeKind::Retouched,
            NoticeKind::Printed,
            NoticeKind::Shipped,
            NoticeKind::Delivered,
        ]
        .into_iter()
        .filter_map(|kind| Some((kind, set(template_var(kind))?)))
        .collect();
        let state = match set("NOTIFY_STATE").as_deref() {
            None | Some("formal") => MiniProgramState::Formal,
            Some("trial") => MiniProgramState::Trial,
            Some("developer") => MiniProgramState::Developer,
            Some(_) => return Err(SettingsError::State),
        };
        Ok(Self {
            templates,
            landing: Landing {
                page: set("NOTIFY_PAGE").unwrap_or_else(|| DEFAULT_PAGE.to_owned()),
                state,
            },
        })
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    pub fn template(&self, kind: NoticeKind) -> Option<&str> {
        self.templates.get(&kind).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_vars(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_lead_to_the_case_page_of_the_released_version() {
        let s = settings(&[]).unwrap();
        assert!(s.templates.is_empty());
        assert_eq!(s.landing.page, "pages/case/index");
        assert_eq!(s.landing.state, MiniProgramState::Formal);
    }

    #[test]
    fn an_empty_template_means_that_kind_is_not_sent() {
        let s = settings(&[
            ("NOTIFY_TEMPLATE_APPROVED", "t-ok"),
            ("NOTIFY_TEMPLATE_REJECTED", " "),
            ("NOTIFY_STATE", "trial"),
            ("NOTIFY_PAGE", "pages/x/y"),
        ])
        .unwrap();
        assert_eq!(s.template(NoticeKind::Approved), Some("t-ok"));
        assert_eq!(s.template(NoticeKind::Rejected), None);
        assert_eq!(s.template(NoticeKind::Published), None);
        assert_eq!(s.landing.state, MiniProgramState::Trial);
        assert_eq!(s.landing.page, "pages/x/y");
    }

    #[test]
    fn an_unknown_state_is_refused() {
        assert_eq!(
            settings(&[("NOTIFY_STATE", "beta")]),
            Err(SettingsError::State)
        );
    }
}
