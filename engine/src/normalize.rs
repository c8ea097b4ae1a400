//! Normalization for matching, with a map back to the original text.
//!
//! Text and aliases pass through the same fold (the search-engine convention: Lucene's
//! `ArabicNormalizer`, CAMeL Tools' `dediac_ar` and `normalize_*_ar`): diacritics, tatweel and
//! invisible format characters are dropped; alef, ya, ta marbuta and Persian letters are folded;
//! presentation forms expand to their letters; every run of white space becomes one space; the
//! dash family becomes `-`; Arabic-Indic digits become ASCII digits.
//!
//! [`Normalizer`] does it in one pass over the bytes of the original text and keeps a map from
//! each byte of its output to the byte offset of the original character that produced it. A match
//! in the normalized text is mapped back with [`Normalizer::original_span`], so spans are always
//! reported in the caller's own text. The map is compact: most characters keep their length (an
//! Arabic letter folded to another is still two bytes), so within a run of them a normalized
//! offset is the original one shifted by a constant, and only where that shift changes (a dropped
//! diacritic, a collapsed space run, an expansion) does the map take an entry.

mod presentation;

use presentation::PRESENTATION_FORMS;

/// What normalization does with one character of the original text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fold {
    /// Copied as it is.
    Keep,
    /// Replaced by another character.
    Char(char),
    /// White space: a run of it becomes one space.
    Space,
    /// A diacritic or tatweel: dropped, but still part of its word; a span that ends on the
    /// letter before it takes it in.
    Attached,
    /// An invisible format character (zero-width, direction mark, BOM): dropped.
    Invisible,
    /// A presentation form: replaced by its NFKC letters, each folded in turn.
    Expand(&'static str),
}

/// The fold of every code point of the Arabic block U+0600–U+06FF, the hot path.
static ARABIC_BLOCK: [Fold; 256] = {
    let mut table = [Fold::Keep; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = arabic_fold(0x0600 + i as u32);
        i += 1;
    }
    table
};

const fn arabic_fold(cp: u32) -> Fold {
    match cp {
        0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0640 => Fold::Attached,
        0x061C => Fold::Invisible,
        // أ إ آ ٱ → ا
        0x0622 | 0x0623 | 0x0625 | 0x0671 => Fold::Char('\u{0627}'),
        // ى → ي, and the Persian/Urdu ی ې ۍ → ي
        0x0649 | 0x06CC | 0x06D0 | 0x06CD => Fold::Char('\u{064A}'),
        // ة → ه
        0x0629 => Fold::Char('\u{0647}'),
        // ک → ك
        0x06A9 => Fold::Char('\u{0643}'),
        0x0660..=0x0669 => Fold::Char(ascii_digit(cp - 0x0660)),
        0x06F0..=0x06F9 => Fold::Char(ascii_digit(cp - 0x06F0)),
        _ => Fold::Keep,
    }
}

const fn ascii_digit(value: u32) -> char {
    (b'0' + value as u8) as char
}

/// The fold of any character outside ASCII.
fn fold(c: char) -> Fold {
    let cp = c as u32;
    match cp {
        0x0600..=0x06FF => ARABIC_BLOCK[(cp - 0x0600) as usize],
        0x200B..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0xFEFF => Fold::Invisible,
        0x2010..=0x2015 | 0x2212 | 0xFE58 | 0xFE63 | 0xFF0D => Fold::Char('-'),
        0xFB50..=0xFDFF | 0xFE70..=0xFEFE => match presentation_form(cp) {
            Some(expansion) => Fold::Expand(expansion),
            None => Fold::Keep,
        },
        _ if c.is_whitespace() => Fold::Space,
        _ => Fold::Keep,
    }
}

fn presentation_form(cp: u32) -> Option<&'static str> {
    PRESENTATION_FORMS
        .binary_search_by_key(&cp, |&(form, _)| form)
        .ok()
        .map(|i| PRESENTATION_FORMS[i].1)
}

/// Whether a character that normalization drops still belongs to the word around it
/// (a diacritic, tatweel, or the isolated form of a diacritic).
fn is_attached(c: char) -> bool {
    match fold(c) {
        Fold::Attached => true,
        Fold::Expand(expansion) => expansion.chars().all(|e| fold(e) == Fold::Attached),
        _ => false,
    }
}

