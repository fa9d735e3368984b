//! Email: the summary as a short text and HTML message with the chosen
//! report files attached, sent through SMTP (`lettre`) with implicit TLS
//! (`smtps://`, port 465) or STARTTLS, required (`smtp://`, port 587), or
//! plainly to a relay on a loopback address. TLS is rustls with ring,
//! trusting what the API trusts: the system store (Mozilla's roots when it
//! holds none) plus `[defaults] ca_file`. The password is sent only
//! after TLS is up (`AUTH PLAIN` or `LOGIN`, as the server offers).
//!
//! Files beyond [`ATTACH_LIMIT`] bytes in all are not attached; the
//! message says which, and where they are.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls::pki_types::CertificateDer;

use super::message::{and_more, Summary};
use super::send::Failure;
use super::target::{Security, Smtp};
use crate::columns::thousands;
use crate::report::Format;

/// The most bytes of files attached to one email (many servers refuse
/// messages over 10 to 25 MB, and Base64 adds a third).
pub const ATTACH_LIMIT: u64 = 10 * 1024 * 1024;
/// Items shown per list in an email (the attachments have them all).
pub const ITEMS_SHOWN: usize = 100;

/// A file of the run's set, where it can be read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// Its name in the reports folder.
    pub name: String,
    /// Where to read it (the folder, or the staging folder for a JSON
    /// snapshot published after the notifications).
    pub path: PathBuf,
}

/// What an email attaches, and what it leaves out (by name, and why).
#[derive(Debug, Default)]
pub struct Attachments {
    /// Name, content type, bytes.
    pub files: Vec<(String, &'static str, Vec<u8>)>,
    /// Files asked for but not attached: name and why.
    pub left_out: Vec<(String, String)>,
}

/// The files of `formats` among `files`, read, within [`ATTACH_LIMIT`].
pub fn attachments(formats: &[Format], stem: &str, files: &[ReportFile]) -> Attachments {
    let mut out = Attachments::default();
    let mut size = 0u64;
    for format in formats {
        let names = format.file_names(stem);
        // A format written without one of its files (no `--group-by`: no
        // `.groups.csv`) attaches the others.
        let written = names.iter().any(|n| files.iter().any(|f| f.name == *n));
        for name in names {
            let Some(file) = files.iter().find(|f| f.name == name) else {
                if !written {
                    let why = format!("the run wrote no {} file (see --formats)", format.as_str());
                    out.left_out.push((name, why));
                }
                continue;
            };
            let len = std::fs::metadata(&file.path).map(|m| m.len()).unwrap_or(0);
            if size + len > ATTACH_LIMIT {
                let why = format!("too large to attach ({} MB in all)", ATTACH_LIMIT >> 20);
                out.left_out.push((name, why));
                continue;
            }
            match std::fs::read(&file.path) {
                Ok(bytes) => {
                    size += len;
                    out.files.push((name, content_type(*format), bytes));
                }
                Err(e) => out.left_out.push((name, format!("cannot read it: {e}"))),
            }
        }
    }
    out
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Json => "application/json",
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Prom => "text/plain; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
    }
}

/// The plain text body.
pub fn text(s: &Summary, left_out: &[(String, String)]) -> String {
    let mut out = format!("{}\n\n{}\n", s.title, s.facts().join("\n"));
    for (heading, items, total) in lists(s) {
        out.push_str(&format!("\n{heading}\n"));
        for item in items.iter().chain(and_more(items.len(), total).iter()) {
            out.push_str(&format!("- {item}\n"));
        }
    }
    if let Some(line) = s.failures_line() {
        out.push_str(&format!("\nFailures: {line}\n"));
    }
    for (name, why) in left_out {
        out.push_str(&format!("\nNot attached: {name}: {why}.\n"));
    }
    out.push_str(&format!(
        "\nThe reports are {}.* in the reports folder.\n",
        s.stem
    ));
    out
}

