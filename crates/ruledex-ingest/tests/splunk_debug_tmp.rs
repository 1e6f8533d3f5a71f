use ruledex_ingest::ingest_dir;
use ruledex_model::Vendor;

#[test]
fn dump() {
    let dir = ruledex_testkit::shared("corpora/splunk").unwrap();
    let r = ingest_dir(Vendor::Splunk, &dir);
    let want = std::env::var("REASON").unwrap_or_default();
    let mut n = 0;
    for rule in &r.rules {
        for o in rule.logic.expr.opaques() {
            if o.reason.starts_with(&want) && n < 2000 {
                n += 1;
                println!("{} :: {} :: {}", rule.source.path, o.reason, &o.text[..o.text.len().min(200)]);
            }
        }
    }
}
