//! Metrics for Prometheus (issue 13), checked by real parts: the `prom`
//! format and `--metrics-file` read by `promtool check metrics` and by
//! Python's `prometheus_client` text parser (the CI venv's python, from
//! `TCSS_SDK_PYTHON`), a push read back from a real Pushgateway
//! (`prometheus-pushgateway`, started here on a free port), and the alert
//! rules checked and unit-tested by `promtool`. Each part is skipped with a
//! line saying so only where its program is not on the machine; `.ci/run`
//! installs them all.

#![cfg(unix)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tcss_sim::Fleet;

use crate::harness::*;
pub(crate) use crate::prom_tools::promtool;
use crate::prom_tools::{program, promtool_accepts, python, python_parse, value_of};

/// A fleet with a good account named with a quote and a backslash, and
/// one whose every query fails.
fn quoted_fleet() -> (Harness, PathBuf) {
    let mut down = keyed(
        "300000000002",
        "down",
        "AKIDdown0000000000000000000002",
        "down-secret-key-000002",
        data(1, 1, 1, 1),
    );
    down.faults.persistent_error = Some("InternalError.ErrRoleNotExist".into());
    let quoted = keyed(
        "300000000001",
        "q",
        "AKIDquoted00000000000000000001",
        "quoted-secret-key-00001",
        data(100, 95, 30, 10),
    );
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 95, 30, 10)), quoted, down],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n[[accounts]]\nname = 'say \"hi\" \\ bye'\n\
         uin = \"300000000001\"\nsecret_id_env = \"Q_ID\"\nsecret_key_env = \"Q_KEY\"\n\
         [[accounts]]\nname = \"down\"\nuin = \"300000000002\"\nsecret_id_env = \"D_ID\"\nsecret_key_env = \"D_KEY\"\n"
    );
    let cfg = h.config("", &accounts);
    (h, cfg)
}

fn env() -> Vec<(&'static str, &'static str)> {
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("D_ID", "AKIDdown0000000000000000000002"),
        ("D_KEY", "down-secret-key-000002"),
        ("Q_ID", "AKIDquoted00000000000000000001"),
        ("Q_KEY", "quoted-secret-key-00001"),
    ]);
    env
}

