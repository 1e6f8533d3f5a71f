//! Fetching the public rule repositories as branch tarballs over HTTPS.
//!
//! [`fetch`] downloads one [`Remote`]'s archive, streams it through gzip and
//! tar, and unpacks the files into a directory, reporting progress as it
//! goes. Archives are untrusted input: entries with absolute paths, `..`,
//! links or devices are skipped, and an entry or archive over the size limits
//! is rejected. A network failure is [`Error::Unreachable`] with the URL and
//! the reason; nothing is written to the catalog until every source has been
//! fetched and read.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use ruledex_model::Vendor;

use crate::error::{Error, Result};
use crate::store::SourceMeta;
use crate::util::now_rfc3339;

/// The host the default repositories are fetched from; override with
/// `RULEDEX_SYNC_BASE_URL` (used by tests to point at a closed port).
pub const DEFAULT_BASE_URL: &str = "https://github.com";

/// Largest file accepted from an archive.
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;

/// Largest archive accepted, unpacked.
pub const MAX_ARCHIVE_BYTES: u64 = 4 << 30;

/// A public rule repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remote {
    /// `owner/name`.
    pub repo: &'static str,
    /// Branch fetched.
    pub branch: &'static str,
    /// Vendor of its rules.
    pub vendor: Vendor,
}

/// The repositories `ruledex sync` fetches by default.
pub const DEFAULT_REMOTES: [Remote; 5] = [
    Remote {
        repo: "SigmaHQ/sigma",
        branch: "master",
        vendor: Vendor::Sigma,
    },
    Remote {
        repo: "elastic/detection-rules",
        branch: "main",
        vendor: Vendor::Elastic,
    },
    Remote {
        repo: "splunk/security_content",
        branch: "develop",
        vendor: Vendor::Splunk,
    },
    Remote {
        repo: "Azure/Azure-Sentinel",
        branch: "master",
        vendor: Vendor::Sentinel,
    },
    Remote {
        repo: "panther-labs/panther-analysis",
        branch: "develop",
        vendor: Vendor::Panther,
    },
];

impl Remote {
    /// The archive's URL under `base` (`https://github.com`).
    pub fn archive_url(&self, base: &str) -> String {
        format!(
            "{}/{}/archive/refs/heads/{}.tar.gz",
            base.trim_end_matches('/'),
            self.repo,
            self.branch
        )
    }

    /// The prefix a rule's path completes into a link to the original file.
    pub fn link_base(&self) -> String {
        format!("https://github.com/{}/blob/{}/", self.repo, self.branch)
    }
}

/// The base URL to fetch from: `RULEDEX_SYNC_BASE_URL`, else [`DEFAULT_BASE_URL`].
pub fn base_url() -> String {
    std::env::var("RULEDEX_SYNC_BASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
}

/// A fetched and unpacked repository.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// Where its files are.
    pub dir: PathBuf,
    /// Its metadata for the catalog (location = the archive URL).
    pub meta: SourceMeta,
    /// Files written.
    pub files: usize,
    /// Entries skipped (links, devices, unsafe paths).
    pub skipped: usize,
}

