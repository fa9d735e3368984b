//! The license picture on the page (issue 21): the key figures of the
//! unprotected cores and the lapsing editions (cards), and the section of
//! the Pro editions: the accounts by edition, the editions ending within
//! [`EXPIRY_WINDOW_DAYS`] days (auto-renewing or not, the lapsing ones
//! marked), and, apart, those already ended, each said in words as
//! `docs/reports.md` explains the states. The columns are taken by their
//! handles (`crate::columns::license`), the rows and counts are the
//! aggregate's (`lapsing_editions`, `editions_ending`, `editions_ended`,
//! `accounts_by_edition`, `unprotected_cores`).

use tcapi::tcss::{AutoRenewal, EditionState};

use crate::aggregate::AccountRow;
use crate::columns::accounts::{ACCOUNT, UIN};
use crate::columns::license::{
    edition_word, AUTO_RENEW, CORES_UNPROTECTED, CORE_COVERAGE, EDITION, EDITIONS_LAPSING_30D,
    EDITION_DAYS_LEFT, EDITION_END, EDITION_SUB_STATE, LAPSING_DAYS,
};
use crate::columns::totals::Totals;
use crate::columns::{Cell, Column};
use crate::report::Report;

use super::accounts::{Card, ENDED_SHOWN, EXPIRY_WINDOW_DAYS};
use super::text::{self, MAX_NAME_CHARS};
use super::{heads, shown, Shown, Table, MAX_TABLE_ROWS};

/// The cards of the license picture: the unprotected cores (amber when
/// any) and the editions lapsing within 30 days (red when any); none when
/// the run knows neither.
pub fn cards(report: &Report) -> Vec<Card> {
    let a = &report.aggregate;
    let t = &a.totals;
    let mut cards = Vec::new();
    if let Some(n) = t.of(&CORES_UNPROTECTED).as_int() {
        let accounts = a.unprotected_cores().len();
        cards.push(Card {
            label: "Unprotected cores",
            value: text::count(n),
            note: format!(
                "in {} account{} · core coverage {}",
                text::count(accounts as i64),
                if accounts == 1 { "" } else { "s" },
                text::cell(&t.of(&CORE_COVERAGE), MAX_NAME_CHARS)
            ),
            class: if n > 0 { "warn" } else { "" },
        });
    }
    if let Some(n) = t.editions.lapsing_30d {
        cards.push(lapsing_card(t, n));
    }
    cards
}

/// The card of the editions lapsing within [`LAPSING_DAYS`] days.
fn lapsing_card(t: &Totals, n: usize) -> Card {
    let expired = t.editions.pro_expired.unwrap_or(0);
    Card {
        label: "Lapsing editions",
        value: text::cell(&EDITIONS_LAPSING_30D.cell(t), MAX_NAME_CHARS),
        note: format!(
            "within {LAPSING_DAYS} days, no auto-renewal · {} Pro expired",
            text::count(expired as i64)
        ),
        class: if n > 0 { "neg" } else { "" },
    }
}

/// The section: the accounts by edition, the editions ending soon and
/// those already ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Editions {
    pub days: i64,
    /// Edition, accounts, what it means.
    pub by_edition: Table,
    /// The editions ending within `days` (`None`: none does).
    pub ending: Option<Table>,
    /// How many of them lapse for want of renewal.
    pub lapsing: usize,
    /// The editions already ended, the most recently first, the first
    /// [`ENDED_SHOWN`]; `None` when none has.
    pub ended: Option<Table>,
}

/// The days an edition can still be used after its end (Tencent Cloud's
/// billing: then it is isolated).
const GRACE_DAYS: i64 = 5;

/// What an edition's state means, in words (`docs/reports.md`, "What the
/// states mean for money").
fn meaning(state: EditionState) -> &'static str {
    match state {
        EditionState::TrialAvailable => "no Pro edition; the free trial is not used yet",
        EditionState::PurchaseOnly => "no Pro edition; the trial is used, only a purchase is left",
        EditionState::Trial => "on the Pro trial",
        EditionState::Pro => "Pro edition in effect",
        EditionState::ProExpired => "Pro expired: protection has stopped",
        EditionState::Other(_) => "a state no documentation names",
    }
}

/// The accounts on each edition.
fn by_edition(report: &Report) -> Table {
    let counts = report.aggregate.accounts_by_edition();
    let rows: Vec<Vec<Shown>> = counts
        .iter()
        .map(|&(state, n)| {
            vec![
                Shown::text(edition_word(state).into_owned()),
                Shown::cell(&Cell::count(n), MAX_NAME_CHARS),
                Shown::text(meaning(state).into()),
            ]
        })
        .collect();
    let total = rows.len();
    Table::new(
        &[("Edition", false), ("Accounts", true), ("Meaning", false)],
        rows,
        total,
    )
}

