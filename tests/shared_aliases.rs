//! The aliases shared by several entities, reviewed one by one. `alam check` lists the same set;
//! a new shared alias fails this test until it is reviewed and added here with its reason, so no
//! entity silently steals another's name.

use std::collections::BTreeSet;

use alam::{Extractor, normalize};

/// (alias as written, the entities sharing it, why it is kept).
const REVIEWED: &[(&str, &[&str], &str)] = &[
    (
        "الكونغو",
        &["country:CD", "country:CG"],
        "bare 'Congo' is genuinely ambiguous between the two Congos: reported with both candidates",
    ),
    (
        "لي",
        &["person:li-qiang", "person:li-keqiang"],
        "surname of both premiers: resolved by the full name the document uses (seeds 000 and 004)",
    ),
    (
        "جباروف",
        &["person:sadyr-japarov", "person:akylbek-japarov"],
        "surname of Kyrgyzstan's president and its former head of cabinet: resolved by the full name",
    ),
    (
        "جاباروف",
        &["person:sadyr-japarov", "person:akylbek-japarov"],
        "the same surname in the other common spelling: resolved by the full name",
    ),
    (
        "بردي محمدوف",
        &[
            "person:gurbanguly-berdimuhamedov",
            "person:serdar-berdimuhamedov",
        ],
        "surname of Turkmenistan's two presidents, father and son: resolved by the full name",
    ),
    (
        "بيردي محمدوف",
        &[
            "person:gurbanguly-berdimuhamedov",
            "person:serdar-berdimuhamedov",
        ],
        "the same surname, spelled with ي: resolved by the full name",
    ),
    (
        "بيرديمحمدوف",
        &[
            "person:gurbanguly-berdimuhamedov",
            "person:serdar-berdimuhamedov",
        ],
        "the same surname, written as one word: resolved by the full name",
    ),
];

#[test]
fn the_shared_aliases_are_exactly_the_reviewed_ones() {
    let extractor = Extractor::embedded().unwrap();
    let found: BTreeSet<(String, Vec<String>)> = extractor
        .shared_aliases()
        .into_iter()
        .map(|shared| {
            let mut ids: Vec<String> = shared.entities.iter().map(|(e, _)| e.id.clone()).collect();
            ids.sort();
            (shared.alias, ids)
        })
        .collect();
    let reviewed: BTreeSet<(String, Vec<String>)> = REVIEWED
        .iter()
        .map(|(alias, ids, reason)| {
            assert!(!reason.is_empty());
            let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            ids.sort();
            (normalize(alias).trim().to_string(), ids)
        })
        .collect();
    let unreviewed: Vec<_> = found.difference(&reviewed).collect();
    let gone: Vec<_> = reviewed.difference(&found).collect();
    assert!(
        unreviewed.is_empty() && gone.is_empty(),
        "shared aliases not reviewed: {unreviewed:?}\nreviewed but no longer shared: {gone:?}"
    );
}

/// A short name shared by two persons goes to the one the document names in full.
#[test]
fn shared_short_names_follow_the_full_name() {
    let extractor = Extractor::embedded().unwrap();
    let cases = [
        (
            "استقبل سردار بردي محمدوف الوفد، وقال بردي محمدوف إن",
            "person:serdar-berdimuhamedov",
        ),
        (
            "استقبل قربان قولي بردي محمدوف الوفد، وقال بردي محمدوف إن",
            "person:gurbanguly-berdimuhamedov",
        ),
        (
            "التقى صدر جباروف الوفد، وقال جباروف إن",
            "person:sadyr-japarov",
        ),
        (
            "التقى أكيلبيك جاباروف الوفد، وقال جباروف إن",
            "person:akylbek-japarov",
        ),
    ];
    for (text, id) in cases {
        let mentions = extractor.extract(text, &Default::default()).unwrap();
        let last = mentions.last().unwrap();
        assert_eq!(
            (last.entity_id(), last.form.name()),
            (id, "short"),
            "{text}"
        );
    }
}
