//! The namespaces of one benchmark run. The failover lab is a switch
//! namespace holding a bridge, two nodes and a client on 192.0.2.0/24;
//! the resource lab is two nodes joined by four direct veth pairs (one
//! per 250 VRRP instances, as a VRID is unique per link only). The root
//! namespace's network is never touched; dropping a [`Lab`] kills what
//! still runs inside its namespaces (all of it started by the benchmark)
//! and deletes them.

use crate::netns::Namespaces;
use std::net::Ipv4Addr;
use std::process::Command;

/// The failover lab's virtual address.
pub(crate) const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// Node addresses in the failover lab: h1 (master), h2 (backup), client.
pub(crate) const H1: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
/// The backup's address.
pub(crate) const H2: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 12);
/// The client's address.
pub(crate) const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

/// Links between the two nodes of the resource lab.
pub(crate) const RESOURCE_LINKS: usize = 4;

/// The namespaces of one run; removed on drop.
pub(crate) struct Lab(Namespaces);

impl Lab {
    fn new(kind: &str) -> Lab {
        Lab(Namespaces::new(format!(
            "lbkab{}{kind}",
            std::process::id()
        )))
    }

    /// Switch, `h1`, `h2` and `client`, each host on `eth0`.
    pub(crate) fn failover() -> Result<Lab, String> {
        let mut lab = Lab::new("f");
        lab.0
            .switch_with_hosts("sw", &[("h1", H1), ("h2", H2), ("client", CLIENT)])?;
        Ok(lab)
    }

    /// `r1` and `r2` joined by [`RESOURCE_LINKS`] veth pairs `eth0..`;
    /// link `k` has 192.0.2.(16+4k+1)/30 on r1 and .(16+4k+2)/30 on r2
    /// (clear of [`VIP`], which [`Lab::flush_vips`] removes).
    pub(crate) fn resources() -> Result<Lab, String> {
        let mut lab = Lab::new("r");
        let (r1, r2) = (lab.ns("r1"), lab.ns("r2"));
        lab.add_ns(&r1)?;
        lab.add_ns(&r2)?;
        for k in 0..RESOURCE_LINKS {
            let link = format!("eth{k}");
            ip(&[
                "-n", &r1, "link", "add", &link, "type", "veth", "peer", "name", &link, "netns",
                &r2,
            ])?;
            for (ns, host) in [(&r1, 1), (&r2, 2)] {
                let addr = format!("192.0.2.{}/30", 16 + 4 * k + host);
                ip(&["-n", ns, "addr", "add", &addr, "dev", &link])?;
                ip(&["-n", ns, "link", "set", &link, "up"])?;
            }
        }
        Ok(lab)
    }

    /// The namespace of host `name`.
    pub(crate) fn ns(&self, name: &str) -> String {
        self.0.ns(name)
    }

    fn add_ns(&mut self, ns: &str) -> Result<(), String> {
        self.0.add(ns)
    }

    /// The link-layer address of `eth0` in host `name` (from `ip`: sysfs
    /// shows the namespace it was mounted in, not the caller's).
    pub(crate) fn mac(&self, name: &str) -> Result<[u8; 6], String> {
        let out = Command::new("ip")
            .args(["-n", &self.ns(name), "-o", "link", "show", "eth0"])
            .output()
            .map_err(|e| format!("cannot run ip: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut words = text.split_whitespace();
        words
            .by_ref()
            .find(|w| *w == "link/ether")
            .and_then(|_| words.next())
            .and_then(parse_mac)
            .ok_or_else(|| format!("no MAC address for eth0 in {text:?}"))
    }

    /// The IPv4 addresses host `name` holds (as `ip -o addr` lines).
    pub(crate) fn addresses(&self, name: &str) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.ns(name), "-4", "-o", "addr", "show"])
            .output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Whether host `name` holds the failover lab's VIP.
    pub(crate) fn has_vip(&self, name: &str) -> bool {
        self.addresses(name).contains(&format!(" {VIP}/"))
    }

    /// The processes running in host `name`'s namespace.
    pub(crate) fn pids(&self, name: &str) -> Vec<i32> {
        ns_pids(&self.ns(name))
    }

    /// Removes the VIP and every address of 198.51.100.0/24 and
    /// 203.0.113.0/24 left behind by a killed daemon on host `name`.
    pub(crate) fn flush_vips(&self, name: &str) {
        let ns = self.ns(name);
        for prefix in [
            format!("{VIP}/32"),
            "198.51.100.0/24".into(),
            "203.0.113.0/24".into(),
        ] {
            let _ = Command::new("ip")
                .args(["-n", &ns, "-4", "addr", "flush", "to", &prefix])
                .output();
        }
    }
}

pub(crate) use crate::netns::enter;
use crate::netns::{ip, pids as ns_pids};

/// `aa:bb:cc:dd:ee:ff` as bytes.
fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut mac {
        *byte = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_parse_from_sysfs_text() {
        assert_eq!(
            parse_mac("02:1a:ff:00:0b:c3"),
            Some([0x02, 0x1a, 0xff, 0x00, 0x0b, 0xc3])
        );
        assert_eq!(parse_mac("02:1a:ff:00:0b"), None);
        assert_eq!(parse_mac("02:1a:ff:00:0b:c3:00"), None);
        assert_eq!(parse_mac("02:1a:ff:00:0b:zz"), None);
    }

    #[test]
    fn every_address_is_a_documentation_address() {
        for a in [VIP, H1, H2, CLIENT] {
            assert_eq!(a.octets()[..3], [192, 0, 2], "{a}");
        }
    }
}
