//! The `alam` command line: `extract` prints for each seed article exactly what the engine finds
//! in it, in every encoding (`golden.rs` holds the engine to the gold); stdin, `--jsonl` streams
//! and `--types` work; bad input gets a clear error and a non-zero exit without stopping the
//! stream; `check` reports the gazetteers.

use std::fs;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use alam_engine::Mention;
use serde_json::{Value, json};

use crate::common::{ENCODINGS, GOLD_TYPES, TempDir, engine_mentions_of_gold_types, seed_articles};

fn alam(args: &[&str], stdin: Option<&str>) -> Output {
    alam_with_input(args, stdin.unwrap_or("").as_bytes())
}

/// `alam` with raw bytes on standard input (invalid UTF-8, say).
fn alam_with_input(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alam"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ALAM_GAZETTEERS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the alam binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A mention as `alam extract` prints it: the field names of the proto's JSON mapping, with
/// `candidates` and `proclitic` only when they are not empty.
fn printed_mention(m: &Mention<'_>) -> Value {
    let mut printed = json!({
        "start": m.start,
        "end": m.end,
        "text": m.text,
        "entityId": m.entity_id(),
        "type": m.entity_type(),
        "form": m.form.name(),
    });
    if !m.candidates.is_empty() {
        let ids: Vec<&str> = m.candidates.iter().map(|e| e.id.as_str()).collect();
        printed["candidates"] = json!(ids);
    }
    if !m.proclitic.is_empty() {
        printed["proclitic"] = json!(m.proclitic);
    }
    printed
}

#[test]
fn extract_prints_the_engines_mentions_in_every_encoding() {
    let articles = seed_articles();
    let names: Vec<String> = articles
        .iter()
        .map(|article| article.path.display().to_string())
        .collect();
    let types = format!("--types={}", GOLD_TYPES.join(","));
    for encoding in ENCODINGS {
        let mut args = vec!["extract", "--offsets", encoding.name(), &types];
        args.extend(names.iter().map(String::as_str));
        let output = alam(&args, None);
        assert!(output.status.success(), "{}", stderr(&output));
        let documents = lines(&output);
        assert_eq!(documents.len(), articles.len());
        for ((article, name), document) in articles.iter().zip(&names).zip(&documents) {
            let mentions: Vec<Value> = engine_mentions_of_gold_types(&article.text, encoding)
                .iter()
                .map(printed_mention)
                .collect();
            let expected = json!({ "document": name, "mentions": mentions });
            assert_eq!(document, &expected, "{name} in {encoding}");
        }
    }
}

#[test]
fn reads_standard_input_and_filters_types() {
    let output = alam(
        &["extract", "--types", "person,city"],
        Some("التقى الرئيس الصيني شي جين بينغ في بكين"),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let documents = lines(&output);
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0]["document"], "-");
    let mention = &documents[0]["mentions"][0];
    assert_eq!(mention["entityId"], "person:xi-jinping");
    assert_eq!(mention["type"], "person");
    assert_eq!(mention["form"], "name");
    assert_eq!(
        (mention["start"].as_u64(), mention["end"].as_u64()),
        (Some(20), Some(31))
    );
    assert_eq!(documents[0]["mentions"][1]["entityId"], "city:beijing");
    assert_eq!(documents[0]["mentions"].as_array().unwrap().len(), 2);
}

#[test]
fn jsonl_streams_and_a_bad_line_names_its_number() {
    let input = "{\"id\": \"a\", \"text\": \"وكازاخستان\"}\nnot json\n\n{\"id\": 7, \"text\": \"للصين\"}\n{\"text\": 1}\n";
    let output = alam(&["extract", "--jsonl"], Some(input));
    assert_eq!(
        output.status.code(),
        Some(1),
        "a bad line makes the exit non-zero"
    );
    let documents = lines(&output);
    assert_eq!(documents.len(), 2, "the rest of the stream goes through");
    assert_eq!(documents[0]["document"], "a");
    assert_eq!(documents[0]["mentions"][0]["proclitic"], "و");
    assert_eq!(documents[1]["document"], "7");
    assert_eq!(documents[1]["mentions"][0]["text"], "لصين");
    let errors = stderr(&output);
    assert!(errors.contains("-:2:"), "{errors}");
    assert!(errors.contains("-:5:"), "{errors}");
}

