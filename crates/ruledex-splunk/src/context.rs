//! What a detection's search refers to outside itself: macro definitions
//! (`macros/*.yml`) and lookup descriptors (`lookups/*.yml`) of the
//! security_content repository.
//!
//! A [`Context`] is read once per corpus and shared by every detection.
//! Reading it never fails: a file that does not hold a `name` and a
//! `definition` (or `filename`) is counted in [`Context::skipped`].

use std::collections::HashMap;
use std::path::Path;

use saphyr::{LoadableYamlNode, Scalar, Yaml};

/// A macro definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroDef {
    /// Its name.
    pub name: String,
    /// Argument names, in order (`$field$` in the definition).
    pub args: Vec<String>,
    /// The SPL it stands for.
    pub definition: String,
}

impl MacroDef {
    /// The definition with `$arg$` replaced by the values given.
    pub fn expand(&self, values: &[String]) -> String {
        let mut out = self.definition.clone();
        for (name, value) in self.args.iter().zip(values) {
            out = out.replace(&format!("${name}$"), value);
        }
        out
    }
}

/// A lookup descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupDef {
    /// Its name.
    pub name: String,
    /// The CSV (or KV store collection) behind it.
    pub filename: Option<String>,
    /// `WILDCARD(field)` and similar match types.
    pub match_type: Option<String>,
    /// Whether values compare case-sensitively (Splunk's default is yes).
    pub case_sensitive: bool,
}

/// Macros and lookups known to the searches of a corpus.
#[derive(Clone, Debug, Default)]
pub struct Context {
    macros: HashMap<(String, usize), MacroDef>,
    lookups: HashMap<String, LookupDef>,
    /// Files that could not be read as a macro or lookup.
    pub skipped: Vec<String>,
}

fn get<'d, 'a>(doc: &'d Yaml<'a>, key: &str) -> Option<&'d Yaml<'a>> {
    match doc {
        Yaml::Mapping(m) => m
            .iter()
            .find(|(k, _)| matches!(k, Yaml::Value(Scalar::String(s)) if s == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn string(doc: &Yaml<'_>, key: &str) -> Option<String> {
    match get(doc, key)? {
        Yaml::Value(Scalar::String(s)) => Some(s.to_string()),
        Yaml::Value(Scalar::Integer(i)) => Some(i.to_string()),
        Yaml::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        _ => None,
    }
}

impl Context {
    /// An empty context: every macro is unknown.
    pub fn new() -> Context {
        Context::default()
    }

    /// Read `macros/*.yml` and `lookups/*.yml` under a security_content root.
    pub fn load(root: &Path) -> Context {
        let mut cx = Context::new();
        for (dir, is_macro) in [("macros", true), ("lookups", false)] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
                .collect();
            paths.sort();
            for p in paths {
                let ok = std::fs::read_to_string(&p).ok().is_some_and(|text| {
                    if is_macro {
                        cx.add_macro_yaml(&text)
                    } else {
                        cx.add_lookup_yaml(&text)
                    }
                });
                if !ok {
                    cx.skipped.push(p.display().to_string());
                }
            }
        }
        cx
    }

    /// Add a macro from its YAML; returns whether it had a name and a definition.
    pub fn add_macro_yaml(&mut self, text: &str) -> bool {
        let repaired = crate::yaml_repair::indent_continuations(text);
        let Ok(docs) = Yaml::load_from_str(text).or_else(|e| match &repaired {
            Some(r) => Yaml::load_from_str(&r.text),
            None => Err(e),
        }) else {
            return false;
        };
        let Some(doc) = docs.first() else {
            return false;
        };
        let (Some(name), Some(definition)) = (string(doc, "name"), string(doc, "definition"))
        else {
            return false;
        };
        let args = match get(doc, "arguments") {
            Some(Yaml::Sequence(items)) => items
                .iter()
                .filter_map(|i| match i {
                    Yaml::Value(Scalar::String(s)) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        self.add_macro(MacroDef {
            name,
            args,
            definition,
        });
        true
    }

    /// Add a macro.
    pub fn add_macro(&mut self, def: MacroDef) {
        self.macros.insert((def.name.clone(), def.args.len()), def);
    }

    /// Add a lookup from its YAML; returns whether it had a name.
    pub fn add_lookup_yaml(&mut self, text: &str) -> bool {
        let repaired = crate::yaml_repair::indent_continuations(text);
        let Ok(docs) = Yaml::load_from_str(text).or_else(|e| match &repaired {
            Some(r) => Yaml::load_from_str(&r.text),
            None => Err(e),
        }) else {
            return false;
        };
        let Some(doc) = docs.first() else {
            return false;
        };
        let Some(name) = string(doc, "name") else {
            return false;
        };
        let case_sensitive = string(doc, "case_sensitive_match").is_none_or(|s| s != "false");
        self.lookups.insert(
            name.clone(),
            LookupDef {
                name,
                filename: string(doc, "filename").or_else(|| string(doc, "collection")),
                match_type: string(doc, "match_type"),
                case_sensitive,
            },
        );
        true
    }

    /// The macro called `name` with `arity` arguments.
    pub fn macro_def(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.macros.get(&(name.to_owned(), arity))
    }

    /// The lookup called `name`.
    pub fn lookup(&self, name: &str) -> Option<&LookupDef> {
        self.lookups.get(name)
    }

    /// Every macro, in no particular order.
    pub fn macros(&self) -> impl Iterator<Item = &MacroDef> {
        self.macros.values()
    }

    /// How many macros are known.
    pub fn macro_count(&self) -> usize {
        self.macros.len()
    }

    /// How many lookups are known.
    pub fn lookup_count(&self) -> usize {
        self.lookups.len()
    }
}
