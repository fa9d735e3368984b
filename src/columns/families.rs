//! The Prometheus metric families the tables' columns become (their
//! [`Sample`](super::Sample)s name them), and the order `report::prom`
//! writes them in. Names and help are the metrics contract
//! (`docs/monitoring.md`); the run's own families (timestamps, success,
//! organizations, breaches, ...) are `report::prom`'s.

/// One metric family: a gauge, its name and help.
#[derive(Debug)]
pub(crate) struct Family {
    /// The metric name.
    pub(crate) name: &'static str,
    /// Its `# HELP` text.
    pub(crate) help: &'static str,
}

/// `tcss_image_licenses{account, uin, kind}`.
pub(crate) static LICENSES: Family = Family {
    name: "tcss_image_licenses",
    help: "Image-scan licenses of the account, by kind (total, used, trial, used_trial, purchased, used_purchased).",
};
/// `tcss_image_license_utilization_ratio{account, uin}`.
pub(crate) static UTILIZATION: Family = Family {
    name: "tcss_image_license_utilization_ratio",
    help: "Licenses used over licenses total (0..1, above 1 when over-used).",
};
/// `tcss_images{account, uin, state}`.
pub(crate) static IMAGES: Family = Family {
    name: "tcss_images",
    help: "Images of the account, by state (scanned, not_scanned, not_scanned_local, duplicate).",
};
/// `tcss_image_scan_coverage_ratio{account, uin}`.
pub(crate) static COVERAGE: Family = Family {
    name: "tcss_image_scan_coverage_ratio",
    help: "Scanned images over all images (0..1).",
};
/// `tcss_scan_quota{account, uin, kind}`.
pub(crate) static QUOTA: Family = Family {
    name: "tcss_scan_quota",
    help: "The account's image scan quota, by kind (capacity, used).",
};
/// `tcss_scan_quota_utilization_ratio{account, uin}`.
pub(crate) static QUOTA_RATIO: Family = Family {
    name: "tcss_scan_quota_utilization_ratio",
    help: "Scan quota used over its capacity (0..1).",
};
/// `tcss_scan_quota_end_timestamp_seconds{account, uin}`.
pub(crate) static QUOTA_END: Family = Family {
    name: "tcss_scan_quota_end_timestamp_seconds",
    help: "When the account's scan quota ends, Unix time.",
};
/// `tcss_core_licenses{account, uin, kind}`.
pub(crate) static CORES: Family = Family {
    name: "tcss_core_licenses",
    help: "Cores of the account under the Pro edition, by kind (total, protected, unprotected, purchased, trial, flexible).",
};
/// `tcss_edition_end_timestamp_seconds{account, uin}`.
pub(crate) static EDITION_END: Family = Family {
    name: "tcss_edition_end_timestamp_seconds",
    help: "When the account's Pro edition (or its trial) ends, Unix time.",
};
/// `tcss_account_up{account, uin}`.
pub(crate) static UP: Family = Family {
    name: "tcss_account_up",
    help: "1 when some or all of the account's regions answered (ok or partial), 0 when none did (error).",
};

