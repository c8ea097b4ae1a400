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
//! use alam::{ExtractOptions, Extractor, OffsetEncoding};
//!
//! // Build once (the default gazetteers are compiled in); share across threads.
//! let extractor = Extractor::embedded()?;
//!
//! let text = "وقال وانغ يي إن الصين تدعم مبادرة الحزام والطريق.";
//! let options = ExtractOptions { offsets: OffsetEncoding::Utf16, ..Default::default() };
//! for mention in extractor.extract(text, &options)? {
//!     println!("{}..{} {} {} ({})", mention.start, mention.end, mention.text, mention.entity_id(), mention.form);
//! }
//! // 5..12 وانغ يي person:wang-yi (name)
//! // 16..21 الصين country:CN (name)
//! // 26..47 مبادرة الحزام والطريق initiative:belt-and-road (name)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Only some types, and an error for a type the gazetteers lack:
//!
//! ```
//! # use alam::{ExtractOptions, Extractor};
//! let extractor = Extractor::embedded()?;
//! let types = extractor.type_filter(&["person"])?;
//! let options = ExtractOptions { types, ..Default::default() };
//! let mentions = extractor.extract("التقى لي تشيانغ بتوكاييف في بكين", &options)?;
//! assert_eq!(mentions.len(), 1);
//! assert_eq!(mentions[0].entity_id(), "person:li-qiang");
//! assert!(extractor.type_filter(&["planet"]).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Organization
//!
//! - [`normalize`]: the fold applied to text and aliases, with the map back to the original.
//! - [`words`]: word edges and proclitics.
//! - [`demonym`]: the forms derived from a demonym stem.
//! - [`gazetteer`]: entities, the file formats, validation, the embedded defaults.
//! - [`extractor`]: the automaton, candidate selection, short names and ambiguity.
//! - [`offsets`]: spans in code points, UTF-8 bytes or UTF-16 units.
//! - [`mention`]: what extraction returns.
//! - `server` (feature `server`, on by default): the gRPC service, a thin layer on the engine.
//!
//! `DESIGN.md` explains the choices that do not fit in comments.

pub mod demonym;
pub mod error;
pub mod extractor;
pub mod gazetteer;
pub mod mention;
pub mod normalize;
pub mod offsets;
pub mod words;

pub use error::{Error, ExtractError, GazetteerError};
pub use extractor::{BuildStats, ExtractOptions, Extractor, SharedAlias, TypeFilter};
pub use gazetteer::{Entity, Gazetteer};
pub use mention::{Form, Mention, entity_counts};
pub use normalize::normalize;
pub use offsets::OffsetEncoding;
