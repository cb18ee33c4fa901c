"""Read a manifest folder into resources, skipping (with a reason) what is not a resource."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import field
from pathlib import Path, PurePosixPath

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import exported, inputfile, kubenames, kyaml
from .errors import Notice, UserError, Where
from .paths import FieldPath, child, text_at
from .records import record
from .scopes import NONE, settle

EXTENSIONS = (".yaml", ".yml", ".json")

# apiVersion groups of tool configuration that looks like a resource but is not one.
CONFIG_GROUPS = frozenset({"kustomize.config.k8s.io", "config.kubernetes.io"})
# Fields a complete object of these kinds always has; without them it is a patch fragment.
REQUIRED = {
    "Deployment": ("spec", "selector"),
    "StatefulSet": ("spec", "selector"),
    "DaemonSet": ("spec", "selector"),
    "ReplicaSet": ("spec", "selector"),
}
POD_TEMPLATE = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


@record(eq=False)
class Resource:
    """One Kubernetes object as read: where it came from, who it is, and its node tree."""

    source: str
    line: int
    order: int
    api_version: str
    kind: str
    namespace: str | None
    name: str
    node: MappingNode = field(compare=False, repr=False)
    # Built by kustomize: the node's lines are the build output's; a field's line is looked up in
    # the object as its source file has it (``origin``), where the field is found.
    built: bool = False
    origin: Node | None = field(default=None, compare=False, repr=False)
    # A kustomize generator's object: its name without the content hash (``web-config`` of
    # ``web-config-h8525df7b5``), which values keys and chart file names are made of, so they stay
    # when the content changes. None where the name itself is used.
    stem: str | None = None
    # Whether its kind lives outside namespaces where a CustomResourceDefinition of the run says
    # (scopes.settle); None where the built-in list (scopes.BUILT_IN) decides.
    cluster: bool | None = None

    @property
    def key_name(self) -> str:
        """The name values keys, template files and chart files are named after."""
        return self.stem or self.name

    def line_of(self, path: FieldPath, node: Node | None) -> int:
        """The line of the field at ``path`` (its ``node`` here) in the source file; the object's own
        line where the source file does not have it (a field a kustomize patch added)."""
        if not self.built:
            return self.line if node is None else node.start_mark.line + 1
        found = path.node(self.origin) if isinstance(self.origin, MappingNode) else None
        return found.start_mark.line + 1 if found is not None else self.line

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def cluster_scoped(self) -> bool:
        return NONE.is_cluster(self.group, self.kind) if self.cluster is None else self.cluster

    @property
    def identity(self) -> tuple[str, str, str, str]:
        namespace = "" if self.cluster_scoped else (self.namespace or "")
        return (self.group, self.kind, namespace, self.name)

    @property
    def where(self) -> Where:
        return Where(self.source, self.line)

    @property
    def title(self) -> str:
        ns = f"{self.namespace}/" if self.namespace and not self.cluster_scoped else ""
        return f"{self.kind}/{ns}{self.name}"

    def labels(self) -> dict[str, str]:
        return _string_map(child(child(self.node, "metadata"), "labels"))

    def pod_labels(self) -> dict[str, str]:
        path = POD_TEMPLATE.get(self.kind)
        if not path:
            return {}
        template = self.node
        for key in path[:-1]:
            template = child(template, key)
        return _string_map(child(child(template, "metadata"), "labels"))

    def pod_spec(self) -> Node | None:
        path = POD_TEMPLATE.get(self.kind)
        node: Node | None = self.node if path else None
        for key in path or ():
            node = child(node, key)
        return node


def _string_map(node: Node | None) -> dict[str, str]:
    if not isinstance(node, MappingNode):
        return {}
    return {k.value: v.value for k, v in node.value if isinstance(k, ScalarNode) and isinstance(v, ScalarNode)}


@record(eq=False)
class LoadResult:
    resources: tuple[Resource, ...]
    notices: tuple[Notice, ...]
    files: tuple[str, ...]
    built_with: str = ""  # the kustomize that built the folder; "" when its files were read as they are


def find_files(
    src: Path, exclude: tuple[str, ...] = (), skip: Path | None = None, notices: list[Notice] | None = None
) -> list[Path]:
    """Manifest files below ``src`` in a stable order, without hidden folders, Helm charts kept
    inside the folder (reported in ``notices``) and exclusions."""
    found = []
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        if here != src and "Chart.yaml" in filenames:
            if notices is not None:
                notices.append(
                    Notice(
                        "a Helm chart (it has a Chart.yaml), not raw manifests; skipped",
                        Where(here.relative_to(src).as_posix() + "/"),
                    )
                )
            dirnames[:] = []
            continue
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)
        )
        for name in sorted(filenames):
            path = here / name
            if not name.lower().endswith(EXTENSIONS):
                continue
            rel = path.relative_to(src).as_posix()
            if any(_excluded(rel, glob) for glob in exclude):
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(src).as_posix())


def _excluded(rel: str, glob: str) -> bool:
    return fnmatch.fnmatch(rel, glob) or PurePosixPath(rel).match(glob)


excluded = _excluded  # --exclude applies to a kustomize build's objects by their origin file too


Progress = Callable[[int, int, str], None]


def load_folder(
    src: Path,
    exclude: tuple[str, ...] = (),
    skip: Path | None = None,
    progress: Progress | None = None,
    as_kubectl: bool = True,
) -> LoadResult:
    """Read every manifest below ``src``; raise :class:`UserError` on unreadable input.

    ``progress(done, total, file)`` is called before each file is read. ``as_kubectl``: the
    folder is applied file by file (``kubectl apply -f``), which reads a file that starts with
    ``{`` as JSON; a kustomization's files are read by kustomize, as YAML."""
    if not src.is_dir():
        raise UserError(f"{src} is not a directory; give the folder that holds your manifests")
    resources: list[Resource] = []
    notices: list[Notice] = []
    files = find_files(src, exclude, skip, notices)
    errors: list[UserError] = []
    budget = [MAX_READ]  # bytes the files still to read may hold together
    for done, path in enumerate(files):
        rel = path.relative_to(src).as_posix()
        if progress:
            progress(done, len(files), rel)
        try:
            text, moved = read_text(path, rel, src, budget), ()
            if as_kubectl and text[:1] in _JSON_START and not _has_bom(path):
                starts = _check_json(rel, text)
                text, moved = _json_documents(_utf16_escapes(text) if starts else text, starts)
            load_text(rel, text, resources, notices, moved)
        except UserError as exc:  # read on, so one run names every broken file
            errors.append(exc)
    resources, kept_by_controller = exported.controller_endpoints(resources)
    resources = list(settle(resources))  # before the duplicates: a kind's scope is part of identities
    notices += kept_by_controller + exported.notices(resources)
    errors.extend(_duplicates(resources))
    if errors:
        raise UserError.all_of(errors)
    return LoadResult(tuple(resources), tuple(notices), tuple(p.relative_to(src).as_posix() for p in files))


# What a file kubectl may read as JSON starts with: it reads JSON where the first character that
# is not white space (Go's unicode.IsSpace) is "{"; a byte order mark is not white space.
_JSON_START = frozenset(" \t\n\r\v\f\x85\xa0{")


def _has_bom(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(3) == b"\xef\xbb\xbf"


def _check_json(rel: str, text: str) -> list[int]:
    """kubectl reads a file whose first character that is not white space is ``{`` as a stream
    of JSON values, and refuses what is not JSON (a trailing comma, a comment, a flow-style YAML
    mapping with bare keys, NaN) where YAML would accept it: such a file is refused here too,
    with its line, so that the chart is not made from a folder kubectl cannot apply. Returns
    where each value starts (none: not read as JSON)."""
    import json

    at = len(text) - len(text.lstrip())
    if not text.startswith("{", at):
        return []
    decoder = json.JSONDecoder(parse_constant=_not_json_constant)
    white = " \t\n\r"
    starts = []
    while at < len(text):
        starts.append(at)
        try:
            _, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"kubectl reads a file that starts with '{{' as JSON, and this is not JSON ({exc.msg}, column "
                f"{exc.colno}); fix it, or write it as YAML (a first line '---' makes kubectl read YAML)",
                Where(rel, exc.lineno),
            ) from None
        except ValueError as exc:
            word = str(exc)
            line = text.count("\n", 0, max(text.find(word), 0)) + 1
            raise UserError(
                f"kubectl reads a file that starts with '{{' as JSON, and {word} is not JSON; write it as a string",
                Where(rel, line),
            ) from None
        while at < len(text) and text[at] in white:
            at += 1
    return starts


def _json_documents(text: str, starts: list[int]) -> tuple[str, tuple[int, ...]]:
    """A stream of JSON values (``jq`` writes them one after another) as YAML documents: a
    ``---`` at the start of the line of each value after the first, which keeps every line
    number (that line moves four columns right). A value after another on one line moves to a
    line of its own; the 0-based lines those values start on in the text returned come second,
    so that the lines named are the file's (see :func:`kyaml.compose_all`)."""
    pieces: list[str] = []
    moved: list[int] = []
    done = line = 0  # text[:done] is in pieces; text[done] is on the file's 0-based line ``line``
    for at in starts[1:]:
        begin = text.rfind("\n", 0, at) + 1
        line += text.count("\n", done, at)
        if text[begin:at].strip():  # after the last value on its line
            pieces += [text[done:at], "\n--- "]
            moved.append(line + len(moved) + 1)
        else:
            pieces += [text[done:begin], "--- ", text[begin:at]]
        done = at
    pieces.append(text[done:])
    return "".join(pieces), tuple(moved)


# A UTF-16 escape of JSON: a surrogate pair (how JSON writers that escape everything beyond
# ASCII, Python's json.dumps among them, write an emoji), or a lone surrogate, which Go's JSON
# decoder reads as U+FFFD. Only an escape whose backslash is not itself escaped.
_SURROGATES = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u([dD][89abAB][0-9a-fA-F]{2})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?"
    r"|(?<!\\)((?:\\\\)*)\\u([dD][c-fC-F][0-9a-fA-F]{2})"
)


