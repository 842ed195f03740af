//! HAProxy's built-in error pages (`src/http.c`, HAProxy 2.6), as raw
//! bytes for errors raised before a request exists and as responses for
//! errors raised while one is being handled.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

/// The HTML body and reason phrase HAProxy uses for a status it generates.
pub(crate) fn page(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("Bad request", "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n"),
        403 => ("Forbidden", "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n"),
        404 => ("Not Found", "<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n"),
        405 => ("Method Not Allowed", "<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n"),
        408 => ("Request Time-out", "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n"),
        410 => ("Gone", "<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be available again.\n</body></html>\n"),
        422 => ("Unprocessable Content", "<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n"),
        425 => ("Too Early", "<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n"),
        429 => ("Too Many Requests", "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n"),
        502 => ("Bad Gateway", "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n"),
        503 => ("Service Unavailable", "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"),
        504 => ("Gateway Time-out", "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n"),
        _ => ("Internal Server Error", "<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occured.\n</body></html>\n"),
    }
}

/// The page as HAProxy writes it on a connection that has no request yet
/// (parse errors, `timeout http-request`): header names capitalised, and
/// `Connection: close`.
pub(crate) fn raw(status: u16) -> Vec<u8> {
    let (reason, body) = page(status);
    let status = if reason == "Internal Server Error" {
        500
    } else {
        status
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The page as a response to a request (deny, 502, 503, 504): lower-case
/// header names, `content-length`, `cache-control`, `content-type`.
pub(crate) fn response(status: u16) -> Response<Bytes> {
    let (reason, body) = page(status);
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = Response::new(Bytes::from_static(body.as_bytes()));
    *resp.status_mut() = code;
    let h = resp.headers_mut();
    h.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html"),
    );
    resp.extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(reason.as_bytes()));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_400_is_byte_for_byte_haproxys() {
        let want = "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";
        assert_eq!(String::from_utf8_lossy(&raw(400)), want);
    }

    #[test]
    fn lengths_match_haproxys_headers() {
        // The Content-length values written in HAProxy's own tables.
        for (status, len) in [
            (403, 93),
            (408, 110),
            (500, 96),
            (502, 107),
            (503, 107),
            (504, 92),
        ] {
            assert_eq!(page(status).1.len(), len, "{status}");
        }
        assert_eq!(response(504).headers()["content-length"], "92");
    }
}
