import pytest
from conftest import run_cli
from plugin_fixtures import broken_plugins

from ssl_domains.domain import TextDomain
from ssl_domains.errors import UserError
from ssl_domains.recipe import Recipe
from ssl_domains.registry import Registry


def test_first_party_plugins_are_found_through_entry_points():
    registry = Registry.discover()
    finance = registry.plugin("domain", "finance")
    assert finance.distribution == "ssl-domains" and finance.origin == "first-party"
    assert issubclass(registry.domain("finance"), TextDomain)
    assert issubclass(registry.recipe("mlm"), Recipe)


def test_broken_plugins_are_reported_with_reasons_and_skipped(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(broken_plugins(tmp_path)))
    registry = Registry.discover()
    reasons = {p.name: p.error for p in registry.broken}
    assert "boom at import" in reasons["exploding"]
    assert "plugin API 0" in reasons["ancient"] and "supports API 1" in reasons["ancient"]
    assert "not a subclass" in reasons["notadomain"]
    assert "finance" in registry.domains  # the working plugins still load
    with pytest.raises(UserError, match="installed but broken"):
        registry.domain("exploding")


def test_unknown_domain_suggests_the_closest_name():
    with pytest.raises(UserError, match="did you mean 'finance'"):
        Registry.discover().domain("fiance")


def test_cli_lists_broken_plugins_and_keeps_working(tmp_path):
    path = broken_plugins(tmp_path)
    result = run_cli("domains", "list", env={"PYTHONPATH": str(path)})
    assert result.returncode == 0, result.output
    assert "finance" in result.stdout
    assert "exploding" in result.stdout and "boom at import" in result.stdout
    assert "Traceback" not in result.output
