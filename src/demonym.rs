//! Demonyms: the forms of an adjective of nationality, derived from its stem.
//!
//! A gazetteer lists a demonym once, as the masculine singular nisba without the article
//! (`صيني`). Arabic inflects it regularly, so the loader derives the rest: feminine (`صينية`),
//! plurals (`صينيون`, `صينيين`, `صينيات`) and duals (`صينيان`, `صينيتان`, `صينيتين`), each with
//! and without the article ال. Forms are built on normalized text (ة is already ه).

/// The endings added to a normalized stem, the bare stem first.
const ENDINGS: [&str; 8] = ["", "ه", "ون", "ين", "ات", "ان", "تان", "تين"];

/// Every form of the demonym whose normalized stem is `stem`.
///
/// ```
/// let forms = alam::demonym::forms("صيني");
/// assert!(forms.contains(&"الصينيه".to_string()));
/// assert!(forms.contains(&"صينيين".to_string()));
/// ```
pub fn forms(stem: &str) -> Vec<String> {
    let mut forms = Vec::with_capacity(ENDINGS.len() * 2);
    for ending in ENDINGS {
        forms.push(format!("{stem}{ending}"));
        forms.push(format!("ال{stem}{ending}"));
    }
    forms
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
}
