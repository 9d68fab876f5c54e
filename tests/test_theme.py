"""The reader's buttons: repository, issues, edit, downloads, and launching pages on Binder
or a JupyterHub; and the binder/ folder those launches run from."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from sicourse.book import generated_pages

LESSON = "lessons/01-what-is-social-innovation"
EXERCISE = "book/generated/assignments/01-concepts/concepts-and-definitions"
HUB = "https://hub.example.edu"


@pytest.fixture(scope="module")
def repository(repo) -> str:
    return yaml.safe_load((repo / "_config.yml").read_text())["repository"]["url"].rstrip("/")


def links(html_file) -> list[str]:
    """Every href on a built page, unescaped."""
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html_file.read_text("utf-8"))]


def test_lesson_page_has_every_reader_button(built_book, repository):
    """Does a lesson link to the repository, its issues, its source to edit, its .md and
    .ipynb downloads and Binder, opening the lesson in JupyterLab?"""
    hrefs = links(built_book / f"{LESSON}.html")
    assert repository in hrefs
    assert any(h.startswith(f"{repository}/issues/new?") for h in hrefs)
    assert f"{repository}/edit/main/{LESSON}.md" in hrefs
    for suffix in (".md", ".ipynb"):
        download = f"../_sources/{LESSON}{suffix}"
        assert download in hrefs
        assert (built_book / "_sources" / f"{LESSON}{suffix}").is_file()
    binder = f"https://mybinder.org/v2/gh/{urlsplit(repository).path.strip('/')}/main"
    assert f"{binder}?urlpath=lab/tree/{LESSON}.md" in hrefs


def test_exercise_page_launches_its_student_version_and_never_links_the_key(
        built_book, repository):
    """Does an exercise page offer its notebook and a Binder launch of the student version,
    with a "suggest edit" that opens an issue instead of pointing at the answer key?"""
    hrefs = links(built_book / f"{EXERCISE}.html")
    assert f"../../../../_sources/{EXERCISE}.ipynb" in hrefs
    assert any(h.startswith("https://mybinder.org/") and h.endswith(f"lab/tree/{EXERCISE}.ipynb")
               for h in hrefs)
    assert any(h.startswith(f"{repository}/issues/new?title=Suggested%20edit") for h in hrefs)
    assert not [h for h in hrefs if "/edit/" in h]


def test_no_page_links_to_the_answer_key_or_a_generated_file_in_the_repository(
        built_book, repository):
    """Does no button send a reader to exercises/ (the key) or to book/generated/, which is
    not in the repository?"""
    bad = {
        f"{page.relative_to(built_book)}: {h}"
        for page in built_book.rglob("*.html")
        for h in links(page)
        if h.startswith(repository) and ("/exercises/" in h
                                          or re.search(r"/(edit|blob|tree)/[^?]*generated", h))
    }
    assert bad == set()


def test_glossary_edit_link_opens_the_glossary_data(built_book, repository):
    """Does the generated glossary page's edit link open book/glossary/, its real source?"""
    assert f"{repository}/tree/main/book/glossary" in links(
        built_book / "book/generated/glossary.html")


def test_jupyterhub_url_comes_from_the_environment(monkeypatch):
    """Does SICOURSE_JUPYTERHUB_URL set the hub of the launch buttons, and its absence keep
    the configured value?"""
    config = SimpleNamespace(html_theme_options={"launch_buttons": {"jupyterhub_url": ""}})
    monkeypatch.delenv("SICOURSE_JUPYTERHUB_URL", raising=False)
    generated_pages.jupyterhub_from_environment(None, config)
    assert config.html_theme_options["launch_buttons"]["jupyterhub_url"] == ""
    monkeypatch.setenv("SICOURSE_JUPYTERHUB_URL", f" {HUB} ")
    generated_pages.jupyterhub_from_environment(None, config)
    assert config.html_theme_options["launch_buttons"]["jupyterhub_url"] == HUB


def test_default_build_has_no_jupyterhub_button(built_book):
    """Without a hub URL, is there no JupyterHub button (a link to nowhere)?"""
    assert not [h for h in links(built_book / f"{LESSON}.html") if "git-pull" in h]


