"""Rewrites the Rego modules of policy/ into one self-contained module of one package.

HCP Terraform's free edition holds one policy set of at most five policies, created one by
one in its UI: each policy is a single Rego file and its query. The rules, the adapters and
the helpers span some thirty packages, so the free-tier form of the policy set is this module:
every rule of every package renamed ``<package>__<rule>`` into a single package, references
rewritten to match, and each ``rego.metadata.chain()`` replaced by the annotations it would
return (they sit on the package, which a single module cannot keep per rule).

The rewrite works on tokens of ``opa fmt``-formatted Rego (every rule head starts a line), and
refuses what it cannot rewrite faithfully (a whole package used as a value, a reference into
an eksiam package it was not given, ``rego.metadata.rule()``): the generated module either
says the same as the modules it came from, or is not generated. tests/policy/test_hcp_policy_set.py
checks that on the real-world corpus and the rules' own fixtures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eksiam.errors import UsageError

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<space>\s+)
  | (?P<op>:=|==|!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)
KEYWORDS = frozenset({
    "package", "import", "as", "default", "if", "else", "contains", "some", "every", "in", "not",
    "with", "true", "false", "null", "input", "data",
})
# The rule that holds, per bundled package, what rego.metadata.chain() returned there.
METADATA_CHAIN = "metadata_chain"
# data.eksiam.* documents that are data, not packages of the set: left as they are.
EXTERNAL_DATA = ("eksiam.config", "eksiam.overrides")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line_start: bool = False  # first token of its line, in column 0


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    at_line_start = True
    for match in _TOKEN.finditer(source):
        kind, text = match.lastgroup or "op", match.group()
        tokens.append(Token(kind, text, at_line_start and kind not in {"space", "comment"}))
        if kind == "space":
            at_line_start = text.endswith("\n")
        elif kind != "comment":
            at_line_start = False
    return tokens


@dataclass
class Module:
    """One parsed module: its package, import aliases, and rules as token spans."""

    path: str
    package: str
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> package
    rules: list[list[Token]] = field(default_factory=list)
    annotations: Mapping[str, Any] | None = None

    @property
    def rule_names(self) -> set[str]:
        return {head_name(rule) for rule in self.rules}


def prefix(package: str) -> str:
    """``eksiam.lib.view`` -> ``lib_view__``; ``eksiam.rules.node_001`` -> ``node_001__``."""
    parts = package.split(".")
    parts = parts[1:] if parts[0] == "eksiam" else parts
    parts = parts[1:] if parts and parts[0] == "rules" else parts
    return "_".join(parts) + "__"


def head_name(rule: Sequence[Token]) -> str:
    words = [t.text for t in rule if t.kind == "ident"]
    return words[1] if words[0] == "default" else words[0]


def parse_module(path: str, source: str, annotations: Mapping[str, Any] | None = None) -> Module:
    tokens = [t for t in tokenize(source) if t.kind != "comment"]
    module: Module | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "ident" and token.line_start and token.text in {"package", "import"}:
            end = _line_end(tokens, index)
            words = [t.text for t in tokens[index + 1:end] if t.kind != "space"]
            if token.text == "package":
                module = Module(path, "".join(words), annotations=annotations)
            else:
                _add_import(path, module, words)
            index = end
            continue
        if token.line_start and token.kind == "ident":
            if module is None:
                raise UsageError(f"{path}: a rule before the package line")
            end = _rule_end(tokens, index)
            module.rules.append(tokens[index:end])
            index = end
            continue
        if token.kind not in {"space"}:
            raise UsageError(f"{path}: cannot read {token.text!r} outside a rule (is the file opa fmt-formatted?)")
        index += 1
    if module is None:
        raise UsageError(f"{path}: no package line")
    return module


def _line_end(tokens: Sequence[Token], index: int) -> int:
    while index < len(tokens) and not (tokens[index].kind == "space" and "\n" in tokens[index].text):
        index += 1
    return index


def _rule_end(tokens: Sequence[Token], index: int) -> int:
    """A rule runs until the next token that starts a line with a name (``}`` lines continue it)."""
    index += 1
    while index < len(tokens) and not (tokens[index].line_start and tokens[index].kind == "ident"):
        index += 1
    return index


def _add_import(path: str, module: Module | None, words: Sequence[str]) -> None:
    """``import data.a.b`` (alias ``b``) or ``import data.a.b as c``; rego.v1 and future.* add nothing."""
    if module is None:
        raise UsageError(f"{path}: an import before the package line")
    alias = words[-1] if len(words) >= 2 and words[-2] == "as" else None
    target = "".join(words[:-2] if alias else words)
    if target == "rego.v1" or target.startswith("future."):
        return
    if not target.startswith("data.") or (alias is not None and not alias.isidentifier()):
        raise UsageError(f"{path}: cannot bundle `import {' '.join(words)}`: import data.<package> only")
    package = target.removeprefix("data.")
    module.aliases[alias or package.rsplit(".", 1)[-1]] = package


def local_names(rule: Sequence[Token]) -> set[str]:
    """Names a rule declares for itself: function arguments, ``some``/``every`` variables, and
    the targets of ``:=`` in its body."""
    code = [t for t in rule if t.kind != "space" or "\n" in t.text]
    names: set[str] = set()
    if len(code) > 1 and code[1].text == "(":
        depth, i = 0, 1
        while i < len(code):
            depth += {"(": 1, ")": -1}.get(code[i].text, 0)
            if code[i].kind == "ident" and code[i].text not in KEYWORDS:
                names.add(code[i].text)
            if depth == 0:
                break
            i += 1
    depth, in_body = 0, False
    for i, token in enumerate(code):
        if token.text in {"{", "[", "("}:
            depth += 1
        elif token.text in {"}", "]", ")"}:
            depth -= 1
        elif token.text == "else" and depth == 0:
            in_body = False
        elif token.text == "if" and depth == 0:
            in_body = True
        elif token.text in {"some", "every"}:
            j = i + 1
            while j < len(code) and code[j].text != "in" and not (code[j].kind == "space"):
                if code[j].kind == "ident":
                    names.add(code[j].text)
                j += 1
        elif token.text == ":=" and (depth > 0 or in_body):
            names |= _assigned(code, i)
    return names


def _assigned(code: Sequence[Token], index: int) -> set[str]:
    """The variables on the left of the ``:=`` at ``index``."""
    names: set[str] = set()
    depth, i = 0, index - 1
    while i >= 0:
        text = code[i].text
        if code[i].kind == "space" or text in {"|", ";"}:
            break
        if text in {"]", "}", ")"}:
            depth += 1
        elif text in {"[", "{", "("}:
            if depth == 0:
                break
            depth -= 1
        elif code[i].kind == "ident" and text not in KEYWORDS:
            names.add(text)
        i -= 1
    return names


class Bundler:
    """Rewrites parsed modules into the rules of one package."""

    def __init__(self, modules: Sequence[Module]) -> None:
        self.modules = {m.package: m for m in modules}
        if len(self.modules) != len(modules):
            raise UsageError("two modules declare the same package: the bundle keeps one module per package")
        self.rules_of = {m.package: m.rule_names for m in modules}

    def rewrite(self, module: Module, rule: Sequence[Token]) -> str:
        """The rule with every name of its own package renamed ``<package>__<name>``, and every
        reference into another package replaced by the renamed rule.

        Renaming every occurrence of a name within a module keeps its meaning without scope
        analysis: a local variable that shadows a rule of the package is renamed with it and
        still shadows it. Only an import alias must not be shadowed, since ``alias.x`` becomes
        a rule of another package; such a module is refused.
        """
        shadowed = local_names(rule) & set(module.aliases)
        if shadowed:
            raise UsageError(f"{module.path}: a variable shadows the import {sorted(shadowed)[0]}: rename the variable")
        own = self.rules_of[module.package]
        out: list[str] = []
        i = 0
        while i < len(rule):
            token = rule[i]
            after_dot = i > 0 and rule[i - 1].text == "."
            if token.kind != "ident" or after_dot:
                out.append(token.text)
                i += 1
                continue
            if token.text == "data":
                text, i = self._data_reference(module, rule, i)
                out.append(text)
                continue
            if token.text == "rego" and _chain(rule, i)[:2] == ["rego", "metadata"]:
                text, i = self._metadata(module, rule, i)
                out.append(text)
                continue
            if token.text in KEYWORDS:
                out.append(token.text)
            elif token.text in module.aliases:
                segments = _chain(rule, i)
                package = module.aliases[token.text]
                if len(segments) < 2:
                    raise UsageError(f"{module.path}: `{token.text}` is used as a whole package: refer to its rules")
                out.append(self._rule_of(module, package, segments[1]))
                i += 3  # alias . rule
                continue
            elif token.text in own:
                out.append(prefix(module.package) + token.text)
            else:
                out.append(token.text)
            i += 1
        return "".join(out).rstrip() + "\n"

    def _rule_of(self, module: Module, package: str, rule: str) -> str:
        if package not in self.modules:
            raise UsageError(f"{module.path}: refers to data.{package}, which the bundle does not hold")
        if rule not in self.rules_of[package]:
            raise UsageError(f"{module.path}: refers to data.{package}.{rule}, which that package does not define")
        return prefix(package) + rule

    def _data_reference(self, module: Module, rule: Sequence[Token], index: int) -> tuple[str, int]:
        segments = _chain(rule, index)
        dotted = ".".join(segments[1:])
        if not dotted.startswith("eksiam"):
            return "data", index + 1
        if any(dotted == name or dotted.startswith(name + ".") for name in EXTERNAL_DATA):
            return "data", index + 1
        # data . eksiam . lib . view . kind: the longest package prefix, then one rule name.
        for length in range(len(segments) - 1, 2, -1):
            package = ".".join(segments[1:length])
            if package in self.modules:
                return self._rule_of(module, package, segments[length]), index + 2 * length + 1
        raise UsageError(
            f"{module.path}: cannot bundle the reference data.{dotted}: refer to a rule of an eksiam package by name"
        )

    def _metadata(self, module: Module, rule: Sequence[Token], index: int) -> tuple[str, int]:
        segments = _chain(rule, index)
        end = index + 2 * len(segments) - 1
        if segments != ["rego", "metadata", "chain"] or [t.text for t in rule[end:end + 2]] != ["(", ")"]:
            raise UsageError(f"{module.path}: only rego.metadata.chain() can be bundled, as the package's annotations")
        if not module.annotations:
            raise UsageError(f"{module.path}: rego.metadata.chain() in a package without a METADATA block")
        return prefix(module.package) + METADATA_CHAIN, end + 2


def _chain(rule: Sequence[Token], index: int) -> list[str]:
    """The dotted names from ``index``: ``a.b.c`` -> [a, b, c] (stops at ``[``, space or anything else)."""
    segments = [rule[index].text]
    i = index + 1
    while i + 1 < len(rule) and rule[i].text == "." and rule[i + 1].kind == "ident":
        segments.append(rule[i + 1].text)
        i += 2
    return segments


def bundle(
    modules: Sequence[Module],
    package: str,
    header: Sequence[str],
    replacements: Mapping[tuple[str, str], str] | None = None,
    extra_rules: Sequence[str] = (),
) -> str:
    """One module of ``package`` holding every rule of ``modules``, renamed ``<package>__<rule>``.

    ``replacements`` maps (package, rule name) to Rego text that replaces every definition of
    that rule (for the few rules that reach into packages dynamically); ``extra_rules`` are
    appended as written.
    """
    bundler = Bundler(modules)
    replacements = dict(replacements or {})
    out = [*(f"# {line}" if line else "#" for line in header), f"package {package}", "", "import rego.v1", ""]
    for module in modules:
        out += [f"# --- {module.path} ({module.package})", ""]
        if module.annotations:
            if METADATA_CHAIN in module.rule_names:
                raise UsageError(f"{module.path}: a rule named {METADATA_CHAIN} clashes with the bundle's own")
            chain = json.dumps([{"annotations": module.annotations}], sort_keys=True)
            out += [f"{prefix(module.package)}{METADATA_CHAIN} := {chain}", ""]
        for rule in module.rules:
            key = (module.package, head_name(rule))
            if key in replacements:
                replacement = replacements.pop(key)
                if replacement:
                    out += [replacement.rstrip(), ""]
                    replacements[key] = ""  # one replacement for every definition of the rule
                continue
            out += [bundler.rewrite(module, rule).rstrip(), ""]
    missing = [f"{p}.{r}" for (p, r), text in replacements.items() if text]
    if missing:
        raise UsageError(f"the bundle was to replace rules that no module defines: {', '.join(missing)}")
    # The extra rules keep their names: no bundled rule may use one as a variable.
    extra_names = {head_name(tokenize(rule)) for rule in extra_rules}
    for token in tokenize("\n".join(out)):
        if token.kind == "ident" and token.text in extra_names:
            raise UsageError(f"a bundled module uses the name {token.text!r}, which the bundle defines itself")
    out += [rule.rstrip() + "\n" for rule in extra_rules]
    return "\n".join(out).rstrip() + "\n"
