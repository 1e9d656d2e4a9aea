//! Payload validation and the hint serialisations on arbitrary JSON: no panics, and every
//! reported problem has a JSON path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use topgg_int::protocol::payload::validate;
use topgg_int::protocol::signature::JsonForm;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let (_, problems) = validate(&value);
    for p in problems {
        assert!(p.path.starts_with('$'), "{p:?}");
    }
    for form in [JsonForm::Compact, JsonForm::Pretty2, JsonForm::Pretty4, JsonForm::PythonDumps] {
        let out = form.render(&value);
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok(), "{form:?} wrote invalid JSON");
    }
});
