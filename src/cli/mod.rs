//! The command line: `alam extract`, `alam check`, `alam serve` (in `serve.rs`) and `alam probe`
//! (in `probe.rs`), thin layers on the engine and the service.

mod probe;
mod serve;
mod values;

use values::Bytes;

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};

use alam_engine::{
    ExtractOptions, Extractor, Form, GazetteerSource, Mention, OffsetEncoding, Refusal,
};

/// Finds the officials, countries, cities, organizations and initiatives named in Arabic text.
#[derive(Parser, Debug)]
#[command(name = "alam", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the mentions of each input document as one JSON object a line.
    Extract(ExtractArgs),
    /// Validate gazetteers and report their entities, aliases, generated variants and shared
    /// aliases.
    Check(CheckArgs),
    /// Run the gRPC service.
    Serve(Box<serve::ServeArgs>),
    /// Ask a server whether it is SERVING (gRPC health); exit 0 if it is, 1 if not.
    Probe(probe::ProbeArgs),
}

#[derive(clap::Args, Debug)]
struct GazetteerArgs {
    /// Load the gazetteers from this directory (*.toml, *.jsonl) instead of the embedded ones.
    #[arg(long, value_name = "DIR", env = "ALAM_GAZETTEERS")]
    gazetteers: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Also list every generated spelling variant, one a line: `generated<TAB>entity<TAB>source<TAB>variant`.
    #[arg(long)]
    variants: bool,
    #[command(flatten)]
    gazetteer: GazetteerArgs,
}

#[derive(clap::Args, Debug)]
struct ExtractArgs {
    /// Text files to read, each one document (standard input when none; `-` is standard input).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Read JSON Lines of {"id": …, "text": …}, one document a line, as a stream.
    #[arg(long)]
    jsonl: bool,
    /// How to count offsets: codepoint, utf8 or utf16.
    #[arg(long, value_name = "ENCODING", default_value = "codepoint")]
    offsets: OffsetEncoding,
    /// Only report these entity types (comma-separated), e.g. person,country.
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    types: Vec<String>,
    /// The largest document (a file, or a line of --jsonl), in bytes; a larger one is reported
    /// and skipped, since extraction needs memory some tens of times a document's size.
    #[arg(long, value_name = "BYTES", default_value = "16MiB")]
    max_document_bytes: Bytes,
    #[command(flatten)]
    gazetteer: GazetteerArgs,
}

/// Runs the command line and returns the process's exit code: 0 when every input went through,
/// 1 when some input or the gazetteers failed, 2 for a usage error.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Extract(args) => extract(args),
        Command::Check(args) => check(args),
        Command::Serve(args) => return serve::run(*args),
        Command::Probe(args) => return probe::run(args),
    };
    match result {
        Ok(code) => code,
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(message)) => {
            eprintln!("alam: {message}");
            ExitCode::from(1)
        }
    }
}

/// Why a command stopped.
enum Failure {
    /// Standard output was closed (`alam extract … | head`): stop quietly.
    BrokenPipe,
    /// An error to report on standard error.
    Message(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Message(format!("cannot write output: {e}"))
        }
    }
}

fn load(args: &GazetteerArgs) -> Result<Extractor, Failure> {
    let source = GazetteerSource::from_option(args.gazetteers.clone());
    Extractor::load(&source).map_err(|e| Failure::Message(e.to_string()))
}

/// One mention as JSON, with the field names of the proto's JSON mapping.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MentionJson<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    entity_id: &'a str,
    #[serde(rename = "type")]
    entity_type: &'a str,
    form: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    proclitic: &'a str,
}

#[derive(Serialize)]
struct DocumentJson<'a> {
    document: &'a str,
    mentions: Vec<MentionJson<'a>>,
}

fn to_json<'a>(m: &'a Mention<'a>) -> MentionJson<'a> {
    MentionJson {
        start: m.start,
        end: m.end,
        text: m.text,
        entity_id: m.entity_id(),
        entity_type: m.entity_type(),
        form: m.form.name(),
        candidates: m.candidates.iter().map(|e| e.id.as_str()).collect(),
        proclitic: m.proclitic,
    }
}

/// A line of `--jsonl` input.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonlDocument<'a> {
    #[serde(default)]
    id: Option<serde_json::Value>,
    /// Borrowed from the line when it has no escapes: no copy of the text.
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

