//! Credential providers through the public API only: sources, the default
//! chain, role inputs and the role cache, with an injected environment and a
//! temporary home folder (never the real ones). The recurring check: no secret
//! value ever shows up in `Debug` output or error messages.
#![cfg(feature = "client")]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tcapi::credentials::{
    validate_duration, validate_session_name, CredentialError, Credentials, DefaultChainProvider,
    Env, MapEnv, ProvideStatic, RoleArn, RoleCredentialsCache, Source, ENV_SECRET_ID,
    ENV_SECRET_KEY, ENV_TOKEN, REFRESH_BEFORE_EXPIRY_SECS,
};

const CANARY_KEY: &str = "CANARYsecretKEY0123456789";
const CANARY_TOKEN: &str = "CANARYsessionTOKEN9876543210";

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn assert_no_canary(what: &str, text: &str) {
    assert!(!text.contains("CANARY"), "{what} leaks a secret: {text}");
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let creds = Credentials::new("AKIDpublic", CANARY_KEY)
        .with_token(CANARY_TOKEN)
        .with_expiry(1);
    assert_no_canary("Credentials Debug", &format!("{creds:?} {creds:#?}"));
    assert_no_canary("Secret Debug", &format!("{:?}", creds.secret_key));
    let env = MapEnv::new()
        .with_var(ENV_SECRET_KEY, CANARY_KEY)
        .with_var(ENV_TOKEN, CANARY_TOKEN);
    assert_no_canary("MapEnv Debug", &format!("{env:?}"));
    assert_eq!(env.var(ENV_SECRET_KEY).as_deref(), Some(CANARY_KEY));
}

