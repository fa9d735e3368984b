//! The charts' geometry, ours (no chart crate): where each bar, column,
//! line and label goes, in the SVG's own units, from numbers the stages
//! computed. The SVG markup is in the templates (`charts.html`), so askama
//! escapes every text in it; colours are CSS classes (`ok`, `high`,
//! `over`, `s1`…`s5`), so light and dark mode and print restyle them.
//!
//! No text is measured: the only texts inside an SVG are numbers, dates
//! and band names we write (ASCII digits, `%`, `–`), anchored at their
//! middle or an end (`text-anchor`), and names (accounts, which may be
//! Chinese) stay in HTML beside the chart (the bar chart is a table whose
//! bars sit in a cell next to the name; the line charts' legend is HTML),
//! where the browser lays out CJK with the system's fonts.

use super::text;

/// How the scale of a chart reads: counts or ratios (as percentages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Whole numbers: `1,500`, `12k`, `1.5M`.
    Count,
    /// Ratios: `50%`, `100%`.
    Ratio,
}

/// The colour class of a utilization: `ok` below 90%, `high` from 90% to
/// 100%, `over` above 100% (over-use).
pub fn tone(ratio: f64) -> &'static str {
    if ratio > 1.0 {
        "over"
    } else if ratio >= 0.9 {
        "high"
    } else {
        "ok"
    }
}

/// A number for an SVG attribute: one decimal at most.
fn at(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The width of a horizontal bar's SVG, in its units.
pub const METER_WIDTH: f64 = 1000.0;
/// The longest axis of the horizontal bars: 200% (a longer bar is cut and
/// marked; its number is beside it).
pub const METER_MAX: f64 = 2.0;

/// One horizontal bar (in a table cell beside its account's name).
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    /// Its length, in units of [`METER_WIDTH`].
    pub width: String,
    /// Its colour class ([`tone`]).
    pub tone: &'static str,
    /// Longer than the axis: cut at its end.
    pub cut: bool,
}

/// A label of the bars' axis, placed at a percentage of the cell's width.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Where: percent of the width (CSS `left`).
    pub left: String,
    /// What: `0%`, `50%`, `100%`, …
    pub label: String,
}

/// Horizontal bars on one axis from 0, with the 100% line marked.
#[derive(Debug, Clone, PartialEq)]
pub struct Meters {
    /// Where 100% is, in units of [`METER_WIDTH`].
    pub mark: String,
    /// The axis's labels.
    pub ticks: Vec<Tick>,
    /// One bar per ratio (none for an unknown ratio).
    pub bars: Vec<Option<Meter>>,
}

/// The bars of `ratios` on one axis: from 0 to the largest ratio rounded
/// up to a quarter, at least 100% and at most [`METER_MAX`].
pub fn meters(ratios: &[Option<f64>]) -> Meters {
    let largest = ratios.iter().flatten().fold(1.0f64, |m, &r| m.max(r));
    let max = ((largest * 4.0).ceil() / 4.0).clamp(1.0, METER_MAX);
    let step = if max > 1.0 { 0.5 } else { 0.25 };
    let ticks = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|&v| v <= max + 1e-9)
        .map(|v| Tick {
            left: at(v / max * 100.0),
            label: format!("{:.0}%", v * 100.0),
        })
        .collect();
    let bars = ratios
        .iter()
        .map(|r| {
            r.map(|r| Meter {
                width: at(r.clamp(0.0, max) / max * METER_WIDTH),
                tone: tone(r),
                cut: r > max,
            })
        })
        .collect();
    Meters {
        mark: at(METER_WIDTH / max),
        ticks,
        bars,
    }
}

/// A horizontal line of a chart's grid, with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Its height.
    pub y: String,
    /// Its value, as the scale reads.
    pub label: String,
}

/// The largest value of an axis holding `largest` in four steps of 1, 2,
/// 3 or 5 times a power of ten (at least 4, so the steps are whole).
fn nice_max(largest: f64) -> f64 {
    let step = (largest / 4.0).max(1.0);
    let power = 10f64.powf(step.log10().floor());
    let nice = [1.0, 2.0, 3.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= step - 1e-9)
        .unwrap_or(10.0 * power);
    nice * 4.0
}

