//! The pattern trie: every normalized pattern, one character per edge, walked anchored.
//!
//! A name may only start at a word start or right after a proclitic, so extraction never scans
//! the text for matches anywhere: it walks from those places and follows the text's characters
//! down the trie until no pattern goes on. An anchored walk needs the trie alone, not the
//! failure links of an Aho-Corasick automaton (those serve unanchored scanning), so the trie is
//! built directly, in time and memory linear in the patterns' characters.
//!
//! Layout: states are numbered breadth first, so the children of a state are consecutive
//! states, sorted by character, and one offset per state finds them (`first_child`). Characters
//! are mapped to small symbols (the patterns' own alphabet, in code point order). The first
//! states in that order (the root and the shallow states, where nearly every walk is and most
//! end, and where states have the most children) also have dense rows indexed by symbol, within
//! a memory budget; deeper states, reached by few walks and with few children, are searched
//! among their children.

use std::collections::BTreeSet;

use crate::normalize::{COMMON_CHARS, common_index, common_index_at};

/// No transition: state 0 is the root, which no edge leads to.
const DEAD: u32 = 0;

/// No pattern ends at the state.
const NO_PATTERN: u32 = u32::MAX;

/// Set in a transition (and in a state's label) when a pattern ends at the state it leads to:
/// a walk reads the pattern table only then, and each step touches one array less.
const ENDS_PATTERN: u32 = 1 << 31;

/// The state (or symbol) without [`ENDS_PATTERN`].
const INDEX: u32 = ENDS_PATTERN - 1;

/// The most entries the dense rows may take (4 bytes each), the root's row aside: enough for
/// the states two characters deep of any gazetteer over the Arabic alphabet.
const DENSE_ENTRIES_LIMIT: usize = 1 << 18;

/// The patterns' characters as symbols `1..`; 0 is any character no pattern holds.
#[derive(Clone, Debug)]
struct Alphabet {
    /// Symbols of ASCII (indexes 0–127) and of the Arabic block U+0600–U+06FF (128–383): the
    /// characters of nearly every text, found by one lookup.
    common: Box<[u32; COMMON_CHARS]>,
    /// Symbols of every other character, sorted by character.
    others: Vec<(char, u32)>,
    /// The number of symbols, 0 included.
    len: usize,
}

impl Alphabet {
    /// The alphabet of `patterns`: symbols numbered in code point order, so that children sorted
    /// by symbol are sorted as the patterns' UTF-8 bytes are.
    fn of(patterns: &[String]) -> Alphabet {
        let mut common_seen = [false; COMMON_CHARS];
        let mut others: BTreeSet<char> = BTreeSet::new();
        for pattern in patterns {
            for c in pattern.chars() {
                match common_index(c) {
                    Some(i) => common_seen[i] = true,
                    None => {
                        others.insert(c);
                    }
                }
            }
        }
        // Code point order: ASCII, then the rest below U+0600, the Arabic block, the rest above.
        let (below, above): (Vec<char>, Vec<char>) =
            others.into_iter().partition(|&c| c < '\u{0600}');
        let mut alphabet = Alphabet {
            common: Box::new([0; COMMON_CHARS]),
            others: Vec::with_capacity(below.len() + above.len()),
            len: 1,
        };
        let next_symbol = |alphabet: &mut Alphabet| {
            alphabet.len += 1;
            u32::try_from(alphabet.len - 1).expect("fewer than 2^32 distinct characters")
        };
        for (i, _) in common_seen[..128].iter().enumerate().filter(|(_, s)| **s) {
            alphabet.common[i] = next_symbol(&mut alphabet);
        }
        for c in below {
            let symbol = next_symbol(&mut alphabet);
            alphabet.others.push((c, symbol));
        }
        for (i, _) in common_seen[128..].iter().enumerate().filter(|(_, s)| **s) {
            alphabet.common[128 + i] = next_symbol(&mut alphabet);
        }
        for c in above {
            let symbol = next_symbol(&mut alphabet);
            alphabet.others.push((c, symbol));
        }
        alphabet
    }

    /// The symbol of `c` (0 when no pattern holds it).
    fn symbol(&self, c: char) -> u32 {
        match common_index(c) {
            Some(i) => self.common[i],
            None => self
                .others
                .binary_search_by_key(&c, |&(other, _)| other)
                .map_or(0, |i| self.others[i].1),
        }
    }

    /// The symbol of the character at byte `at` of the UTF-8 text `text`, and its length.
    #[inline]
    fn symbol_at(&self, text: &[u8], at: usize) -> (u32, usize) {
        if let Some((index, len)) = common_index_at(text, at) {
            return (self.common[index], len);
        }
        let c = crate::normalize::char_at(text, at);
        (self.symbol(c), c.len_utf8())
    }

    fn memory_usage(&self) -> usize {
        std::mem::size_of::<[u32; COMMON_CHARS]>()
            + self.others.capacity() * std::mem::size_of::<(char, u32)>()
    }
}

