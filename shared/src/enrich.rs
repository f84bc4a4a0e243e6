//! Enrichment of `context` (SPEC 3.3): the user agent parsed into browser, OS and device class, and the
//! key under which an IP address is looked up in the IP-to-country ranges that the worker keeps in D1.
//!
//! User agents are parsed with `ua-parser`, the Rust implementation of the ua-parser project, whose
//! `regexes.yaml` (uap-core, Apache-2.0) is the shared, maintained rule set behind most UA parsers.
//! `data/uap-regexes.json` holds its browser and OS rules converted to JSON (see [`parse_user_agent`]).
//! Its device rules only name models and cost more to compile than the other two together, so the
//! device class comes from the few tokens that decide it instead.

use std::net::IpAddr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A parsed user agent, stored as `context.ua`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAgent {
    /// Browser or client family as uap-core names it, e.g. `Chrome`, `Mobile Safari`, `curl`, `Googlebot`.
    pub browser: String,
    /// Its version as dotted numbers, when the string has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_version: Option<String>,
    /// One of `desktop`, `mobile`, `tablet`, `bot`, `other`.
    pub device: String,
    /// Operating system family, e.g. `Windows`, `Mac OS X`, `iOS`, `Android`; `Other` when unknown.
    pub os: String,
    /// Its version, e.g. `10`, `17.5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
}

/// Country (and region and city where the source knows them) of an IP address, stored as `context.geo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geo {
    /// City, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 code, e.g. `DE`.
    pub country: String,
    /// Region, when known (not from the IP ranges, which are per country).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// An address as the number the geo tables are keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeoKey {
    /// IPv4 as an unsigned 32-bit number.
    V4(u32),
    /// IPv6 as an unsigned 128-bit number.
    V6(u128),
}

impl GeoKey {
    /// The IPv6 key as 32 lowercase hex digits, the text form `unhex()` turns into the stored BLOB.
    pub fn hex(self) -> String {
        match self {
            GeoKey::V4(n) => format!("{n:08x}"),
            GeoKey::V6(n) => format!("{n:032x}"),
        }
    }
}

/// The lookup key of an address, or `None` for addresses that belong to no country: private, loopback,
/// link-local, unique-local, documentation, shared (CGNAT), benchmarking, multicast, reserved and
/// unspecified ones. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
pub fn geo_key(ip: IpAddr) -> Option<GeoKey> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            let special = v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || (a == 192 && b == 0 && c == 0); // IETF protocol assignments
            (!special).then_some(GeoKey::V4(u32::from(v4)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return geo_key(IpAddr::V4(v4));
            }
            let n = u128::from(v6);
            let top16 = (n >> 112) as u16;
            let special = v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || top16 & 0xfe00 == 0xfc00 // unique local fc00::/7
                || top16 & 0xffc0 == 0xfe80 // link-local fe80::/10
                || n >> 96 == 0x2001_0db8 // documentation 2001:db8::/32
                || n >> 80 == 0x2001_0002_0000 // benchmarking 2001:2::/48
                || n >> 100 == 0x0200_1001 // ORCHID 2001:10::/28
                || n >> 100 == 0x0200_1002 // ORCHIDv2 2001:20::/28
                || top16 & 0xe000 != 0x2000; // outside global unicast 2000::/3
            (!special).then_some(GeoKey::V6(n))
        }
    }
}

/// The browser and OS rules of uap-core, compiled on first use (tens of milliseconds natively; the
/// worker keeps parsed results per isolate, so each distinct string is parsed once).
struct Rules {
    browsers: ua_parser::user_agent::Extractor<'static>,
    systems: ua_parser::os::Extractor<'static>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        // Regenerate from the `ua-parser` crate's bundled uap-core when bumping it: keep
        // `user_agent_parsers` and `os_parsers` of regexes.yaml, `device_parsers` empty, as compact JSON.
        let regexes: ua_parser::Regexes<'static> =
            serde_json::from_str(include_str!("../data/uap-regexes.json"))
                .expect("data/uap-regexes.json is valid");
        let browsers = ua_parser::user_agent::Builder::new()
            .push_all(regexes.user_agent_parsers)
            .expect("uap-core browser rules parse")
            .build()
            .expect("uap-core browser rules compile");
        let systems = ua_parser::os::Builder::new()
            .push_all(regexes.os_parsers)
            .expect("uap-core OS rules parse")
            .build()
            .expect("uap-core OS rules compile");
        Rules { browsers, systems }
    })
}

