//! Email against a real SMTP server: `aiosmtpd` (in `.ci/run`'s venv,
//! found through `TCSS_PYTHON` or `TCSS_SDK_PYTHON`), started here on a
//! free port with a certificate made here (a test CA and a server
//! certificate for `localhost`), once with STARTTLS required and once
//! with implicit TLS, asking for a password only over TLS. Each message it
//! receives is parsed back by Python's `email` package (text, HTML,
//! attachments with their SHA-256) and handed over as one JSON line.
//! Skipped with a line saying so where the venv lacks `aiosmtpd`, failed
//! instead when `TCSS_REQUIRE_SMTP=1` (as `.ci/run` sets it).

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver as Lines};
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::*;

const SERVER: &str = r#"
import asyncio, email, email.policy, hashlib, json, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

cert, key, mode, user, password = sys.argv[1:6]

class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        out = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
               "subject": str(msg["subject"]), "from": str(msg["from"]), "to": str(msg["to"]),
               "tls": tls, "authenticated": bool(session.authenticated),
               "text": None, "html": None, "attachments": []}
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            name = part.get_filename()
            if name:
                out["attachments"].append({"filename": name, "type": part.get_content_type(),
                                           "sha256": hashlib.sha256(payload).hexdigest(),
                                           "text": payload.decode("utf-8", "replace")
                                                   if part.get_content_type() != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" else None})
            elif part.get_content_type() == "text/plain":
                out["text"] = part.get_content()
            elif part.get_content_type() == "text/html":
                out["html"] = part.get_content()
        print(json.dumps(out), flush=True)
        return "250 OK"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
          and auth_data.password.decode() == password)
    # handled=False: aiosmtpd answers (235, or 535 when refused).
    return AuthResult(success=ok, handled=False)

async def main():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    loop = asyncio.get_running_loop()
    if mode == "starttls":
        factory = lambda: SMTP(Handler(), tls_context=ctx, require_starttls=True,
                               authenticator=authenticator, auth_require_tls=True,
                               auth_required=True)
        server = await loop.create_server(factory, "127.0.0.1", 0)
    else:
        factory = lambda: SMTP(Handler(), authenticator=authenticator,
                               auth_require_tls=False, auth_required=True)
        server = await loop.create_server(factory, "127.0.0.1", 0, ssl=ctx)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

const USER: &str = "mailer";
const PASSWORD: &str = "smtp-password-0000000001";

/// The venv's python when it has `aiosmtpd`; else `None` and a line
/// saying why (a failure instead under `TCSS_REQUIRE_SMTP=1`).
fn python() -> Option<OsString> {
    let required = std::env::var("TCSS_REQUIRE_SMTP").is_ok_and(|v| v == "1");
    let skip = |why: &str| {
        assert!(!required, "TCSS_REQUIRE_SMTP=1 but {why}");
        println!("skipped: {why} (the email tests need aiosmtpd in the venv of .ci/run)");
        None
    };
    let found = ["TCSS_PYTHON", "TCSS_SDK_PYTHON"]
        .iter()
        .find_map(|v| std::env::var_os(v).filter(|p| !p.is_empty()));
    let Some(python) = found else {
        return skip("neither TCSS_PYTHON nor TCSS_SDK_PYTHON is set");
    };
    let has = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        return skip(&format!(
            "{} cannot import aiosmtpd",
            python.to_string_lossy()
        ));
    }
    Some(python)
}

/// A test CA and a server certificate for `localhost` signed by it:
/// `(ca.pem, server.pem, server.key)` in `dir`.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "tcss-report SMTP test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

/// A running `aiosmtpd`, killed when dropped.
struct SmtpServer {
    child: Child,
    lines: Lines<String>,
    port: u16,
}

impl SmtpServer {
    fn start(python: &OsString, dir: &Path, mode: &str) -> SmtpServer {
        let script = dir.join("smtp_server.py");
        std::fs::write(&script, SERVER).unwrap();
        let (_, cert, key) = (
            dir.join("ca.pem"),
            dir.join("server.pem"),
            dir.join("server.key"),
        );
        let mut child = Command::new(python)
            .arg(&script)
            .args([cert.as_os_str(), key.as_os_str()])
            .args([mode, USER, PASSWORD])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the SMTP server started");
        let port = first.strip_prefix("PORT ").unwrap().parse().unwrap();
        SmtpServer { child, lines, port }
    }

