//! Positions in the accounts file: [`LineIndex`] turns byte offsets (the
//! spans `toml` gives) into 1-based line and column, and [`Problems`]
//! collects the errors and warnings of one parse, each at its position.

use std::ops::Range;

use super::{ConfigError, Problem};

/// Byte offsets where each line starts, so positions are found in
/// O(log lines) (a 10,000-account file asks once per account).
pub(super) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// 1-based (line, column in characters) of a byte offset.
    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }

    /// 1-based line of a byte offset.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.line_col(offset).0
    }
}

/// The problems found so far in one file.
pub(super) struct Problems<'a> {
    path: &'a str,
    lines: &'a LineIndex<'a>,
    pub(super) errors: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub(super) fn new(path: &'a str, lines: &'a LineIndex<'a>) -> Self {
        Problems {
            path,
            lines,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The index of the file's lines.
    pub(super) fn lines(&self) -> &LineIndex<'a> {
        self.lines
    }

    /// A problem at the start of `span`.
    pub(super) fn at(&self, span: Range<usize>, message: impl Into<String>) -> Problem {
        Problem {
            path: self.path.to_string(),
            position: Some(self.lines.line_col(span.start)),
            message: message.into(),
        }
    }

    /// `path:line:column` of the start of `span`, for a message that
    /// names a second place.
    pub(super) fn place(&self, span: Range<usize>) -> String {
        let (line, col) = self.lines.line_col(span.start);
        format!("{}:{line}:{col}", self.path)
    }

    /// A problem of the whole file (no position).
    pub(super) fn unlocated(&self, message: impl Into<String>) -> Problem {
        Problem {
            path: self.path.to_string(),
            position: None,
            message: message.into(),
        }
    }

    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let p = self.at(span, message);
        self.errors.push(p);
    }

    pub(super) fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        let p = self.at(span, message);
        self.warnings.push(p);
    }

    /// The warnings, or every error as [`ConfigError::Invalid`].
    pub(super) fn finish(self) -> Result<Vec<Problem>, ConfigError> {
        if self.errors.is_empty() {
            Ok(self.warnings)
        } else {
            Err(ConfigError::Invalid(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_positions() {
        let idx = LineIndex::new("ab\nçd\n\nx");
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(2), (1, 3));
        assert_eq!(idx.line_col(3), (2, 1));
        assert_eq!(idx.line_col(5), (2, 2), "columns count characters");
        assert_eq!(idx.line_col(4), (2, 1), "inside a character: its start");
        assert_eq!(idx.line_col(7), (3, 1));
        assert_eq!(idx.line_col(8), (4, 1));
        assert_eq!(idx.line_col(99), (4, 2), "past the end: the end");
    }
}
