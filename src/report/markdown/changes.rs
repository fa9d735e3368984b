//! The "Changes since `<date>`" section (with `--compare` only): how many
//! accounts were matched, changed, new and vanished, then three tables,
//! each capped at [`MAX_TABLE_ROWS`] rows with "… and K more": the top
//! movers (biggest change of licenses used first, see
//! `Compared::movers`), the new accounts and the vanished ones. The
//! utilization difference is in percentage points. With nothing to compare
//! with, a "Changes" section holding the note.

use std::io::{self, Write};

use super::{cell, code, more, num, opt, pct, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_TABLE_ROWS};
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
            top_movers(report, c, &movers, w)?;
            new_accounts(report, &new, w)?;
            vanished(c, w)
        }
    }
}

fn signed(n: Option<i64>) -> String {
    n.map_or_else(|| "n/a".to_string(), |n| format!("{n:+}"))
}

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
    writeln!(
        w,
        "| Account | UIN | Used (then → now) | Δ Used | Δ Total | Δ Remaining | Δ Utilization | Δ Scanned | Δ Duplicates | Δ Scan quota used |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for &i in movers.iter().take(MAX_TABLE_ROWS) {
        let (a, ch) = (&report.aggregate.accounts[i], c.changes[i].as_ref());
        let before = c.previous[i].as_ref().and_then(|p| p.used_authorized);
        let ch = ch.cloned().unwrap_or_default();
        writeln!(
            w,
            "| {} | {} | {} → {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&a.account, MAX_NAME_CHARS),
            opt(a.uin.as_deref(), MAX_NAME_CHARS),
            num(before),
            num(a.used_authorized),
            signed(ch.used_authorized),
            signed(ch.total_authorized),
            signed(ch.remaining_authorized),
            ch.utilization_points()
                .map_or_else(|| "n/a".to_string(), |p| format!("{p:+.1} pp")),
            signed(ch.scanned_images),
            signed(ch.duplicate_images),
            signed(ch.scan_quota_used),
        )?;
    }
    more(w, movers.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

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
            num(a.used_authorized),
            num(a.total_authorized),
            pct(a.utilization),
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
            num(p.used_authorized),
            num(p.total_authorized),
            pct(p.utilization),
        )?;
    }
    more(w, c.vanished.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

#[cfg(test)]
mod tests;
