//! Tests of the accounts file: parsing, validation, selection, and
//! properties over arbitrary text (errors always located).

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const GOOD: &str = r#"
[defaults]
regions = ["ap-guangzhou"]
concurrency = 8

[[accounts]]
name = "mgmt"
secret_id_env = "MGMT_ID"
secret_key_env = "MGMT_KEY"
regions = ["ap-guangzhou", "ap-shanghai"]
tags = { team = "platform" }

[[accounts]]
name = "member"
role_arn = "qcs::cam::uin/200000000001:roleName/Audit"
source_account = "mgmt"

[[accounts]]
name = "legacy"
profile = "legacy"
"#;

#[test]
fn parses_a_good_config() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.accounts.len(), 3);
    assert_eq!(c.defaults.concurrency, 8);
    assert_eq!(c.defaults.rate_limit, 20);
    assert_eq!(c.accounts[0].regions, vec!["ap-guangzhou", "ap-shanghai"]);
    assert_eq!(c.accounts[1].regions, vec!["ap-guangzhou"]);
    assert_eq!(c.accounts[1].uin.as_deref(), Some("200000000001"));
    assert!(matches!(
        c.accounts[1].credentials,
        CredentialSpec::Role { source: 0, .. }
    ));
    assert_eq!(
        c.accounts[2].credentials,
        CredentialSpec::Static(Source::TccliProfile("legacy".into()))
    );
    assert_eq!(c.accounts[0].line, 7);
    assert_eq!(c.digest.len(), 64);
    assert!(c.warnings.is_empty());
}

#[test]
fn unknown_key_names_line_and_column() {
    let e = err(
        "[defaults]\nregions = [\"ap-guangzhou\"]\nconcurency = 3\n[[accounts]]\nname = \"a\"\n",
    );
    assert!(e.starts_with("test.toml:3:1:"), "{e}");
    assert!(e.contains("concurency"), "{e}");
    let e = err("[[accounts]]\nname = \"a\"\nsecret_id_env = \"A\"\nsecret_key_env = \"B\"\n  colour = \"red\"\n");
    assert!(e.starts_with("test.toml:5:3:"), "{e}");
}

#[test]
fn syntax_error_is_located() {
    let e = err("[[accounts]]\nname = \"a\nx\n");
    assert!(e.starts_with("test.toml:2:"), "{e}");
}

#[test]
fn duplicate_names_are_rejected() {
    let e = err("[[accounts]]\nname = \"a\"\n[[accounts]]\nname = \"a\"\n");
    assert!(
        e.contains("test.toml:4:8: duplicate account name `a` (first defined on line 2)"),
        "{e}"
    );
}

#[test]
fn role_source_must_exist_and_not_cycle() {
    let e = err(
        "[[accounts]]\nname = \"a\"\nrole_arn = \"qcs::cam::uin/100001:roleName/R\"\nsource_account = \"zzz\"\n",
    );
    assert!(
        e.contains("test.toml:4:18: account `a`: source_account `zzz` is not a configured account"),
        "{e}"
    );
    let e = err(
        "[[accounts]]\nname = \"a\"\nrole_arn = \"qcs::cam::uin/100001:roleName/R\"\nsource_account = \"b\"\n\
         [[accounts]]\nname = \"b\"\nrole_arn = \"qcs::cam::uin/100002:roleName/R\"\nsource_account = \"a\"\n",
    );
    assert!(e.contains("role sources form a cycle: a -> b -> a"), "{e}");
}

#[test]
fn malformed_arn_is_rejected() {
    let e = err("[[accounts]]\nname = \"a\"\nrole_arn = \"arn:aws:iam::1:role/x\"\nsource_account = \"a\"\n");
    assert!(e.contains("test.toml:3:12: account `a`:"), "{e}");
}

#[test]
fn bad_limits_and_regions() {
    let e = err("[defaults]\nconcurrency = 0\nregions = []\n[[accounts]]\nname = \"a\"\n");
    assert!(
        e.contains("test.toml:2:15: `concurrency` must be between 1 and 4096, got 0"),
        "{e}"
    );
    assert!(e.contains("`regions` must not be empty"), "{e}");
    let c =
        parse("[defaults]\nregions = [\"mars-north-1\"]\n[[accounts]]\nname = \"a\"\n").unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].to_string().contains("mars-north-1"));
}

#[test]
fn a_misspelt_region_warns_with_the_nearest_known_one() {
    let c = parse(
        "[defaults]\nregions = [\"ap-guangzou\"]\nsts_region = \"ap-shangai\"\n[[accounts]]\nname = \"a\"\n",
    )
    .unwrap();
    let warnings: Vec<String> = c.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings.len(),
        2,
        "{warnings:?}: still warnings, not errors"
    );
    let has = |text: &str| warnings.iter().any(|w| w.contains(text));
    assert!(
        has(
            "region `ap-guangzou` is not one this version knows (did you mean `ap-guangzhou`?); \
             it will be queried anyway"
        ),
        "{warnings:?}"
    );
    assert!(
        has("`ap-shangai` is not a region this version knows (did you mean `ap-shanghai`?)"),
        "{warnings:?}"
    );
}

