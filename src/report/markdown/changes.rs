//! The "Changes since `<date>`" section (with `--compare` only): how many
//! accounts were matched, changed, new and vanished; the totals then and
//! now (every count of the totals table, `Compared::totals`); then four
//! tables, each capped at [`MAX_TABLE_ROWS`] rows with "… and K more": the
//! licenses bought or released (accounts whose `total_authorized` changed,
//! biggest change first, `Compared::license_changes`: apart from the usage
//! movers, so a purchase is never lost behind them), the top movers
//! (biggest change of licenses used first, see `Compared::movers`), the
//! new accounts and the vanished ones. The utilization difference is in
//! percentage points. With nothing to compare with, a "Changes" section
//! holding the note.

use std::io::{self, Write};

use super::{cell, code, more, opt, value, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_TABLE_ROWS};
use crate::aggregate::AccountRow;
use crate::columns::accounts;
use crate::columns::{Cell, Column};
use crate::compare::{Compared, Comparison};
use crate::report::changes::previous_date;
use crate::report::Report;

/// Writes the section (nothing without `--compare`).
pub(super) fn section<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    match &report.comparison {
        Comparison::NotAsked => Ok(()),
        Comparison::NoPrevious(note) => writeln!(
            w,
            "## Changes\n\nNo earlier run to compare with: {}.\n",
            cell(note, MAX_MESSAGE_CHARS)
        ),
        Comparison::With(c) => {
            let movers = c.movers();
            let new = c.new_accounts();
            writeln!(w, "## Changes since {}\n", previous_date(c))?;
            writeln!(
                w,
                "Compared with run `{}` (accounts matched by UIN): {} matched, {} changed, {} new, {} vanished.\n",
                code(&c.previous_run),
                c.changes.len() - new.len(),
                movers.len(),
                new.len(),
                c.vanished.len(),
            )?;
            totals(c, w)?;
            license_changes(report, c, w)?;
            top_movers(report, c, &movers, w)?;
            new_accounts(report, &new, w)?;
            vanished(c, w)
        }
    }
}

/// A difference with its sign; a ratio's in percentage points.
fn signed(d: &Cell<'_>) -> String {
    match d {
        Cell::Int(n) if *n >= 0 => format!("+{}", crate::columns::thousands(*n)),
        Cell::Int(n) => crate::columns::thousands(*n),
        Cell::Num(points) => format!("{points:+.1} pp"),
        _ => "n/a".to_string(),
    }
}

/// The totals then and now: every count of the totals table.
fn totals<W: Write>(c: &Compared, w: &mut W) -> io::Result<()> {
    writeln!(w, "### Totals\n")?;
    writeln!(w, "| Total | Then | Now | Change |\n|---|---:|---:|---:|")?;
    for t in &c.totals {
        writeln!(
            w,
            "| {} | {} | {} | {} |",
            t.column.label(),
            value(&t.previous),
            value(&t.current),
            signed(&t.change),
        )?;
    }
    writeln!(w)
}