/// Normalizes `text` for matching, with no map back: used for aliases.
///
/// ```
/// assert_eq!(alam_engine::normalize("الصِّينيّة"), "الصينيه");
/// assert_eq!(alam_engine::normalize("أستانة"), "استانه");
/// ```
pub fn normalize(text: &str) -> String {
    let mut normalizer = Normalizer::default();
    normalizer.normalize(text);
    normalizer.into_text()
}

/// A reusable normalization buffer: the normalized text and the map from each of its bytes to
/// the byte offset of the original character it came from.
#[derive(Debug, Default, Clone)]
pub struct Normalizer {
    text: Vec<u8>,
    /// Where the shift between normalized and original offsets changes, in normalized order;
    /// the first starts at 0.
    shifts: Vec<Shift>,
    /// The current shift, `original - normalized` (wrapping): a character written at the
    /// offsets it predicts extends the last entry of `shifts`.
    shift: u32,
    /// Whether a character expanded into several (a ligature): only then can two normalized
    /// characters come from the same original one.
    expanded: bool,
    in_space: bool,
}

/// From normalized byte `normalized` on (until the next entry), the character at normalized
/// offset `n` came from original offset `original + (n - normalized)`.
#[derive(Debug, Clone, Copy)]
struct Shift {
    normalized: u32,
    original: u32,
}

impl Normalizer {
    /// The heap memory the buffers hold, in bytes.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.text.capacity() + self.shifts.capacity() * std::mem::size_of::<Shift>()
    }

    /// Normalizes `original`, replacing what the buffer held.
    ///
    /// # Panics
    /// If `original` is 4 GiB or longer: offsets are kept as `u32`. Callers check the length
    /// first (see [`crate::Extractor::extract`]).
    pub fn normalize(&mut self, original: &str) {
        assert!(
            u32::try_from(original.len()).is_ok(),
            "text of 4 GiB or more"
        );
        self.text.clear();
        self.shifts.clear();
        self.shifts.push(Shift {
            normalized: 0,
            original: 0,
        });
        self.shift = 0;
        self.expanded = false;
        self.text.reserve(original.len());
        self.in_space = false;
        let bytes = original.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let at = i as u32;
            if b < 0x80 {
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C) {
                    self.push_space(at);
                } else {
                    self.push_byte(b, at);
                }
                i += 1;
                continue;
            }
            if (0xD8..=0xDB).contains(&b) {
                // U+0600–U+06FF, the Arabic block: two bytes, a table lookup.
                let cp = 0x0600 | (((b as usize) & 0x03) << 6) | ((bytes[i + 1] as usize) & 0x3F);
                match ARABIC_BLOCK[cp - 0x0600] {
                    Fold::Keep => self.push_bytes(&bytes[i..i + 2], at),
                    fold => self.apply(fold, at),
                }
                i += 2;
                continue;
            }
            let len = utf8_len(b);
            let c = decode(&bytes[i..i + len]);
            match fold(c) {
                Fold::Keep => self.push_bytes(&bytes[i..i + len], at),
                fold => self.apply(fold, at),
            }
            i += len;
        }
    }

    fn apply(&mut self, fold: Fold, at: u32) {
        match fold {
            Fold::Keep => unreachable!("kept characters are copied by the caller"),
            Fold::Char(c) => self.push_char(c, at),
            Fold::Space => self.push_space(at),
            Fold::Attached | Fold::Invisible => {}
            Fold::Expand(expansion) => {
                self.expanded = true;
                for c in expansion.chars() {
                    match fold_any(c) {
                        Fold::Keep => self.push_char(c, at),
                        Fold::Expand(_) => unreachable!("NFKC expansions are fully decomposed"),
                        inner => self.apply(inner, at),
                    }
                }
            }
        }
    }

    /// Records that the next character written comes from original offset `at`.
    #[inline]
    fn mark(&mut self, at: u32) {
        let normalized = self.text.len() as u32;
        if at.wrapping_sub(normalized) != self.shift {
            self.new_shift(normalized, at);
        }
    }

    #[cold]
    fn new_shift(&mut self, normalized: u32, original: u32) {
        let shift = Shift {
            normalized,
            original,
        };
        match self.shifts.last_mut() {
            Some(last) if last.normalized == normalized => *last = shift,
            _ => self.shifts.push(shift),
        }
        self.shift = original.wrapping_sub(normalized);
    }

    #[inline]
    fn push_byte(&mut self, b: u8, at: u32) {
        self.mark(at);
        self.text.push(b);
        self.in_space = false;
    }

    #[inline]
    fn push_bytes(&mut self, bytes: &[u8], at: u32) {
        self.mark(at);
        self.text.extend_from_slice(bytes);
        self.in_space = false;
    }

    fn push_char(&mut self, c: char, at: u32) {
        let mut buf = [0; 4];
        self.push_bytes(c.encode_utf8(&mut buf).as_bytes(), at);
    }

    #[inline]
    fn push_space(&mut self, at: u32) {
        if !self.in_space {
            self.mark(at);
            self.text.push(b' ');
            self.in_space = true;
        }
    }

    /// The normalized text, as bytes (always valid UTF-8).
    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }

    /// The normalized text.
    pub fn as_str(&self) -> &str {
        // The buffer only ever receives whole UTF-8 sequences.
        std::str::from_utf8(&self.text).expect("normalized text is UTF-8")
    }

    fn into_text(self) -> String {
        String::from_utf8(self.text).expect("normalized text is UTF-8")
    }

    /// The byte offset in the original text of the character that produced normalized byte `i`.
    ///
    /// # Panics
    /// If `i` is not below the normalized text's length.
    pub fn origin(&self, i: usize) -> usize {
        let mut char_start = i;
        while self.text[char_start] & 0xC0 == 0x80 {
            char_start -= 1;
        }
        // The first entry starts at 0, so one always precedes `i`.
        let entry = self.shifts.partition_point(|s| s.normalized as usize <= i) - 1;
        let shift = self.shifts[entry];
        shift.original as usize + (char_start - shift.normalized as usize)
    }

    /// Whether normalized bytes `i - 1` and `i` came from different original characters: a
    /// match may only start or end there (not inside a ligature's expansion).
    pub fn is_source_boundary(&self, i: usize) -> bool {
        if i == 0 || i == self.text.len() {
            return true;
        }
        if !self.expanded {
            // Every normalized character has an original of its own: a boundary is a start.
            return self.text[i] & 0xC0 != 0x80;
        }
        self.origin(i - 1) != self.origin(i)
    }

    /// Maps the normalized byte range `start..end` (non-empty) back to a byte range of
    /// `original`: from the original character of its first byte to the end of the original
    /// character of its last byte, together with the diacritics and tatweel attached after it.
    pub fn original_span(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        let from = self.origin(start);
        let last = self.origin(end - 1);
        let mut to = last + utf8_len(original.as_bytes()[last]);
        for c in original[to..].chars() {
            if !is_attached(c) {
                break;
            }
            to += c.len_utf8();
        }
        (from, to)
    }
}

