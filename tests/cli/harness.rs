//! The shared harness of the integration tests: the real `tcss-report` binary
//! with a clean environment, an in-process simulator on `127.0.0.1:0` with a
//! temporary folder for the config, the tccli home and the reports, fleet
//! builders, and readers for the report files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tcss_sim::{Faults, Fleet, KeyPair, Role, SimAccount, SimHandle};

/// The management account of most tests.
pub const MGMT_UIN: &str = "100000000001";
/// The files of a run with the default formats (CSV, XLSX, JSON, Markdown),
/// by how their names end.
pub const DEFAULT_SET: [&str; 5] = [".accounts.csv", ".regions.csv", ".xlsx", ".json", ".md"];

/// The newest history migration this build applies (a new migration moves it).
pub const LATEST_HISTORY_SCHEMA: i64 = 5;

/// The management account's keys, as environment variables of the run.
pub const MGMT_ENV: [(&str, &str); 2] = [
    ("MGMT_ID", "AKIDmgmt000000000000000001"),
    ("MGMT_KEY", "mgmt-secret-key-0001"),
];

/// The management account in a config (keys from [`MGMT_ENV`]).
pub const MGMT_ACCOUNT: &str =
    "[[accounts]]\nname = \"mgmt\"\nsecret_id_env = \"MGMT_ID\"\nsecret_key_env = \"MGMT_KEY\"\n";

/// The binary, with none of the developer's credentials or log settings.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tcss-report"));
    // Never pick up the developer's real credentials or logs settings.
    c.env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY")
        .env_remove("TENCENTCLOUD_TOKEN")
        .env_remove("RUST_LOG");
    c
}

/// A `DescribeImageAuthorizedInfo` answer with these counts (and fixed trial,
/// purchase, duplicate and quota fields, plus an unknown field).
pub fn data(
    total: i64,
    used: i64,
    scanned: i64,
    not_scanned: i64,
) -> serde_json::Map<String, Value> {
    let v = json!({
        "TotalAuthorizedCnt": total,
        "UsedAuthorizedCnt": used,
        "ScannedImageCnt": scanned,
        "NotScannedImageCnt": not_scanned,
        "NotScannedLocalImageCnt": 1,
        "TrialAuthorizedCnt": 10,
        "UsedTrialAuthorizedCnt": 5,
        "PurchasedAuthorizedCnt": total - 10,
        "UsedPurchasedAuthorizedCnt": used - 5,
        "CanApplyFreeImageAuthorize": false,
        "RepeatImageIdCnt": 2,
        "ImageScanInquireInfo": {
            "InquireKey": "key-1", "Capcity": 1000, "Useage": 250,
            "StartTime": "2026-01-01 00:00:00", "EndTime": "2099-01-01 00:00:00",
            "PurchaseStatus": "Normal", "ResourceID": "res-1"
        },
        "SomeFieldFromTheFuture": {"x": 1}
    });
    v.as_object().cloned().unwrap_or_default()
}

/// An account with one long-term key pair.
pub fn keyed(
    uin: &str,
    name: &str,
    id: &str,
    key: &str,
    d: serde_json::Map<String, Value>,
) -> SimAccount {
    SimAccount {
        uin: uin.into(),
        name: Some(name.into()),
        keys: vec![KeyPair {
            secret_id: id.into(),
            secret_key: key.into(),
        }],
        roles: vec![],
        regions: None,
        data: d,
        region_data: BTreeMap::new(),
        answers: BTreeMap::new(),
        faults: Faults::default(),
    }
}

/// An account without keys whose role `Audit` trusts `trusted`.
pub fn member(
    uin: &str,
    name: &str,
    trusted: &str,
    d: serde_json::Map<String, Value>,
) -> SimAccount {
    SimAccount {
        uin: uin.into(),
        name: Some(name.into()),
        keys: vec![],
        roles: vec![Role {
            name: "Audit".into(),
            trusted: vec![trusted.into()],
        }],
        regions: None,
        data: d,
        region_data: BTreeMap::new(),
        answers: BTreeMap::new(),
        faults: Faults::default(),
    }
}

/// The management account of the simulator (keys from [`MGMT_ENV`]).
pub fn mgmt(d: serde_json::Map<String, Value>) -> SimAccount {
    keyed(MGMT_UIN, "mgmt", MGMT_ENV[0].1, MGMT_ENV[1].1, d)
}

/// A simulator on its own runtime, and a temporary folder.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
}

