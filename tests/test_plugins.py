"""Third-party plugins: scaffold, install, list, run, uninstall; trust and control."""

import importlib
import json
import subprocess
import sys

import pytest
from conftest import run_cli
from plugin_fixtures import broken_plugins, write_distribution

from ssl_domains.data.corpus_files import find_files
from ssl_domains.data.prepare_corpus import prepare_corpus
from ssl_domains.data.records import ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.plugin.registry import Registry, _check
from ssl_domains.scaffold import new_plugin


def pip(*args):
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize("modality", ["text", "audio", "image", "image-text"])
def test_a_scaffolded_adapter_fits_the_api_and_reads_its_sample(tmp_path, monkeypatch, modality):
    name = f"demo_{modality.replace('-', '_')}"
    root = new_plugin(name, modality, tmp_path)
    monkeypatch.syspath_prepend(str(root / "src"))
    module = importlib.import_module(f"ssl_domains_{name}")
    class_name = "Demo" + modality.replace("-", " ").title().replace(" ", "") + "Domain"
    cls = getattr(module, class_name)
    assert _check("domain", name, cls) is None
    files = find_files(cls().sample_corpus())
    report = prepare_corpus(cls(), files, tmp_path / "out", ReadOptions(), 0.2)
    assert report.kept > 10 and not report.skipped_files
    assert (root / "README.md").is_file() and (root / f"tests/test_{name}.py").is_file()


def test_a_scaffolded_image_plugin_pretrains_with_its_default_recipe(tmp_path, monkeypatch):
    from rich.console import Console

    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import Plugin

    root = new_plugin("slides", "image", tmp_path)
    monkeypatch.syspath_prepend(str(root / "src"))
    cls = importlib.import_module("ssl_domains_slides").SlidesDomain
    plugins = Registry(
        [*Registry.discover().plugins, Plugin("slides", "domain", "x", "d", "0", obj=cls)]
    )
    flags = {"run.domain": "slides", "run.dir": str(tmp_path / "run"), "train.steps": 4}
    config = resolve_config(plugins, flags=flags, sets=["train.batch_size=8"])
    assert (config.run.recipe, config.model.size) == ("simclr", "resnet-nano")
    result = pretrain(config, console=Console(quiet=True), plugins=plugins, progress=False)
    assert result.step == 4 and result.metrics["chance_accuracy"] > 0
    assert (result.run.preset / "image_converter.json").is_file()


def test_new_rejects_bad_names_and_existing_directories(tmp_path):
    with pytest.raises(UserError, match="lower-case"):
        new_plugin("Claims!", "text", tmp_path)
    new_plugin("claims", "text", tmp_path)
    with pytest.raises(UserError, match="already exists"):
        new_plugin("claims", "text", tmp_path)


def test_plugins_list_reports_provider_origin_and_status_as_json(tmp_path):
    result = run_cli("plugins", "list", "--json", env={"PYTHONPATH": str(broken_plugins(tmp_path))})
    assert result.returncode == 0, result.output
    rows = {(r["kind"], r["name"]): r for r in json.loads(result.stdout)}
    assert rows[("domain", "finance")]["origin"] == "first-party"
    assert rows[("recipe", "mlm")]["status"] == "ok"
    broken = rows[("domain", "ancient")]
    assert broken["status"] == "broken" and "supports API 1" in broken["reason"]
    assert broken["distribution"] == "broken-plugins" and broken["origin"] == "third-party"