    /// The next message received, parsed.
    fn next_mail(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a message within 30 s");
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn email_over_starttls_and_tls_arrives_with_the_reports_attached() {
    let Some(python) = python() else { return };
    let certs = tempfile::tempdir().unwrap();
    let (ca, _, _) = certificates(certs.path());
    for (mode, scheme) in [("starttls", "smtp"), ("tls", "smtps")] {
        let server = SmtpServer::start(&python, certs.path(), mode);
        let h = fleet();
        let notify = "[[notify]]\nkind = \"email\"\nsmtp_url_env = \"SMTP_URL\"\n\
                      from = \"TCSS audit <audit@example.com>\"\n\
                      to = [\"finance@example.com\", \"Ops <ops@example.com>\"]\n\
                      attach = [\"xlsx\", \"md\", \"json\", \"html\"]\n";
        let cfg = config(&h, &format!("ca_file = \"{}\"\n", ca.display()), notify);
        let url = format!("{scheme}://{USER}:{PASSWORD}@localhost:{}", server.port);
        let o = h.run(
            &cfg,
            &env(&[("SMTP_URL", &url)]),
            &["--fail-on", "utilization > 100%"],
        );
        assert_eq!(o.status.code(), Some(4), "{mode}: {}", stderr(&o));
        let all = outcomes(&h);
        assert_eq!(all[0]["status"], "sent", "{mode}: {all:?}");
        assert_eq!(all[0]["host"], "localhost");
        assert_eq!(all[0]["attempts"], 1);

        let mail = server.next_mail();
        assert_eq!(mail["tls"], true, "{mode}");
        assert_eq!(mail["authenticated"], true, "{mode}");
        assert_eq!(mail["mail_from"], "audit@example.com");
        assert_eq!(
            mail["rcpt_tos"],
            serde_json::json!(["finance@example.com", "ops@example.com"])
        );
        let subject = mail["subject"].as_str().unwrap();
        assert!(
            subject.contains("a threshold was breached (exit 4)"),
            "{subject}"
        );
        let text = mail["text"].as_str().unwrap();
        assert!(
            text.contains("Over-licensed accounts (1, 20 licenses short)"),
            "{text}"
        );
        assert!(
            text.contains("utilization > 100%: 1 breach: mgmt"),
            "{text}"
        );
        let html = mail["html"].as_str().unwrap();
        assert!(html.contains("utilization &gt; 100%"), "{html}");

        // The attachments are the report files: the XLSX and the Markdown
        // as published, the JSON snapshot as first written (its
        // notification still `unknown`: the outcome is written after).
        let stem = h.json()["run"]["stem"].as_str().unwrap().to_string();
        let attached = mail["attachments"].as_array().unwrap();
        let names: Vec<&str> = attached
            .iter()
            .map(|a| a["filename"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                format!("{stem}.xlsx"),
                format!("{stem}.md"),
                format!("{stem}.json"),
                format!("{stem}.html")
            ]
        );
        assert_eq!(attached[3]["type"], "text/html", "the HTML report attached");
        for (a, ext) in attached
            .iter()
            .zip(["xlsx", "md"])
            .chain([(&attached[3], "html")])
        {
            let published = h.out().join(format!("{stem}.{ext}"));
            assert_eq!(a["sha256"], sha256(&published), "{ext}");
        }
        assert_eq!(
            attached[0]["type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let snapshot: Value = serde_json::from_str(attached[2]["text"].as_str().unwrap()).unwrap();
        assert_eq!(snapshot["run"]["stem"], stem.as_str());
        assert_eq!(snapshot["run"]["notifications"][0]["status"], "unknown");
        assert_eq!(h.json()["run"]["notifications"][0]["status"], "sent");
    }
}

#[test]
fn a_refused_password_is_a_failure_that_names_no_secret() {
    let Some(python) = python() else { return };
    let certs = tempfile::tempdir().unwrap();
    let (ca, _, _) = certificates(certs.path());
    let server = SmtpServer::start(&python, certs.path(), "starttls");
    let h = fleet();
    let notify = "[[notify]]\nkind = \"email\"\nsmtp_url_env = \"SMTP_URL\"\n\
                  from = \"audit@example.com\"\nto = [\"finance@example.com\"]\n";
    let cfg = config(&h, &format!("ca_file = \"{}\"\n", ca.display()), notify);
    let wrong = "wrong-password-planted-0001";
    let url = format!("smtp://{USER}:{wrong}@localhost:{}", server.port);
    let o = h.run(&cfg, &env(&[("SMTP_URL", &url)]), &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the exit code is the run's: {}",
        stderr(&o)
    );
    let n = &outcomes(&h)[0];
    assert_eq!(n["status"], "failed", "{n}");
    assert_eq!(
        n["attempts"], 1,
        "a permanent refusal is not tried again: {n}"
    );
    let error = n["error"].as_str().unwrap();
    assert!(
        error.contains("refused") && error.contains("535"),
        "{error}"
    );
    for output in [
        stderr(&o),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        h.json().to_string(),
    ] {
        assert!(!output.contains(wrong), "{output}");
    }

    // Without the CA, the server's certificate is not trusted: said so.
    let cfg = config(&h, "", notify);
    let out = h.out().with_file_name("untrusted");
    let url = format!("smtp://{USER}:{PASSWORD}@localhost:{}", server.port);
    let o = run_into(&cfg, &env(&[("SMTP_URL", &url)]), &[], &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let n = &json_in(&out)["run"]["notifications"][0];
    assert_eq!(n["status"], "failed");
    assert!(n["error"].as_str().unwrap().contains("ca_file"), "{n}");
}
