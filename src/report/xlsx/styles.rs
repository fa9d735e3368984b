//! How the workbook's cells look: the header, title and highlight formats,
//! and the number format of each [`Kind`] of value (counts `#,##0`, ratios
//! `0.0%`, days as whole numbers, times as Excel date-times), in plain and
//! totals-row (bold, ruled above) variants. A table column carries its
//! kind's format as a column format, so its cells are written without one
//! (looking a cell format up hashes the whole `Format`, a third of the cost
//! of writing a number); the small sheets write each cell with its format.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder};

use crate::columns::{Cell, Kind};

/// Number format of ratio cells.
pub const PERCENT_FORMAT: &str = "0.0%";

/// Number format of counts.
pub const COUNT_FORMAT: &str = "#,##0";

/// Number format of whole days.
pub const DAYS_FORMAT: &str = "0";

/// Number format of other decimals (seconds).
pub const DECIMAL_FORMAT: &str = "#,##0.0##";

/// Number format of times (their wall-clock time, in the zone the label names).
pub const TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// Number format of text that must stay text (UINs).
pub const TEXT_FORMAT: &str = "@";

/// What a yes/no value shows.
pub(crate) fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

const RED_FILL: &str = "FFC7CE";
const RED_TEXT: &str = "9C0006";
const AMBER_FILL: &str = "FFEB9C";
const AMBER_TEXT: &str = "9C5700";
const HEADER_FILL: &str = "D9E1F2";

/// The number format of a kind, if it has one.
pub(crate) fn number_format(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Count => Some(COUNT_FORMAT),
        Kind::Ratio => Some(PERCENT_FORMAT),
        Kind::Days => Some(DAYS_FORMAT),
        Kind::Decimal => Some(DECIMAL_FORMAT),
        Kind::Time => Some(TIME_FORMAT),
        Kind::Uin => Some(TEXT_FORMAT),
        Kind::Text | Kind::Status | Kind::Flag => None,
    }
}

/// Whether values of `kind` are numbers (right-aligned, headers too).
pub(crate) fn is_number(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Count | Kind::Ratio | Kind::Days | Kind::Decimal | Kind::Time
    )
}

/// The kind a lone cell is shown as (the small sheets, which have no
/// column kinds): its variant's.
pub(crate) fn kind_of(cell: &Cell<'_>) -> Kind {
    match cell {
        Cell::Int(_) => Kind::Count,
        Cell::Ratio(_) => Kind::Ratio,
        Cell::Num(_) => Kind::Decimal,
        Cell::Time(_) => Kind::Time,
        Cell::Bool(_) => Kind::Flag,
        Cell::Empty | Cell::Text(_) => Kind::Text,
    }
}

/// The workbook's formats, and the stem its printed pages name.
pub(crate) struct Styles {
    /// The file stem (every printed page's footer).
    pub(crate) stem: String,
    /// A table's header cells: bold on blue, ruled below, wrapped.
    pub(crate) header: Format,
    /// The same, right-aligned: the header of a column of numbers.
    pub(crate) header_right: Format,
    /// The Summary's title.
    pub(crate) title: Format,
    /// Bold text.
    pub(crate) bold: Format,
    /// A red highlight.
    pub(crate) red: Format,
    /// An amber highlight.
    pub(crate) amber: Format,
    /// Each kind's number format (index: [`slot`]); text indented, so it
    /// never runs into a number right-aligned beside it.
    plain: [Format; SLOTS],
    /// The same, left-aligned (a column of mixed values: the Run sheet's).
    left: [Format; SLOTS],
    /// The same, bold and ruled above: a totals row.
    total: [Format; SLOTS],
}

const SLOTS: usize = 7;

/// The place of a kind's formats in [`Styles`].
fn slot(kind: Kind) -> usize {
    match kind {
        Kind::Count => 0,
        Kind::Ratio => 1,
        Kind::Days => 2,
        Kind::Decimal => 3,
        Kind::Time => 4,
        Kind::Uin => 5,
        Kind::Text | Kind::Status | Kind::Flag => 6,
    }
}

const KINDS: [Kind; SLOTS] = [
    Kind::Count,
    Kind::Ratio,
    Kind::Days,
    Kind::Decimal,
    Kind::Time,
    Kind::Uin,
    Kind::Text,
];

impl Styles {
    /// The formats of the workbook of the file stem `stem`.
    pub(crate) fn new(stem: &str) -> Styles {
        let of = |kind: Kind, base: Format| match number_format(kind) {
            Some(f) if is_number(kind) => base.set_num_format(f),
            Some(f) => base.set_num_format(f).set_indent(1),
            None => base.set_indent(1),
        };
        let header = Format::new()
            .set_indent(1)
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_background_color(HEADER_FILL)
            .set_border_bottom(FormatBorder::Thin);
        let total = Format::new()
            .set_bold()
            .set_border_top(FormatBorder::Thin)
            .set_background_color("F2F2F2");
        Styles {
            stem: stem.to_string(),
            header_right: header.clone().set_indent(0).set_align(FormatAlign::Right),
            header,
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            red: Format::new()
                .set_background_color(RED_FILL)
                .set_font_color(RED_TEXT),
            amber: Format::new()
                .set_background_color(AMBER_FILL)
                .set_font_color(AMBER_TEXT),
            plain: KINDS.map(|k| of(k, Format::new())),
            left: KINDS.map(|k| of(k, Format::new().set_align(FormatAlign::Left))),
            total: KINDS.map(|k| of(k, total.clone())),
        }
    }

    /// The format of a value of `kind`.
    pub(crate) fn of(&self, kind: Kind) -> &Format {
        &self.plain[slot(kind)]
    }

    /// The format of a value of `kind`, left-aligned.
    pub(crate) fn left(&self, kind: Kind) -> &Format {
        &self.left[slot(kind)]
    }

    /// The header format of a column of `kind`.
    pub(crate) fn header(&self, kind: Kind) -> &Format {
        if is_number(kind) {
            &self.header_right
        } else {
            &self.header
        }
    }

    /// The format of a totals-row value of `kind`.
    pub(crate) fn total(&self, kind: Kind) -> &Format {
        &self.total[slot(kind)]
    }

    /// The column format of a table column of `kind`.
    pub(crate) fn column(&self, kind: Kind) -> &Format {
        self.of(kind)
    }
}
