//! The query languages (and schema flavours) a rule can be converted to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A conversion target. Names are stable: the CLI's `--target`, JSON output and URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    /// Kusto over Sentinel ASIM parsers (`imProcessCreate`, `_Im_NetworkSession`, …).
    #[serde(rename = "kusto-asim")]
    KustoAsim,
    /// Kusto over Defender XDR advanced-hunting tables (`DeviceProcessEvents`, …).
    #[serde(rename = "kusto-xdr")]
    KustoXdr,
    /// Kusto over Sentinel's raw `SecurityEvent` table (Windows channels).
    #[serde(rename = "kusto-securityevent")]
    KustoSecurityEvent,
    /// Splunk SPL over raw events.
    #[serde(rename = "spl")]
    Spl,
    /// Splunk SPL `tstats` over the CIM data models.
    #[serde(rename = "spl-cim")]
    SplCim,
    /// Lucene query syntax (Elastic, ECS fields).
    #[serde(rename = "lucene")]
    Lucene,
    /// Kibana query language (Elastic, ECS fields).
    #[serde(rename = "kql")]
    Kql,
    /// Elastic event query language.
    #[serde(rename = "eql")]
    Eql,
    /// Elasticsearch ES|QL.
    #[serde(rename = "esql")]
    Esql,
    /// SQL, SQLite dialect.
    #[serde(rename = "sql-sqlite")]
    SqlSqlite,
    /// SQL, Spark SQL dialect.
    #[serde(rename = "sql-spark")]
    SqlSpark,
    /// Sigma YAML.
    #[serde(rename = "sigma")]
    Sigma,
}

impl Target {
    /// Every target, in display order.
    pub const ALL: [Target; 12] = [
        Target::KustoAsim,
        Target::KustoXdr,
        Target::KustoSecurityEvent,
        Target::Spl,
        Target::SplCim,
        Target::Lucene,
        Target::Kql,
        Target::Eql,
        Target::Esql,
        Target::SqlSqlite,
        Target::SqlSpark,
        Target::Sigma,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::KustoAsim => "kusto-asim",
            Target::KustoXdr => "kusto-xdr",
            Target::KustoSecurityEvent => "kusto-securityevent",
            Target::Spl => "spl",
            Target::SplCim => "spl-cim",
            Target::Lucene => "lucene",
            Target::Kql => "kql",
            Target::Eql => "eql",
            Target::Esql => "esql",
            Target::SqlSqlite => "sql-sqlite",
            Target::SqlSpark => "sql-spark",
            Target::Sigma => "sigma",
        }
    }

    /// A short human title (`Kusto (Sentinel ASIM)`).
    pub fn title(self) -> &'static str {
        match self {
            Target::KustoAsim => "Kusto (Sentinel ASIM)",
            Target::KustoXdr => "Kusto (Defender XDR)",
            Target::KustoSecurityEvent => "Kusto (SecurityEvent)",
            Target::Spl => "Splunk SPL",
            Target::SplCim => "Splunk SPL (CIM tstats)",
            Target::Lucene => "Lucene",
            Target::Kql => "Kibana KQL",
            Target::Eql => "Elastic EQL",
            Target::Esql => "Elastic ES|QL",
            Target::SqlSqlite => "SQL (SQLite)",
            Target::SqlSpark => "SQL (Spark)",
            Target::Sigma => "Sigma",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A target name that is not one of [`Target::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown target `{0}` (expected one of kusto-asim, kusto-xdr, kusto-securityevent, spl, spl-cim, lucene, kql, eql, esql, sql-sqlite, sql-spark, sigma, or all)"
)]
pub struct UnknownTarget(pub String);

impl FromStr for Target {
    type Err = UnknownTarget;

    fn from_str(s: &str) -> Result<Target, UnknownTarget> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownTarget(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Target::ALL {
            assert_eq!(t.as_str().parse::<Target>(), Ok(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
        assert!("splunk".parse::<Target>().is_err());
    }
}