/// The accounts whose licenses changed (bought or released), apart from
/// the usage movers.
fn license_changes<W: Write>(report: &Report, c: &Compared, w: &mut W) -> io::Result<()> {
    let changed = c.license_changes();
    writeln!(w, "### Licenses bought or released ({})\n", changed.len())?;
    if changed.is_empty() {
        return writeln!(w, "No account's licenses changed.\n");
    }
    writeln!(
        w,
        "| Account | UIN | Licenses (then → now) | Change |\n|---|---|---:|---:|"
    )?;
    let total = &accounts::TOTAL_AUTHORIZED;
    for &i in changed.iter().take(MAX_TABLE_ROWS) {
        let a = &report.aggregate.accounts[i];
        let before = c.previous[i]
            .as_ref()
            .map_or(Cell::Empty, |p| p.values.get(total));
        let change = c.changes[i]
            .as_ref()
            .map_or(Cell::Empty, |ch| ch.values.get(total));
        writeln!(
            w,
            "| {} | {} | {} → {} | {} |",
            cell(&a.account, MAX_NAME_CHARS),
            opt(a.uin.as_deref(), MAX_NAME_CHARS),
            value(&before),
            value(&total.cell(a)),
            signed(&change),
        )?;
    }
    more(w, changed.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

/// The differences of the top movers table, with their headers.
static MOVES: [(&Column<AccountRow>, &str); 7] = [
    (&accounts::USED_AUTHORIZED, "Δ Used"),
    (&accounts::TOTAL_AUTHORIZED, "Δ Total"),
    (&accounts::REMAINING_AUTHORIZED, "Δ Remaining"),
    (&accounts::UTILIZATION, "Δ Utilization"),
    (&accounts::SCANNED_IMAGES, "Δ Scanned"),
    (&accounts::DUPLICATE_IMAGES, "Δ Duplicates"),
    (&accounts::SCAN_QUOTA_USED, "Δ Scan quota used"),
];

fn top_movers<W: Write>(
    report: &Report,
    c: &Compared,
    movers: &[usize],
    w: &mut W,
) -> io::Result<()> {
    writeln!(w, "### Top movers\n")?;
    if movers.is_empty() {
        return writeln!(w, "No account changed.\n");
    }
    write!(w, "| Account | UIN | Used (then → now) |")?;
    for (_, header) in MOVES {
        write!(w, " {header} |")?;
    }
    writeln!(w, "\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    let used = &accounts::USED_AUTHORIZED;
    for &i in movers.iter().take(MAX_TABLE_ROWS) {
        let (a, ch) = (&report.aggregate.accounts[i], c.changes[i].as_ref());
        let before = c.previous[i]
            .as_ref()
            .map_or(Cell::Empty, |p| p.values.get(used));
        let ch = ch.cloned().unwrap_or_default();
        write!(
            w,
            "| {} | {} | {} → {} |",
            cell(&a.account, MAX_NAME_CHARS),
            opt(a.uin.as_deref(), MAX_NAME_CHARS),
            value(&before),
            value(&used.cell(a)),
        )?;
        for (column, _) in MOVES {
            write!(w, " {} |", signed(&ch.shown(column)))?;
        }
        writeln!(w)?;
    }
    more(w, movers.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

/// The values of the new and vanished accounts tables, after the status.
static SHOWN: [&Column<AccountRow>; 3] = [
    &accounts::USED_AUTHORIZED,
    &accounts::TOTAL_AUTHORIZED,
    &accounts::UTILIZATION,
];

fn new_accounts<W: Write>(report: &Report, new: &[usize], w: &mut W) -> io::Result<()> {
    writeln!(w, "### New accounts ({})\n", new.len())?;
    if new.is_empty() {
        return writeln!(w, "None.\n");
    }
    writeln!(
        w,
        "| Account | UIN | Status | Used | Total | Utilization |\n|---|---|---|---:|---:|---:|"
    )?;
    for &i in new.iter().take(MAX_TABLE_ROWS) {
        let a = &report.aggregate.accounts[i];
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&a.account, MAX_NAME_CHARS),
            opt(a.uin.as_deref(), MAX_NAME_CHARS),
            a.status.as_str(),
            value(&SHOWN[0].cell(a)),
            value(&SHOWN[1].cell(a)),
            value(&SHOWN[2].cell(a)),
        )?;
    }
    more(w, new.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

fn vanished<W: Write>(c: &Compared, w: &mut W) -> io::Result<()> {
    writeln!(w, "### Vanished accounts ({})\n", c.vanished.len())?;
    if c.vanished.is_empty() {
        return writeln!(w, "None.\n");
    }
    writeln!(
        w,
        "| Account | UIN | Status then | Used then | Total then | Utilization then |\n|---|---|---|---:|---:|---:|"
    )?;
    for p in c.vanished.iter().take(MAX_TABLE_ROWS) {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&p.account, MAX_NAME_CHARS),
            opt(p.uin.as_deref(), MAX_NAME_CHARS),
            cell(&p.status, MAX_NAME_CHARS),
            value(&p.values.get(SHOWN[0])),
            value(&p.values.get(SHOWN[1])),
            value(&p.values.get(SHOWN[2])),
        )?;
    }
    more(w, c.vanished.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

#[cfg(test)]
mod tests;