#[test]
fn csv_files_have_a_byte_order_mark_unless_csv_bom_is_false() {
    let c = parse("[[accounts]]\nname = \"a\"\n").unwrap();
    assert!(c.defaults.csv_bom);
    let c = parse("[defaults]\ncsv_bom = false\n[[accounts]]\nname = \"a\"\n").unwrap();
    assert!(!c.defaults.csv_bom);
    let e = err("[defaults]\ncsv_bom = \"no\"\n[[accounts]]\nname = \"a\"\n");
    assert!(e.starts_with("test.toml:2:11: invalid type"), "{e}");
}

#[test]
fn http_endpoint_only_for_loopback() {
    let e = err("[defaults]\nendpoint = \"http://tcss.example.com\"\n[[accounts]]\nname = \"a\"\n");
    assert!(e.contains("test.toml:2:12: `endpoint`"), "{e}");
    parse("[defaults]\nendpoint = \"http://127.0.0.1:9000\"\n[[accounts]]\nname = \"a\"\n")
        .unwrap();
    parse("[defaults]\nallow_insecure_http = true\nendpoint = \"http://tcss.example.com\"\n[[accounts]]\nname = \"a\"\n")
        .unwrap();
}

#[test]
fn inline_secrets_warn_and_never_print() {
    let c =
        parse("[[accounts]]\nname = \"a\"\nsecret_id = \"AKIDx\"\nsecret_key = \"TOPSECRET\"\n")
            .unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(!format!("{c:?}").contains("TOPSECRET"));
    assert!(!c.warnings[0].to_string().contains("TOPSECRET"));
}

#[test]
fn two_credential_sources_is_an_error() {
    let e = err("[[accounts]]\nname = \"a\"\nprofile = \"p\"\nsecret_id_env = \"A\"\nsecret_key_env = \"B\"\n");
    assert!(e.contains("choose one credential source"), "{e}");
}

#[test]
fn check_credentials_names_missing_variables() {
    let c = parse(GOOD).unwrap();
    let env = tcapi::credentials::MapEnv::new().with_var("MGMT_ID", "AKID1");
    let problems = c.check_credentials(&env);
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("test.toml:7:1: account `mgmt`") && t.contains("MGMT_KEY")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("account `legacy`")),
        "{text:?}"
    );
}

#[test]
fn select_keeps_role_sources() {
    let mut c = parse(GOOD).unwrap();
    c.select(&["member".into()]).unwrap();
    let names: Vec<&str> = c.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, vec!["mgmt", "member"]);
    assert!(matches!(
        c.accounts[1].credentials,
        CredentialSpec::Role { source: 0, .. }
    ));
    let mut c = parse(GOOD).unwrap();
    c.select(&["team=platform".into()]).unwrap();
    assert_eq!(c.accounts.len(), 1);
    let mut c = parse(GOOD).unwrap();
    assert!(c.select(&["nobody".into()]).unwrap_err().contains("nobody"));
}

