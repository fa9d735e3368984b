//! `organization` `DescribeOrganizationMembers` over real loopback HTTP:
//! paging, parameters, who may call, signature service, rate limit, listing
//! faults, members joining between pages, `null` fields, counters.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{call, send, Call};
use serde_json::{json, Value};
use tcss_sim::{Fleet, KeyPair, OrgFaults, OrgMember, Organization, Role, SimAccount, SimHandle};

const ACTION: &str = "DescribeOrganizationMembers";
const MGMT: &str = "100000000001";
const MGMT_ID: &str = "AKIDorgmgmt00000000000000000000000001";
const MGMT_KEY: &str = "org-mgmt-secret-key";
/// A member of the main organization with keys of its own (not its manager).
const KEYED_MEMBER: &str = "100000000002";
const KEYED_ID: &str = "AKIDorgkeyed0000000000000000000000002";
const KEYED_KEY: &str = "org-keyed-secret-key";
/// An account in no organization.
const OUTSIDER: &str = "100000000003";
const OUT_ID: &str = "AKIDorgout000000000000000000000000003";
const OUT_KEY: &str = "org-outsider-secret-key";
/// Managers of the other organizations: locked, flaky, growing.
const LOCKED: &str = "100000000004";
const FLAKY: &str = "100000000005";
const GROWING: &str = "100000000006";
/// Members of the main organization besides the two keyed accounts.
const MAIN_ROLE_MEMBERS: usize = 21;
const MAIN_TOTAL: usize = MAIN_ROLE_MEMBERS + 2;

fn key_id(uin: &str) -> String {
    format!("AKIDorg{uin}000000000000000000")
}

fn keyed(uin: &str, id: &str) -> SimAccount {
    SimAccount {
        uin: uin.into(),
        name: Some(format!("acct-{uin}")),
        keys: vec![KeyPair {
            secret_id: id.into(),
            secret_key: format!("key-{uin}"),
        }],
        ..SimAccount::default()
    }
}

fn member_account(uin: &str, trusted: &str, with_role: bool) -> SimAccount {
    SimAccount {
        uin: uin.into(),
        name: Some(format!("acct-{uin}")),
        roles: if with_role {
            vec![Role {
                name: "OrganizationAccessControlRole".into(),
                trusted: vec![trusted.into()],
            }]
        } else {
            Vec::new()
        },
        ..SimAccount::default()
    }
}

fn member(uin: &str, name: &str, node: (i64, &str)) -> OrgMember {
    OrgMember {
        uin: uin.into(),
        name: name.into(),
        node_id: node.0,
        node_name: Some(node.1.into()),
        tags: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
        ..OrgMember::default()
    }
}

/// The main organization (23 members: its manager, a keyed member, 21 role
/// members of which one has no role and two share a Name), and three small
/// ones with faults.
fn fleet() -> Fleet {
    let mut f = Fleet::default();
    let mut mgmt = keyed(MGMT, MGMT_ID);
    mgmt.keys[0].secret_key = MGMT_KEY.into();
    let mut km = keyed(KEYED_MEMBER, KEYED_ID);
    km.keys[0].secret_key = KEYED_KEY.into();
    let mut out = keyed(OUTSIDER, OUT_ID);
    out.keys[0].secret_key = OUT_KEY.into();
    f.accounts = vec![mgmt, km, out];
    let mut main = Organization {
        name: "corp".into(),
        management_uin: MGMT.into(),
        members: vec![
            member(MGMT, "corp-management", (0, "Root")),
            member(KEYED_MEMBER, "shared-services", (0, "Root")),
        ],
        faults: OrgFaults::default(),
    };
    for i in 0..MAIN_ROLE_MEMBERS {
        let uin = format!("2000000000{i:02}");
        f.accounts.push(member_account(&uin, MGMT, i != 5));
        let name = if i == 8 {
            "team-07".to_owned()
        } else {
            format!("team-{i:02}")
        };
        let mut m = member(
            &uin,
            &name,
            (1000 + (i % 3) as i64, ["ads", "web", "ml"][i % 3]),
        );
        if i == 3 {
            m.null_fields = vec!["Remark".into(), "PayName".into(), "Tags".into()];
        }
        main.members.push(m);
    }
    f.settings.organizations.push(main);
    for (uin, faults, members) in [
        (
            LOCKED,
            OrgFaults {
                persistent_error: Some("UnauthorizedOperation".into()),
                ..OrgFaults::default()
            },
            2,
        ),
        (
            FLAKY,
            OrgFaults {
                first_n: 2,
                ..OrgFaults::default()
            },
            2,
        ),
        (
            GROWING,
            OrgFaults {
                join_between_pages: 3,
                ..OrgFaults::default()
            },
            10,
        ),
    ] {
        f.accounts.push(keyed(uin, &key_id(uin)));
        let mut org = Organization {
            name: format!("org-{uin}"),
            management_uin: uin.into(),
            members: vec![member(uin, "management", (0, "Root"))],
            faults,
        };
        for j in 1..members {
            let m = format!("3{}0000000{j:02}", &uin[11..]);
            f.accounts.push(member_account(&m, uin, true));
            org.members.push(member(&m, &format!("m-{j}"), (7, "dept")));
        }
        f.settings.organizations.push(org);
    }
    f
}

