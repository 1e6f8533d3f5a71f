//! Sigma value modifiers: parsing a `field|mod1|mod2` chain and checking that
//! the modifiers can be used together.
//!
//! Each family lives in its own file: [`wildcard`] (Sigma strings, `*`/`?`,
//! `contains`/`startswith`/`endswith`), [`encoding`] (`base64`,
//! `base64offset`, `utf16*`, `wide`), [`windash`]. The remaining modifiers
//! (`re`, `cidr`, `gt`…, `exists`, `fieldref`, `expand`, `cased`, `all`) only
//! choose the operator and are handled where values are lowered.
//!
//! Reference: Sigma specification 2.x, "Value modifiers"
//! (<https://github.com/SigmaHQ/sigma-specification>).

pub(crate) mod encoding;
pub(crate) mod wildcard;
pub(crate) mod windash;

use ruledex_diag::Span;
use ruledex_model::Op;

use crate::error::{Error, ErrorKind};

/// Where a string value must sit inside the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    Contains,
    StartsWith,
    EndsWith,
}

impl Position {
    pub(crate) fn op(self) -> Op {
        match self {
            Position::Contains => Op::Contains,
            Position::StartsWith => Op::StartsWith,
            Position::EndsWith => Op::EndsWith,
        }
    }
}

/// A byte-level transformation applied to string values before matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-16 little endian with a byte-order mark (`utf16`).
    Utf16Bom,
    /// UTF-16 little endian (`utf16le`, `wide`).
    Utf16Le,
    /// UTF-16 big endian (`utf16be`).
    Utf16Be,
    /// Plain base64 (`base64`).
    Base64,
    /// The three base64 encodings of the value at each offset (`base64offset`).
    Base64Offset,
}

/// What the chain asks the value to be compared with, besides string matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Special {
    /// `re`, with its `i`, `m`, `s` flags.
    Regex { i: bool, m: bool, s: bool },
    /// `cidr`.
    Cidr,
    /// `gt`, `gte`, `lt`, `lte`.
    Compare(Op),
    /// `exists`.
    Exists,
    /// `fieldref`.
    FieldRef,
    /// `expand` (`%placeholder%` values).
    Expand,
}

/// A parsed modifier chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Chain {
    pub(crate) position: Option<Position>,
    pub(crate) special: Option<Special>,
    pub(crate) encodings: Vec<Encoding>,
    pub(crate) windash: bool,
    pub(crate) all: bool,
    pub(crate) cased: bool,
    /// `neq`: the field must not equal the value(s).
    pub(crate) neq: bool,
    /// `minute`, `hour`, `day`, `week`, `month`, `year` (Sigma 2.1): compare a
    /// part of a timestamp. Not representable in the model yet.
    pub(crate) time_part: Option<&'static str>,
}