// Property tests: whatever the text, `Config::parse` returns (never
// panics), every error names the file and, when it has a position, that
// position is inside the text; a config that parses is consistent.
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of TOML, valid and not: real keys with good and bad values,
    /// table headers, unknown keys, broken syntax, multi-byte text.
    const FRAGMENTS: &[&str] = &[
        "[defaults]\n",
        "[[accounts]]\n",
        "[accounts]\n",
        "[defaults.x]\n",
        "name = \"a\"\n",
        "name = \"b\"\n",
        "name = \"\"\n",
        "name = 1\n",
        "regions = [\"ap-guangzhou\"]\n",
        "regions = [\"ap-guangzhou\", \"ap-guangzhou\"]\n",
        "regions = []\n",
        "regions = [\"mars-1\", \"bad region\"]\n",
        "concurrency = 0\n",
        "concurrency = 8\n",
        "rate_limit = -1\n",
        "rate_limit = 99999999999\n",
        "timeout_secs = 1\n",
        "max_attempts = 21\n",
        "role_duration_secs = 10\n",
        "region_scope = \"region\"\n",
        "region_scope = \"planet\"\n",
        "endpoint = \"http://tcss.example.com\"\n",
        "endpoint = \"http://127.0.0.1:1\"\n",
        "endpoint = \"nota url\"\n",
        "sts_endpoint = \"https://sts.tencentcloudapi.com\"\n",
        "ca_file = \"does-not-exist.pem\"\n",
        "allow_insecure_http = true\n",
        "role_session_name = \"bad name!\"\n",
        "uin = \"12x\"\n",
        "uin = \"100000000001\"\n",
        "secret_id_env = \"A_ID\"\n",
        "secret_key_env = \"A KEY\"\n",
        "token_env = \"T\"\n",
        "secret_id = \"AKIDx\"\n",
        "secret_key = \"k\"\n",
        "profile = \"../etc\"\n",
        "profile = \"p\"\n",
        "role_arn = \"qcs::cam::uin/200000000001:roleName/R\"\n",
        "role_arn = \"arn:aws:iam::1:role/x\"\n",
        "source_account = \"a\"\n",
        "source_account = \"b\"\n",
        "source_account = \"nobody\"\n",
        "tags = { team = \"=x\", \"\" = \"y\" }\n",
        "unknown_key = 1\n",
        "concurency = 2\n",
        "language = \"zh-CN\"\n",
        "language = \"fr\"\n",
        "sts_region = \"ap-shanghai\"\n",
        "sts_region = \"a b\"\n",
        "name = \"A\"\n",
        "name = \" a\"\n",
        "name = \"a\\tb\"\n",
        "name = \"a\\u001b\"\n",
        "secret_id = \"AK ID\"\n",
        "defaults = 3\n",
        "accounts = [{ name = \"c\", colour = 1 }]\n",
        "é = \"ü\"\n",
        "name = \"日本\"\n",
        "name = \"unterminated\n",
        "= = =\n",
        "[[\n",
        "\u{feff}",
        "\"\"\"\nmulti\n\"\"\"\n",
        "# comment ✓\n",
        "\n",
        "\t",
        "\r\n",
    ];

    fn toml_ish() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
                1 => ".{0,12}",
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    /// Checks the result of parsing `text` as `dir/accounts.toml`.
    fn check(text: &str) -> Result<(), TestCaseError> {
        let path = Path::new("dir/accounts.toml");
        match Config::parse(text, path) {
            Ok(c) => {
                prop_assert!(!c.accounts.is_empty());
                let mut names: Vec<&str> = c.accounts.iter().map(|a| a.name.as_str()).collect();
                let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
                names.sort_unstable();
                names.dedup();
                prop_assert_eq!(names.len(), c.accounts.len(), "names are unique");
                let mut lower = lower;
                lower.sort_unstable();
                lower.dedup();
                prop_assert_eq!(
                    lower.len(),
                    c.accounts.len(),
                    "names are unique ignoring case"
                );
                for n in &names {
                    prop_assert!(!n.chars().any(char::is_control), "{:?}", n);
                    prop_assert_eq!(n.trim(), *n);
                }
                prop_assert!(["en-US", "zh-CN"].contains(&c.defaults.language.as_str()));
                for a in &c.accounts {
                    prop_assert!(!a.regions.is_empty());
                    if let CredentialSpec::Role { source, .. } = &a.credentials {
                        prop_assert!(*source < c.accounts.len());
                    }
                }
                let d = &c.defaults;
                prop_assert!((1..=4096).contains(&d.concurrency));
                prop_assert!((1..=10_000).contains(&d.rate_limit));
                prop_assert!((1..=20).contains(&d.max_attempts));
                prop_assert!(d.role_duration_secs >= 900);
            }
            Err(ConfigError::Invalid(problems)) => {
                prop_assert!(!problems.is_empty());
                let lines: Vec<&str> = text.split('\n').collect();
                for p in &problems {
                    prop_assert_eq!(p.path.as_str(), "dir/accounts.toml");
                    prop_assert!(!p.message.trim().is_empty(), "{:?}", p);
                    prop_assert!(p.to_string().starts_with("dir/accounts.toml:"));
                    if let Some((line, col)) = p.position {
                        prop_assert!(line >= 1 && line <= lines.len(), "{:?} in {:?}", p, text);
                        let width = lines[line - 1].chars().count();
                        prop_assert!(col >= 1 && col <= width + 1, "{:?} in {:?}", p, text);
                    }
                }
            }
            Err(other) => prop_assert!(false, "parse only reports Invalid: {other}"),
        }
        Ok(())
    }

    /// Keys of `[defaults]` with good and bad values.
    const DEFAULT_KEYS: &[(&str, &[&str])] = &[
        (
            "regions",
            &[
                "[\"ap-guangzhou\"]",
                "[\"ap-guangzhou\", \"mars-1\"]",
                "[]",
                "[\"a b\"]",
            ],
        ),
        ("concurrency", &["8", "0", "5000"]),
        ("rate_limit", &["20", "0"]),
        ("max_attempts", &["3", "21"]),
        ("timeout_secs", &["1", "-3"]),
        ("run_timeout_secs", &["3600", "-1", "700000"]),
        ("role_duration_secs", &["900", "10"]),
        ("region_scope", &["\"region\"", "\"planet\""]),
        (
            "endpoint",
            &[
                "\"http://127.0.0.1:1\"",
                "\"http://tcss.example.com\"",
                "\"nota url\"",
            ],
        ),
        ("role_session_name", &["\"ok-name\"", "\"bad name!\""]),
        ("language", &["\"en-US\"", "\"fr\""]),
        ("sts_region", &["\"ap-shanghai\"", "\"mars-1\"", "\"a b\""]),
        ("colour", &["\"red\""]),
        ("concurency", &["3"]),
    ];

    /// Keys of an account with good and bad values (UINs, regions, tags,
    /// credential keys that clash with the account's credential source).
    const ACCOUNT_KEYS: &[(&str, &[&str])] = &[
        ("uin", &["\"100000000001\"", "\"12x\""]),
        ("regions", &["[\"ap-shanghai\"]", "[]"]),
        ("tags", &["{ team = \"=x\" }", "{ \"\" = \"y\" }"]),
        ("secret_id_env", &["\"A_ID\"", "\"A ID\""]),
        ("profile", &["\"p\"", "\"../etc\""]),
        ("source_account", &["\"b\"", "\"nobody\""]),
        ("profle", &["\"typo\""]),
    ];

    /// Credential sources of an account, valid ones first.
    const CREDENTIALS: &[&str] = &[
        "",
        "secret_id_env = \"A_ID\"\nsecret_key_env = \"A_KEY\"\n",
        "profile = \"p\"\n",
        "role_arn = \"qcs::cam::uin/200000000001:roleName/R\"\nsource_account = \"a\"\n",
        "role_arn = \"qcs::cam::uin/200000000002:roleName/R\"\nsource_account = \"b\"\n",
        "secret_id_env = \"A_ID\"\n",
        "role_arn = \"arn:aws:iam::1:role/x\"\nsource_account = \"a\"\n",
    ];

    /// Some of `keys` (each with a probability of one in four), each with
    /// one of its values (the first, valid one, half of the time).
    fn table(
        keys: &'static [(&'static str, &'static [&'static str])],
    ) -> impl Strategy<Value = String> {
        prop::collection::vec(
            (0u8..4, any::<bool>(), any::<prop::sample::Index>()),
            keys.len(),
        )
        .prop_map(move |picks| {
            keys.iter()
                .zip(picks)
                .filter(|(_, (on, _, _))| *on == 0)
                .map(|((k, values), (_, first, i))| {
                    let v = if first {
                        values[0]
                    } else {
                        values[i.index(values.len())]
                    };
                    format!("{k} = {v}\n")
                })
                .collect()
        })
    }

    /// A structured config (defaults, accounts with names, a credential
    /// source and other keys), sometimes with a random fragment inserted
    /// at a random line.
    fn config_like() -> impl Strategy<Value = String> {
        let account = (
            prop::sample::select(&["a", "b", "c", "a", "日本", "A", " b", "c\\t"][..]),
            prop_oneof![
                3 => prop::sample::select(&CREDENTIALS[..4]),
                1 => prop::sample::select(CREDENTIALS),
            ],
            table(ACCOUNT_KEYS),
        )
            .prop_map(|(name, cred, keys)| {
                format!("[[accounts]]\nname = \"{name}\"\n{cred}{keys}")
            });
        (
            proptest::option::of(table(DEFAULT_KEYS)),
            prop::collection::vec(account, 0..4),
            prop_oneof![
                2 => Just(None),
                1 => (any::<prop::sample::Index>(), prop::sample::select(FRAGMENTS)).prop_map(Some),
            ],
        )
            .prop_map(|(defaults, accounts, noise)| {
                let mut text = defaults
                    .map(|d| format!("[defaults]\n{d}"))
                    .unwrap_or_default();
                text.push_str(&accounts.concat());
                if let Some((at, fragment)) = noise {
                    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
                    lines.insert(at.index(lines.len() + 1), fragment);
                    text = lines.concat();
                }
                text
            })
    }

    /// Found by the properties below: the TOML parser gives no message
    /// for a lone carriage return.
    #[test]
    fn a_lone_carriage_return_is_located_with_a_message() {
        let e = Config::parse("\r", Path::new("dir/accounts.toml")).unwrap_err();
        assert_eq!(e.to_string(), "dir/accounts.toml:1:1: invalid TOML syntax");
    }

    proptest! {
        #[test]
        fn config_like_text_never_panics_and_errors_are_located(text in config_like()) {
            check(&text)?;
        }

        #[test]
        fn arbitrary_text_never_panics_and_errors_are_located(text in ".{0,200}") {
            check(&text)?;
        }

        #[test]
        fn toml_ish_text_never_panics_and_errors_are_located(text in toml_ish()) {
            check(&text)?;
        }
    }
}

