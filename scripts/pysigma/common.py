"""Shared by scripts/pysigma-diff and scripts/bench-convert: the pinned
pySigma environment, the rule list, and running both converters."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().parent / "worker.py"

# The versions compared against (issue #6: pySigma 1.5.x is the release that
# installs together with the kusto 1.0.x, splunk 2.1.x and elasticsearch
# 2.1.x backends). Exact pins so that a re-run gives the same report.
PINS = [
    "pySigma==1.5.1",
    "pySigma-backend-kusto==1.0.1",
    "pysigma-backend-splunk==2.1.0",
    "pySigma-backend-elasticsearch==2.1.1",
]

# The targets both converters have, in report order.
TARGETS = ["kusto-asim", "spl", "lucene", "eql", "esql"]


def default_venv():
    return Path(os.environ.get("PYSIGMA_VENV") or ROOT / "target" / "pysigma-venv")


def venv_python(venv):
    return Path(venv) / "bin" / "python"


def ensure_venv(venv, install=True):
    """Create the virtual environment and install the pins unless present."""
    venv = Path(venv)
    py = venv_python(venv)
    if not py.exists():
        if not install:
            sys.exit(f"no virtual environment at {venv} (run without --no-install)")
        print(f"creating virtual environment {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    frozen = subprocess.run(
        [str(py), "-m", "pip", "freeze"], check=True, capture_output=True, text=True
    ).stdout.lower().split()
    missing = [p for p in PINS if p.lower() not in frozen]
    if missing:
        if not install:
            sys.exit(f"{venv} lacks {', '.join(missing)} (run without --no-install)")
        print(f"installing {' '.join(PINS)}", file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *PINS], check=True)
    return py


def pysigma_versions(py):
    frozen = subprocess.run(
        [str(py), "-m", "pip", "freeze"], check=True, capture_output=True, text=True
    ).stdout.split()
    keep = ("pysigma", "pyyaml", "pyparsing")
    return sorted(line for line in frozen if line.lower().startswith(keep))


def rule_files(rules_dir):
    rules_dir = Path(rules_dir)
    files = sorted(str(p) for p in rules_dir.rglob("*.yml"))
    if not files:
        sys.exit(f"no *.yml files under {rules_dir}")
    return files


def rel(path, rules_dir):
    """A rule's path relative to the rules directory: the join key."""
    return os.path.relpath(os.path.realpath(path), os.path.realpath(rules_dir))


def ruledex_command(binary):
    """The command that runs ruledex: a given binary or the release build."""
    if binary:
        return [binary]
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "ruledex-cli"], cwd=ROOT, check=True
    )
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    return [str(target_dir / "release" / "ruledex")]


def read_ruledex_jsonl(lines, rules_dir):
    """Rows of `ruledex convert --json` by (relative path, target); the summary apart."""
    rows, summary = {}, None
    for line in lines:
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        if "summary" in obj:
            summary = obj["summary"]
            continue
        key = (rel(obj["path"], rules_dir), obj["target"])
        rows.setdefault(key, []).append(obj)
    return rows, summary
