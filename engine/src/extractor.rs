//! The extractor: one trie over every normalized alias, and the rules that turn its candidates
//! into mentions.
//!
//! Building an [`Extractor`] normalizes every surface of every entity (names, aliases, short
//! names, derived demonym forms, and the lam-lam variant of those that begin with ال) and
//! compiles them into one trie ([`crate::trie`]). The extractor is immutable afterwards and
//! shared by every request (`Send + Sync`).
//!
//! Extraction normalizes the text, walks the trie from every place where a name may start (a
//! word start, after a proclitic), so that every valid candidate is found, none hidden behind an
//! invalid longer one; keeps the candidates that stand as words ([`crate::words`]), chooses among
//! overlapping ones (the longest, then the leftmost), resolves short names and ambiguous aliases
//! within the document, and maps spans back to the original text.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

use crate::error::{Error, ExtractError};
use crate::gazetteer::{Entity, Gazetteer, GazetteerSource, SurfaceKind};
use crate::hash::{FastMap, FastSet};
use crate::mention::{Form, Mention};
use crate::normalize::{Normalizer, char_before, normalize};
use crate::offsets::{OffsetEncoding, to_encoding};
use crate::trie::Trie;
use crate::words::{
    PROCLITICS, Prefix, WordChars, is_proclitic_letter, is_word_char, prefix_before,
    proclitic_letter_at, word_end,
};

/// Where a surface may stand inside a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Attach {
    /// At a word start only: aliases of two letters or fewer take no proclitic (`ولي` is not Li).
    WordStart,
    /// At a word start or after a proclitic.
    Proclitic,
    /// Only after a proclitic ending in ل: the lam-lam variant of an alias in ال (`للصين`).
    AfterLam,
}

impl Attach {
    fn allows(self, prefix: Prefix) -> bool {
        match (self, prefix) {
            (_, Prefix::InsideWord) => false,
            (Attach::WordStart, Prefix::WordStart) => true,
            (Attach::WordStart, Prefix::Proclitic { .. }) => false,
            (Attach::Proclitic, _) => true,
            (Attach::AfterLam, Prefix::Proclitic { ends_in_lam, .. }) => ends_in_lam,
            (Attach::AfterLam, Prefix::WordStart) => false,
        }
    }
}

/// One meaning of a pattern: which entity, in which form, under which attachment rule; a short
/// name is `standalone` when it is found without the full name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Sense {
    entity: u32,
    form: Form,
    attach: Attach,
    standalone: bool,
}

/// A person's name of several words, matched by its parts: its last word (the tail, a pattern
/// of the trie) and the words before it (the head, checked by looking back from the tail).
///
/// This is how the spelling variants of full names are matched without listing every
/// combination (the variants of the head times those of the tail) as a pattern, and how a name
/// carries inner parts: `head … tail` also matches with one or two words between them (a
/// patronymic, an extra given name: `ألكسندر غريغوريفيتش لوكاشينكو` for `ألكسندر لوكاشينكو`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ComposedName {
    /// Index into the spellings table: every spelling of the head and of the tail, normalized.
    spellings: usize,
    /// Whether words may stand between head and tail: only for a head of three letters or more.
    inner_parts: bool,
    /// The pattern index (past the trie's own) whose single sense names the person.
    pattern: usize,
}

/// The patterns of the trie (distinct normalized surfaces) and their senses, then the
/// patterns that stand for composed names (they have senses but no text).
struct Patterns {
    texts: Vec<String>,
    senses: Vec<Vec<Sense>>,
    /// For each pattern of `texts`, the composed names whose tail it is.
    composed: Vec<Vec<ComposedName>>,
    /// The spellings of each composed name's head and tail.
    spellings: Vec<NameSpellings>,
    /// Whether each pattern (composed names included) is a not-name phrase.
    not_name: Vec<bool>,
}

/// Every spelling of a composed name's head and of its tail (one word), normalized.
#[derive(Clone, Debug, Default)]
struct NameSpellings {
    heads: Vec<String>,
    tails: Vec<String>,
}

/// A composed name being collected: its tails and heads (canonical first), and its sense.
struct NameParts {
    tails: Vec<String>,
    heads: Vec<String>,
    sense: Sense,
}

