//! The HTML stats page.