def _utf16_escapes(text: str) -> str:
    """JSON text with its UTF-16 surrogate escapes written as YAML reads them: YAML's ``\\u``
    takes no surrogates, so a pair becomes the ``\\U`` escape of its character and a lone
    surrogate ``\\uFFFD``, as kubectl's decoder reads them. Escapes stay escapes (a control
    character's too); only columns of the line move."""
    if "\\u" not in text:
        return text

    def one(m: re.Match) -> str:
        if m.group(4) is not None:  # a lone low surrogate
            return m.group(4) + "\\uFFFD"
        high, low = int(m.group(2), 16), m.group(3)
        if low is None:  # a lone high surrogate
            return m.group(1) + "\\uFFFD"
        code = 0x10000 + ((high - 0xD800) << 10) + (int(low, 16) - 0xDC00)
        return f"{m.group(1)}\\U{code:08X}"

    return _SURROGATES.sub(one, text)


def _not_json_constant(word: str) -> None:
    raise ValueError(word)


# What one folder's manifests may hold together, as much as a kustomize build may give
# (kustomize.MAX_OUTPUT): a file committed by mistake (a database dump named .yaml) is refused
# before it is read, instead of filling the memory of the machine that runs the check.
MAX_READ = 256 * 1024 * 1024


def read_text(path: Path, rel: str, folder: Path | None = None, budget: list[int] | None = None) -> str:
    """File contents as text: UTF-8 with or without a BOM, any line endings. Only a regular file
    is read, and, given the ``folder`` it was found in, only one inside it: a symbolic link out
    of the folder (to a kubeconfig, to /dev/zero) is refused, as kustomize refuses it.
    ``budget`` (one number, in a list): the bytes this file and the ones after it may hold; what
    the file holds is taken off it, and a file that holds more is refused."""
    if folder is not None and path.is_symlink() and (target := inputfile.outside(path, folder)):
        raise UserError(
            f"a symbolic link to {target}, outside the folder read; replace the link with the file itself, "
            "or leave it out with --exclude",
            Where(rel),
        )
    try:
        if budget is None:
            data = inputfile.read_bytes(path)
        else:
            try:
                data = inputfile.read_bytes(path, budget[0])
            except inputfile.Refused as exc:
                if not exc.over_limit:
                    raise
                raise UserError(
                    f"not read: the manifests read hold over {MAX_READ // 2**20} MiB with this file, more than a "
                    "chart can hold; leave the files that are not manifests out with --exclude",
                    Where(rel),
                ) from None
            budget[0] -= len(data)
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(
            "not UTF-8 text; re-save it as UTF-8 or leave it out with --exclude", Where(rel, line)
        ) from None
    except inputfile.Refused as exc:
        raise UserError(f"not read: {exc}; remove it, or leave it out with --exclude", Where(rel)) from None
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", Where(rel)) from None


