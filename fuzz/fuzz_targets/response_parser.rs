//! Fuzz target: the API response parser. The first two bytes choose the HTTP
//! status, the rest is the body; every typed answer is parsed from it. The
//! parser must never panic (a panic is a crash libFuzzer reports).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcapi::client::interpret_response;
use tcapi::sts::{AssumeRoleResponse, CallerIdentity};
use tcapi::tcss::ImageAuthorizedInfo;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    if let Err(e) = interpret_response::<ImageAuthorizedInfo>(status, body) {
        // Rendering and classifying the error must not panic either.
        let _ = (e.to_string(), e.code(), e.class());
    }
    let _ = interpret_response::<AssumeRoleResponse>(status, body);
    let _ = interpret_response::<CallerIdentity>(status, body);
    let _ = tcapi::error::body_excerpt(body);
});
