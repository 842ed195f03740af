//! Parsing `balance` and `hash-type` arguments as HAProxy 2.6 does.

use super::{Balance, HashType};
use crate::Error;
use std::str::FromStr;

impl FromStr for Balance {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let _ = s;
        todo!()
    }
}

impl FromStr for HashType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let _ = s;
        todo!()
    }
}
