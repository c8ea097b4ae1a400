//! Gazetteers: the curated lists of entities and their spellings, and how they are loaded.
//!
//! A gazetteer directory holds TOML files (one per entity type, written by hand, with `[[entity]]`
//! tables) and JSON Lines files (one entity a line, for large machine-made lists). Both carry the
//! same fields:
//!
//! ```toml
//! source = "Where these entries come from."
//!
//! [[entity]]
//! id = "country:KZ"                 # <type>:<key>
//! name_ar = "كازاخستان"
//! name_en = "Kazakhstan"
//! aliases = ["قازاقستان"]            # other spellings, matched as names
//! demonym_stems = ["كازاخي"]         # countries: الكازاخي, الكازاخية, … are derived
//! wikidata = "Q232"
//!
//! [entity.attributes]               # free, string-valued
//! region = "Central Asia"
//! ```
//!
//! Persons also have `short_names` (surnames, resolved within a document). Loading validates
//! everything and stops at the first problem with a [`GazetteerError`] that names the file, the
//! line or entity, and the problem. The default gazetteers are compiled into the binary.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{GazetteerError, Location, Problem};
use crate::normalize::normalize;
use crate::words::is_word_char;

/// The default gazetteers, compiled in from `gazetteers/` by `build.rs`: (file name, contents).
static EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_gazetteers.rs"));

/// One entity: a person, country, city, organization, initiative, or any type a gazetteer adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entity {
    /// `<type>:<key>`: `country:KZ`, `person:xi-jinping`.
    pub id: String,
    /// The canonical Arabic name; also matched as a name.
    pub name_ar: String,
    /// The canonical English name.
    pub name_en: String,
    /// Other spellings and names, matched as names.
    pub aliases: Vec<String>,
    /// Short names (a person's surname), matched only where the document names the entity in
    /// full.
    pub short_names: Vec<String>,
    /// Masculine singular demonyms without the article (`صيني`); the other forms are derived.
    pub demonym_stems: Vec<String>,
    /// The Wikidata item, where known for certain.
    pub wikidata: Option<String>,
    /// Free attributes (role, country, …).
    pub attributes: BTreeMap<String, String>,
}

impl Entity {
    /// The type: the part of the id before the colon.
    pub fn entity_type(&self) -> &str {
        self.id.split_once(':').map_or("", |(t, _)| t)
    }

    /// How many surfaces the entity lists: its name, aliases, short names and demonym stems.
    pub fn surface_count(&self) -> usize {
        1 + self.aliases.len() + self.short_names.len() + self.demonym_stems.len()
    }

    /// The name and the aliases, the surfaces matched as [`crate::Form::Name`].
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name_ar.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A loaded, validated set of entities.
#[derive(Clone, Debug)]
pub struct Gazetteer {
    entities: Vec<Entity>,
    by_id: HashMap<String, usize>,
    files: Vec<FileInfo>,
    version: String,
}

/// How many entities of one type a gazetteer holds, and how many surfaces they list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeCount<'a> {
    /// The type.
    pub entity_type: &'a str,
    /// Its entities.
    pub entities: usize,
    /// Their names, aliases, short names and demonym stems.
    pub aliases: usize,
}

/// What a gazetteer file contributed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// The file's name.
    pub name: String,
    /// Its `source` note (where the data comes from), if it has one.
    pub source: Option<String>,
    /// How many entities it holds.
    pub entities: usize,
}

/// An entity as written in a file. `I` is the id: spanned in TOML, to report its line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record<I> {
    id: I,
    name_ar: String,
    name_en: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    short_names: Vec<String>,
    #[serde(default)]
    demonym_stems: Vec<String>,
    #[serde(default)]
    wikidata: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    entity: Vec<Record<toml::Spanned<String>>>,
}

impl Gazetteer {
    /// The default gazetteers, compiled into the binary.
    ///
    /// ```
    /// let gazetteer = alam::Gazetteer::embedded().unwrap();
    /// assert_eq!(gazetteer.get("country:KZ").unwrap().name_en, "Kazakhstan");
    /// ```
    pub fn embedded() -> Result<Gazetteer, GazetteerError> {
        Gazetteer::from_files(
            EMBEDDED
                .iter()
                .map(|&(name, text)| (PathBuf::from(name), text.to_string())),
        )
    }

