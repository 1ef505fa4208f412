#!/usr/bin/env python3
"""Writes to stdout the Dockerfile given, without the instructions buildah 1.28 (Debian 12)
cannot build: heredocs (RUN <<EOF, COPY <<EOF), COPY/ADD --exclude and RUN --network;
COPY --link (which changes nothing in the result) loses its flag, and ${VAR-default}
becomes ${VAR:-default} (the same for an unset variable, which is all the fixtures use it
for). Prints what it dropped or rewrote to stderr, so that the comparison says so."""
import re
import sys

HEREDOC = re.compile(r"<<-?[\"']?([^\s\"'<>|;&()]+)")
UNSUPPORTED_FLAG = re.compile(r"^\s*((COPY|ADD)\b.*--exclude|RUN\b.*--network)", re.IGNORECASE)
LINK_FLAG = re.compile(r"--link(=true)?\s+")
DASH_DEFAULT = re.compile(r"\$\{(\w+)-")


def logical_lines(lines):
    """Yields lists of physical lines that make one instruction (continuations joined)."""
    current = []
    for line in lines:
        current.append(line)
        if not line.rstrip("\n").endswith(("\\", "`")):
            yield current
            current = []
    if current:
        yield current


def main(path):
    with open(path, encoding="utf-8") as dockerfile:
        lines = iter(list(dockerfile))
    kept = []
    for instruction in logical_lines(lines):
        text = "".join(instruction)
        is_build_step = re.match(r"^\s*(RUN|COPY|ADD)\b", text, re.IGNORECASE)
        delimiters = HEREDOC.findall(text) if is_build_step else []
        if delimiters:
            for delimiter in delimiters:  # skip each body up to its delimiter line
                for body_line in lines:
                    if body_line.strip() == delimiter:
                        break
            print(f"dropped: {text.strip()} (heredoc)", file=sys.stderr)
            continue
        if UNSUPPORTED_FLAG.match(text):
            print(f"dropped: {text.strip()} (flag)", file=sys.stderr)
            continue
        if DASH_DEFAULT.search(text):
            print(f"rewrote: ${{VAR-x}} as ${{VAR:-x}} in {text.split()[0]}", file=sys.stderr)
        kept.extend(DASH_DEFAULT.sub(r"${\1:-", LINK_FLAG.sub("", line)) for line in instruction)
    sys.stdout.write("".join(kept))


if __name__ == "__main__":
    main(sys.argv[1])
