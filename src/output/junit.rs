//! JUnit XML, the test-report format GitHub Actions reporters, GitLab and Jenkins all read: one
//! `<testsuites>` holding one `<testsuite>` of `<testcase>`s, each passed, failed (`<failure
//! message=…>`) or skipped (`<skipped message=…/>`), with optional `<system-out>`. Hand-written:
//! the format needs a dozen elements, and escaping is the only subtle part.

use std::io::{self, Write};
use std::time::Duration;

/// A test suite to write.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The suite's name.
    pub name: String,
    /// Total wall time.
    pub time: Duration,
    /// `<property name value/>` pairs (what was tested, with which options).
    pub properties: Vec<(String, String)>,
    /// The test cases, in order.
    pub cases: Vec<Case>,
}

/// One `<testcase>`.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// Its class name: CI tools group by it.
    pub classname: String,
    /// Wall time.
    pub time: Duration,
    /// Passed, failed or skipped.
    pub outcome: CaseOutcome,
    /// Text shown with the case (warnings, facts).
    pub system_out: Option<String>,
}

/// How a case ended.
#[derive(Debug, Clone)]
pub enum CaseOutcome {
    /// Passed.
    Passed,
    /// Failed: `message` is the one-line reason, `kind` the failure type, `text` the body.
    Failed { message: String, kind: String, text: String },
    /// Skipped, with the reason.
    Skipped { message: String },
}

/// Writes `suite` as a complete XML document.
pub fn write(w: &mut dyn Write, suite: &Suite) -> io::Result<()> {
    let tests = suite.cases.len();
    let failures = suite.cases.iter().filter(|c| matches!(c.outcome, CaseOutcome::Failed { .. })).count();
    let skipped = suite.cases.iter().filter(|c| matches!(c.outcome, CaseOutcome::Skipped { .. })).count();
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\"",
        seconds(suite.time)
    );
    let name = escape(&suite.name);
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(w, r#"<testsuites name="{name}" {counts}>"#)?;
    writeln!(w, r#"  <testsuite name="{name}" {counts}>"#)?;
    if !suite.properties.is_empty() {
        writeln!(w, "    <properties>")?;
        for (k, v) in &suite.properties {
            writeln!(w, r#"      <property name="{}" value="{}"/>"#, escape(k), escape(v))?;
        }
        writeln!(w, "    </properties>")?;
    }
    for case in &suite.cases {
        write!(
            w,
            r#"    <testcase name="{}" classname="{}" time="{}""#,
            escape(&case.name),
            escape(&case.classname),
            seconds(case.time)
        )?;
        if matches!(case.outcome, CaseOutcome::Passed) && case.system_out.is_none() {
            writeln!(w, "/>")?;
            continue;
        }
        writeln!(w, ">")?;
        match &case.outcome {
            CaseOutcome::Passed => {}
            CaseOutcome::Failed { message, kind, text } => writeln!(
                w,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(message),
                escape(kind),
                escape(text)
            )?,
            CaseOutcome::Skipped { message } => writeln!(w, r#"      <skipped message="{}"/>"#, escape(message))?,
        }
        if let Some(out) = &case.system_out {
            writeln!(w, "      <system-out>{}</system-out>", escape(out))?;
        }
        writeln!(w, "    </testcase>")?;
    }
    writeln!(w, "  </testsuite>")?;
    writeln!(w, "</testsuites>")
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Escapes text for both attributes and element content. Characters XML 1.0 forbids (most
/// control characters) are replaced, since a receiver's answer can contain anything.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("x\ny\u{1}"), "x&#10;y\u{FFFD}");
    }

    #[test]
    fn counts_and_elements() {
        let case = |name: &str, outcome| Case {
            name: name.into(),
            classname: "c".into(),
            time: Duration::from_millis(5),
            outcome,
            system_out: None,
        };
        let suite = Suite {
            name: "s".into(),
            time: Duration::from_millis(1500),
            properties: vec![("url".into(), "http://x/?a=1&b=2".into())],
            cases: vec![
                case("a", CaseOutcome::Passed),
                case("b", CaseOutcome::Failed { message: "m<".into(), kind: "required".into(), text: "t".into() }),
                case("c", CaseOutcome::Skipped { message: "why".into() }),
            ],
        };
        let mut out = Vec::new();
        write(&mut out, &suite).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains(r#"tests="3" failures="1" errors="0" skipped="1" time="1.500""#), "{xml}");
        assert!(xml.contains(r#"<testcase name="a" classname="c" time="0.005"/>"#), "{xml}");
        assert!(xml.contains(r#"<failure message="m&lt;" type="required">t</failure>"#), "{xml}");
        assert!(xml.contains(r#"<skipped message="why"/>"#), "{xml}");
        assert!(xml.contains("a=1&amp;b=2"), "{xml}");
    }
}
