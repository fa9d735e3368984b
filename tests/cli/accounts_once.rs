//! Every account counted once, and over-use always seen (issue 18): an
//! explicit UIN written twice is refused before any call; accounts that turn
//! out to share a UIN (two key pairs of one account) are counted once and
//! flagged; `--simulate` with shared keys runs; an account with 0 licenses
//! and 5 used breaches `remaining_authorized < 0`; a sum too large for the
//! reports is left empty and flagged, never shown capped.

use serde_json::json;
use tcss_sim::{Fleet, KeyPair};

use crate::harness::*;

const TCSS: &str = "DescribeImageAuthorizedInfo";

#[test]
fn an_explicit_uin_written_twice_exits_2_at_validate_and_run_naming_both_places() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "m1", MGMT_UIN, data(10, 1, 1, 1)),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n\
         [[accounts]]\nname = \"m1\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"m1-again\"\nuin = \"200000000001\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config("", &accounts);
    for cmd in ["validate", "run"] {
        let mut c = bin();
        c.arg(cmd).arg("--config").arg(&cfg).envs(MGMT_ENV);
        if cmd == "run" {
            c.arg("--out").arg(h.out());
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(
                "accounts.toml:17:7: account `m1-again`: UIN 200000000001 is also the UIN of \
                 account `m1`"
            ),
            "{cmd}: {e}"
        );
        assert!(
            e.contains("(") && e.contains("accounts.toml:13:12)"),
            "{cmd}: {e}"
        );
    }
    assert_eq!(h.snapshot().total, 0, "no request");
    assert!(!h.out().exists(), "no report");
}