async fn start(f: Fleet) -> SimHandle {
    tcss_sim::spawn(f, "127.0.0.1:0")
        .await
        .expect("simulator starts")
}

fn org_call(body: Value) -> Call {
    Call {
        action: Some(ACTION.into()),
        version: Some("2021-03-31".into()),
        region: None,
        scope_service: "organization".into(),
        body: body.to_string().into_bytes(),
        ..Call::tcss("ap-guangzhou")
    }
}

fn uins(items: &Value) -> Vec<u64> {
    items
        .as_array()
        .expect("Items is an array")
        .iter()
        .map(|m| m["MemberUin"].as_u64().expect("MemberUin is an integer"))
        .collect()
}

/// Every page of `limit` from the management account: (member UINs, Totals seen).
async fn list_all(sim: &SimHandle, id: &str, key: &str, limit: u64) -> (Vec<u64>, Vec<u64>) {
    let (mut all, mut totals) = (Vec::new(), Vec::new());
    let mut offset = 0;
    loop {
        let r = call(
            sim.addr(),
            &org_call(json!({"Offset": offset, "Limit": limit})),
            id,
            key,
        )
        .await;
        let resp = r.expect_ok();
        let page = uins(&resp["Items"]);
        assert!(page.len() as u64 <= limit);
        let total = resp["Total"].as_u64().expect("Total is an integer");
        totals.push(total);
        all.extend(page);
        offset += limit;
        if offset >= total {
            return (all, totals);
        }
    }
}

#[tokio::test]
async fn every_member_exactly_once_over_pages_of_1_7_and_50() {
    let mut f = fleet();
    // 23 pages of one in a row would be throttled at the real 20 per second.
    f.settings.organization_rate_limit = 1000;
    let expected: Vec<u64> = f.organizations()[0]
        .members
        .iter()
        .map(|m| m.uin.parse().expect("digits"))
        .collect();
    let sim = start(f).await;
    let mut calls = 0;
    for limit in [1, 7, 50] {
        let (listed, totals) = list_all(&sim, MGMT_ID, MGMT_KEY, limit).await;
        assert_eq!(listed, expected, "limit {limit}");
        assert!(totals.iter().all(|t| *t == MAIN_TOTAL as u64));
        calls += totals.len();
        // Past the end: empty Items, the right Total.
        let r = call(
            sim.addr(),
            &org_call(json!({"Offset": MAIN_TOTAL + 5, "Limit": limit})),
            MGMT_ID,
            MGMT_KEY,
        )
        .await
        .expect_ok();
        assert_eq!(r["Items"], json!([]));
        assert_eq!(r["Total"], MAIN_TOTAL);
        assert!(r["RequestId"].as_str().is_some_and(|s| !s.is_empty()));
        calls += 1;
    }
    assert_eq!(calls, 23 + 4 + 1 + 3);
    let s = sim.counters().snapshot();
    assert_eq!(s.count(MGMT, ACTION, "Success"), calls as u64);
    sim.shutdown().await;
}