/// `Config::load` reads only regular files, capped, and never waits.
mod load {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// `Config::load(path)` in a thread: a regression that blocks fails the
    /// test after 10 seconds instead of hanging it.
    fn load_within_timeout(path: &Path) -> Result<Config, ConfigError> {
        let (tx, rx) = mpsc::channel();
        let path = path.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(Config::load(&path));
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("Config::load blocked for 10 seconds")
    }

    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("accounts.toml");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = load_within_timeout(&fifo).unwrap_err();
        assert!(matches!(e, ConfigError::Read(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: is a FIFO (named pipe), not a regular file",
                fifo.display()
            )
        );
    }

    #[test]
    fn dev_zero_is_refused_at_once() {
        let e = load_within_timeout(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: is a character device, not a regular file"
        );
    }

    #[test]
    fn a_file_over_64_mib_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        let file = std::fs::File::create(&path).unwrap();
        // Sparse: no 64 MiB are written.
        file.set_len(tcapi::files::MAX_CONFIG_BYTES + 1).unwrap();
        let e = load_within_timeout(&path).unwrap_err();
        assert!(e.to_string().contains("larger than 67108864 bytes"), "{e}");
    }

    #[test]
    fn a_missing_file_names_the_os_error_once() {
        let e = Config::load(Path::new("no/such/accounts.toml")).unwrap_err();
        let chain = format!("{:#}", anyhow::Error::new(e));
        assert_eq!(chain, "no/such/accounts.toml: no such file");
    }

    #[test]
    fn a_regular_file_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        std::fs::write(&path, "[[accounts]]\nname = \"a\"\n").unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.accounts[0].name, "a");
    }
}

/// What `run` rejects, `validate` (which shares this parse) rejects too.
mod run_checks {
    use super::*;

