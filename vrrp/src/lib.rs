//! # lbkit-vrrp
//!
//! VRRP version 2 (RFC 3768) and version 3 (RFC 5798), over IPv4 and IPv6,
//! as a library:
//!
//! - [`wire`]: the codec. A checked view over received bytes and an owned
//!   [`Advertisement`]; never panics on any input, and serialises back
//!   byte-exactly.
//! - [`machine`]: the sans-IO state machine (Initialize, Backup, Master,
//!   Fault) with keepalived's extensions. Time is passed in; the machine
//!   returns the actions to carry out.
//! - `io` (feature `io`): the tokio driver: raw VRRP sockets, virtual
//!   addresses through rtnetlink, gratuitous ARP / unsolicited NA, and
//!   `io::Router`, which runs instances and sync groups over a socket and
//!   carries out their actions.
//!
//! The two meet in [`Advertisement`], the decoded form of one VRRP packet.

mod advert;
#[cfg(feature = "io")]
pub mod io;
pub mod machine;
pub mod wire;

pub use advert::{Advertisement, Auth, Version};

/// The README's example, compiled (not run) as a doctest.
#[cfg(all(doctest, feature = "io"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeExample;
