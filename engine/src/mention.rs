//! What extraction returns: mentions of entities, with their spans and forms.

use std::collections::HashMap;
use std::fmt;

use crate::gazetteer::Entity;

/// How a mention names its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// A full name or an alias listed for the entity (`شي جين بينغ`, `مبادرة الحزام والطريق`).
    Name,
    /// A person's short name (a surname: `توكاييف`, `لي`), resolved from a full name in the
    /// same document.
    Short,
    /// An adjective of nationality (`الصيني`, `الكازاخية`) standing for its country.
    Demonym,
}

impl Form {
    /// The name used in JSON output and in the golden files: `name`, `short` or `demonym`.
    pub fn name(self) -> &'static str {
        match self {
            Form::Name => "name",
            Form::Short => "short",
            Form::Demonym => "demonym",
        }
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One mention of an entity in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention<'a> {
    /// Where the mention starts, in the requested [`crate::OffsetEncoding`].
    pub start: usize,
    /// Where the mention ends (exclusive), in the requested encoding.
    pub end: usize,
    /// The mention exactly as the original text has it, diacritics included.
    pub text: &'a str,
    /// The entity named; `None` when the mention is ambiguous (see `candidates`).
    pub entity: Option<&'a Entity>,
    /// For an ambiguous mention, every entity it may stand for; empty otherwise.
    pub candidates: Vec<&'a Entity>,
    /// How the mention names its entity.
    pub form: Form,
    /// The proclitic attached before the mention in the original text (`و` in `وكازاخستان`),
    /// or `""`.
    pub proclitic: &'a str,
}

impl<'a> Mention<'a> {
    /// The entity's id, or `""` for an ambiguous mention.
    pub fn entity_id(&self) -> &'a str {
        self.entity.map_or("", |e| e.id.as_str())
    }

    /// The entity type (`person`, `country`, …): the entity's, or for an ambiguous mention the
    /// type its candidates share (`""` when they differ).
    pub fn entity_type(&self) -> &'a str {
        if let Some(entity) = self.entity {
            return entity.entity_type();
        }
        let mut types = self.candidates.iter().map(|e| e.entity_type());
        let first = types.next().unwrap_or("");
        if types.all(|t| t == first) { first } else { "" }
    }
}

/// Each distinct entity found in a document, with how many mentions name it, in order of
/// first mention. Ambiguous mentions count for none.
pub fn entity_counts<'a>(mentions: &[Mention<'a>]) -> Vec<(&'a Entity, usize)> {
    let mut counts: Vec<(&'a Entity, usize)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for entity in mentions.iter().filter_map(|m| m.entity) {
        match index.get(entity.id.as_str()) {
            Some(&i) => counts[i].1 += 1,
            None => {
                index.insert(entity.id.as_str(), counts.len());
                counts.push((entity, 1));
            }
        }
    }
    counts
}