fn dotted<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let parts: Vec<&str> = parts
        .into_iter()
        .map_while(|p| p.filter(|p| !p.is_empty()))
        .collect();
    (!parts.is_empty()).then(|| parts.join("."))
}

const BOT_TOKENS: [&str; 6] = [
    "bot",
    "spider",
    "crawl",
    "slurp",
    "facebookexternalhit",
    "preview",
];
const DESKTOP_OS: [&str; 11] = [
    "Windows",
    "Mac OS X",
    "Linux",
    "Ubuntu",
    "Debian",
    "Fedora",
    "Chrome OS",
    "FreeBSD",
    "OpenBSD",
    "Red Hat",
    "Linux Mint",
];

/// The device class from the tokens that decide it: crawlers, then tablets (iPad, Android without the
/// `Mobile` token, Kindle), then phones, then desktop systems.
fn device_class(ua: &str, browser: &str, os: &str) -> &'static str {
    let lower = ua.to_ascii_lowercase();
    // `bot` inside a phone brand's name (CUBOT) is no crawler.
    let named_bot = |text: &str| text.replace("cubot", "").contains("bot");
    if browser.contains("Spider")
        || BOT_TOKENS
            .iter()
            .any(|t| lower.contains(t) && (*t != "bot" || named_bot(&lower)))
        || named_bot(&browser.to_ascii_lowercase())
    {
        "bot"
    } else if lower.contains("dalvik/") {
        // Android's own HTTP client, used by apps: a phone far more often than a tablet.
        "mobile"
    } else if lower.contains("ipad")
        || lower.contains("tablet")
        || lower.contains("kindle")
        || lower.contains("silk/")
        || (os == "Android" && !lower.contains("mobile"))
    {
        "tablet"
    } else if lower.contains("mobi")
        || lower.contains("iphone")
        || lower.contains("ipod")
        || matches!(os, "iOS" | "Android" | "Windows Phone")
    {
        "mobile"
    } else if DESKTOP_OS.contains(&os) {
        "desktop"
    } else {
        "other"
    }
}

