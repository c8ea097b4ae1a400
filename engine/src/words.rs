//! Arabic word edges and proclitics: where a candidate match may start and end.
//!
//! The automaton finds candidates anywhere in the normalized text; these rules keep the ones
//! that stand as words. The right edge of a match must be a word edge. The left edge must be a
//! word edge too, or follow a proclitic inside the same word: the conjunction و or ف, then
//! optionally one of the prepositions ب ل ك. The rules run on normalized text, where diacritics
//! and tatweel are already gone, so `وَبِـ` is seen as `وب`.

use crate::normalize::{COMMON_CHARS, char_at, char_before, common_char, common_index_at};

/// Whether `c`, a character of normalized text, is part of a word.
///
/// Word characters are letters and marks (Unicode categories L and M). Normalization has
/// already dropped the Arabic marks and tatweel, so what is left to test is the letters and the
/// combining marks of other scripts. Digits, punctuation, white space and the hyphen are edges.
pub fn is_word_char(c: char) -> bool {
    match c as u32 {
        // The common cases first: Arabic letters (with tatweel) and ASCII.
        0x0621..=0x064A => true,
        0x0000..=0x007F => c.is_ascii_alphabetic(),
        _ => is_other_word_char(c),
    }
}

/// [`is_word_char`] by table for ASCII and the Arabic block, the characters of nearly every
/// text: the scan for word starts asks it of every character.
#[derive(Clone, Debug)]
pub(crate) struct WordChars {
    /// By [`crate::normalize::common_index`]: ASCII, then U+0600–U+06FF.
    common: [bool; COMMON_CHARS],
}

impl WordChars {
    pub(crate) fn new() -> WordChars {
        let common = std::array::from_fn(|index| is_word_char(common_char(index)));
        WordChars { common }
    }

    /// Whether the character at byte `at` of the UTF-8 text `text` is a word character, and
    /// its length in bytes.
    #[inline]
    pub(crate) fn at(&self, text: &[u8], at: usize) -> (bool, usize) {
        if let Some((index, len)) = common_index_at(text, at) {
            return (self.common[index], len);
        }
        let c = char_at(text, at);
        (is_word_char(c), c.len_utf8())
    }

    /// Whether byte `end` of the normalized text `text` is a word edge on the right.
    #[inline]
    pub(crate) fn is_right_edge(&self, text: &[u8], end: usize) -> bool {
        end == text.len() || !self.at(text, end).0
    }
}

