//! Engine types to the messages of the contract (`alam.v1`), and back for the offset encoding.

use std::time::{SystemTime, UNIX_EPOCH};

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

/// Offsets fit: the engine refuses texts whose offsets would not fit 32 bits.
fn offset(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// One mention.
pub fn mention(m: &Mention<'_>) -> proto::Mention {
    proto::Mention {
        start: offset(m.start),
        end: offset(m.end),
        text: m.text.to_string(),
        entity_id: m.entity_id().to_string(),
        r#type: m.entity_type().to_string(),
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
                r#type: entity.entity_type().to_string(),
                name_ar: entity.name_ar.clone(),
                name_en: entity.name_en.clone(),
                mention_count: count(n),
            })
            .collect(),
        gazetteer_version: gazetteer_version.to_string(),
    }
}

/// One entity of the gazetteers.
pub fn entity(e: &Entity) -> proto::Entity {
    proto::Entity {
        id: e.id.clone(),
        r#type: e.entity_type().to_string(),
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
        generated_variant_count: u32::try_from(e.generated_variants.len()).unwrap_or(u32::MAX),
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
            r#type: c.entity_type.to_string(),
            entities: count(c.entities),
            aliases: count(c.aliases),
        })
        .collect();
    proto::GetInfoResponse {
        gazetteer_version: gazetteer.version().to_string(),
        types,
        patterns: count(extractor.stats().patterns),
        loaded_at: rfc3339(loaded_at),
        build_version: env!("CARGO_PKG_VERSION").to_string(),
        gazetteer_files: gazetteer
            .files()
            .iter()
            .map(|file| match &file.source {
                Some(source) => format!("{} ({} entities): {source}", file.name, file.entities),
                None => format!("{} ({} entities)", file.name, file.entities),
            })
            .collect(),
        last_reload_error: reload.last_error.clone().unwrap_or_default(),
        last_reload_at: reload.last_attempt_at.map(rfc3339).unwrap_or_default(),
    }
}

/// `time` as RFC 3339 in UTC to the second, such as `2026-11-24T06:47:00Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_in_utc() {
        let at = |s: u64| rfc3339(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_502_820), "2026-11-24T06:47:00Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
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