impl Patterns {
    fn collect(gazetteer: &Gazetteer) -> Patterns {
        let mut patterns = Patterns {
            texts: Vec::new(),
            senses: Vec::new(),
            composed: Vec::new(),
            spellings: Vec::new(),
            not_name: Vec::new(),
        };
        // Each pattern's text is kept once, as a key of this index, until the end.
        let mut index: FastMap<String, usize> = FastMap::default();
        let mut composed: Vec<NameParts> = Vec::new();
        for (i, entity) in gazetteer.entities().iter().enumerate() {
            let entity_index = u32::try_from(i).expect("fewer than 2^32 entities");
            // A person's variants of a name of several words are matched by its parts, not
            // listed: collect the parts, and leave those variants out of the patterns.
            let mut by_parts: HashSet<&str> = HashSet::new();
            if entity.entity_type() == "person" {
                for name in entity.names() {
                    let name = normalize(name).trim().to_string();
                    let Some((head, tail)) = split_name(&name) else {
                        continue;
                    };
                    let mut parts = NameParts {
                        tails: vec![tail.to_string()],
                        heads: vec![head.to_string()],
                        sense: Sense {
                            entity: entity_index,
                            form: Form::Name,
                            attach: Attach::Proclitic,
                            standalone: false,
                        },
                    };
                    // Only variants of as many words as the name split where it does: the
                    // heads and tails are combined freely, and a joined variant (`لي كهتشيانغ`
                    // of `لي كه تشيانغ`) would lend its head `لي` to the tail `تشيانغ`, making
                    // `لي تشيانغ`, another person's name. The others stay patterns of their own.
                    let words = name.matches(' ').count();
                    for variant in entity.generated_variants.iter().filter(|v| {
                        v.kind == SurfaceKind::Name
                            && v.source == name
                            && v.text.matches(' ').count() == words
                    }) {
                        if let Some((h, t)) = split_name(&variant.text) {
                            by_parts.insert(&variant.text);
                            if !parts.heads.iter().any(|x| x == h) {
                                parts.heads.push(h.to_string());
                            }
                            if !parts.tails.iter().any(|x| x == t) {
                                parts.tails.push(t.to_string());
                            }
                        }
                    }
                    composed.push(parts);
                }
            }
            for (surface, form, standalone) in surfaces(entity) {
                if form == Form::Name && by_parts.contains(surface.as_str()) {
                    continue;
                }
                let short = surface.chars().filter(|&c| is_word_char(c)).count() <= 2;
                let attach = if short {
                    Attach::WordStart
                } else {
                    Attach::Proclitic
                };
                if attach == Attach::Proclitic && surface.starts_with("ال") {
                    // ل + الصين is written للصين (the alif drops); ل + اللجنة is written للجنة
                    // (the article's lam merges into the word's own, under a shadda).
                    let dropped = if surface.starts_with("الل") {
                        "ال"
                    } else {
                        "ا"
                    };
                    let lam_lam = surface[dropped.len()..].to_string();
                    patterns.add(
                        &mut index,
                        lam_lam,
                        Sense {
                            entity: entity_index,
                            form,
                            attach: Attach::AfterLam,
                            standalone,
                        },
                    );
                }
                patterns.add(
                    &mut index,
                    surface,
                    Sense {
                        entity: entity_index,
                        form,
                        attach,
                        standalone,
                    },
                );
            }
        }
        // A not-name phrase is a pattern with no sense: matched as a candidate, it hides the
        // names inside it, then yields nothing. No name shares its text (the loader checks).
        let not_names: Vec<usize> = gazetteer
            .not_names()
            .iter()
            .map(|phrase| patterns.pattern(&mut index, phrase))
            .collect();
        let tail_patterns: Vec<Vec<usize>> = composed
            .iter()
            .map(|parts| {
                parts
                    .tails
                    .iter()
                    .map(|t| patterns.pattern(&mut index, t))
                    .collect()
            })
            .collect();
        patterns.texts = vec![String::new(); index.len()];
        for (text, i) in index {
            patterns.texts[i] = text;
        }
        patterns.composed = vec![Vec::new(); patterns.texts.len()];
        for (parts, tails) in composed.into_iter().zip(tail_patterns) {
            let letters = parts.heads[0].chars().filter(|&c| is_word_char(c)).count();
            patterns.senses.push(vec![parts.sense]);
            let name = ComposedName {
                spellings: patterns.spellings.len(),
                // `X بن Y` takes no inner parts: the words after بن are the father's name and
                // his own patronymic, not parts of this name (`سلمان بن عبدالعزيز والأمير حمد`
                // is not `سلمان بن حمد`).
                inner_parts: letters >= 3 && !ends_in_patronymic_particle(&parts.heads[0]),
                pattern: patterns.senses.len() - 1,
            };
            patterns.spellings.push(NameSpellings {
                heads: parts.heads,
                tails: parts.tails,
            });
            for tail in tails {
                patterns.composed[tail].push(name.clone());
            }
        }
        patterns.not_name = vec![false; patterns.senses.len()];
        for i in not_names {
            patterns.not_name[i] = true;
        }
        patterns
    }

    /// The index of the pattern `text`, added with no sense if new (its text goes into `texts`
    /// at the end of [`Patterns::collect`]).
    fn pattern(&mut self, index: &mut FastMap<String, usize>, text: &str) -> usize {
        if let Some(&i) = index.get(text) {
            return i;
        }
        self.senses.push(Vec::new());
        index.insert(text.to_string(), self.senses.len() - 1);
        self.senses.len() - 1
    }

    fn add(&mut self, index: &mut FastMap<String, usize>, text: String, sense: Sense) {
        let i = match index.get(&text) {
            Some(&i) => i,
            None => {
                self.senses.push(Vec::new());
                index.insert(text, self.senses.len() - 1);
                self.senses.len() - 1
            }
        };
        if !self.senses[i].contains(&sense) {
            self.senses[i].push(sense);
        }
    }
}

/// A normalized name of several words split into (head, last word); `None` for a name of one
/// word, or whose last word is too short to anchor a match (two letters or fewer) or is not all
/// letters (`ألما-آتا`).
fn split_name(name: &str) -> Option<(&str, &str)> {
    let (head, tail) = name.rsplit_once(' ')?;
    let tail_ok = tail.chars().count() > 2 && tail.chars().all(is_word_char);
    let head_ok = head.chars().any(is_word_char);
    (tail_ok && head_ok).then_some((head, tail))
}

/// Every normalized surface of an entity, with its form and whether it is a standalone short
/// name: the listed ones, the derived demonym forms, and the generated variants.
fn surfaces(entity: &Entity) -> impl Iterator<Item = (String, Form, bool)> + '_ {
    let of_kind = |kind: SurfaceKind| match kind {
        SurfaceKind::Name => (Form::Name, false),
        SurfaceKind::ShortName => (Form::Short, false),
        SurfaceKind::StandaloneShortName => (Form::Short, true),
    };
    let listed = entity.variant_sources().map(move |(surface, kind)| {
        let (form, standalone) = of_kind(kind);
        (normalize(surface).trim().to_string(), form, standalone)
    });
    let generated = entity.generated_variants.iter().map(move |v| {
        let (form, standalone) = of_kind(v.kind);
        (v.text.clone(), form, standalone)
    });
    let demonyms = entity.demonym_forms().map(|f| (f, Form::Demonym, false));
    listed.chain(generated).chain(demonyms)
}

/// Which entity types to report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeFilter(Option<Vec<String>>);

impl TypeFilter {
    /// Every type.
    pub fn all() -> TypeFilter {
        TypeFilter(None)
    }

    fn allows(&self, entity_type: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == entity_type))
    }
}

/// What to extract and how to report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtractOptions {
    /// How `start` and `end` count.
    pub offsets: OffsetEncoding,
    /// Which types to report (made by [`Extractor::type_filter`]).
    pub types: TypeFilter,
}

/// Figures about the trie, for `GetInfo`, `alam check` and the benchmarks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildStats {
    /// Distinct normalized surfaces in the trie.
    pub patterns: usize,
    /// Time to normalize the surfaces and build the trie.
    pub build_time: Duration,
    /// Heap memory of the trie.
    pub automaton_bytes: usize,
    /// What the matcher is (the trie, walked anchored).
    pub automaton_kind: &'static str,
}