impl Chain {
    /// Parse the modifiers after the field name (`["contains", "all"]`).
    /// `span` is the key's span, used for errors.
    pub(crate) fn parse(names: &[&str], span: Span) -> Result<Chain, Error> {
        let mut chain = Chain::default();
        // The name of the modifier that set each slot, for conflict messages.
        let mut position_by = "";
        let mut special_by = "";
        let mut seen: Vec<&str> = Vec::new();
        let conflict = |first: &str, second: &str| {
            Error::new(
                ErrorKind::ConflictingModifiers {
                    first: first.to_owned(),
                    second: second.to_owned(),
                },
                span,
            )
        };
        for &name in names {
            if seen.contains(&name) {
                return Err(conflict(name, name));
            }
            seen.push(name);
            let position = match name {
                "contains" => Some(Position::Contains),
                "startswith" => Some(Position::StartsWith),
                "endswith" => Some(Position::EndsWith),
                _ => None,
            };
            if let Some(p) = position {
                if chain.position.is_some() {
                    return Err(conflict(position_by, name));
                }
                chain.position = Some(p);
                position_by = name;
                continue;
            }
            let special = match name {
                "re" => Some(Special::Regex {
                    i: false,
                    m: false,
                    s: false,
                }),
                "cidr" => Some(Special::Cidr),
                "gt" => Some(Special::Compare(Op::Gt)),
                "gte" => Some(Special::Compare(Op::Gte)),
                "lt" => Some(Special::Compare(Op::Lt)),
                "lte" => Some(Special::Compare(Op::Lte)),
                "exists" => Some(Special::Exists),
                "fieldref" => Some(Special::FieldRef),
                "expand" => Some(Special::Expand),
                _ => None,
            };
            if let Some(s) = special {
                if chain.special.is_some() {
                    return Err(conflict(special_by, name));
                }
                chain.special = Some(s);
                special_by = name;
                continue;
            }
            match name {
                "i" | "m" | "s" => match &mut chain.special {
                    Some(Special::Regex { i, m, s }) => match name {
                        "i" => *i = true,
                        "m" => *m = true,
                        _ => *s = true,
                    },
                    _ => {
                        return Err(Error::new(
                            ErrorKind::ModifierNeedsAnother {
                                modifier: name.to_owned(),
                                needs: "`re` before it",
                            },
                            span,
                        ));
                    }
                },
                "all" => chain.all = true,
                "neq" => chain.neq = true,
                "minute" | "hour" | "day" | "week" | "month" | "year" => {
                    const PARTS: [&str; 6] = ["minute", "hour", "day", "week", "month", "year"];
                    chain.time_part = PARTS.iter().copied().find(|p| *p == name);
                }
                "cased" => chain.cased = true,
                "windash" => chain.windash = true,
                "base64" | "base64offset" => {
                    if let Some(prev) = chain
                        .encodings
                        .iter()
                        .find(|e| matches!(e, Encoding::Base64 | Encoding::Base64Offset))
                    {
                        let prev = if *prev == Encoding::Base64 {
                            "base64"
                        } else {
                            "base64offset"
                        };
                        return Err(conflict(prev, name));
                    }
                    chain.encodings.push(if name == "base64" {
                        Encoding::Base64
                    } else {
                        Encoding::Base64Offset
                    });
                }
                "utf16" | "utf16le" | "utf16be" | "wide" => {
                    if chain
                        .encodings
                        .iter()
                        .any(|e| matches!(e, Encoding::Base64 | Encoding::Base64Offset))
                    {
                        return Err(conflict("base64", name));
                    }
                    if let Some(prev) = seen[..seen.len() - 1]
                        .iter()
                        .find(|n| matches!(**n, "utf16" | "utf16le" | "utf16be" | "wide"))
                    {
                        return Err(conflict(prev, name));
                    }
                    chain.encodings.push(match name {
                        "utf16" => Encoding::Utf16Bom,
                        "utf16be" => Encoding::Utf16Be,
                        _ => Encoding::Utf16Le,
                    });
                }
                other => {
                    return Err(Error::new(
                        ErrorKind::UnknownModifier {
                            modifier: other.to_owned(),
                        },
                        span,
                    ));
                }
            }
        }
        chain.check(special_by, position_by, span)?;
        Ok(chain)
    }