/// The columns of the editions' tables (then what happens, in words).
static ENDING_COLUMNS: [&Column<AccountRow>; 6] = [
    &ACCOUNT,
    &UIN,
    &EDITION,
    &EDITION_END,
    &EDITION_DAYS_LEFT,
    &AUTO_RENEW,
];

/// Whether `a`'s edition renews by itself.
fn renews(a: &AccountRow) -> bool {
    a.license.auto_renew == Some(AutoRenewal::On)
}

/// What happens to an edition ending soon: it renews, or it lapses
/// unless someone renews it (a trial: unless Pro is bought), marked by
/// [`section`].
fn ending_row(a: &AccountRow) -> Vec<Shown> {
    let mut row = shown(a, &ENDING_COLUMNS, MAX_NAME_CHARS);
    let what = match (renews(a), a.license.edition) {
        (true, _) => "renews automatically",
        (false, Some(EditionState::Trial)) => {
            "the trial ends unless Pro is bought (no auto-renewal)"
        }
        (false, _) => "lapses unless renewed (no auto-renewal)",
    };
    row.push(Shown::text(what.into()));
    row
}

/// An ended edition's state, in words: isolated, destroyed, expired, or
/// past its end (in the grace period).
fn ended_words(a: &AccountRow) -> String {
    let l = &a.license;
    let sub = l.edition_sub_state.as_deref().unwrap_or_default();
    let in_grace = l.edition_days_left.is_some_and(|d| d >= -GRACE_DAYS);
    let words = match (l.edition, sub.to_ascii_uppercase().as_str()) {
        (_, "ISOLATE") => "isolated: service stopped, data kept; renewing restores it",
        (_, "DESTROED" | "DESTROYED") => "destroyed: a new purchase is needed",
        (Some(EditionState::ProExpired), _) => {
            "expired: protection stopped; isolated after the grace period"
        }
        _ if in_grace => "ended: in the 5-day grace period, isolated unless renewed",
        _ => "ended, past the 5-day grace period",
    };
    words.into()
}

/// The columns of the ended editions' table (then their state in words).
static ENDED_COLUMNS: [&Column<AccountRow>; 6] = [
    &ACCOUNT,
    &UIN,
    &EDITION,
    &EDITION_SUB_STATE,
    &EDITION_END,
    &EDITION_DAYS_LEFT,
];

/// An ended edition's row, its state in words last.
fn ended_row(a: &AccountRow) -> Vec<Shown> {
    let mut row = shown(a, &ENDED_COLUMNS, MAX_NAME_CHARS);
    row.push(Shown::text(ended_words(a)));
    row
}

/// The section (no account's edition known: none).
pub fn section(report: &Report) -> Option<Editions> {
    let a = &report.aggregate;
    if a.accounts_by_edition().is_empty() {
        return None;
    }
    let table = |rows: &[&AccountRow],
                 cap: usize,
                 columns: &[&Column<AccountRow>],
                 row: fn(&AccountRow) -> Vec<Shown>,
                 last: &'static str| {
        let mut body: Vec<Vec<Shown>> = rows.iter().take(cap).map(|r| row(r)).collect();
        // The edition's words and its end are one word each, never cut
        // across lines (the words in the last column wrap instead).
        for r in &mut body {
            for (cell, c) in r.iter_mut().zip(columns) {
                if [EDITION.key, EDITION_END.key, EDITION_SUB_STATE.key].contains(&c.key) {
                    cell.class = "id";
                }
            }
        }
        let mut head = heads(columns);
        head.push((last, false));
        (!body.is_empty()).then(|| Table::new(&head, body, rows.len()))
    };
    let ending = a.editions_ending(EXPIRY_WINDOW_DAYS);
    let mut ending_table = table(
        &ending,
        MAX_TABLE_ROWS,
        &ENDING_COLUMNS,
        ending_row,
        "What happens",
    );
    // The lapsing ones marked: their days left and what happens in red.
    let days_at = ENDING_COLUMNS
        .iter()
        .position(|c| c.key == EDITION_DAYS_LEFT.key)
        .unwrap_or_default();
    if let Some(t) = ending_table.as_mut() {
        for (row, r) in t.rows.iter_mut().zip(&ending) {
            if !renews(r) {
                row[days_at].class = "num neg";
                if let Some(last) = row.last_mut() {
                    last.class = "neg";
                }
            }
        }
    }
    let ended = a.editions_ended();
    let mut ended_table = table(&ended, ENDED_SHOWN, &ENDED_COLUMNS, ended_row, "State");
    if let Some(t) = ended_table.as_mut() {
        for row in &mut t.rows {
            if let Some(last) = row.last_mut() {
                last.class = "neg";
            }
        }
    }
    Some(Editions {
        days: EXPIRY_WINDOW_DAYS,
        by_edition: by_edition(report),
        lapsing: ending.iter().filter(|r| !renews(r)).count(),
        ending: ending_table,
        ended: ended_table,
    })
}
