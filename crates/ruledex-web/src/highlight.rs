//! A small server-side highlighter for original rule text (YAML, TOML and
//! query languages): keys, strings, comments and numbers get a class. Every
//! piece of text is HTML-escaped here, so the result may be inserted as is.

use ruledex_model::Language;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn span(class: &str, text: &str, out: &mut String) {
    if text.is_empty() {
        return;
    }
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    out.push_str(&escape(text));
    out.push_str("</span>");
}

/// Splits `key: value` / `key = value` lines of a document.
fn key_split(line: &str) -> Option<(&str, &str, &str, &str)> {
    let indent_len = line.len() - line.trim_start_matches([' ', '\t', '-']).len();
    let (indent, rest) = line.split_at(indent_len);
    let key_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || "_.|-\"'[]".contains(*c)))
        .map_or(rest.len(), |(i, _)| i);
    if key_len == 0 {
        return None;
    }
    let (key, after) = rest.split_at(key_len);
    let sep_len = if after.starts_with(':') || after.starts_with(" = ") {
        if after.starts_with(':') { 1 } else { 3 }
    } else {
        return None;
    };
    let (sep, value) = after.split_at(sep_len);
    Some((indent, key, sep, value))
}

fn value(text: &str, out: &mut String) {
    let t = text.trim();
    if t.is_empty() {
        out.push_str(&escape(text));
    } else if t.parse::<f64>().is_ok() || matches!(t, "true" | "false" | "null") {
        span("n", text, out);
    } else {
        span("s", text, out);
    }
}

/// Highlighted HTML for a rule's original text.
pub fn highlight(text: &str, language: Language) -> String {
    let document = matches!(language, Language::Sigma)
        || text.starts_with('[')
        || text
            .lines()
            .take(5)
            .any(|l| l.contains(" = ") || l.ends_with(':'));
    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.starts_with("//") {
            span("c", line, &mut out);
            continue;
        }
        if document {
            if trimmed.starts_with('[') && trimmed.ends_with(']') {
                span("k", line, &mut out);
                continue;
            }
            if let Some((indent, key, sep, rest)) = key_split(line) {
                out.push_str(&escape(indent));
                span("k", key, &mut out);
                out.push_str(&escape(sep));
                // A trailing ` # comment` after a YAML value.
                match rest.find(" #") {
                    Some(pos) => {
                        value(&rest[..pos], &mut out);
                        span("c", &rest[pos..], &mut out);
                    }
                    None => value(rest, &mut out),
                }
                continue;
            }
            if let Some(item) = trimmed.strip_prefix("- ") {
                out.push_str(&escape(&line[..line.len() - trimmed.len()]));
                out.push_str("- ");
                match item.find(" #") {
                    Some(pos) => {
                        value(&item[..pos], &mut out);
                        span("c", &item[pos..], &mut out);
                    }
                    None => value(item, &mut out),
                }
                continue;
            }
        }
        out.push_str(&escape(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped() {
        let out = highlight(
            "title: <script>alert(1)</script>\n# <b>\n- \"><img onerror=x>",
            Language::Sigma,
        );
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
    }

    #[test]
    fn keys_values_and_comments_get_classes() {
        let out = highlight("level: low\n    - '/telnet' # tune\n", Language::Sigma);
        assert!(out.contains("<span class=\"k\">level</span>"), "{out}");
        assert!(out.contains("<span class=\"s\"> low</span>"), "{out}");
        assert!(out.contains("<span class=\"c\"> # tune</span>"), "{out}");
    }
}
