//! How every sheet prints, so that no printed text is smaller than 8 pt
//! (the body font is 11 pt: no sheet prints below 75%):
//!
//! - A4 landscape, narrow margins, a footer on every page: the file stem on
//!   the left, the sheet's name in the middle, `Page N of M` on the right;
//! - a table sheet repeats its header row on every page. One whose printed
//!   columns fit one page wide at [`MIN_FIT_SCALE`] or more prints one page
//!   wide ([`Print::fit`]; the Accounts sheet prints the columns finance
//!   reads, see `PRINTED_ACCOUNTS`); a wider one prints at [`WIDE_SCALE`]
//!   over as many pages across as it needs, its first column (the account)
//!   repeated on each, pages across before pages down;
//! - the Summary and Run sheets print one page wide.
//!
//! Widths are estimated as Excel lays them out in Calibri 11 (7 pixels per
//! character plus 5), which is also what decides whether a table fits.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::as_col;

/// A4 in Excel's paper codes.
const A4: u8 = 9;

/// The print scale of a table too wide for one page (11 pt prints at 9.35 pt).
pub(crate) const WIDE_SCALE: u16 = 85;

/// The smallest scale at which a table is fitted to one page wide.
pub(crate) const MIN_FIT_SCALE: f64 = 0.85;

/// Side margins, inches.
const SIDE_MARGIN: f64 = 0.3;

/// The printable width of an A4 landscape page at 100%, in pixels (96 per
/// inch): 11.69 in less the side margins.
const PAGE_WIDTH_PX: f64 = (11.69 - 2.0 * SIDE_MARGIN) * 96.0;

/// The rows (15 pt each) an A4 landscape page holds at 80%: a sheet
/// this long prints on one page with its text at 8.8 pt or more.
pub(crate) const ONE_PAGE_ROWS: u32 = 44;

/// A column `width` characters wide, in pixels as Excel lays it out.
pub(crate) fn pixels(width: f64) -> f64 {
    (width * 7.0 + 5.0).trunc()
}

/// Whether columns of these widths fit one page wide at [`MIN_FIT_SCALE`].
pub(crate) fn fits_one_page(widths: &[f64]) -> bool {
    widths.iter().map(|w| pixels(*w)).sum::<f64>() * MIN_FIT_SCALE <= PAGE_WIDTH_PX
}

/// How a sheet prints.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Print {
    /// One page wide, as many high as needed (a sheet that fits).
    Fit,
    /// At [`WIDE_SCALE`], the first column repeated on every page across.
    Wide,
}

impl Print {
    /// How a table whose printed columns have these widths prints.
    pub(crate) fn fit(widths: &[f64]) -> Print {
        if fits_one_page(widths) {
            Print::Fit
        } else {
            Print::Wide
        }
    }
}

/// The footer: the stem, the sheet, the page (`&` doubled: the footer's
/// escape character).
fn footer(stem: &str) -> String {
    let stem: String = stem.replace('&', "&&").chars().take(120).collect();
    format!("&L{stem}&C&A&RPage &P of &N")
}

/// The settings every sheet shares.
fn page(ws: &mut Worksheet, stem: &str) {
    ws.set_landscape();
    ws.set_paper_size(A4);
    ws.set_margins(SIDE_MARGIN, SIDE_MARGIN, 0.5, 0.6, 0.3, 0.3);
    ws.set_footer(footer(stem));
}

/// A sheet that is not a table (Summary, Run): one page wide.
pub(crate) fn sheet(ws: &mut Worksheet, stem: &str) -> Result<(), XlsxError> {
    page(ws, stem);
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// A table sheet whose header is row `header` (repeated on every page),
/// printing its first `printed` columns (all of them when `printed` is
/// every column) `how`.
pub(crate) fn table(
    ws: &mut Worksheet,
    stem: &str,
    header: u32,
    printed: usize,
    columns: usize,
    how: Print,
) -> Result<(), XlsxError> {
    page(ws, stem);
    ws.set_repeat_rows(header, header)?;
    if printed > 0 && printed < columns {
        ws.set_print_area(0, 0, 1_048_575, as_col(printed - 1)?)?;
    }
    match how {
        Print::Fit => {
            ws.set_print_fit_to_pages(1, 0);
        }
        Print::Wide => {
            ws.set_print_scale(WIDE_SCALE);
            ws.set_repeat_columns(0, 0)?;
            ws.set_page_order(false);
        }
    }
    Ok(())
}
