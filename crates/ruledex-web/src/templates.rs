//! The HTML templates (minijinja, autoescaped), embedded in the binary.

use std::fmt::Write as _;
use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, Error, ErrorKind, Value};
use serde::Serialize;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "macros.html",
    "error.html",
    "feed.html",
    "rule.html",
    "technique.html",
    "platform.html",
    "coverage.html",
    "events.html",
    "event.html",
    "search.html",
);

/// Percent-encodes a query-string component.
fn enc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Percent-encodes a path segment, keeping `/` and `:` (uids and event ids).
fn path(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/:".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // HTML escaping of the five significant characters only: minijinja's
    // default also escapes `/`, which makes paths unreadable in the source.
    env.set_formatter(|out, state, value| {
        if let (AutoEscape::Html, Some(text)) = (state.auto_escape(), value.as_str()) {
            if !value.is_safe() {
                return out
                    .write_str(&crate::highlight::escape(text))
                    .map_err(Error::from);
            }
        }
        minijinja::escape_formatter(out, state, value)
    });
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
    }
    env.add_filter("enc", |v: &str| enc(v));
    env.add_filter("path", |v: &str| path(v));
    env.add_filter("truncate", |v: &str, n: usize| -> String {
        if v.chars().count() <= n {
            v.to_owned()
        } else {
            let mut s: String = v.chars().take(n).collect();
            s.push('…');
            s
        }
    });
    env.add_filter("thousands", |v: Value| -> Result<String, Error> {
        let n = i64::try_from(v)
            .map_err(|_| Error::new(ErrorKind::InvalidOperation, "not a number"))?;
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        Ok(if n < 0 { format!("-{out}") } else { out })
    });
    env
});

/// Renders a template with a serializable context.
pub(crate) fn render<S: Serialize>(name: &str, ctx: &S) -> Result<String, Error> {
    ENV.get_template(name)?.render(ctx)
}

/// Compiles every template (called at start so a broken template fails early).
pub(crate) fn check() -> Result<(), Error> {
    for (name, _) in TEMPLATES {
        ENV.get_template(name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_components() {
        assert_eq!(enc("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(path("sigma:abc/def ghi"), "sigma:abc/def%20ghi");
        assert_eq!(path("\"><x"), "%22%3E%3Cx");
    }

    #[test]
    fn every_template_compiles() {
        check().unwrap();
    }
}
