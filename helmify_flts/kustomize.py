"""Kustomize folders: build them with the real kustomize and map each object to its source file.

A folder holding a kustomization is what ``kubectl apply -k`` deploys, not the files that lie in
it. It is built by the ``kustomize`` or ``kubectl kustomize`` found on PATH (never by code of our
own), through a wrapper kustomization in a private temp folder that names the folder and asks
for origin annotations, so the user's files are never written. The annotations say which file
(or which generator) made each object; the line is found by reading that file. They are removed
again, so the objects are exactly the build's output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections import Counter
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from . import leftovers
from .background import Call
from .errors import Notice, UserError, Where
from .records import record

if TYPE_CHECKING:
    import subprocess

    from yaml.nodes import MappingNode, Node

    from . import manifests

# The YAML side (kyaml, manifests, paths) is imported where the build output is read: the CLI
# starts the builds before it imports the rest of the tool, so they run while it loads. And
# subprocess where a build runs: a folder without a kustomization, or --raw, runs none.

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN = "config.kubernetes.io/origin"
TIMEOUT = 120  # seconds for one build; remote bases (git clones) are the slow case
MAX_OUTPUT = 256 * 1024 * 1024  # bytes of build output; beyond, the build is stopped
MAX_MESSAGE = 2000  # characters of kustomize's own error message shown
PREFIX = "helmify-render-"  # swept by render's leftovers sweep when a killed run left one
GENERATOR_KEYS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}
CLOSE_WAIT = 10.0  # seconds a run that ends waits for each stopped build to clean up
_SLOTS = threading.BoundedSemaphore(4)  # builds that run at once: many environments must not swamp the machine


@record
class Tool:
    """The kustomize that builds: its command line and what the report calls it."""

    argv: tuple[str, ...]
    label: str
    version: str

    def __str__(self) -> str:
        return f"{self.label} ({self.version})" if self.version else self.label


@record
class Origin:
    """Where kustomize says an object came from: a file of resources, or a generator."""

    path: str  # relative to the built folder, posix; a remote base shows its URL
    generator: str | None = None  # ConfigMapGenerator, ...: path is the kustomization holding it
    local: bool = True


@record(eq=False)
class Build:
    """One folder's build output, with what made it and where (to resolve origin paths)."""

    text: str
    kustomization: str  # the kustomization file's name in the folder
    tool: Tool
    wrapper: str  # the folder the wrapper kustomization sat in: origin paths are relative to it
    root: str  # the built folder, resolved


def kustomization_in(folder: Path) -> Path | None:
    """The kustomization file of ``folder``, if it has one."""
    for name in NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def find_tool(kustomization: str) -> Tool:
    """``kustomize`` if it is on PATH, else ``kubectl kustomize``; neither is a clear error. The
    version is left to :func:`version_of`, which runs beside the builds."""
    standalone = shutil.which("kustomize")
    if standalone:
        return Tool((standalone, "build"), "kustomize", "")
    kubectl = shutil.which("kubectl")
    if kubectl:
        return Tool((kubectl, "kustomize"), "kubectl kustomize", "")
    raise UserError(
        "this folder is a kustomization, which is built with kustomize, but neither `kustomize` nor "
        "`kubectl` (which has kustomize built in) is on PATH: install one of them, or pass --raw to "
        "convert the files as they are",
        Where(kustomization),
    )


# the module kubectl reads its "Kustomize Version" from, and the one a kustomize binary is
KUSTOMIZE_MODULE = re.compile(r"sigs\.k8s\.io/kustomize/kustomize/v\d+")


def version_of(tool: Tool) -> Tool:
    """``tool`` with its version, as the report shows it: from the program's Go build info where it
    records one, else as the program prints it."""
    program = tool.argv[0]
    recorded = _recorded_version(program)
    if recorded:
        return replace(tool, version=f"kustomize {recorded}")
    argv = (program, "version") if tool.label == "kustomize" else (program, "version", "--client")
    return replace(tool, version=_version(argv))


