//! Addresses, routes, rules and script commands: the value types shared
//! by several blocks.

use super::Spanned;
use std::net::IpAddr;

/// An address with an optional prefix length: `192.0.2.0/24`, `2001:db8::1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPrefix {
    /// The address.
    pub addr: IpAddr,
    /// The prefix length after `/`; `None` when not written (keepalived
    /// then uses 32 for IPv4 and 128 for IPv6).
    pub prefix: Option<u8>,
}

impl IpPrefix {
    /// The prefix length keepalived uses: as written, or the full length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix.unwrap_or(match self.addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        })
    }
}

/// One line of `virtual_ipaddress`, `virtual_ipaddress_excluded` or
/// `static_ipaddress`:
/// `ADDR[/LEN] [brd ADDR] [dev IF] [scope SCOPE] [label LABEL] [peer ADDR]
/// [home] [-nodad] [noprefixroute] [autojoin] [track_group NAME] ...`.
///
/// The address, its device and the flags are inline; the options that
/// take a value besides `dev` are rarely written and boxed
/// ([`VirtualAddress::options`]), so that an address stays small.
/// Equality compares the options, however they are stored.
#[derive(Clone, Debug)]
pub struct VirtualAddress {
    /// The address and prefix length (first word).
    pub addr: Spanned<IpPrefix>,
    /// `dev IF`: the interface; default the instance's `interface`.
    pub dev: Option<Spanned<String>>,
    /// `brd`, `scope`, `label`, `peer`, `preferred_lft`, `track_group`;
    /// `None` when none of them is written.
    pub options: Option<Box<AddressOptions>>,
    /// `home` (IPv6 home address).
    pub home: bool,
    /// `-nodad` / `no_dad` (IPv6: no duplicate address detection).
    pub no_dad: bool,
    /// `noprefixroute`.
    pub noprefixroute: bool,
    /// `autojoin` (multicast addresses).
    pub autojoin: bool,
    /// `mngtmpaddr` (IPv6: manage temporary addresses).
    pub mngtmpaddr: bool,
    /// `no_track`: a failure of the interface does not fault the instance.
    pub no_track: bool,
    /// `use_vmac` (virtual addresses only): put the address on the VMAC.
    pub use_vmac: bool,
}

/// The options of an address line that take a value, besides `dev`
/// ([`VirtualAddress::options`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddressOptions {
    /// `brd ADDR` / `broadcast ADDR`; the word `+` (compute from the
    /// prefix) or `-` (none) is kept as written in `brd_word`.
    pub brd: Option<Spanned<IpAddr>>,
    /// `brd +` or `brd -` when written so.
    pub brd_word: Option<Spanned<String>>,
    /// `scope SCOPE` (`global`, `site`, `link`, `host`, `nowhere` or a
    /// number); default `global`.
    pub scope: Option<Spanned<String>>,
    /// `label LABEL`: the IPv4 address label.
    pub label: Option<Spanned<String>>,
    /// `peer ADDR[/LEN]`: the peer of a point-to-point address.
    pub peer: Option<Spanned<IpPrefix>>,
    /// `preferred_lft forever|SECS`.
    pub preferred_lft: Option<Spanned<String>>,
    /// `track_group NAME`.
    pub track_group: Option<Spanned<String>>,
}

impl VirtualAddress {
    /// An address with no option.
    pub fn new(addr: Spanned<IpPrefix>) -> Self {
        VirtualAddress {
            addr,
            dev: None,
            options: None,
            home: false,
            no_dad: false,
            noprefixroute: false,
            autojoin: false,
            mngtmpaddr: false,
            no_track: false,
            use_vmac: false,
        }
    }

    /// The options as written (all `None` when none was).
    pub fn options(&self) -> &AddressOptions {
        static NONE: AddressOptions = AddressOptions {
            brd: None,
            brd_word: None,
            scope: None,
            label: None,
            peer: None,
            preferred_lft: None,
            track_group: None,
        };
        self.options.as_deref().unwrap_or(&NONE)
    }

    /// The options, made empty when none was written yet.
    pub fn options_mut(&mut self) -> &mut AddressOptions {
        self.options.get_or_insert_with(Box::default)
    }
}

impl PartialEq for VirtualAddress {
    fn eq(&self, o: &Self) -> bool {
        self.addr == o.addr
            && self.dev == o.dev
            && self.options() == o.options()
            && self.home == o.home
            && self.no_dad == o.no_dad
            && self.noprefixroute == o.noprefixroute
            && self.autojoin == o.autojoin
            && self.mngtmpaddr == o.mngtmpaddr
            && self.no_track == o.no_track
            && self.use_vmac == o.use_vmac
    }
}

impl Eq for VirtualAddress {}

/// One line of `virtual_routes` / `static_routes`, in `ip route` syntax
/// (`[src ADDR] [to] DEST [via GW] [dev IF] [table N] [metric N] ...`).
/// keepalived's route grammar is large: the words are kept as written
/// after their address syntax is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    /// The words of the line.
    pub words: Vec<Spanned<String>>,
}

/// One line of `virtual_rules` / `static_rules`, in `ip rule` syntax
/// (`[from ADDR] [to ADDR] [table N] [priority N] ...`), kept as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// The words of the line.
    pub words: Vec<Spanned<String>>,
}

/// A script to run: `notify_master "/path/script arg" [USER [GROUP]]`.
/// keepalived runs the (possibly quoted) first word through its own word
/// splitting; USER and GROUP default to `script_user` (global), itself
/// `keepalived_script` or root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptCommand {
    /// The command line (first argument, quotes removed).
    pub command: Spanned<String>,
    /// The user to run as.
    pub user: Option<Spanned<String>>,
    /// The group to run as.
    pub group: Option<Spanned<String>>,
}

impl ScriptCommand {
    /// A command with no user or group.
    pub fn new(command: Spanned<String>) -> Self {
        ScriptCommand {
            command,
            user: None,
            group: None,
        }
    }
}

/// `USER [GROUP]`: who a script runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserGroup {
    /// The user.
    pub user: Spanned<String>,
    /// The group; default the user's primary group.
    pub group: Option<Spanned<String>>,
}