def load_text(rel: str, text: str, resources: list[Resource], notices: list[Notice], moved: Sequence[int] = ()) -> None:
    """Compose one file's documents and add the resources among them; ``moved``: lines the reader
    inserted (see :func:`kyaml.compose_all`)."""
    before = len(resources)
    templated = _OPEN.search(text) is not None
    suspicious = ("<" in text and _MERGE.search(text) is not None) or _nan_or_inf(text)
    try:
        for node in kyaml.compose_all(text, moved):
            if suspicious and node is not None:
                _check_constructs(rel, node)
            if templated and _has_collection_key(node):
                # Unquoted {{ .Values.x }} parses as a mapping used as a key: a template.
                notices.append(
                    Notice(
                        "has unquoted template syntax ({{ ... }}): a template, not a manifest; skipped",
                        Where(rel, node.start_mark.line + 1),
                    )
                )
                continue
            _add_document(rel, node, resources, notices)
    except yaml.YAMLError as exc:
        line = kyaml.error_line(exc, text, moved)
        del resources[before:]
        if "{{" in text and isinstance(exc, yaml.MarkedYAMLError):
            # A template of some tool (Helm, Jinja), not a manifest: leave all of it out.
            notices.append(
                Notice(
                    "has template syntax ({{ ... }}) and is not valid YAML: a template, not a manifest; skipped",
                    Where(rel, line),
                )
            )
            return
        if isinstance(exc, kyaml.DocumentError):
            # Parsed, but Kubernetes would refuse it (or it is too big to handle): the message says why.
            raise UserError(kyaml.error_problem(exc), Where(rel, line)) from None
        raise UserError(
            f"not valid YAML ({kyaml.error_problem(exc, text)}); fix the syntax or leave the file out with --exclude",
            Where(rel, line),
        ) from None