/// Parses a `User-Agent` string; `None` when neither a browser (or client) nor an OS is recognised.
pub fn parse_user_agent(ua: &str) -> Option<UserAgent> {
    let ua = ua.trim();
    if ua.is_empty() {
        return None;
    }
    let rules = rules();
    let browser = rules.browsers.extract(ua);
    let system = rules.systems.extract(ua);
    if browser.is_none() && system.is_none() {
        return None;
    }
    let (browser, browser_version) = match &browser {
        Some(b) => (
            b.family.to_string(),
            dotted([b.major, b.minor, b.patch, b.patch_minor]),
        ),
        None => ("Other".to_string(), None),
    };
    let (os, os_version) = match &system {
        Some(s) => (
            s.os.to_string(),
            dotted([
                s.major.as_deref(),
                s.minor.as_deref(),
                s.patch.as_deref(),
                s.patch_minor.as_deref(),
            ]),
        ),
        None => ("Other".to_string(), None),
    };
    let device = device_class(ua, &browser, &os).to_string();
    Some(UserAgent {
        browser,
        browser_version,
        os,
        os_version,
        device,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ua(browser: &str, bv: Option<&str>, os: &str, ov: Option<&str>, device: &str) -> UserAgent {
        UserAgent {
            browser: browser.into(),
            browser_version: bv.map(Into::into),
            os: os.into(),
            os_version: ov.map(Into::into),
            device: device.into(),
        }
    }

    #[test]
    fn chrome_on_windows() {
        let got = parse_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
        assert_eq!(
            got,
            Some(ua(
                "Chrome",
                Some("131.0.0.0"),
                "Windows",
                Some("10"),
                "desktop"
            ))
        );
    }

    #[test]
    fn safari_on_iphone() {
        let got = parse_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1");
        assert_eq!(
            got,
            Some(ua(
                "Mobile Safari",
                Some("17.5"),
                "iOS",
                Some("17.5"),
                "mobile"
            ))
        );
    }

    #[test]
    fn ipad_is_a_tablet() {
        let got = parse_user_agent("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1");
        assert_eq!(
            got,
            Some(ua(
                "Mobile Safari",
                Some("16.6"),
                "iOS",
                Some("16.6"),
                "tablet"
            ))
        );
    }

    #[test]
    fn firefox_on_linux() {
        let got = parse_user_agent(
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        );
        assert_eq!(
            got,
            Some(ua("Firefox", Some("133.0"), "Ubuntu", None, "desktop"))
        );
        let got = parse_user_agent(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        );
        assert_eq!(
            got,
            Some(ua("Firefox", Some("128.0"), "Linux", None, "desktop"))
        );
    }

    #[test]
    fn edge_is_not_chrome() {
        let got = parse_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70");
        assert_eq!(
            got,
            Some(ua(
                "Edge",
                Some("131.0.2903.70"),
                "Windows",
                Some("10"),
                "desktop"
            ))
        );
    }

    #[test]
    fn android_tablet_and_phone() {
        let tablet = parse_user_agent("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Safari/537.36");
        assert_eq!(
            tablet,
            Some(ua(
                "Chrome",
                Some("131.0.6778.135"),
                "Android",
                Some("13"),
                "tablet"
            ))
        );
        let phone = parse_user_agent("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36");
        assert_eq!(
            phone,
            Some(ua(
                "Chrome Mobile",
                Some("131.0.6778.135"),
                "Android",
                Some("14"),
                "mobile"
            ))
        );
    }

    #[test]
    fn command_line_clients_and_crawlers() {
        assert_eq!(
            parse_user_agent("curl/8.5.0"),
            Some(ua("curl", Some("8.5.0"), "Other", None, "other"))
        );
        assert_eq!(
            parse_user_agent(
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
            ),
            Some(ua("Googlebot", Some("2.1"), "Other", None, "bot"))
        );
    }

    #[test]
    fn empty_and_garbage_give_nothing() {
        assert_eq!(parse_user_agent(""), None);
        assert_eq!(parse_user_agent("   "), None);
        assert_eq!(parse_user_agent("garbage!!"), None);
        assert_eq!(parse_user_agent("\u{0}\u{1}(;;)"), None);
    }

    #[test]
    fn serialises_without_empty_versions() {
        let value = serde_json::to_value(ua("curl", None, "Other", None, "other")).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"browser": "curl", "os": "Other", "device": "other"})
        );
        let geo = Geo {
            country: "DE".into(),
            region: None,
            city: None,
        };
        assert_eq!(
            serde_json::to_value(geo).unwrap(),
            serde_json::json!({"country": "DE"})
        );
    }

    fn key(s: &str) -> Option<GeoKey> {
        geo_key(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_have_keys() {
        assert_eq!(key("1.0.0.0"), Some(GeoKey::V4(16_777_216)));
        assert_eq!(key("8.8.8.8"), Some(GeoKey::V4(0x0808_0808)));
        assert_eq!(key("100.63.255.255"), Some(GeoKey::V4(0x643f_ffff)));
        assert_eq!(
            key("2001:200::1"),
            Some(GeoKey::V6(0x2001_0200_0000_0000_0000_0000_0000_0001))
        );
        // IPv4-mapped IPv6 is looked up as the IPv4 address it carries.
        assert_eq!(key("::ffff:8.8.4.4"), Some(GeoKey::V4(0x0808_0404)));
        assert_eq!(
            GeoKey::V6(0x2001_0200 << 96).hex(),
            "20010200000000000000000000000000"
        );
    }

    #[test]
    fn addresses_without_a_country_have_none() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "2001:db8::1",
            "2001:2::1",
            "2001:10::1",
            "2001:2f:ffff::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:192.168.0.1",
        ] {
            assert_eq!(key(ip), None, "{ip}");
        }
    }

    /// A phone brand holding `bot` is a phone, and Android's HTTP client a phone; crawlers stay bots.
    #[test]
    fn device_classes_of_awkward_agents() {
        let device = |text: &str| parse_user_agent(text).map(|u| u.device.clone());
        let cubot =
            "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) \
                     Chrome/96.0.4664.45 Mobile Safari/537.36";
        assert_eq!(device(cubot).as_deref(), Some("mobile"));
        let dalvik = "Dalvik/2.1.0 (Linux; U; Android 12; SM-G991B Build/SP1A.210812.016)";
        assert_eq!(device(dalvik).as_deref(), Some("mobile"));
        let google = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        assert_eq!(device(google).as_deref(), Some("bot"));
        // Still looked up: global addresses around the reserved blocks.
        assert!(geo_key("2001:3::1".parse().unwrap()).is_some());
        assert!(geo_key("2001:30::1".parse().unwrap()).is_some());
    }
}
