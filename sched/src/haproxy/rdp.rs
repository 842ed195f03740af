//! The RDP cookie (`Cookie: NAME=VALUE` in an X.224 connection request).

/// The value of the RDP cookie `name` in the first bytes a client sent.
pub fn rdp_cookie<'a>(payload: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let _ = (payload, name);
    todo!()
}