    fn in_dir(dir: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, &dir.join("accounts.toml"))
    }

    /// The throwaway CA certificate of the tcapi tests.
    const TEST_CA_PEM: &str = include_str!("../../crates/tcapi/tests/fixtures/test-ca.pem");

    #[test]
    fn ca_file_must_hold_a_pem_certificate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), "not a certificate\n").unwrap();
        std::fs::write(dir.path().join("good.pem"), TEST_CA_PEM).unwrap();
        let text = "[defaults]\nca_file = \"ca.pem\"\n[[accounts]]\nname = \"a\"\n";
        let e = in_dir(dir.path(), text).unwrap_err().to_string();
        assert!(e.contains("accounts.toml:2:11: `ca_file` "), "{e}");
        assert!(e.contains("ca.pem: no PEM certificate in the file"), "{e}");
        let e = in_dir(dir.path(), &text.replace("ca.pem", "missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.pem: no such file"), "{e}");
        let c = in_dir(dir.path(), &text.replace("ca.pem", "good.pem")).unwrap();
        assert_eq!(c.defaults.ca_file, Some(dir.path().join("good.pem")));
    }

    #[test]
    fn ca_file_that_is_a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ca.pem");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let path = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let text = "[defaults]\nca_file = \"ca.pem\"\n[[accounts]]\nname = \"a\"\n";
            let _ = tx.send(in_dir(&path, text).map(|_| ()).map_err(|e| e.to_string()));
        });
        let e = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("parse blocked on a FIFO ca_file")
            .unwrap_err();
        assert!(
            e.contains("is a FIFO (named pipe), not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn inline_secrets_must_be_sendable_and_are_never_printed() {
        let e = err(
            "[[accounts]]\nname = \"a\"\nsecret_id = \"AKID SPACE\"\nsecret_key = \"TOP\\nSECRET\"\n",
        );
        assert!(
            e.contains(
                "test.toml:3:13: account `a`: `secret_id` cannot be sent: it contains whitespace"
            ),
            "{e}"
        );
        assert!(
            e.contains(
                "test.toml:4:14: account `a`: `secret_key` cannot be sent: it contains whitespace"
            ),
            "{e}"
        );
        assert!(!e.contains("SPACE") && !e.contains("SECRET"), "{e}");
        let e = err("[[accounts]]\nname = \"a\"\nsecret_id = \"\"\nsecret_key = \"k\\u0007\"\n");
        assert!(e.contains("`secret_id` cannot be sent: it is empty"), "{e}");
        assert!(
            e.contains("`secret_key` cannot be sent: it contains a control character"),
            "{e}"
        );
    }

    #[test]
    fn language_must_be_one_the_api_accepts() {
        let e = err("[defaults]\nlanguage = \"fr-FR\"\n[[accounts]]\nname = \"a\"\n");
        assert!(
            e.contains("test.toml:2:12: `language` must be one the API accepts: en-US or zh-CN; got \"fr-FR\""),
            "{e}"
        );
        let c = parse("[defaults]\nlanguage = \"zh-CN\"\n[[accounts]]\nname = \"a\"\n").unwrap();
        assert_eq!(c.defaults.language, "zh-CN");
    }

    #[test]
    fn pushgateway_must_be_an_http_url() {
        let e = err("[defaults]\npushgateway = \"gw:9091\"\n[[accounts]]\nname = \"a\"\n");
        assert!(
            e.contains("test.toml:2:15: `pushgateway`: the scheme must be http or https"),
            "{e}"
        );
        let text =
            "[defaults]\npushgateway = \"http://gw.example:9091\"\n[[accounts]]\nname = \"a\"\n";
        let c = parse(text).unwrap();
        assert_eq!(
            c.defaults.pushgateway.map(|u| u.url().to_string()),
            Some("http://gw.example:9091/".to_string())
        );
        assert_eq!(
            parse("[[accounts]]\nname = \"a\"\n")
                .unwrap()
                .defaults
                .pushgateway,
            None
        );
    }

    #[test]
    fn sts_region_must_be_a_region_name() {
        let e = err("[defaults]\nsts_region = \"ap guangzhou\\n\"\n[[accounts]]\nname = \"a\"\n");
        assert!(
            e.contains("test.toml:2:14: `sts_region` \"ap guangzhou\\n\" is not a region name"),
            "{e}"
        );
        let c = parse("[defaults]\nsts_region = \"mars-north-1\"\n[[accounts]]\nname = \"a\"\n")
            .unwrap();
        assert_eq!(c.defaults.sts_region, "mars-north-1");
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0]
            .to_string()
            .starts_with("test.toml:2:14: `sts_region` `mars-north-1`"));
        assert!(
            parse("[defaults]\nsts_region = \"ap-shanghai\"\n[[accounts]]\nname = \"a\"\n")
                .unwrap()
                .warnings
                .is_empty()
        );
    }
}

/// Account names: printable, trimmed, unique ignoring case.
mod names {
    use super::*;

    #[test]
    fn control_characters_are_rejected_and_shown_escaped() {
        for (raw, shown, code) in [
            ("a\\tb", "a\\tb", "0009"),
            ("a\\nb", "a\\nb", "000A"),
            ("a\\u001b[31mb", "a\\u{1b}[31mb", "001B"),
        ] {
            let e = err(&format!("[[accounts]]\nname = \"{raw}\"\n"));
            assert!(
                e.contains(&format!(
                    "test.toml:2:8: account name \"{shown}\" contains a control character (U+{code}); remove it"
                )),
                "{e}"
            );
            assert!(!e.contains('\u{1b}'), "{e:?}");
        }
    }

