//! Demonyms: the forms of an adjective of nationality, derived from its stem.
//!
//! A gazetteer lists a demonym once, as the masculine singular nisba without the article
//! (`صيني`). Arabic inflects it regularly, so the loader derives the rest: feminine (`صينية`),
//! plurals (`صينيون`, `صينيين`, `صينيات`) and duals (`صينيان`, `صينيتان`, `صينيتين`), each with
//! and without the article ال. Forms are built on normalized text (ة is already ه). Broken
//! plurals (`روس`, `أتراك`) cannot be derived: a gazetteer lists them, and they are matched with
//! and without the article.

/// The endings added to a normalized stem, the bare stem first.
const ENDINGS: [&str; 8] = ["", "ه", "ون", "ين", "ات", "ان", "تان", "تين"];

/// Every form of the demonym whose normalized stem is `stem`.
///
/// A stem of several words inflects every word that ends in the nisba ي. The article goes on the
/// first word, and on each later inflected word when the first word is inflected too: adjective
/// pairs agree (`كوري جنوبي` → `الكوريه الجنوبيه`), compounds do not (`جنوب افريقي` →
/// `الجنوب افريقيه`).
///
/// ```
/// let forms = alam_engine::demonym::forms("صيني");
/// assert!(forms.contains(&"الصينيه".to_string()));
/// assert!(forms.contains(&"صينيين".to_string()));
/// let forms = alam_engine::demonym::forms("كوري جنوبي");
/// assert!(forms.contains(&"الكوريون الجنوبيون".to_string()));
/// let forms = alam_engine::demonym::forms("جنوب افريقي");
/// assert!(forms.contains(&"الجنوب افريقيه".to_string()));
/// ```
pub fn forms(stem: &str) -> Vec<String> {
    let words: Vec<&str> = stem.split(' ').collect();
    let first_inflects = words[0].ends_with('ي');
    let mut forms = Vec::with_capacity(ENDINGS.len() * 2);
    for ending in ENDINGS {
        let mut bare = Vec::with_capacity(words.len());
        let mut definite = Vec::with_capacity(words.len());
        for (i, word) in words.iter().enumerate() {
            let inflected = if word.ends_with('ي') {
                format!("{word}{ending}")
            } else {
                word.to_string()
            };
            let takes_article = i == 0 || (first_inflects && word.ends_with('ي'));
            definite.push(if takes_article {
                format!("ال{inflected}")
            } else {
                inflected.clone()
            });
            bare.push(inflected);
        }
        forms.push(bare.join(" "));
        forms.push(definite.join(" "));
    }
    forms
}

/// The forms of a broken plural (`روس`): as it is, and with the article.
///
/// ```
/// assert_eq!(alam_engine::demonym::plural_forms("روس"), ["روس", "الروس"]);
/// ```
pub fn plural_forms(plural: &str) -> [String; 2] {
    [plural.to_string(), format!("ال{plural}")]
}

#[cfg(test)]
mod tests {
    #[test]
    fn derives_sixteen_forms() {
        let forms = super::forms("كازاخي");
        assert_eq!(forms.len(), 16);
        for form in [
            "كازاخي",
            "الكازاخي",
            "الكازاخيه",
            "الكازاخيون",
            "الكازاخيين",
            "الكازاخيتان",
        ] {
            assert!(forms.iter().any(|f| f == form), "{form}");
        }
    }

    /// Each case: a stem of two words, forms it must yield, forms it must not.
    #[test]
    fn two_word_stems_agree_or_not() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "كوري جنوبي",
                &[
                    "كوري جنوبي",
                    "الكوري الجنوبي",
                    "الكوريه الجنوبيه",
                    "الكوريتان الجنوبيتان",
                ],
                &["الكوري جنوبي", "كوريه جنوبي"],
            ),
            (
                "جنوب افريقي",
                &[
                    "جنوب افريقي",
                    "الجنوب افريقي",
                    "الجنوب افريقيون",
                    "جنوب افريقيه",
                ],
                &["الجنوب الافريقي", "جنوبه افريقيه"],
            ),
        ];
        for &(stem, wanted, unwanted) in cases {
            let forms = super::forms(stem);
            assert_eq!(forms.len(), 16);
            for w in wanted {
                assert!(forms.iter().any(|f| f == w), "{stem} → {w}: {forms:?}");
            }
            for u in unwanted {
                assert!(!forms.iter().any(|f| f == u), "{stem} ↛ {u}");
            }
        }
    }
}
