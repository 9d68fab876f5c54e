"""The GitHub workflows are valid, publish the book on Pages and test pull requests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

CHECK = [str(Path(sys.executable).parent / "check-jsonschema"),
         "--builtin-schema", "vendor.github-workflows"]


def workflows(repo) -> dict[str, dict]:
    folder = repo / ".github" / "workflows"
    return {p.name: yaml.safe_load(p.read_text()) for p in folder.glob("*.yml")}


def test_workflows_match_githubs_schema(repo):
    """Does every workflow file validate against GitHub's published workflow schema?"""
    files = sorted(str(p) for p in (repo / ".github" / "workflows").glob("*.yml"))
    assert len(files) == 2
    result = subprocess.run(CHECK + files, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    """Would a workflow with a job missing `runs-on` and a bad trigger fail the check?"""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: {pushh: {}}\njobs:\n  build:\n    steps:\n      - run: make book\n")
    result = subprocess.run(CHECK + [str(bad)], capture_output=True, text=True)
    assert result.returncode != 0


def steps(job: dict) -> list[str]:
    return [s.get("uses", s.get("run", "")) for s in job["steps"]]


def test_push_to_main_builds_and_deploys_to_pages(repo):
    """Does a push to main run `make book` and deploy with the official Pages actions, cached?"""
    flow = workflows(repo)["publish.yml"]
    assert flow[True]["push"]["branches"] == ["main"]  # YAML reads the key `on` as True
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    used = steps(build)
    assert "make book" in used
    assert any(u.startswith("actions/upload-pages-artifact@") for u in used)
    assert any(u.startswith("actions/cache@") for u in used)  # the execution cache
    assert any(s.get("with", {}).get("cache") == "pip" for s in build["steps"])
    assert any(u.startswith("actions/deploy-pages@") for u in steps(deploy))
    assert flow["permissions"]["pages"] == "write" and flow["permissions"]["id-token"] == "write"


def test_pull_requests_run_the_test_suite(repo):
    """Does a pull request run .ci/run, that is `make test` after installing system packages?"""
    flow = workflows(repo)["test.yml"]
    assert "pull_request" in flow[True]
    assert "bash .ci/run" in steps(flow["jobs"]["test"])
    script = (repo / ".ci" / "run").read_text()
    commands = [line.split("#")[0].strip() for line in script.splitlines()]
    commands = [c for c in commands if c]
    assert "set -euo pipefail" in commands  # a failing install stops the run
    assert commands[-1] == "make test"  # the README's command, last: its status is the run's