    #[test]
    fn surrounding_whitespace_is_rejected() {
        for name in [" a", "a ", "\u{3000}a"] {
            let e = err(&format!("[[accounts]]\nname = \"{name}\"\n"));
            assert!(e.contains("test.toml:2:8: account name"), "{e}");
            assert!(
                e.contains("starts or ends with whitespace; remove it"),
                "{e}"
            );
        }
    }

    #[test]
    fn names_differing_only_in_case_are_rejected() {
        let e = err("[[accounts]]\nname = \"Payments\"\n[[accounts]]\nname = \"payments\"\n");
        assert_eq!(
            e,
            "test.toml:4:8: account name `payments` differs only in case from `Payments` (line 2); \
             names must differ by more than case"
        );
        parse("[[accounts]]\nname = \"payments-a\"\n[[accounts]]\nname = \"payments-b\"\n")
            .unwrap();
    }
}

/// Every unknown key is reported, each located, with the valid keys.
mod unknown_keys {
    use super::*;

    #[test]
    fn every_unknown_key_in_every_table_is_listed() {
        let text = "colour = 1\n\
                    [defaults]\n\
                    concurency = 3\n\
                    regoins = [\"ap-guangzhou\"]\n\
                    [[accounts]]\n\
                    name = \"a\"\n\
                    profle = \"p\"\n\
                    [[accounts]]\n\
                    name = \"b\"\n  \
                      colour = \"red\"\n\
                    [default]\n\
                    x = 1\n";
        let problems = match parse(text).unwrap_err() {
            ConfigError::Invalid(p) => p,
            other => panic!("{other}"),
        };
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        let expected_prefixes = [
            "test.toml:1:1: unknown key `colour` at the top level; valid tables: [defaults], [[accounts]]",
            "test.toml:3:1: unknown key `concurency` in [defaults] (did you mean `concurrency`?); valid keys: endpoint, sts_endpoint,",
            "test.toml:4:1: unknown key `regoins` in [defaults] (did you mean `regions`?)",
            "test.toml:7:1: unknown key `profle` in [[accounts]] (did you mean `profile`?); valid keys: name, uin,",
            "test.toml:10:3: unknown key `colour` in [[accounts]]; valid keys: name,",
            "test.toml:11:2: unknown key `default` at the top level (did you mean `defaults`?)",
        ];
        assert_eq!(text.len(), expected_prefixes.len(), "{text:#?}");
        for (got, want) in text.iter().zip(expected_prefixes) {
            assert!(got.starts_with(want), "{got}\nwanted {want}");
        }
        assert!(
            text[1].ends_with(
                "role_duration_secs, language, pushgateway, fail_on, history_key, collect, csv_bom"
            ),
            "{}",
            text[1]
        );
    }

    #[test]
    fn a_key_of_another_table_says_where_it_belongs() {
        let e = err("concurrency = 3\n[[accounts]]\nname = \"a\"\n");
        assert!(
            e.starts_with("test.toml:1:1: unknown key `concurrency` at the top level (`concurrency` is a key of [defaults])"),
            "{e}"
        );
        let e = err("[defaults]\ntags = { a = \"b\" }\n[[accounts]]\nname = \"a\"\n");
        assert!(e.contains("(`tags` is a key of [[accounts]])"), "{e}");
    }

    #[test]
    fn dotted_inline_and_quoted_keys_are_checked() {
        let e = err("defaults.colour = 1\n[[accounts]]\nname = \"a\"\n");
        assert!(
            e.starts_with("test.toml:1:10: unknown key `colour` in [defaults]"),
            "{e}"
        );
        let e =
            err("defaults = { colour = 1 }\naccounts = [{ name = \"a\", \"pro file\" = \"p\" }]\n");
        assert!(
            e.contains("test.toml:1:14: unknown key `colour` in [defaults]"),
            "{e}"
        );
        assert!(
            e.contains("test.toml:2:27: unknown key `pro file` in [[accounts]]"),
            "{e}"
        );
    }

    #[test]
    fn tags_are_free_form_and_wrong_shapes_fall_through_to_the_typed_parse() {
        parse("[[accounts]]\nname = \"a\"\ntags = { anything = \"x\" }\n").unwrap();
        let e = err("defaults = 3\n[[accounts]]\nname = \"a\"\n");
        assert!(e.starts_with("test.toml:1:"), "{e}");
        let e = err("defaults = 1979-05-27\n[[accounts]]\nname = \"a\"\n");
        assert!(e.starts_with("test.toml:1:"), "{e}");
        let e = err("accounts = [[{ name = \"a\", colour = 1 }]]\n");
        assert!(e.starts_with("test.toml:1:"), "{e}");
    }

    #[test]
    fn hostile_key_text_is_escaped() {
        let e = err("[defaults]\n\"a\\u001bb\" = 1\n[[accounts]]\nname = \"a\"\n");
        assert!(e.contains("unknown key `a\\u{1b}b` in [defaults]"), "{e}");
        assert!(!e.contains('\u{1b}'), "{e:?}");
    }
}

mod organizations {
    use super::*;

