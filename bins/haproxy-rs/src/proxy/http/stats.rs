//! Answers the engine gives itself: the stats page (`stats uri`, its
//! `;csv` export and admin form) and the Prometheus exporter.

use super::super::config::StatsPage;
use super::super::{report, AdminState, FrontendRt};
use crate::ops::cli::AdminAction;
use crate::ops::{html, prometheus, stat};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use std::sync::Arc;

/// The largest admin form accepted.
const MAX_FORM: usize = 64 * 1024;

/// The reports' view, while the proxy runs.
fn shared(fe: &FrontendRt) -> Option<Arc<report::Shared>> {
    fe.report.get()?.upgrade()
}

/// A response with a body and headers.
fn answer(status: StatusCode, headers: &[(&str, String)], body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().insert(n, v);
        }
    }
    let len = resp.body().len();
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    resp
}

/// Whether the request's path is the page's (`uri` and what follows it).
pub(super) fn wants_page(page: &StatsPage, path_and_query: &str) -> bool {
    path_and_query.starts_with(page.uri.as_str())
}

/// Whether a `Basic` authorization names one of the page's accounts.
fn authorized(page: &StatsPage, headers: &http::HeaderMap) -> bool {
    if page.auth.is_empty() {
        return true;
    }
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    page.auth.iter().any(|a| a == given.trim())
}

/// Serves the page: 401 without valid credentials, the admin form's
/// changes on POST (then a redirection back, as HAProxy does), the CSV
/// after `;csv`, else the HTML.
pub(super) async fn page(
    fe: &FrontendRt,
    page: &StatsPage,
    parts: &http::request::Parts,
    admin: bool,
    body: Incoming,
) -> Response<Bytes> {
    if !authorized(page, &parts.headers) {
        let realm = page.realm.replace('"', "");
        return answer(
            StatusCode::UNAUTHORIZED,
            &[
                ("content-type", "text/html".into()),
                ("www-authenticate", format!("Basic realm=\"{realm}\"")),
            ],
            "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n".into(),
        );
    }
    let Some(view) = shared(fe) else {
        return answer(StatusCode::SERVICE_UNAVAILABLE, &[], String::new());
    };
    if parts.method == Method::POST {
        let status = if admin {
            post(&view, body).await
        } else {
            "DENY"
        };
        let location = format!("{};st={status}", page.uri);
        return answer(
            StatusCode::SEE_OTHER,
            &[("location", location)],
            String::new(),
        );
    }
    let rest = parts
        .uri
        .path_and_query()
        .map_or("", |p| p.as_str())
        .get(page.uri.len()..)
        .unwrap_or("");
    let opts = html::PageOptions {
        uri: page.uri.clone(),
        refresh_secs: page.refresh_secs.filter(|_| !rest.contains(";norefresh")),
        hide_version: page.hide_version,
        admin,
    };
    let snapshot = view.snapshot();
    let csv = rest.contains(";csv");
    let body = if csv {
        let opts = stat::StatOptions {
            show_legends: false,
        };
        stat::show_stat(&snapshot, opts)
    } else {
        html::render(&snapshot, &opts)
    };
    let headers = html::response_headers(&opts, csv);
    answer(StatusCode::OK, &headers, body)
}

/// Applies the admin form; the `st` word of the redirection.
async fn post(view: &report::Shared, body: Incoming) -> &'static str {
    let Ok(collected) = Limited::new(body, MAX_FORM).collect().await else {
        return "ERRP";
    };
    let form = collected.to_bytes();
    let form = String::from_utf8_lossy(&form);
    let snapshot = view.snapshot();
    let Ok(changes) = html::parse_admin_post(&form, &snapshot) else {
        return "ERRP";
    };
    if changes.is_empty() {
        return "NONE";
    }
    let mut all = true;
    for (target, action) in changes {
        let admin = match action {
            AdminAction::Ready => AdminState::Ready,
            AdminAction::Drain => AdminState::Drain,
            AdminAction::Maint => AdminState::Maint,
            AdminAction::Enable => AdminState::Enable,
        };
        all &= view.set_admin(&target.backend, &target.server, admin);
    }
    if all {
        "DONE"
    } else {
        "PART"
    }
}

/// The `prometheus-exporter` service's answer.
pub(super) fn metrics(fe: &FrontendRt) -> Response<Bytes> {
    let Some(view) = shared(fe) else {
        return answer(StatusCode::SERVICE_UNAVAILABLE, &[], String::new());
    };
    answer(
        StatusCode::OK,
        &[(
            "content-type",
            "text/plain; version=0.0.4; charset=utf-8".into(),
        )],
        prometheus::render(&view.snapshot()),
    )
}
