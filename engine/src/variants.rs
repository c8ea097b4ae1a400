//! Spelling variants of transliterated names, generated so that one canonical spelling also finds
//! the forms other outlets write.
//!
//! Arabic outlets transliterate foreign names in different ways, and the differences follow a
//! few patterns: /g/ is written غ, ج, ق or ك (`غوتيريش` / `جوتيريش`, `توكاييف` / `توقاييف`), a
//! ya is doubled or not (`توكاييف` / `توكايف`), hamza on ya is written or not (`ميرضيائيف` /
//! `ميرضيايف`), an inner long vowel is written or not (`بيشكيك` / `بيشكك`, `جومارت` / `جومرت`),
//! compounds are joined or split (`عبد العزيز` / `عبدالعزيز`, `جين بينغ` / `جينبينغ`), and a
//! hyphen becomes a space or nothing (`ألما-آتا` / `ألما آتا`). [`generate`] applies those
//! patterns to one normalized surface.
//!
//! The letter rules leave alone the words of Arabic origin inside names (`عبد`, `بن`, words with
//! the article, `جمهورية` …): they are spelled one way. The rules over-generate on purpose, since
//! a spelling nobody writes costs only a pattern; what must never happen is a variant that is an
//! ordinary word. So the gazetteer drops every variant listed in a `refused_variants` list
//! (made from a word-frequency list of Arabic by `scripts/refuse_common_variants.py`), and every
//! variant that is another entity's name (see [`crate::Gazetteer::refused_variants`]).

/// The most variants one surface yields: the first rules are the most productive, so a cap keeps
/// the automaton small without losing the common spellings.
pub const MAX_PER_SURFACE: usize = 16;

use crate::hash::FastSet;

/// Words of Arabic origin that occur inside names and are spelled one way (normalized).
const ARABIC_WORDS: &[&str] = &[
    "عبد",
    "بن",
    "ابن",
    "بنت",
    "ابو",
    "ام",
    "ال",
    "آل",
    "جمهوريه",
    "مملكه",
    "دوله",
    "سلطنه",
    "اماره",
    "مدينه",
    "جزر",
    "جزيره",
    "اتحاد",
    "شمال",
    "جنوب",
    "شرق",
    "غرب",
    "وسط",
    "نهر",
    "جبل",
    "بحر",
    "خليج",
    "الملك",
    "امير",
    "شيخ",
    "ملك",
    "سلطان",
    "ولد",
    "محمد",
    "محمود",
    "احمد",
    "حامد",
    "علي",
    "حسن",
    "حسين",
    "عمر",
    "عثمان",
    "خالد",
    "سعيد",
    "سعد",
    "عباس",
    "قاسم",
    "كريم",
    "جمال",
    "جعفر",
    "قادر",
    "غني",
    "كمال",
    "كامل",
    "شريف",
    "جواد",
    "مجيد",
    "جاسم",
    "غازي",
    "قيس",
    "سليمان",
    "سلمان",
    "يوسف",
    "ابراهيم",
    "اسماعيل",
    "مصطفي",
    "منصور",
    "ناصر",
    "نصر",
    "راشد",
    "زايد",
    "حمد",
    "فيصل",
    "طارق",
    "صالح",
    "صباح",
    "فؤاد",
    "عادل",
    "عماد",
    "مراد",
    "رشيد",
    "نجيب",
];

/// One letter rule: every occurrence of `from` in a foreign word becomes `to`.
const LETTER_RULES: &[(&str, &str)] = &[
    ("ئ", "ي"),
    ("يي", "ي"),
    ("غ", "ج"),
    ("ج", "غ"),
    ("ك", "ق"),
    ("ق", "ك"),
    ("غ", "ق"),
    ("ق", "غ"),
];

/// Long vowels that outlets write or leave out inside a foreign word.
const LONG_VOWELS: [char; 3] = ['ا', 'و', 'ي'];

