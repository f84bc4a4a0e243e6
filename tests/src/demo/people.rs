//! The demo's cast: forty people at Acme (and five contractors from Globex), the API keys and service
//! accounts that act for them, and the addresses and browsers they come from. The cast does not depend
//! on the seed: different seeds replay different days of the same company, so ids stay recognisable.
//!
//! Each person's usual address is a public one in their country, taken from blocks that the geo dataset
//! (npm `@ip-location-db/geo-whois-asn-country`) places there, so `context.geo` resolves as it would in
//! production; VPN, LAN and system addresses stay private (10.0.0.0/8, 192.168.0.0/16) and resolve to
//! nothing. E-mail domains use the reserved `.example` TLD.

use std::net::Ipv6Addr;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::scene::stable_uuid;
use super::System;

/// A team decides which systems a person uses and which workspace they work in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Team {
    Data,
    Platform,
    Growth,
    Finance,
    Ml,
    It,
    Contractor,
}

impl Team {
    pub fn workspace(self) -> &'static str {
        match self {
            Team::Data | Team::Contractor => "analytics",
            Team::Platform | Team::It => "platform",
            Team::Growth => "growth",
            Team::Finance => "finance",
            Team::Ml => "ml",
        }
    }

    fn uses(self, system: System) -> bool {
        use Team::*;
        match system {
            System::Livebook => matches!(self, Data | Platform | Ml | Finance),
            System::Airbyte => matches!(self, Data | Platform | It),
            System::Langfuse => matches!(self, Ml | Platform | Data),
            System::Activity => matches!(self, Data | Finance | Growth | Contractor | Platform),
            System::Lowcoder => true,
        }
    }
}

/// How a browser presents itself, with the parsed details Lowcoder records.
#[derive(Debug)]
pub(crate) struct Agent {
    pub header: &'static str,
    pub browser: &'static str,
    pub os: &'static str,
    pub device: &'static str,
}

const fn agent(
    header: &'static str,
    browser: &'static str,
    os: &'static str,
    device: &'static str,
) -> Agent {
    Agent {
        header,
        browser,
        os,
        device,
    }
}

// The first one is the Airbyte seed's; it is also the most common desktop browser here.
static DESKTOP_AGENTS: [Agent; 8] = [
    agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131", "macOS", "Desktop"),
    agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131", "Windows 10", "Desktop"),
    agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15", "Safari 17.6", "macOS", "Desktop"),
    agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133", "macOS", "Desktop"),
    agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131", "Windows 10", "Desktop"),
    agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "Chrome 130", "Linux", "Desktop"),
    agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133", "Windows 10", "Desktop"),
    agent("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox 132", "Ubuntu", "Desktop"),
];

static MOBILE_AGENTS: [Agent; 4] = [
    agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", "Mobile Safari 17.6", "iOS 17.6", "Phone"),
    agent("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36", "Chrome Mobile 131", "Android 14", "Phone"),
    agent("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Mobile Safari 17.5", "iPadOS 17.5", "Tablet"),
    agent("Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet 26", "Android 14", "Phone"),
];

/// Where someone works from: an office shares one egress address, remote people have their own.
#[derive(Debug, Clone, Copy)]
enum Site {
    Berlin,
    NewYork,
    Remote(&'static str, &'static str),
}

