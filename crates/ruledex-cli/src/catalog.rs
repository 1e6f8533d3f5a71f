//! What the catalog commands share: where the catalog is, and ATT&CK data.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use ruledex_attack::Attack;
use ruledex_catalog::Catalog;

/// The catalog file option.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct CatalogArg {
    /// The catalog file. Default: $RULEDEX_CATALOG, else
    /// ruledex/catalog.db under the user's data directory
    /// ($XDG_DATA_HOME or ~/.local/share on Linux).
    #[arg(long, value_name = "FILE")]
    pub(crate) catalog: Option<PathBuf>,
}

impl CatalogArg {
    /// The path asked for, or the default.
    pub(crate) fn path(&self) -> PathBuf {
        self.catalog
            .clone()
            .unwrap_or_else(ruledex_catalog::default_catalog_path)
    }

    /// Open an existing catalog for reading.
    pub(crate) fn open_existing(&self) -> Result<Catalog> {
        let path = self.path();
        if !path.exists() {
            bail!(
                "no catalog at {}: build one with `ruledex ingest --catalog {} DIR...` or `ruledex sync`",
                path.display(),
                path.display()
            );
        }
        Catalog::open(&path).with_context(|| format!("opening catalog {}", path.display()))
    }
}

/// The ATT&CK data option.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct AttackArg {
    /// ATT&CK data (the compact enterprise-attack.json) to resolve technique
    /// ids and name techniques with. Default: $RULEDEX_ATTACK, else the small
    /// built-in fixture (few techniques have names then).
    #[arg(long, value_name = "FILE", env = "RULEDEX_ATTACK")]
    pub(crate) attack: Option<PathBuf>,
}

impl AttackArg {
    pub(crate) fn load(&self) -> Result<Attack> {
        match &self.attack {
            Some(p) => {
                Attack::load(p).with_context(|| format!("loading ATT&CK data from {}", p.display()))
            }
            None => {
                eprintln!(
                    "note: no ATT&CK data given (--attack FILE or RULEDEX_ATTACK); using the built-in fixture"
                );
                Ok(Attack::fixture())
            }
        }
    }
}

/// Cut `s` to `max` characters, with an ellipsis.
pub(crate) fn cut(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}