# Python's `in` looks for a two-character text about a character per nanosecond here; the pattern
# engine's literal search is three times quicker, and a single character (memchr) thirty times:
# over a 5.5 MB folder, "<<" in each file took 5-10 ms.
_OPEN, _MERGE = re.compile(r"\{\{"), re.compile("<<")


def _nan_or_inf(text: str) -> bool:
    """Whether ``text`` holds ".nan" or ".inf" in any case. Only the letters after each dot are
    lowered: lowering every file whole took longer than reading it (no other character lowers
    to these letters without a combining mark after it). Where dots are everywhere (a bundle's
    descriptions), lowering the rest is quicker: that is found on the way, as counting the dots
    of every file first cost as much as the search."""
    budget = len(text) // 256
    at = text.find(".")
    while at != -1:
        if text[at + 1 : at + 4].lower() in ("nan", "inf"):
            return True
        budget -= 1
        if budget < 0:
            lowered = text[at:].lower()
            return ".nan" in lowered or ".inf" in lowered
        at = text.find(".", at + 1)
    return False


def _identity_text(node: Node | None) -> str | None:
    """A name field as Kubernetes sees it, spelt canonically (a plain ``y`` is the boolean true)."""
    if not isinstance(node, ScalarNode) or node.tag == kyaml.NULL:
        return None
    return node.value if node.tag == kyaml.STR else kyaml.json_key(kyaml.construct(node))


def _check_constructs(rel: str, node: Node) -> None:
    """Merge keys must merge mappings, and NaN/infinity have no JSON form for Helm to carry."""
    try:
        kyaml.construct(node)
    except yaml.MarkedYAMLError as exc:
        raise UserError(
            f"{exc.problem or exc.context}; fix the merge key (<<) or remove it", Where(rel, kyaml.error_line(exc, ""))
        ) from None
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ScalarNode):
            if current.tag == kyaml.FLOAT and current.value.lstrip("+-").lower() in (".nan", ".inf"):
                raise UserError(
                    f"{current.value} is a NaN/infinite number, which Helm cannot carry (its values are "
                    "JSON); quote it if it is meant as text",
                    Where(rel, current.start_mark.line + 1),
                )
        elif isinstance(current, MappingNode):
            stack.extend(v for pair in current.value for v in pair)
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)


