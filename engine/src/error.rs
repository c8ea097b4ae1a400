//! Errors of the engine: a gazetteer that does not load, a request that cannot be served.
//!
//! Each error says what went wrong and where (the file, the line or the entity), so that the
//! person who wrote the gazetteer or the request can fix it without reading the code.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::gazetteer::GazetteerSource;

/// Where in a gazetteer file a problem lies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// The file as a whole.
    File,
    /// A line of the file.
    Line {
        /// The line, from 1.
        line: usize,
        /// The column, from 1, when known.
        column: Option<usize>,
    },
    /// An entity of the file.
    Entity {
        /// The entity's id.
        id: String,
        /// The line where the entity starts, from 1.
        line: usize,
    },
}

/// What is wrong with a gazetteer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The file or directory could not be read.
    Io(String),
    /// A directory holds no `*.toml` or `*.jsonl` file.
    NoFiles,
    /// A gazetteer entry of a directory is not a file (a folder named `*.toml`, say).
    NotAFile,
    /// A file is not valid UTF-8.
    NotUtf8,
    /// Malformed TOML or JSON, or a field of the wrong shape.
    Syntax(String),
    /// An id that is not of the form `<type>:<key>`.
    BadId(String),
    /// An id defined twice.
    DuplicateId {
        /// Where it was first defined (`file:line`).
        first: String,
    },
    /// A required name is empty.
    EmptyName {
        /// The field, such as `name_ar`.
        field: &'static str,
    },
    /// An alias, short name or demonym stem that is empty.
    EmptyAlias {
        /// The list, such as `aliases`.
        field: &'static str,
        /// Its place in the list, from 0.
        index: usize,
    },
    /// An alias that normalization reduces to nothing or to white space (only diacritics, say).
    NormalizesToNothing {
        /// The list, such as `aliases`.
        field: &'static str,
        /// The alias as written.
        alias: String,
    },
    /// An alias with no letter at all (only digits or punctuation), which would match as a word
    /// almost anywhere.
    NoLetter {
        /// The list, such as `aliases`.
        field: &'static str,
        /// The alias as written.
        alias: String,
    },
    /// An alias that is an Arabic function word (`في`, `من`, `هو` …), which would match ordinary
    /// prose everywhere.
    FunctionWord {
        /// The list, such as `short_names`.
        field: &'static str,
        /// The alias as written.
        alias: String,
    },
    /// A demonym stem that does not end in the nisba ي, from which the forms are derived.
    BadDemonymStem(String),
    /// A Wikidata id that is not `Q` followed by digits.
    BadWikidata(String),
    /// A short name listed both as standalone and as context-only.
    ShortNameInBothLists(String),
    /// A `proclitic_homographs` entry that is not one word starting with a proclitic letter
    /// (و ف ب ل ك) and a letter more.
    BadProcliticHomograph(String),
    /// A `not_names` entry with no letter after normalization.
    BadNotName(String),
    /// A `not_names` entry that is a name or alias of an entity: it would hide that entity.
    NotNameIsAName {
        /// The phrase as written.
        phrase: String,
        /// The entity that has it.
        id: String,
    },
}

/// A gazetteer that failed to load: the file, where in it, and the problem. Its `Display` says
/// all three, as `file:line: problem`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GazetteerError {
    pub(crate) file: PathBuf,
    pub(crate) location: Location,
    pub(crate) problem: Problem,
}

