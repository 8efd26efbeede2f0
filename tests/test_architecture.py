"""The package diagram in docs/architecture.md, enforced: which module may import which.

Read from the source with `ast` (every import, at the top or inside a function), so a lazy
import breaks a rule as surely as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (who, may not import, unless who is one of these): the rules of docs/architecture.md.
WEB = (
    "dash",
    "flask",
    "flask_login",
    "flask_wtf",
    "werkzeug",
    "dash_bootstrap_components",
    "dash_ag_grid",
)
CORE = (
    "socplan.periods",
    "socplan.schema",
    "socplan.permissions",
    "socplan.config",
    "socplan.cells",
    "socplan.tables",
    "socplan.store",
    "socplan.model",
    "socplan.metrics",
    "socplan.accounts",
    "socplan.backup",
    "socplan.browser",
    "socplan.archives",
    "socplan.attachments",
    "socplan.evidence_formats",
    "socplan.evidence_containers",
    "socplan.opendocument",
    "socplan.signoffs",
    "socplan.contacts",
    "socplan.contact_rules",
)
COMMANDS = (
    "socplan.cli",
    "socplan.cli_common",
    "socplan.cli_accounts",
    "socplan.cli_plans",
    "socplan.cli_evidence",
    "socplan.cli_signoff",
    "socplan.cli_rounds",
    "socplan.serve",
)
# Returns rounds sit on intake (the owners' workbooks, partners' checks); nothing of reporting.
RETURNS = ("socplan.rounds", "socplan.mailing", "socplan.letters", "socplan.mail_server")
RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # The library never reaches for the web: the dashboard is built on it, not the other way.
    ("socplan", (*WEB, "dashboard"), ("socplan.serve",)),
    # The core knows nothing of taking workbooks in, putting reports out, or the commands.
    *((core, ("socplan.intake", "socplan.reporting", *COMMANDS), ()) for core in CORE),
    *((module, ("socplan.reporting", *COMMANDS), ()) for module in RETURNS),
    # The rules a contact must meet are pure: the parsing child reads them, and no database.
    ("socplan.contact_rules", ("sqlalchemy", "socplan.store", "socplan.accounts"), ()),
    # Intake and reporting are independent of each other and of the commands.
    ("socplan.intake", ("socplan.reporting", *COMMANDS), ()),
    ("socplan.reporting", ("socplan.intake", *COMMANDS), ()),
    # The dashboard calls the library's public API, never the command line.
    ("dashboard", COMMANDS, ()),
]


def _module(path: Path, root: Path) -> str:
    base = root / "src" if path.is_relative_to(root / "src") else root
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, as absolute names."""
    here = _module(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{a.name}" for a in node.names)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    """Each import under `root` (src/socplan and dashboard) that breaks a rule."""
    files = [*(root / "src" / "socplan").rglob("*.py"), *(root / "dashboard").rglob("*.py")]
    broken = set()
    for path in files:
        who = _module(path, root)
        for name in imports(path, root):
            for subject, forbidden, allowed in RULES:
                if not _under(who, subject) or any(_under(who, a) for a in allowed):
                    continue
                if any(_under(name, f) for f in forbidden):
                    broken.add(f"{who} imports {name}")
    return sorted(broken)


def test_the_package_diagram_holds():
    assert not violations(ROOT), "\n".join(violations(ROOT))


def test_a_breach_is_found(tmp_path):
    """The checker itself, on a made-up tree: lazy, relative and absolute imports all count."""
    (tmp_path / "src" / "socplan" / "intake").mkdir(parents=True)
    (tmp_path / "dashboard").mkdir()
    (tmp_path / "src" / "socplan" / "metrics.py").write_text(
        "def f():\n    from dashboard.app import create_app\n"
    )
    (tmp_path / "src" / "socplan" / "intake" / "workbook.py").write_text(
        "from ..reporting import figures\nfrom ..periods import Period\n"
    )
    (tmp_path / "dashboard" / "x.py").write_text("import socplan.cli\n")
    assert violations(tmp_path) == [
        "dashboard.x imports socplan.cli",
        "socplan.intake.workbook imports socplan.reporting",
        "socplan.intake.workbook imports socplan.reporting.figures",
        "socplan.metrics imports dashboard.app",
        "socplan.metrics imports dashboard.app.create_app",
    ]
