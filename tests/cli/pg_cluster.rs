//! A throwaway PostgreSQL cluster for the tests that need a real server:
//! `initdb` into a temporary folder, `pg_ctl start` on 127.0.0.1 and a free
//! port with its socket in that folder, run as the `postgres` user when the
//! tests run as root. One cluster per test binary, started on first use; a
//! watchdog process stops it and removes the folder when the test process
//! ends, however it ends (a panic included). Where no server can be
//! started, [`cluster`] says why and the caller skips its test.
//!
//! Shared by the library's tests (`#[path]`) and the CLI tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// A running cluster.
#[derive(Debug)]
pub struct Cluster {
    /// The temporary folder (data, socket, log).
    pub dir: PathBuf,
    /// The port on 127.0.0.1.
    pub port: u16,
    /// The CA that signed the server's certificate (for 127.0.0.1 and
    /// `localhost`), when `openssl` could make one: the server then
    /// accepts TLS too.
    pub ca: Option<PathBuf>,
    bin: PathBuf,
    as_postgres: bool,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The cluster of this test binary, or why there is none.
pub fn cluster() -> Result<&'static Cluster, String> {
    CLUSTER.get_or_init(start).as_ref().map_err(Clone::clone)
}

/// A fresh database of its own for one test: its URL (`sslmode=disable`),
/// or why there is no server (the caller prints it and skips).
pub fn database(test: &str) -> Result<String, String> {
    let c = cluster()?;
    let name = format!(
        "t{}_{}",
        NEXT_DB.fetch_add(1, Ordering::Relaxed),
        test.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(40)
            .collect::<String>()
            .to_lowercase()
    );
    let port = c.port.to_string();
    c.run(
        "createdb",
        &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", &name],
    )?;
    Ok(format!(
        "postgres://postgres@127.0.0.1:{}/{name}?sslmode=disable",
        c.port
    ))
}

/// [`database`] over TLS (`sslmode=require`, host `localhost`) and the CA to
/// trust, or why there is none.
pub fn tls_database(test: &str) -> Result<(String, PathBuf), String> {
    let url = database(test)?;
    let ca = cluster()?
        .ca
        .clone()
        .ok_or("openssl could not make the server a certificate")?;
    let url = url
        .replace("@127.0.0.1:", "@localhost:")
        .replace("sslmode=disable", "sslmode=require");
    Ok((url, ca))
}

/// Set (as `.ci/run` does) to fail instead of skipping when no server can
/// be started.
pub const REQUIRE: &str = "TCSS_REQUIRE_POSTGRES";

/// Prints the line saying why a PostgreSQL test is skipped; fails the test
/// instead when [`REQUIRE`] is set.
pub fn skip(test: &str, why: &str) {
    if std::env::var_os(REQUIRE).is_some() {
        panic!("{test}: no PostgreSQL server could be started ({REQUIRE} is set): {why}");
    }
    eprintln!("SKIPPED {test}: no PostgreSQL server could be started: {why}");
}

fn bin_dir() -> Result<PathBuf, String> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if o.status.success() && has(&d) {
            return Ok(d);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no pg_config on PATH and no /usr/lib/postgresql (install postgresql)")?
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|d| has(d))
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no initdb/pg_ctl under /usr/lib/postgresql/*/bin".to_string())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    /// Runs one of the server's programs (as `postgres` when we are root).
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            ))
        }
    }
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir()?;
    let as_postgres = is_root();
    let dir = std::env::temp_dir().join(format!("tcss-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let mut c = Cluster {
        dir: dir.clone(),
        port,
        ca: None,
        bin,
        as_postgres,
    };
    if as_postgres {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("running as root, but the folder cannot be given to the `postgres` user (no such user?)".into());
        }
    }
    watchdog(&c);
    let data = dir.join("data");
    let data_s = data.display().to_string();
    c.run(
        "initdb",
        &[
            "-D",
            &data_s,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )?;
    let mut opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
        dir.display()
    );
    if let Ok(ca) = certificates(&dir, as_postgres) {
        opts.push_str(&format!(
            " -c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key",
            dir.display()
        ));
        c.ca = Some(ca);
    }
    let log = dir.join("server.log").display().to_string();
    c.run(
        "pg_ctl",
        &[
            "-D", &data_s, "-l", &log, "-w", "-t", "60", "-o", &opts, "start",
        ],
    )?;
    Ok(c)
}

/// A test CA and a server certificate it signed for 127.0.0.1 and
/// `localhost`, made with `openssl`; returns the CA's PEM file.
fn certificates(dir: &Path, as_postgres: bool) -> Result<PathBuf, String> {
    let script = "set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=tcss-test-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext.cnf
chmod 600 server.key";
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    if as_postgres {
        let key = dir.join("server.key");
        let ok = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&key)
            .arg(dir.join("server.crt"))
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("cannot give the server key to postgres".into());
        }
    }
    Ok(dir.join("ca.pem"))
}

/// A detached shell that waits for this process to end, then stops the
/// server and removes the folder.
fn watchdog(c: &Cluster) {
    let pg_ctl = c.bin.join("pg_ctl").display().to_string();
    let data = c.dir.join("data").display().to_string();
    let stop = if c.as_postgres {
        format!("runuser -u postgres -- '{pg_ctl}' -D '{data}' -m immediate stop")
    } else {
        format!("'{pg_ctl}' -D '{data}' -m immediate stop")
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; [ -f '{data}/postmaster.pid' ] && {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = c.dir.display(),
    );
    let _ = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
