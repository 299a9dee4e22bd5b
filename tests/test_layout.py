"""The library's layering: plots know no target, experiments import no circle."""

import ast
from pathlib import Path

from tests.conftest import REPO

GIALIB = REPO / "gialib"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (top level or inside functions), absolute names."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def _module(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def test_plots_import_nothing_from_experiments():
    offenders = {_module(p): sorted(m for m in _imports(p) if m.startswith("gialib.experiments"))
                 for p in sorted((GIALIB / "plots").rglob("*.py"))}
    assert not {k: v for k, v in offenders.items() if v}, offenders


def test_plots_read_no_file():
    """Plots take data frames and image pairs; reading artifacts is the experiments' job."""
    for p in sorted((GIALIB / "plots").rglob("*.py")):
        banned = {m for m in _imports(p) if m in ("gialib.io", "gialib.paths.CAPTURE", "gialib.paths.ATTACK")
                  or m.startswith("gialib.io.")}
        text = p.read_text()
        assert not banned and "torch.load" not in text and "read_csv" not in text, p


def test_every_target_has_its_own_module():
    from gialib.experiments import EXPERIMENTS

    for name in EXPERIMENTS.names():
        cls = EXPERIMENTS.get(name)
        assert cls.__module__ == f"gialib.experiments.{name}", (name, cls.__module__)


def test_no_import_circle_among_targets_and_plots():
    """The imports among gialib.experiments and gialib.plots (module -> modules it imports)
    have no cycle. (gialib.attacks.params <-> latent, a registry filled by import, is out of
    this test's scope.)"""
    modules = {_module(p): p for p in GIALIB.rglob("*.py")
               if _module(p).startswith(("gialib.experiments", "gialib.plots"))}
    graph = {m: {i if i in modules else i.rsplit(".", 1)[0] for i in _imports(p)} & set(modules) - {m}
             for m, p in modules.items()}
    # A package's __init__ importing its own submodules is how registries fill; not a circle.
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(d):] + [m, d])
                                     if d in stack else f"{m} -> {d}")
            if d not in state:
                visit(d, stack + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_workflow_scripts_call_the_library_with_keywords_only():
    """A swapped B and U would run silently; a keyword cannot be swapped."""
    for p in sorted((REPO / "workflow_scripts").glob("*.py")):
        calls = [n for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                 and n.func.value.id == "stages"]
        assert calls, f"{p.name} calls no stage"
        for call in calls:
            assert not call.args, f"{p.name}: stages.{call.func.attr} has positional arguments"
