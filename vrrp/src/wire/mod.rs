//! The VRRP wire codec: decoding and encoding advertisements.
