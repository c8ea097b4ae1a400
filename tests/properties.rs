//! Properties that hold for any input: extraction never panics; every span lies on character
//! boundaries of its encoding and slices out exactly the mention's text; mentions are sorted and
//! do not overlap; the same text gives the same result twice.

use alam_engine::{ExtractOptions, OffsetEncoding};
use proptest::prelude::*;

use crate::common::{ENCODINGS, extractor};
use crate::fuzz_checks;

/// Pieces that exercise the rules: names, proclitics, marks, invisible characters, ligatures,
/// white space, punctuation and characters outside the BMP.
const PIECES: &[&str] = &[
    "الصين",
    "كازاخستان",
    "قازاقستان",
    "شي جين بينغ",
    "شي",
    "لي",
    "لي تشيانغ",
    "لي كه تشيانغ",
    "توكاييف",
    "الصيني",
    "الكازاخية",
    "مجلس الدولة الصيني",
    "الحزام والطريق",
    "مبادرة",
    "منظمة شانغهاي للتعاون",
    "و",
    "ف",
    "ب",
    "ل",
    "ك",
    "ال",
    "لل",
    "ي",
    "ة",
    "ى",
    "أ",
    "ء",
    "َ",
    "ُ",
    "ِّ",
    "ً",
    "ـ",
    "\u{200B}",
    "\u{200F}",
    "\u{FEFF}",
    "ﻻ",
    "ﺑﻜﻴﻦ",
    "ﷲ",
    "\u{FE70}",
    " ",
    "  ",
    "\n",
    "\u{00A0}",
    "-",
    "–",
    "،",
    ".",
    "«",
    "»",
    "(",
    ")",
    "٢٠٢٤",
    "2024",
    "😀",
    "𝔸",
    "a",
    "é",
    "e\u{0301}",
    "中国",
];

fn text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// The slice of `text` between two offsets of `encoding`.
fn slice(text: &str, encoding: OffsetEncoding, start: usize, end: usize) -> String {
    match encoding {
        OffsetEncoding::Utf8 => text[start..end].to_string(),
        OffsetEncoding::CodePoint => text.chars().skip(start).take(end - start).collect(),
        OffsetEncoding::Utf16 => {
            let units: Vec<u16> = text.encode_utf16().collect();
            String::from_utf16(&units[start..end]).expect("a span on UTF-16 boundaries")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn spans_are_exact_sorted_disjoint_and_stable(text in text_strategy()) {
        for encoding in ENCODINGS {
            let options = ExtractOptions { offsets: encoding, ..Default::default() };
            let mentions = extractor().extract(&text, &options).expect("extraction succeeds");
            let valid = fuzz_checks::boundaries(&text, encoding);
            let mut previous_end = 0;
            for m in &mentions {
                prop_assert!(m.start < m.end, "empty span {}..{}", m.start, m.end);
                prop_assert!(valid.binary_search(&m.start).is_ok(), "start {} not on a boundary", m.start);
                prop_assert!(valid.binary_search(&m.end).is_ok(), "end {} not on a boundary", m.end);
                prop_assert!(m.start >= previous_end, "mentions overlap or are unsorted");
                prop_assert_eq!(slice(&text, encoding, m.start, m.end), m.text);
                prop_assert!(m.entity.is_some() != (m.candidates.len() > 1), "one entity or several candidates");
                previous_end = m.end;
            }
            let again = extractor().extract(&text, &options).expect("extraction succeeds");
            prop_assert_eq!(&mentions, &again);
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in any::<String>()) {
        let mentions = extractor().extract(&text, &ExtractOptions::default()).expect("extraction succeeds");
        prop_assert!(mentions.windows(2).all(|w| w[0].end <= w[1].start));
    }
}