fn is_other_word_char(c: char) -> bool {
    c.is_alphabetic()
        || matches!(c as u32,
            0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Arabic function words (prepositions, conjunctions, particles, pronouns, demonstratives,
/// relative pronouns, the commonest auxiliaries), in normalized spelling. A name, alias or short
/// name that is one of them would match ordinary prose everywhere, so a gazetteer that lists one
/// is refused.
pub(crate) const FUNCTION_WORDS: &[&str] = &[
    // Prepositions and their common compounds.
    "في",
    "من",
    "الي",
    "علي",
    "عن",
    "مع",
    "بين",
    "بعد",
    "قبل",
    "عند",
    "حتي",
    "منذ",
    "حول",
    "خلال",
    "ضد",
    "نحو",
    "لدي",
    "مثل",
    "امام",
    "دون",
    "سوي",
    "تحت",
    "فوق",
    "ذات",
    // Conjunctions and particles.
    "ثم",
    "او",
    "ام",
    "بل",
    "لكن",
    "ان",
    "لا",
    "لم",
    "لن",
    "ما",
    "قد",
    "لقد",
    "الا",
    "اذا",
    "لو",
    "كما",
    "حيث",
    "عندما",
    "اي",
    "كي",
    "لكي",
    "يا",
    "ليس",
    "كل",
    "بعض",
    "غير",
    // Pronouns, demonstratives, relative pronouns.
    "هو",
    "هي",
    "هم",
    "هن",
    "نحن",
    "انا",
    "انت",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هنا",
    "هناك",
    "الذي",
    "التي",
    "الذين",
    "اللذين",
    "اللتين",
    // Auxiliaries and pronoun-suffixed prepositions.
    "كان",
    "كانت",
    "يكون",
    "له",
    "لها",
    "لهم",
    "به",
    "بها",
    "فيه",
    "فيها",
    "منه",
    "منها",
    "عليه",
    "عليها",
];

/// The proclitics a name may carry, in normalized spelling.
pub const PROCLITICS: [&str; 11] = ["و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل", "فك"];

/// Whether `c` is a one-letter proclitic, the first letter of every entry of [`PROCLITICS`].
pub(crate) fn is_proclitic_letter(c: char) -> bool {
    matches!(c, 'و' | 'ف' | 'ب' | 'ل' | 'ك')
}

/// The one-letter proclitic at byte `at` of the UTF-8 text `text`, if the character there is
/// one, read from its two bytes: the scan for word starts asks it of every word.
#[inline]
pub(crate) fn proclitic_letter_at(text: &[u8], at: usize) -> Option<char> {
    // و U+0648, ف U+0641, ل U+0644, ك U+0643 are D9 xx in UTF-8; ب U+0628 is D8 A8.
    match (text[at], text.get(at + 1)?) {
        (0xD9, 0x88) => Some('و'),
        (0xD9, 0x81) => Some('ف'),
        (0xD9, 0x84) => Some('ل'),
        (0xD9, 0x83) => Some('ك'),
        (0xD8, 0xA8) => Some('ب'),
        _ => None,
    }
}

/// The byte where the word starting at byte `at` of the normalized text `text` ends.
pub(crate) fn word_end(text: &[u8], at: usize) -> usize {
    let mut end = at;
    while end < text.len() && is_word_char(char_at(text, end)) {
        end += char_at(text, end).len_utf8();
    }
    end
}

/// What stands before a candidate inside its word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// The candidate starts a word.
    WordStart,
    /// The candidate follows a proclitic of `len` bytes (normalized); `ends_in_lam` tells
    /// whether it ends in ل, the condition of the lam-lam contraction.
    Proclitic { len: usize, ends_in_lam: bool },
    /// The candidate starts inside a word, after letters that are not a proclitic.
    InsideWord,
}

/// What stands before byte `start` of the normalized text `text`, inside the same word.
pub(crate) fn prefix_before(text: &[u8], start: usize) -> Prefix {
    // Walk back over at most three word characters: a proclitic has one or two.
    let mut word_start = start;
    let mut letters = 0;
    while word_start > 0 {
        let c = char_before(text, word_start);
        if !is_word_char(c) {
            break;
        }
        letters += 1;
        if letters > 2 {
            return Prefix::InsideWord;
        }
        word_start -= c.len_utf8();
    }
    if letters == 0 {
        return Prefix::WordStart;
    }
    let prefix = &text[word_start..start];
    if PROCLITICS.iter().any(|p| p.as_bytes() == prefix) {
        Prefix::Proclitic {
            len: prefix.len(),
            ends_in_lam: prefix.ends_with("ل".as_bytes()),
        }
    } else {
        Prefix::InsideWord
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_words_are_listed_normalized() {
        for word in FUNCTION_WORDS {
            assert_eq!(crate::normalize(word), *word);
        }
    }

    #[test]
    fn the_table_agrees_with_the_rule() {
        let table = WordChars::new();
        let text: String = (0u32..0x0800)
            .chain(0xFB50..0xFF00)
            .filter_map(char::from_u32)
            .collect();
        for (at, c) in text.char_indices() {
            assert_eq!(
                table.at(text.as_bytes(), at),
                (is_word_char(c), c.len_utf8()),
                "{c:?}"
            );
        }
    }

    #[test]
    fn word_characters() {
        for c in ['ب', 'ء', 'a', 'é', '\u{0301}'] {
            assert!(is_word_char(c), "{c:?}");
        }
        for c in [' ', '-', '،', '«', '»', '(', '1', '.', '"', '/'] {
            assert!(!is_word_char(c), "{c:?}");
        }
    }

    #[test]
    fn prefixes() {
        // Each case: normalized text with the candidate after `|`, and what stands before it.
        let cases: &[(&str, Prefix)] = &[
            ("|الصين", Prefix::WordStart),
            ("في |الصين", Prefix::WordStart),
            ("(|الصين", Prefix::WordStart),
            ("-|الكازاخيه", Prefix::WordStart),
            (
                "و|كازاخستان",
                Prefix::Proclitic {
                    len: 2,
                    ends_in_lam: false,
                },
            ),
            (
                "ف|كازاخستان",
                Prefix::Proclitic {
                    len: 2,
                    ends_in_lam: false,
                },
            ),
            (
                "ب|الطريق",
                Prefix::Proclitic {
                    len: 2,
                    ends_in_lam: false,
                },
            ),
            (
                "ل|لصين",
                Prefix::Proclitic {
                    len: 2,
                    ends_in_lam: true,
                },
            ),
            (
                "ك|الامم",
                Prefix::Proclitic {
                    len: 2,
                    ends_in_lam: false,
                },
            ),
            (
                "وب|الصين",
                Prefix::Proclitic {
                    len: 4,
                    ends_in_lam: false,
                },
            ),
            (
                "ول|لصين",
                Prefix::Proclitic {
                    len: 4,
                    ends_in_lam: true,
                },
            ),
            (
                "وك|الصين",
                Prefix::Proclitic {
                    len: 4,
                    ends_in_lam: false,
                },
            ),
            (
                "فب|الصين",
                Prefix::Proclitic {
                    len: 4,
                    ends_in_lam: false,
                },
            ),
            (
                "فل|لصين",
                Prefix::Proclitic {
                    len: 4,
                    ends_in_lam: true,
                },
            ),
            (
                "فك|الصين",
                Prefix::Proclitic {
                    len: 4,
                    ends_in_lam: false,
                },
            ),
            ("م|الصين", Prefix::InsideWord),
            ("بو|الصين", Prefix::InsideWord),
            ("وبل|الصين", Prefix::InsideWord),
            ("سيا|سه", Prefix::InsideWord),
        ];
        for (case, expected) in cases {
            let start = case.find('|').unwrap();
            let text = case.replace('|', "");
            assert_eq!(prefix_before(text.as_bytes(), start), *expected, "{case}");
        }
    }

    #[test]
    fn right_edges() {
        let text = "الصين، الصينيه-x";
        let bytes = text.as_bytes();
        let words = WordChars::new();
        assert!(words.is_right_edge(bytes, "الصين".len()));
        assert!(!words.is_right_edge(bytes, "الصين، الصين".len()));
        assert!(words.is_right_edge(bytes, "الصين، الصينيه".len()));
        assert!(words.is_right_edge(bytes, text.len()));
    }

    #[test]
    fn proclitic_letters_read_from_bytes_agree_with_the_characters() {
        let text: String = ('\u{0600}'..='\u{06FF}').chain(['a', ' ', 'é']).collect();
        for (at, c) in text.char_indices() {
            let expected = is_proclitic_letter(c).then_some(c);
            assert_eq!(proclitic_letter_at(text.as_bytes(), at), expected, "{c:?}");
        }
        // A lone lead byte at the end of a buffer is no letter.
        assert_eq!(proclitic_letter_at(&[0xD9], 0), None);
    }
}