def _has_collection_key(node: Node | None) -> bool:
    """Whether any mapping in the tree has a map or list as a key (never so in a manifest)."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)  # node types are never subclassed; scalars need no look of their own
        if kind is MappingNode:
            for key, value in current.value:
                if type(key) is not ScalarNode:
                    return True
                if type(value) is not ScalarNode:
                    stack.append(value)
        elif kind is SequenceNode:
            stack.extend(current.value)
    return False


def _add_document(rel: str, node: Node | None, resources: list[Resource], notices: list[Notice]) -> None:
    if node is None or (isinstance(node, ScalarNode) and node.tag == kyaml.NULL):
        return
    where = Where(rel, node.start_mark.line + 1)
    if not isinstance(node, MappingNode):
        notices.append(Notice("document is not a mapping, so not a Kubernetes resource; skipped", where))
        return
    api_version, kind = _identity_text(child(node, "apiVersion")), _identity_text(child(node, "kind"))
    if not api_version or not kind:
        notices.append(
            Notice(
                "no apiVersion/kind: not a Kubernetes resource (a patch fragment or a config file?); skipped",
                where,
            )
        )
        return
    if api_version.rpartition("/")[0] in CONFIG_GROUPS:
        notices.append(Notice(f"{kind} is tool configuration, not a Kubernetes resource; skipped", where))
        return
    if kind == "List" or (kind.endswith("List") and isinstance(child(node, "items"), SequenceNode)):
        items = child(node, "items")
        for item in items.value if isinstance(items, SequenceNode) else ():
            _add_document(rel, item, resources, notices)
        return
    metadata = child(node, "metadata")
    name = _identity_text(child(metadata, "name"))
    if not name:
        why = (
            "uses generateName, which Helm cannot install"
            if text_at(metadata, "generateName")
            else "has no metadata.name"
        )
        notices.append(Notice(f"{kind} {why}; skipped (give it a fixed name to include it)", where))
        return
    owner = exported.owned(metadata) or exported.made_by_cluster(
        kind, name, _identity_text(child(metadata, "namespace")), node
    )
    if owner:
        notices.append(Notice(f"{kind}/{name} {owner}; skipped", where))
        return
    missing = REQUIRED.get(kind)
    if missing and text_at(node, *missing) is None and child(child(node, missing[0]), missing[1]) is None:
        notices.append(
            Notice(
                f"{kind}/{name} has no {'.'.join(missing)}: a patch fragment, not a whole object; skipped",
                where,
            )
        )
        return
    if _containers_without_image(kind, node):
        notices.append(
            Notice(
                f"{kind}/{name} has containers without an image: a patch fragment, not a whole object; skipped",
                where,
            )
        )
        return
    exists = exported.exists_already(kind, name)
    if exists:
        notices.append(Notice(exists, where, code="exists-already"))
    refused = kubenames.problem(api_version, kind, name)
    if refused:
        notices.append(
            Notice(
                f"{kind} {name!r}: Kubernetes refuses this name ({refused}); the chart keeps it as written, "
                "so the install fails: rename it in the manifest",
                where,
                code="refused-name",
            )
        )
    resources.append(
        Resource(
            source=rel,
            line=where.line or 1,
            order=len(resources),
            api_version=api_version,
            kind=kind,
            namespace=_identity_text(child(metadata, "namespace")),
            name=name,
            node=node,
        )
    )


def _containers_without_image(kind: str, node: MappingNode) -> bool:
    spec: Node | None = node
    for key in POD_TEMPLATE.get(kind, ()):
        spec = child(spec, key)
    containers = child(spec, "containers")
    if not isinstance(containers, SequenceNode):
        return False
    return any(text_at(item, "image") is None for item in containers.value)


def _duplicates(resources: list[Resource]) -> list[UserError]:
    """Every resource defined again after its first definition, each naming that first one."""
    seen: dict[tuple, Resource] = {}
    errors = []
    for res in resources:
        first = seen.setdefault(res.identity, res)
        if first is not res:
            errors.append(
                UserError(
                    f"{res.title} is defined twice: here and at {first.where}. Keep one, or leave a "
                    "file out with --exclude GLOB",
                    res.where,
                )
            )
    return errors