/// Download `remote` from `base` and unpack it into `dest` (created; its
/// previous content is removed). `progress(bytes_so_far, total)` is called as
/// bytes arrive; `total` is the `Content-Length` when the server sends one.
pub fn fetch(
    remote: &Remote,
    base: &str,
    dest: &Path,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Fetched> {
    let url = remote.archive_url(base);
    let retrieved_at = now_rfc3339();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_recv_body(Some(Duration::from_secs(120)))
        .user_agent(concat!("ruledex/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let response = agent.get(&url).call().map_err(|e| Error::Unreachable {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = response
        .into_body()
        .into_with_config()
        .limit(MAX_ARCHIVE_BYTES)
        .reader();
    let reader = Progress {
        inner: body,
        seen: 0,
        total,
        report: progress,
    };
    let (files, skipped, commit) = unpack(reader, dest).map_err(|reason| Error::Archive {
        url: url.clone(),
        reason,
    })?;
    Ok(Fetched {
        dir: dest.to_owned(),
        meta: SourceMeta {
            location: url,
            name: remote.repo.to_owned(),
            vendor: remote.vendor,
            repo: Some(remote.repo.to_owned()),
            commit,
            etag,
            link_base: Some(remote.link_base()),
            retrieved_at,
        },
        files,
        skipped,
    })
}

/// A reader that reports how many bytes went through it.
struct Progress<'p, R> {
    inner: R,
    seen: u64,
    total: Option<u64>,
    report: &'p mut dyn FnMut(u64, Option<u64>),
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        (self.report)(self.seen, self.total);
        Ok(n)
    }
}

/// Unpack a gzip'd tarball into `dest`, dropping its top-level folder.
/// Returns (files written, entries skipped, commit from the pax header).
pub fn unpack(reader: impl Read, dest: &Path) -> Result<(usize, usize, Option<String>), String> {
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let (mut files, mut skipped, mut commit, mut written) = (0usize, 0usize, None, 0u64);
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            // GitHub writes the commit id as the global header's comment.
            if let Ok(Some(exts)) = entry.pax_extensions() {
                for ext in exts.flatten() {
                    if ext.key() == Ok("comment")
                        && let Ok(v) = ext.value()
                    {
                        commit = Some(v.trim().to_owned());
                    }
                }
            }
            continue;
        }
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            skipped += 1;
            continue;
        }
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let Some(rel) = safe_relative(&path) else {
            skipped += 1;
            continue;
        };
        let size = entry.header().size().map_err(|e| e.to_string())?;
        if size > MAX_ENTRY_BYTES {
            return Err(format!(
                "{} is {size} bytes, over the {MAX_ENTRY_BYTES}-byte limit",
                path.display()
            ));
        }
        written += size;
        if written > MAX_ARCHIVE_BYTES {
            return Err(format!("archive unpacks to over {MAX_ARCHIVE_BYTES} bytes"));
        }
        let out = dest.join(rel);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let mut f = std::fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        io::copy(&mut (&mut entry).take(MAX_ENTRY_BYTES), &mut f)
            .map_err(|e| format!("{}: {e}", out.display()))?;
        files += 1;
    }
    Ok((files, skipped, commit))
}

/// The entry's path without its top-level folder, if it is a plain relative
/// path (no root, no `..`).
fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for (i, c) in path.components().enumerate() {
        match c {
            Component::Normal(p) if i > 0 => out.push(p),
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert_eq!(
            safe_relative(Path::new("repo-main/rules/a.yml")),
            Some(PathBuf::from("rules/a.yml"))
        );
        assert_eq!(safe_relative(Path::new("repo-main/../../etc/passwd")), None);
        assert_eq!(safe_relative(Path::new("/etc/passwd")), None);
        assert_eq!(safe_relative(Path::new("repo-main")), None);
    }

    fn tarball(entries: &[(&str, &[u8])], link: bool) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        {
            let mut b = tar::Builder::new(&mut gz);
            for (path, data) in entries {
                let mut h = tar::Header::new_gnu();
                h.set_size(data.len() as u64);
                h.set_mode(0o644);
                h.set_cksum();
                b.append_data(&mut h, path, *data).unwrap();
            }
            if link {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, "repo-main/evil", "/etc/passwd")
                    .unwrap();
            }
            b.finish().unwrap();
        }
        gz.finish().unwrap()
    }

    #[test]
    fn unpack_strips_the_top_folder_and_skips_links() {
        let dir = std::env::temp_dir().join(format!("ruledex-unpack-{}", std::process::id()));
        let data = tarball(&[("repo-main/rules/a.yml", b"title: a\n")], true);
        let (files, skipped, _) = unpack(&data[..], &dir).unwrap();
        assert_eq!((files, skipped), (1, 1));
        assert_eq!(
            std::fs::read_to_string(dir.join("rules/a.yml")).unwrap(),
            "title: a\n"
        );
        assert!(!dir.join("evil").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn closed_port_is_unreachable() {
        // Port 9 (discard) on loopback: nothing listens in a test environment.
        let remote = DEFAULT_REMOTES[0];
        let dir = std::env::temp_dir().join(format!("ruledex-fetch-{}", std::process::id()));
        let err = fetch(&remote, "http://127.0.0.1:9", &dir, &mut |_, _| {}).unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("cannot reach http://127.0.0.1:9/SigmaHQ/sigma"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
