//! The matching rules of the design note, one table row per rule: normalization, word edges,
//! proclitics, the lam-lam contraction, short names (context, standalone, shared), generated
//! spelling variants, inner name parts, official forms, demonyms (two-word, broken plurals),
//! overlaps, the traps of real news, and ambiguity.

use std::path::PathBuf;

use alam_engine::{ExtractOptions, Extractor, Gazetteer, OffsetEncoding};

use crate::common::extractor;

/// (mention text, entity id, form, proclitic) of every mention of `text`.
fn found(extractor: &Extractor, text: &str) -> Vec<(String, String, String, String)> {
    extractor
        .extract(text, &ExtractOptions::default())
        .unwrap()
        .iter()
        .map(|m| {
            (
                m.text.to_string(),
                m.entity_id().to_string(),
                m.form.name().to_string(),
                m.proclitic.to_string(),
            )
        })
        .collect()
}

/// Expected mentions, written compactly: (text, id, form, proclitic).
type Expected<'a> = &'a [(&'a str, &'a str, &'a str, &'a str)];

fn check(cases: &[(&str, &str, Expected<'_>)]) {
    let mut failures = Vec::new();
    for (rule, text, expected) in cases {
        let got = found(extractor(), text);
        let want: Vec<(String, String, String, String)> = expected
            .iter()
            .map(|(t, id, form, p)| {
                (
                    t.to_string(),
                    id.to_string(),
                    form.to_string(),
                    p.to_string(),
                )
            })
            .collect();
        if got != want {
            failures.push(format!(
                "{rule}: {text:?}\n    want {want:?}\n    got  {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn normalization() {
    check(&[
        (
            "diacritics inside a name",
            "زار بكِّين",
            &[("بكِّين", "city:beijing", "name", "")],
        ),
        (
            "diacritics at the end, taken into the span",
            "في كازاخستانَ اليوم",
            &[("كازاخستانَ", "country:KZ", "name", "")],
        ),
        (
            "shadda and marks on a demonym",
            "الجانب الصِّينيُّ",
            &[("الصِّينيُّ", "country:CN", "demonym", "")],
        ),
        (
            "tatweel",
            "زار الصـــين",
            &[("الصـــين", "country:CN", "name", "")],
        ),
        (
            "alef without hamza",
            "وصل إلى استانا",
            &[("استانا", "city:astana", "name", "")],
        ),
        (
            "alef with hamza below in the text",
            "إستانا",
            &[("إستانا", "city:astana", "name", "")],
        ),
        (
            "ta marbuta as ha",
            "في أستانه",
            &[("أستانه", "city:astana", "name", "")],
        ),
        (
            "alef maksura as ya",
            "منظمة شانغهاى للتعاون",
            &[("منظمة شانغهاى للتعاون", "organization:sco", "name", "")],
        ),
        (
            "ya as alef maksura in a demonym",
            "الجانب القازاقى",
            &[("القازاقى", "country:KZ", "demonym", "")],
        ),
        (
            "Persian kaf and ya",
            "کازاخستان",
            &[("کازاخستان", "country:KZ", "name", "")],
        ),
        (
            "contextual presentation forms",
            "ﺑﻜﻴﻦ",
            &[("ﺑﻜﻴﻦ", "city:beijing", "name", "")],
        ),
        (
            "a lam-alef ligature expands to two letters",
            "اﻷمم المتحدة",
            &[("اﻷمم المتحدة", "organization:un", "name", "")],
        ),
        (
            "zero-width and direction marks",
            "\u{200F}كازاخ\u{200C}ستان\u{200E}",
            &[("كازاخ\u{200C}ستان", "country:KZ", "name", "")],
        ),
        (
            "a line break inside a name",
            "الرئيس شي جين\nبينغ",
            &[("شي جين\nبينغ", "person:xi-jinping", "name", "")],
        ),
        (
            "a double space inside a name",
            "شي  جين بينغ",
            &[("شي  جين بينغ", "person:xi-jinping", "name", "")],
        ),
        (
            "a non-breaking space inside a name",
            "وانغ\u{00A0}يي",
            &[("وانغ\u{00A0}يي", "person:wang-yi", "name", "")],
        ),
        (
            "a hyphen is an edge",
            "العلاقات الصينية-الكازاخية",
            &[
                ("الصينية", "country:CN", "demonym", ""),
                ("الكازاخية", "country:KZ", "demonym", ""),
            ],
        ),
        (
            "quotes and parentheses are edges",
            "«الصين» (شينخوا)",
            &[
                ("الصين", "country:CN", "name", ""),
                ("شينخوا", "organization:xinhua", "name", ""),
            ],
        ),
    ]);
}

#[test]
fn proclitics() {
    let mut cases = Vec::new();
    let texts: Vec<(String, &str)> = alam_engine::words::PROCLITICS
        .iter()
        .map(|p| (format!("{p}كازاخستان"), *p))
        .collect();
    let expected: Vec<[(&str, &str, &str, &str); 1]> = texts
        .iter()
        .map(|(_, p)| [("كازاخستان", "country:KZ", "name", *p)])
        .collect();
    for ((text, _), want) in texts.iter().zip(&expected) {
        cases.push(("every proclitic and pair", text.as_str(), &want[..]));
    }
    check(&cases);
    check(&[
        (
            "a proclitic with its diacritic",
            "وَكازاخستان",
            &[("كازاخستان", "country:KZ", "name", "وَ")],
        ),
        (
            "ba before the article",
            "بالطريق المضيء",
            &[("الطريق المضيء", "initiative:nurly-zhol", "name", "ب")],
        ),
        (
            "kaf before the article",
            "كالأمم المتحدة",
            &[("الأمم المتحدة", "organization:un", "name", "ك")],
        ),
        (
            "lam-lam contraction",
            "دعم للصين",
            &[("لصين", "country:CN", "name", "ل")],
        ),
        (
            "wa + lam-lam",
            "وللصين",
            &[("لصين", "country:CN", "name", "ول")],
        ),
        (
            "fa + lam-lam",
            "فللحزام والطريق",
            &[("لحزام والطريق", "initiative:belt-and-road", "name", "فل")],
        ),
        (
            "lam-lam on a demonym",
            "للصينية",
            &[("لصينية", "country:CN", "demonym", "ل")],
        ),
        (
            "lam-lam before a word that begins with lam: the article's lam merges into it",
            "وللجنة العسكرية المركزية",
            &[(
                "لجنة العسكرية المركزية",
                "organization:central-military-commission",
                "name",
                "ول",
            )],
        ),
        (
            "a city whose name begins with lam, after the lam proclitic",
            "زيارة للاذقية",
            &[("لاذقية", "city:latakia", "name", "ل")],
        ),
        ("no contraction without a lam proclitic", "بلصين ولصين", &[]),
        (
            "a not-name phrase hides the name inside it, and only there",
            "عاد إلى مسقط رأسه ثم زار مسقط",
            &[("مسقط", "city:muscat", "name", "")],
        ),
        (
            "letters that are not a proclitic",
            "مكازاخستان بوكازاخستان",
            &[],
        ),
        ("no match inside a longer word", "كازاخستانستان", &[]),
        (
            "short aliases take no proclitic: ولي is not Li",
            "التقى لي تشيانغ بولي العهد ولي",
            &[("لي تشيانغ", "person:li-qiang", "name", "")],
        ),
        (
            "شيء is not Xi",
            "قال شي جين بينغ إن كل شيء ممكن",
            &[("شي جين بينغ", "person:xi-jinping", "name", "")],
        ),
        (
            "a proclitic homograph is its own word: وزاريا is not و + Zaria",
            "عقدوا اجتماعا وزاريا في زاريا",
            &[("زاريا", "city:zaria", "name", "")],
        ),
        (
            "a proclitic homograph: بليون is not ب + Lyon",
            "استثمار بقيمة بليون دولار في ليون",
            &[("ليون", "city:lyon", "name", "")],
        ),
        (
            "a proclitic homograph: كلام is not ك + To Lam, who is named in full",
            "قال تو لام كلاما واضحا",
            &[("تو لام", "person:to-lam", "name", "")],
        ),
        (
            "the same name after a proclitic in another word still matches",
            "وصل إلى زاريا وليون",
            &[
                ("زاريا", "city:zaria", "name", ""),
                ("ليون", "city:lyon", "name", "و"),
            ],
        ),
    ]);
}

#[test]
fn short_names() {
    check(&[
        (
            "resolved by the full name before",
            "التقى لي تشيانغ بوانغ يي. وقال لي إن",
            &[
                ("لي تشيانغ", "person:li-qiang", "name", ""),
                ("وانغ يي", "person:wang-yi", "name", "ب"),
                ("لي", "person:li-qiang", "short", ""),
            ],
        ),
        (
            "the other Li in another document",
            "تعهد لي كه تشيانغ اليوم. وقال لي إن",
            &[
                ("لي كه تشيانغ", "person:li-keqiang", "name", ""),
                ("لي", "person:li-keqiang", "short", ""),
            ],
        ),
        (
            "the nearest full name before wins",
            "لي تشيانغ ثم لي كه تشيانغ. قال لي",
            &[
                ("لي تشيانغ", "person:li-qiang", "name", ""),
                ("لي كه تشيانغ", "person:li-keqiang", "name", ""),
                ("لي", "person:li-keqiang", "short", ""),
            ],
        ),
        (
            "with no full name before, the first one after",
            "قال لي إن لي كه تشيانغ سيزور",
            &[
                ("لي", "person:li-keqiang", "short", ""),
                ("لي كه تشيانغ", "person:li-keqiang", "name", ""),
            ],
        ),
        (
            "a context short name is not reported when the document names no one",
            "قال لي صديقي إن وانغ",
            &[],
        ),
        (
            "a short name takes proclitics when longer than two letters",
            "قاسم جومارت توكاييف. وتوكاييف",
            &[
                (
                    "قاسم جومارت توكاييف",
                    "person:kassym-jomart-tokayev",
                    "name",
                    "",
                ),
                ("توكاييف", "person:kassym-jomart-tokayev", "short", "و"),
            ],
        ),
        (
            "a short name with a space",
            "نورسلطان نزارباييف ثم نزار باييف",
            &[
                (
                    "نورسلطان نزارباييف",
                    "person:nursultan-nazarbayev",
                    "name",
                    "",
                ),
                ("نزار باييف", "person:nursultan-nazarbayev", "short", ""),
            ],
        ),
    ]);
}

#[test]
fn standalone_and_shared_short_names() {
    check(&[
        (
            "a standalone surname is found alone, in a headline",
            "بوتين يستقبل لافروف",
            &[
                ("بوتين", "person:vladimir-putin", "short", ""),
                ("لافروف", "person:sergey-lavrov", "short", ""),
            ],
        ),
        (
            "with a proclitic",
            "وأكد أردوغان وغوتيريش",
            &[
                ("أردوغان", "person:recep-tayyip-erdogan", "short", ""),
                ("غوتيريش", "person:antonio-guterres", "short", "و"),
            ],
        ),
        (
            "a context surname stays unreported without the full name",
            "وقال شي إن",
            &[],
        ),
        (
            "a shared standalone surname follows the full name",
            "استقبل سردار بردي محمدوف الوفد. وقال بردي محمدوف",
            &[
                (
                    "سردار بردي محمدوف",
                    "person:serdar-berdimuhamedov",
                    "name",
                    "",
                ),
                ("بردي محمدوف", "person:serdar-berdimuhamedov", "short", ""),
            ],
        ),
        (
            "a shared standalone surname with no full name: one mention, every candidate",
            "وقال بردي محمدوف",
            &[("بردي محمدوف", "", "short", "")],
        ),
        (
            "a surname named in full wins over the demonym it spells",
            "قال محمد شياع السوداني إن السوداني",
            &[
                (
                    "محمد شياع السوداني",
                    "person:mohammed-shia-al-sudani",
                    "name",
                    "",
                ),
                ("السوداني", "person:mohammed-shia-al-sudani", "short", ""),
            ],
        ),
        (
            "without the full name it is the demonym",
            "وقال المسؤول السوداني",
            &[("السوداني", "country:SD", "demonym", "")],
        ),
    ]);
}

#[test]
fn generated_spelling_variants() {
    check(&[
        (
            "/g/ written ج",
            "زار باراجواي",
            &[("باراجواي", "country:PY", "name", "")],
        ),
        (
            "ك written ق",
            "وقال توقاييف",
            &[("توقاييف", "person:kassym-jomart-tokayev", "short", "")],
        ),
        (
            "hamza on ya left out, then the doubled ya",
            "وقال ميرضيايف",
            &[("ميرضيايف", "person:shavkat-mirziyoyev", "short", "")],
        ),
        (
            "variants of head and tail of a full name, combined",
            "التقى قاسم جومرت توقاييف",
            &[(
                "قاسم جومرت توقاييف",
                "person:kassym-jomart-tokayev",
                "name",
                "",
            )],
        ),
        (
            "a compound written as one word",
            "التقى شي جينبينغ",
            &[("شي جينبينغ", "person:xi-jinping", "name", "")],
        ),
        (
            "a variant that is an ordinary word is refused (فارق, 'a margin')",
            "فاز بفارق كبير",
            &[],
        ),
    ]);
}

#[test]
fn inner_name_parts() {
    check(&[
        (
            "a patronymic between given name and surname",
            "استقبل ألكسندر غريغوريفيتش لوكاشينكو الوفد",
            &[(
                "ألكسندر غريغوريفيتش لوكاشينكو",
                "person:alexander-lukashenko",
                "name",
                "",
            )],
        ),
        (
            "an inner word with the article is not a name part",
            "ألكسندر الكبير لوكاشينكو",
            &[("لوكاشينكو", "person:alexander-lukashenko", "short", "")],
        ),
        (
            "an inner word with a proclitic and the article is not a name part",
            "ألكسندر والرئيس لوكاشينكو",
            &[("لوكاشينكو", "person:alexander-lukashenko", "short", "")],
        ),
        (
            "a name with بن takes no inner parts: the father's name follows بن",
            "رافق الملك سلمان بن عبدالعزيز نجله حمد",
            &[(
                "سلمان بن عبدالعزيز",
                "person:salman-bin-abdulaziz",
                "name",
                "",
            )],
        ),
        (
            "punctuation between the parts breaks the name",
            "ألكسندر، غريغوريفيتش لوكاشينكو",
            &[("لوكاشينكو", "person:alexander-lukashenko", "short", "")],
        ),
        (
            "the surname is no inner part of its own name: the full name, then the short one",
            "قال موسى أبو مرزوق وأبو مرزوق آخر",
            &[
                ("موسى أبو مرزوق", "person:mousa-abu-marzouk", "name", ""),
                ("أبو مرزوق", "person:mousa-abu-marzouk", "short", "و"),
            ],
        ),
    ]);
}

#[test]
fn official_forms_and_demonyms() {
    check(&[
        (
            "an official long form is one mention",
            "وزار جمهورية بيلاروسيا والجمهورية الإسلامية الإيرانية",
            &[
                ("جمهورية بيلاروسيا", "country:BY", "name", ""),
                ("الجمهورية الإسلامية الإيرانية", "country:IR", "name", "و"),
            ],
        ),
        (
            "two-word demonyms, agreeing and compound",
            "الرئيس الكوري الجنوبي والوزير الجنوب أفريقي",
            &[
                ("الكوري الجنوبي", "country:KR", "demonym", ""),
                ("الجنوب أفريقي", "country:ZA", "demonym", ""),
            ],
        ),
        (
            "broken plurals, with and without the article",
            "التقى الروس والأتراك ومغاربة",
            &[
                ("الروس", "country:RU", "demonym", ""),
                ("الأتراك", "country:TR", "demonym", "و"),
                ("مغاربة", "country:MA", "demonym", "و"),
            ],
        ),
    ]);
}

#[test]
fn traps_of_real_news() {
    check(&[
        (
            "Turkic in an organization's name is not the Turkish demonym",
            "قمة منظمة الدول التركية",
            &[(
                "منظمة الدول التركية",
                "organization:organization-of-turkic-states",
                "name",
                "",
            )],
        ),
        (
            "the treaty is not the organization",
            "وقعت معاهدة الأمن الجماعي",
            &[(
                "معاهدة الأمن الجماعي",
                "initiative:collective-security-treaty",
                "name",
                "",
            )],
        ),
        (
            "Latin America is not the United States",
            "دول أمريكا اللاتينية",
            &[("أمريكا اللاتينية", "region:latin-america", "name", "")],
        ),
        (
            "the capital named like its country",
            "وصل إلى الجزائر العاصمة ثم الجزائر",
            &[
                ("الجزائر العاصمة", "city:algiers", "name", ""),
                ("الجزائر", "country:DZ", "name", ""),
            ],
        ),
        (
            "a father's name after بن is the son's patronymic, not a mention of the father",
            "تنازل الشيخ جاسم بن حمد بن خليفة آل ثاني عن ولاية العهد",
            &[],
        ),
        (
            "… so the son's name is not hidden by his father's longer one",
            "وزير الدفاع الأمير خالد بن سلمان بن عبدالعزيز آل سعود",
            &[(
                "خالد بن سلمان بن عبدالعزيز",
                "person:khalid-bin-salman",
                "name",
                "",
            )],
        ),
        (
            "… and the son's longer listed name wins",
            "أكد الأمير محمد بن سلمان بن عبدالعزيز",
            &[(
                "محمد بن سلمان بن عبدالعزيز",
                "person:mohammed-bin-salman",
                "name",
                "",
            )],
        ),
        (
            "the father named alone is himself",
            "الملك سلمان بن عبدالعزيز والأمير حمد بن خليفة",
            &[
                (
                    "سلمان بن عبدالعزيز",
                    "person:salman-bin-abdulaziz",
                    "name",
                    "",
                ),
                ("حمد بن خليفة", "person:hamad-bin-khalifa", "name", ""),
            ],
        ),
    ]);
}

#[test]
fn demonyms_and_overlaps() {
    check(&[
        (
            "masculine, feminine, plural, dual",
            "الصيني والصينية والصينيون الصينيين الصينيتان صينيتين",
            &[
                ("الصيني", "country:CN", "demonym", ""),
                ("الصينية", "country:CN", "demonym", "و"),
                ("الصينيون", "country:CN", "demonym", "و"),
                ("الصينيين", "country:CN", "demonym", ""),
                ("الصينيتان", "country:CN", "demonym", ""),
                ("صينيتين", "country:CN", "demonym", ""),
            ],
        ),
        (
            "the longest wins",
            "مجلس الدولة الصيني",
            &[(
                "مجلس الدولة الصيني",
                "organization:state-council",
                "name",
                "",
            )],
        ),
        (
            "a name inside a longer name",
            "آلية الصين-آسيا الوسطى",
            &[(
                "آلية الصين-آسيا الوسطى",
                "organization:china-central-asia",
                "name",
                "",
            )],
        ),
        (
            "a valid match hidden behind an invalid longer one",
            "مجلس الدولة الصينيون",
            &[("الصينيون", "country:CN", "demonym", "")],
        ),
        (
            "a generic head inside the span",
            "دعم مبادرة الحزام والطريق",
            &[(
                "مبادرة الحزام والطريق",
                "initiative:belt-and-road",
                "name",
                "",
            )],
        ),
        (
            "and without it",
            "منتدى الحزام والطريق",
            &[("الحزام والطريق", "initiative:belt-and-road", "name", "")],
        ),
        (
            "a renamed city keeps its id",
            "نور سلطان",
            &[("نور سلطان", "city:astana", "name", "")],
        ),
    ]);
}

#[test]
fn degenerate_texts() {
    check(&[
        ("empty text", "", &[]),
        (
            "no Arabic",
            "Xi Jinping met Kassym-Jomart Tokayev in Astana.",
            &[],
        ),
        ("only diacritics", "ًٌٍَُِّْ", &[]),
        ("only white space and marks", " \n\t\u{200B} ", &[]),
        ("a lone proclitic", "و", &[]),
    ]);
}

#[test]
fn shared_names_of_places_and_bodies_resolved_by_the_document() {
    check(&[
        (
            "Tripoli in a document naming Libya is Libya's",
            "اجتمع المجلس في طرابلس لبحث أزمة ليبيا",
            &[
                ("طرابلس", "city:tripoli", "name", ""),
                ("ليبيا", "country:LY", "name", ""),
            ],
        ),
        (
            "Tripoli in a document naming a Lebanese is Lebanon's",
            "زار الوزير اللبناني مدينة طرابلس",
            &[
                ("اللبناني", "country:LB", "demonym", ""),
                ("طرابلس", "city:tripoli-lb", "name", ""),
            ],
        ),
        (
            "a city of the country is enough: Benghazi is in Libya",
            "انتقل الوفد من بنغازي إلى طرابلس",
            &[
                ("بنغازي", "city:benghazi", "name", ""),
                ("طرابلس", "city:tripoli", "name", ""),
            ],
        ),
        (
            "a document naming both countries leaves Tripoli ambiguous",
            "من طرابلس إلى لبنان وليبيا",
            &[
                ("طرابلس", "", "name", ""),
                ("لبنان", "country:LB", "name", ""),
                ("ليبيا", "country:LY", "name", "و"),
            ],
        ),
        (
            "a document naming neither leaves it ambiguous",
            "وصل الوفد إلى طرابلس",
            &[("طرابلس", "", "name", "")],
        ),
        (
            "a body's shared name too: the national security council of a document about Iran",
            "قال رئيس مجلس الأمن القومي إن إيران لن تتراجع",
            &[
                ("مجلس الأمن القومي", "organization:iran-snsc", "name", ""),
                ("إيران", "country:IR", "name", ""),
            ],
        ),
        (
            "Morocco's PJD, not Turkey's AKP, in a document about Morocco",
            "فاز حزب العدالة والتنمية في الانتخابات المغربية",
            &[
                (
                    "حزب العدالة والتنمية",
                    "organization:pjd-morocco",
                    "name",
                    "",
                ),
                ("المغربية", "country:MA", "demonym", ""),
            ],
        ),
        (
            "bare Congo after the DRC's own name is the DRC",
            "وفد من الكونغو الديمقراطية وصل أمس، وقال رئيس وفد الكونغو",
            &[
                ("الكونغو الديمقراطية", "country:CD", "name", ""),
                ("الكونغو", "country:CD", "name", ""),
            ],
        ),
    ]);
}

#[test]
fn ambiguous_aliases_are_reported_once_with_every_candidate() {
    let toml = r#"
[[entity]]
id = "country:KW"
name_ar = "الكويت"
name_en = "Kuwait"

[[entity]]
id = "city:kuwait-city"
name_ar = "مدينة الكويت"
name_en = "Kuwait City"
aliases = ["الكويت"]
"#;
    let gazetteer = Gazetteer::from_files([(PathBuf::from("kw.toml"), toml.to_string())]).unwrap();
    let extractor = Extractor::new(gazetteer).unwrap();
    let mentions = extractor
        .extract(
            "وصل إلى الكويت ثم إلى مدينة الكويت",
            &ExtractOptions::default(),
        )
        .unwrap();
    assert_eq!(mentions.len(), 2);
    assert_eq!(mentions[0].text, "الكويت");
    assert_eq!(mentions[0].entity_id(), "");
    let candidates: Vec<&str> = mentions[0]
        .candidates
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(candidates, ["country:KW", "city:kuwait-city"]);
    assert_eq!(
        mentions[0].entity_type(),
        "",
        "the candidates' types differ"
    );
    assert_eq!(mentions[1].entity_id(), "city:kuwait-city");
    let shared = extractor.shared_aliases();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].alias, "الكويت");
}

#[test]
fn type_filter() {
    let extractor = extractor();
    let text = "التقى الرئيس الصيني شي جين بينغ في بكين";
    let types = extractor.type_filter(&["person", "city"]).unwrap();
    let mentions = extractor
        .extract(
            text,
            &ExtractOptions {
                types,
                ..Default::default()
            },
        )
        .unwrap();
    let ids: Vec<&str> = mentions.iter().map(|m| m.entity_id()).collect();
    assert_eq!(ids, ["person:xi-jinping", "city:beijing"]);
    let error = extractor.type_filter(&["planet"]).unwrap_err().to_string();
    assert!(
        error.contains("\"planet\"") && error.contains("country") && error.contains("person"),
        "{error}"
    );
}

#[test]
fn offsets_in_every_encoding() {
    // An emoji before the name takes 1 code point, 4 UTF-8 bytes and 2 UTF-16 units.
    let text = "😀 في بكين";
    let cases = [
        (OffsetEncoding::CodePoint, (5, 9)),
        (OffsetEncoding::Utf8, (10, 18)),
        (OffsetEncoding::Utf16, (6, 10)),
    ];
    for (offsets, span) in cases {
        let mentions = extractor()
            .extract(
                text,
                &ExtractOptions {
                    offsets,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!((mentions[0].start, mentions[0].end), span, "{offsets}");
    }
}

#[test]
fn a_one_mebibyte_text() {
    let article = include_str!("golden/000_597212ab044ab659.txt");
    let per_article = extractor()
        .extract(article, &ExtractOptions::default())
        .unwrap()
        .len();
    let copies = (1 << 20) / article.len() + 1;
    let text = article.repeat(copies);
    assert!(text.len() >= 1 << 20);
    let mentions = extractor()
        .extract(&text, &ExtractOptions::default())
        .unwrap();
    assert_eq!(mentions.len(), per_article * copies);
    let last = mentions.last().unwrap();
    assert_eq!(
        last.end,
        text.chars().count() - article.chars().count() + 1918,
        "offsets stay exact at the end"
    );
}
