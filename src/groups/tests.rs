//! The grouping stage against a fleet of tagged, untagged, failed, partial
//! and twice-configured accounts.

use super::*;
use crate::aggregate::Aggregate;
use crate::calls::Call;
use crate::columns::accounts::{TOTAL_AUTHORIZED, UTILIZATION};
use crate::columns::groups::{GroupColumn, GROUPS};
use crate::columns::totals::TotalsColumn;
use crate::columns::{Cell, Kind};
use crate::model::RegionScope;
use crate::model::RunInfo;
use crate::test_support::{account, data, failed, ok, report_of, run_info, wide_ok};
use tcapi::tcss::PurchaseStateInfo;

/// Six accounts: `a` and `b` of team `pay` (b partial), `c` of team `ops`,
/// `d` untagged, `e` of team `ops` failed (error), `f` an empty team and
/// `a2` the same UIN as `a` (counted in `a`'s row); cost centers on some.
/// Editions: `a` Pro lapsing in 10 days with 12 cores (2 unprotected), `b`
/// Pro renewed automatically with 12 cores, `c` a trial lapsing in 20 days
/// with 4 cores (4 unprotected), `d` Pro lapsing in 40 days with no core
/// counts, `f` and `a2` unknown (their answers empty).
pub(crate) fn fleet() -> Aggregate {
    let mut accounts = Vec::new();
    let mut add = |name: &str, regions: &[&str], tags: &[(&str, &str)], uin: Option<&str>| {
        let mut a = account(name, regions);
        a.uin = uin.map(str::to_string);
        for (k, v) in tags {
            a.tags.insert(k.to_string(), v.to_string());
        }
        accounts.push(a);
    };
    add("a", &["r1"], &[("team", "pay"), ("cc", "1")], Some("11"));
    add("b", &["r1", "r2"], &[("team", "pay")], None);
    add("c", &["r1"], &[("team", "ops"), ("cc", "2")], None);
    add("d", &["r1"], &[], None);
    add("e", &["r1"], &[("team", "ops"), ("cc", "1")], None);
    add("f", &["r1"], &[("team", " ")], None);
    add("a2", &["r1"], &[("team", "ops")], Some("11"));
    let outcomes = vec![
        ok(0, "r1", data(100, 90)),
        ok(1, "r1", data(50, 10)),
        failed(1, "r2", "InternalError"),
        ok(2, "r1", data(10, 15)),
        ok(3, "r1", data(40, 0)),
        failed(4, "r1", "AuthFailure"),
        ok(5, "r1", data(0, 0)),
        ok(6, "r1", data(100, 90)),
        wide_ok(0, "r1", edition(3, "2026-02-11", Some((12, 2)), 2).into()),
        wide_ok(1, "r1", edition(3, "2026-02-11", Some((12, 0)), 1).into()),
        wide_ok(2, "r1", edition(2, "2026-02-21", Some((4, 4)), 0).into()),
        wide_ok(3, "r1", edition(3, "2026-03-13", None, 2).into()),
        wide_ok(5, "r1", PurchaseStateInfo::default().into()),
        wide_ok(6, "r1", PurchaseStateInfo::default().into()),
    ];
    let run = RunInfo {
        collect: vec![Call::ImageAuthorizedInfo, Call::PurchaseStateInfo],
        ..run_info(RegionScope::Account)
    };
    report_of(&accounts, &outcomes, run).aggregate
}

/// An edition in `state` ending on `end` (Beijing midnight) with
/// `(all, unprotected)` cores, renewed as `renewal` (1: automatically).
fn edition(state: i64, end: &str, cores: Option<(u64, u64)>, renewal: i64) -> PurchaseStateInfo {
    PurchaseStateInfo {
        state: Some(state.into()),
        expiration_time: Some(format!("{end} 08:00:00")),
        automatic_renewal: Some(renewal.into()),
        all_cores_cnt: cores.map(|c| c.0),
        undefend_cores_cnt: cores.map(|c| c.1),
        ..PurchaseStateInfo::default()
    }
}

