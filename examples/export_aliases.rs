//! Exports the aliases of the gazetteers for the benchmarks in `bench/` (see BENCHMARKS.md).
//!
//! `cargo run --release --example export_aliases [-- --gazetteers DIR] [--jsonl]`
//!
//! Default output: TSV, one surface a line: `entity_id  type  form  raw  normalized`, where
//! `form` is `name` (name_ar and aliases), `short` (short names) or `demonym` (the 16 derived
//! forms of each demonym stem), `raw` the surface as a person would write it (for demonyms: the
//! stem with the written endings, ة for the feminine) and `normalized` the surface after
//! `alam_engine::normalize` (what the engine's automaton holds). With `--jsonl`: the gazetteer's
//! entities as JSON Lines, loadable with `--gazetteers`.

use std::io::{self, BufWriter, Write};

use alam_engine::Gazetteer;

/// The written endings of a demonym, in the order of `alam_engine::demonym::forms` (which builds them
/// on normalized text, where ة is ه).
const RAW_ENDINGS: [&str; 8] = ["", "ة", "ون", "ين", "ات", "ان", "تان", "تين"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gazetteer = match args.iter().position(|a| a == "--gazetteers") {
        Some(i) => Gazetteer::load_dir(args.get(i + 1).ok_or("--gazetteers needs a DIR")?)?,
        None => Gazetteer::embedded()?,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    if args.iter().any(|a| a == "--jsonl") {
        for entity in gazetteer.entities() {
            serde_json::to_writer(&mut out, entity)?;
            out.write_all(b"\n")?;
        }
        return Ok(out.flush()?);
    }
    for entity in gazetteer.entities() {
        let mut row = |form: &str, raw: &str, normalized: &str| {
            writeln!(
                out,
                "{}\t{}\t{form}\t{raw}\t{normalized}",
                entity.id,
                entity.entity_type()
            )
        };
        for name in entity.names() {
            row("name", name, &alam_engine::normalize(name))?;
        }
        for short in &entity.short_names {
            row("short", short, &alam_engine::normalize(short))?;
        }
        for stem in &entity.demonym_stems {
            let normalized = alam_engine::demonym::forms(&alam_engine::normalize(stem));
            let raw = RAW_ENDINGS
                .iter()
                .flat_map(|ending| [format!("{stem}{ending}"), format!("ال{stem}{ending}")]);
            for (raw, normalized) in raw.zip(normalized) {
                row("demonym", &raw, &normalized)?;
            }
        }
    }
    Ok(out.flush()?)
}