/// [`fold`] for any character, ASCII included.
fn fold_any(c: char) -> Fold {
    if c.is_ascii() {
        if c.is_ascii_whitespace() || c == '\u{0B}' {
            Fold::Space
        } else {
            Fold::Keep
        }
    } else {
        fold(c)
    }
}

#[inline]
fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[inline]
fn decode(seq: &[u8]) -> char {
    let cp = match seq.len() {
        2 => ((seq[0] as u32 & 0x1F) << 6) | (seq[1] as u32 & 0x3F),
        3 => {
            ((seq[0] as u32 & 0x0F) << 12) | ((seq[1] as u32 & 0x3F) << 6) | (seq[2] as u32 & 0x3F)
        }
        _ => {
            ((seq[0] as u32 & 0x07) << 18)
                | ((seq[1] as u32 & 0x3F) << 12)
                | ((seq[2] as u32 & 0x3F) << 6)
                | (seq[3] as u32 & 0x3F)
        }
    };
    // The input is a &str, so every sequence is a valid scalar value.
    char::from_u32(cp).expect("valid UTF-8 decodes to a scalar value")
}

/// The character that ends at byte `end` of the UTF-8 text `bytes` (`end` > 0, on a boundary).
pub(crate) fn char_before(bytes: &[u8], end: usize) -> char {
    let mut start = end - 1;
    while bytes[start] & 0xC0 == 0x80 {
        start -= 1;
    }
    decode_at(bytes, start)
}

