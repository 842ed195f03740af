//! The RDP cookie (`Cookie: NAME=VALUE` in an X.224 connection request),
//! as HAProxy 2.6's `req.rdp_cookie` fetch and `balance rdp-cookie` read it
//! (`fetch_rdp_cookie_name()` in `src/payload.c`).
//!
//! An RDP client opens with a TPKT header (4 bytes) and an X.224
//! Connection Request header (7 bytes), then an optional routing token
//! `Cookie: mstshash=USER\r\n`. HAProxy does not decode either header: it
//! skips the first 11 bytes, expects `Cookie:` (any case) right there, skips
//! spaces, compares the name without regard to case, and takes the value up
//! to the first `\r`, which must be followed by `\n`.

/// The first bytes HAProxy skips: TPKT header (4) + X.224 CR header (7).
const HEADERS_LEN: usize = 11;

/// The literal that must follow the headers, compared without case.
const COOKIE: &[u8] = b"Cookie:";

/// The value of the RDP cookie `name` in the first bytes a client sent, or
/// of the first cookie whatever its name when `name` is empty.
///
/// `None` when the payload is too short to tell yet (HAProxy would wait for
/// more data) or holds no such cookie. Never panics.
///
/// ```
/// use lbkit_sched::haproxy::rdp_cookie;
/// let mut payload = vec![3, 0, 0, 44, 39, 0xe0, 0, 0, 0, 0, 0];
/// payload.extend_from_slice(b"Cookie: mstshash=alice\r\n");
/// payload.extend_from_slice(&[1, 0, 8, 0, 3, 0, 0, 0]);
/// assert_eq!(rdp_cookie(&payload, "mstshash"), Some(&b"alice"[..]));
/// assert_eq!(rdp_cookie(&payload, "MSTSHASH"), Some(&b"alice"[..]));
/// assert_eq!(rdp_cookie(&payload, "other"), None);
/// ```
pub fn rdp_cookie<'a>(payload: &'a [u8], name: &str) -> Option<&'a [u8]> {
    // HAProxy wants strictly more than 11 + 7 bytes before looking.
    if payload.len() <= HEADERS_LEN + COOKIE.len() {
        return None;
    }
    let data = &payload[HEADERS_LEN..];
    if !strncasecmp_eq(data, COOKIE, COOKIE.len()) {
        return None;
    }
    let data = skip_spaces(&data[COOKIE.len()..]);
    let value = after_name(data, name.as_bytes())?;
    value_before_crlf(value)
}

/// `data` without its leading spaces (only `' '`, as HAProxy skips).
fn skip_spaces(data: &[u8]) -> &[u8] {
    let spaces = data.iter().take_while(|&&c| c == b' ').count();
    &data[spaces..]
}

/// What follows `name=` at the start of `data`; with an empty name, what
/// follows the first `=` of the line (any cookie name).
fn after_name<'a>(data: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    if name.is_empty() {
        return after_any_name(data);
    }
    // HAProxy needs at least one byte past the name.
    if data.len() <= name.len() {
        return None;
    }
    if data[name.len()] != b'=' || !strncasecmp_eq(name, data, name.len()) {
        return None;
    }
    Some(&data[name.len() + 1..])
}

/// What follows the first `=` of `data`, unless a line ends before it.
fn after_any_name(data: &[u8]) -> Option<&[u8]> {
    let eq = data
        .iter()
        .position(|&c| c == b'=' || c == b'\r' || c == b'\n')?;
    if data[eq] != b'=' {
        return None;
    }
    Some(&data[eq + 1..])
}

/// The bytes before the first `\r`, provided `\r\n` follows them.
fn value_before_crlf(data: &[u8]) -> Option<&[u8]> {
    let cr = data.iter().position(|&c| c == b'\r')?;
    if data.get(cr + 1) != Some(&b'\n') {
        return None;
    }
    Some(&data[..cr])
}