#[test]
fn errors_from_broken_sources_never_contain_secrets() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let env = MapEnv::new()
        .with_home(h)
        .with_var("HALF_ID", "AKIDhalf")
        .with_var("TOKEN_BLANK", "   ");
    let tccli = h.join(".tccli");
    let ini = h.join(".tencentcloud").join("credentials");

    let broken_tccli = [
        format!(r#"{{"secretId": "AKID", "secretKey": "{CANARY_KEY}""#),
        format!(r#"{{"secretId": 1, "secretKey": "{CANARY_KEY}", "token": "{CANARY_TOKEN}"}}"#),
        format!(r#"{{"secretKey": "{CANARY_KEY}"}}"#),
        format!(
            r#"{{"secretId": "AKID", "secretKey": "{CANARY_KEY}", "token": ["{CANARY_TOKEN}"]}}"#
        ),
        format!(r#"["{CANARY_KEY}"]"#),
        CANARY_KEY.to_string(),
    ];
    let broken_ini = [
        format!("[default]\nsecret_id = AKID\n{CANARY_KEY}\n"),
        format!("[default\nsecret_key = {CANARY_KEY}\n"),
        format!("[default]\nsecret_key = {CANARY_KEY}\n"),
        format!("[other]\nsecret_id = AKID\nsecret_key = {CANARY_KEY}\n"),
    ];

    let mut errors = Vec::new();
    for content in &broken_tccli {
        write(&tccli.join("p.credential"), content);
        errors.push(Source::TccliProfile("p".into()).resolve(&env).unwrap_err());
    }
    for content in &broken_ini {
        write(&ini, content);
        errors.push(
            Source::IniFile {
                path: None,
                section: "default".into(),
            }
            .resolve(&env)
            .unwrap_err(),
        );
    }
    errors.push(
        Source::NamedEnv {
            secret_id_env: "HALF_ID".into(),
            secret_key_env: "NOPE".into(),
            token_env: None,
        }
        .resolve(&env)
        .unwrap_err(),
    );
    errors.push(
        Source::NamedEnv {
            secret_id_env: "HALF_ID".into(),
            secret_key_env: "TOKEN_BLANK".into(),
            token_env: None,
        }
        .resolve(&env)
        .unwrap_err(),
    );
    errors.push(
        Source::TccliProfile("../escape".into())
            .resolve(&env)
            .unwrap_err(),
    );

    assert_eq!(errors.len(), broken_tccli.len() + broken_ini.len() + 3);
    for e in &errors {
        assert_no_canary("error Display", &e.to_string());
        assert_no_canary("error Debug", &format!("{e:?}"));
    }
    // The errors do say where: every file error names its file.
    for e in &errors[..broken_tccli.len()] {
        assert!(
            e.to_string()
                .contains(&tccli.join("p.credential").display().to_string()),
            "{e}"
        );
    }
    for e in &errors[broken_tccli.len()..broken_tccli.len() + broken_ini.len()] {
        assert!(e.to_string().contains(&ini.display().to_string()), "{e}");
    }
}

#[test]
fn default_chain_through_the_public_api() {
    let home = tempfile::tempdir().unwrap();
    let env = MapEnv::new().with_home(home.path());
    let e = Source::DefaultChain.resolve(&env).unwrap_err();
    match &e {
        CredentialError::NoCredentials { tried } => {
            assert_eq!(tried.len(), 3);
            assert!(
                e.to_string()
                    .starts_with("no credentials found; looked in: env TENCENTCLOUD_SECRET_ID"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }

    write(
        &home.path().join(".tencentcloud").join("credentials"),
        "[default]\nsecret_id = AKIDini\nsecret_key = kini\n",
    );
    let (c, origin) = Source::DefaultChain.resolve_with_origin(&env).unwrap();
    assert_eq!(c.secret_id, "AKIDini");
    assert!(origin.starts_with("SDK credentials file "), "{origin}");

    let env = env
        .with_var(ENV_SECRET_ID, "AKIDenv")
        .with_var(ENV_SECRET_KEY, " kenv ");
    let c = DefaultChainProvider.provide(&env).unwrap();
    assert_eq!(
        (c.secret_id.as_str(), c.secret_key.expose()),
        ("AKIDenv", "kenv")
    );
    assert!(DefaultChainProvider.describe().starts_with("default chain"));
}

/// A role account's flow as the runner would wire it: validate inputs, then
/// fetch through the cache with the STS failure mapped to `AssumeRole`.
#[tokio::test]
async fn role_inputs_and_cache_through_the_public_api() {
    let arn = RoleArn::parse("qcs::cam::uin/200000000001:roleName/OrganizationAccessControlRole")
        .unwrap();
    assert_eq!(arn.uin, "200000000001");
    validate_session_name("tcss-report").unwrap();
    validate_duration(3600).unwrap();

    let cache = RoleCredentialsCache::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let now = 1_700_000_000;
    let fetch = |ok: bool| {
        let calls = Arc::clone(&calls);
        let role_arn = arn.to_string();
        move || async move {
            calls.fetch_add(1, Ordering::SeqCst);
            if ok {
                Ok(Credentials::new("AKIDtmp", CANARY_KEY)
                    .with_token(CANARY_TOKEN)
                    .with_expiry(now + 7200))
            } else {
                Err(CredentialError::AssumeRole {
                    role_arn,
                    code: "AuthFailure.UnauthorizedOperation".into(),
                    message: "not allowed (request id req-9)".into(),
                })
            }
        }
    };
    let e = cache.get(now, fetch(false)).await.unwrap_err();
    assert!(
        e.to_string().contains("OrganizationAccessControlRole") && e.to_string().contains("req-9"),
        "{e}"
    );
    let c = cache.get(now, fetch(true)).await.unwrap();
    assert_eq!(c.token.as_ref().map(|t| t.expose()), Some(CANARY_TOKEN));
    let c2 = cache
        .get(now + 7200 - REFRESH_BEFORE_EXPIRY_SECS - 1, fetch(true))
        .await
        .unwrap();
    assert_eq!(c2.expires_at, Some(now + 7200));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_no_canary("cache Debug", &format!("{cache:?}"));
}

/// Runs `f` in a thread and fails (instead of hanging the test run) when it
/// takes longer than a few seconds.
fn within_seconds<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(5))
        .expect("resolution must not block (it waited on the file)")
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A tccli profile or SDK INI file that is a FIFO is refused at once, by the
/// named source and by the default chain, with a message naming the file.
#[cfg(unix)]
#[test]
fn fifo_credential_files_are_refused_without_blocking() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_path_buf();
    let profile = h.join(".tccli").join("default.credential");
    let ini = h.join(".tencentcloud").join("credentials");
    mkfifo(&profile);
    mkfifo(&ini);
    let env = MapEnv::new().with_home(&h);
    let sources = [
        (Source::TccliProfile("default".into()), profile.clone()),
        (
            Source::IniFile {
                path: None,
                section: "default".into(),
            },
            ini.clone(),
        ),
        (Source::DefaultChain, profile.clone()),
    ];
    for (source, file) in sources {
        let env = env.clone();
        let e = within_seconds(move || source.resolve(&env).unwrap_err());
        let msg = e.to_string();
        assert!(
            matches!(e, CredentialError::ProfileUnreadable { .. }),
            "{e:?}"
        );
        assert!(
            msg.contains("is a FIFO (named pipe), not a regular file"),
            "{msg}"
        );
        assert!(msg.contains(&file.display().to_string()), "{msg}");
    }
    // The chain reaches the INI file when there is no tccli profile.
    std::fs::remove_file(&profile).unwrap();
    let e = within_seconds(move || Source::DefaultChain.resolve(&env).unwrap_err());
    assert!(e.to_string().contains(&ini.display().to_string()), "{e}");
}

/// `/dev/zero` as the SDK INI file is refused before a byte is read.
#[cfg(unix)]
#[test]
fn a_device_as_the_ini_file_is_refused() {
    let env = MapEnv::new();
    let source = Source::IniFile {
        path: Some("/dev/zero".into()),
        section: "default".into(),
    };
    let e = within_seconds(move || source.resolve(&env).unwrap_err());
    assert!(
        e.to_string()
            .contains("is a character device, not a regular file"),
        "{e}"
    );
}

/// One provider case: the source, its environment, the place and key the
/// error must name.
type Case = (Source, MapEnv, String, &'static str);

/// `[id, key, token]` with `value` in `slot` and good values elsewhere.
fn with_bad(slot: usize, value: &'static str) -> [&'static str; 3] {
    let mut vals = ["AKIDgood", "goodKEY", "goodTOKEN"];
    vals[slot] = value;
    vals
}

fn env_cases(value: &'static str) -> Vec<Case> {
    let mut cases = Vec::new();
    for (slot, name) in [(0, "B_ID"), (1, "B_KEY"), (2, "B_TOK")] {
        let v = with_bad(slot, value);
        let env = MapEnv::new()
            .with_var("B_ID", format!("  {}  ", v[0]))
            .with_var("B_KEY", format!(" {} ", v[1]))
            .with_var("B_TOK", v[2]);
        let source = Source::NamedEnv {
            secret_id_env: "B_ID".into(),
            secret_key_env: "B_KEY".into(),
            token_env: Some("B_TOK".into()),
        };
        cases.push((source, env, format!("environment variable {name}"), name));
    }
    for (slot, name) in [(0, ENV_SECRET_ID), (1, ENV_SECRET_KEY), (2, ENV_TOKEN)] {
        let v = with_bad(slot, value);
        let env = MapEnv::new()
            .with_var(ENV_SECRET_ID, v[0])
            .with_var(ENV_SECRET_KEY, v[1])
            .with_var(ENV_TOKEN, v[2]);
        let place = format!("environment variable {name}");
        cases.push((Source::StandardEnv, env.clone(), place.clone(), name));
        cases.push((Source::DefaultChain, env, place, name));
    }
    cases
}

fn file_cases(h: &Path, value: &'static str) -> Vec<Case> {
    let mut cases = Vec::new();
    for (slot, key) in [(0, "secretId"), (1, "secretKey"), (2, "token")] {
        let v = with_bad(slot, value);
        let json = serde_json::json!({"secretId": v[0], "secretKey": format!(" {} ", v[1]), "token": v[2]});
        let path = h.join(".tccli").join(format!("p{slot}.credential"));
        write(&path, &json.to_string());
        let env = MapEnv::new().with_home(h);
        let place = path.display().to_string();
        cases.push((Source::TccliProfile(format!("p{slot}")), env, place, key));
    }
    // An INI value cannot hold a line break.
    if value.contains('\n') {
        return cases;
    }
    for (slot, key) in [(0, "secret_id"), (1, "secret_key"), (2, "token")] {
        let v = with_bad(slot, value);
        let path = h.join(format!("sdk{slot}.ini"));
        let text = format!(
            "[default]\nsecret_id = {}\nsecret_key = {}\ntoken = {}\n",
            v[0], v[1], v[2]
        );
        write(&path, &text);
        let source = Source::IniFile {
            path: Some(path.clone()),
            section: "default".into(),
        };
        cases.push((source, MapEnv::new(), path.display().to_string(), key));
    }
    cases
}

/// A SecretId, SecretKey or token with whitespace, a line break or a control
/// character inside is refused by every provider (surrounding whitespace is
/// still trimmed), naming the variable or file and key, never the value.
#[test]
fn values_with_whitespace_inside_are_refused_by_every_provider() {
    let home = tempfile::tempdir().unwrap();
    let bad = [
        "CANARY inner SPACE",
        "CANARYline\nBREAK",
        "CANARY\tTAB",
        "CANARY\u{7}BEL",
    ];
    for value in bad {
        let mut cases = env_cases(value);
        cases.extend(file_cases(home.path(), value));
        for (source, env, place, key) in cases {
            let what = format!("{} with {value:?} in {key}", source.describe());
            let e = source.resolve(&env).expect_err(&what);
            let msg = e.to_string();
            assert!(
                matches!(e, CredentialError::InvalidValue { .. }),
                "{what}: {e:?}"
            );
            assert!(msg.contains(&place) && msg.contains(key), "{msg}");
            assert!(
                msg.contains("whitespace") || msg.contains("control character"),
                "{msg}"
            );
            assert_no_canary("error Display", &msg);
            assert_no_canary("error Debug", &format!("{e:?}"));
        }
    }
}

/// Surrounding whitespace is still trimmed, not refused.
#[test]
fn surrounding_whitespace_is_trimmed() {
    let env = MapEnv::new()
        .with_var(ENV_SECRET_ID, "\t AKIDok \n")
        .with_var(ENV_SECRET_KEY, "  keyOK\r\n")
        .with_var(ENV_TOKEN, " tok ");
    let c = Source::StandardEnv.resolve(&env).unwrap();
    assert_eq!(c.secret_id, "AKIDok");
    assert_eq!(c.secret_key.expose(), "keyOK");
    assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("tok"));
}