/// A value of an axis as a label: `950`, `1,500`, `12.5k`, `1.5M`; `50%`.
fn axis_label(v: f64, scale: Scale) -> String {
    match scale {
        Scale::Ratio => format!("{:.0}%", v * 100.0),
        Scale::Count if v.abs() >= 1e6 => format!("{}M", at(v / 1e6)),
        Scale::Count if v.abs() >= 1e4 => format!("{}k", at(v / 1e3)),
        Scale::Count => text::count(v.round() as i64),
    }
}

/// A vertical column of a column chart, with its value above it and its
/// name below.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// Its middle (where its texts are anchored).
    pub middle: String,
    /// Where its value is written.
    pub value_y: String,
    /// Its value.
    pub value: String,
    /// Its name.
    pub label: String,
    /// Its colour class.
    pub tone: &'static str,
}

/// A column chart (the distribution of utilization).
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    pub columns: Vec<Column>,
    pub grid: Vec<Grid>,
    /// Where the columns stand, and where their names are written.
    pub base: String,
    pub label_y: String,
}

/// The view of the column chart (`viewBox="0 0 720 240"`).
const COLUMNS_VIEW: (f64, f64) = (720.0, 240.0);

/// Columns of `values` (name, count, colour class), from 0.
pub fn columns(values: &[(&str, usize, &'static str)]) -> Columns {
    let (left, right, top, bottom) = (48.0, COLUMNS_VIEW.0 - 8.0, 24.0, 200.0);
    let largest = values.iter().map(|v| v.1).max().unwrap_or(0) as f64;
    let max = nice_max(largest);
    let slot = (right - left) / values.len().max(1) as f64;
    let width = slot * 0.68;
    let columns = values
        .iter()
        .enumerate()
        .map(|(i, &(label, n, tone))| {
            let h = n as f64 / max * (bottom - top);
            let x = left + i as f64 * slot + (slot - width) / 2.0;
            Column {
                x: at(x),
                y: at(bottom - h),
                width: at(width),
                height: at(h),
                middle: at(x + width / 2.0),
                value_y: at(bottom - h - 6.0),
                value: text::count(n as i64),
                label: label.to_string(),
                tone,
            }
        })
        .collect();
    Columns {
        columns,
        grid: grid(max, Scale::Count, top, bottom),
        base: at(bottom),
        label_y: at(bottom + 18.0),
    }
}

/// Five grid lines from 0 to `max`, from `bottom` up to `top`.
fn grid(max: f64, scale: Scale, top: f64, bottom: f64) -> Vec<Grid> {
    (0..=4)
        .map(|i| {
            let v = max * f64::from(i) / 4.0;
            Grid {
                y: at(bottom - (bottom - top) * f64::from(i) / 4.0),
                label: axis_label(v, scale),
            }
        })
        .collect()
}

/// A point of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub x: String,
    pub y: String,
    /// A run that was not complete: drawn hollow.
    pub hollow: bool,
}

/// One line of a line chart: its pieces (a missing value breaks it) and
/// its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Its colour class.
    pub class: &'static str,
    /// Each piece as an SVG `points` list.
    pub pieces: Vec<String>,
    pub dots: Vec<Dot>,
}

/// A date under the x axis.
#[derive(Debug, Clone, PartialEq)]
pub struct XLabel {
    pub x: String,
    pub text: String,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
}

/// A line chart over time (the trends).
#[derive(Debug, Clone, PartialEq)]
pub struct Lines {
    pub lines: Vec<Line>,
    pub grid: Vec<Grid>,
    pub x_labels: Vec<XLabel>,
    /// The 100% line of a ratio chart.
    pub mark: Option<String>,
    pub left: String,
    pub right: String,
    pub label_y: String,
}

