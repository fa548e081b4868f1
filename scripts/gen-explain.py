#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the text of `bhconfig explain` (tools/explain.c) as a C header, from the property
tables of the binding's documentation, so that the tool says what the docs say:

    gen-explain.py OUT.h docs/binding.md docs/vmbus.md ...

Each row of a table headed `| property | | value |` gives one entry per property it names,
with the section it is in (the kind of node), the second column (required, optional...) and the
third (the value). The paragraph or list item that starts with the property's name after the
table, if any, is added; then the first line that sets the property in a ```dts block of any of
the files, as the example. A property without an example is an error: add one to the docs."""
import re
import sys
import textwrap

WIDTH = 78
# Sections whose title does not say which node they are about.
NODES = {"Declaring channels": "Channels: /bulkhead/vmbus/<name>"}


def plain(text):
    """Markdown to terminal text: links to their words, no emphasis."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return text.replace("**", "")


def wrap(text, indent):
    return textwrap.fill(plain(text), WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False)


def examples(files):
    """property -> the first line that sets it in a dts block."""
    found = {}
    for path in files:
        in_dts = False
        for line in open(path, encoding="utf-8"):
            if line.startswith("```"):
                in_dts = line.strip() == "```dts"
                continue
            m = re.match(r"\s*([#a-z0-9,_-]+)\s*(=|;)", line) if in_dts else None
            if m and m.group(1) not in found:
                found[m.group(1)] = re.sub(r"\s*/\*.*", "", line.strip())
    return found


def entries(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    section = ""
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
            section = NODES.get(section, section)
        if line.replace(" ", "") == "|property||value|":
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split(" | ")]
                rows.append(cells)
                i += 1
            # The prose after the table: paragraphs and list items, up to the next heading.
            prose = []
            j = i
            while j < len(lines) and not lines[j].startswith("#"):
                prose.append(lines[j])
                j += 1
            for cells in rows:
                names = re.findall(r"`([^`]+)`", cells[0])
                for name in names:
                    more = []
                    for k, text in enumerate(prose):
                        if re.match(r"(- )?`%s`[: ]" % re.escape(name), text):
                            block = [text.lstrip("- ")]
                            for cont in prose[k + 1:]:
                                if not cont.strip() or cont.startswith("- "):
                                    break
                                block.append(cont.strip())
                            more.append(" ".join(block))
                    out.append((name, section, cells[1], cells[2], more, path))
            continue
        i += 1
    return out


def c_string(text):
    """A C string literal, one source line per line of text."""
    parts = text.split("\n")
    last = parts.pop() if parts[-1] == "" else None
    quoted = [p.replace("\\", "\\\\").replace('"', '\\"') for p in parts]
    body = '\\n"\n\t "'.join(quoted)
    return '"' + body + ('\\n"' if last is not None else '"')


def main():
    out_path, files = sys.argv[1], sys.argv[2:]
    example = examples(files)
    local = {path: examples([path]) for path in files}
    items = []
    missing = []
    for path in files:
        for name, section, need, value, more, where in entries(path):
            if name not in example:
                missing.append(name)
                continue
            sample = local[where].get(name, example[name])  # the same file's first
            literal = re.search(r"`(\"[^`]*)`", value)
            setting = re.search(r"=\s*(.*);", sample)
            if literal and setting and setting.group(1) not in value:
                sample = "%s = %s;" % (name, literal.group(1))  # this node's own value
            text = "%s  (%s; %s)\n" % (name, plain(section).replace("`", ""), need)
            text += wrap(value, "  ") + "\n"
            for para in more:
                text += "\n" + wrap(para, "  ") + "\n"
            text += "\n  example:\n      %s\n\n  %s, \"%s\"\n" % (sample, where,
                                                               plain(section))
            items.append((name, text))
    if missing:
        sys.exit("gen-explain.py: no ```dts example sets %s" % ", ".join(sorted(set(missing))))
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("/* Generated by scripts/gen-explain.py from %s: do not edit. */\n"
                % " ".join(files))
        f.write("static const struct explain_entry explain_entries[] = {\n")
        for name, text in items:
            f.write("\t{%s,\n\t %s},\n" % (c_string(name), c_string(text)))
        f.write("};\n")


main()