impl GazetteerError {
    /// The file (or directory) at fault.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Where in the file.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// What is wrong.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

impl fmt::Display for GazetteerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match &self.location {
            Location::File => {}
            Location::Line {
                line,
                column: Some(column),
            } => write!(f, ":{line}:{column}")?,
            Location::Line { line, column: None } => write!(f, ":{line}")?,
            Location::Entity { id, line } => write!(f, ":{line}: entity {id:?}")?,
        }
        f.write_str(": ")?;
        match &self.problem {
            Problem::Io(message) => write!(f, "cannot read: {message}"),
            Problem::NoFiles => {
                f.write_str("no gazetteer files (*.toml or *.jsonl) in this directory")
            }
            Problem::NotAFile => f.write_str("not a file (a gazetteer entry must be a file)"),
            Problem::NotUtf8 => f.write_str("not valid UTF-8"),
            Problem::Syntax(message) => f.write_str(message),
            Problem::BadId(id) => write!(
                f,
                "id {id:?} is not of the form <type>:<key> (a lowercase type such as `person`, \
                 a colon, and a key of ASCII letters, digits and single hyphens)"
            ),
            Problem::DuplicateId { first } => {
                write!(f, "id defined twice; first defined in {first}")
            }
            Problem::EmptyName { field } => write!(f, "`{field}` is empty"),
            Problem::EmptyAlias { field, index } => write!(f, "`{field}` #{} is empty", index + 1),
            Problem::NormalizesToNothing { field, alias } => write!(
                f,
                "`{field}` {alias:?} normalizes to nothing (only diacritics, tatweel, invisible \
                 characters or white space)"
            ),
            Problem::NoLetter { field, alias } => {
                write!(
                    f,
                    "`{field}` {alias:?} has no letter: a name needs at least one"
                )
            }
            Problem::FunctionWord { field, alias } => write!(
                f,
                "`{field}` {alias:?} is an Arabic function word: it would match ordinary prose \
                 everywhere; leave it out, or give the full name"
            ),
            Problem::BadDemonymStem(stem) => write!(
                f,
                "demonym stem {stem:?} does not end in ي: list the masculine singular without \
                 the article (صيني, كازاخي), the other forms are derived from it"
            ),
            Problem::BadWikidata(id) => write!(f, "wikidata id {id:?} is not Q followed by digits"),
            Problem::ShortNameInBothLists(name) => write!(
                f,
                "short name {name:?} is in both `short_names` and `standalone_short_names`: \
                 keep it in one (standalone if it is distinctive, short_names otherwise)"
            ),
            Problem::BadNotName(phrase) => {
                write!(f, "not-name phrase {phrase:?} has no letter")
            }
            Problem::NotNameIsAName { phrase, id } => write!(
                f,
                "not-name phrase {phrase:?} is a name of {id}: it would hide every mention of it"
            ),
            Problem::BadProcliticHomograph(word) => write!(
                f,
                "proclitic homograph {word:?} is not one word that starts with a proclitic \
                 (و ف ب ل ك) followed by more letters"
            ),
        }
    }
}

impl std::error::Error for GazetteerError {}

/// A request the engine cannot serve, through the caller's fault.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtractError {
    /// A type filter names a type the gazetteers do not have.
    UnknownType {
        /// The type asked for.
        given: String,
        /// The types the gazetteers have, sorted.
        valid: Vec<String>,
    },
    /// The text is too long for the engine's 32-bit offsets.
    TextTooLong {
        /// The text's length, in UTF-8 bytes.
        len: usize,
        /// The longest text the engine takes, in UTF-8 bytes.
        max: usize,
    },
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtractError::UnknownType { given, valid } => {
                write!(
                    f,
                    "unknown entity type {given:?}; valid types: {}",
                    valid.join(", ")
                )
            }
            ExtractError::TextTooLong { len, max } => {
                write!(f, "text of {len} bytes is over the limit of {max} bytes")
            }
        }
    }
}

impl std::error::Error for ExtractError {}

/// An extractor that could not be built: its gazetteer did not load, or its patterns are too
/// large for the trie.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The gazetteer did not load.
    Gazetteer(GazetteerError),
    /// The gazetteers hold no entity: an extractor would find nothing, which is never meant.
    NoEntities {
        /// Where the gazetteers came from.
        source: GazetteerSource,
    },
    /// The patterns hold more characters than the trie can index (2^32 states).
    TooManyPatternCharacters {
        /// The characters of every pattern, in all.
        characters: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Gazetteer(e) => write!(f, "gazetteer: {e}"),
            Error::NoEntities { source } => write!(
                f,
                "{source}: no entities (no *.toml or *.jsonl file holds one)"
            ),
            Error::TooManyPatternCharacters { characters } => write!(
                f,
                "cannot build the trie: its patterns hold {characters} characters, more than it can index"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Gazetteer(e) => Some(e),
            Error::NoEntities { .. } => None,
            Error::TooManyPatternCharacters { .. } => None,
        }
    }
}

impl From<GazetteerError> for Error {
    fn from(e: GazetteerError) -> Self {
        Error::Gazetteer(e)
    }
}