/// The HTML body: the same as [`text`], every text escaped.
pub fn html(s: &Summary, left_out: &[(String, String)]) -> String {
    let e = escape;
    let mut out = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family: sans-serif\">",
    );
    out.push_str(&format!("<h2>{}</h2><p>", e(&s.title)));
    out.push_str(
        &s.facts()
            .iter()
            .map(|f| e(f))
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    out.push_str("</p>");
    for (heading, items, total) in lists(s) {
        out.push_str(&format!("<h3>{}</h3><ul>", e(&heading)));
        for item in items.iter().chain(and_more(items.len(), total).iter()) {
            out.push_str(&format!("<li>{}</li>", e(item)));
        }
        out.push_str("</ul>");
    }
    if let Some(line) = s.failures_line() {
        out.push_str(&format!("<h3>Failures</h3><p>{}</p>", e(&line)));
    }
    for (name, why) in left_out {
        out.push_str(&format!("<p>Not attached: {}: {}.</p>", e(name), e(why)));
    }
    out.push_str(&format!(
        "<p>The reports are <code>{}.*</code> in the reports folder.</p></body></html>",
        e(&s.stem)
    ));
    out
}

/// Each list: its heading, the items shown (at most [`ITEMS_SHOWN`]), and
/// how many there are.
fn lists(s: &Summary) -> Vec<(String, Vec<String>, usize)> {
    let uin = |u: &Option<String>| u.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
    let mut out = Vec::new();
    if !s.breaches.is_empty() {
        let items = s.breaches.iter().take(ITEMS_SHOWN);
        out.push((
            format!(
                "Thresholds breached ({})",
                thousands(s.breaches_total as i64)
            ),
            items
                .map(|g| format!("{}: {}", g.expression, g.who(&g.names)))
                .collect(),
            s.breaches.len(),
        ));
    }
    if !s.over_licensed.is_empty() {
        let items = s.over_licensed.iter().take(ITEMS_SHOWN);
        out.push((
            format!(
                "Over-licensed accounts ({}, {} licenses short)",
                thousands(s.over_licensed.len() as i64),
                thousands(s.licenses_short)
            ),
            items
                .map(|o| format!("{}{}: {}", o.account, uin(&o.uin), o.numbers()))
                .collect(),
            s.over_licensed.len(),
        ));
    }
    if !s.lapsing.is_empty() {
        let items = s.lapsing.iter().take(ITEMS_SHOWN);
        out.push((
            format!("Editions lapsing within 30 days ({})", s.lapsing.len()),
            items
                .map(|l| format!("{}{}: {} days", l.account, uin(&l.uin), l.days))
                .collect(),
            s.lapsing.len(),
        ));
    }
    out
}

/// `&`, `<`, `>`, `"` as HTML entities.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The message: from, to, the title as subject, text and HTML, the files.
pub fn message(
    s: &Summary,
    from: &Mailbox,
    to: &[Mailbox],
    files: Attachments,
) -> Result<Message, Failure> {
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(s.title.clone());
    for rcpt in to {
        builder = builder.to(rcpt.clone());
    }
    let mut body = MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
        text(s, &files.left_out),
        html(s, &files.left_out),
    ));
    for (name, kind, bytes) in files.files {
        let kind = ContentType::parse(kind).unwrap_or(ContentType::TEXT_PLAIN);
        body = body.singlepart(Attachment::new(name).body(bytes, kind));
    }
    builder.multipart(body).map_err(|e| Failure {
        message: format!("the email could not be built: {e}"),
        transient: false,
    })
}

