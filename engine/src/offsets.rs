//! Offsets in the caller's encoding: Unicode code points, UTF-8 bytes or UTF-16 code units.
//!
//! The engine finds spans as UTF-8 byte ranges of the original text. Callers in Python count code
//! points, callers in Java or JavaScript count UTF-16 units, callers in Rust or Go count bytes.
//! [`to_encoding`] converts every boundary of a document in one forward pass over the text, since
//! mentions are sorted and do not overlap: the cost is one scan, however many mentions there are.

use std::fmt;
use std::str::FromStr;

/// How `start` and `end` of a mention count positions in the text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OffsetEncoding {
    /// Unicode scalar values (code points), as Python's `str` indexes.
    #[default]
    CodePoint,
    /// UTF-8 bytes, as Rust's and Go's strings index.
    Utf8,
    /// UTF-16 code units, as Java, C# and JavaScript strings index.
    Utf16,
}

impl OffsetEncoding {
    /// The name the CLI uses for this encoding.
    pub fn name(self) -> &'static str {
        match self {
            OffsetEncoding::CodePoint => "codepoint",
            OffsetEncoding::Utf8 => "utf8",
            OffsetEncoding::Utf16 => "utf16",
        }
    }
}

impl fmt::Display for OffsetEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown encoding name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEncoding(pub String);

impl fmt::Display for UnknownEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown offset encoding {:?}: expected codepoint, utf8 or utf16",
            self.0
        )
    }
}

impl std::error::Error for UnknownEncoding {}

impl FromStr for OffsetEncoding {
    type Err = UnknownEncoding;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "codepoint" | "code-point" | "code_point" => Ok(OffsetEncoding::CodePoint),
            "utf8" | "utf-8" => Ok(OffsetEncoding::Utf8),
            "utf16" | "utf-16" => Ok(OffsetEncoding::Utf16),
            other => Err(UnknownEncoding(other.to_string())),
        }
    }
}

/// Rewrites byte offsets into `encoding`, in place.
///
/// `offsets` must be non-decreasing byte offsets on character boundaries of `text` (the starts
/// and ends of sorted, non-overlapping mentions, interleaved).
pub fn to_encoding(text: &str, offsets: &mut [usize], encoding: OffsetEncoding) {
    if encoding == OffsetEncoding::Utf8 {
        return;
    }
    let bytes = text.as_bytes();
    let (mut byte, mut unit) = (0, 0);
    for offset in offsets.iter_mut() {
        debug_assert!(*offset >= byte, "offsets must be sorted");
        unit += units(&bytes[byte..*offset], encoding);
        byte = *offset;
        *offset = unit;
    }
}

/// The number of code points or UTF-16 units in a run of whole UTF-8 characters.
fn units(run: &[u8], encoding: OffsetEncoding) -> usize {
    // A character starts at every byte that is not a continuation byte (10xxxxxx); one that
    // takes four bytes (lead 11110xxx) lies outside the BMP and takes two UTF-16 units.
    let chars = run.iter().filter(|&&b| (b as i8) >= -0x40).count();
    match encoding {
        OffsetEncoding::Utf16 => chars + run.iter().filter(|&&b| b >= 0xF0).count(),
        _ => chars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_every_boundary_in_one_pass() {
        let text = "a😀بكين x";
        let start = text.find('ب').unwrap();
        let end = start + "بكين".len();
        let cases = [
            (OffsetEncoding::Utf8, [5, 13]),
            (OffsetEncoding::CodePoint, [2, 6]),
            (OffsetEncoding::Utf16, [3, 7]),
        ];
        for (encoding, expected) in cases {
            let mut offsets = [start, end];
            to_encoding(text, &mut offsets, encoding);
            assert_eq!(offsets, expected, "{encoding}");
        }
    }

    #[test]
    fn parses_names() {
        assert_eq!("utf16".parse(), Ok(OffsetEncoding::Utf16));
        assert_eq!("codepoint".parse(), Ok(OffsetEncoding::CodePoint));
        assert!(
            "bytes"
                .parse::<OffsetEncoding>()
                .unwrap_err()
                .to_string()
                .contains("utf8")
        );
    }
}