// (name, e-mail local part, team, role, how busy (higher is busier), where they work)
#[rustfmt::skip] // one person per line reads as a table
const PEOPLE: [(&str, &str, Team, &str, u32, Site); 40] = [
    ("Alice Martin", "alice.martin", Team::Data, "admin", 9, Site::Berlin),
    ("Bob Nguyen", "bob.nguyen", Team::Data, "editor", 8, Site::Berlin),
    ("Carla Rossi", "carla.rossi", Team::Finance, "viewer", 3, Site::Remote("Milan", "IT")),
    ("David Okafor", "david.okafor", Team::Platform, "admin", 7, Site::NewYork),
    ("Emma Schneider", "emma.schneider", Team::Growth, "editor", 6, Site::Berlin),
    ("Farid Haddad", "farid.haddad", Team::Ml, "editor", 7, Site::Remote("Lisbon", "PT")),
    ("Grace Liu", "grace.liu", Team::Ml, "admin", 8, Site::NewYork),
    ("Hugo Moreau", "hugo.moreau", Team::Platform, "editor", 6, Site::Berlin),
    ("Isabel Fernández", "isabel.fernandez", Team::Data, "editor", 5, Site::Remote("Madrid", "ES")),
    ("Jamal Washington", "jamal.washington", Team::It, "admin", 4, Site::NewYork),
    ("Keiko Tanaka", "keiko.tanaka", Team::Growth, "viewer", 3, Site::NewYork),
    ("Lars Johansson", "lars.johansson", Team::Platform, "editor", 5, Site::Remote("Stockholm", "SE")),
    ("Maya Patel", "maya.patel", Team::Data, "editor", 9, Site::NewYork),
    ("Nikolai Petrov", "nikolai.petrov", Team::Platform, "editor", 4, Site::Berlin),
    ("Olivia Brown", "olivia.brown", Team::Finance, "editor", 6, Site::NewYork),
    ("Pedro Alves", "pedro.alves", Team::Growth, "editor", 5, Site::Remote("Porto", "PT")),
    ("Quinn O'Connor", "quinn.oconnor", Team::Data, "viewer", 2, Site::Remote("Dublin", "IE")),
    ("Rania Aziz", "rania.aziz", Team::Ml, "editor", 6, Site::Berlin),
    ("Samuel Cohen", "samuel.cohen", Team::Finance, "admin", 4, Site::NewYork),
    ("Tomás García", "tomas.garcia", Team::Platform, "viewer", 2, Site::Remote("Valencia", "ES")),
    ("Uma Krishnan", "uma.krishnan", Team::Ml, "editor", 5, Site::Remote("Bangalore", "IN")),
    ("Victor Dubois", "victor.dubois", Team::It, "editor", 3, Site::Berlin),
    ("Wen Zhang", "wen.zhang", Team::Data, "editor", 6, Site::Remote("Toronto", "CA")),
    ("Xavier Mendes", "xavier.mendes", Team::Growth, "viewer", 2, Site::NewYork),
    ("Yasmin Khalil", "yasmin.khalil", Team::Finance, "viewer", 2, Site::Berlin),
    ("Zoë Fischer", "zoe.fischer", Team::Platform, "admin", 5, Site::Berlin),
    ("Amara Eze", "amara.eze", Team::Data, "viewer", 3, Site::Remote("London", "GB")),
    ("Ben Carter", "ben.carter", Team::Growth, "admin", 4, Site::NewYork),
    ("Chloé Laurent", "chloe.laurent", Team::Ml, "viewer", 2, Site::Remote("Lyon", "FR")),
    ("Daniel Kim", "daniel.kim", Team::Platform, "editor", 5, Site::NewYork),
    ("Elena Popescu", "elena.popescu", Team::Finance, "editor", 4, Site::Remote("Bucharest", "RO")),
    ("Felix Wagner", "felix.wagner", Team::It, "viewer", 2, Site::Berlin),
    ("Hannah Berg", "hannah.berg", Team::Data, "editor", 5, Site::Berlin),
    ("Ivan Horvat", "ivan.horvat", Team::Platform, "editor", 3, Site::Remote("Zagreb", "HR")),
    ("Priya Sharma", "priya.sharma", Team::Data, "admin", 6, Site::NewYork),
    ("Jonas Weber", "jonas.weber", Team::Contractor, "editor", 4, Site::Remote("Hamburg", "DE")),
    ("Leila Rahimi", "leila.rahimi", Team::Contractor, "viewer", 3, Site::Remote("Vienna", "AT")),
    ("Marco Bianchi", "marco.bianchi", Team::Contractor, "editor", 2, Site::Remote("Turin", "IT")),
    ("Nora Lindqvist", "nora.lindqvist", Team::Contractor, "viewer", 2, Site::Remote("Oslo", "NO")),
    ("Oscar Reyes", "oscar.reyes", Team::Contractor, "viewer", 1, Site::Remote("Mexico City", "MX")),
];

/// A person in the demo company.
#[derive(Debug)]
pub(crate) struct Person {
    pub index: usize,
    pub id: String,
    pub name: &'static str,
    pub email: String,
    pub team: Team,
    pub role: &'static str,
    pub city: &'static str,
    pub country: &'static str,
    pub usual_ip: String,
    pub other_ip: String,
    /// On the self-hosted network (Airbyte runs inside it, as in the seed).
    pub lan_ip: String,
    pub desktop_agent: &'static Agent,
    pub mobile_agent: Option<&'static Agent>,
    weight: u32,
}

impl Person {
    pub fn actor(&self) -> Value {
        json!({"type": "user", "id": self.id, "name": self.name, "email": self.email, "roles": [self.role]})
    }

    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }

    pub fn first_name(&self) -> &'static str {
        self.name.split(' ').next().unwrap_or(self.name)
    }
}

/// An API key, service account or the platform itself.
#[derive(Debug)]
pub(crate) struct Machine {
    pub kind: &'static str,
    pub id: String,
    pub name: &'static str,
    pub ip: String,
    pub user_agent: &'static str,
}