/// An alias that stands for several entities (a report of `alam check`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedAlias<'a> {
    /// The alias, normalized.
    pub alias: String,
    /// Each entity it stands for, and in which form.
    pub entities: Vec<(&'a Entity, Form)>,
}

impl SharedAlias<'_> {
    /// Whether a mention of the alias is resolved by the countries the document names (the
    /// entities are all cities, all countries or all organizations, and none by a short name),
    /// before it is reported with every candidate.
    pub fn resolved_by_document_countries(&self) -> bool {
        self.entities.iter().all(|(_, form)| *form != Form::Short)
            && resolved_by_document_countries(self.entities.iter().map(|(e, _)| *e))
    }
}

/// Whether a name these entities share is resolved by the document's countries: they are all
/// cities, all countries or all organizations. Persons' shared names follow the document's full
/// names instead, and a city and a country (`الكويت`) stay ambiguous.
fn resolved_by_document_countries<'e>(mut entities: impl Iterator<Item = &'e Entity>) -> bool {
    let Some(first) = entities.next() else {
        return false;
    };
    let kind = first.entity_type();
    matches!(kind, "city" | "country" | "organization") && entities.all(|e| e.entity_type() == kind)
}

/// Finds the entities of a gazetteer in text. Build once, share everywhere.
///
/// ```
/// use alam_engine::{ExtractOptions, Extractor};
///
/// let extractor = Extractor::embedded().unwrap();
/// let text = "التقى شي جين بينغ بالرئيس الكازاخي في أستانا. وقال شي إن الصين وكازاخستان صديقتان.";
/// let mentions = extractor.extract(text, &ExtractOptions::default()).unwrap();
/// let found: Vec<(&str, &str, &str)> =
///     mentions.iter().map(|m| (m.text, m.entity_id(), m.form.name())).collect();
/// assert_eq!(found, [
///     ("شي جين بينغ", "person:xi-jinping", "name"),
///     ("الكازاخي", "country:KZ", "demonym"),
///     ("أستانا", "city:astana", "name"),
///     ("شي", "person:xi-jinping", "short"),
///     ("الصين", "country:CN", "name"),
///     ("كازاخستان", "country:KZ", "name"),
/// ]);
/// assert_eq!(mentions[5].proclitic, "و");
/// assert_eq!((mentions[0].start, mentions[0].end), (6, 17)); // code points, by default
/// ```
pub struct Extractor {
    gazetteer: Gazetteer,
    trie: Trie,
    senses: Vec<Vec<Sense>>,
    composed: Vec<Vec<ComposedName>>,
    spellings: Vec<NameSpellings>,
    /// Whether each pattern is a not-name phrase ([`Gazetteer::not_names`]).
    not_name: Vec<bool>,
    word_chars: WordChars,
    /// Ordinary words that read as a proclitic and a name (normalized): no name is matched after
    /// their proclitic.
    proclitic_homographs: FastSet<Box<[u8]>>,
    /// The gazetteers' types, sorted: known once here, checked by every filtered request.
    types: Vec<String>,
    stats: BuildStats,
}

impl std::fmt::Debug for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("entities", &self.gazetteer.entities().len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// A candidate that stands as a word: normalized byte range, pattern, and what precedes it.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    start: usize,
    end: usize,
    chars: usize,
    pattern: usize,
    prefix: Prefix,
}

/// A chosen candidate, resolved to what it names.
#[derive(Clone, Debug)]
enum Resolution {
    One(u32, Form),
    Ambiguous(Vec<u32>, Form),
    /// A short name, to be resolved within the document (its persons are the candidate's
    /// short-name senses).
    Short,
}

/// Buffers reused from one extraction to the next on the same thread.
#[derive(Default)]
struct Scratch {
    normalizer: Normalizer,
    candidates: Vec<Candidate>,
    chosen: Vec<Candidate>,
    resolved: Vec<(Candidate, Resolution)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The most memory a thread's scratch buffers keep between extractions: a large text grows them,
/// and a long-lived server thread would otherwise hold that peak forever.
const SCRATCH_KEPT_BYTES: usize = 1 << 20;

impl Scratch {
    /// The heap memory the buffers hold.
    fn capacity_bytes(&self) -> usize {
        self.normalizer.capacity_bytes()
            + self.candidates.capacity() * std::mem::size_of::<Candidate>()
            + self.chosen.capacity() * std::mem::size_of::<Candidate>()
            + self.resolved.capacity() * std::mem::size_of::<(Candidate, Resolution)>()
    }

    /// Frees the buffers after a text that grew them past [`SCRATCH_KEPT_BYTES`].
    fn trim(&mut self) {
        if self.capacity_bytes() > SCRATCH_KEPT_BYTES {
            *self = Scratch::default();
        }
    }
}

impl Extractor {
    /// Builds the trie over every surface of `gazetteer`.
    pub fn new(gazetteer: Gazetteer) -> Result<Extractor, Error> {
        let started = Instant::now();
        let patterns = Patterns::collect(&gazetteer);
        let trie = Trie::build(&patterns.texts).map_err(|_| Error::TooManyPatternCharacters {
            characters: patterns.texts.iter().map(|t| t.chars().count()).sum(),
        })?;
        let stats = BuildStats {
            patterns: patterns.texts.len(),
            build_time: started.elapsed(),
            automaton_bytes: trie.memory_usage(),
            automaton_kind: "trie, walked anchored",
        };
        let types = gazetteer.types().into_iter().map(str::to_string).collect();
        let proclitic_homographs = gazetteer
            .proclitic_homographs()
            .iter()
            .map(|w| w.as_bytes().into())
            .collect();
        Ok(Extractor {
            gazetteer,
            trie,
            types,
            proclitic_homographs,
            senses: patterns.senses,
            composed: patterns.composed,
            spellings: patterns.spellings,
            not_name: patterns.not_name,
            word_chars: WordChars::new(),
            stats,
        })
    }

    /// An extractor over the default gazetteers, compiled into the binary.
    pub fn embedded() -> Result<Extractor, Error> {
        Extractor::load(&GazetteerSource::Embedded)
    }