def _recorded_version(program: str) -> str:
    """The kustomize module version in ``program``'s build info ("" where none is recorded, or where
    it says ``(devel)``, as a kustomize built from its own source tree does)."""
    from helmify_flts import gobuild

    modules = gobuild.module_text(program)
    if modules is None:
        return ""
    for line in modules.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[0] in ("mod", "dep") and KUSTOMIZE_MODULE.fullmatch(fields[1]):
            version = fields[2]
            return version if re.fullmatch(r"v\d+\.\d+\.\d+\S*", version) else ""
    return ""


def _version(argv: tuple[str, ...]) -> str:
    """kustomize's version as the tool prints it (``v5.5.0``), or "" where it says none."""
    import subprocess

    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, env=tool_env())
    except (OSError, subprocess.TimeoutExpired):
        return ""
    m = re.search(r"(?:Kustomize Version:\s*|kustomize/|^)(v\d+\.\d+\.\d+\S*)", done.stdout, re.M)
    return f"kustomize {m.group(1)}" if m else ""


# kustomize is a Go program that collects garbage from its first megabytes on: a fifth of its CPU
# time on a folder like FLTS. A larger heap target makes it collect less (the heap it needs stays
# small), bounded by a memory limit, so a large build collects no later than by default. A user's
# own Go settings are kept.
GO_SETTINGS = {"GOGC": "400", "GOMEMLIMIT": "1GiB"}


def tool_env() -> dict[str, str]:
    """The environment kustomize runs in: ours, with GO_SETTINGS unless the user set Go's GC."""
    env = dict(os.environ)
    if not any(name in env for name in GO_SETTINGS):
        env.update(GO_SETTINGS)
    return env


@record(eq=False)
class _Ran:
    code: int
    output: bytes
    timed_out: bool = False
    too_large: bool = False


# Build processes by the thread that waits for each, so that a run that ends early can stop the
# builds it started (Sources.close); and the threads told to stop before they started one.
_LIVE: dict[int, subprocess.Popen] = {}
_STOPPED: set[int] = set()
_LIVE_LOCK = threading.Lock()


def _run(argv: tuple[str, ...], err: BinaryIO) -> _Ran:
    """Run a build, stopping it after TIMEOUT seconds or MAX_OUTPUT bytes of output."""
    import subprocess

    with _LIVE_LOCK:
        if threading.get_ident() in _STOPPED:
            return _Ran(-1, b"")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, env=tool_env())
        _LIVE[threading.get_ident()] = proc
    try:
        return _wait(proc)
    finally:
        with _LIVE_LOCK:
            _LIVE.pop(threading.get_ident(), None)


def _wait(proc: subprocess.Popen) -> _Ran:
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(TIMEOUT, stop)
    timer.start()
    chunks: list[bytes] = []
    size = 0
    try:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1 << 16):
            size += len(chunk)
            if size > MAX_OUTPUT:
                proc.kill()
                proc.wait()
                return _Ran(-1, b"", too_large=True)
            chunks.append(chunk)
        code = proc.wait()
    finally:
        timer.cancel()
        if proc.stdout is not None:
            proc.stdout.close()
    return _Ran(code, b"".join(chunks), timed_out=timed_out.is_set())


def build(folder: Path, tool: Tool) -> Build:
    """Build ``folder`` with ``tool``; a failing build is a :class:`UserError` naming the file."""
    found = kustomization_in(folder)
    kfile = found.name if found else NAMES[0]
    root = os.path.realpath(folder)
    leftovers.sweep(Path(tempfile.gettempdir()), PREFIX)
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{leftovers.tag()}-kustomize-") as made:
        tmp = os.path.realpath(made)  # kustomize resolves links: relative paths must be from the real folder
        wrapper = {"resources": [os.path.relpath(root, tmp)], "buildMetadata": ["originAnnotations"]}
        Path(tmp, "kustomization.yaml").write_text(json.dumps(wrapper), encoding="utf-8")
        err_path = Path(tmp, "err")
        # No --enable-helm, no --enable-alpha-plugins: nothing in the folder runs a program. Each
        # file a kustomization names must lie in its own folder (the load restrictor, said in full).
        argv = (*tool.argv, "--load-restrictor", "LoadRestrictionsRootOnly", tmp)
        with err_path.open("wb") as err:
            ran = _run(argv, err)
        if ran.timed_out:
            raise UserError(
                f"{tool.label} did not finish building this kustomization within {TIMEOUT} s; "
                "remove remote bases that hang, or pass --raw",
                Where(kfile),
            )
        if ran.too_large:
            raise UserError(
                f"{tool.label} builds more than {MAX_OUTPUT // 2**20} MiB from this kustomization, too large "
                "to convert; split it, or pass --raw",
                Where(kfile),
            )
        if ran.code != 0:
            raise UserError(f"{tool.label} cannot build it: {_message(err_path)}", Where(kfile))
    return Build(ran.output.decode("utf-8", errors="replace"), kfile, tool, tmp, root)