/// C's `strncasecmp(a, b, n) == 0` in the C locale: equal ignoring ASCII
/// case over `n` bytes, or up to a NUL found in both at the same place.
/// Bytes past the end of a slice count as NUL.
fn strncasecmp_eq(a: &[u8], b: &[u8], n: usize) -> bool {
    for i in 0..n {
        let x = a.get(i).map_or(0, u8::to_ascii_lowercase);
        let y = b.get(i).map_or(0, u8::to_ascii_lowercase);
        if x != y {
            return false;
        }
        if x == 0 {
            return true;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A TPKT + X.224 Connection Request as mstsc.exe sends it, with the
    /// routing token `cookie` and an RDP Negotiation Request after it.
    fn connection_request(cookie: &[u8]) -> Vec<u8> {
        let neg_req = [0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00];
        let total = 11 + cookie.len() + neg_req.len();
        let mut p = vec![0x03, 0x00];
        p.extend_from_slice(&u16::try_from(total).unwrap().to_be_bytes());
        // X.224: length indicator, CR code 0xE0, dst-ref, src-ref, class.
        p.extend_from_slice(&[u8::try_from(total - 5).unwrap(), 0xe0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(cookie);
        p.extend_from_slice(&neg_req);
        p
    }

    #[test]
    fn fetch_rdp_cookie_name_reads_mstshash() {
        let p = connection_request(b"Cookie: mstshash=Administr\r\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), Some(&b"Administr"[..]));
        // The name is compared without case, "Cookie:" too.
        assert_eq!(rdp_cookie(&p, "MstsHash"), Some(&b"Administr"[..]));
        let p = connection_request(b"COOKIE:mstshash=bob\r\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), Some(&b"bob"[..]));
    }

    #[test]
    fn fetch_rdp_cookie_name_any_name_when_empty() {
        let p = connection_request(b"Cookie: msts=3640205228.15629.0000\r\n");
        assert_eq!(rdp_cookie(&p, ""), Some(&b"3640205228.15629.0000"[..]));
        assert_eq!(rdp_cookie(&p, "mstshash"), None);
        // A line break before any '=' is no cookie.
        let p = connection_request(b"Cookie: oops\r\n=x\r\n");
        assert_eq!(rdp_cookie(&p, ""), None);
    }

    #[test]
    fn fetch_rdp_cookie_name_skips_only_spaces() {
        let p = connection_request(b"Cookie:    mstshash=a\r\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), Some(&b"a"[..]));
        let p = connection_request(b"Cookie:\tmstshash=a\r\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), None);
    }

    #[test]
    fn fetch_rdp_cookie_name_value_rules() {
        // Empty value: found, empty (balance rdp-cookie then falls back).
        let p = connection_request(b"Cookie: mstshash=\r\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), Some(&b""[..]));
        // The value ends at the first '\r', which must precede '\n'.
        let p = connection_request(b"Cookie: mstshash=a b;c\rx\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), None);
        // A bare '\n' does not end the value.
        let p = connection_request(b"Cookie: mstshash=a\nb\r\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), Some(&b"a\nb"[..]));
        // The name must be followed by '=' and be the whole name.
        let p = connection_request(b"Cookie: mstshashx=a\r\n");
        assert_eq!(rdp_cookie(&p, "mstshash"), None);
    }

    #[test]
    fn fetch_rdp_cookie_name_needs_complete_data() {
        let full = connection_request(b"Cookie: mstshash=alice\r\n");
        // Cut before "\r\n" is complete: too short, no value yet.
        let cut = 11 + b"Cookie: mstshash=alice\r".len();
        assert_eq!(rdp_cookie(&full[..cut], "mstshash"), None);
        assert_eq!(
            rdp_cookie(&full[..cut + 1], "mstshash"),
            Some(&b"alice"[..])
        );
        // 18 bytes are not enough even to look at "Cookie:".
        assert_eq!(rdp_cookie(&full[..18], ""), None);
        // Exactly "Cookie:" + name, without '=' yet.
        let p = connection_request(b"Cookie: mstshash");
        assert_eq!(rdp_cookie(&p[..11 + 16], "mstshash"), None);
    }

    #[test]
    fn garbage_is_no_cookie() {
        assert_eq!(rdp_cookie(b"", "mstshash"), None);
        assert_eq!(rdp_cookie(&[0u8; 64], "mstshash"), None);
        assert_eq!(
            rdp_cookie(b"GET / HTTP/1.1\r\nCookie: mstshash=a\r\n", "mstshash"),
            None
        );
        // No routing token, only the negotiation request.
        let p = connection_request(b"");
        assert_eq!(rdp_cookie(&p, "mstshash"), None);
    }

    #[test]
    fn strncasecmp_stops_at_common_nul() {
        assert!(strncasecmp_eq(b"ab\0x", b"AB\0y", 4));
        assert!(!strncasecmp_eq(b"ab", b"ac", 2));
        assert!(!strncasecmp_eq(b"a", b"ab", 2));
    }

    proptest! {
        #[test]
        fn never_panics(payload in proptest::collection::vec(any::<u8>(), 0..64), name in ".{0,8}") {
            let _ = rdp_cookie(&payload, &name);
        }

        #[test]
        fn finds_any_token_value(value in "[a-zA-Z0-9.]{0,20}") {
            let mut cookie = b"Cookie: mstshash=".to_vec();
            cookie.extend_from_slice(value.as_bytes());
            cookie.extend_from_slice(b"\r\n");
            let p = connection_request(&cookie);
            prop_assert_eq!(rdp_cookie(&p, "mstshash"), Some(value.as_bytes()));
        }
    }
}