    /// Loads the gazetteers of `source` and builds their extractor: the one way the command
    /// line, the service's start-up and its reloads load them, under one policy. Gazetteers
    /// with no entity at all are refused ([`Error::NoEntities`]): an empty directory is a mount
    /// gone wrong far more often than an intent to find nothing.
    ///
    /// ```
    /// use alam_engine::{Extractor, GazetteerSource};
    ///
    /// let extractor = Extractor::load(&GazetteerSource::Embedded)?;
    /// assert!(extractor.gazetteer().get("person:xi-jinping").is_some());
    ///
    /// let empty = std::env::temp_dir().join(format!("alam-doc-empty-{}", std::process::id()));
    /// std::fs::create_dir_all(&empty)?;
    /// std::fs::write(empty.join("none.toml"), "")?;
    /// let error = Extractor::load(&GazetteerSource::Dir(empty.clone())).unwrap_err();
    /// assert!(error.to_string().ends_with("no entities (no *.toml or *.jsonl file holds one)"));
    /// std::fs::remove_dir_all(&empty)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(source: &GazetteerSource) -> Result<Extractor, Error> {
        let gazetteer = Gazetteer::load(source)?;
        if gazetteer.entities().is_empty() {
            return Err(Error::NoEntities {
                source: source.clone(),
            });
        }
        Extractor::new(gazetteer)
    }

    /// The gazetteer this extractor was built from.
    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// Figures about the trie.
    pub fn stats(&self) -> &BuildStats {
        &self.stats
    }

    /// The entity types of the gazetteers, sorted, as known since the extractor was built.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// A filter reporting only `types` (all of them when `types` is empty); an error names a
    /// type the gazetteers lack, and the valid ones.
    pub fn type_filter<S: AsRef<str>>(&self, types: &[S]) -> Result<TypeFilter, ExtractError> {
        if types.is_empty() {
            return Ok(TypeFilter::all());
        }
        let mut chosen = Vec::with_capacity(types.len());
        for t in types {
            let t = t.as_ref().trim();
            if self.types.binary_search_by(|v| v.as_str().cmp(t)).is_err() {
                return Err(ExtractError::UnknownType {
                    given: t.to_string(),
                    valid: self.types.clone(),
                });
            }
            chosen.push(t.to_string());
        }
        Ok(TypeFilter(Some(chosen)))
    }