def _message(err_path: Path) -> str:
    """kustomize's own words; kubectl wraps them in a log line (``... err="..."``)."""
    with err_path.open("rb") as f:
        raw = f.read(MAX_MESSAGE * 4).decode("utf-8", errors="replace").strip()
    # Deprecation notes ("# Warning: 'commonLabels' is deprecated") say nothing about the failure.
    raw = "\n".join(line for line in raw.splitlines() if not line.startswith("# Warning:")).strip()
    if raw.startswith("panic:"):
        return _panic(raw)
    m = re.search(r'err="((?:[^"\\]|\\.)*)"', raw)
    text = m.group(1).encode().decode("unicode_escape", errors="replace") if m else raw
    text = re.sub(r"^(error|Error):\s*", "", text.strip())
    # The wrapper's own layer ("accumulating resources from '<folder>': ... recursed accumulation
    # of path '<folder>': ") says nothing the user wrote.
    # A kustomization it reaches that kustomize cannot read (invalid YAML in a base) keeps its folder.
    text = re.sub(
        r"^accumulating resources: accumulation err='accumulating resources from '[^']*': '[^']*' must resolve to "
        r"a file': (?:recursed accumulation of path '[^']*': |couldn't make target for path '([^']*)': )",
        lambda m: f"{m.group(1)}: " if m.group(1) else "",
        text,
    )
    # ... and so does one the folder's own resources name (resources: [../base]).
    text = re.sub(
        r"accumulating resources: accumulation err='accumulating resources from '([^']*)': '[^']*' must resolve to "
        r"a file': couldn't make target for path '([^']*)': ",
        r"\1 (\2): ",
        text,
    )
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "..."
    from . import redact

    return redact.inline(text) or "(no message)"


def _panic(raw: str) -> str:
    """kustomize crashed (a Go panic) rather than refusing the folder: its first line and the
    step it crashed in, not the goroutine dump, and what usually avoids it."""
    first = raw.splitlines()[0].removeprefix("panic:").strip()
    step = re.search(r"builtins\.\(\*(\w+?)(?:Plugin)?\)", raw)
    where = f" in its {step.group(1)} step" if step else ""
    hint = (
        "a patch file holding several documents that each delete an object ($patch: delete) is a known "
        "cause: give each its own patch"
        if step and step.group(1) == "PatchTransformer"
        else "change the step it names, or build with another kustomize version"
    )
    from . import redact

    return redact.inline(f"kustomize crashed{where} ({first[:200]}), a kustomize bug; {hint}")


def _origin(annotation: str | None, wrapper: str, root: str) -> Origin | None:
    if not annotation:
        return None
    from . import kyaml

    data = _plain_lines(annotation)
    if data is None:
        try:
            data = kyaml.load_all(annotation)[0]
        except Exception:  # noqa: BLE001 - kustomize wrote it; anything odd only costs the line number
            return None
    if not isinstance(data, dict):
        return None
    by = data.get("configuredBy") if data.get("configuredIn") else None
    generator = by.get("kind") if isinstance(by, dict) else None
    generator = generator if isinstance(generator, str) else None
    if data.get("repo"):
        where = f"{data['repo']}//{data.get('path') or data.get('configuredIn') or ''}"
        return Origin(where + (f"?ref={data['ref']}" if data.get("ref") else ""), generator, local=False)
    path = data.get("path") or data.get("configuredIn")
    if not isinstance(path, str):
        return None
    full = os.path.normpath(os.path.join(wrapper, path))
    return Origin(Path(os.path.relpath(full, root)).as_posix(), generator)


_LINE = re.compile(r"( ?)( ?)([A-Za-z]+):(?: ([A-Za-z0-9_./~][^:#'\"]*))?")