impl Machine {
    fn new(
        kind: &'static str,
        id: String,
        name: &'static str,
        ip: &str,
        user_agent: &'static str,
    ) -> Self {
        Machine {
            kind,
            id,
            name,
            ip: ip.to_string(),
            user_agent,
        }
    }

    pub fn actor(&self) -> Value {
        json!({"type": self.kind, "id": self.id, "name": self.name})
    }
}

/// People picked with a weight, for one system.
#[derive(Debug)]
struct Crowd {
    members: Vec<usize>,
    cumulative: Vec<u32>,
}

impl Crowd {
    fn of(people: &[Person], belongs: impl Fn(&Person) -> bool) -> Self {
        let members: Vec<usize> = people
            .iter()
            .filter(|p| belongs(p))
            .map(|p| p.index)
            .collect();
        let mut total = 0;
        let cumulative = members
            .iter()
            .map(|&i| {
                total += people[i].weight;
                total
            })
            .collect();
        Crowd {
            members,
            cumulative,
        }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        let roll = rng.gen_range(0..*self.cumulative.last().unwrap_or(&1));
        self.members[self.cumulative.partition_point(|&c| c <= roll)]
    }
}

/// Everyone and everything that acts in the demo.
#[derive(Debug)]
pub(crate) struct Cast {
    pub people: Vec<Person>,
    /// Langfuse API keys.
    pub api_keys: Vec<Machine>,
    /// Schedulers and integrations acting under their own accounts.
    pub services: Vec<Machine>,
    crowds: Vec<Crowd>,
    admins: Crowd,
}

impl Cast {
    pub fn new() -> Self {
        let people: Vec<Person> = PEOPLE
            .iter()
            .enumerate()
            .map(|(i, row)| person(i, *row))
            .collect();
        let crowds = System::ALL
            .iter()
            .map(|&s| Crowd::of(&people, |p| p.team.uses(s)))
            .collect();
        let admins = Crowd::of(&people, |p| p.is_admin() && p.team != Team::Contractor);
        let key = |name: &str| format!("pk-lf-{}", stable_uuid(name));
        let api_keys = vec![
            Machine::new(
                "api_key",
                key("prod-backend"),
                "prod-backend",
                "10.20.4.17",
                "langfuse-python/2.57.5",
            ),
            Machine::new(
                "api_key",
                key("ci-evals"),
                "ci-evals",
                "10.30.1.5",
                "langfuse-python/2.57.5",
            ),
            Machine::new(
                "api_key",
                key("support-bot-web"),
                "support-bot-web",
                "10.20.4.31",
                "langfuse-js/3.32.0",
            ),
        ];
        let services = vec![
            Machine::new(
                "service",
                "svc-scheduler".into(),
                "Scheduler",
                "10.10.0.8",
                "acme-scheduler/4.2.0",
            ),
            Machine::new(
                "service",
                "svc-dbt".into(),
                "dbt Cloud",
                "10.10.0.21",
                "dbt/1.8.7",
            ),
            Machine::new(
                "service",
                "svc-airflow".into(),
                "Airflow",
                "10.10.0.34",
                "apache-airflow/2.10.3",
            ),
        ];
        Cast {
            people,
            api_keys,
            services,
            crowds,
            admins,
        }
    }

    pub fn pick(&self, rng: &mut ChaCha8Rng, system: System) -> &Person {
        let crowd = &self.crowds[System::ALL.iter().position(|s| *s == system).unwrap_or(0)];
        &self.people[crowd.pick(rng)]
    }

    pub fn pick_admin(&self, rng: &mut ChaCha8Rng) -> &Person {
        &self.people[self.admins.pick(rng)]
    }

    pub fn by_email(&self, local: &str) -> &Person {
        self.people
            .iter()
            .find(|p| p.email.starts_with(local))
            .unwrap_or(&self.people[0])
    }

    pub fn service(&self, id: &str) -> &Machine {
        self.services
            .iter()
            .find(|m| m.id == id)
            .unwrap_or(&self.services[0])
    }
}

/// Per country, an IPv4 /16 and an IPv6 /32 (its first two hextets) that the geo dataset assigns to it:
/// the middle one of that country's /16-aligned IPv4 blocks and /32-aligned IPv6 blocks.
#[rustfmt::skip] // one country per line reads as a table
const PUBLIC_BLOCKS: [(&str, [u8; 2], [u16; 2]); 16] = [
    ("AT", [141, 244], [0x2a06, 0x8880]),
    ("CA", [141, 117], [0x2606, 0x2580]),
    ("DE", [131, 188], [0x2a09, 0x6b80]),
    ("ES", [92, 56], [0x2a09, 0x33c0]),
    ("FR", [137, 194], [0x2a07, 0x1bc0]),
    ("GB", [137, 105], [0x2a07, 0xf600]),
    ("HR", [89, 164], [0x2a07, 0x6cc3]),
    ("IE", [62, 9], [0x2a05, 0x1dc0]),
    ("IN", [112, 110], [0x2402, 0x45e0]),
    ("IT", [131, 154], [0x2a07, 0x3dc0]),
    ("MX", [170, 169], [0x2806, 0x02c0]),
    ("NO", [144, 127], [0x2a05, 0x3f00]),
    ("PT", [109, 48], [0x2a09, 0x5640]),
    ("RO", [88, 158], [0x2a09, 0x5c40]),
    ("SE", [139, 122], [0x2a05, 0xe840]),
    ("US", [141, 119], [0x2606, 0x6e80]),
];