    /// Cross-slot checks once the whole chain is known.
    fn check(&self, special_by: &str, position_by: &str, span: Span) -> Result<(), Error> {
        let conflict = |first: &str, second: &str| {
            Err(Error::new(
                ErrorKind::ConflictingModifiers {
                    first: first.to_owned(),
                    second: second.to_owned(),
                },
                span,
            ))
        };
        let string_transform = self.windash || !self.encodings.is_empty();
        if self.neq && (self.special.is_some() || self.position.is_some() || string_transform) {
            return conflict("neq", "a modifier other than cased");
        }
        match self.special {
            Some(Special::Regex { .. } | Special::Cidr | Special::Compare(_) | Special::Exists) => {
                if self.position.is_some() {
                    return conflict(special_by, position_by);
                }
                if string_transform {
                    let second = if self.windash {
                        "windash"
                    } else {
                        "base64/utf16"
                    };
                    return conflict(special_by, second);
                }
            }
            Some(Special::FieldRef | Special::Expand) if string_transform => {
                let second = if self.windash {
                    "windash"
                } else {
                    "base64/utf16"
                };
                return conflict(special_by, second);
            }
            _ => {}
        }
        // A UTF-16 encoding gives bytes that are not text: base64 must follow it.
        if let Some(last) = self.encodings.last()
            && matches!(
                last,
                Encoding::Utf16Bom | Encoding::Utf16Le | Encoding::Utf16Be
            )
        {
            let modifier = match last {
                Encoding::Utf16Bom => "utf16",
                Encoding::Utf16Be => "utf16be",
                _ => "utf16le/wide",
            };
            return Err(Error::new(
                ErrorKind::ModifierNeedsAnother {
                    modifier: modifier.to_owned(),
                    needs: "`base64` or `base64offset` after it",
                },
                span,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(names: &[&str]) -> Result<Chain, String> {
        Chain::parse(names, Span::default()).map_err(|e| e.kind.code().to_owned())
    }

    macro_rules! chain_cases {
        ($($name:ident: $mods:expr => $check:expr;)*) => {$(
            #[test]
            fn $name() {
                let mods: &[&str] = &$mods;
                let got = parse(mods);
                let check: fn(Result<Chain, String>) -> bool = $check;
                assert!(check(got.clone()), "{:?} gave {:?}", mods, got);
            }
        )*};
    }

    chain_cases! {
        plain: [] => |c| c == Ok(Chain::default());
        contains_all: ["contains", "all"] => |c| c.is_ok_and(|c| c.all && c.position == Some(Position::Contains));
        re_flags: ["re", "i", "m", "s"] => |c| c.is_ok_and(|c| c.special == Some(Special::Regex { i: true, m: true, s: true }));
        flag_without_re: ["i"] => |c| c == Err("modifier-needs-another".into());
        neq: ["neq"] => |c| c.is_ok_and(|c| c.neq);
        neq_with_contains: ["neq", "contains"] => |c| c == Err("conflicting-modifiers".into());
        time_part: ["hour"] => |c| c.is_ok_and(|c| c.time_part == Some("hour"));
        two_positions: ["contains", "endswith"] => |c| c == Err("conflicting-modifiers".into());
        re_with_contains: ["re", "contains"] => |c| c == Err("conflicting-modifiers".into());
        cidr_with_windash: ["cidr", "windash"] => |c| c == Err("conflicting-modifiers".into());
        wide_base64offset: ["wide", "base64offset", "contains"] => |c| c.is_ok_and(|c| c.encodings == vec![Encoding::Utf16Le, Encoding::Base64Offset]);
        utf16_alone: ["utf16le"] => |c| c == Err("modifier-needs-another".into());
        base64_twice: ["base64", "base64offset"] => |c| c == Err("conflicting-modifiers".into());
        unknown: ["containz"] => |c| c == Err("unknown-modifier".into());
        duplicate: ["contains", "contains"] => |c| c == Err("conflicting-modifiers".into());
        fieldref_endswith: ["fieldref", "endswith"] => |c| c.is_ok_and(|c| c.special == Some(Special::FieldRef) && c.position == Some(Position::EndsWith));
        expand_contains: ["contains", "expand"] => |c| c.is_ok_and(|c| c.special == Some(Special::Expand));
        cased: ["cased", "startswith"] => |c| c.is_ok_and(|c| c.cased);
        gt_and_lt: ["gt", "lt"] => |c| c == Err("conflicting-modifiers".into());
        exists: ["exists"] => |c| c.is_ok_and(|c| c.special == Some(Special::Exists));
    }
}