impl Harness {
    pub fn new(fleet: Fleet) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt.block_on(tcss_sim::spawn(fleet, "127.0.0.1:0")).unwrap();
        Harness {
            rt,
            sim: Some(sim),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The running simulator.
    pub fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    pub fn url(&self) -> String {
        self.sim().url()
    }

    pub fn snapshot(&self) -> tcss_sim::CountersSnapshot {
        self.sim().counters().snapshot()
    }

    /// Writes a config whose [defaults] point at the simulator, plus `extra_defaults` and `accounts`.
    pub fn config(&self, extra_defaults: &str, accounts: &str) -> PathBuf {
        let path = self.dir.path().join("accounts.toml");
        let url = self.url();
        let text = format!(
            "[defaults]\nendpoint = \"{url}\"\nsts_endpoint = \"{url}\"\nregions = [\"ap-guangzhou\"]\n{extra_defaults}\n{accounts}"
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// A fake home folder (for tccli profiles), inside the temporary folder.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Writes `<home>/.tccli/<profile>.credential` as tccli does.
    pub fn write_profile(&self, profile: &str, secret_id: &str, secret_key: &str) {
        let dir = self.home().join(".tccli");
        std::fs::create_dir_all(&dir).unwrap();
        let body =
            json!({"secretId": secret_id, "secretKey": secret_key, "region": "ap-guangzhou"});
        std::fs::write(dir.join(format!("{profile}.credential")), body.to_string()).unwrap();
    }

    /// `tcss-report run --config <config> --out <out>`, with the fake home.
    pub fn command(&self, config: &Path) -> Command {
        let mut c = bin();
        c.arg("run")
            .arg("--config")
            .arg(config)
            .arg("--out")
            .arg(self.out())
            .env("HOME", self.home());
        c
    }

    pub fn run(&self, config: &Path, env: &[(&str, &str)], extra: &[&str]) -> Output {
        let mut c = self.command(config);
        c.args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// Starts a run in the background; its stderr goes to the returned file
    /// (readable while it runs), stdout to a pipe.
    pub fn spawn(&self, mut c: Command) -> (Child, PathBuf) {
        let log = self.dir.path().join("stderr.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap();
        (child, log)
    }

    pub fn report(&self, ext: &str) -> PathBuf {
        let mut found: Vec<PathBuf> = std::fs::read_dir(self.out())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(ext))
            .collect();
        assert_eq!(found.len(), 1, "exactly one *{ext} in {:?}", found);
        found.pop().unwrap()
    }

    pub fn csv(&self, ext: &str) -> Vec<HashMap<String, String>> {
        let mut r = csv::Reader::from_path(self.report(ext)).unwrap();
        let headers = r.headers().unwrap().clone();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.report(".json")).unwrap()).unwrap()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.rt.block_on(sim.shutdown());
        }
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn row<'a>(rows: &'a [HashMap<String, String>], account: &str) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r["account"] == account)
        .unwrap_or_else(|| panic!("no row for {account}: {rows:?}"))
}

/// Every row of `account` (regions CSV).
pub fn rows_of<'a>(
    rows: &'a [HashMap<String, String>],
    account: &str,
) -> Vec<&'a HashMap<String, String>> {
    rows.iter().filter(|r| r["account"] == account).collect()
}

/// The first row of a sheet (its header), each cell as text.
pub fn header_row(sheet: &calamine::Range<calamine::Data>) -> Vec<String> {
    let first = sheet.rows().next().expect("a header row");
    first.iter().map(|c| c.to_string()).collect()
}

/// Where `label` stands in `header`; panics listing the header when it is
/// not there.
pub fn column_at(header: &[String], label: &str) -> usize {
    header
        .iter()
        .position(|h| h == label)
        .unwrap_or_else(|| panic!("no {label} in {header:?}"))
}

/// Polls `cond` every few milliseconds until it holds; panics naming `what`
/// after `limit`. The only way these tests wait.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sends SIGTERM to a child process.
#[cfg(unix)]
pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// `n` region names, the first ones real, for the simulator's
/// `settings.regions` and the config (unknown names only warn).
pub fn region_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match tcss_sim::fleet::DEFAULT_REGIONS.get(i) {
            Some(r) => (*r).to_string(),
            None => format!("sim-region-{i:02}"),
        })
        .collect()
}

/// `["a", "b"]` as a TOML array.
pub fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|r| format!("\"{r}\"")).collect();
    format!("[{}]", quoted.join(", "))
}
