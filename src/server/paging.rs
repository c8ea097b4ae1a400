//! Pages of `ListEntities`: the page size, and the page token. A token is opaque to callers
//! (AIP-158): it encodes the offset of the page's first entity together with the filter and the
//! gazetteer version it was handed out for, so that a token used with another `entity_type`, or
//! after a reload changed the list, fails loudly (saying which) instead of silently returning
//! the wrong page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::status::{CallError, PageTokenProblem};

/// The page size when the request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page; larger requests get pages of this size.
pub const MAX_PAGE_SIZE: usize = 1000;

/// The page size for a request's `page_size`: 0 is the default, a negative size a mistake.
pub fn page_size(requested: i32) -> Result<usize, CallError> {
    match usize::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
        Err(_) => Err(CallError::NegativePageSize(requested)),
    }
}

/// What a token carries: where the next page starts, and for which list.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
struct Token {
    /// The offset of the page's first entity.
    #[serde(rename = "o")]
    offset: usize,
    /// The `entity_type` filter ("" for none).
    #[serde(rename = "t")]
    entity_type: String,
    /// The gazetteer version.
    #[serde(rename = "v")]
    version: String,
}

/// The list a page belongs to: the request's filter and the gazetteers answering.
#[derive(Clone, Copy, Debug)]
pub struct Listing<'a> {
    /// The `entity_type` filter ("" for none).
    pub entity_type: &'a str,
    /// The version of the gazetteers.
    pub version: &'a str,
    /// How many entities the list holds.
    pub total: usize,
}

impl Listing<'_> {
    /// The offset `token` stands for: 0 for the empty token, else the offset of a token handed
    /// out for this same list.
    pub fn offset(&self, token: &str) -> Result<usize, CallError> {
        if token.is_empty() {
            return Ok(0);
        }
        let refused = |problem| CallError::BadPageToken {
            token: token.to_string(),
            problem,
        };
        let decoded: Token = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| refused(PageTokenProblem::NotHandedOut))?;
        if decoded.entity_type != self.entity_type {
            return Err(refused(PageTokenProblem::OtherFilter {
                handed_out_for: decoded.entity_type,
                used_with: self.entity_type.to_string(),
            }));
        }
        if decoded.version != self.version {
            return Err(refused(PageTokenProblem::GazetteersChanged {
                handed_out_for: decoded.version,
                now: self.version.to_string(),
            }));
        }
        if decoded.offset == 0 || decoded.offset >= self.total {
            return Err(refused(PageTokenProblem::NotHandedOut));
        }
        Ok(decoded.offset)
    }

    /// The token of the page after the one ending at `end`, empty after the last page.
    pub fn next_token(&self, end: usize) -> String {
        if end >= self.total {
            return String::new();
        }
        let token = Token {
            offset: end,
            entity_type: self.entity_type.to_string(),
            version: self.version.to_string(),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("a token serializes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITIES: Listing<'static> = Listing {
        entity_type: "city",
        version: "v1",
        total: 10,
    };

    fn problem(listing: &Listing<'_>, token: &str) -> PageTokenProblem {
        match listing.offset(token) {
            Err(CallError::BadPageToken { problem, .. }) => problem,
            other => panic!("{token:?}: {other:?}"),
        }
    }

    #[test]
    fn tokens_round_trip() {
        assert_eq!(CITIES.offset("").unwrap(), 0);
        assert_eq!(CITIES.offset(&CITIES.next_token(4)).unwrap(), 4);
        assert_eq!(CITIES.next_token(10), "");
    }

    #[test]
    fn a_token_for_another_list_says_why_it_is_refused() {
        let token = CITIES.next_token(4);
        let persons = Listing {
            entity_type: "person",
            ..CITIES
        };
        assert!(matches!(
            problem(&persons, &token),
            PageTokenProblem::OtherFilter { handed_out_for, used_with }
                if handed_out_for == "city" && used_with == "person"
        ));
        let reloaded = Listing {
            version: "v2",
            ..CITIES
        };
        assert!(matches!(
            problem(&reloaded, &token),
            PageTokenProblem::GazetteersChanged { .. }
        ));
    }

    #[test]
    fn strangers_fail() {
        let beyond = Listing {
            total: 100,
            ..CITIES
        }
        .next_token(50);
        for bad in ["5", "0", "abc", "!!", "eyJvIjo1fQ", beyond.as_str()] {
            assert!(
                matches!(problem(&CITIES, bad), PageTokenProblem::NotHandedOut),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7).unwrap(), 7);
        assert_eq!(page_size(5000).unwrap(), MAX_PAGE_SIZE);
        assert!(page_size(-1).is_err());
    }
}