fn extract(args: ExtractArgs) -> Result<ExitCode, Failure> {
    let extractor = load(&args.gazetteer)?;
    let types = extractor
        .type_filter(&args.types)
        .map_err(|e| Failure::Message(e.to_string()))?;
    let options = ExtractOptions {
        offsets: args.offsets,
        types,
    };
    let max_document = args.max_document_bytes.0;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    // Callers flush the output first, so that an error sits at its place in the stream.
    let mut report = |message: String| {
        eprintln!("alam: {message}");
        failed = true;
    };
    let inputs: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files
    };
    for path in &inputs {
        let name = path.display().to_string();
        let reader: Box<dyn Read> = if name == "-" {
            Box::new(io::stdin().lock())
        } else {
            match File::open(path) {
                Ok(file) => Box::new(file),
                Err(e) => {
                    out.flush()?;
                    report(format!("{name}: {e}"));
                    continue;
                }
            }
        };
        if args.jsonl {
            // Lines as bytes, so that a line of invalid UTF-8 fails alone and the stream goes on;
            // each read at most up to the document limit.
            let mut reader = BufReader::with_capacity(JSONL_READ_BYTES, reader);
            let jsonl = JsonlContext {
                extractor: &extractor,
                options: &options,
                name: &name,
                max_document_bytes: args.max_document_bytes,
                threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            };
            let mut buffer = Vec::new();
            let mut line_number = 0;
            let mut batch: Vec<(usize, RawLine)> = Vec::new();
            let mut done = false;
            while !done {
                // A batch: the next line, then the lines already read in, never waiting for
                // input that has not come (a caller feeding one line at a time gets each answer
                // at once); its lines are parsed and extracted on every core.
                batch.clear();
                let mut batch_bytes = 0;
                loop {
                    line_number += 1;
                    let raw = match read_line_capped(&mut reader, &mut buffer, max_document) {
                        Ok(None) => {
                            done = true;
                            break;
                        }
                        Ok(Some(Line::TooLong(len))) => RawLine::TooLong(len),
                        Ok(Some(Line::Read)) => {
                            batch_bytes += buffer.len();
                            RawLine::Read(std::mem::take(&mut buffer))
                        }
                        Err(e) => {
                            done = true;
                            RawLine::Failed(e)
                        }
                    };
                    batch.push((line_number, raw));
                    // Memory stays bounded too: a batch holds at most one read's worth of lines
                    // and one long line.
                    if done
                        || reader.buffer().is_empty()
                        || batch.len() >= JSONL_BATCH_DOCUMENTS
                        || batch_bytes >= JSONL_READ_BYTES
                    {
                        break;
                    }
                }
                for outcome in jsonl.outcomes(&batch) {
                    match outcome {
                        Outcome::Blank => {}
                        Outcome::Report(message) => {
                            out.flush()?;
                            report(message);
                        }
                        Outcome::Written(output) => out.write_all(&output?)?,
                    }
                }
                out.flush()?;
            }
        } else {
            let mut bytes = Vec::new();
            // One byte over the limit is enough to know.
            let limit = u64::try_from(max_document)
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            if let Err(e) = BufReader::new(reader).take(limit).read_to_end(&mut bytes) {
                out.flush()?;
                report(format!("{name}: {e}"));
                continue;
            }
            if bytes.len() > max_document {
                out.flush()?;
                report(format!(
                    "{name}: over --max-document-bytes {}; skipped (split it, or raise the limit)",
                    args.max_document_bytes
                ));
                continue;
            }
            match String::from_utf8(bytes) {
                Ok(text) => write_document(&mut out, &extractor, &name, &text, &options)?,
                Err(e) => {
                    out.flush()?;
                    report(format!(
                        "{name}: not valid UTF-8 (at byte {})",
                        e.utf8_error().valid_up_to()
                    ));
                }
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How much of a `--jsonl` stream is read in at once: the documents in it (up to this many
/// bytes of them) make one batch.
const JSONL_READ_BYTES: usize = 1 << 20;

/// The most documents in one batch.
const JSONL_BATCH_DOCUMENTS: usize = 256;

/// A line of a `--jsonl` stream as read, before it is parsed (on the worker threads).
enum RawLine {
    /// The line's bytes, without its newline.
    Read(Vec<u8>),
    /// A line over `--max-document-bytes`, of this many bytes: skipped, not kept.
    TooLong(usize),
    /// Reading failed here; the stream ends.
    Failed(io::Error),
}

/// What a line of a `--jsonl` stream gives, in its place in the output.
enum Outcome {
    /// A blank line: nothing.
    Blank,
    /// A problem to report on standard error.
    Report(String),
    /// The document's output line.
    Written(Result<Vec<u8>, Failure>),
}

/// What every line of one `--jsonl` input shares.
struct JsonlContext<'a> {
    extractor: &'a Extractor,
    options: &'a ExtractOptions,
    /// The input's name, for `FILE:LINE` in errors and as the id of a document without one.
    name: &'a str,
    max_document_bytes: Bytes,
    /// The threads a batch is shared out among (this one included), asked once: on Linux the
    /// answer reads the cgroup files.
    threads: usize,
}

impl JsonlContext<'_> {
    /// The outcome of each line of `batch` (line number, line), in order. This thread and one
    /// helper per other core take the lines one at a time, the next one not yet taken: on a
    /// machine whose other cores are busy, this thread does most of the work and nothing waits
    /// for a helper that is not running.
    fn outcomes(&self, batch: &[(usize, RawLine)]) -> Vec<Outcome> {
        let threads = self.threads;
        if batch.len() <= 1 || threads == 1 {
            return batch
                .iter()
                .map(|(number, line)| self.outcome(*number, line))
                .collect();
        }
        let next = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((number, line)) = batch.get(i) else {
                    return done;
                };
                done.push((i, self.outcome(*number, line)));
            }
        };
        let mut outcomes: Vec<Outcome> = Vec::new();
        outcomes.resize_with(batch.len(), || Outcome::Blank);
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads.min(batch.len()))
                .map(|_| scope.spawn(work))
                .collect();
            let mine = work();
            let theirs = helpers
                .into_iter()
                .flat_map(|h| h.join().expect("extraction does not panic"));
            for (i, outcome) in mine.into_iter().chain(theirs) {
                outcomes[i] = outcome;
            }
        });
        outcomes
    }

    /// Parses, extracts and writes line `number`.
    fn outcome(&self, number: usize, line: &RawLine) -> Outcome {
        let at = || format!("{}:{number}", self.name);
        let bytes = match line {
            RawLine::Read(bytes) => bytes,
            &RawLine::TooLong(len) => {
                return Outcome::Report(format!(
                    "{}: a line of {len} bytes is over --max-document-bytes {}; skipped",
                    at(),
                    self.max_document_bytes
                ));
            }
            RawLine::Failed(e) => return Outcome::Report(format!("{}: {e}", at())),
        };
        let line = match std::str::from_utf8(bytes) {
            Ok(line) => line,
            Err(e) => {
                return Outcome::Report(format!(
                    "{}: not valid UTF-8 (at byte {} of the line)",
                    at(),
                    e.valid_up_to()
                ));
            }
        };
        if line.trim().is_empty() {
            return Outcome::Blank;
        }
        let document = match serde_json::from_str::<JsonlDocument>(line) {
            Ok(document) => document,
            Err(e) => {
                return Outcome::Report(format!(
                    "{}: expected {{\"id\": …, \"text\": …}}: {e}",
                    at()
                ));
            }
        };
        let id = match document.id {
            Some(serde_json::Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => at(),
        };
        let mut output = Vec::with_capacity(document.text.len() / 4);
        Outcome::Written(
            write_document(
                &mut output,
                self.extractor,
                &id,
                &document.text,
                self.options,
            )
            .map(|()| output)
            .map_err(|e| with_context(e, &at())),
        )
    }
}