#[test]
fn jsonl_goes_on_past_invalid_utf8_and_documents_over_the_limit() {
    let mut input = b"{\"id\": \"a\", \"text\": \"\xd8\xa8\xd9\x83\xd9\x8a\xd9\x86\"}\n".to_vec();
    input.extend_from_slice(b"{\"id\": \"b\", \"text\": \"\xff\xfe\"}\n");
    input.extend_from_slice(
        format!("{{\"id\": \"c\", \"text\": \"{}\"}}\n", "ب".repeat(200)).as_bytes(),
    );
    input.extend_from_slice("{\"id\": \"d\", \"text\": \"موسكو\"}\n".as_bytes());
    let output = alam_with_input(
        &["extract", "--jsonl", "--max-document-bytes", "300"],
        &input,
    );
    assert_eq!(output.status.code(), Some(1));
    let documents: Vec<Value> = lines(&output)
        .into_iter()
        .map(|d| d["document"].clone())
        .collect();
    assert_eq!(
        documents,
        [json!("a"), json!("d")],
        "the stream goes on past bad lines"
    );
    let errors = stderr(&output);
    assert!(errors.contains("-:2: not valid UTF-8"), "{errors}");
    assert!(errors.contains("-:3: a line of 4"), "{errors}");
    assert!(errors.contains("--max-document-bytes 300"), "{errors}");

    let dir = TempDir::new("cli-limit");
    let big = dir.path().join("big.txt");
    fs::write(&big, "الصين ".repeat(100)).unwrap();
    let output = alam(
        &[
            "extract",
            "--max-document-bytes",
            "1KiB",
            big.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(lines(&output).is_empty());
    assert!(
        stderr(&output).contains("over --max-document-bytes 1KiB"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn check_refuses_a_gazetteer_entry_it_cannot_read() {
    let dir = TempDir::new("cli-dangling");
    let entity = "[[entity]]\nid = \"city:x\"\nname_ar = \"اكس\"\nname_en = \"X\"\n";
    fs::write(dir.path().join("cities.TOML"), entity).unwrap();
    let ok = alam(
        &["check", "--gazetteers", dir.path().to_str().unwrap()],
        None,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    // A half-finished ConfigMap swap leaves a link to nothing.
    std::os::unix::fs::symlink(dir.path().join("gone.toml"), dir.path().join("people.toml"))
        .unwrap();
    let refused = alam(
        &["check", "--gazetteers", dir.path().to_str().unwrap()],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("people.toml"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn serve_flags_that_disagree_are_a_usage_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alam"))
        .args(["serve", "--addr", "127.0.0.1:0", "--metrics-addr", "off"])
        .args(["--max-message-bytes", "1KiB", "--max-text-bytes", "2MiB"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("the alam binary runs");
    // Were the flags taken, the server would serve on: stop it rather than wait forever.
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > crate::common::PATIENCE {
            child.kill().unwrap();
            panic!("alam serve took flags that disagree and served");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let errors = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(2), "{errors}");
    assert!(errors.contains("--max-message-bytes 1KiB"), "{errors}");
    assert!(!errors.contains("serving on"), "{errors}");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = TempDir::new("cli");
    let latin1 = dir.path().join("latin1.txt");
    fs::write(&latin1, b"caf\xe9").unwrap();
    let bad_gazetteer = dir.path().join("bad");
    fs::create_dir_all(&bad_gazetteer).unwrap();
    fs::write(
        bad_gazetteer.join("x.toml"),
        "[[entity]]\nid = \"KZ\"\nname_ar = \"كازاخستان\"\nname_en = \"Kazakhstan\"\n",
    )
    .unwrap();
    let latin1 = latin1.display().to_string();
    let bad = bad_gazetteer.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["extract", "no-such-file.txt"],
            "no-such-file.txt: No such file",
        ),
        (vec!["extract", &latin1], "not valid UTF-8 (at byte 3)"),
        (
            vec!["extract", "--offsets", "bytes"],
            "unknown offset encoding \"bytes\"",
        ),
        (
            vec!["extract", "--types", "planet"],
            "unknown entity type \"planet\"",
        ),
        (
            vec!["extract", "--gazetteers", &bad],
            "x.toml:2: entity \"KZ\": id \"KZ\" is not of the form <type>:<key>",
        ),
        (
            vec!["check", "--gazetteers", "no-such-dir"],
            "no-such-dir: cannot read",
        ),
    ];
    for (args, expected) in cases {
        let output = alam(&args, Some(""));
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}\n  should contain: {expected}",
            stderr(&output)
        );
    }
}

#[test]
fn a_missing_file_does_not_stop_the_others() {
    let article = seed_articles().remove(0).path.display().to_string();
    let output = alam(&["extract", "missing.txt", &article], None);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(lines(&output).len(), 1);
}

#[test]
fn check_reports_the_default_gazetteers() {
    let output = alam(&["check"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "gazetteers: embedded (version ",
        "country",
        "person",
        "initiative",
        "automaton:",
        "generated variants:",
        "shared aliases:",
    ] {
        assert!(
            report.contains(expected),
            "{report}\n  should contain: {expected}"
        );
    }
    let li = report
        .lines()
        .find(|line| line.starts_with("  لي  "))
        .unwrap_or_else(|| panic!("{report}\n  should list the shared short name لي"));
    for id in ["person:li-qiang (short)", "person:li-keqiang (short)"] {
        assert!(li.contains(id), "{li}\n  should contain: {id}");
    }
}