    /// Every alias that stands for more than one entity, in pattern order.
    pub fn shared_aliases(&self) -> Vec<SharedAlias<'_>> {
        let patterns = Patterns::collect(&self.gazetteer);
        let entities = self.gazetteer.entities();
        let mut shared = Vec::new();
        for (text, senses) in patterns.texts.into_iter().zip(patterns.senses) {
            let mut list: Vec<(&Entity, Form)> = Vec::new();
            for sense in senses.iter().filter(|s| s.attach != Attach::AfterLam) {
                let pair = (&entities[sense.entity as usize], sense.form);
                if !list.iter().any(|(e, _)| e.id == pair.0.id) {
                    list.push(pair);
                }
            }
            if list.len() > 1 {
                shared.push(SharedAlias {
                    alias: text,
                    entities: list,
                });
            }
        }
        shared
    }

    /// Finds every mention in `text`: sorted, non-overlapping, spans in `options.offsets`.
    pub fn extract<'a>(
        &'a self,
        text: &'a str,
        options: &ExtractOptions,
    ) -> Result<Vec<Mention<'a>>, ExtractError> {
        let max = u32::MAX as usize - 1;
        if text.len() > max {
            return Err(ExtractError::TextTooLong {
                len: text.len(),
                max,
            });
        }
        Ok(SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let mentions = self.extract_with(text, options, &mut scratch);
            scratch.trim();
            mentions
        }))
    }

    fn extract_with<'a>(
        &'a self,
        text: &'a str,
        options: &ExtractOptions,
        scratch: &mut Scratch,
    ) -> Vec<Mention<'a>> {
        let Scratch {
            normalizer,
            candidates,
            chosen,
            resolved,
        } = scratch;
        normalizer.normalize(text);
        self.find_candidates(normalizer, candidates);
        self.drop_fathers_in_patronymics(normalizer.as_bytes(), candidates);
        self.drop_unanchored_short_names(candidates);
        choose_longest(candidates, chosen);
        // A chosen not-name phrase has hidden the names inside it; it names nothing itself.
        chosen.retain(|c| !self.not_name[c.pattern]);
        self.resolve(chosen, resolved);
        self.mentions(text, normalizer, resolved, options)
    }

    /// Every match of the trie that stands as a word under at least one of its senses: the
    /// trie is walked from each word start and from after each proclitic, the only places where
    /// the word rules let a name start.
    fn find_candidates(&self, normalizer: &Normalizer, candidates: &mut Vec<Candidate>) {
        candidates.clear();
        let haystack = normalizer.as_bytes();
        let mut after_word = false;
        let mut at = 0;
        while at < haystack.len() {
            let (word, len) = self.word_chars.at(haystack, at);
            if !after_word {
                self.candidates_at(normalizer, at, Prefix::WordStart, candidates);
                if word && let Some(first) = proclitic_letter_at(haystack, at) {
                    self.candidates_after_proclitics(normalizer, at, first, candidates);
                }
            }
            after_word = word;
            at += len;
        }
    }

    /// The candidates after the proclitics that the word at `at`, whose first letter is
    /// `first`, may begin with (see [`crate::words::PROCLITICS`]): و or ف, then optionally ب, ل or ك; or one of
    /// ب, ل, ك alone. A proclitic must leave a letter after it.
    fn candidates_after_proclitics(
        &self,
        normalizer: &Normalizer,
        at: usize,
        first: char,
        candidates: &mut Vec<Candidate>,
    ) {
        let haystack = normalizer.as_bytes();
        debug_assert!(is_proclitic_letter(first));
        let is_letter_at = |i: usize| i < haystack.len() && self.word_chars.at(haystack, i).0;
        let next = at + first.len_utf8();
        if !is_letter_at(next) {
            return;
        }
        let found_before = candidates.len();
        let one_letter = Prefix::Proclitic {
            len: next - at,
            ends_in_lam: first == 'ل',
        };
        self.candidates_at(normalizer, next, one_letter, candidates);
        if matches!(first, 'و' | 'ف')
            && let Some(second @ ('ب' | 'ل' | 'ك')) = proclitic_letter_at(haystack, next)
        {
            let after = next + second.len_utf8();
            if is_letter_at(after) {
                let two_letters = Prefix::Proclitic {
                    len: after - at,
                    ends_in_lam: second == 'ل',
                };
                self.candidates_at(normalizer, after, two_letters, candidates);
            }
        }
        // Checked only once a name was found after the proclitic: most words find none.
        if candidates.len() > found_before && !self.proclitic_homographs.is_empty() {
            self.drop_names_in_proclitic_homograph(haystack, at, found_before, candidates);
        }
    }

    /// Drops the candidates from `found_before` on that end with the word at byte `at` when that
    /// word is a listed proclitic homograph (`وزاريا` is no و + Zaria). A name of several words
    /// that goes on past the word stays: its other words make it.
    fn drop_names_in_proclitic_homograph(
        &self,
        haystack: &[u8],
        at: usize,
        found_before: usize,
        candidates: &mut Vec<Candidate>,
    ) {
        let word_end = word_end(haystack, at);
        let in_word = |c: &Candidate| c.end == word_end;
        if candidates[found_before..].iter().any(in_word)
            && self.proclitic_homographs.contains(&haystack[at..word_end])
        {
            let found = candidates.split_off(found_before);
            candidates.extend(found.into_iter().filter(|c| !in_word(c)));
        }
    }

    /// The candidates that start at byte `start` of the normalized text, after `prefix` in its
    /// word (known from where the walk starts: what [`prefix_before`] would find there).
    fn candidates_at(
        &self,
        normalizer: &Normalizer,
        start: usize,
        prefix: Prefix,
        candidates: &mut Vec<Candidate>,
    ) {
        let haystack = normalizer.as_bytes();
        debug_assert_eq!(prefix, prefix_before(haystack, start));
        self.trie.matches_at(haystack, start, |end, pattern| {
            // The right edge first: most matches that fail, fail there.
            if !self.word_chars.is_right_edge(haystack, end)
                || !normalizer.is_source_boundary(start)
                || !normalizer.is_source_boundary(end)
            {
                return;
            }
            if self.not_name[pattern]
                || self.senses[pattern].iter().any(|s| s.attach.allows(prefix))
            {
                candidates.push(Candidate {
                    start,
                    end,
                    chars: char_count(&haystack[start..end]),
                    pattern,
                    prefix,
                });
            }
            if prefix == Prefix::WordStart {
                for name in &self.composed[pattern] {
                    let spellings = &self.spellings[name.spellings];
                    if let Some(head_start) = composed_name_start(haystack, start, spellings, name)
                        && normalizer.is_source_boundary(head_start)
                    {
                        let prefix = prefix_before(haystack, head_start);
                        if prefix != Prefix::InsideWord {
                            candidates.push(Candidate {
                                start: head_start,
                                end,
                                chars: char_count(&haystack[head_start..end]),
                                pattern: name.pattern,
                                prefix,
                            });
                        }
                    }
                }
            }
        });
    }

    fn allowed_senses(&self, candidate: &Candidate) -> impl Iterator<Item = &Sense> + Clone {
        self.senses[candidate.pattern]
            .iter()
            .filter(move |s| s.attach.allows(candidate.prefix))
    }

    /// Drops the candidates that can only be persons and follow the word بن, ابن or بنت: there a
    /// name is the patronymic inside another person's name (`محمد بن سلمان بن عبدالعزيز` names
    /// Mohammed bin Salman, not King Salman), and, being longer, it would otherwise hide the
    /// son's name.
    fn drop_fathers_in_patronymics(&self, text: &[u8], candidates: &mut Vec<Candidate>) {
        let entities = self.gazetteer.entities();
        candidates.retain(|c| {
            c.prefix != Prefix::WordStart
                || self.not_name[c.pattern]
                || !follows_patronymic_particle(text, c.start)
                || self
                    .allowed_senses(c)
                    .any(|s| entities[s.entity as usize].entity_type() != "person")
        });
    }

    /// Drops the candidates that can only be short names of persons the document never names in
    /// full: they would never be reported, and must not hide another candidate.
    fn drop_unanchored_short_names(&self, candidates: &mut Vec<Candidate>) {
        let only_short = |c: &Candidate| {
            !self.not_name[c.pattern]
                && self
                    .allowed_senses(c)
                    .all(|s| s.form == Form::Short && !s.standalone)
        };
        if !candidates.iter().any(only_short) {
            return;
        }
        let named: EntitySet = candidates
            .iter()
            .flat_map(|c| self.allowed_senses(c))
            .filter(|s| s.form == Form::Name)
            .map(|s| s.entity)
            .collect();
        candidates.retain(|c| {
            !only_short(c) || self.allowed_senses(c).any(|s| named.contains(&s.entity))
        });
    }

    /// Resolves each chosen candidate: one entity, several (ambiguous), or a short name that the
    /// document's full names decide.
    fn resolve(&self, chosen: &[Candidate], resolved: &mut Vec<(Candidate, Resolution)>) {
        resolved.clear();
        resolved.extend(chosen.iter().map(|c| (*c, self.resolve_candidate(c))));
        self.resolve_short_names(resolved);
        self.resolve_shared_names_by_document(resolved);
    }

    fn resolve_candidate(&self, candidate: &Candidate) -> Resolution {
        // A short name is resolved within the document first (`السوداني` after `محمد شياع
        // السوداني` is the person, not the demonym); its other senses are the fallback.
        if self
            .allowed_senses(candidate)
            .any(|s| s.form == Form::Short)
        {
            return Resolution::Short;
        }
        self.resolve_full(candidate)
    }

    /// Resolves a candidate by its senses other than short names: one entity, several
    /// (ambiguous), or [`Resolution::Short`] when it has none.
    fn resolve_full(&self, candidate: &Candidate) -> Resolution {
        // One entity is the common case, and costs no allocation.
        let mut first: Option<(u32, Form)> = None;
        let mut several = false;
        for sense in self
            .allowed_senses(candidate)
            .filter(|s| s.form != Form::Short)
        {
            match first {
                None => first = Some((sense.entity, sense.form)),
                Some((entity, form)) if entity == sense.entity => {
                    first = Some((entity, form.min(sense.form)))
                }
                Some(_) => several = true,
            }
        }
        match first {
            None => Resolution::Short,
            Some((entity, form)) if !several => Resolution::One(entity, form),
            Some(_) => {
                let full = self
                    .allowed_senses(candidate)
                    .filter(|s| s.form != Form::Short);
                let form = full.clone().map(|s| s.form).min().unwrap_or(Form::Name);
                let mut entities: Vec<u32> = Vec::new();
                for sense in full {
                    if !entities.contains(&sense.entity) {
                        entities.push(sense.entity);
                    }
                }
                entities.sort_unstable();
                Resolution::Ambiguous(entities, form)
            }
        }
    }

    /// The persons a short-name candidate may stand for.
    fn short_name_persons(&self, candidate: &Candidate) -> impl Iterator<Item = u32> + Clone {
        self.allowed_senses(candidate)
            .filter(|s| s.form == Form::Short)
            .map(|s| s.entity)
    }

    /// Resolves short names: to the person whose full-name mention most closely precedes; where
    /// none precedes, to the one named first after; where the document names none, a standalone
    /// short name stands for its person (or, shared, for all of them: ambiguous), and any other
    /// stays unresolved (and is not reported).
    fn resolve_short_names(&self, resolved: &mut [(Candidate, Resolution)]) {
        if !resolved.iter().any(|(_, r)| matches!(r, Resolution::Short)) {
            return;
        }
        let mut last_named = EntityMap::default();
        let mut unresolved = Vec::new();
        for (i, (candidate, resolution)) in resolved.iter_mut().enumerate() {
            match resolution {
                Resolution::One(entity, Form::Name) => {
                    last_named.insert(*entity, i);
                }
                Resolution::Short => {
                    let nearest = self
                        .short_name_persons(candidate)
                        .filter_map(|p| last_named.get(&p).map(|&at| (at, p)))
                        .max();
                    match nearest {
                        Some((_, person)) => *resolution = Resolution::One(person, Form::Short),
                        None => unresolved.push(i),
                    }
                }
                _ => {}
            }
        }
        if unresolved.is_empty() {
            return;
        }
        let mut first_named = EntityMap::default();
        for (i, (_, resolution)) in resolved.iter().enumerate().rev() {
            if let Resolution::One(entity, Form::Name) = resolution {
                first_named.insert(*entity, i);
            }
        }
        for i in unresolved {
            let persons = self.short_name_persons(&resolved[i].0);
            if let Some((_, person)) = persons
                .filter_map(|p| first_named.get(&p).map(|&at| (at, p)))
                .min()
            {
                resolved[i].1 = Resolution::One(person, Form::Short);
                continue;
            }
            let full = self.resolve_full(&resolved[i].0);
            if !matches!(full, Resolution::Short) {
                resolved[i].1 = full;
                continue;
            }
            let mut standalone: Vec<u32> = self
                .allowed_senses(&resolved[i].0)
                .filter(|s| s.form == Form::Short && s.standalone)
                .map(|s| s.entity)
                .collect();
            standalone.sort_unstable();
            standalone.dedup();
            resolved[i].1 = match standalone.as_slice() {
                [] => Resolution::Short,
                [person] => Resolution::One(*person, Form::Short),
                _ => Resolution::Ambiguous(standalone, Form::Short),
            };
        }
    }

    /// Resolves a name that several places or several bodies share (`طرابلس`: Tripoli in Libya
    /// and in Lebanon; `الكونغو`: the two Congos; `مجلس الأمن القومي`: the national security
    /// councils) by the rest of the document: to the one candidate it names unambiguously
    /// elsewhere, else to the one candidate whose country it names (through any entity of that
    /// country: Libya, a Libyan, Benghazi, Dbeibah). Where no candidate or several qualify, the
    /// mention stays ambiguous. Only candidates of one type, and not persons: a person's shared
    /// name is resolved by the document's full names, and `الكويت` (Kuwait, or Kuwait City)
    /// stays ambiguous even beside `مدينة الكويت`.
    fn resolve_shared_names_by_document(&self, resolved: &mut [(Candidate, Resolution)]) {
        let entities = self.gazetteer.entities();
        let shared_by_one_type = |r: &Resolution| match r {
            Resolution::Ambiguous(es, _) => {
                resolved_by_document_countries(es.iter().map(|&e| &entities[e as usize]))
            }
            _ => false,
        };
        if !resolved.iter().any(|(_, r)| shared_by_one_type(r)) {
            return;
        }
        let named: EntitySet = resolved
            .iter()
            .filter_map(|(_, r)| match r {
                Resolution::One(e, _) => Some(*e),
                _ => None,
            })
            .collect();
        let mut countries: Vec<&str> = named
            .iter()
            .filter_map(|&e| country_of(&entities[e as usize]))
            .collect();
        countries.sort_unstable();
        countries.dedup();
        for (_, resolution) in resolved.iter_mut() {
            if !shared_by_one_type(resolution) {
                continue;
            }
            let Resolution::Ambiguous(candidates, form) = resolution else {
                continue;
            };
            let only = |qualifies: &dyn Fn(u32) -> bool| {
                let mut qualified = candidates.iter().copied().filter(|&e| qualifies(e));
                match (qualified.next(), qualified.next()) {
                    (Some(e), None) => Some(e),
                    _ => None,
                }
            };
            let chosen = only(&|e| named.contains(&e)).or_else(|| {
                only(&|e| {
                    country_of(&entities[e as usize])
                        .is_some_and(|c| countries.binary_search(&c).is_ok())
                })
            });
            if let Some(entity) = chosen {
                *resolution = Resolution::One(entity, *form);
            }
        }
    }

    /// Turns resolved candidates into mentions in the caller's text and encoding.
    fn mentions<'a>(
        &'a self,
        text: &'a str,
        normalizer: &Normalizer,
        resolved: &[(Candidate, Resolution)],
        options: &ExtractOptions,
    ) -> Vec<Mention<'a>> {
        let entities = self.gazetteer.entities();
        let mut mentions = Vec::with_capacity(resolved.len());
        let mut offsets = Vec::with_capacity(resolved.len() * 2);
        for (candidate, resolution) in resolved {
            let (entity, candidates, form) = match resolution {
                Resolution::One(e, form) => (Some(&entities[*e as usize]), Vec::new(), *form),
                Resolution::Ambiguous(es, form) => (
                    None,
                    es.iter().map(|&e| &entities[e as usize]).collect(),
                    *form,
                ),
                Resolution::Short => continue, // unresolved: the document names none of them
            };
            let reported = match entity {
                Some(e) => options.types.allows(e.entity_type()),
                None => candidates
                    .iter()
                    .any(|e: &&Entity| options.types.allows(e.entity_type())),
            };
            if !reported {
                continue;
            }
            let (start, end) = normalizer.original_span(text, candidate.start, candidate.end);
            let proclitic = match candidate.prefix {
                Prefix::Proclitic { len, .. } => {
                    &text[normalizer.origin(candidate.start - len)..start]
                }
                _ => "",
            };
            offsets.extend([start, end]);
            mentions.push(Mention {
                start,
                end,
                text: &text[start..end],
                entity,
                candidates,
                form,
                proclitic,
            });
        }
        to_encoding(text, &mut offsets, options.offsets);
        for (mention, pair) in mentions.iter_mut().zip(offsets.chunks_exact(2)) {
            mention.start = pair[0];
            mention.end = pair[1];
        }
        mentions
    }
}

