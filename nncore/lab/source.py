"""nncore's own source, gathered for a notebook: a definition and everything it needs.

``Bundle`` takes top-level definitions of nncore's modules by name (a function or class through
``inspect.getsource``, a constant through its statement in the module's source) and follows, in
their source, every name they use that another nncore definition provides, so a notebook built
from a few roots (``train``, ``MLP``, ...) carries whatever those use today. In a notebook all
the definitions share one namespace, so references through a module (``data.split``) lose the
prefix (``split``), and a name two modules both define (``training_rows``) keeps its bare name
for the definition nearest to the roots and is prefixed with the module's for the others
(``augment_training_rows``). Imports from outside nncore are collected as import lines.
"""

import ast
import importlib
import inspect
import textwrap
from dataclasses import dataclass, field
from functools import cache

from ..errors import NNCoreError

PACKAGE = "nncore"


class SourceError(NNCoreError):
    """nncore's source cannot be gathered into a notebook (a name that is not defined, or a
    definition whose source cannot be read)."""


@dataclass(frozen=True)
class Module:
    """What one nncore module defines at its top level and what it imports."""

    name: str                                        # "model", "lab.notebook", ...
    statements: dict                                 # top-level name -> its ast statement
    nncore_names: dict                               # alias -> (module, name) imported from nncore
    nncore_modules: dict                             # alias -> module imported from nncore
    external: dict                                   # alias -> (from module or None, name, asname)


@cache
def module(name):
    """The Module ``nncore.<name>``, read from its source."""
    mod = importlib.import_module(f"{PACKAGE}.{name}")
    tree = ast.parse(inspect.getsource(mod))
    statements, nncore_names, nncore_modules, external = {}, {}, {}, {}
    package = name.split(".")[:-1]                   # the package the module sits in, for relative imports
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            statements[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        statements[leaf.id] = node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                external[bound] = (None, alias.name, alias.asname)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and not (node.module or "").startswith(PACKAGE):
                for alias in node.names:
                    external[alias.asname or alias.name] = (node.module, alias.name, alias.asname)
                continue
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module.removeprefix(PACKAGE).lstrip(".")
            for alias in node.names:
                target = f"{source}.{alias.name}".lstrip(".")
                if node.module is None or _is_module(target):
                    nncore_modules[alias.asname or alias.name] = target
                else:
                    nncore_names[alias.asname or alias.name] = (source, alias.name)
    return Module(name, statements, nncore_names, nncore_modules, external)


def _is_module(name):
    try:
        importlib.import_module(f"{PACKAGE}.{name}")
    except ImportError:
        return False
    return True


@dataclass
class Definition:
    """One top-level definition: its source text and the names in it to rewrite."""

    key: tuple                                       # (module, name)
    text: str
    needs: list                                      # [(module, name)] of nncore, in order of use
    external: list                                   # imports it needs: (from module or None, name, asname)
    renames: list = field(default_factory=list)      # [(line, start, end, key)]: spans naming a definition


def resolve(key):
    """Where (module, name) is defined: a name a module only imports from another nncore module
    (a re-export, such as result's HEALTH_KEYS) is followed to its definition."""
    seen = set()
    while key[1] not in module(key[0]).statements and key[1] in module(key[0]).nncore_names and key not in seen:
        seen.add(key)
        key = module(key[0]).nncore_names[key[1]]
    return key


@cache
def definition(key):
    """The Definition of ``key`` = (module, name): raises SourceError if the module does not
    define ``name`` at its top level."""
    module_name, name = key
    mod = module(module_name)
    if name not in mod.statements:
        raise SourceError(f"nncore.{module_name} has no top-level definition of {name!r}")
    node = mod.statements[name]
    obj = getattr(importlib.import_module(f"{PACKAGE}.{module_name}"), name, None)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        text = inspect.getsource(inspect.unwrap(obj))  # the decorators come with it
    else:
        lines = inspect.getsource(importlib.import_module(f"{PACKAGE}.{module_name}")).splitlines()
        first = node.lineno - 1
        while first > 0 and lines[first - 1].lstrip().startswith("#"):  # the comment just above it
            first -= 1
        text = "\n".join(lines[first:node.end_lineno])
    text = textwrap.dedent(text).rstrip() + "\n"
    tree = ast.parse(text)
    needs, external, renames = [], [], []

    def need(found, line, start, end):
        found = resolve(found)
        if found not in needs and found != key:
            needs.append(found)
        renames.append((line, start, end, found))

    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in mod.nncore_modules):
            found = (mod.nncore_modules[node.value.id], node.attr)
            need(found, node.lineno, node.col_offset, node.end_col_offset)
        elif isinstance(node, ast.Name):
            if node.id in mod.statements:
                need((module_name, node.id), node.lineno, node.col_offset, node.end_col_offset)
            elif node.id in mod.nncore_names:
                need(mod.nncore_names[node.id], node.lineno, node.col_offset, node.end_col_offset)
            elif node.id in mod.external and mod.external[node.id] not in external:
                external.append(mod.external[node.id])
    return Definition(key, text, needs, external, renames)


