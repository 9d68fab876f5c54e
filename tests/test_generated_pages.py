"""The build extension clears cached lesson outputs when widget front-end files change."""

from __future__ import annotations

from types import SimpleNamespace

from sicourse.book import generated_pages


def fake_app(tmp_path):
    (tmp_path / "_build" / "html").mkdir(parents=True)
    (tmp_path / "_build" / ".jupyter_cache").mkdir()
    return SimpleNamespace(outdir=str(tmp_path / "_build" / "html"))


def test_changed_widget_files_clear_the_execution_cache(tmp_path):
    """If the widget JS/CSS changed since the last build, is the cache cleared and all reread?"""
    app = fake_app(tmp_path)
    (tmp_path / "_build" / generated_pages.STAMP).write_text("an older fingerprint")
    generated_pages.clear_stale_widget_outputs(app, SimpleNamespace(nb_execution_cache_path=""))
    assert not (tmp_path / "_build" / ".jupyter_cache").exists()
    env = SimpleNamespace(found_docs={"lessons/01", "book/intro"})
    assert generated_pages.pages_with_old_widgets(app, env, set(), set(), set()) == ["book/intro",
                                                                               "lessons/01"]
    generated_pages.save_fingerprint(app, None)
    stamp = tmp_path / "_build" / generated_pages.STAMP
    assert stamp.read_text() == generated_pages.widgets_fingerprint()


def test_unchanged_widget_files_keep_the_cache(tmp_path):
    """With the same widget files, is the cache kept and nothing forced to rebuild?"""
    app = fake_app(tmp_path)
    (tmp_path / "_build" / generated_pages.STAMP).write_text(generated_pages.widgets_fingerprint())
    generated_pages.clear_stale_widget_outputs(app, SimpleNamespace(nb_execution_cache_path=""))
    assert (tmp_path / "_build" / ".jupyter_cache").exists()
    env = SimpleNamespace(found_docs={"lessons/01"})
    assert generated_pages.pages_with_old_widgets(app, env, set(), set(), set()) == []


def test_a_script_listed_twice_is_written_once():
    """Is an inline script that Sphinx lists twice (sphinx-thebe's) kept only once?"""
    from sphinx.builders.html._assets import _JavaScript

    thebe = _JavaScript(None, body="const THEBE_JS_URL = 'x'")
    other = _JavaScript("a.js")
    again = _JavaScript("", body="const THEBE_JS_URL = 'x'")  # Sphinx's second copy
    context = {"script_files": [other, thebe, again]}
    generated_pages.drop_repeated_scripts(None, "page", "page.html", context, None)
    assert context["script_files"] == [other, thebe]