#[test]
fn the_prom_report_and_the_metrics_file_are_one_text_real_parsers_read() {
    let (h, cfg) = quoted_fleet();
    let textfile = h.out().with_file_name("textfile");
    std::fs::create_dir_all(&textfile).unwrap();
    let metrics_file = textfile.join("tcss.prom");
    let o = h.run(
        &cfg,
        &env(),
        &[
            "--formats",
            "json,prom",
            "--metrics-file",
            metrics_file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let text = std::fs::read_to_string(h.report(".prom")).unwrap();
    assert_eq!(std::fs::read_to_string(&metrics_file).unwrap(), text);
    let listed: Vec<_> = std::fs::read_dir(&textfile).unwrap().collect();
    assert_eq!(listed.len(), 1, "no temporary file left next to it");
    assert!(!text.contains(MGMT_ENV[1].1) && !text.contains("down-secret-key"));
    if let Some(promtool) = promtool() {
        promtool_accepts(&promtool, &text);
    }
    let Some(python) = python() else { return };
    let families = python_parse(&python, &text);
    let quoted = [("account", "say \"hi\" \\ bye"), ("uin", "300000000001")];
    assert_eq!(value_of(&families, "tcss_account_up", &quoted), Some(1.0));
    let total = [quoted[0], quoted[1], ("kind", "total")];
    assert_eq!(
        value_of(&families, "tcss_image_licenses", &total),
        Some(100.0)
    );
    let down = [("account", "down")];
    assert_eq!(value_of(&families, "tcss_account_up", &down), Some(0.0));
    for empty in ["tcss_image_licenses", "tcss_images", "tcss_scan_quota"] {
        assert_eq!(
            value_of(&families, empty, &down),
            None,
            "{empty}: no sample"
        );
    }
    let j = h.json();
    let t = &j["totals"];
    assert_eq!(
        value_of(&families, "tcss_total_image_licenses", &[("kind", "used")]),
        t["used_authorized"].as_f64()
    );
    assert_eq!(
        value_of(&families, "tcss_report_accounts", &[("status", "error")]),
        Some(1.0)
    );
    assert_eq!(
        value_of(&families, "tcss_report_queries", &[("status", "failed")]),
        // The failing account's three queries (images, edition, auto_authorize).
        Some(3.0)
    );
    assert_eq!(value_of(&families, "tcss_report_success", &[]), Some(0.0));
    assert_eq!(value_of(&families, "tcss_report_breaches", &[]), Some(0.0));
    let util = value_of(
        &families,
        "tcss_image_license_utilization_ratio",
        &[("account", "mgmt")],
    );
    assert_eq!(util, j["accounts"][0]["utilization"].as_f64());
    let f = families
        .iter()
        .find(|f| f["name"] == "tcss_report_last_run_timestamp_seconds")
        .unwrap();
    assert_eq!(f["type"], "gauge");
    assert!(!f["help"].as_str().unwrap().is_empty());
}

/// A Pushgateway on a free loopback port, killed when dropped (a failing
/// test included).
struct Gateway {
    child: Child,
    port: u16,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Gateway {
    fn start() -> Option<Gateway> {
        let Some(bin) = program("prometheus-pushgateway").or_else(|| program("pushgateway")) else {
            println!("skipped: prometheus-pushgateway not found (Debian package `prometheus-pushgateway`)");
            return None;
        };
        let port = free_port();
        let child = Command::new(bin)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // Debian's build persists to /var/lib/prometheus by default: a
            // test's gateway keeps its groups in memory and starts empty.
            .arg("--persistence.file=")
            .arg("--persistence.interval=0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let g = Gateway { child, port };
        wait_until(
            Duration::from_secs(20),
            "the Pushgateway to be ready",
            || g.get("/-/ready").is_some_and(|(status, _)| status == 200),
        );
        Some(g)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A plain HTTP/1.0 GET: (status, body).
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut answer = String::new();
        s.read_to_string(&mut answer).ok()?;
        let status = answer.split(' ').nth(1)?.parse().ok()?;
        let body = answer.split_once("\r\n\r\n")?.1.to_string();
        Some((status, body))
    }

    /// Every group the gateway holds (`/api/v1/metrics`).
    fn groups(&self) -> Vec<Value> {
        let (status, body) = self.get("/api/v1/metrics").unwrap();
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["data"].as_array().unwrap().clone()
    }
}

/// The value of `metric`'s sample with `labels` in a Pushgateway group.
fn pushed(group: &Value, metric: &str, labels: &[(&str, &str)]) -> Option<String> {
    group[metric]["metrics"]
        .as_array()?
        .iter()
        .find(|m| labels.iter().all(|(k, v)| m["labels"][*k] == *v))
        .and_then(|m| m["value"].as_str().map(str::to_string))
}

#[test]
fn the_push_reaches_a_real_pushgateway_grouped_by_config() {
    let Some(gw) = Gateway::start() else { return };
    let (h, _) = quoted_fleet();
    // From the config, with a user and password in the URL (never logged).
    let with_secret = gw
        .url()
        .replace("http://", "http://pusher:push-secret-0001@");
    let accounts = format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n");
    let cfg = h.config(&format!("pushgateway = \"{with_secret}\"\n"), &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &["--formats", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = stderr(&o);
    assert!(log.contains("metrics pushed"), "{log}");
    assert!(
        !log.contains("push-secret-0001") && !log.contains("pusher"),
        "{log}"
    );
    // From the command line, which wins over the config, for another config.
    let other = cfg.with_file_name("team-b.toml");
    std::fs::copy(&cfg, &other).unwrap();
    let o = h.run(
        &other,
        &MGMT_ENV,
        &["--formats", "json", "--pushgateway", &gw.url()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let groups = gw.groups();
    let group = |config: &str| {
        groups
            .iter()
            .find(|g| g["labels"]["config"] == config)
            .unwrap_or_else(|| panic!("no group {config}: {groups:?}"))
            .clone()
    };
    for config in ["accounts", "team-b"] {
        let g = group(config);
        assert_eq!(g["labels"]["job"], "tcss_report");
        assert_eq!(g["last_push_successful"], true);
        let id = [("account", "mgmt"), ("uin", MGMT_UIN)];
        assert_eq!(pushed(&g, "tcss_account_up", &id).as_deref(), Some("1"));
        let total = [id[0], id[1], ("kind", "total")];
        assert_eq!(
            pushed(&g, "tcss_image_licenses", &total).as_deref(),
            Some("100")
        );
        assert_eq!(pushed(&g, "tcss_report_success", &[]).as_deref(), Some("1"));
        assert_eq!(g["tcss_report_accounts"]["type"], "GAUGE");
    }
}

/// A subset (`--only`) and a simulated run push into groups of their own
/// (`selection`, `simulated` grouping labels): neither replaces the full
/// run's metrics, and each says what it covered (`tcss_report_scope_info`),
/// in the metrics file too.
#[test]
fn subsets_and_simulated_runs_never_replace_the_full_runs_metrics() {
    let Some(gw) = Gateway::start() else { return };
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(100, 95, 30, 10)),
            member("200000000001", "m1", MGMT_UIN, data(50, 20, 10, 10)),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n[[accounts]]\nname = \"m1\"\n\
         role_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config(&format!("pushgateway = \"{}\"\n", gw.url()), &accounts);
    let metrics = h.out().with_file_name("subset.prom");
    let runs: [&[&str]; 3] = [
        &[],
        &["--only", "m1", "--metrics-file", metrics.to_str().unwrap()],
        &["--simulate"],
    ];
    for extra in runs {
        let mut args = vec!["--formats", "json", "--no-history"];
        args.extend_from_slice(extra);
        let o = h.run(&cfg, &MGMT_ENV, &args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("metrics pushed"), "{}", stderr(&o));
    }
    let groups: Vec<Value> = gw
        .groups()
        .into_iter()
        .filter(|g| g["labels"]["config"] == "accounts")
        .collect();
    let labels: Vec<&Value> = groups.iter().map(|g| &g["labels"]).collect();
    assert_eq!(groups.len(), 3, "{labels:?}");
    let group = |selection: Option<&str>, simulated: Option<&str>| {
        groups
            .iter()
            .find(|g| {
                g["labels"]["config"] == "accounts"
                    && g["labels"].get("selection").and_then(Value::as_str) == selection
                    && g["labels"].get("simulated").and_then(Value::as_str) == simulated
            })
            .unwrap_or_else(|| panic!("no group {selection:?} {simulated:?}: {labels:?}"))
            .clone()
    };
    let total = [("kind", "total")];
    let full = group(None, None);
    assert_eq!(full["last_push_successful"], true);
    assert_eq!(
        pushed(&full, "tcss_total_image_licenses", &total).as_deref(),
        Some("150"),
        "the full run's totals stay"
    );
    let info = [
        ("simulated", "false"),
        ("subset", "false"),
        ("selection", ""),
    ];
    assert_eq!(
        pushed(&full, "tcss_report_scope_info", &info).as_deref(),
        Some("1")
    );
    let subset = group(Some("--only m1"), None);
    assert_eq!(subset["last_push_successful"], true);
    assert_eq!(
        pushed(&subset, "tcss_total_image_licenses", &total).as_deref(),
        Some("50")
    );
    let info = [("subset", "true"), ("selection", "--only m1")];
    assert_eq!(
        pushed(&subset, "tcss_report_scope_info", &info).as_deref(),
        Some("1")
    );
    let simulated = group(None, Some("true"));
    assert_eq!(simulated["last_push_successful"], true);
    // The metrics file of the subset says so.
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        text.contains(
            r#"tcss_report_scope_info{simulated="false",subset="true",selection="--only m1"} 1"#
        ),
        "{text}"
    );
}

#[test]
fn a_failed_push_is_logged_and_keeps_exit_0() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(10, 1, 1, 1))],
    });
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n"));
    let url = format!("http://pusher:push-secret-0002@127.0.0.1:{}", free_port());
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &["--formats", "json", "--pushgateway", &url],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = stderr(&o);
    assert!(
        log.contains("cannot push the metrics to http://127.0.0.1:"),
        "{log}"
    );
    assert!(log.contains("the run's exit code is not changed"), "{log}");
    assert!(!log.contains("push-secret-0002"), "{log}");
    assert_eq!(h.json()["complete"], true, "the reports are written");
}