    const MGMT: &str = "[[accounts]]\nname = \"org-management\"\nsecret_id_env = \"M_ID\"\nsecret_key_env = \"M_KEY\"\n";

    #[test]
    fn a_full_organization_table_parses() {
        let text = format!(
            "{MGMT}[[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\n\
             role_name = \"Audit\"\nendpoint = \"https://organization.intl.tencentcloudapi.com\"\n\
             include = [\"tag:env=prod\", \"node:Payments\"]\nexclude = [\"name:sandbox-*\", \"uin:200000000009\"]\n\
             regions = [\"ap-guangzhou\", \"ap-shanghai\"]\n"
        );
        let c = parse(&text).unwrap();
        let o = &c.organizations[0];
        assert_eq!(o.name, "corp");
        assert_eq!(o.management, 0);
        assert_eq!(o.role_name, "Audit");
        assert_eq!(o.endpoint, "https://organization.intl.tencentcloudapi.com");
        assert_eq!(o.include.len(), 2);
        assert_eq!(o.exclude[0].to_string(), "name:sandbox-*");
        assert_eq!(o.regions, vec!["ap-guangzhou", "ap-shanghai"]);
        assert_eq!(o.line, 6);
    }

    #[test]
    fn defaults_fill_what_is_left_out() {
        let text = format!(
            "{MGMT}[[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\n"
        );
        let o = &parse(&text).unwrap().organizations[0];
        assert_eq!(o.role_name, DEFAULT_ORGANIZATION_ROLE);
        assert_eq!(o.endpoint, DEFAULT_ORGANIZATION_ENDPOINT);
        assert!(o.include.is_empty() && o.exclude.is_empty());
        assert_eq!(o.regions, vec![DEFAULT_REGION]);
    }

    #[test]
    fn bad_organizations_are_located() {
        let cases = [
            ("[[organizations]]\nname = \"corp\"\n", "7:8", "set `management_account`"),
            (
                "[[organizations]]\nname = \"corp\"\nmanagement_account = \"nobody\"\n",
                "8:22",
                "management_account `nobody` is not a configured account",
            ),
            (
                "[[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\ninclude = [\"team:x\"]\n",
                "9:11",
                "unknown prefix `team:`",
            ),
            (
                "[[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\nexclude = [\"name:[\"]\n",
                "9:11",
                "invalid glob",
            ),
            (
                "[[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\n\
                 [[organizations]]\nname = \"Corp\"\nmanagement_account = \"org-management\"\n",
                "10:8",
                "duplicate organization name `Corp` (first defined on line 7)",
            ),
            (
                "[[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\nrole_name = \"\"\n",
                "9:13",
                "`role_name` must be a CAM role name",
            ),
            (
                "[[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\nrole = \"x\"\n",
                "9:1",
                "unknown key `role`",
            ),
        ];
        for (org, at, says) in cases {
            let text = format!("{MGMT}\n{org}");
            let e = err(&text);
            assert!(e.contains(&format!("test.toml:{at}: ")), "{org}\n{e}");
            assert!(e.contains(says), "{org}\n{e}");
        }
    }

    #[test]
    fn selection_decides_configured_accounts_now_or_once_discovery_is_done() {
        let text = format!(
            "{MGMT}[[accounts]]\nname = \"team\"\nsecret_id_env = \"T_ID\"\nsecret_key_env = \"T_KEY\"\n\
             tags = {{ env = \"prod\" }}\n\
             [[accounts]]\nname = \"reader\"\nrole_arn = \"qcs::cam::uin/200000000009:roleName/R\"\nsource_account = \"team\"\n\
             [[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\n"
        );
        let names = |c: &Config| -> Vec<(String, Picked)> {
            c.accounts
                .iter()
                .zip(&c.picked)
                .map(|(a, p)| (a.name.clone(), *p))
                .collect()
        };
        let selected = |only: &[&str], exclude: &[&str]| {
            let s = |l: &[&str]| l.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            let mut c = parse(&text).unwrap();
            c.select_with(&s(only), &s(exclude)).unwrap();
            c
        };
        let own = |n: &str, p| (n.to_string(), p);
        // A role's source lends its keys; the organization is not listed.
        let c = selected(&["reader"], &[]);
        assert!(c.organizations.is_empty());
        assert_eq!(
            names(&c),
            [own("team", Picked::No), own("reader", Picked::Yes)]
        );
        // A tag the config sets decides now; the members are listed.
        let c = selected(&["env=prod"], &[]);
        assert_eq!(c.organizations.len(), 1);
        assert_eq!(
            names(&c),
            [own("org-management", Picked::No), own("team", Picked::Yes)],
            "the management account lends its keys, reader is not selected"
        );
        // Membership is learned during the run: decided then.
        let c = selected(&["org:corp"], &["reader"]);
        assert_eq!(
            names(&c),
            [
                own("org-management", Picked::Later),
                own("team", Picked::Later)
            ]
        );
        assert_eq!(
            c.selection.canonical(),
            ["--only org:corp", "--exclude reader"]
        );
        // Excluding an organization: not listed, its management account
        // left out with it.
        let c = selected(&[], &["org:corp"]);
        assert!(c.organizations.is_empty());
        assert_eq!(
            names(&c),
            [own("team", Picked::Yes), own("reader", Picked::Yes)]
        );
    }