/// How many characters have a place of their own in the tables of hot loops (the word-start
/// scan, the trie's alphabet): ASCII (places 0–127) and the Arabic block U+0600–U+06FF
/// (128–383), the characters of nearly every text.
pub(crate) const COMMON_CHARS: usize = 384;

/// The place of `c` in a table of [`COMMON_CHARS`] entries, if it has one.
pub(crate) fn common_index(c: char) -> Option<usize> {
    match c as u32 {
        cp @ 0..=0x7F => Some(cp as usize),
        cp @ 0x0600..=0x06FF => Some(128 + (cp - 0x0600) as usize),
        _ => None,
    }
}

/// The character at place `index` of a table of [`COMMON_CHARS`] entries.
pub(crate) fn common_char(index: usize) -> char {
    let cp = if index < 128 {
        index as u32
    } else {
        0x0600 + (index - 128) as u32
    };
    char::from_u32(cp).expect("ASCII and the Arabic block are characters")
}

/// The place of the character at byte `at` of the UTF-8 text `text` in a table of
/// [`COMMON_CHARS`] entries, with its length in bytes, read from its bytes alone; `None` for a
/// character without a place.
#[inline]
pub(crate) fn common_index_at(text: &[u8], at: usize) -> Option<(usize, usize)> {
    let b = text[at];
    if b < 0x80 {
        return Some((b as usize, 1));
    }
    // U+0600–U+06FF: lead bytes D8–DB, two bytes.
    (0xD8..=0xDB).contains(&b).then(|| {
        (
            128 + ((((b & 0x03) as usize) << 6) | (text[at + 1] & 0x3F) as usize),
            2,
        )
    })
}

/// The character that starts at byte `start` of the UTF-8 text `bytes`.
pub(crate) fn char_at(bytes: &[u8], start: usize) -> char {
    decode_at(bytes, start)
}