/// The words after which a name is a father's: "son of", "daughter of" (normalized).
const PATRONYMIC_PARTICLES: [&str; 3] = ["بن", "ابن", "بنت"];

/// Whether a normalized word has the article, alone or after a proclitic (`الأمير`, `والأمير`,
/// `وبالقرب`, and `للأمير`, where ل + ال contract): such a word is no part of a person's name.
fn has_article(word: &[u8]) -> bool {
    std::iter::once("").chain(PROCLITICS).any(|proclitic| {
        word.strip_prefix(proclitic.as_bytes()).is_some_and(|rest| {
            rest.starts_with("ال".as_bytes())
                || (proclitic.ends_with('ل') && rest.starts_with("ل".as_bytes()))
        })
    })
}

/// Whether a normalized head of a name ends in one of the [`PATRONYMIC_PARTICLES`].
fn ends_in_patronymic_particle(head: &str) -> bool {
    let last = head.rsplit(' ').next().unwrap_or(head);
    PATRONYMIC_PARTICLES.contains(&last)
}

/// Whether the word before byte `start` of the normalized text is one of the
/// [`PATRONYMIC_PARTICLES`], with one space between.
fn follows_patronymic_particle(text: &[u8], start: usize) -> bool {
    let Some(before) = start.checked_sub(1).map(|end| &text[..end]) else {
        return false;
    };
    if text[start - 1] != b' ' {
        return false;
    }
    PATRONYMIC_PARTICLES.iter().any(|particle| {
        before.ends_with(particle.as_bytes())
            && (before.len() == particle.len()
                || !is_word_char(char_before(before, before.len() - particle.len())))
    })
}