    /// Loads every `*.toml` and `*.jsonl` file of `dir`, in name order.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Gazetteer, GazetteerError> {
        let dir = dir.as_ref();
        let io_error = |path: &Path, e: std::io::Error| GazetteerError {
            file: path.to_path_buf(),
            location: Location::File,
            problem: Problem::Io(e.to_string()),
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
            let path = entry.map_err(|e| io_error(dir, e))?.path();
            let is_data = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("toml" | "jsonl")
            );
            // Kubernetes mounts a ConfigMap as symlinks and hidden `..data` folders: follow
            // the links, skip the hidden entries.
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if is_data && !hidden && path.is_file() {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Err(GazetteerError {
                file: dir.to_path_buf(),
                location: Location::File,
                problem: Problem::NoFiles,
            });
        }
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
            let text = String::from_utf8(bytes).map_err(|_| GazetteerError {
                file: path.clone(),
                location: Location::File,
                problem: Problem::NotUtf8,
            })?;
            files.push((path, text));
        }
        Gazetteer::from_files(files)
    }

    /// Builds a gazetteer from (file name, contents) pairs; the extension (`.toml` or `.jsonl`)
    /// says the format.
    pub fn from_files(
        files: impl IntoIterator<Item = (PathBuf, String)>,
    ) -> Result<Gazetteer, GazetteerError> {
        let mut gazetteer = Gazetteer {
            entities: Vec::new(),
            by_id: HashMap::new(),
            files: Vec::new(),
            version: String::new(),
        };
        let mut first_file: HashMap<String, PathBuf> = HashMap::new();
        let mut hash = Fnv64::new();
        for (path, text) in files {
            hash.write(path.file_name().map_or(b"", |n| n.as_encoded_bytes()));
            hash.write(&[0]);
            hash.write(text.as_bytes());
            hash.write(&[0]);
            let (source, records) = if path.extension().is_some_and(|e| e == "jsonl") {
                (None, parse_jsonl(&path, &text)?)
            } else {
                parse_toml(&path, &text)?
            };
            gazetteer.files.push(FileInfo {
                name: path.display().to_string(),
                source,
                entities: records.len(),
            });
            for (line, record) in records {
                let id = record.id.clone();
                let at = |problem| GazetteerError {
                    file: path.clone(),
                    location: Location::Entity {
                        id: id.clone(),
                        line,
                    },
                    problem,
                };
                let entity = validate(record).map_err(at)?;
                if let Some(first) = first_file.get(&entity.id) {
                    let first = first.display().to_string();
                    return Err(at(Problem::DuplicateId { first }));
                }
                first_file.insert(entity.id.clone(), path.clone());
                gazetteer
                    .by_id
                    .insert(entity.id.clone(), gazetteer.entities.len());
                gazetteer.entities.push(entity);
            }
        }
        gazetteer.version = format!("{:016x}", hash.finish());
        Ok(gazetteer)
    }

    /// Every entity, in file order.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The entity with this id.
    pub fn get(&self, id: &str) -> Option<&Entity> {
        self.by_id.get(id).map(|&i| &self.entities[i])
    }

    /// The entity types present, sorted.
    pub fn types(&self) -> Vec<&str> {
        let types: BTreeSet<&str> = self.entities.iter().map(Entity::entity_type).collect();
        types.into_iter().collect()
    }

    /// Entity and alias counts per type, sorted by type.
    pub fn type_counts(&self) -> Vec<TypeCount<'_>> {
        let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for entity in &self.entities {
            let count = counts.entry(entity.entity_type()).or_default();
            count.0 += 1;
            count.1 += entity.surface_count();
        }
        counts
            .into_iter()
            .map(|(entity_type, (entities, aliases))| TypeCount {
                entity_type,
                entities,
                aliases,
            })
            .collect()
    }

    /// The files loaded, in order.
    pub fn files(&self) -> &[FileInfo] {
        &self.files
    }

    /// A fingerprint of the files' names and contents (16 hex digits): it changes whenever the
    /// data does.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// A record of either format, with the line it starts on.
type Parsed = Vec<(usize, Record<String>)>;

