//! Safe markdown for rule text (Elastic investigation guides and setup notes).
//!
//! Rule text is attacker-controlled. Raw HTML in the markdown is shown as text
//! (never passed through), and a link or image whose destination is not
//! `http:`, `https:`, `mailto:`, a relative path or a fragment loses its
//! destination: `javascript:`, `data:`, `vbscript:` and the like become `#`.
//! Images are rendered as links (no remote fetch from the reader's browser).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Whether a link destination may be followed.
pub fn is_safe_url(url: &str) -> bool {
    // Browsers ignore ASCII whitespace and control characters inside a scheme.
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.find(':') {
        None => true,
        Some(colon) => {
            // A colon after the first `/`, `?` or `#` is not a scheme separator.
            if cleaned[..colon].contains(['/', '?', '#']) {
                return true;
            }
            let scheme = &cleaned[..colon];
            matches!(scheme, "http" | "https" | "mailto")
        }
    }
}

/// Markdown → HTML with raw HTML escaped and unsafe link destinations removed.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML is shown as text, escaped by the HTML writer.
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: neutralize(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: neutralize(dest_url),
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

fn neutralize(url: CowStr<'_>) -> CowStr<'_> {
    if is_safe_url(&url) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_escaped() {
        let out = render("hi <script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn html_blocks_are_escaped() {
        let out = render("<div onclick=\"x()\">\n\nbody\n");
        assert!(!out.contains("<div"), "{out}");
    }

    #[test]
    fn script_links_lose_their_destination() {
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](java\tscript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
            "![x](javascript:alert(1))",
            "[x][r]\n\n[r]: javascript:alert(1)",
            "<javascript:alert(1)>",
        ] {
            let out = render(bad).to_lowercase();
            // The text may still read `javascript:…`; no destination may.
            assert!(!out.contains("href=\"javascript"), "{bad} → {out}");
            assert!(!out.contains("href=\"java\tscript"), "{bad} → {out}");
            assert!(!out.contains("href=\"data:"), "{bad} → {out}");
            assert!(!out.contains("href=\"vbscript:"), "{bad} → {out}");
            assert!(!out.contains("src="), "{bad} → {out}");
            assert!(
                !out.contains("<a ") || out.contains("href=\"#\""),
                "{bad} → {out}"
            );
        }
    }

    #[test]
    fn ordinary_links_are_kept() {
        let out = render("[docs](https://example.org/a?b=c) and [rel](/rules/x) and [frag](#top)");
        assert!(out.contains("href=\"https://example.org/a?b=c\""), "{out}");
        assert!(out.contains("href=\"/rules/x\""), "{out}");
        assert!(out.contains("href=\"#top\""), "{out}");
    }

    #[test]
    fn markdown_structure_is_rendered() {
        let out = render("**Triage**\n\n* one\n* two\n");
        assert!(out.contains("<strong>Triage</strong>"));
        assert!(out.contains("<li>one</li>"));
    }
}
