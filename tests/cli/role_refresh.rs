//! Temporary credentials outliving a run: they are refreshed before use.
//!
//! The runner keeps a role's credentials until 300 s before they expire and
//! consults its cache when each query of the role account starts. The
//! shortest duration the config accepts is 900 s (`role_duration_secs`), so a
//! real-time test would last ten minutes. Instead the simulator's clock is
//! moved forward (`SimHandle::advance_clock`) by a fixed step each time the
//! role account gets an answer: the run lasts a second of real time and
//! twenty minutes of server time. The server enforces expiry on its clock
//! (`AuthFailure.TokenFailure`), and the runner sees that clock through the
//! `Date` headers (it judges freshness on the server-corrected clock), so
//! credentials kept too long would be rejected.
//!
//! Shape of the run: the role account `long` has 17 regions; fifteen filler
//! accounts with 17 regions each fill every round of the plan, so the
//! executor's window (16 queries started ahead) holds at most two or three of
//! `long`'s queries at once. A query's credentials are therefore used within
//! a few steps (each [`STEP`] seconds) of the cache check, well inside the
//! 300 s margin, whatever order the limiter picks.

use std::time::Duration;

use tcss_sim::{Fleet, Settings};

use crate::harness::*;

const TCSS: &str = "DescribeImageAuthorizedInfo";
const LONG_UIN: &str = "200000000077";
/// Server seconds added per answer to `long`.
const STEP: i64 = 70;
const DURATION: i64 = 900;
const FILLERS: usize = 15;

#[test]
fn role_credentials_are_refreshed_before_they_expire_in_a_long_run() {
    let regions = region_names(17);
    let mut accounts = vec![mgmt(data(10, 1, 1, 1))];
    accounts.push(member(LONG_UIN, "long", MGMT_UIN, data(50, 5, 5, 5)));
    let mut config = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n\
         [[accounts]]\nname = \"long\"\nrole_arn = \"qcs::cam::uin/{LONG_UIN}:roleName/Audit\"\nsource_account = \"mgmt\"\nregions = {}\n",
        toml_list(&regions)
    );
    let mut env: Vec<(String, String)> = MGMT_ENV
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for i in 0..FILLERS {
        let uin = format!("7000000000{i:02}");
        let id = format!("AKIDfiller{i:020}");
        let key = format!("filler-key-{i}");
        accounts.push(keyed(
            &uin,
            &format!("filler-{i}"),
            &id,
            &key,
            data(1, 1, 1, 1),
        ));
        config.push_str(&format!(
            "[[accounts]]\nname = \"filler-{i}\"\nuin = \"{uin}\"\nsecret_id_env = \"F_ID_{i}\"\nsecret_key_env = \"F_KEY_{i}\"\nregions = {}\n",
            toml_list(&regions)
        ));
        env.push((format!("F_ID_{i}"), id));
        env.push((format!("F_KEY_{i}"), key));
    }
    let h = Harness::new(Fleet {
        settings: Settings {
            // The simulator refuses longer sessions: the runner must ask for 900 s.
            max_role_duration_secs: DURATION as u32,
            ..Settings::default()
        },
        accounts,
    });
    let cfg = h.config(
        &format!("concurrency = 8\nrate_limit = 20\nrole_duration_secs = {DURATION}\n"),
        &config,
    );
    let mut c = h.command(&cfg);
    for (k, v) in &env {
        c.env(k, v);
    }
    let (mut child, log) = h.spawn(c);

    // Move the server's clock as `long` makes progress, until the run ends.
    let mut steps = 0u64;
    let mut status = None;
    wait_until(Duration::from_secs(60), "the run to finish", || {
        let answered = h.snapshot().count(LONG_UIN, TCSS, "Success");
        while steps < answered {
            h.sim().advance_clock(STEP);
            steps += 1;
        }
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let logs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{logs}");

    let snap = h.snapshot();
    let advanced = STEP * steps as i64;
    assert!(
        advanced >= DURATION + 2 * STEP,
        "the run outlived the first credentials by server time: {advanced} s"
    );
    assert_eq!(
        snap.count_code(TCSS, "AuthFailure.TokenFailure"),
        0,
        "no expired token was ever used: {snap:?}"
    );
    let assumed = snap.count(MGMT_UIN, "AssumeRole", "Success");
    assert!(
        assumed >= 2,
        "the credentials were refreshed during the run ({assumed} AssumeRole): {snap:?}"
    );
    assert!(
        assumed <= (advanced / (DURATION - 300) + 1) as u64,
        "refreshed when due, not on every query ({assumed} AssumeRole)"
    );
    let rows = h.csv(".regions.csv");
    assert_eq!(rows.len(), 1 + 17 + FILLERS * 17);
    for r in rows_of(&rows, "long") {
        assert_eq!(r["status"], "ok", "{r:?}");
    }
    assert!(rows.iter().all(|r| r["status"] == "ok"));
}

/// Temporary keys that expire during a query's retry chain (here: the
/// server's clock jumps past their expiry while the first attempt hangs) are
/// replaced. Credentials are looked up before every attempt: the retry after
/// the timeout still believes the old clock and is refused as skewed
/// (`AuthFailure.SignatureExpire`, which teaches the client the server's
/// time); the re-signed attempt finds the keys due, assumes the role again
/// and succeeds. Expired keys are never sent.
#[test]
fn keys_expiring_during_a_retry_chain_are_replaced() {
    const UIN: &str = "200000000078";
    let mut m = member(UIN, "slow", MGMT_UIN, data(50, 5, 5, 5));
    m.faults = tcss_sim::Faults {
        first_n: 1,
        first_kind: Some(tcss_sim::FaultKind::Hang),
        ..tcss_sim::Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Settings {
            max_role_duration_secs: DURATION as u32,
            ..Settings::default()
        },
        accounts: vec![mgmt(data(10, 1, 1, 1)), m],
    });
    let config = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n\
         [[accounts]]\nname = \"slow\"\nrole_arn = \"qcs::cam::uin/{UIN}:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    // One query's retry chain: the images only. With the account-wide
    // actions (issue 21) asked too, whichever query's retry first learns
    // the server's time from a SignatureExpire answer spares the others
    // theirs, so the image query's attempts would depend on the order.
    let cfg = h.config(
        &format!("timeout_secs = 1\nrole_duration_secs = {DURATION}\ncollect = [\"images\"]\n"),
        &config,
    );
    let mut c = h.command(&cfg);
    c.envs(MGMT_ENV);
    let (mut child, log) = h.spawn(c);
    wait_until(Duration::from_secs(20), "the first call to hang", || {
        h.snapshot().count(UIN, TCSS, "Hang") >= 1
    });
    // While it hangs, the server's clock passes the keys' expiry.
    h.sim().advance_clock(DURATION + 60);
    exits_ok(&mut child, &log);
    let snap = h.snapshot();
    assert_eq!(snap.count(MGMT_UIN, "AssumeRole", "Success"), 2, "{snap:?}");
    let rows = h.csv(".regions.csv");
    let r = row(&rows, "slow");
    assert_eq!(r["status"], "ok", "{r:?}");
    // hang (timeout), refused as skewed, success with fresh keys
    assert_eq!(r["attempts"], "3", "{r:?}");
    assert_eq!(snap.count(UIN, TCSS, "AuthFailure.SignatureExpire"), 1);
    assert_eq!(snap.count(UIN, TCSS, "AuthFailure.TokenFailure"), 0);
}

