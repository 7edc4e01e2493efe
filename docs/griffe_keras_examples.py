"""Griffe extension for the documentation site (mkdocs.yml).

Keras writes the examples of a docstring flush with the section title:

    Example:

    >>> x = ...

Google-style parsers want the section's content indented, so Griffe would
render those lines as plain text. This extension indents everything after an
`Example:` / `Examples:` title up to the next section title, so the examples
render as code blocks. Docstrings themselves stay in Keras's shape.
"""

import re

import griffe

_EXAMPLE = re.compile(r"^(Example|Examples):\s*$")
_SECTION = re.compile(
    r"^(Args|Arguments|Returns|Yields|Raises|Note|Notes|Reference|References|"
    r"Call arguments|Input shape|Output shape|Attributes|Warning|Warnings|"
    r"See also|Example|Examples):\s*$"
)


def indent_examples(text):
    """Indent the body of flush `Example:` sections by four spaces."""
    out, inside = [], False
    for line in text.split("\n"):
        if _SECTION.match(line):
            inside = bool(_EXAMPLE.match(line))
            out.append(line)
        elif inside and line.strip():
            out.append(line if line.startswith(" ") else "    " + line)
        else:
            out.append(line)
    return "\n".join(out)


class KerasExamples(griffe.Extension):
    """Make Keras-style flush example sections parse as examples."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None and "xample" in obj.docstring.value:
            obj.docstring.value = indent_examples(obj.docstring.value)