/// The public IPv4 /16 and IPv6 /32 of a country of the cast.
fn public_block(country: &str) -> ([u8; 2], [u16; 2]) {
    PUBLIC_BLOCKS
        .iter()
        .find(|(cc, _, _)| *cc == country)
        .map(|(_, v4, v6)| (*v4, *v6))
        .unwrap_or_else(|| panic!("no public block for {country}: add one to PUBLIC_BLOCKS"))
}

fn person(index: usize, row: (&'static str, &str, Team, &'static str, u32, Site)) -> Person {
    let (name, local, team, role, weight, site) = row;
    let domain = if team == Team::Contractor {
        "globex.example"
    } else {
        "acme.example"
    };
    let n = index as u16;
    let vpn = format!("10.8.{}.{}", n / 8, 10 + n);
    let (city, country) = match site {
        Site::Berlin => ("Berlin", "DE"),
        Site::NewYork => ("New York", "US"),
        Site::Remote(city, country) => (city, country),
    };
    let ([a, b], [h1, h2]) = public_block(country);
    let usual_ip = match site {
        // The offices share a few NAT addresses each.
        Site::Berlin | Site::NewYork => format!("{a}.{b}.7.{}", 10 + n % 3),
        // Every third remote worker's provider hands out IPv6.
        Site::Remote(..) if index % 3 == 1 => {
            Ipv6Addr::new(h1, h2, 0x4a00 + n, 0x17, 0, 0, 0, 0x100 + n).to_string()
        }
        Site::Remote(..) => format!("{a}.{b}.{}.{}", 40 + n, 100 + n),
    };
    let other_ip = vpn;
    Person {
        index,
        id: stable_uuid(local),
        name,
        email: format!("{local}@{domain}"),
        team,
        role,
        city,
        country,
        usual_ip,
        other_ip,
        lan_ip: format!("192.168.50.{}", 200 + n),
        // Weighted towards the first (Mac Chrome) agent, as in most offices.
        desktop_agent: match index % 3 {
            1 => &DESKTOP_AGENTS[0],
            _ => &DESKTOP_AGENTS[index % DESKTOP_AGENTS.len()],
        },
        // Half of the people also work from a phone or tablet.
        mobile_agent: (index % 2 == 1).then(|| &MOBILE_AGENTS[index / 2 % MOBILE_AGENTS.len()]),
        weight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_shared::enrich::{geo_key, GeoKey};

    /// The ranges of the installed geo dataset, `None` when it is not installed (npm install).
    fn dataset(family: &str) -> Option<Vec<(u128, u128, String)>> {
        let path = format!(
            "{}/../node_modules/@ip-location-db/geo-whois-asn-country/geo-whois-asn-country-{family}-num.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        let csv = std::fs::read_to_string(path).ok()?;
        let row = |line: &str| {
            let mut f = line.split(',');
            Some((
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.to_string(),
            ))
        };
        Some(csv.lines().filter_map(row).collect())
    }

    /// The narrowest range that holds `key` wins, as scripts/geo-to-sql.mjs decides.
    fn country(ranges: &[(u128, u128, String)], key: u128) -> Option<&str> {
        ranges
            .iter()
            .filter(|(start, end, _)| *start <= key && key <= *end)
            .min_by_key(|(start, end, _)| end - start)
            .map(|(_, _, country)| country.as_str())
    }

    #[test]
    fn usual_addresses_resolve_to_the_persons_country_and_vpn_ones_to_none() {
        let (Some(v4), Some(v6)) = (dataset("ipv4"), dataset("ipv6")) else {
            return; // nothing to compare with
        };
        for person in Cast::new().people {
            let found = match geo_key(person.usual_ip.parse().unwrap()) {
                Some(GeoKey::V4(n)) => country(&v4, n.into()),
                Some(GeoKey::V6(n)) => country(&v6, n),
                None => None,
            };
            assert_eq!(found, Some(person.country), "{}", person.usual_ip);
            assert_eq!(geo_key(person.other_ip.parse().unwrap()), None);
        }
    }
}
