//! The egress policy: which origins a target may reach, and which IP ranges no one may
//! reach unless the operator allows them.
//!
//! Origins (`scheme://host[:port]`, host may be `*.example.com` or `*`) are granted per
//! target. Addresses are checked after DNS resolution, by the resolver the HTTP clients use,
//! so the address checked is the address connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A granted origin such as `https://api.example.com`, `http://*.internal:8080` or `https://*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: String,
    host: HostPattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    Suffix(String),
}

/// An origin or CIDR could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {given:?}: {why}")]
pub struct PolicyError {
    what: &'static str,
    given: String,
    why: &'static str,
}

impl OriginPattern {
    /// Parses `scheme://host[:port]` (a trailing `/` or path is ignored).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let err = |why| PolicyError { what: "origin", given: text.to_owned(), why };
        let (scheme, rest) = text.split_once("://").ok_or_else(|| err("expected scheme://host[:port]"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(err("the scheme must be http or https"));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(err("userinfo is not allowed"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| err("bad port"))?;
        if host.is_empty() {
            return Err(err("the host is empty"));
        }
        // URLs spell IPv6 hosts with brackets (`url.host_str()` is `[::1]`); so do we.
        let host = if authority.starts_with('[') { format!("[{host}]") } else { host.to_ascii_lowercase() };
        let host = if host == "*" {
            HostPattern::Any
        } else if let Some(suffix) = host.strip_prefix("*.") {
            HostPattern::Suffix(format!(".{suffix}"))
        } else {
            HostPattern::Exact(host)
        };
        Ok(OriginPattern { scheme, host, port })
    }

    /// The origin of an absolute URL, as an exact pattern (how built-in targets are granted
    /// the URLs their options name).
    pub fn of_url(url: &reqwest::Url) -> Option<Self> {
        let host = url.host_str()?.to_ascii_lowercase();
        Some(OriginPattern {
            scheme: url.scheme().to_owned(),
            host: HostPattern::Exact(host),
            port: url.port_or_known_default(),
        })
    }

    /// Whether `url` falls under this pattern. A pattern without a port allows the scheme's
    /// default port only.
    pub fn allows(&self, url: &reqwest::Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        let host = host.to_ascii_lowercase();
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(exact) => *exact == host,
            HostPattern::Suffix(suffix) => host.ends_with(suffix.as_str()),
        };
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        url.scheme() == self.scheme
            && host_ok
            && url.port_or_known_default() == Some(self.port.unwrap_or(default_port))
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// An IP network, e.g. `127.0.0.0/8` or `::1/128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `addr/prefix` (a bare address is a single host).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let err = |why| PolicyError { what: "network", given: text.to_owned(), why };
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| err("not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| err("bad prefix length"))?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }

    /// Whether `ip` is inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are judged as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Why an address is special, or `None` for a public address.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space (CGNAT)")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("multicast or reserved")
    } else {
        None
    }
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else {
        None
    }
}

/// The runtime-wide address policy: special ranges are refused unless listed here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Special ranges the operator allows (`[egress] allow_private`).
    pub allow_private: Vec<IpNet>,
}

impl AddressPolicy {
    /// `Err(reason)` when `ip` may not be reached.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        match special_range(ip) {
            Some(kind) if !self.allow_private.iter().any(|net| net.contains(ip)) => Err(format!(
                "{ip} is a {kind} address (refused unless allowed: `allow_private`, or `--allow-private` on the command line)"
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_origins_match_their_urls() {
        let pattern = OriginPattern::parse("http://[::1]:9").expect("parses");
        assert!(pattern.allows(&reqwest::Url::parse("http://[::1]:9/x").expect("url")));
        assert!(!pattern.allows(&reqwest::Url::parse("http://[::2]:9/x").expect("url")));
    }

    fn url(text: &str) -> reqwest::Url {
        reqwest::Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn origins_match_scheme_host_and_port() {
        let exact = OriginPattern::parse("https://api.example.com").expect("valid");
        assert!(exact.allows(&url("https://api.example.com/hooks?x=1")));
        assert!(exact.allows(&url("https://API.example.com:443/")));
        assert!(!exact.allows(&url("http://api.example.com/")));
        assert!(!exact.allows(&url("https://api.example.com:8443/")));
        assert!(!exact.allows(&url("https://evil.com/?api.example.com")));
        let wild = OriginPattern::parse("http://*.internal:8080").expect("valid");
        assert!(wild.allows(&url("http://a.b.internal:8080/")));
        assert!(!wild.allows(&url("http://internal:8080/")));
        assert!(!wild.allows(&url("http://a.internal/")));
        assert!(OriginPattern::parse("https://*").expect("valid").allows(&url("https://anything.org/")));
    }

    #[test]
    fn bad_origins_are_refused() {
        for bad in ["ftp://x", "example.com", "https://user@x", "https://:80", "https://x:99999"] {
            assert!(OriginPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn special_ranges_are_refused_unless_allowed() {
        let policy = AddressPolicy::default();
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "100.64.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(policy.check(ip).is_err(), "{ip} should be refused");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert_eq!(policy.check(ip.parse().expect("ip")), Ok(()), "{ip}");
        }
        let local = AddressPolicy {
            allow_private: vec![
                IpNet::parse("127.0.0.0/8").expect("net"),
                IpNet::parse("::1/128").expect("net"),
            ],
        };
        assert_eq!(local.check("127.0.0.1".parse().expect("ip")), Ok(()));
        assert_eq!(local.check("::1".parse().expect("ip")), Ok(()));
        assert!(local.check("10.0.0.1".parse().expect("ip")).is_err());
    }
}