/// The sum of `values` by the totals' rule: empty when none is known.
fn sum(values: impl IntoIterator<Item = Option<i64>>) -> Option<i64> {
    let mut s = crate::aggregate::warnings::CheckedSum::default();
    for v in values {
        s.add(v);
    }
    s.value()
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

/// Every count and every sum of a key's rows equals the totals'; every
/// ratio is the weighted ratio of its parts; the shares add up to 1.
#[test]
fn every_keys_groups_add_up_to_the_totals() {
    let agg = fleet();
    let groups = group(&agg.accounts, &keys(&["team", "cc", "nope"]));
    assert_eq!(groups.keys, ["team", "cc", "nope"]);
    assert_eq!(groups.unknown, ["nope"]);
    for (key, rows) in groups.by_key() {
        assert_eq!(
            rows.iter().filter(|g| g.group.is_none()).count(),
            1,
            "{key}: one untagged row"
        );
        for c in GROUPS {
            let GroupColumn::Total(t) = c else { continue };
            let total = t.cell(&agg.totals);
            match (c.kind(), t) {
                (Kind::Count, _) => {
                    let sum = sum(rows.iter().map(|g| c.cell(g).as_int()));
                    assert_eq!(sum, total.as_int(), "{key}: {}", c.key());
                }
                (Kind::Ratio, TotalsColumn::Of(col)) => {
                    let crate::columns::Total::Weighted { num, den } = col.total else {
                        panic!("{} is weighted", col.key)
                    };
                    for g in rows {
                        let (n, d) = (g.totals.int(num), g.totals.int(den));
                        let want = match (n, d) {
                            (Some(n), Some(d)) if d != 0 => Some(n as f64 / d as f64),
                            _ => None,
                        };
                        assert_eq!(c.cell(g).as_real(), want, "{key}/{:?}", g.group);
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let shares: f64 = rows.iter().filter_map(|g| g.share_of_used).sum();
        assert!((shares - 1.0).abs() < 1e-12, "{key}: {shares}");
    }
}

#[test]
fn groups_follow_the_totals_rules() {
    let agg = fleet();
    let groups = group(&agg.accounts, &keys(&["team"]));
    let team = |v: Option<&str>| {
        groups
            .of("team")
            .iter()
            .find(|g| g.group.as_deref() == v)
            .unwrap_or_else(|| panic!("{v:?}"))
    };
    let pay = team(Some("pay"));
    assert_eq!(
        (
            pay.totals.accounts,
            pay.totals.accounts_ok,
            pay.totals.accounts_partial
        ),
        (2, 1, 1)
    );
    assert_eq!(pay.totals.int(&TOTAL_AUTHORIZED), Some(150));
    // Weighted: 100 of 150 used, not the mean of 90% and 20%.
    assert_eq!(pay.totals.ratio(&UTILIZATION), Some(100.0 / 150.0));
    // `ops`: `c` and the failed `e`; `a2` is counted in `a`'s row (pay).
    let ops = team(Some("ops"));
    assert_eq!((ops.totals.accounts, ops.totals.accounts_error), (2, 1));
    assert_eq!(ops.totals.int(&TOTAL_AUTHORIZED), Some(10));
    assert_eq!(ops.totals.ratio(&UTILIZATION), Some(1.5), "over-use kept");
    // Untagged: `d` and `f` (an empty value is no value).
    let none = team(None);
    assert_eq!(none.totals.accounts, 2);
    assert_eq!(none.totals.int(&TOTAL_AUTHORIZED), Some(40));
    assert_eq!(none.share_of_used, Some(0.0));
    assert_eq!(pay.share_of_used, Some(100.0 / 115.0));
    // Over-use by the totals' own rules (`aggregate::overuse`): `c` uses
    // 15 of 10; the idle licenses of `a` and `b` are pay's, `d`'s untagged.
    let short_idle = |g: &GroupRow| {
        (
            g.totals.accounts_over_licensed,
            g.totals.licenses_short,
            g.totals.licenses_idle,
        )
    };
    assert_eq!(short_idle(pay), (0, Some(0), Some(50)));
    assert_eq!(short_idle(ops), (1, Some(5), Some(0)));
    assert_eq!(short_idle(none), (0, Some(0), Some(40)));
    // Largest use first, the untagged row last of its use.
    let order: Vec<Option<&str>> = groups.rows.iter().map(|g| g.group.as_deref()).collect();
    assert_eq!(order, [Some("pay"), Some("ops"), None]);
}

#[test]
fn a_key_no_account_carries_is_one_untagged_group_and_said() {
    let agg = fleet();
    let groups = group(&agg.accounts, &keys(&["nope", "nope"]));
    assert_eq!(groups.keys, ["nope"], "asked once");
    assert_eq!(groups.unknown, ["nope"]);
    assert_eq!(groups.rows.len(), 1);
    assert_eq!(groups.rows[0].group, None);
    assert_eq!(groups.rows[0].totals.accounts, agg.totals.accounts);
    assert_eq!(groups.rows[0].totals.columns, agg.totals.columns);
    assert_eq!(groups.rows[0].share_of_used, Some(1.0));
    let none = group(&agg.accounts, &[]);
    assert!(none.keys.is_empty() && none.rows.is_empty());
}

/// The untagged bucket is kept when no account is untagged: zero accounts,
/// unknown sums (as the totals of no account).
#[test]
fn an_empty_untagged_bucket_is_kept() {
    let agg = fleet();
    let mut rows = agg.accounts.clone();
    for r in &mut rows {
        r.tags.insert("all".into(), "x".into());
    }
    let groups = group(&rows, &keys(&["all"]));
    assert_eq!(groups.rows.len(), 2);
    let none = &groups.rows[1];
    assert_eq!((none.group.as_deref(), none.totals.accounts), (None, 0));
    assert_eq!(none.totals.of(&TOTAL_AUTHORIZED), Cell::Empty);
    assert_eq!(none.share_of_used, None);
}

/// The fleet of the speed bound: 10,000 accounts in two regions (one in 97
/// with a failed region), tagged `team` and `cost_center` with 500 values
/// each (every 97th account untagged).
fn ten_thousand() -> Aggregate {
    let regions = ["ap-guangzhou", "ap-shanghai"];
    let accounts: Vec<_> = (0..10_000)
        .map(|i| {
            let mut a = account(&format!("account-{i:05}"), &regions);
            a.uin = Some(format!("{}", 100_000_000_000u64 + i as u64));
            if i % 97 != 1 {
                a.tags.insert("team".into(), format!("team-{}", i % 500));
                a.tags
                    .insert("cost_center".into(), format!("cc-{}", (i * 7) % 500));
            }
            a
        })
        .collect();
    let outcomes: Vec<_> = (0..10_000)
        .flat_map(|i| {
            let n = i as i64;
            let second = if i % 97 == 0 {
                failed(i, regions[1], "RequestLimitExceeded")
            } else {
                ok(i, regions[1], data(100 + n % 50, n % 160))
            };
            [ok(i, regions[0], data(100 + n % 50, n % 160)), second]
        })
        .collect();
    crate::aggregate::aggregate(&accounts, &outcomes, run_info(RegionScope::Account))
}

/// Peak resident memory of this process, KiB (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Writes every format (and `prom`) of `report` into a new folder; the time.
fn write_set(report: &mut crate::report::Report) -> std::time::Duration {
    use crate::report::{default_formats, write_all, Format};
    let dir = tempfile::tempdir().unwrap();
    let mut formats = default_formats();
    formats.push(Format::Prom);
    let started = std::time::Instant::now();
    write_all(report, dir.path(), &formats).unwrap();
    started.elapsed()
}

/// The bound: 10,000 accounts grouped by two keys of 500 values
/// add at most 50 ms and 10 MB to a run. Prints the grouping stage's time,
/// the report set's time with and without the groups (medians of 5,
/// interleaved), and the peak RSS of two child processes that build the
/// same report and write it, grouped or not (medians of 3), each with its
/// ratio to the bound: figures, not assertions (this machine is noisy).
/// `cargo test --release -p tcss-report --lib -- --ignored --nocapture grouped_figure`
#[test]
#[ignore = "a figure to read; run in release with --nocapture"]
fn ten_thousand_accounts_grouped_figure() {
    let keys = keys(&["team", "cost_center"]);
    if let Ok(mode) = std::env::var("TCSS_GROUPED_FIGURE_CHILD") {
        let mut report = crate::report::Report::new(ten_thousand());
        if mode == "grouped" {
            report.groups = group(&report.aggregate.accounts, &keys);
        }
        write_set(&mut report);
        println!("peak_rss_kib={}", peak_rss_kib());
        return;
    }
    let aggregate = ten_thousand();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut stage = Vec::new();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut groups = Groups::default();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        groups = group(&aggregate.accounts, &keys);
        stage.push(started.elapsed().as_secs_f64() * 1000.0);
        let mut plain = crate::report::Report::new(aggregate.clone());
        without.push(write_set(&mut plain).as_secs_f64() * 1000.0);
        let mut grouped = crate::report::Report::new(aggregate.clone());
        grouped.groups = groups.clone();
        with.push(write_set(&mut grouped).as_secs_f64() * 1000.0);
    }
    assert_eq!(groups.rows.len(), 2 * 501);
    let (stage, with, without) = (median(stage), median(with), median(without));
    let added = stage + (with - without);
    eprintln!(
        "grouping 10,000 accounts by 2 keys of 500 values: {stage:.1} ms; the report set \
         {without:.1} ms without the groups, {with:.1} ms with them; added {added:.1} ms = \
         {:.2} x the 50 ms bound{}",
        added / 50.0,
        if cfg!(debug_assertions) {
            " (debug build: not representative)"
        } else {
            ""
        }
    );
    let rss = |mode: &str| -> f64 {
        let runs: Vec<f64> = (0..3)
            .map(|_| {
                let o = std::process::Command::new(std::env::current_exe().unwrap())
                    .args(["--ignored", "--exact", "--nocapture", "--test-threads=1"])
                    .arg("groups::tests::ten_thousand_accounts_grouped_figure")
                    .env("TCSS_GROUPED_FIGURE_CHILD", mode)
                    .output()
                    .unwrap();
                let out = String::from_utf8_lossy(&o.stdout);
                let kib = out
                    .lines()
                    .find_map(|l| l.split("peak_rss_kib=").nth(1))
                    .unwrap_or_else(|| panic!("no figure from the child: {out}"));
                kib.trim().parse::<f64>().unwrap() / 1024.0
            })
            .collect();
        median(runs)
    };
    let (plain, grouped) = (rss("plain"), rss("grouped"));
    eprintln!(
        "peak RSS writing the set: {plain:.1} MB without the groups, {grouped:.1} MB with them; \
         added {:.1} MB = {:.2} x the 10 MB bound",
        grouped - plain,
        (grouped - plain) / 10.0
    );
}

/// The cores and the lapsing editions per group, by the totals' rules:
/// sums of the counted answering accounts (empty where none knows the
/// cores), and the editions lapsing within 30 days without automatic
/// renewal (0 where editions are known but none lapses).
#[test]
fn cores_and_lapsing_editions_per_group() {
    use crate::columns::license::{CORES_TOTAL, CORES_UNPROTECTED, EDITIONS_LAPSING_30D};
    let agg = fleet();
    let groups = group(&agg.accounts, &keys(&["team"]));
    let picture = |g: &GroupRow| {
        (
            g.totals.of(&CORES_TOTAL).as_int(),
            g.totals.of(&CORES_UNPROTECTED).as_int(),
            EDITIONS_LAPSING_30D.cell(&g.totals).as_int(),
        )
    };
    let by: Vec<_> = groups
        .of("team")
        .iter()
        .map(|g| (g.group.as_deref(), picture(g)))
        .collect();
    assert_eq!(
        by,
        [
            (Some("pay"), (Some(24), Some(2), Some(1))),
            (Some("ops"), (Some(4), Some(4), Some(1))),
            (None, (None, None, Some(0))),
        ]
    );
    let run = (
        agg.totals.of(&CORES_TOTAL).as_int(),
        agg.totals.of(&CORES_UNPROTECTED).as_int(),
        EDITIONS_LAPSING_30D.cell(&agg.totals).as_int(),
    );
    assert_eq!(run, (Some(28), Some(6), Some(2)));
}