/// The spelling variants of `surface`, a normalized name: sorted, without `surface` itself, at
/// most [`MAX_PER_SURFACE`].
///
/// Variants are made by steps (a shape of the compound, a letter rule, one vowel left out),
/// breadth first: every variant one step away comes before any two steps away, so that the cap
/// drops the least likely spellings. Letter rules compose (ئ → ي, then يي → ي, turns `ميرضيائيف`
/// into `ميرضيايف`); at most one vowel is left out.
///
/// ```
/// let variants = alam_engine::variants::generate("قاسم جومارت توكاييف");
/// assert!(variants.contains(&"قاسم جومارت توكايف".to_string()));
/// assert!(variants.contains(&"قاسم جومارت توقاييف".to_string()));
/// assert!(variants.contains(&"قاسم جومرت توكاييف".to_string()));
/// assert!(!variants.iter().any(|v| v.starts_with("كاسم"))); // an Arabic given name
/// ```
pub fn generate(surface: &str) -> Vec<String> {
    /// How many steps a variant may be from the surface.
    const MAX_STEPS: usize = 3;
    // (variant, whether a vowel was left out on the way)
    let mut level: Vec<(String, bool)> = vec![(surface.to_string(), false)];
    let mut found: Vec<String> = Vec::new();
    let mut seen: FastSet<String> = [surface.to_string(), String::new()].into_iter().collect();
    'steps: for step in 0..MAX_STEPS {
        let mut next: Vec<(String, bool)> = Vec::new();
        for (s, dropped) in &level {
            let mut made: Vec<(String, bool)> = Vec::new();
            if step == 0 {
                made.extend(shapes(s).into_iter().map(|v| (v, false)));
            }
            // A rule whose letters the name lacks would only remake it (already seen).
            for &(from, to) in LETTER_RULES.iter().filter(|(from, _)| s.contains(from)) {
                made.push((map_foreign_words(s, |w| w.replace(from, to)), *dropped));
            }
            if !dropped {
                made.extend(vowel_drops(s).into_iter().map(|v| (v, true)));
            }
            for (v, d) in made {
                if seen.insert(v.clone()) {
                    found.push(v.clone());
                    // The cap keeps the first ones made: the rest need not be made at all.
                    if found.len() == MAX_PER_SURFACE {
                        break 'steps;
                    }
                    next.push((v, d));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    found.truncate(MAX_PER_SURFACE);
    found.sort();
    found
}

/// The shapes of a compound: hyphens as spaces or nothing, adjacent words joined, `عبدال…` split
/// after `عبد`, and for names of up to three words a hyphen in place of a space.
fn shapes(surface: &str) -> Vec<String> {
    let mut shapes = Vec::new();
    let mut push = |s: String| {
        if s != surface && !shapes.contains(&s) {
            shapes.push(s);
        }
    };
    if surface.contains('-') {
        push(surface.replace(" - ", " ").replace('-', " "));
        push(surface.replace(" - ", "").replace('-', ""));
    }
    let words: Vec<&str> = surface.split(' ').collect();
    for i in 1..words.len() {
        let (left, right) = (words[i - 1], words[i]);
        let article_compound = ["عبد", "ابو"].contains(&left) && right.starts_with("ال");
        if (is_joinable(left) && is_joinable(right)) || article_compound {
            push(join_at(&words, i, ""));
        }
        let hyphenable = |w: &str| w.chars().count() >= 2 && !ARABIC_WORDS.contains(&w);
        if words.len() <= 3 && hyphenable(left) && hyphenable(right) {
            push(join_at(&words, i, "-"));
        }
    }
    for (i, word) in words.iter().enumerate() {
        if let Some(rest) = word.strip_prefix("عبد")
            && rest.starts_with("ال")
            && rest.chars().count() > 3
        {
            let mut split: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            split[i] = format!("عبد {rest}");
            push(split.join(" "));
        }
    }
    shapes
}

/// Whether a word may be joined to its neighbour: a foreign word (`قربان قولي` → `قربانقولي`,
/// `جين بينغ` → `جينبينغ`) of two letters or more. Arabic words are joined only in the compounds
/// `عبد ال…` and `ابو ال…`.
fn is_joinable(word: &str) -> bool {
    word.chars().count() >= 2 && !word.contains('-') && is_foreign(word)
}

/// `words` with the gap before word `i` replaced by `glue`.
fn join_at(words: &[&str], i: usize, glue: &str) -> String {
    let mut out = String::new();
    for (j, w) in words.iter().enumerate() {
        if j > 0 {
            out.push_str(if j == i { glue } else { " " });
        }
        out.push_str(w);
    }
    out
}

/// Whether a word is a transliterated foreign word, which the letter rules may respell.
fn is_foreign(word: &str) -> bool {
    !word.starts_with("ال") && !word.starts_with("عبد") && !ARABIC_WORDS.contains(&word)
}

/// `surface` with `f` applied to each foreign word (words split on spaces and hyphens).
fn map_foreign_words(surface: &str, f: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(surface.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if is_foreign(word) {
            out.push_str(&f(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in surface.chars() {
        if c == ' ' || c == '-' {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Each variant of `surface` with one inner long vowel of a foreign word of five letters or more
/// left out: not the first or last letter, and not next to another long vowel (`يي`, `يو` are
/// spellings of their own).
fn vowel_drops(surface: &str) -> Vec<String> {
    let mut drops = Vec::new();
    let mut offset = 0;
    for word in surface.split(' ') {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        if is_foreign(word) && !word.contains('-') && chars.len() >= 5 {
            for k in 1..chars.len() - 1 {
                let c = chars[k].1;
                let beside_vowel =
                    LONG_VOWELS.contains(&chars[k - 1].1) || LONG_VOWELS.contains(&chars[k + 1].1);
                if LONG_VOWELS.contains(&c) && !beside_vowel {
                    let at = offset + chars[k].0;
                    let mut dropped = String::with_capacity(surface.len());
                    dropped.push_str(&surface[..at]);
                    dropped.push_str(&surface[at + c.len_utf8()..]);
                    drops.push(dropped);
                }
            }
        }
        offset += word.len() + 1;
    }
    drops
}

#[cfg(test)]
mod tests {
    use super::generate;

    /// Each case: a normalized surface, variants it must yield, variants it must not.
    #[test]
    fn press_spellings_are_generated() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("غوتيريش", &["جوتيريش"], &[]),
            ("باراغواي", &["باراجواي"], &[]),
            ("توكاييف", &["توكايف", "توقاييف"], &[]),
            ("ميرضيائيف", &["ميرضيايف", "ميرضياييف"], &[]),
            ("بيشكيك", &["بيشكك"], &[]),
            (
                "قاسم جومارت توكاييف",
                &["قاسم جومرت توكاييف"],
                &["كاسم جومارت توكاييف"],
            ),
            ("عبد العزيز", &["عبدالعزيز"], &[]),
            ("عبدالله", &["عبد الله"], &[]),
            ("قربان قولي", &["قربانقولي"], &[]),
            ("شي جين بينغ", &["شي جينبينغ", "شي جين بينج"], &[]),
            ("الما-اتا", &["الما اتا", "المااتا"], &[]),
            ("الما اتا", &["الما-اتا"], &[]),
            ("محمد بن سلمان", &[], &["محمد بن سلمان", "مهمد بن سلمان"]),
        ];
        for &(surface, wanted, unwanted) in cases {
            let variants = generate(surface);
            for w in wanted {
                assert!(
                    variants.iter().any(|v| v == w),
                    "{surface} → {w}: {variants:?}"
                );
            }
            for u in unwanted {
                assert!(
                    !variants.iter().any(|v| v == u),
                    "{surface} ↛ {u}: {variants:?}"
                );
            }
            assert!(variants.len() <= super::MAX_PER_SURFACE);
        }
    }

    #[test]
    fn a_surface_with_nothing_to_vary_yields_nothing() {
        assert!(generate("مصر").is_empty());
        assert!(generate("الصين").is_empty());
    }
}