#[test]
fn a_bad_pushgateway_or_metrics_file_exits_2_before_any_call() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(10, 1, 1, 1))],
    });
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n"));
    let missing = h.out().with_file_name("no-such-folder").join("tcss.prom");
    for (args, says) in [
        (
            vec!["--pushgateway", "gw:9091"],
            "--pushgateway: the scheme must be http or https",
        ),
        (
            vec!["--metrics-file", missing.to_str().unwrap()],
            "--metrics-file",
        ),
    ] {
        let o = h.run(&cfg, &MGMT_ENV, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
    assert_eq!(h.snapshot().total, 0, "nothing was called");
}

#[test]
fn the_alert_rules_pass_promtool() {
    let Some(promtool) = promtool() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/alerts");
    for args in [
        ["check", "rules", "tcss-report.rules.yml"],
        ["test", "rules", "tcss-report.rules.test.yml"],
    ] {
        let o = Command::new(&promtool)
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// What is at `path`, without following a link: `c` char device, `b`
/// block, `p` FIFO, `s` socket, `d` folder, `l` link, `-` regular file.
fn node_kind(path: &Path) -> char {
    use std::os::unix::fs::FileTypeExt;
    let t = std::fs::symlink_metadata(path).unwrap().file_type();
    [
        (t.is_char_device(), 'c'),
        (t.is_block_device(), 'b'),
        (t.is_fifo(), 'p'),
        (t.is_socket(), 's'),
        (t.is_dir(), 'd'),
        (t.is_symlink(), 'l'),
    ]
    .into_iter()
    .find_map(|(is, k)| is.then_some(k))
    .unwrap_or('-')
}

#[test]
fn a_metrics_file_that_is_a_device_a_fifo_or_a_socket_is_refused_before_any_call() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(10, 1, 1, 1))],
    });
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n"));
    let nodes = h.out().with_file_name("nodes");
    std::fs::create_dir_all(&nodes).unwrap();
    let fifo = nodes.join("fifo.prom");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let socket = nodes.join("socket.prom");
    let _listening = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let mut cases = vec![
        (fifo, 'p', "a FIFO (named pipe)"),
        (socket, 's', "a socket"),
    ];
    // A device node of our own (the same numbers as /dev/full), where this
    // process may make one (root, a file system without `nodev` limits on
    // making them).
    let device = nodes.join("device.prom");
    match Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "7"])
        .output()
    {
        Ok(o) if o.status.success() => cases.push((device, 'c', "a character device")),
        Ok(o) => println!(
            "skipped the device node: mknod refused ({})",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => println!("skipped the device node: no mknod here ({e})"),
    }
    for (path, kind, what) in &cases {
        let o = h.run(&cfg, &MGMT_ENV, &["--metrics-file", path.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains(&format!("{} is {what}, not a regular file", path.display())),
            "{err}"
        );
        assert_eq!(node_kind(path), *kind, "{what} untouched");
    }
    let left: Vec<_> = std::fs::read_dir(&nodes).unwrap().collect();
    assert_eq!(
        left.len(),
        cases.len(),
        "no temporary file made next to them"
    );
    assert_eq!(h.snapshot().total, 0, "nothing was called");
}

#[test]
fn metrics_file_dev_null_is_refused_at_the_argument_check() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(10, 1, 1, 1))],
    });
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n"));
    // A bad --history stops the run at the very next check: were the
    // metrics-file check ever lost, /dev/null would still never be written.
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &[
            "--metrics-file",
            "/dev/null",
            "--history",
            "mysql://never/used",
        ],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--metrics-file /dev/null is a character device, not a regular file"),
        "{err}"
    );
    assert!(!err.contains("mysql"), "refused before --history: {err}");
    assert_eq!(node_kind(Path::new("/dev/null")), 'c');
    assert_eq!(h.snapshot().total, 0, "nothing was called");
}

