"""kustomize's version from a Go program's build info, read without running the program."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from helmify_flts import gobuild, kustomize

SENTINEL = b"0123456789abcdef"


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def buildinfo(modules: str, flags: int = 0x2) -> bytes:
    mod = SENTINEL + modules.encode() + SENTINEL
    header = gobuild.MAGIC + bytes([8, flags]) + bytes(16)
    return header + varint(8) + b"go1.23.8" + varint(len(mod)) + mod


def elf(sections: dict[bytes, bytes], wide: bool = True, order: str = "<") -> bytes:
    """A minimal ELF file holding ``sections`` (name: data), with a section name table."""
    names = b"\0" + b"".join(name + b"\0" for name in [*sections, b".shstrtab"])
    body, table = b"", []
    header_size = 64 if wide else 52
    offset_of = {}
    for name, data in [*sections.items(), (b".shstrtab", names)]:
        offset_of[name] = header_size + len(body)
        table.append((names.index(b"\0" + name + b"\0") + 1, offset_of[name], len(data)))
        body += data
    shoff = header_size + len(body)
    entry = "IIQQQQQQQQ" if wide else "IIIIIIIIII"
    shentsize = struct.calcsize(order + entry)
    shnum = len(table) + 1
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1]) + bytes(9)
    if wide:
        rest = struct.pack(order + "HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 0, 0, shentsize, shnum, shnum - 1)
    else:
        rest = struct.pack(order + "HHIIIIIHHHHHH", 2, 3, 1, 0, 0, shoff, 0, 52, 0, 0, shentsize, shnum, shnum - 1)
    sections_table = bytes(shentsize)
    for name_at, offset, size in table:
        sections_table += struct.pack(order + entry, name_at, 1, 0, 0, offset, size, 0, 0, 1, 0)
    return ident + rest + body + sections_table


KUBECTL = "mod\tk8s.io/kubernetes\t(devel)\t\ndep\tsigs.k8s.io/kustomize/api\tv0.18.0\t\n" + (
    "dep\tsigs.k8s.io/kustomize/kustomize/v5\tv5.5.0\th1:abc=\n"
)


@pytest.mark.parametrize("wide", [True, False])
@pytest.mark.parametrize("order", ["<", ">"])
def test_the_module_list_is_read_from_an_elf_program(tmp_path: Path, wide: bool, order: str) -> None:
    program = tmp_path / "kubectl"
    program.write_bytes(elf({b".text": b"\x90" * 40, b".go.buildinfo": buildinfo(KUBECTL)}, wide, order))
    assert gobuild.module_text(str(program)) == KUBECTL
    assert kustomize._recorded_version(str(program)) == "v5.5.0"


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        ("mod\tsigs.k8s.io/kustomize/kustomize/v5\tv5.4.3\t\n", "v5.4.3"),  # a released kustomize
        ("mod\tsigs.k8s.io/kustomize/kustomize/v5\t(devel)\t\n", ""),  # built from source: ask it
        ("mod\tk8s.io/kubernetes\t(devel)\t\n", ""),  # no kustomize module recorded
        ("dep\tsigs.k8s.io/kustomize/kustomize/v5\tv5.5.0; rm -rf /\t\n", ""),  # not a version
    ],
)
def test_only_a_recorded_release_version_is_taken(tmp_path: Path, modules: str, expected: str) -> None:
    program = tmp_path / "kustomize"
    program.write_bytes(elf({b".go.buildinfo": buildinfo(modules)}))
    assert kustomize._recorded_version(str(program)) == expected


@pytest.mark.parametrize(
    "content",
    [
        b'#!/bin/sh\nexec kubectl "$@"\n',  # a wrapper script
        b"",
        b"\x7fELF",  # truncated
        elf({b".text": b"\x90"}),  # an ELF program without Go build info
        elf({b".go.buildinfo": buildinfo(KUBECTL, flags=0)}),  # Go before 1.18: pointers, not inline
        elf({b".go.buildinfo": buildinfo(KUBECTL)[:40]}),  # the module list cut short
        elf({b".go.buildinfo": b"not the magic" + bytes(40)}),
    ],
)
def test_anything_else_gives_none_and_the_program_is_asked(tmp_path: Path, content: bytes) -> None:
    program = tmp_path / "kubectl"
    program.write_bytes(content)
    assert gobuild.module_text(str(program)) is None
    assert kustomize._recorded_version(str(program)) == ""


@pytest.mark.parametrize(
    ("offset", "fmt", "value"),
    [
        (0x28, "<Q", 1 << 40),  # e_shoff: the section table lies past the end of the file
        (0x3C, "<H", 0xFFFF),  # e_shnum: more sections than the file holds, none of them the one sought
        (0x3E, "<H", 0xFFFF),  # e_shstrndx: the name table's index past the table
    ],
)
def test_a_corrupt_header_gives_none(tmp_path: Path, offset: int, fmt: str, value: int) -> None:
    data = bytearray(elf({b".text": b"\x90"}))
    struct.pack_into(fmt, data, offset, value)
    program = tmp_path / "kubectl"
    program.write_bytes(bytes(data))
    assert gobuild.module_text(str(program)) is None


def test_a_section_larger_than_any_real_one_is_not_read(tmp_path: Path) -> None:
    data = bytearray(elf({b".go.buildinfo": buildinfo(KUBECTL)}))
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    struct.pack_into("<Q", data, shoff + 64 + 32, gobuild.MAX_SECTION + 1)  # sh_size of section 1
    program = tmp_path / "kubectl"
    program.write_bytes(bytes(data))
    assert gobuild.module_text(str(program)) is None
    assert gobuild.module_text(str(tmp_path / "missing")) is None


def test_the_recorded_version_is_the_one_kubectl_prints() -> None:
    """On the kubectl of this machine (CI has one on PATH), build info and the version query agree."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl must be on PATH"
    printed = kustomize._version((kubectl, "version", "--client"))
    assert printed.startswith("kustomize v")
    assert kustomize.version_of(kustomize.Tool((kubectl, "kustomize"), "kubectl kustomize", "")).version == printed
    recorded = kustomize._recorded_version(kubectl)
    assert recorded in ("", printed.removeprefix("kustomize "))  # "": a wrapper, and the query answered
