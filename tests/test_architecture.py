"""The shape of the house: imports run one way through the layers, with no cycle, and nothing
below the charts imports the charts or the command line. See docs/architecture.md.

Every ``import`` and ``from … import`` statement in ``sim/`` counts — at module level, inside
functions, and under ``TYPE_CHECKING`` — so a lazy import cannot hide a cycle.

Sizes: no function in ``sim/`` is over 60 lines (``def`` line to last line) unless the line
directly above its ``def`` or its first decorator is a comment ``# long: <reason>``, and no
module in ``sim/`` is over 500 lines. Nothing is exempt.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"

# Layers, lowest first; a module may import its own layer and the layers below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("sim._version", "sim.errors", "sim.validation", "sim.rng")),
    ("catalogue", ("sim.catalogue", "sim.targets", "sim.levers", "sim.priors", "sim.scenario",
                   "sim.tables")),
    ("models", ("sim.models",)),
    ("engine", ("sim.plan", "sim.update", "sim.reduction", "sim.replay", "sim.chunk",
                "sim.engine", "sim.live")),
    ("results", ("sim.results", "sim.executors", "sim.runner")),
    ("analysis", ("sim.analysis",)),
    ("checks", ("sim.checks",)),
    ("charts", ("sim.charts",)),
    ("interface", ("sim.cli", "sim.web", "sim")),
]  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def layer_of(module: str) -> int:
    """Index of the layer a module belongs to (the longest matching prefix wins)."""
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return rank


def imports_of(module: str) -> set[str]:
    """The sim modules that ``module`` imports, anywhere in its source."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))  # fmt: skip
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_imports_never_go_up_a_layer() -> None:
    upward = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {d} ({LAYERS[layer_of(d)][0]})"
        for m, deps in GRAPH.items()
        for d in sorted(deps)
        if layer_of(d) > layer_of(m)
    ]
    assert not upward, "\n".join(upward)


def test_the_core_never_imports_the_charts_or_the_cli() -> None:
    charts = layer_of("sim.charts")
    offenders = [
        (m, d) for m, deps in GRAPH.items() if layer_of(m) < charts for d in deps
        if d == "sim.cli" or d.startswith("sim.charts")
    ]  # fmt: skip
    assert not offenders, offenders


def test_the_import_graph_has_no_cycle() -> None:
    """Depth-first search for a back edge; the cycle found is reported in full."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(GRAPH[m]):
            if state.get(d) == 1:
                return [*stack[stack.index(d) :], d]
            if d not in state and (cycle := visit(d)):
                return cycle
        state[m] = 2
        stack.pop()
        return None

    for m in sorted(GRAPH):
        if m not in state and (cycle := visit(m)):
            raise AssertionError("import cycle: " + " → ".join(cycle))


def test_the_checker_sees_function_level_imports() -> None:
    """The graph must include imports inside functions (a lazy import can hide a cycle)."""
    assert "sim.charts.pages" in GRAPH["sim.charts.accessor"]  # imported inside methods only


# ------------------------------------------------------------------ sizes
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
LONG_REASON = re.compile(r"\s*# long: \S")  # the one escape: a reason on the line above


def long_functions(source: str, where: str) -> list[str]:
    """Functions (methods and nested ones too) over the limit without a ``# long:`` reason."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        above = [lines[i - 2] for i in {first, node.lineno} if i >= 2]
        if length > MAX_FUNCTION_LINES and not any(LONG_REASON.match(a) for a in above):
            found.append(f"{where}:{node.lineno} {node.name}() is {length} lines")
    return found


def test_no_function_is_over_60_lines_without_a_reason() -> None:
    offenders = [
        f for path in MODULES.values()
        for f in long_functions(path.read_text(encoding="utf-8"), str(path.relative_to(SIM.parent)))
    ]  # fmt: skip
    assert not offenders, (
        f"over {MAX_FUNCTION_LINES} lines: split them, or put '# long: <reason>' directly above "
        "the def (or its first decorator)\n" + "\n".join(offenders)
    )


def test_no_module_is_over_500_lines() -> None:
    offenders = [
        f"{path.relative_to(SIM.parent)} is {n} lines"
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not offenders, f"over {MAX_MODULE_LINES} lines: split them\n" + "\n".join(offenders)


def _function(n_lines: int, name: str = "f", indent: str = "") -> str:
    body = "".join(f"{indent}    x = {i}\n" for i in range(n_lines - 1))
    return f"{indent}def {name}():\n{body}"


def test_the_size_checker_allows_only_a_reason_directly_above() -> None:
    """60 lines pass, 61 fail; only '# long: <reason>' on the line above the def or its first
    decorator lets a long function through — not a blank line away, not without a reason."""
    assert not long_functions(_function(60), "m")
    assert long_functions(_function(61), "m") == ["m:1 f() is 61 lines"]
    assert not long_functions("# long: one pass over the table\n" + _function(61), "m")
    assert not long_functions("# long: why\n@decorator\n@other(1)\n" + _function(61), "m")
    assert long_functions("# long: why\n\n" + _function(61), "m")
    assert long_functions("# long:\n" + _function(61), "m")
    assert long_functions("# a long function\n" + _function(61), "m")
    method = "class C:\n" + _function(61, "method", indent="    ")
    assert long_functions(method, "m") == ["m:2 method() is 61 lines"]
    assert not long_functions("class C:\n    # long: why\n" + _function(61, "g", "    "), "m")
    nested = "def outer():\n" + _function(61, "inner", indent="    ")
    assert [f.split()[1] for f in long_functions(nested, "m")] == ["outer()", "inner()"]
