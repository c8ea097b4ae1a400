//! Engine types to the messages of the contract (`alam.v1`), and back for the offset encoding.

use std::time::SystemTime;

use super::slot::ReloadStatus;
use super::status::CallError;
use crate::proto;
use alam_engine::{Entity, Extractor, Form, Mention, OffsetEncoding, entity_counts};

/// The engine's encoding for a request's `offset_encoding`; unset means code points.
pub fn offset_encoding(value: i32) -> Result<OffsetEncoding, CallError> {
    match proto::OffsetEncoding::try_from(value) {
        Ok(proto::OffsetEncoding::Unspecified | proto::OffsetEncoding::CodePoint) => {
            Ok(OffsetEncoding::CodePoint)
        }
        Ok(proto::OffsetEncoding::Utf8) => Ok(OffsetEncoding::Utf8),
        Ok(proto::OffsetEncoding::Utf16) => Ok(OffsetEncoding::Utf16),
        Err(_) => Err(CallError::UnknownOffsetEncoding(value)),
    }
}

fn form(form: Form) -> proto::Form {
    match form {
        Form::Name => proto::Form::Name,
        Form::Short => proto::Form::Short,
        Form::Demonym => proto::Form::Demonym,
    }
}

/// Offsets fit: `--max-text-bytes` is at most `i32::MAX`, and no offset exceeds a text's bytes.
fn offset(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A count, as the contract's signed 32 bits (AIP-141); none comes near the limit.
fn count(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// One mention.
pub fn mention(m: &Mention<'_>) -> proto::Mention {
    proto::Mention {
        start: offset(m.start),
        end: offset(m.end),
        text: m.text.to_string(),
        entity_id: m.entity_id().to_string(),
        entity_type: m.entity_type().to_string(),
        form: form(m.form).into(),
        candidates: m.candidates.iter().map(|e| e.id.clone()).collect(),
        proclitic: m.proclitic.to_string(),
    }
}

/// The response for one document: its mentions and each distinct entity with its count.
pub fn extract_response(
    document_id: String,
    mentions: &[Mention<'_>],
    gazetteer_version: &str,
) -> proto::ExtractResponse {
    proto::ExtractResponse {
        document_id,
        mentions: mentions.iter().map(mention).collect(),
        entities: entity_counts(mentions)
            .into_iter()
            .map(|(entity, n)| proto::EntitySummary {
                id: entity.id.clone(),
                entity_type: entity.entity_type().to_string(),
                name_ar: entity.name_ar.clone(),
                name_en: entity.name_en.clone(),
                mention_count: count(n),
                wikidata: entity.wikidata.clone().unwrap_or_default(),
            })
            .collect(),
        gazetteer_version: gazetteer_version.to_string(),
    }
}

/// One entity of the gazetteers.
pub fn entity(e: &Entity) -> proto::Entity {
    proto::Entity {
        id: e.id.clone(),
        entity_type: e.entity_type().to_string(),
        name_ar: e.name_ar.clone(),
        name_en: e.name_en.clone(),
        aliases: e.aliases.clone(),
        short_names: e.short_names.clone(),
        wikidata: e.wikidata.clone().unwrap_or_default(),
        attributes: e
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        demonym_stems: e.demonym_stems.clone(),
        standalone_short_names: e.standalone_short_names.clone(),
        demonym_plurals: e.demonym_plurals.clone(),
        generated_variant_count: count(e.generated_variants.len()),
    }
}

/// The description of the loaded gazetteers, of the last reload and of this build.
pub fn info(
    extractor: &Extractor,
    loaded_at: SystemTime,
    reload: &ReloadStatus,
) -> proto::GetInfoResponse {
    let gazetteer = extractor.gazetteer();
    let types = gazetteer
        .type_counts()
        .into_iter()
        .map(|c| proto::TypeCount {
            entity_type: c.entity_type.to_string(),
            entity_count: count(c.entities),
            alias_count: count(c.aliases),
        })
        .collect();
    proto::GetInfoResponse {
        gazetteer_version: gazetteer.version().to_string(),
        types,
        pattern_count: count(extractor.stats().patterns),
        load_time: Some(timestamp(loaded_at)),
        build_version: env!("CARGO_PKG_VERSION").to_string(),
        gazetteer_files: gazetteer
            .files()
            .iter()
            .map(|file| proto::GazetteerFile {
                name: file.name.clone(),
                entity_count: count(file.entities),
                source: file.source.clone().unwrap_or_default(),
            })
            .collect(),
        last_reload_error: reload.last_error.clone().unwrap_or_default(),
        last_reload_time: reload.last_attempt_at.map(timestamp),
    }
}

/// `time` as a protobuf Timestamp (seconds and nanoseconds since the Unix epoch, UTC).
pub fn timestamp(time: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_count_from_the_epoch() {
        let at = timestamp(UNIX_EPOCH + Duration::from_millis(1_795_502_820_250));
        assert_eq!((at.seconds, at.nanos), (1_795_502_820, 250_000_000));
    }

    #[test]
    fn every_encoding_value_of_the_contract() {
        assert_eq!(offset_encoding(0).unwrap(), OffsetEncoding::CodePoint);
        assert_eq!(offset_encoding(1).unwrap(), OffsetEncoding::CodePoint);
        assert_eq!(offset_encoding(2).unwrap(), OffsetEncoding::Utf8);
        assert_eq!(offset_encoding(3).unwrap(), OffsetEncoding::Utf16);
        assert!(offset_encoding(4).is_err());
    }
}