#[tokio::test]
async fn limit_and_offset_rules() {
    let sim = start(fleet()).await;
    let a = sim.addr();
    for limit in [json!(0), json!(51), json!(-3)] {
        call(
            a,
            &org_call(json!({"Offset": 0, "Limit": limit})),
            MGMT_ID,
            MGMT_KEY,
        )
        .await
        .expect_code("InvalidParameterValue.LimitExceeded");
    }
    call(
        a,
        &org_call(json!({"Offset": -1, "Limit": 10})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_code("InvalidParameterValue");
    call(a, &org_call(json!({"Offset": "x"})), MGMT_ID, MGMT_KEY)
        .await
        .expect_code("InvalidParameter");
    // No Limit: 10 members; no Offset: from the start.
    let r = call(a, &org_call(json!({})), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    assert_eq!(uins(&r["Items"]).len(), 10);
    assert_eq!(uins(&r["Items"])[0], MGMT.parse::<u64>().expect("digits"));
    // The optional parameters are accepted; SearchKey, NodeId and Tags filter, Total follows.
    let r = call(
        a,
        &org_call(json!({"Offset": 0, "Limit": 50, "Lang": "en", "SearchKey": "team-07"})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_ok();
    assert_eq!(r["Total"], 2, "two members share the Name team-07");
    let r = call(
        a,
        &org_call(
            json!({"Limit": 50, "NodeId": 1001, "Tags": [{"TagKey": "env", "TagValue": "prod"}]}),
        ),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_ok();
    assert_eq!(r["Total"], 7);
    // GET with query parameters (strings) pages the same way.
    let mut get = org_call(json!({}));
    get.method = "GET".into();
    get.body = Vec::new();
    get.query = "Offset=21&Limit=7".into();
    let r = call(a, &get, MGMT_ID, MGMT_KEY).await.expect_ok();
    assert_eq!(uins(&r["Items"]).len(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn items_have_the_api_types_and_some_nulls() {
    let sim = start(fleet()).await;
    let r = call(
        sim.addr(),
        &org_call(json!({"Limit": 50})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_ok();
    let items = r["Items"].as_array().expect("array").clone();
    let m = &items[2];
    assert!(m["MemberUin"].is_u64());
    assert!(m["NodeId"].is_i64());
    assert_eq!(m["NodeName"], "ads");
    assert!(m["PayUin"].is_string());
    assert_eq!(m["PayUin"], MGMT);
    assert_eq!(m["PayName"], "corp-management");
    assert_eq!(m["Tags"], json!([{"TagKey": "env", "TagValue": "prod"}]));
    assert_eq!(m["OrgPermission"][0]["Id"], 1);
    assert!(m["OrgIdentity"].is_array());
    for field in [
        "Name",
        "MemberType",
        "OrgPolicyType",
        "OrgPolicyName",
        "Remark",
        "CreateTime",
        "BindStatus",
        "PermissionStatus",
        "IsAllowQuit",
    ] {
        assert!(m[field].is_string(), "{field}: {m}");
    }
    // Member 3 of the role members answers null Remark, PayName and Tags.
    let nulls = &items[2 + 3];
    assert!(nulls["Remark"].is_null() && nulls["PayName"].is_null() && nulls["Tags"].is_null());
    assert!(nulls.get("Remark").is_some(), "null, not absent");
    assert_eq!(items[0]["Name"], "corp-management");
    sim.shutdown().await;
}

#[tokio::test]
async fn only_the_management_account_may_list() {
    let sim = start(fleet()).await;
    let a = sim.addr();
    let page = json!({"Offset": 0, "Limit": 10});
    call(a, &org_call(page.clone()), KEYED_ID, KEYED_KEY)
        .await
        .expect_code("UnauthorizedOperation");
    call(a, &org_call(page.clone()), OUT_ID, OUT_KEY)
        .await
        .expect_code("ResourceNotFound.OrganizationNotExist");
    // Signed for another service: refused before anything else.
    let mut wrong = org_call(page);
    wrong.scope_service = "tcss".into();
    let r = call(a, &wrong, MGMT_ID, MGMT_KEY).await;
    r.expect_code("AuthFailure.SignatureFailure");
    let s = sim.counters().snapshot();
    assert_eq!(s.count(KEYED_MEMBER, ACTION, "UnauthorizedOperation"), 1);
    assert_eq!(
        s.count(OUTSIDER, ACTION, "ResourceNotFound.OrganizationNotExist"),
        1
    );
    assert_eq!(s.count(MGMT, ACTION, "AuthFailure.SignatureFailure"), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn listing_faults_first_n_and_persistent() {
    let sim = start(fleet()).await;
    let a = sim.addr();
    let page = org_call(json!({"Offset": 0, "Limit": 10}));
    let (flaky_id, flaky_key) = (key_id(FLAKY), format!("key-{FLAKY}"));
    for _ in 0..2 {
        call(a, &page, &flaky_id, &flaky_key)
            .await
            .expect_code("InternalError");
    }
    let r = call(a, &page, &flaky_id, &flaky_key).await.expect_ok();
    assert_eq!(r["Total"], 2);
    let (locked_id, locked_key) = (key_id(LOCKED), format!("key-{LOCKED}"));
    for _ in 0..3 {
        let r = call(a, &page, &locked_id, &locked_key).await;
        r.expect_code("UnauthorizedOperation");
        assert!(r.message().contains("DescribeOrganizationMembers"));
    }
    let s = sim.counters().snapshot();
    assert_eq!(s.count(FLAKY, ACTION, "InternalError"), 2);
    assert_eq!(s.count(FLAKY, ACTION, "Success"), 1);
    assert_eq!(s.count(LOCKED, ACTION, "UnauthorizedOperation"), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn members_join_between_pages() {
    let f = fleet();
    let org = f.organizations()[3].clone();
    let sim = start(f).await;
    let (id, key) = (key_id(GROWING), format!("key-{GROWING}"));
    let (listed, totals) = list_all(&sim, &id, &key, 4).await;
    // First page: 7 members; from the second on the 3 newcomers are there too.
    assert_eq!(totals, vec![7, 10, 10]);
    let expected: Vec<u64> = org
        .members
        .iter()
        .map(|m| m.uin.parse().expect("digits"))
        .collect();
    assert_eq!(listed, expected);
    // The newcomers are real accounts: they can be reached like any member.
    for m in &org.members[7..] {
        assert!(sim
            .fleet()
            .account(&m.uin)
            .is_some_and(|a| !a.roles.is_empty()));
    }
    // A second listing sees the whole organization from the first page.
    let (_, totals) = list_all(&sim, &id, &key, 50).await;
    assert_eq!(totals, vec![10]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_per_second_per_caller() {
    let sim = start(fleet()).await;
    let a = sim.addr();
    let host = a.to_string();
    // 40 pre-signed requests at once.
    let reqs: Vec<_> = (0..40)
        .map(|_| org_call(json!({"Offset": 0, "Limit": 1})).build(&host, MGMT_ID, MGMT_KEY))
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = reqs.into_iter().map(|r| tokio::spawn(send(a, r))).collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.expect("join").expect("answer").code());
    }
    let elapsed = started.elapsed();
    let ok = codes.iter().filter(|c| c.is_none()).count();
    let limited = codes
        .iter()
        .filter(|c| c.as_deref() == Some("RequestLimitExceeded"))
        .count();
    assert_eq!(ok + limited, 40, "{codes:?}");
    if elapsed < Duration::from_millis(1000) {
        assert_eq!((ok, limited), (20, 20));
    } else {
        assert!(
            ok >= 20 && limited >= 1,
            "slow machine: {ok} ok in {elapsed:?}"
        );
    }
    // Another caller has its own window.
    call(
        a,
        &org_call(json!({})),
        &key_id(FLAKY),
        &format!("key-{FLAKY}"),
    )
    .await
    .expect_code("InternalError");
    let s = sim.counters().snapshot();
    assert_eq!(
        s.count(MGMT, ACTION, "RequestLimitExceeded"),
        limited as u64
    );
    assert_eq!(s.count(MGMT, ACTION, "Success"), ok as u64);
    sim.shutdown().await;
}

/// `total_extra`: `Total` claims more members than the pages hold (empty
/// past the last one); `repeat_first_page`: every `Offset` answers the
/// first page.
#[tokio::test]
async fn a_lying_total_and_a_repeated_page() {
    let page = |offset: u64| org_call(json!({"Offset": offset, "Limit": 2}));
    let mut f = fleet();
    f.settings.organizations[3].faults = OrgFaults {
        total_extra: 1_000_000,
        ..OrgFaults::default()
    };
    let sim = start(f).await;
    let (id, key) = (key_id(GROWING), format!("key-{GROWING}"));
    let r = call(sim.addr(), &page(0), &id, &key).await.expect_ok();
    assert_eq!(r["Total"], 1_000_010u64);
    assert_eq!(uins(&r["Items"]).len(), 2);
    let r = call(sim.addr(), &page(10), &id, &key).await.expect_ok();
    assert_eq!(r["Items"], json!([]), "past the last member");
    assert_eq!(r["Total"], 1_000_010u64);
    sim.shutdown().await;

    let mut f = fleet();
    f.settings.organizations[3].faults = OrgFaults {
        repeat_first_page: true,
        ..OrgFaults::default()
    };
    let sim = start(f).await;
    let first = call(sim.addr(), &page(0), &id, &key).await.expect_ok();
    let later = call(sim.addr(), &page(6), &id, &key).await.expect_ok();
    assert_eq!(uins(&first["Items"]), uins(&later["Items"]));
    assert_eq!(later["Total"], 10);
    sim.shutdown().await;
}
