//! Checks on `global_defs` settings that only make sense together.

use crate::model::Config;
use crate::Diagnostic;

/// Every `global_defs` check.
pub(super) fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    check_mail(config, diags);
}

/// Alert mail needs an SMTP server: keepalived says nothing and sends
/// nothing.
fn check_mail(config: &Config, diags: &mut Vec<Diagnostic>) {
    let g = &config.global_defs;
    if g.smtp_server.is_some() {
        return;
    }
    let Some(first) = g.notification_email.first() else {
        return;
    };
    diags.push(
        Diagnostic::warning("W0290", "alert mail has no smtp_server")
            .at(first.span, "no mail is sent to this address")
            .with_help("add `smtp_server HOST` to `global_defs`"),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{at, codes, run};
    use crate::model::{Config, SmtpServer};

    #[test]
    fn mail_needs_a_server() {
        let mut cfg = Config::default();
        cfg.global_defs.notification_email = vec![at("admin@example.com".to_string(), 3)];
        let diags = run(&cfg);
        assert_eq!(codes(&diags), vec![("W0290", 3)]);
        assert_eq!(diags[0].message, "alert mail has no smtp_server");
        let server = SmtpServer {
            host: "127.0.0.1".to_string(),
            port: None,
        };
        cfg.global_defs.smtp_server = Some(at(server, 6));
        assert_eq!(run(&cfg), vec![]);
    }
}