fn decode_at(bytes: &[u8], start: usize) -> char {
    let len = utf8_len(bytes[start]);
    if len == 1 {
        bytes[start] as char
    } else {
        decode(&bytes[start..start + len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_places_agree_from_chars_and_from_bytes() {
        for index in 0..COMMON_CHARS {
            let c = common_char(index);
            assert_eq!(common_index(c), Some(index));
            let text = format!("x{c}");
            assert_eq!(
                common_index_at(text.as_bytes(), 1),
                Some((index, c.len_utf8()))
            );
        }
        for c in ['\u{5D0}', '\u{700}', '\u{FEFB}', '\u{1F600}'] {
            assert_eq!(common_index(c), None);
            assert_eq!(common_index_at(c.to_string().as_bytes(), 0), None);
        }
    }

    /// Each case: what the original says, what matching sees.
    #[test]
    fn folds() {
        let cases = [
            ("diacritics inside a name", "الصِّينُ", "الصين"),
            ("diacritics at the end", "كازاخستانَ", "كازاخستان"),
            ("superscript alef and Quranic marks", "هٰذا ۖ", "هذا "),
            ("tatweel", "الصـــين", "الصين"),
            (
                "hamza on alef",
                "أستانا إلى آسيا ٱلله",
                "استانا الي اسيا الله",
            ),
            ("alef maksura", "شانغهاى", "شانغهاي"),
            ("ta marbuta", "أستانة", "استانه"),
            ("Persian letters", "کی ې ۍ", "كي ي ي"),
            ("lam-alef ligature expands", "ﻻ", "لا"),
            ("contextual forms", "ﺑﻜﻴﻦ", "بكين"),
            ("isolated diacritic forms drop", "ﺑﻜﻴﻦ\u{FE70}", "بكين"),
            ("allah ligature", "\u{FDF2}", "الله"),
            (
                "zero-width and direction marks",
                "بك\u{200B}ين\u{200F}\u{202B}\u{2067}\u{061C}\u{FEFF}",
                "بكين",
            ),
            ("space runs", "شي  جين\n\tبينغ", "شي جين بينغ"),
            (
                "non-breaking and thin spaces",
                "شي\u{00A0}جين\u{2009}\u{202F}بينغ",
                "شي جين بينغ",
            ),
            (
                "dashes",
                "الصين–آسيا\u{2212}x\u{FE63}y\u{FF0D}z",
                "الصين-اسيا-x-y-z",
            ),
            ("Arabic-Indic digits", "٢٠٢٤ و۱۹", "2024 و19"),
            ("ASCII kept", "SCO (2024)", "SCO (2024)"),
            ("empty", "", ""),
            ("only diacritics", "ًٌٍَُ", ""),
        ];
        for (what, original, expected) in cases {
            assert_eq!(normalize(original), expected, "{what}");
        }
    }

    #[test]
    fn every_normalized_byte_maps_to_its_original_character() {
        let original = "وَﻻ  الصِّين";
        let mut n = Normalizer::default();
        n.normalize(original);
        assert_eq!(n.as_str(), "ولا الصين");
        let starts: Vec<usize> = (0..n.as_bytes().len()).map(|i| n.origin(i)).collect();
        // و (0), fatha dropped, ﻻ at byte 4 gives two letters, the two spaces fold into one.
        assert_eq!(&starts[..8], &[0, 0, 4, 4, 4, 4, 7, 9]);
        assert!(!n.is_source_boundary(4), "inside the ligature");
        assert!(n.is_source_boundary(2));
    }

    #[test]
    fn a_span_takes_in_the_marks_after_its_last_letter() {
        let original = "الصِّينيُّ قال";
        let mut n = Normalizer::default();
        n.normalize(original);
        let end = n.as_str().find(' ').unwrap();
        let (from, to) = n.original_span(original, 0, end);
        assert_eq!(&original[from..to], "الصِّينيُّ");
    }

    /// The map as a table of every normalized byte, from a direct reading of the folds: the
    /// reference that the compact map must agree with.
    fn reference(original: &str) -> (String, Vec<usize>) {
        let mut text = String::new();
        let mut origin = Vec::new();
        let mut in_space = false;
        let mut write = |c: char, at: usize, text: &mut String| {
            if c == ' ' {
                if in_space {
                    return;
                }
                in_space = true;
            } else {
                in_space = false;
            }
            text.push(c);
            origin.extend(std::iter::repeat_n(at, c.len_utf8()));
        };
        for (at, c) in original.char_indices() {
            let folded: Vec<Fold> = match fold_any(c) {
                Fold::Expand(expansion) => expansion
                    .chars()
                    .map(fold_any)
                    .zip(expansion.chars())
                    .map(|(f, e)| match f {
                        Fold::Keep => Fold::Char(e),
                        other => other,
                    })
                    .collect(),
                Fold::Keep => vec![Fold::Char(c)],
                other => vec![other],
            };
            for f in folded {
                match f {
                    Fold::Char(out) => write(out, at, &mut text),
                    Fold::Space => write(' ', at, &mut text),
                    Fold::Attached | Fold::Invisible => {}
                    Fold::Keep | Fold::Expand(_) => unreachable!(),
                }
            }
        }
        (text, origin)
    }

    proptest::proptest! {
        /// Text with every kind of fold (kept, replaced, dropped, spaces, expansions of one
        /// character into several) and any character besides: the compact map gives every byte's
        /// origin and every boundary as the table does.
        #[test]
        fn the_map_agrees_with_the_reference(
            chars in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        'ب', 'ا', 'أ', 'ى', 'ة', 'ک', '\u{064E}', '\u{0651}', '\u{0640}', '\u{0670}',
                        '\u{FEFB}', '\u{FE91}', '\u{FE70}', '\u{FDF2}', '\u{FC5E}', ' ', '\n', '\t',
                        '\u{00A0}', '\u{2009}', '\u{200B}', '\u{200F}', '\u{2010}', '\u{2212}', '٢',
                        '۱', 'x', '-', '😀', 'é',
                    ]),
                    proptest::prelude::any::<char>(),
                ],
                0..48,
            )
        ) {
            let original: String = chars.into_iter().collect();
            let (text, origin) = reference(&original);
            let mut n = Normalizer::default();
            n.normalize(&original);
            proptest::prop_assert_eq!(n.as_str(), text.as_str());
            for (i, &at) in origin.iter().enumerate() {
                proptest::prop_assert_eq!(n.origin(i), at, "byte {}", i);
                let boundary = i == 0 || origin[i - 1] != at;
                proptest::prop_assert_eq!(n.is_source_boundary(i), boundary, "byte {}", i);
            }
            proptest::prop_assert!(n.is_source_boundary(text.len()));
        }
    }

    #[test]
    fn presentation_table_is_sorted() {
        assert!(PRESENTATION_FORMS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