/// Where `c` sits in [`Alphabet::common`], if it is ASCII or in the Arabic block.
/// A trie over distinct patterns, walked from a given start ([`Trie::matches_at`]).
#[derive(Clone, Debug)]
pub(crate) struct Trie {
    alphabet: Alphabet,
    /// The children of state `s` are the states `first_child[s]..first_child[s + 1]`.
    first_child: Vec<u32>,
    /// The symbol of the edge into each state (0 for the root), with [`ENDS_PATTERN`] when a
    /// pattern ends at the state; siblings are in symbol order.
    label: Vec<u32>,
    /// The pattern that ends at each state, or [`NO_PATTERN`].
    pattern: Vec<u32>,
    /// Dense rows of the states below `dense_states`: `dense[state * alphabet.len + symbol]` is
    /// the child (with [`ENDS_PATTERN`] when a pattern ends there), or [`DEAD`].
    dense: Vec<u32>,
    dense_states: usize,
}

/// The patterns hold more characters than a trie of 2^31 states can index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooManyStates;

impl Trie {
    /// Builds the trie of `patterns`, which must be distinct. The empty pattern, if given, is
    /// never reported (a walk reports what ends after at least one character).
    pub(crate) fn build(patterns: &[String]) -> Result<Trie, TooManyStates> {
        if patterns.len() >= NO_PATTERN as usize {
            return Err(TooManyStates);
        }
        let alphabet = Alphabet::of(patterns);
        // The patterns in byte order: those that share a prefix are next to each other, so
        // each state is a range of this order, and its children split that range. The first
        // eight bytes, as a number, decide most comparisons without reading the patterns.
        let prefix = |p: &str| {
            let mut key = [0u8; 8];
            let len = p.len().min(8);
            key[..len].copy_from_slice(&p.as_bytes()[..len]);
            u64::from_be_bytes(key)
        };
        let mut keyed: Vec<(u64, u32)> = (0..patterns.len() as u32)
            .map(|i| (prefix(&patterns[i as usize]), i))
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| patterns[a.1 as usize].cmp(&patterns[b.1 as usize]))
        });
        let order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
        // Their bytes end to end in that order: each level below sweeps the patterns in order,
        // and so reads memory in sequence rather than from each pattern's own allocation.
        let total: usize = patterns.iter().map(String::len).sum();
        if total >= u32::MAX as usize {
            return Err(TooManyStates);
        }
        let mut text: Vec<u8> = Vec::with_capacity(total);
        // How far each entry of `order` has been followed (a byte offset in `text`), and where
        // it ends.
        let mut cursor: Vec<u32> = Vec::with_capacity(patterns.len());
        let mut end: Vec<u32> = Vec::with_capacity(patterns.len());
        for &i in &order {
            cursor.push(text.len() as u32);
            text.extend_from_slice(patterns[i as usize].as_bytes());
            end.push(text.len() as u32);
        }
        let next_char = |at: u32| crate::normalize::char_at(&text, at as usize);
        let mut trie = Trie {
            alphabet,
            first_child: Vec::new(),
            label: vec![0],
            pattern: vec![NO_PATTERN],
            dense: Vec::new(),
            dense_states: 0,
        };
        // The states of one depth, each with its range of `order`, in state order.
        let mut level: Vec<(u32, u32)> = vec![(0, patterns.len() as u32)];
        let mut next_level: Vec<(u32, u32)> = Vec::new();
        let mut state = 0usize;
        while !level.is_empty() {
            for &(lo, hi) in &level {
                let child_base = trie.label.len();
                trie.first_child
                    .push(u32::try_from(child_base).map_err(|_| TooManyStates)?);
                let (mut i, hi) = (lo as usize, hi as usize);
                // A pattern that ends here sorts first in its range.
                while i < hi && cursor[i] == end[i] {
                    if state != 0 {
                        trie.pattern[state] = order[i];
                        trie.label[state] |= ENDS_PATTERN;
                    }
                    i += 1;
                }
                while i < hi {
                    let c = next_char(cursor[i]);
                    let mut j = i;
                    while j < hi && next_char(cursor[j]) == c {
                        cursor[j] += c.len_utf8() as u32;
                        j += 1;
                    }
                    if trie.label.len() >= INDEX as usize {
                        return Err(TooManyStates);
                    }
                    trie.label.push(trie.alphabet.symbol(c));
                    trie.pattern.push(NO_PATTERN);
                    next_level.push((i as u32, j as u32));
                    i = j;
                }
                state += 1;
            }
            std::mem::swap(&mut level, &mut next_level);
            next_level.clear();
        }
        trie.first_child.push(trie.label.len() as u32);
        trie.build_dense_rows();
        Ok(trie)
    }

    /// The dense rows of the root and of the states after it, within [`DENSE_ENTRIES_LIMIT`].
    fn build_dense_rows(&mut self) {
        let width = self.alphabet.len;
        self.dense_states = (DENSE_ENTRIES_LIMIT / width).clamp(1, self.label.len());
        self.dense = vec![DEAD; self.dense_states * width];
        for state in 0..self.dense_states {
            for child in self.children(state) {
                let label = self.label[child];
                self.dense[state * width + (label & INDEX) as usize] =
                    child as u32 | (label & ENDS_PATTERN);
            }
        }
    }

    fn children(&self, state: usize) -> std::ops::Range<usize> {
        self.first_child[state] as usize..self.first_child[state + 1] as usize
    }

    /// The child of `state` on `symbol` (with [`ENDS_PATTERN`] when a pattern ends there), or
    /// [`DEAD`].
    #[inline]
    fn next(&self, state: usize, symbol: u32) -> u32 {
        if state < self.dense_states {
            return self.dense[state * self.alphabet.len + symbol as usize];
        }
        for child in self.children(state) {
            let label = self.label[child];
            if label & INDEX >= symbol {
                return if label & INDEX == symbol {
                    child as u32 | (label & ENDS_PATTERN)
                } else {
                    DEAD
                };
            }
        }
        DEAD
    }

    /// Calls `found(end, pattern)` for every pattern that starts at byte `start` of `text`, in
    /// order of `end`; `start` must be on a character boundary.
    #[inline]
    pub(crate) fn matches_at(
        &self,
        text: &[u8],
        start: usize,
        mut found: impl FnMut(usize, usize),
    ) {
        let mut state = 0usize;
        let mut at = start;
        while at < text.len() {
            let (symbol, len) = self.alphabet.symbol_at(text, at);
            if symbol == 0 {
                return;
            }
            let step = self.next(state, symbol);
            if step == DEAD {
                return;
            }
            state = (step & INDEX) as usize;
            at += len;
            if step & ENDS_PATTERN != 0 {
                found(at, self.pattern[state] as usize);
            }
        }
    }

    /// The heap memory the trie holds, in bytes.
    pub(crate) fn memory_usage(&self) -> usize {
        self.alphabet.memory_usage()
            + (self.first_child.capacity()
                + self.label.capacity()
                + self.pattern.capacity()
                + self.dense.capacity())
                * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a walk must report: every pattern that the text continues with at `start`.
    fn reference(patterns: &[String], text: &str, start: usize) -> Vec<(usize, usize)> {
        let mut found: Vec<(usize, usize)> = patterns
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty() && text[start..].starts_with(p.as_str()))
            .map(|(i, p)| (start + p.len(), i))
            .collect();
        found.sort_unstable();
        found
    }

    fn walk(trie: &Trie, text: &str, start: usize) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        trie.matches_at(text.as_bytes(), start, |end, pattern| {
            found.push((end, pattern))
        });
        found
    }

    fn check(patterns: &[&str], texts: &[&str]) {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let trie = Trie::build(&patterns).unwrap();
        for text in texts {
            for (start, _) in text.char_indices() {
                assert_eq!(
                    walk(&trie, text, start),
                    reference(&patterns, text, start),
                    "{text:?} at {start}"
                );
            }
        }
    }

    #[test]
    fn every_pattern_that_starts_at_the_start_is_reported_in_order_of_end() {
        check(
            &[
                "الصين",
                "الصيني",
                "الصينيه",
                "صين",
                "لصين",
                "ال",
                "بكين",
                "شي جين بينغ",
                "شي",
            ],
            &[
                "الصينيه تقول الصين",
                "شي جين بينغ في بكين",
                "للصين",
                "الصي",
                "",
            ],
        );
    }

    #[test]
    fn characters_outside_the_common_tables() {
        check(
            &["é", "ée", "€x", "ab", "a\u{0301}", "日本", "😀"],
            &["ée €x ab a\u{0301}b 日本 😀😀 a"],
        );
    }

    #[test]
    fn the_empty_pattern_is_never_reported() {
        check(&["", "a"], &["ab"]);
    }

    #[test]
    fn a_wide_alphabet_keeps_the_dense_rows_within_their_budget() {
        let patterns: Vec<String> = (0..2000u32)
            .filter_map(|i| char::from_u32(0x4E00 + i))
            .map(|c| format!("{c}{c}"))
            .collect();
        let trie = Trie::build(&patterns).unwrap();
        assert!(trie.dense_states < trie.label.len());
        assert!(trie.dense.len() <= DENSE_ENTRIES_LIMIT);
        let text: String = patterns.concat();
        for (start, _) in text.char_indices() {
            assert_eq!(
                walk(&trie, &text, start),
                reference(&patterns, &text, start)
            );
        }
    }

    proptest::proptest! {
        /// Patterns and texts over a few letters, so that they share prefixes and the text
        /// holds many of them: the walk from every start reports what the reference does.
        #[test]
        fn walks_agree_with_the_reference(
            patterns in proptest::collection::btree_set("[ابتل ]{1,6}|[é日a]{1,3}", 0..40),
            text in "[ابتل éa日x]{0,60}",
        ) {
            let patterns: Vec<String> = patterns.into_iter().collect();
            let trie = Trie::build(&patterns).unwrap();
            for (start, _) in text.char_indices() {
                proptest::prop_assert_eq!(walk(&trie, &text, start), reference(&patterns, &text, start));
            }
        }
    }
}