def test_environment_variables_choose_which_third_party_plugins_load(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(broken_plugins(tmp_path)))
    monkeypatch.setenv("SSL_DOMAINS_PLUGINS", "ancient")
    registry = Registry.discover()
    status = {p.name: p for p in registry.plugins}
    assert status["exploding"].disabled and status["ancient"].error  # chosen, so tried
    assert "finance" in registry.domains  # first-party always loads
    monkeypatch.delenv("SSL_DOMAINS_PLUGINS")
    monkeypatch.setenv("SSL_DOMAINS_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = Registry.discover()
    assert all(p.disabled for p in registry.plugins if p.distribution == "broken-plugins")
    assert not registry.broken
    with pytest.raises(UserError, match="disabled"):
        registry.domain("ancient")


def test_one_distribution_can_provide_several_domains_and_a_recipe(tmp_path):
    root = write_distribution(
        tmp_path,
        "ssl-domains-insurer",
        """
        [ssl_domains.domains]
        claims = insurer:ClaimsDomain
        underwriting = insurer:UnderwritingDomain

        [ssl_domains.recipes]
        mlm_wwm = insurer:WholeWordMLM
        """,
        {
            "insurer": """
                from pathlib import Path
                from ssl_domains import TextDomain
                from ssl_domains.recipes.mlm import MaskedLanguageModeling

                HERE = Path(__file__).parent

                class ClaimsDomain(TextDomain):
                    name = "claims"
                    description = "Claim notes."
                    default_recipe = "mlm_wwm"

                    def sample_corpus(self):
                        return [HERE / "claims.txt"]

                class UnderwritingDomain(ClaimsDomain):
                    name = "underwriting"
                    description = "Underwriting memos."

                class WholeWordMLM(MaskedLanguageModeling):
                    name = "mlm_wwm"
                    description = "MLM with whole-word masking by default."
                    defaults = {"recipe.masking": "whole_word"}
            """,
        },
    )
    lines = [
        f"Claim {i} for water damage was reviewed by adjuster {i % 7} today." for i in range(200)
    ]
    (root / "claims.txt").write_text("\n".join(lines) + "\n")
    env = {"PYTHONPATH": str(root)}
    listed = run_cli("plugins", "list", "--json", env=env)
    names = {(r["kind"], r["name"]) for r in json.loads(listed.stdout) if r["status"] == "ok"}
    assert {("domain", "claims"), ("domain", "underwriting"), ("recipe", "mlm_wwm")} <= names
    run = tmp_path / "run"
    result = run_cli(
        "pretrain",
        "--domain",
        "claims",
        "--steps",
        "3",
        "--run-dir",
        str(run),
        "--set",
        "model.size=nano",
        env=env,
    )
    assert result.returncode == 0, result.output
    recorded = (run / "run.toml").read_text()
    assert 'masking = "whole_word"' in recorded
    assert '"recipe:mlm_wwm" = "ssl-domains-insurer 0.1"' in recorded


@pytest.mark.slow
def test_a_scaffolded_plugin_installs_trains_fine_tunes_and_uninstalls(tmp_path):
    root = tmp_path / "ssl-domains-claims"
    assert run_cli("plugins", "new", "claims", "--dir", str(tmp_path)).returncode == 0
    pip("install", "--no-deps", "--no-build-isolation", "-e", str(root))
    try:
        listed = json.loads(run_cli("plugins", "list", "--json").stdout)
        (row,) = [r for r in listed if r["name"] == "claims"]
        assert row["distribution"] == "ssl-domains-claims" and row["origin"] == "third-party"
        run = tmp_path / "run"
        result = run_cli("pretrain", "--domain", "claims", "--steps", "5", "--run-dir", str(run))
        assert result.returncode == 0, result.output
        assert '"domain:claims" = "ssl-domains-claims 0.1.0"' in (run / "run.toml").read_text()
        tuned = run_cli("finetune", str(run), "--run-dir", str(tmp_path / "ft"), "--epochs", "2")
        assert tuned.returncode == 0, tuned.output
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
            capture_output=True,
            text=True,
            cwd=root,
        )
        assert tests.returncode == 0, tests.stdout + tests.stderr
    finally:
        pip("uninstall", "-y", "ssl-domains-claims")
    listed = json.loads(run_cli("plugins", "list", "--json").stdout)
    assert "claims" not in {r["name"] for r in listed}


def test_a_preset_naming_a_disabled_plugins_class_stops_in_one_line_without_importing_it(
    tmp_path, pretrained_run
):
    import shutil

    imported = tmp_path / "imported"  # the plugin's package touches this when imported
    root = write_distribution(
        tmp_path / "site",
        "qzx-histology",
        """
        [ssl_domains.domains]
        qzxhisto = qzx_histology:HistologyDomain
        """,
        {
            "qzx_histology": f"""
                from pathlib import Path
                from ssl_domains import TextDomain

                Path({str(imported)!r}).touch()

                class HistologyDomain(TextDomain):
                    name = "qzxhisto"
                    description = "A plugin whose package must not be imported."
                    default_recipe = "mlm"
            """
        },
    )
    preset = tmp_path / "preset"
    shutil.copytree(pretrained_run / "preset", preset)
    config = json.loads((preset / "config.json").read_text())
    config.update(module="qzx_histology.backbones", registered_name="qzx_histology>QzxBackbone")
    (preset / "config.json").write_text(json.dumps(config))
    env = {"PYTHONPATH": str(root), "SSL_DOMAINS_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli("finetune", str(preset), "--run-dir", str(tmp_path / "ft"), env=env)
    assert result.returncode == 2 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert "qzx_histology.backbones.BertBackbone" in line and "not an enabled plugin" in line
    assert not imported.exists()