fn parse_toml(path: &Path, text: &str) -> Result<(Option<String>, Parsed), GazetteerError> {
    let file: TomlFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        GazetteerError {
            file: path.to_path_buf(),
            location: Location::Line {
                line,
                column: Some(column),
            },
            problem: Problem::Syntax(format!("invalid TOML: {}", e.message())),
        }
    })?;
    let records = file
        .entity
        .into_iter()
        .map(|r| {
            let line = line_and_column(text, r.id.span().start).0;
            let record = Record {
                id: r.id.into_inner(),
                name_ar: r.name_ar,
                name_en: r.name_en,
                aliases: r.aliases,
                short_names: r.short_names,
                demonym_stems: r.demonym_stems,
                wikidata: r.wikidata,
                attributes: r.attributes,
            };
            (line, record)
        })
        .collect();
    Ok((file.source, records))
}

fn parse_jsonl(path: &Path, text: &str) -> Result<Parsed, GazetteerError> {
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Record<String> = serde_json::from_str(line).map_err(|e| GazetteerError {
            file: path.to_path_buf(),
            location: Location::Line {
                line: i + 1,
                column: Some(e.column()),
            },
            problem: Problem::Syntax(format!("invalid JSON entity: {e}")),
        })?;
        records.push((i + 1, record));
    }
    Ok(records)
}

fn line_and_column(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |nl| &before[nl + 1..])
        .chars()
        .count()
        + 1;
    (line, column)
}

fn validate(record: Record<String>) -> Result<Entity, Problem> {
    if !is_valid_id(&record.id) {
        return Err(Problem::BadId(record.id));
    }
    for (field, value) in [("name_ar", &record.name_ar), ("name_en", &record.name_en)] {
        if value.trim().is_empty() {
            return Err(Problem::EmptyName { field });
        }
    }
    check_matchable("name_ar", &record.name_ar)?;
    for (field, list) in [
        ("aliases", &record.aliases),
        ("short_names", &record.short_names),
        ("demonym_stems", &record.demonym_stems),
    ] {
        for (index, alias) in list.iter().enumerate() {
            if alias.is_empty() {
                return Err(Problem::EmptyAlias { field, index });
            }
            check_matchable(field, alias)?;
        }
    }
    for stem in &record.demonym_stems {
        if !normalize(stem).trim_end().ends_with('ي') {
            return Err(Problem::BadDemonymStem(stem.clone()));
        }
    }
    if let Some(q) = &record.wikidata
        && !(q.len() > 1 && q.starts_with('Q') && q[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Problem::BadWikidata(q.clone()));
    }
    Ok(Entity {
        id: record.id,
        name_ar: record.name_ar,
        name_en: record.name_en,
        aliases: record.aliases,
        short_names: record.short_names,
        demonym_stems: record.demonym_stems,
        wikidata: record.wikidata,
        attributes: record.attributes,
    })
}

fn check_matchable(field: &'static str, alias: &str) -> Result<(), Problem> {
    let normalized = normalize(alias);
    if normalized.trim().is_empty() {
        return Err(Problem::NormalizesToNothing {
            field,
            alias: alias.to_string(),
        });
    }
    if !normalized.chars().any(is_word_char) {
        return Err(Problem::NoLetter {
            field,
            alias: alias.to_string(),
        });
    }
    Ok(())
}

/// `<type>:<key>`: a lowercase ASCII type, and a key of ASCII letters and digits in groups
/// joined by single hyphens (`country:KZ`, `person:kassym-jomart-tokayev`).
fn is_valid_id(id: &str) -> bool {
    let Some((kind, key)) = id.split_once(':') else {
        return false;
    };
    let kind_ok = kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let key_ok = !key.is_empty()
        && key
            .split('-')
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_alphanumeric()));
    kind_ok && key_ok
}

