//! Pages of `ListEntities`: the page size, and the page token, which is the decimal offset of the
//! page's first entity. Callers must treat the token as opaque; the server checks it strictly, so
//! that a token from elsewhere fails loudly instead of silently returning the wrong page.

use super::status::CallError;

/// The page size when the request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page; larger requests get pages of this size.
pub const MAX_PAGE_SIZE: usize = 1000;

/// The page size for a request's `page_size`.
pub fn page_size(requested: u32) -> usize {
    match requested {
        0 => DEFAULT_PAGE_SIZE,
        n => (n as usize).min(MAX_PAGE_SIZE),
    }
}

/// The offset a `page_token` stands for, among `total` entities: 0 for the empty token, else an
/// offset this server could have handed out (canonical decimal, inside the list).
pub fn offset(token: &str, total: usize) -> Result<usize, CallError> {
    if token.is_empty() {
        return Ok(0);
    }
    let bad = || CallError::BadPageToken {
        token: token.to_string(),
    };
    let canonical = token.bytes().all(|b| b.is_ascii_digit()) && !token.starts_with('0');
    if !canonical {
        return Err(bad());
    }
    match token.parse::<usize>() {
        Ok(offset) if offset < total => Ok(offset),
        _ => Err(bad()),
    }
}

/// The token of the page after the one ending at `end`, empty after the last page.
pub fn next_token(end: usize, total: usize) -> String {
    if end < total {
        end.to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_strangers_fail() {
        assert_eq!(offset("", 10).unwrap(), 0);
        assert_eq!(offset(&next_token(4, 10), 10).unwrap(), 4);
        assert_eq!(next_token(10, 10), "");
        for bad in [
            "0",
            "04",
            "-1",
            "+4",
            " 4",
            "4a",
            "10",
            "99999999999999999999999",
            "abc",
        ] {
            assert!(offset(bad, 10).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(0), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7), 7);
        assert_eq!(page_size(5000), MAX_PAGE_SIZE);
    }
}
