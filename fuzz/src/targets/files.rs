//! Files a user writes or edits: the CLI's settings file and mock-idp's TOML fixture.

use entra_auth_cli::settings::Settings;

use super::{Target, hostile_json_seed};
use crate::rng::Rng;
use crate::shapes::{INTERESTING_NUMBERS, INTERESTING_STRINGS, nested};

pub(super) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "cli_settings",
            about: "the entra-auth command's settings file: load, save, load again (equal)",
            seeds: settings_seeds,
            generate: hostile_json_seed,
            run: cli_settings,
        },
        Target {
            name: "mock_idp_fixture",
            about: "mock-idp's TOML fixture: Fixture::from_toml_str, validate, lookups",
            seeds: fixture_seeds,
            generate: fixture_generate,
            run: mock_idp_fixture,
        },
    ]
}

fn settings_seeds() -> Vec<Vec<u8>> {
    vec![
        br#"{
  "client_id": "00001111-aaaa-2222-bbbb-3333cccc4444",
  "authority": "https://localhost:8443/organizations",
  "ca_cert": "/home/alice/.config/mock-idp-ca.pem",
  "username": "alice@contoso.com"
}
"#
        .to_vec(),
        br#"{"client_id":"11112222-bbbb-3333-cccc-4444dddd5555","authority":"https://login.microsoftonline.com/contoso.com","confidential":true}"#.to_vec(),
        b"{}\n".to_vec(),
    ]
}

fn cli_settings(input: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("token_cache.settings.json");
    if std::fs::write(&path, input).is_err() {
        return;
    }
    let Ok(settings) = Settings::load(&path) else {
        return;
    };
    let copy = dir.path().join("copy").join("token_cache.settings.json");
    if let Err(error) = settings.save(&copy) {
        panic!("settings that loaded do not save: {}", error.reason);
    }
    match Settings::load(&copy) {
        Ok(again) => assert_eq!(again, settings, "settings changed on save and load"),
        Err(error) => panic!("saved settings do not load: {}", error.reason),
    }
}

fn fixture_seeds() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../../../mock-idp/fixtures/default.toml").to_vec(),
        br#"[[tenants]]
name = "Solo"
id = "cccccccc-0000-0000-0000-000000000001"
kind = "managed"
domains = ["solo.example"]

[[apps]]
name = "Solo CLI"
client_id = "cccccccc-0000-0000-0000-0000000000a1"
tenant = "cccccccc-0000-0000-0000-000000000001"
public_client_flows = true

[[users]]
username = "bob@solo.example"
password = "pw"
tenant = "cccccccc-0000-0000-0000-000000000001"
"#
        .to_vec(),
    ]
}

/// A fixture with a hostile value, a repeated key or table, or deep nesting.
fn fixture_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = rng.pick(seeds).clone();
    let text = String::from_utf8_lossy(&seed).into_owned();
    let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
    if lines.is_empty() {
        return seed;
    }
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(lines.len());
        match rng.below(6) {
            0 | 1 => {
                // A hostile value for a key.
                if let Some(eq) = lines[at].iter().position(|b| *b == b'=') {
                    let value = toml_value(rng);
                    lines[at].truncate(eq + 1);
                    lines[at].push(b' ');
                    lines[at].extend_from_slice(&value);
                }
            }
            2 => {
                // The same key or table again.
                let copy = lines[at].clone();
                lines.insert(at, copy);
            }
            3 => {
                let depth = crate::shapes::depth(rng);
                let nest = if rng.chance(1, 2) {
                    nested(b"[", b"1", b"]", depth)
                } else {
                    nested(b"{a=", b"1", b"}", depth)
                };
                lines.insert(at, [&b"deep = "[..], &nest].concat());
            }
            4 => {
                let piece = rng.pick(INTERESTING_STRINGS);
                let pos = rng.below(lines[at].len() + 1);
                lines[at].splice(pos..pos, piece.iter().copied());
            }
            _ => {
                let mut line = lines[at].clone();
                crate::mutate::mutate(&mut line, rng, &[]);
                lines[at] = line;
            }
        }
    }
    lines.join(&b'\n')
}

fn toml_value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => rng.pick(INTERESTING_NUMBERS).as_bytes().to_vec(),
        1 => [&b"\""[..], &vec![b'x'; crate::shapes::length(rng)], b"\""].concat(),
        2 => b"\"\xff\xfe\"".to_vec(),
        3 => rng
            .pick(&[
                "nan",
                "inf",
                "-inf",
                "1979-05-27T07:32:00Z",
                "[]",
                "{}",
                "true",
                "\"\"",
            ])
            .as_bytes()
            .to_vec(),
        4 => b"[\"a\", 1, 2.5, true]".to_vec(),
        _ => b"\"\\u0000\\uD800\"".to_vec(),
    }
}

fn mock_idp_fixture(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let Ok(fixture) = mock_idp::Fixture::from_toml_str(&text) else {
        return;
    };
    let _ = fixture.validate();
    for name in [
        "aaaabbbb-0000-cccc-1111-dddd2222eeee",
        "contoso.com",
        "alice@contoso.com",
        "00001111-aaaa-2222-bbbb-3333cccc4444",
        "",
    ] {
        let _ = fixture.tenant(name);
        let _ = fixture.tenant_of_username(name);
        let _ = fixture.app(name);
        let _ = fixture.user(name);
        let _ = fixture.resource(name);
    }
    let _ = fixture.default_resource();
}