def _plain_lines(text: str) -> dict | None:
    """An origin annotation as kustomize writes it (``path: web.yaml``; ``configuredIn: ...`` with
    a ``configuredBy`` map under it) read without a YAML parser, as kyaml reads it; None for
    anything else (quotes, other nesting, a value YAML reads as another type)."""
    from . import kyaml

    data: dict = {}
    inner: dict | None = None
    for line in text.splitlines():
        m = _LINE.fullmatch(line)
        if m is None or bool(m.group(1)) != bool(m.group(2)):
            return None
        key, value = m.group(3), m.group(4)
        if value is not None and (value != value.strip() or kyaml.resolve_plain(value) != kyaml.STR):
            return None
        if m.group(1):  # an entry of the map opened by the line before
            if inner is None or value is None:
                return None
            inner[key] = value
            continue
        inner = data[key] = {} if value is None else None
        if value is not None:
            data[key] = value
    return data if all(v != {} for v in data.values()) else None


@record(frozen=False, eq=False)
class Locator:
    """Finds objects in their origin files; reads and parses each file once."""

    root: Path
    parsed: dict[str, list[Node]] = field(default_factory=dict)

    def find(self, origin: Origin, kind: str, name: str) -> tuple[int, Node | None]:
        """The line of the object ``kind``/``name`` (as built) in its origin file (1 where unknown),
        and the object as that file has it (None for generated objects)."""
        if not origin.local:
            return 1, None
        from .paths import child, text_at

        docs = self._docs(origin.path)
        if origin.generator:
            return _generator_line(docs, origin.generator, name) or 1, None
        best: Node | None = None
        for node in _objects(docs):
            if text_at(node, "kind") != kind:
                continue
            own = text_at(child(node, "metadata"), "name") or ""
            if own == name:
                return node.start_mark.line + 1, node
            if own and own in name and best is None:
                best = node  # a name prefix or suffix was added
        return (best.start_mark.line + 1, best) if best is not None else (1, None)

    def stem(self, origin: Origin, name: str) -> str | None:
        """A generated object's name without its hash suffix (see :func:`stem_of`); None for
        other objects, and for a remote base's, whose kustomization is not read."""
        if not origin.generator or not origin.local:
            return None
        return stem_of(name, _declared(self._docs(origin.path), origin.generator))

    def _docs(self, rel: str) -> list[Node]:
        if rel not in self.parsed:
            try:
                text = (self.root / rel).read_bytes().decode("utf-8-sig")
                self.parsed[rel] = _compose(text)
            except Exception:  # noqa: BLE001 - kustomize read it; we only miss a line number
                self.parsed[rel] = []
        return self.parsed[rel]


def _compose(text: str) -> list[Node]:
    """The documents of an origin file as nodes, only to find lines in: kustomize has read and
    checked the file already, and the objects themselves come from its output, so the checks
    ``kyaml.compose_all`` makes of input (about half its cost) are not made again."""
    from . import kyaml

    loader = kyaml.Loader(text)
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(node)
        return docs
    finally:
        loader.dispose()


def _objects(docs: list[Node]) -> list[Node]:
    from yaml.nodes import MappingNode, SequenceNode

    from .paths import child

    out: list[Node] = []
    for node in docs:
        items = child(node, "items")
        out.extend(
            i for i in (items.value if isinstance(items, SequenceNode) else [node]) if isinstance(i, MappingNode)
        )
    return out


# The suffix a generator appends to a name: a dash and ten characters of the content hash, in
# kustomize's alphabet (hex digits with 0, 1, 3, a and e spelt g, h, k, m and t: no vowels).
HASH_SUFFIX = re.compile(r"-[2456789bcdfghkmt]{10}")


def _declared(docs: list[Node], generator: str) -> list[str]:
    """The names the entries of ``generator`` declare in a kustomization's documents."""
    from yaml.nodes import SequenceNode

    from .paths import child, text_at

    key = GENERATOR_KEYS.get(generator)
    out: list[str] = []
    for node in docs:
        entries = child(node, key) if key else None
        if isinstance(entries, SequenceNode):
            out.extend(filter(None, (text_at(entry, "name") for entry in entries.value)))
    return out