/// `tcss_total_image_licenses{kind}`.
pub(crate) static TOTAL_LICENSES: Family = Family {
    name: "tcss_total_image_licenses",
    help: "Image-scan licenses of every account that answered, by kind (the accounts' kinds summed; short: used beyond total, idle: total not used).",
};
/// `tcss_total_over_licensed_accounts`.
pub(crate) static TOTAL_OVER_LICENSED: Family = Family {
    name: "tcss_total_over_licensed_accounts",
    help: "Accounts that use more image licenses than they hold (used above total), of every account that answered.",
};
/// `tcss_total_image_license_utilization_ratio`.
pub(crate) static TOTAL_UTILIZATION: Family = Family {
    name: "tcss_total_image_license_utilization_ratio",
    help: "Licenses used over licenses total, over every account that answered (weighted).",
};
/// `tcss_total_images{state}`.
pub(crate) static TOTAL_IMAGES: Family = Family {
    name: "tcss_total_images",
    help: "Images of every account that answered, by state.",
};
/// `tcss_total_image_scan_coverage_ratio`.
pub(crate) static TOTAL_COVERAGE: Family = Family {
    name: "tcss_total_image_scan_coverage_ratio",
    help: "Scanned images over all images, over every account that answered (weighted).",
};
/// `tcss_total_scan_quota{kind}`.
pub(crate) static TOTAL_QUOTA: Family = Family {
    name: "tcss_total_scan_quota",
    help: "Scan quota of every account that answered, by kind (capacity, used).",
};
/// `tcss_total_scan_quota_utilization_ratio`.
pub(crate) static TOTAL_QUOTA_RATIO: Family = Family {
    name: "tcss_total_scan_quota_utilization_ratio",
    help: "Scan quota used over capacity, over every account that answered (weighted).",
};

/// `tcss_total_core_licenses{kind}`.
pub(crate) static TOTAL_CORES: Family = Family {
    name: "tcss_total_core_licenses",
    help:
        "Cores of every account that answered, by kind (total, protected, unprotected, purchased).",
};

/// `tcss_report_accounts{status}`.
pub(crate) static REPORT_ACCOUNTS: Family = Family {
    name: "tcss_report_accounts",
    help: "Accounts of the run, by status (ok, partial, error).",
};
/// `tcss_report_queries{status}`.
pub(crate) static REPORT_QUERIES: Family = Family {
    name: "tcss_report_queries",
    help: "Queries (one per account and region) of the run, by status (ok, failed, cancelled).",
};

/// The per-account families, in the order written.
pub(crate) static PER_ACCOUNT: [&Family; 10] = [
    &LICENSES,
    &UTILIZATION,
    &IMAGES,
    &COVERAGE,
    &QUOTA,
    &QUOTA_RATIO,
    &QUOTA_END,
    &CORES,
    &EDITION_END,
    &UP,
];

/// The families of the run's totals, in the order written.
pub(crate) static TOTALS: [&Family; 8] = [
    &TOTAL_LICENSES,
    &TOTAL_OVER_LICENSED,
    &TOTAL_UTILIZATION,
    &TOTAL_IMAGES,
    &TOTAL_COVERAGE,
    &TOTAL_QUOTA,
    &TOTAL_QUOTA_RATIO,
    &TOTAL_CORES,
];

/// The run's counts by status, in the order written (after the run's
/// timestamps and flags).
pub(crate) static RUN_COUNTS: [&Family; 2] = [&REPORT_ACCOUNTS, &REPORT_QUERIES];

/// `tcss_group_image_licenses{group_by, group, kind}`.
pub(crate) static GROUP_LICENSES: Family = Family {
    name: "tcss_group_image_licenses",
    help: "Image-scan licenses of a chargeback group (the accounts whose tag group_by is group; group empty: those without the tag), by kind (total, used; short: used beyond total, idle: total not used, each summed over the group's accounts).",
};

/// Each per-account or totals family that has a per-group one
/// (`--group-by`), and that family: a group column of a column sampled in
/// the first is sampled in the second, with the same label (the licenses
/// `total` and `used` of the accounts', `short` and `idle` of the totals').
static GROUPED: [(&Family, &Family); 2] = [
    (&LICENSES, &GROUP_LICENSES),
    (&TOTAL_LICENSES, &GROUP_LICENSES),
];

/// The per-group family of the per-account or totals `family`, if it has
/// one.
pub(crate) fn grouped(family: &Family) -> Option<&'static Family> {
    GROUPED
        .iter()
        .find(|(f, _)| std::ptr::eq(*f, family))
        .map(|(_, g)| *g)
}

/// The per-group families, in the order written (after the totals').
pub(crate) static PER_GROUP: [&Family; 1] = [&GROUP_LICENSES];