/// How many characters the UTF-8 bytes hold.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Where a composed name starts, if one of `heads` stands right before the tail at `tail_start`
/// or, when the name allows inner parts, with one or two words between them (`head W tail`,
/// `head W W tail`). An inner word has three letters or more, no article and nothing but
/// letters: `بوتين قال إن …` never links a head. Nor is it the tail's own word: a name does not
/// repeat its last word, and `موسى أبو مرزوق وأبو مرزوق` is the full name, then the short one.
fn composed_name_start(
    text: &[u8],
    tail_start: usize,
    spellings: &NameSpellings,
    name: &ComposedName,
) -> Option<usize> {
    let heads = &spellings.heads;
    let max_inner = if name.inner_parts { 2 } else { 0 };
    let mut at = tail_start; // the start of the word after the head, once found
    for inner in 0..=max_inner {
        if at == 0 || text[at - 1] != b' ' {
            return None;
        }
        let head_end = at - 1;
        let before = head_end.checked_sub(1).map(|i| text[i]);
        if let Some(start) = heads.iter().find_map(|head| {
            let start = head_end.checked_sub(head.len())?;
            // The last byte first: most heads differ there, and it spares a comparison call.
            let same = head.as_bytes().last().copied() == before
                && &text[start..head_end] == head.as_bytes();
            same.then_some(start)
        }) {
            return Some(start);
        }
        if inner == max_inner {
            break;
        }
        // Step over one inner word.
        let mut word_start = head_end;
        while word_start > 0 && is_word_char(char_before(text, word_start)) {
            word_start -= char_before(text, word_start).len_utf8();
        }
        let word = &text[word_start..head_end];
        // An inner word is never the name's own tail, in any spelling (the one matched here
        // included): `سيرجي سوروفيكين وسيرغي سوروفكين` names the man twice, it is not one name
        // with two inner words.
        if char_count(word) < 3
            || has_article(word)
            || spellings.tails.iter().any(|t| t.as_bytes() == word)
        {
            return None;
        }
        at = word_start;
    }
    None
}

/// Chooses among overlapping candidates: the longest (in characters) wins; between equal
/// lengths, the leftmost; between equal spans, the first pattern (so that the choice never
/// depends on the sort's order of equal keys). Leaves the chosen ones in `chosen`, sorted by
/// position.
///
/// Most candidates overlap nothing: a sweep by position finds the clusters of overlapping ones,
/// and only those are sorted by length.
fn choose_longest(candidates: &mut [Candidate], chosen: &mut Vec<Candidate>) {
    chosen.clear();
    candidates.sort_unstable_by_key(|c| (c.start, Reverse(c.end), c.pattern));
    let mut i = 0;
    while i < candidates.len() {
        let mut end = candidates[i].end;
        let mut j = i + 1;
        while j < candidates.len() && candidates[j].start < end {
            end = end.max(candidates[j].end);
            j += 1;
        }
        let cluster = &mut candidates[i..j];
        if let [single] = cluster {
            chosen.push(*single);
        } else {
            cluster.sort_unstable_by_key(|c| (Reverse(c.chars), c.start, c.pattern));
            let first = chosen.len();
            // Chosen spans are disjoint, so only the one starting last before a candidate's end
            // can overlap it.
            let mut taken: BTreeMap<usize, usize> = BTreeMap::new(); // start → end
            for c in cluster.iter() {
                let overlaps = taken
                    .range(..c.end)
                    .next_back()
                    .is_some_and(|(_, &e)| e > c.start);
                if !overlaps {
                    taken.insert(c.start, c.end);
                    chosen.push(*c);
                }
            }
            chosen[first..].sort_unstable_by_key(|c| c.start);
        }
        i = j;
    }
}