/// What [`read_line_capped`] read.
enum Line {
    /// A line (without its newline) is in the buffer.
    Read,
    /// The line was longer than the cap, of this many bytes; it was skipped, not kept.
    TooLong(usize),
}

/// Reads the next line into `buffer` (emptied first), keeping at most `cap` bytes of it; a longer
/// line is read to its end and dropped. `None` at the end of the input.
fn read_line_capped(
    reader: &mut impl BufRead,
    buffer: &mut Vec<u8>,
    cap: usize,
) -> io::Result<Option<Line>> {
    buffer.clear();
    let (mut len, mut any) = (0, false);
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        any = true;
        let (chunk, ends) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], true),
            None => (available, false),
        };
        len += chunk.len();
        if len <= cap {
            buffer.extend_from_slice(chunk);
        } else {
            buffer.clear();
        }
        let used = chunk.len() + usize::from(ends);
        reader.consume(used);
        if ends {
            break;
        }
    }
    Ok(match (any, len > cap) {
        (false, _) => None,
        (true, true) => Some(Line::TooLong(len)),
        (true, false) => Some(Line::Read),
    })
}

fn with_context(failure: Failure, context: &str) -> Failure {
    match failure {
        Failure::Message(m) => Failure::Message(format!("{context}: {m}")),
        other => other,
    }
}