class Bundle:
    """Definitions gathered in the order a notebook runs them: each after what it needs.

    ``take(roots)`` returns the texts of the roots and of whatever they need that no earlier
    ``take`` gave, dependencies first; ``needs(roots)`` only the latter."""

    def __init__(self, roots):
        """``roots``: every (module, name) the notebook will take, so that names two of them
        (or their dependencies) share are known before any text is written."""
        self.order = []
        for key in roots:
            self._visit(key, set())
        depth, level, distance = {}, list(dict.fromkeys(roots)), 0  # references away from the roots
        while level:
            depth.update((key, distance) for key in level)
            level = list(dict.fromkeys(found for key in level for found in definition(key).needs if found not in depth))
            distance += 1
        by_name = {}
        for key in self.order:
            by_name.setdefault(key[1], []).append(key)
        self.names = {}
        for name, keys in by_name.items():
            nearest = min(depth[key] for key in keys)
            bare = [key for key in keys if depth[key] == nearest]
            for key in keys:  # the nearest to the roots keeps the name, when only one is
                self.names[key] = name if key == bare[0] and len(bare) == 1 else f"{key[0].rpartition('.')[2]}_{name}"
        self.given = set()

    def _visit(self, key, path):
        if key in self.order or key in path:
            return
        for found in definition(key).needs:
            self._visit(found, path | {key})
        if key not in self.order:
            self.order.append(key)

    def closure(self, roots):
        """Every definition ``roots`` need, themselves included, in bundle order."""
        wanted, stack = set(), list(roots)
        while stack:
            key = stack.pop()
            if key not in wanted:
                wanted.add(key)
                stack.extend(definition(key).needs)
        return [key for key in self.order if key in wanted]

    def take(self, roots, only_needs=False):
        """[(key, text)] of ``roots`` and what they need that is not yet given, in order; marks them given."""
        keys = [key for key in self.closure(roots) if key not in self.given
                and not (only_needs and key in roots)]
        self.given.update(keys)
        return [(key, self.text(key)) for key in keys]

    def text(self, key):
        """The source of ``key`` with each nncore name as the notebook names it."""
        found = definition(key)
        lines = found.text.splitlines(keepends=True)
        for line, start, end, target in sorted(found.renames, key=lambda r: (r[0], r[1]), reverse=True):
            raw = lines[line - 1].encode()  # ast columns count UTF-8 bytes
            lines[line - 1] = (raw[:start] + self.names.get(target, target[1]).encode() + raw[end:]).decode()
        text = "".join(lines)
        if self.names[key] != key[1] and not isinstance(module(key[0]).statements[key[1]], (ast.Assign, ast.AnnAssign)):
            # an assignment's own name was a Name above; a function's or class's is its header's
            keyword = "class" if isinstance(module(key[0]).statements[key[1]], ast.ClassDef) else "def"
            text = text.replace(f"{keyword} {key[1]}", f"{keyword} {self.names[key]}", 1)
        return text

    def imports(self):
        """The import lines the bundle's definitions need: 'import numpy as np', 'from functools
        import cache, lru_cache', ... (plain ones first). Raises SourceError if two modules bind
        one alias to different things (the notebook has one namespace)."""
        bound = {}
        for key in self.order:
            for found in definition(key).external:
                alias = found[2] or found[1].split(".")[0]
                if bound.setdefault(alias, found) != found:
                    raise SourceError(f"{alias!r} is imported as two different things in nncore's modules")
        plain = sorted(f"import {name}" + (f" as {asname}" if asname else "")
                       for source, name, asname in bound.values() if source is None)
        grouped = {}
        for source, name, asname in bound.values():
            if source is not None:
                grouped.setdefault(source, []).append(name + (f" as {asname}" if asname else ""))
        return plain + [f"from {source} import {', '.join(sorted(names))}" for source, names in sorted(grouped.items())]
