//! `evident-demo-people`: gives a local Evident its demo people, one per role (SPEC 6), and prints how
//! to sign in as each. They are four of the demo cast (`evident_tests::demo`), so the member has
//! events of their own to see. The first run invites them with the admin key, accepts each invite
//! with a fresh random password and keeps the sign-ins in a file beside the local state; later runs
//! only print that file. When the database has people but the file is gone (or the other way round),
//! it says so rather than guessing.

use std::path::PathBuf;
use std::process::ExitCode;

use evident_tests::http;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;

const HELP: &str = "\
evident-demo-people: create the demo people of a local Evident and print their sign-ins

USAGE:
    evident-demo-people --url http://127.0.0.1:8787 --admin-key <KEY> --file <PATH>

The owner, admin, auditor and member are invited with the admin key and accept
with random passwords, written to --file. If the tenant already has people, the
file is printed as it is.";

/// (role, name, e-mail): people of the demo cast.
const PEOPLE: [(&str, &str, &str); 4] = [
    ("owner", "Jamal Washington", "jamal.washington@acme.example"),
    ("admin", "Grace Liu", "grace.liu@acme.example"),
    ("auditor", "Keiko Tanaka", "keiko.tanaka@acme.example"),
    ("member", "Maya Patel", "maya.patel@acme.example"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(url), Some(key), Some(file)) =
        (value("--url"), value("--admin-key"), value("--file"))
    else {
        eprintln!("{HELP}");
        return ExitCode::from(2);
    };
    match run(&url, &key, &PathBuf::from(file)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("evident-demo-people: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(url: &str, key: &str, file: &PathBuf) -> Result<String, String> {
    let people = http::get(&format!("{url}/api/v1/people"), Some(key));
    if people.status != 200 {
        return Err(format!("listing people: {} {}", people.status, people.text));
    }
    let count = people.json["people"].as_array().map_or(0, Vec::len);
    if count > 0 {
        return std::fs::read_to_string(file).map_err(|e| {
            format!(
                "the tenant has {count} people but their sign-ins ({}) cannot be read: {e}",
                file.display()
            )
        });
    }
    let mut text = String::from("    Sign in at /sign-in as (e-mail, password):\n");
    for (role, name, email) in PEOPLE {
        let invite = http::post(
            &format!("{url}/api/v1/invites"),
            Some(key),
            "application/json",
            &json!({"email": email, "role": role}).to_string(),
        );
        if invite.status != 201 {
            return Err(format!(
                "inviting {email}: {} {}",
                invite.status, invite.text
            ));
        }
        let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 20);
        let accept = http::post(
            &format!("{url}/api/v1/invites/accept"),
            None,
            "application/json",
            &json!({"token": invite.json["token"], "name": name, "password": password}).to_string(),
        );
        if accept.status != 201 {
            return Err(format!(
                "accepting {email}: {} {}",
                accept.status, accept.text
            ));
        }
        text.push_str(&format!("      {role:<8} {email:<32} {password}\n"));
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(file, &text).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(text)
}
