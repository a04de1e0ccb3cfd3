"""Which language a source file is written in, from its name, and its tag token.

One model learns many languages at once, so every document starts with a tag such
as `[LANG_PYTHON]`: the encoder can condition on the language instead of guessing it
from syntax, a masked tag is a language-identification exercise for free, and a
probe or fine-tuned head can read the language off the tag's position.
"""

from __future__ import annotations

from pathlib import Path

# Extension (lower-case, with the dot) -> language.
EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".java": "java",
    ".kt": "kotlin",
    ".scala": "scala",
    ".go": "go",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".swift": "swift",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".sql": "sql",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".json": "json",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".properties": "ini",
    ".env": "env",
    ".md": "markdown",
    ".rst": "rst",
    ".html": "html",
    ".css": "css",
    ".xml": "xml",
}

# Files known by their whole name rather than an extension.
FILENAMES: dict[str, str] = {
    ".env": "env",
    "dockerfile": "dockerfile",
    "makefile": "makefile",
}


def language_of(path: Path) -> str | None:
    """The language of a file, from its name or extension; None when unknown.

    `.env.local` and `.env.production` count as `.env` files.
    """
    name = path.name.lower()
    if name in FILENAMES:
        return FILENAMES[name]
    if name.startswith(".env."):
        return "env"
    return EXTENSIONS.get(path.suffix.lower())


def tag(language: str) -> str:
    """The tag token that starts a document: `python` -> `[LANG_PYTHON]`."""
    return f"[LANG_{language.upper()}]"


def all_tags() -> list[str]:
    """Every tag a document can start with, sorted (reserved in the vocabulary)."""
    return sorted({tag(lang) for lang in (*EXTENSIONS.values(), *FILENAMES.values())})