/// Role sessions revoked on the server before they expire (the server
/// answers `AuthFailure.TokenFailure` although the keys are fresh by their
/// expiry): the runner drops the rejected keys and assumes the role again,
/// once for all the queries that failed together, and every query succeeds.
///
/// Shape: four regions whose first calls hang (1 s timeout); while all four
/// hang, every issued session is revoked; the retries are refused with
/// `TokenFailure`; each query drops the rejected keys only if they are still
/// the cached ones, so the four share one new `AssumeRole`.
#[test]
fn revoked_role_sessions_are_replaced_once_for_queries_that_fail_together() {
    const UIN: &str = "200000000079";
    const REGIONS: usize = 4;
    let mut m = member(UIN, "revoked", MGMT_UIN, data(40, 4, 4, 4));
    // Answers (refusals included) take 400 ms: the retries, spread by
    // backoff jitter, are all in flight with the revoked keys before the
    // first refusal comes back.
    m.faults = tcss_sim::Faults {
        latency_ms: 400,
        first_n: 1,
        first_kind: Some(tcss_sim::FaultKind::Hang),
        ..tcss_sim::Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Settings::default(),
        accounts: vec![mgmt(data(10, 1, 1, 1)), m],
    });
    let regions = region_names(REGIONS);
    let config = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n\
         [[accounts]]\nname = \"revoked\"\nrole_arn = \"qcs::cam::uin/{UIN}:roleName/Audit\"\nsource_account = \"mgmt\"\nregions = {}\n",
        toml_list(&regions)
    );
    let cfg = h.config("timeout_secs = 1\nconcurrency = 8\n", &config);
    let mut c = h.command(&cfg);
    c.envs(MGMT_ENV);
    let (mut child, log) = h.spawn(c);
    wait_until(Duration::from_secs(20), "every first call to hang", || {
        h.snapshot().count(UIN, TCSS, "Hang") >= REGIONS as u64
    });
    assert_eq!(
        h.sim().revoke_temporary_credentials(),
        1,
        "one session issued"
    );
    exits_ok(&mut child, &log);
    let snap = h.snapshot();
    let refused = snap.count_code(TCSS, "AuthFailure.TokenFailure");
    assert!(
        refused >= 1,
        "the revoked keys were refused at least once: {snap:?}"
    );
    assert_eq!(
        snap.count(MGMT_UIN, "AssumeRole", "Success"),
        2,
        "one AssumeRole before the revocation, one after, shared: {snap:?}"
    );
    let rows = h.csv(".regions.csv");
    let mine = rows_of(&rows, "revoked");
    assert_eq!(mine.len(), REGIONS);
    let mut attempts = 0;
    for r in &mine {
        assert_eq!(r["status"], "ok", "{r:?}");
        attempts += r["attempts"].parse::<u64>().unwrap();
    }
    // Every attempt is accounted for: a hang each, the refusals, the successes.
    assert_eq!(attempts, REGIONS as u64 * 2 + refused, "{mine:?}");
}

/// Waits (30 s at most) for the run to end and checks it exited 0, showing
/// its log otherwise.
fn exits_ok(child: &mut std::process::Child, log: &std::path::Path) {
    let mut status = None;
    wait_until(Duration::from_secs(30), "the run to finish", || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let logs = std::fs::read_to_string(log).unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{logs}");
}