fn write_document(
    out: &mut impl Write,
    extractor: &Extractor,
    name: &str,
    text: &str,
    options: &ExtractOptions,
) -> Result<(), Failure> {
    let mentions = extractor
        .extract(text, options)
        .map_err(|e| Failure::Message(e.to_string()))?;
    let doc = DocumentJson {
        document: name,
        mentions: mentions.iter().map(to_json).collect(),
    };
    serde_json::to_writer(&mut *out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn check(args: CheckArgs) -> Result<ExitCode, Failure> {
    let CheckArgs {
        variants: list_variants,
        gazetteer: args,
    } = args;
    let extractor = load(&args)?;
    let gazetteer = extractor.gazetteer();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let origin = args
        .gazetteers
        .as_ref()
        .map_or("embedded".to_string(), |d| d.display().to_string());
    writeln!(
        out,
        "gazetteers: {origin} (version {})",
        gazetteer.version()
    )?;
    for file in gazetteer.files() {
        writeln!(
            out,
            "  {:<24} {:>6} entities  {}",
            file.name,
            file.entities,
            file.source.as_deref().unwrap_or("")
        )?;
    }
    writeln!(
        out,
        "\n{:<14} {:>8} {:>8} {:>9} {:>9}",
        "type", "entities", "aliases", "variants", "wikidata"
    )?;
    let mut all = [0usize; 4];
    for count in gazetteer.type_counts() {
        let of_type = || {
            gazetteer
                .entities()
                .iter()
                .filter(|e| e.entity_type() == count.entity_type)
        };
        let variants: usize = of_type().map(|e| e.generated_variants.len()).sum();
        let wikidata = of_type().filter(|e| e.wikidata.is_some()).count();
        let row = [count.entities, count.aliases, variants, wikidata];
        for (total, n) in all.iter_mut().zip(row) {
            *total += n;
        }
        writeln!(
            out,
            "{:<14} {:>8} {:>8} {:>9} {:>9}",
            count.entity_type, row[0], row[1], row[2], row[3]
        )?;
    }
    writeln!(
        out,
        "{:<14} {:>8} {:>8} {:>9} {:>9}",
        "all", all[0], all[1], all[2], all[3]
    )?;
    let stats = extractor.stats();
    writeln!(
        out,
        "\nautomaton: {} patterns (with derived demonym forms and lam-lam variants), {}, {} KiB, built in {:.1} ms",
        stats.patterns,
        stats.automaton_kind,
        stats.automaton_bytes / 1024,
        stats.build_time.as_secs_f64() * 1000.0
    )?;
    let refused = gazetteer.refused_variants();
    writeln!(
        out,
        "\ngenerated variants: {} kept, {} refused{}",
        all[2],
        refused.len(),
        if list_variants {
            ""
        } else {
            " (--variants lists them all)"
        }
    )?;
    for r in refused {
        let why = match &r.reason {
            Refusal::Listed => "listed in refused_variants".to_string(),
            Refusal::OtherEntity(other) => format!("names {other}"),
        };
        writeln!(
            out,
            "refused\t{}\t{}\t{}\t{why}",
            r.entity, r.variant.source, r.variant.text
        )?;
    }
    if list_variants {
        for entity in gazetteer.entities() {
            for v in &entity.generated_variants {
                writeln!(out, "generated\t{}\t{}\t{}", entity.id, v.source, v.text)?;
            }
        }
    }
    let homographs = gazetteer.proclitic_homographs();
    writeln!(
        out,
        "\nproclitic homographs: {} (ordinary words no name is matched inside)",
        homographs.len()
    )?;
    for word in homographs {
        writeln!(out, "homograph\t{word}")?;
    }
    let not_names = gazetteer.not_names();
    writeln!(
        out,
        "\nnot names: {} (phrases that hold a name and name nothing; they hide it)",
        not_names.len()
    )?;
    for phrase in not_names {
        writeln!(out, "not-name\t{phrase}")?;
    }
    let shared = extractor.shared_aliases();
    writeln!(out, "\nshared aliases: {}", shared.len())?;
    for alias in &shared {
        let all_short = alias.entities.iter().all(|(_, form)| *form == Form::Short);
        let how = if all_short {
            "short name, resolved by the full name in the document"
        } else if alias.resolved_by_document_countries() {
            "shared by places or bodies of one type, resolved by the entities and countries the document names, else reported with every candidate"
        } else {
            "ambiguous, reported with every candidate"
        };
        let entities: Vec<String> = alias
            .entities
            .iter()
            .map(|(e, form)| format!("{} ({form})", e.id))
            .collect();
        writeln!(out, "  {}  {}  [{how}]", alias.alias, entities.join(", "))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_up_to_the_cap_and_longer_ones_skipped() {
        let input = "short\n0123456789abc\n\nlast";
        let mut reader = BufReader::with_capacity(4, input.as_bytes());
        let mut buffer = Vec::new();
        let mut seen = Vec::new();
        while let Some(line) = read_line_capped(&mut reader, &mut buffer, 10).unwrap() {
            seen.push(match line {
                Line::Read => String::from_utf8(buffer.clone()).unwrap(),
                Line::TooLong(len) => format!("too long: {len}"),
            });
        }
        assert_eq!(seen, ["short", "too long: 13", "", "last"]);
    }
}
