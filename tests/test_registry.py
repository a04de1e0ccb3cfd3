import json

import pytest
from conftest import run_cli
from plugin_fixtures import broken_plugins, write_distribution

from ssl_domains.errors import UserError
from ssl_domains.plugin.recipe import Recipe
from ssl_domains.plugin.registry import Registry
from ssl_domains.text.domain import TextDomain


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


def test_a_third_party_task_is_found_through_its_entry_point_and_resolves(tmp_path, monkeypatch):
    from plugin_fixtures import write_distribution

    from ssl_domains.tasks import resolve_task, task_class, tasks_help

    root = write_distribution(
        tmp_path,
        "clause-tasks",
        """
        [ssl_domains.tasks]
        clause-effect = clause_entries:CLAUSE_EFFECT
        not-an-entry = clause_entries:Nothing
        """,
        {
            "clause_entries": """
                from ssl_domains.api import TaskEntry

                CLAUSE_EFFECT = TaskEntry(
                    "clause-effect", "text", "clause-effect", "clause_task:ClauseEffect"
                )

                class Nothing:
                    pass
            """,
            "clause_task": """
                from ssl_domains.api import Classification

                class ClauseEffect(Classification):
                    name = "clause-effect"
            """,
        },
    )
    monkeypatch.syspath_prepend(str(root))
    registry = Registry.discover()
    assert registry.plugin("task", "clause-effect").distribution == "clause-tasks"
    reasons = {p.name: p.error for p in registry.broken}
    assert "is not a ssl_domains.tasks.catalog.TaskEntry" in reasons["not-an-entry"]
    assert "clause-effect (text)" in tasks_help(registry)
    assert resolve_task("clause-effect", "text", plugins=registry) == "clause-effect"
    with pytest.raises(UserError, match="for text models, but the source is audio"):
        resolve_task("clause-effect", "audio", plugins=registry)
    cls = task_class("clause-effect", registry)
    assert cls.__name__ == "ClauseEffect" and cls.modality == "text"


def twin_distributions(root):
    """Two distributions that both register a domain called `twin`."""
    for distribution, module in (("alpha-twins", "alpha_twin"), ("beta-twins", "beta_twin")):
        write_distribution(
            root,
            distribution,
            f"""
            [ssl_domains.domains]
            twin = {module}:TwinDomain
            """,
            {
                module: """
                    from ssl_domains import TextDomain

                    class TwinDomain(TextDomain):
                        name = "twin"
                        description = "One of two domains of the same name."
                        default_recipe = "mlm"
                """
            },
        )
    return root


def test_two_distributions_registering_one_name_conflict_and_neither_is_used(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(twin_distributions(tmp_path)))
    registry = Registry.discover()
    twins = [p for p in registry.plugins if p.name == "twin"]
    assert sorted(p.distribution for p in twins) == ["alpha-twins", "beta-twins"]
    assert all(p.conflict and not p.ok for p in twins) and "twin" not in registry.domains
    with pytest.raises(UserError, match="alpha-twins 0.1 and beta-twins 0.1; uninstall one"):
        registry.domain("twin")
    monkeypatch.setenv("SSL_DOMAINS_PLUGINS", "alpha-twins")  # the other one is disabled
    chosen = Registry.discover()
    assert chosen.plugin("domain", "twin").distribution == "alpha-twins" and not chosen.conflicts


def test_cli_lists_a_conflict_and_refuses_the_name_with_one_line_and_exit_2(tmp_path):
    env = {"PYTHONPATH": str(twin_distributions(tmp_path))}
    listed = run_cli("plugins", "list", "--json", env=env)
    rows = [r for r in json.loads(listed.stdout) if r["name"] == "twin"]
    assert [r["status"] for r in rows] == ["conflict", "conflict"]
    assert "also registered by beta-twins 0.1" in rows[0]["reason"]
    table = run_cli("plugins", "list", env=env)
    assert table.returncode == 0 and "conflict: domain 'twin' of alpha-twins" in table.stdout
    shown = run_cli("domains", "show", "twin", env=env)
    assert shown.returncode == 2 and "Traceback" not in shown.output
    (line,) = shown.stderr.strip().splitlines()
    assert "alpha-twins 0.1 and beta-twins 0.1" in line