/// A hasher for entity indexes: they are small integers, so a multiplication mixes them enough.
#[derive(Default, Clone, Copy)]
struct EntityHasher(u64);

impl Hasher for EntityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The country an entity belongs to: a country's own code, else its `country` attribute.
fn country_of(entity: &Entity) -> Option<&str> {
    if entity.entity_type() == "country" {
        entity.id.split_once(':').map(|(_, code)| code)
    } else {
        entity.attributes.get("country").map(String::as_str)
    }
}

type EntityMap = HashMap<u32, usize, BuildHasherDefault<EntityHasher>>;
type EntitySet = HashSet<u32, BuildHasherDefault<EntityHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// An extractor over one gazetteer file `p.toml` of text `toml`.
    fn extractor_of(toml: &str) -> Extractor {
        let file = (std::path::PathBuf::from("p.toml"), toml.to_string());
        Extractor::new(Gazetteer::from_files([file]).unwrap()).unwrap()
    }

    /// The text of each mention `extractor` finds in `text`.
    fn found(extractor: &Extractor, text: &str) -> Vec<String> {
        let mentions = extractor.extract(text, &ExtractOptions::default());
        mentions
            .unwrap()
            .iter()
            .map(|m| m.text.to_string())
            .collect()
    }

    #[test]
    fn a_large_text_does_not_leave_its_buffers_behind() {
        let gazetteer = Gazetteer::from_files([(
            std::path::PathBuf::from("c.toml"),
            "[[entity]]\nid = \"country:CN\"\nname_ar = \"الصين\"\nname_en = \"China\"\n"
                .to_string(),
        )])
        .unwrap();
        let extractor = Extractor::new(gazetteer).unwrap();
        let options = ExtractOptions::default();
        let small = extractor.extract("زار الصين", &options).unwrap();
        assert_eq!(small.len(), 1);
        let kept_small = SCRATCH.with(|s| s.borrow().capacity_bytes());
        assert!(kept_small > 0 && kept_small <= SCRATCH_KEPT_BYTES);
        let large = "الصين ".repeat(200_000);
        assert_eq!(extractor.extract(&large, &options).unwrap().len(), 200_000);
        let kept_large = SCRATCH.with(|s| s.borrow().capacity_bytes());
        assert!(kept_large <= SCRATCH_KEPT_BYTES, "{kept_large} bytes kept");
    }

    #[test]
    fn a_spelling_of_the_tail_is_no_inner_part_of_the_same_name() {
        let extractor = extractor_of(
            "[[entity]]\nid = \"person:marco-surovikin\"\nname_ar = \"ماركو سوروفيكين\"\nname_en = \"Marco Surovikin\"\n",
        );
        // `سوروفكين` is a generated spelling of the tail: the text names two men, or one twice,
        // and the second head is not this name's; never one name with two inner words.
        assert_eq!(
            found(&extractor, "التقى ماركو سوروفيكين وماريو سوروفكين"),
            ["ماركو سوروفيكين"]
        );
    }

    #[test]
    fn a_not_name_phrase_hides_the_name_inside_it_and_yields_nothing() {
        let extractor = extractor_of(
            "not_names = [\"مسقط رأسه\"]\n[[entity]]\nid = \"city:muscat\"\nname_ar = \"مسقط\"\nname_en = \"Muscat\"\n",
        );
        assert_eq!(extractor.gazetteer().not_names(), ["مسقط راسه"]);
        let found: Vec<(usize, String)> = extractor
            .extract(
                "عاد إلى مسقط رأسه وإلى مسقط رأسهم ثم ومسقط رأسه ثم مسقط",
                &ExtractOptions::default(),
            )
            .unwrap()
            .iter()
            .map(|m| (m.start, m.text.to_string()))
            .collect();
        // Only where the phrase is written whole (with a proclitic or not); رأسهم is another word.
        assert_eq!(found, [(23, "مسقط".to_string()), (51, "مسقط".to_string())]);
    }

    #[test]
    fn a_joined_variant_lends_no_parts_to_other_combinations() {
        let extractor = extractor_of(
            "[[entity]]\nid = \"person:li-keqiang\"\nname_ar = \"لي كه تشيانغ\"\nname_en = \"Li Keqiang\"\n",
        );
        let found = |text: &str| found(&extractor, text);
        // The joined variant itself, and the variants that keep the split, are found.
        assert_eq!(found("التقى لي كهتشيانغ"), ["لي كهتشيانغ"]);
        assert_eq!(found("التقى لي كه تشيانج"), ["لي كه تشيانج"]);
        // Its head with the name's tail is not a spelling of the name.
        assert!(found("التقى لي تشيانغ").is_empty());
    }

    #[test]
    fn the_extractor_is_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Extractor>();
    }

    #[test]
    fn attachment_rules() {
        let word = Prefix::WordStart;
        let wa = Prefix::Proclitic {
            len: 2,
            ends_in_lam: false,
        };
        let li = Prefix::Proclitic {
            len: 2,
            ends_in_lam: true,
        };
        let cases = [
            (Attach::WordStart, word, true),
            (Attach::WordStart, wa, false),
            (Attach::Proclitic, word, true),
            (Attach::Proclitic, li, true),
            (Attach::AfterLam, word, false),
            (Attach::AfterLam, wa, false),
            (Attach::AfterLam, li, true),
            (Attach::Proclitic, Prefix::InsideWord, false),
        ];
        for (attach, prefix, allowed) in cases {
            assert_eq!(
                attach.allows(prefix),
                allowed,
                "{attach:?} after {prefix:?}"
            );
        }
    }
}