    #[test]
    fn only_keeps_named_organizations_and_their_management_accounts() {
        let text = format!(
            "{MGMT}[[accounts]]\nname = \"other\"\nsecret_id_env = \"O_ID\"\nsecret_key_env = \"O_KEY\"\n\
             [[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\n\
             [[organizations]]\nname = \"lab\"\nmanagement_account = \"other\"\n"
        );
        let mut c = parse(&text).unwrap();
        c.select(&["org=lab".to_string()]).unwrap();
        assert_eq!(c.organizations.len(), 1);
        assert_eq!(c.organizations[0].name, "lab");
        assert_eq!(c.accounts.len(), 1);
        assert_eq!(c.accounts[c.organizations[0].management].name, "other");
        let mut c = parse(&text).unwrap();
        c.select(&["other".to_string()]).unwrap();
        assert!(
            c.organizations.is_empty(),
            "an account filter keeps no organization"
        );
        // With organizations, a name no configured account has may be a
        // member's (issue 20): it keeps every organization; an
        // organization that is not configured is still an error.
        let mut c = parse(&text).unwrap();
        c.select(&["nope".to_string()]).unwrap();
        assert_eq!(c.organizations.len(), 2);
        let e = parse(&text)
            .unwrap()
            .select(&["org:nope".to_string()])
            .unwrap_err();
        assert!(e.contains("--only org:nope"), "{e}");
    }
}

#[test]
fn an_explicit_uin_written_twice_is_refused_naming_both_places() {
    // `uin` twice.
    let e = err(
        "[[accounts]]\nname = \"a\"\nuin = \"300000000001\"\nsecret_id_env = \"A_ID\"\nsecret_key_env = \"A_KEY\"\n\
         [[accounts]]\nname = \"b\"\nuin = \"300000000001\"\nprofile = \"b\"\n",
    );
    assert!(
        e.starts_with("test.toml:8:7: account `b`: UIN 300000000001 is also the UIN of account `a` (test.toml:3:7)"),
        "{e}"
    );
    // A role ARN's UIN and a `uin`, and two role ARNs of one account.
    let e = err(
        "[[accounts]]\nname = \"mgmt\"\nuin = \"100000000001\"\nsecret_id_env = \"M_ID\"\nsecret_key_env = \"M_KEY\"\n\
         [[accounts]]\nname = \"r1\"\nrole_arn = \"qcs::cam::uin/100000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"r2\"\nrole_arn = \"qcs::cam::uin/200000000002:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"r3\"\nrole_arn = \"qcs::cam::uin/200000000002:roleName/Other\"\nsource_account = \"mgmt\"\n",
    );
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(
        lines[0].starts_with("test.toml:8:12: account `r1`: UIN 100000000001 is also the UIN of account `mgmt` (test.toml:3:7)"),
        "{e}"
    );
    assert!(
        lines[1].starts_with("test.toml:16:12: account `r3`: UIN 200000000002 is also the UIN of account `r2` (test.toml:12:12)"),
        "{e}"
    );
    // Different UINs, and accounts without one, are fine.
    assert!(parse(GOOD).is_ok());
}

#[test]
fn group_by_lists_tag_keys_each_once() {
    let with = |list: &str| {
        parse(&format!(
            "[defaults]\ngroup_by = {list}\n[[accounts]]\nname = \"a\"\nprofile = \"a\"\n"
        ))
    };
    let c = with("[\"cost_center\", \"org_node\"]").unwrap();
    assert_eq!(c.defaults.group_by, ["cost_center", "org_node"]);
    assert!(
        parse(GOOD).unwrap().defaults.group_by.is_empty(),
        "none by default"
    );
    let e = with("[\"team\", \"\", \"team\", \" x\"]")
        .unwrap_err()
        .to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(
        lines,
        [
            "test.toml:2:21: `group_by`: a tag key must not be empty",
            "test.toml:2:25: `group_by`: `team` is listed twice",
            "test.toml:2:33: `group_by`: the tag key \" x\" starts or ends with whitespace",
        ],
        "{e}"
    );
    let many: Vec<String> = (0..11).map(|i| format!("\"k{i}\"")).collect();
    let e = with(&format!("[{}]", many.join(", ")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`group_by`: at most 10 keys"), "{e}");
}

/// `--group-by` (run and history): each key checked, a repeat dropped, at
/// most ten keys, said with the flag's count.
#[test]
fn group_by_flag_keys_are_checked_once_each_and_counted() {
    let keys = |list: &[&str]| group_keys(&list.iter().map(|k| k.to_string()).collect::<Vec<_>>());
    assert_eq!(
        keys(&["team", "cost-center", "team"]).unwrap(),
        ["team", "cost-center"]
    );
    assert!(keys(&[" team"]).unwrap_err().contains("whitespace"));
    assert!(keys(&[""]).unwrap_err().contains("must not be empty"));
    let eleven: Vec<String> = (0..11).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = eleven.iter().map(String::as_str).collect();
    let e = keys(&refs).unwrap_err();
    assert!(e.contains("at most 10 keys (got 11)"), "{e}");
    // A repeat does not count against the ten.
    let mut ten_and_a_repeat = refs[..10].to_vec();
    ten_and_a_repeat.push("k0");
    assert_eq!(keys(&ten_and_a_repeat).unwrap().len(), 10);
}
