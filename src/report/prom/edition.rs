//! The two families of an account's edition that are not a column's
//! number: `tcss_edition_auto_renew` (1 when `auto_renew` is `on`, else 0)
//! and `tcss_edition_info` (always 1, the edition and its renewal as
//! labels), read from the columns' words by their handles. An empty value
//! is no sample.

use super::{Family, Value};
use crate::aggregate::AccountRow;
use crate::columns::license::{AUTO_RENEW, EDITION};

/// `tcss_edition_auto_renew{account, uin}`.
const AUTO_RENEW_NAME: &str = "tcss_edition_auto_renew";
/// `tcss_edition_info{account, uin, edition, auto_renew}`.
const INFO_NAME: &str = "tcss_edition_info";

/// The edition families of `accounts`, in the order written.
pub(super) fn families(accounts: &[AccountRow]) -> [Family; 2] {
    let mut renew = Family::new(
        AUTO_RENEW_NAME,
        "1 when the account's Pro edition renews automatically (AutomaticRenewal 1), 0 otherwise.",
    );
    let mut info = Family::new(
        INFO_NAME,
        "Always 1; the account's edition (trial_available, purchase_only, trial, pro, pro_expired, unknown:<n>) and auto_renew (unset, on, off, unknown:<n>, empty when unknown) as labels.",
    );
    for a in accounts {
        let id = || {
            vec![
                ("account", a.account.clone()),
                ("uin", a.uin.clone().unwrap_or_default()),
            ]
        };
        let renewal = AUTO_RENEW.cell(a);
        let renewal = renewal.as_text();
        renew.push(id(), renewal.map(|r| Value::Int(i64::from(r == "on"))));
        if let Some(edition) = EDITION.cell(a).as_text() {
            let mut labels = id();
            labels.push(("edition", edition.to_string()));
            labels.push(("auto_renew", renewal.unwrap_or_default().to_string()));
            info.push(labels, Some(Value::Int(1)));
        }
    }
    [renew, info]
}