def stem_of(name: str, declared: list[str]) -> str | None:
    """``name`` without kustomize's hash suffix, where it is a declared name (with any prefix or
    suffix a kustomization added) and that suffix; None where there is none to strip (a generator
    with ``disableNameSuffixHash``)."""
    if name in declared or len(name) <= 11 or not HASH_SUFFIX.fullmatch(name, len(name) - 11):
        return None
    stem = name[:-11]
    return stem if any(own in stem for own in declared) else None


def _generator_line(docs: list[Node], generator: str, name: str) -> int:
    """The line of the generator entry that made ``name`` (its name, before the hash suffix)."""
    from yaml.nodes import SequenceNode

    from .paths import child, text_at

    key = GENERATOR_KEYS.get(generator)
    for node in docs:
        entries = child(node, key) if key else None
        if not isinstance(entries, SequenceNode):
            continue
        best = 0
        for entry in entries.value:
            own = text_at(entry, "name") or ""
            if own and own in name and (not best or name.startswith(own)):
                best = entry.start_mark.line + 1
        return best or entries.start_mark.line
    return 0


def strip_origin(node: MappingNode) -> None:
    """Remove the origin annotation (and the annotations map it leaves empty) from an object."""
    from yaml.nodes import MappingNode, ScalarNode

    from .paths import child

    metadata = child(node, "metadata")
    annotations = child(metadata, "annotations")
    if not isinstance(metadata, MappingNode) or not isinstance(annotations, MappingNode):
        return
    annotations.value = [(k, v) for k, v in annotations.value if not (isinstance(k, ScalarNode) and k.value == ORIGIN)]
    if not annotations.value:
        metadata.value = [(k, v) for k, v in metadata.value if v is not annotations]


class _Job(Call):
    """A build (or the version query) running in a thread of its own, which can be stopped."""

    def __init__(self, fn: Any, *args: Any) -> None:
        super().__init__("kustomize", fn, *args)

    def stop(self) -> None:
        """Kill the build process this call runs, if any, or keep it from starting one."""
        with _LIVE_LOCK:
            ident = self._thread.ident
            if ident is not None:
                _STOPPED.add(ident)
                proc = _LIVE.get(ident)
                if proc is not None:
                    proc.kill()

    def stopped(self) -> None:
        """Forget the stop once the thread is over: a later thread may get its id."""
        with _LIVE_LOCK:
            _STOPPED.discard(self._thread.ident)


