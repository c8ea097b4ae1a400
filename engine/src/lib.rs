//! Alam (عَلَم, "a proper name") finds the officials, countries, cities, organizations and
//! political initiatives named in Arabic text, and returns each mention's exact span in the
//! caller's own text with a stable normalized ID (`person:xi-jinping`, `country:KZ`,
//! `initiative:belt-and-road`).
//!
//! Plain gazetteer matchers fail on Arabic: a name carries proclitics (`وكازاخستان`,
//! `بالطريق المضيء`, `للصين`), diacritics and tatweel, alef, ya and ta marbuta spelling variants,
//! presentation forms from PDF extractors; and once text is normalized, their offsets no longer
//! point into the caller's text. Alam matches on a normalized copy of the text, keeps a map back to
//! the original, and applies Arabic word-edge rules, so that it finds what a reader finds.
//!
//! # Example
//!
//! ```
//! use alam_engine::{ExtractOptions, Extractor, OffsetEncoding};
//!
//! // Build once (the default gazetteers are compiled in); share across threads.
//! let extractor = Extractor::embedded()?;
//!
//! let text = "وقال وانغ يي إن الصين تدعم مبادرة الحزام والطريق.";
//! let options = ExtractOptions { offsets: OffsetEncoding::Utf16, ..Default::default() };
//! let found: Vec<String> = extractor
//!     .extract(text, &options)?
//!     .iter()
//!     .map(|m| format!("{}..{} {} {} ({})", m.start, m.end, m.text, m.entity_id(), m.form))
//!     .collect();
//! assert_eq!(found, [
//!     "5..12 وانغ يي person:wang-yi (name)",
//!     "16..21 الصين country:CN (name)",
//!     "27..48 مبادرة الحزام والطريق initiative:belt-and-road (name)",
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Only some types, and an error for a type the gazetteers lack:
//!
//! ```
//! # use alam_engine::{ExtractOptions, Extractor};
//! let extractor = Extractor::embedded()?;
//! let types = extractor.type_filter(&["person"])?;
//! let options = ExtractOptions { types, ..Default::default() };
//! let mentions = extractor.extract("التقى لي تشيانغ بتوكاييف في بكين", &options)?;
//! let ids: Vec<&str> = mentions.iter().map(|m| m.entity_id()).collect();
//! // A distinctive surname (توكاييف) is found alone, after its proclitic ب.
//! assert_eq!(ids, ["person:li-qiang", "person:kassym-jomart-tokayev"]);
//! assert!(extractor.type_filter(&["planet"]).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Organization
//!
//! - [`mod@normalize`]: the fold applied to text and aliases, with the map back to the original.
//! - [`words`]: word edges and proclitics.
//! - [`demonym`]: the forms derived from a demonym stem.
//! - [`variants`]: the spelling variants generated from a transliterated name.
//! - [`Gazetteer`] (`gazetteer.rs`): entities, the file formats, validation, the embedded
//!   defaults.
//! - [`Extractor`] (`extractor.rs`): the trie, candidate selection, short names and
//!   ambiguity.
//! - [`OffsetEncoding`] (`offsets.rs`): spans in code points, UTF-8 bytes or UTF-16 units.
//! - [`Mention`] (`mention.rs`): what extraction returns.
//! - [`Error`] (`error.rs`): what can fail, naming the file and line.
//!
//! The gRPC service and the command line are the `alam` package, built on this crate; this one
//! depends on no server, CLI or logging framework.
//!
//! `DESIGN.md` explains the choices that do not fit in comments.

#![deny(missing_docs)]

pub mod demonym;
mod error;
mod extractor;
mod gazetteer;
mod hash;
mod mention;
pub mod normalize;
mod offsets;
mod trie;
pub mod variants;
pub mod words;

pub use error::{Error, ExtractError, GazetteerError, Location, Problem};
pub use extractor::{BuildStats, ExtractOptions, Extractor, SharedAlias, TypeFilter};
pub use gazetteer::{
    Entity, Gazetteer, GazetteerSource, GeneratedVariant, Refusal, RefusedVariant, SurfaceKind,
    TypeCount,
};
pub use mention::{Form, Mention, entity_counts};
pub use normalize::normalize;
pub use offsets::{OffsetEncoding, UnknownEncoding};
