"""The STRICT_SKIPS=1 check CI runs with (tests/strict_skips.py): only listed skips pass."""

from __future__ import annotations

from typing import Callable

import pytest

from tests.strict_skips import STRICT_ENV, is_allowed

SKIPPING_MODULE = """
import pytest

def test_runs():
    assert True

def test_skipped():
    pytest.skip("{reason}")
"""

Run = Callable[..., pytest.RunResult]


@pytest.mark.parametrize(
    ("nodeid", "reason", "allowed"),
    [
        (
            "tests/test_nlp.py::test_trained_model_used_when_installed",
            "da_core_news_sm is not installed (it is not on PyPI); offline pipeline tested above",
            True,
        ),
        (
            "tests/test_knowledge_content.py::test_every_figure_is_in_the_cited_document[bpa]",
            "the seed documents live in ../shared, outside a user's clone",
            True,
        ),
        (
            "tests/test_lock_store.py::test_cleanup_keeps_a_lock_someone_waits_for",
            "redis-server is not installed",
            False,
        ),
        # An allowed reason counts only in the module it was allowed for.
        ("tests/test_e2e.py::test_booking", "da_core_news_sm is not installed", False),
        ("tests/test_nlp.py::test_environment_overrides_the_choice", "no model", False),
        ("tests/test_knowledge_content.py", "could not import 'yaml'", False),
    ],
)
def test_only_the_listed_skips_are_allowed(nodeid: str, reason: str, allowed: bool) -> None:
    assert is_allowed(nodeid, reason) is allowed


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Runs pytest with the check on one test module; ``strict`` sets STRICT_SKIPS=1."""
    # The installed plugins (hypothesis, anyio) add seconds per run and nothing to check.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(module: str, source: str, strict: bool = True) -> pytest.RunResult:
        if strict:
            monkeypatch.setenv(STRICT_ENV, "1")
        else:
            monkeypatch.delenv(STRICT_ENV, raising=False)
        pytester.makepyfile(**{module: source})
        return pytester.runpytest("-p", "tests.strict_skips")

    return run


def test_an_unlisted_skip_fails_the_run(run: Run) -> None:
    source = SKIPPING_MODULE.format(reason="redis-server is not installed")
    result = run("tests/test_lock_store", source)
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"*skips not allowed with {STRICT_ENV}=1*",
            "tests/test_lock_store.py::test_skipped: redis-server is not installed",
        ]
    )


def test_an_allowed_skip_passes(run: Run) -> None:
    source = SKIPPING_MODULE.format(reason="da_core_news_sm is not installed")
    result = run("tests/test_nlp", source)
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.no_fnmatch_line("*skips not allowed*")


def test_without_strict_skips_a_skip_passes(run: Run) -> None:
    source = SKIPPING_MODULE.format(reason="redis-server is not installed")
    result = run("tests/test_lock_store", source, strict=False)
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize(
    "source",
    [
        'import pytest\n\n@pytest.mark.skipif(True, reason="no redis")\ndef test_x():\n    pass\n',
        'import pytest\n\npytest.skip("no redis", allow_module_level=True)\n',
        'import pytest\n\ndef test_x():\n    pytest.importorskip("no_redis")\n',
    ],
    ids=["skipif", "module-level", "importorskip"],
)
def test_every_kind_of_skip_is_caught(run: Run, source: str) -> None:
    result = run("test_other", source)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["test_other.py*no*redis*"])


def test_a_failure_is_still_reported_as_a_failure(run: Run) -> None:
    result = run("test_other", "def test_x():\n    assert 1 == 2\n")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.no_fnmatch_line("*skips not allowed*")
