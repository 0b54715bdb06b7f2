"""The CI recipes in docs/ci/ run as written: every ``run:``/``script:`` command, in order, on the sample.

The commands are taken from the YAML files themselves, not copied here. coursepack is the one
installed from this worktree; what needs the outside world is a stub on PATH that records its
arguments and checks them: ``python -m pip install coursepack`` (already installed), ``gh release
create`` (GitHub) and ``curl`` (GitLab's package registry and release API).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "ci"

STUBS = {
    "python": """#!/bin/sh
echo "python $*" >> "$STUB_LOG"
[ "$*" = "-m pip install coursepack" ] || { echo "unexpected python $*" >&2; exit 9; }
""",
    "gh": """#!/bin/sh
printf 'gh' >> "$STUB_LOG"; for a in "$@"; do printf ' [%s]' "$a" >> "$STUB_LOG"; done; echo >> "$STUB_LOG"
for a in "$@"; do case "$a" in dist/*) [ -f "$a" ] || { echo "no such asset $a" >&2; exit 9; };; esac; done
""",
    "curl": """#!/bin/sh
printf 'curl' >> "$STUB_LOG"; for a in "$@"; do printf ' [%s]' "$a" >> "$STUB_LOG"; done; echo >> "$STUB_LOG"
""",
}


def github_commands() -> list[str]:
    workflow = yaml.safe_load((DOCS / "github-workflow.yml").read_text())
    (job,) = workflow["jobs"].values()
    return [step["run"] for step in job["steps"] if "run" in step]


def gitlab_commands() -> list[str]:
    pipeline = yaml.safe_load((DOCS / "gitlab-ci.yml").read_text())
    jobs = [job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job]
    order = pipeline["stages"]
    jobs.sort(key=lambda job: order.index(job["stage"]))
    return [line for job in jobs for line in job["script"]]


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A course repository (the sample as course_src/) and an environment with the stubs first on PATH."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "course_src", work / "course_src")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    (bin_dir / "coursepack").symlink_to(Path(sys.executable).parent / "coursepack")
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STUB_LOG": str(tmp_path / "calls.log"),
        "SOURCE_DATE_EPOCH": "1767225600",
        # what the CI systems set on a tag pipeline
        "GITHUB_REF_NAME": "v1.0",
        "GH_TOKEN": "token",
        "CI_COMMIT_TAG": "v1.0",
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_JOB_TOKEN": "job-token",
    }
    return work, env


def _run_all(commands: list[str], work: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    done = []
    for command in commands:
        # GitHub and GitLab run each command with bash -e (GitHub: --noprofile --norc -eo pipefail)
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
            cwd=work, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, f"{command!r} failed:\n{proc.stdout}\n{proc.stderr}"
        done.append(proc)
    return done


@pytest.mark.slow
def test_github_workflow_commands_check_build_and_release(repo: tuple[Path, dict[str, str]]) -> None:
    work, env = repo
    commands = github_commands()
    assert any("--format github" in c for c in commands)
    runs = _run_all(commands, work, env)
    check = runs[next(i for i, c in enumerate(commands) if "coursepack check" in c)]
    annotations = check.stdout.splitlines()
    assert annotations
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations)
    dist = sorted(p.name for p in (work / "dist").iterdir())
    assert not [n for n in dist if n.startswith(".")], "no build cache among the published files"
    assert any(n.endswith(".olx.tar.gz") for n in dist) and any(n.endswith(".coverage.html") for n in dist)
    (gh,) = [line for line in Path(env["STUB_LOG"]).read_text().splitlines() if line.startswith("gh ")]
    assert gh.startswith("gh [release] [create] [v1.0] ")
    assert all(f"[dist/{name}]" in gh for name in dist)


@pytest.mark.slow
def test_gitlab_ci_commands_check_build_and_release(repo: tuple[Path, dict[str, str]]) -> None:
    work, env = repo
    _run_all(gitlab_commands(), work, env)
    findings = json.loads((work / "coursepack-findings.json").read_text())
    assert {f["severity"] for f in findings} <= {"note", "warning"}
    dist = sorted(p.name for p in (work / "dist").iterdir())
    assert not [n for n in dist if n.startswith(".")], "no build cache among the published files"
    calls = [c for c in Path(env["STUB_LOG"]).read_text().splitlines() if c.startswith("curl ")]
    base = "https://gitlab.example/api/v4/projects/42"
    uploads = [c for c in calls if "[--upload-file]" in c]
    assert len(uploads) == len(dist)
    for name in dist:
        url = f"[{base}/packages/generic/course/v1.0/{name}]"
        assert any(f"[dist/{name}]" in c and url in c for c in uploads)
    (release,) = [c for c in calls if "[--data]" in c]
    assert release.endswith(f"[{base}/releases]") and "[JOB-TOKEN: job-token]" in release
    data = json.loads(release.split("[--data] [", 1)[1].split("] [", 1)[0])
    assert data["tag_name"] == "v1.0"
    assert [link["name"] for link in data["assets"]["links"]] == dist


def test_recipes_are_shipped_as_docs() -> None:
    assert os.path.isfile(DOCS / "github-workflow.yml") and os.path.isfile(DOCS / "gitlab-ci.yml")
    assert github_commands()[0] == "python -m pip install coursepack"
    assert gitlab_commands()[0] == "python -m pip install coursepack"