def test_build_with_a_hub_url_gets_a_jupyterhub_button(built_book, repo, repository, tmp_path,
                                                        share_execution_cache):
    """Does a build with SICOURSE_JUPYTERHUB_URL set give lessons a JupyterHub button that
    pulls the repository and opens the lesson in JupyterLab?

    The build is a rebuild of a copy of the session's build, with the session's execution
    cache, so only pages are rewritten.
    """
    shutil.copytree(built_book.parents[1], tmp_path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".jupyter_cache"))
    share_execution_cache(tmp_path / "_build")
    result = subprocess.run(
        [sys.executable, "-m", "sicourse.cli", "build", "--root", str(repo),
         "--output", str(tmp_path)],
        capture_output=True, text=True, cwd=repo,
        env={**os.environ, "SICOURSE_JUPYTERHUB_URL": HUB},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    hub = [h for h in links(tmp_path / "_build" / "html" / f"{LESSON}.html")
           if h.startswith(f"{HUB}/hub/user-redirect/git-pull?")]
    assert len(hub) == 1
    query = parse_qs(urlsplit(hub[0]).query)
    name = urlsplit(repository).path.rsplit("/", 1)[-1]
    assert query == {"repo": [repository], "branch": ["main"],
                     "urlpath": [f"lab/tree/{name}/{LESSON}.md"]}


def test_publish_workflow_passes_the_hub_url(repo):
    """Does the publish workflow build with the repository variable JUPYTERHUB_URL?"""
    flow = yaml.safe_load((repo / ".github" / "workflows" / "publish.yml").read_text())
    step = next(s for s in flow["jobs"]["build"]["steps"] if s.get("run") == "make book")
    assert step["env"]["SICOURSE_JUPYTERHUB_URL"] == "${{ vars.JUPYTERHUB_URL }}"


def test_binder_folder_installs_the_course(repo):
    """Does binder/ give repo2docker Python 3.11, jupytext, the course package and the
    student versions of the exercises that exercise pages launch?"""
    binder = repo / "binder"
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"
    requirements = (binder / "requirements.txt").read_text()
    assert re.search(r"^jupytext\b", requirements, re.M)
    post_build = binder / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only if executable"
    script = post_build.read_text()
    assert "pip install --no-cache-dir -e ." in script
    assert "student_versions.generate" in script and "book/generated/assignments" in script
    assert subprocess.run(["bash", "-n", str(post_build)]).returncode == 0


def test_binder_student_versions_step_writes_every_exercise_in_the_toc(repo, tmp_path):
    """Does postBuild's Python step write the notebook of every exercise page in the TOC?"""
    script = (repo / "binder" / "postBuild").read_text()
    python = script.split("python - <<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    shutil.copytree(repo / "exercises", tmp_path / "exercises")
    subprocess.run([sys.executable, "-c", python], cwd=tmp_path, check=True,
                   capture_output=True)
    toc = (repo / "_toc.yml").read_text()
    pages = re.findall(r"file: (book/generated/assignments/\S+)", toc)
    assert pages
    for page in pages:
        assert (tmp_path / f"{page}.ipynb").is_file(), page


def test_every_assignment_page_links_to_its_notebook_in_the_text(built_book, repo):
    """Does each assignment page say, under its title, where to download its notebook, and
    does that link give the student version (no solution)?"""
    sources = sorted((repo / "exercises").glob("*/*.ipynb"))
    assert sources
    for source in sources:
        page = built_book / "book/generated/assignments" / source.parent.name / \
            f"{source.stem}.html"
        text = page.read_text("utf-8")
        found = re.search(r'<p class="sic-download"><a href="([^"]+)" download="([^"]+)">', text)
        assert found, page
        assert text.index("</h1>") < found.start()
        target = (page.parent / unescape(found.group(1))).resolve()
        assert found.group(2) == source.name and target.is_file(), target
        assert "### BEGIN SOLUTION" not in target.read_text("utf-8")
        assert "NotImplementedError" in target.read_text("utf-8")