/// FNV-1a, 64 bits: a fingerprint stable across Rust versions and platforms.
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<Gazetteer, String> {
        Gazetteer::from_files([(PathBuf::from(name), text.to_string())]).map_err(|e| e.to_string())
    }

    const KZ: &str =
        "[[entity]]\nid = \"country:KZ\"\nname_ar = \"كازاخستان\"\nname_en = \"Kazakhstan\"\n";

    #[test]
    fn loads_toml_and_jsonl() {
        let g = load(
            "c.toml",
            &format!("source = \"test\"\n{KZ}demonym_stems = [\"كازاخي\"]\n"),
        )
        .unwrap();
        assert_eq!(g.get("country:KZ").unwrap().demonym_stems, ["كازاخي"]);
        assert_eq!(g.files()[0].source.as_deref(), Some("test"));
        let g = load(
            "p.jsonl",
            "{\"id\":\"person:wang-yi\",\"name_ar\":\"وانغ يي\",\"name_en\":\"Wang Yi\"}\n\n",
        )
        .unwrap();
        assert_eq!(g.entities()[0].entity_type(), "person");
    }

    /// Each case: a file, and what the error must say.
    #[test]
    fn errors_name_the_file_the_place_and_the_problem() {
        let cases = [
            ("bad.toml", "[[entity]\n".to_string(), "bad.toml:1:"),
            (
                "bad.toml",
                format!("{KZ}color = \"blue\"\n"),
                "unknown field `color`",
            ),
            (
                "bad.toml",
                "[[entity]]\nid = \"country:KZ\"\nname_ar = \"كازاخستان\"\n".into(),
                "missing field `name_en`",
            ),
            (
                "bad.jsonl",
                "{\"id\":\"person:a\",\"name_ar\":\"ا\",\"name_en\":\"A\"}\n{\"id\": }\n".into(),
                "bad.jsonl:2:",
            ),
            (
                "ids.toml",
                KZ.replace("country:KZ", "KZ"),
                "ids.toml:2: entity \"KZ\": id \"KZ\" is not of the form",
            ),
            (
                "ids.toml",
                KZ.replace("country:KZ", "Country:KZ"),
                "is not of the form",
            ),
            (
                "ids.toml",
                KZ.replace("country:KZ", "person:xi--jinping"),
                "is not of the form",
            ),
            (
                "dup.toml",
                format!("{KZ}\n{KZ}"),
                "dup.toml:7: entity \"country:KZ\": id defined twice; first defined in dup.toml",
            ),
            (
                "empty.toml",
                format!("{KZ}aliases = [\"قازاقستان\", \"\"]\n"),
                "`aliases` #2 is empty",
            ),
            (
                "marks.toml",
                format!("{KZ}aliases = [\"ًٌ\"]\n"),
                "normalizes to nothing",
            ),
            (
                "punct.toml",
                format!("{KZ}aliases = [\"- 2024 -\"]\n"),
                "`aliases` \"- 2024 -\" has no letter",
            ),
            (
                "name.toml",
                KZ.replace("\"Kazakhstan\"", "\" \""),
                "`name_en` is empty",
            ),
            (
                "stem.toml",
                format!("{KZ}demonym_stems = [\"كازاخ\"]\n"),
                "does not end in ي",
            ),
            (
                "q.toml",
                format!("{KZ}wikidata = \"232\"\n"),
                "wikidata id \"232\"",
            ),
        ];
        for (name, text, expected) in cases {
            let error = load(name, &text).expect_err(expected);
            assert!(
                error.contains(expected),
                "{error}\n  should contain: {expected}"
            );
        }
    }

    #[test]
    fn duplicate_ids_across_files_are_reported() {
        let error = Gazetteer::from_files([
            (PathBuf::from("a.toml"), KZ.to_string()),
            (PathBuf::from("b.toml"), KZ.to_string()),
        ])
        .unwrap_err();
        assert_eq!(
            error.problem,
            Problem::DuplicateId {
                first: "a.toml".into()
            }
        );
        assert_eq!(error.file, PathBuf::from("b.toml"));
    }

    #[test]
    fn version_follows_the_data() {
        let a = load("c.toml", KZ).unwrap();
        let b = load("c.toml", &KZ.replace("Kazakhstan", "Qazaqstan")).unwrap();
        assert_eq!(a.version(), load("c.toml", KZ).unwrap().version());
        assert_ne!(a.version(), b.version());
        assert_eq!(a.version().len(), 16);
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let dir = std::env::temp_dir().join(format!("alam-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let error = Gazetteer::load_dir(&dir).unwrap_err();
        std::fs::remove_dir(&dir).unwrap();
        assert_eq!(error.problem, Problem::NoFiles);
    }
}