/// A one-request HTTP stand-in for a Pushgateway on a free loopback port:
/// it reads the request (head and body), then `answer` writes what it
/// likes on the stream; the thread returns `answer`'s result.
fn stand_in<R: Send + 'static>(
    answer: impl FnOnce(&str, &mut std::net::TcpStream) -> R + Send + 'static,
) -> (String, std::thread::JoinHandle<R>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let head_end = loop {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "the request ended early");
            got.extend_from_slice(&buf[..n]);
            if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&got[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while got.len() < head_end + length {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "the request body ended early");
            got.extend_from_slice(&buf[..n]);
        }
        answer(&head, &mut s)
    });
    (format!("http://127.0.0.1:{port}"), thread)
}

#[test]
fn a_gateway_echoing_the_basic_auth_header_leaks_no_credential() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(10, 1, 1, 1))],
    });
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n"));
    let (base, gateway) = stand_in(|head, s| {
        let auth = head
            .lines()
            .find_map(|l| l.strip_prefix("authorization: "))
            .unwrap_or("(none)")
            .to_string();
        let body = format!(
            "denied: authorization: {auth}; credentials {}; password push-secret-0003",
            auth.trim_start_matches("Basic ")
        );
        write!(
            s,
            "HTTP/1.1 403 Forbidden\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        auth
    });
    let url = base.replace("http://", "http://pusher:push-secret-0003@");
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &["--formats", "json", "--pushgateway", &url],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sent = gateway.join().unwrap();
    // What any client sends for pusher:push-secret-0003.
    let encoded = "cHVzaGVyOnB1c2gtc2VjcmV0LTAwMDM=";
    assert_eq!(sent, format!("Basic {encoded}"));
    let log = stderr(&o);
    assert!(
        log.contains("refused the metrics: HTTP 403: denied"),
        "{log}"
    );
    assert!(
        log.contains("[REDACTED]"),
        "the echo arrived, redacted: {log}"
    );
    for secret in ["push-secret-0003", encoded, &sent, "cHVzaGVyOnB1c2gtc2Vj"] {
        assert!(!log.contains(secret), "{secret} in\n{log}");
    }
}

#[test]
fn a_gateway_answering_an_endless_error_page_is_not_read_whole() {
    const HUGE: usize = 200 * 1024 * 1024;
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(10, 1, 1, 1))],
    });
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n"));
    // 500 with a 200 MB body, written until the client hangs up.
    let (url, gateway) = stand_in(|_, s| {
        write!(
            s,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {HUGE}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0;
        while sent < HUGE {
            match s.write(&chunk[..chunk.len().min(HUGE - sent)]) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        sent
    });
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &["--formats", "json", "--pushgateway", &url],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = stderr(&o);
    assert!(log.contains("refused the metrics: HTTP 500: xxx"), "{log}");
    let sent = gateway.join().unwrap();
    // 16 KiB read; the rest of what was sent sat in the socket buffers
    // (a few MB on loopback) when the client hung up.
    assert!(
        sent < HUGE / 4,
        "{sent} bytes of {HUGE} sent before the hang-up"
    );
    println!("the stand-in sent {sent} bytes of {HUGE} before the client hung up");
}