/// The view of the line chart (`viewBox="0 0 720 260"`).
const LINES_VIEW: (f64, f64) = (720.0, 260.0);

/// The points in time of a line chart: each as seconds, the runs that were
/// incomplete, and the dates written under the axis: at its start, middle
/// and end (one in the middle when every point is at the same time).
#[derive(Debug, Clone, PartialEq)]
pub struct Times {
    pub seconds: Vec<i64>,
    pub incomplete: Vec<bool>,
    pub labels: Vec<String>,
}

/// Lines of `series` (colour class, one value per time, `None` where
/// unknown) over `times`, on one axis from 0.
pub fn lines(times: &Times, series: &[(&'static str, Vec<Option<f64>>)], scale: Scale) -> Lines {
    let (left, right, top, bottom) = (64.0, LINES_VIEW.0 - 16.0, 16.0, 212.0);
    let largest = series
        .iter()
        .flat_map(|s| s.1.iter().flatten())
        .fold(0.0f64, |m, &v| m.max(v));
    let max = match scale {
        Scale::Count => nice_max(largest),
        Scale::Ratio => ((largest * 4.0).ceil() / 4.0).max(1.0),
    };
    let (first, last) = (
        times.seconds.first().copied().unwrap_or(0),
        times.seconds.last().copied().unwrap_or(0),
    );
    // Points at one time (runs started in the same second) are spread
    // evenly instead, in their order.
    let n = times.seconds.len();
    let x_of = |i: usize, t: i64| match (last - first, n) {
        (_, 0 | 1) => (left + right) / 2.0,
        (0, _) => left + (right - left) * i as f64 / (n - 1) as f64,
        (span, _) => left + (right - left) * (t - first) as f64 / span as f64,
    };
    let y_of = |v: f64| bottom - (bottom - top) * (v / max).clamp(0.0, 1.0);
    let lines = series
        .iter()
        .map(|(class, values)| line(class, values, times, &x_of, &y_of))
        .collect();
    Lines {
        lines,
        grid: grid(max, scale, top, bottom),
        x_labels: x_labels(&times.labels, left, right),
        mark: (scale == Scale::Ratio).then(|| at(y_of(1.0))),
        left: at(left),
        right: at(right),
        label_y: at(bottom + 20.0),
    }
}

/// One series as pieces of line between its unknown values, and its dots.
fn line(
    class: &'static str,
    values: &[Option<f64>],
    times: &Times,
    x_of: &dyn Fn(usize, i64) -> f64,
    y_of: &dyn Fn(f64) -> f64,
) -> Line {
    let mut pieces: Vec<String> = Vec::new();
    let mut dots = Vec::new();
    let mut open = false;
    for (i, v) in values.iter().enumerate() {
        let (Some(v), Some(&t)) = (v, times.seconds.get(i)) else {
            open = false;
            continue;
        };
        let (x, y) = (at(x_of(i, t)), at(y_of(*v)));
        match pieces.last_mut().filter(|_| open) {
            Some(piece) => piece.push_str(&format!(" {x},{y}")),
            None => pieces.push(format!("{x},{y}")),
        }
        open = true;
        dots.push(Dot {
            x,
            y,
            hollow: times.incomplete.get(i).copied().unwrap_or(false),
        });
    }
    Line {
        class,
        pieces,
        dots,
    }
}

/// The dates under the axis: three at its start, middle and end, or one
/// in its middle.
fn x_labels(labels: &[String], left: f64, right: f64) -> Vec<XLabel> {
    let places: &[(f64, &'static str)] = match labels.len() {
        1 => &[(0.5, "middle")],
        3 => &[(0.0, "start"), (0.5, "middle"), (1.0, "end")],
        _ => &[],
    };
    labels
        .iter()
        .zip(places)
        .map(|(text, &(at_, anchor))| XLabel {
            x: at(left + (right - left) * at_),
            text: text.clone(),
            anchor,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_start_at_zero_and_mark_one_hundred_percent() {
        let m = meters(&[Some(0.5), None, Some(1.0)]);
        assert_eq!(m.mark, "1000", "100% at the end of a 0–100% axis");
        assert_eq!(m.bars[0].as_ref().map(|b| b.width.as_str()), Some("500"));
        assert_eq!(m.bars[1], None);
        assert_eq!(m.bars[2].as_ref().map(|b| b.tone), Some("high"));
        let labels: Vec<&str> = m.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0%", "25%", "50%", "75%", "100%"]);
        // Over-use widens the axis to the next quarter; 100% stays marked.
        let m = meters(&[Some(1.5), Some(0.3)]);
        assert_eq!(m.mark, "666.7");
        assert_eq!(
            m.bars[0].as_ref().map(|b| (b.width.as_str(), b.tone)),
            Some(("1000", "over"))
        );
        let labels: Vec<&str> = m.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0%", "50%", "100%", "150%"]);
        // Beyond 200% a bar is cut (its number is beside it).
        let m = meters(&[Some(15.0)]);
        assert_eq!(m.mark, "500");
        assert!(m.bars[0]
            .as_ref()
            .is_some_and(|b| b.cut && b.width == "1000"));
    }

    #[test]
    fn columns_stand_on_a_zero_axis_of_nice_steps() {
        assert_eq!(nice_max(0.0), 4.0);
        assert_eq!(nice_max(3.0), 4.0);
        assert_eq!(nice_max(9.0), 12.0);
        assert_eq!(nice_max(37.0), 40.0);
        assert_eq!(nice_max(1_234.0), 2_000.0);
        assert_eq!(nice_max(150_000.0), 200_000.0);
        let c = columns(&[("a", 0, "ok"), ("b", 12, "over")]);
        assert_eq!(c.base, "200");
        assert_eq!(
            (c.columns[0].height.as_str(), c.columns[0].y.as_str()),
            ("0", "200")
        );
        assert_eq!(
            (c.columns[1].height.as_str(), c.columns[1].y.as_str()),
            ("176", "24")
        );
        let labels: Vec<&str> = c.grid.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["0", "3", "6", "9", "12"]);
        assert_eq!(axis_label(150_000.0, Scale::Count), "150k");
        assert_eq!(axis_label(2_500_000.0, Scale::Count), "2.5M");
    }

    #[test]
    fn lines_break_at_unknown_values_and_dates_sit_at_the_ends() {
        let times = Times {
            seconds: vec![0, 100, 200, 400],
            incomplete: vec![false, true, false, false],
            labels: ["d1", "d2", "d3"].map(String::from).to_vec(),
        };
        let l = lines(
            &times,
            &[("s1", vec![Some(10.0), Some(20.0), None, Some(40.0)])],
            Scale::Count,
        );
        assert_eq!(l.lines[0].pieces, ["64,163 224,114", "704,16"]);
        assert_eq!(l.lines[0].dots.len(), 3);
        assert!(l.lines[0].dots[1].hollow);
        let anchors: Vec<(&str, &str)> = l
            .x_labels
            .iter()
            .map(|x| (x.text.as_str(), x.anchor))
            .collect();
        assert_eq!(anchors, [("d1", "start"), ("d2", "middle"), ("d3", "end")]);
        assert_eq!(l.x_labels[1].x, "384");
        assert_eq!(l.mark, None);
        // Runs of one second are spread in their order.
        let same = Times {
            seconds: vec![5, 5, 5],
            incomplete: vec![false; 3],
            labels: vec!["d".into()],
        };
        let l = lines(&same, &[("s1", vec![Some(1.0); 3])], Scale::Count);
        let xs: Vec<&str> = l.lines[0].dots.iter().map(|d| d.x.as_str()).collect();
        assert_eq!(xs, ["64", "384", "704"]);
        assert_eq!(l.x_labels.len(), 1);
        let r = lines(&times, &[("s1", vec![Some(0.5); 4])], Scale::Ratio);
        assert_eq!(
            r.mark.as_deref(),
            Some("16"),
            "100% at the top of a 0–100% axis"
        );
    }
}