/// Sends `email` through `smtp`, within `timeout`.
pub async fn send(
    smtp: &Smtp,
    ca_files: &[PathBuf],
    timeout: Duration,
    email: &Message,
) -> Result<(), Failure> {
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
        .port(smtp.port)
        .timeout(Some(timeout));
    if smtp.security != Security::Plain {
        let params = tls_parameters(&smtp.host, ca_files)?;
        builder = builder.tls(match smtp.security {
            Security::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    let transport = builder.build();
    let sent = tokio::time::timeout(timeout * 3, transport.send(email.clone())).await;
    match sent {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(smtp_failure(&e, smtp)),
        Err(_) => Err(Failure {
            message: format!(
                "the SMTP server {}:{} did not finish within {} s",
                smtp.host,
                smtp.port,
                (timeout * 3).as_secs()
            ),
            transient: true,
        }),
    }
}

/// What went wrong, in words; transient for a 4xx answer, a timeout or a
/// broken connection.
fn smtp_failure(e: &lettre::transport::smtp::Error, smtp: &Smtp) -> Failure {
    let server = format!("{}:{}", smtp.host, smtp.port);
    // lettre's text already holds its causes (one level said twice).
    let chain = e
        .to_string()
        .replace("Connection error: Connection error: ", "Connection error: ");
    let (message, transient) = if e.is_tls() || chain.contains("certificate") {
        (
            format!(
                "TLS with the SMTP server {server} failed ({chain}); if its certificate is \
                 issued by a private CA, add that CA to [defaults] ca_file"
            ),
            false,
        )
    } else if e.is_timeout() {
        (
            format!("the SMTP server {server} timed out ({chain})"),
            true,
        )
    } else if e.is_transient() {
        (
            format!("the SMTP server {server} answered a temporary error: {chain}"),
            true,
        )
    } else if e.is_permanent() {
        (format!("the SMTP server {server} refused: {chain}"), false)
    } else {
        (
            format!("could not talk to the SMTP server {server}: {chain}"),
            !e.is_client(),
        )
    };
    Failure { message, transient }
}

/// The TLS settings: the API's trust (system store, else Mozilla's roots;
/// plus the `ca_file`s).
fn tls_parameters(host: &str, ca_files: &[PathBuf]) -> Result<TlsParameters, Failure> {
    let fail = |message: String| Failure {
        message,
        transient: false,
    };
    let mut builder = TlsParameters::builder(host.to_string());
    let system = system_roots();
    if system.is_empty() {
        builder = builder.certificate_store(CertificateStore::WebpkiRoots);
    } else {
        builder = builder.certificate_store(CertificateStore::None);
        for der in system {
            if let Ok(cert) = Certificate::from_der(der.to_vec()) {
                builder = builder.add_root_certificate(cert);
            }
        }
    }
    for path in ca_files {
        builder = builder.add_root_certificate(ca_certificate(path).map_err(fail)?);
    }
    builder
        .build_rustls()
        .map_err(|e| fail(format!("TLS settings for {host}: {e}")))
}

/// The system store's usable certificates (none when it is empty or unreadable).
fn system_roots() -> Vec<CertificateDer<'static>> {
    let found = rustls_native_certs::load_native_certs();
    let mut store = rustls::RootCertStore::empty();
    found
        .certs
        .into_iter()
        .filter(|c| store.add(c.clone()).is_ok())
        .collect()
}

/// The certificates of a `ca_file` (checked by `validate` already).
fn ca_certificate(path: &Path) -> Result<Certificate, String> {
    let pem = tcapi::files::read_regular_file(path, tcapi::files::MAX_SMALL_FILE_BYTES)
        .map_err(|e| e.to_string())?;
    Certificate::from_pem(&pem)
        .map_err(|e| format!("`ca_file` {}: not a PEM certificate ({e})", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::tests::big_report;

    #[test]
    fn the_email_lists_are_capped_and_every_text_escaped() {
        let report = big_report(2_000, 300);
        let s = Summary::of(&report, 4, "a threshold was breached");
        let left = vec![("x.xlsx".to_string(), "too large".to_string())];
        let html = html(&s, &left);
        assert!(
            !html.contains("<@all>") && html.contains("&lt;@all&gt;"),
            "escaped"
        );
        assert!(
            html.contains("… and 200 more"),
            "300 over-licensed, 100 shown"
        );
        assert!(html.contains("Not attached: x.xlsx: too large."));
        let text = text(&s, &[]);
        assert!(text.contains("<@all>"), "plain text as written");
        assert_eq!(text.matches("\n- account-").count(), 100, "{text}");
    }

    #[test]
    fn attachments_are_the_chosen_files_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let xlsx = dir.path().join("s.xlsx");
        std::fs::write(&xlsx, b"PK xlsx").unwrap();
        let files = [ReportFile {
            name: "s.xlsx".into(),
            path: xlsx,
        }];
        let a = attachments(&[Format::Xlsx, Format::Markdown], "s", &files);
        assert_eq!(a.files.len(), 1);
        assert_eq!(a.files[0].0, "s.xlsx");
        assert_eq!(a.left_out[0].0, "s.md");
        assert!(a.left_out[0].1.contains("--formats"));
    }

    /// A run without `--group-by` writes no `.groups.csv`: its CSV files
    /// are attached, and the missing one is not said to be left out.
    #[test]
    fn a_csv_set_without_groups_attaches_what_it_has() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<ReportFile> = ["s.accounts.csv", "s.regions.csv"]
            .iter()
            .map(|name| {
                let path = dir.path().join(name);
                std::fs::write(&path, b"a,b\n").unwrap();
                ReportFile {
                    name: name.to_string(),
                    path,
                }
            })
            .collect();
        let a = attachments(&[Format::Csv], "s", &files);
        let names: Vec<&str> = a.files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, ["s.accounts.csv", "s.regions.csv"]);
        assert!(a.left_out.is_empty(), "{:?}", a.left_out);
    }
}