@record(frozen=False, eq=False)
class Sources:
    """How one run reads its folders: a folder with a kustomization is built (each folder once
    per run), any other folder, or every folder with ``raw``, is read file by file."""

    raw: bool = False
    tool: Tool | None = None
    loaded: dict[tuple, manifests.LoadResult] = field(default_factory=dict)
    # A build started and not yet waited for is a _Job; done, its Build or the UserError it raised.
    builds: dict[str, _Job | Build | UserError] = field(default_factory=dict)
    versioned: _Job | None = None  # the version query, while it runs

    def start(self, folders: list[Path]) -> None:
        """Start building every kustomization folder among ``folders`` and return at once: a build
        mostly waits for its process, so the builds, the version query and the caller's own work
        overlap. Errors wait for :meth:`load`."""
        todo: dict[str, Path] = {}
        for folder in folders:
            found = kustomization_in(folder) if not self.raw and folder.is_dir() else None
            if found is not None and os.path.realpath(folder) not in self.builds:
                todo.setdefault(os.path.realpath(folder), folder)
                if self.tool is None:
                    try:
                        self.tool = find_tool(found.as_posix())
                    except UserError as exc:  # said when the folder is loaded, after any earlier error
                        self.builds[os.path.realpath(folder)] = exc
                        todo.pop(os.path.realpath(folder))
        if not todo or self.tool is None:
            return
        tool = self.tool
        self.builds.update({key: _Job(_build_or_error, folder, tool) for key, folder in todo.items()})
        if not tool.version and self.versioned is None:
            self.versioned = _Job(version_of, tool)

    def prepare(self, folders: list[Path]) -> None:
        """Build every kustomization folder among ``folders`` at once, and wait for the builds."""
        self.start(folders)
        for key, built in list(self.builds.items()):
            if isinstance(built, _Job):
                self.builds[key] = built.result()
        self._versioned()

    def close(self) -> None:
        """Stop the builds nobody waited for (a run that ended early) and wait for their threads,
        which remove their temporary folders."""
        for key, built in list(self.builds.items()):
            if isinstance(built, _Job):
                built.stop()
                try:
                    # Bounded: a thread held up elsewhere (an import its interrupted command
                    # left locked) must not hold the run; a later run removes what it leaves.
                    self.builds[key] = built.result(CLOSE_WAIT)
                except Exception as exc:  # noqa: BLE001 - nobody reads it: the run is over
                    self.builds[key] = UserError(str(exc))
                finally:
                    built.stopped()
        if self.versioned is not None:
            try:
                self._versioned()
            except Exception:  # noqa: BLE001, S110 - only the report shows the version
                self.versioned = None

    def _versioned(self) -> None:
        if self.versioned is not None:
            self.tool, self.versioned = self.versioned.result(), None

    def load(
        self,
        folder: Path,
        exclude: tuple[str, ...] = (),
        skip: Path | None = None,
        progress: manifests.Progress | None = None,
    ) -> manifests.LoadResult:
        """The resources of ``folder``: what ``kubectl apply -k`` would deploy, or its files."""
        from . import redact

        found = kustomization_in(folder) if folder.is_dir() else None
        if found is None or self.raw:
            from . import manifests

            # A kustomization's files read one by one are still kustomize's input, read as YAML.
            loaded = manifests.load_folder(folder, exclude, skip, progress, as_kubectl=found is None)
            redact.learn(loaded.resources)  # a Secret's values stay hidden wherever else they appear
            return loaded
        key = (os.path.realpath(folder), exclude)
        if key not in self.loaded:
            self.start([folder])
            built = self.builds[key[0]]
            if isinstance(built, _Job):
                built = self.builds[key[0]] = built.result()
            self._versioned()
            if isinstance(built, UserError):
                raise built
            assert self.tool is not None
            self.loaded[key] = load_build(replace(built, tool=self.tool), folder, exclude)
        # Taught again when loaded again: a library's next build holds its own values (heldvalues).
        redact.learn(self.loaded[key].resources)
        return self.loaded[key]


def _build_or_error(folder: Path, tool: Tool) -> Build | UserError:
    try:
        with _SLOTS:
            return build(folder, tool)
    except UserError as exc:
        return exc


def load_build(built: Build, folder: Path, exclude: tuple[str, ...] = ()) -> manifests.LoadResult:
    """The build's objects, each named by its origin file and line, without origin annotations."""
    from . import exported, manifests, scopes, unnamespaced
    from .paths import child, text_at

    resources: list[manifests.Resource] = []
    notices: list[Notice] = []
    manifests.load_text(f"{built.kustomization} (as built by {built.tool.label})", built.text, resources, notices)
    locator = Locator(Path(built.root))
    kept: list[manifests.Resource] = []
    for res in resources:
        annotations = child(child(res.node, "metadata"), "annotations")
        origin = _origin(text_at(annotations, ORIGIN), built.wrapper, built.root)
        strip_origin(res.node)
        if origin is None:  # kustomize marks every object; should one lack it, name the kustomization
            origin = Origin(built.kustomization)
        if origin.local and any(manifests.excluded(origin.path, glob) for glob in exclude):
            continue
        line, source_node = locator.find(origin, res.kind, res.name)
        stem = locator.stem(origin, res.name)
        made = replace(res, source=origin.path, line=line, order=len(kept), built=True, origin=source_node, stem=stem)
        kept.append(made)
    kept = list(scopes.settle(_unclashed(kept)))
    notices += exported.notices(kept)
    notices += unnamespaced.notices(kept, folder, built.kustomization)
    files = sorted({r.source for r in kept} | {built.kustomization})
    return manifests.LoadResult(tuple(kept), tuple(notices), tuple(files), built_with=str(built.tool))


def _unclashed(kept: list[manifests.Resource]) -> list[manifests.Resource]:
    """Objects whose stem another object of the kind and namespace has too, as its stem or its
    name, keep their full names, so that no two share a values key. kustomize refuses the builds
    that would make most such pairs (two generators of one name); this holds whatever it lets by."""
    names = Counter((r.kind, r.namespace, r.key_name) for r in kept)
    return [r if r.stem is None or names[(r.kind, r.namespace, r.stem)] == 1 else replace(r, stem=None) for r in kept]
